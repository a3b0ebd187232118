"""HTTP_GET against a real server in the lab: status, digest, regex, timeouts, refusal,
the request bytes the server saw, IPv6, and the bind/mark options."""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

import pytest

from pykeepalived.check.params import Connection, HttpProbe, HttpUrl
from tests.netns.checkers.conftest import events

if TYPE_CHECKING:
    from pykeepalived.check.results import ProbeResult
    from tests.netns.checkers.conftest import ProbeLab

pytestmark = pytest.mark.netns

PORT = 8080
MD5_HELLO = hashlib.md5(b"hello").digest()


def get(probes: ProbeLab, *urls: HttpUrl, timeout: float = 2.0, port: int = PORT,
        **conn: object) -> ProbeResult:
    connection = Connection(probes.b.ipv4, port, timeout, **conn)  # type: ignore[arg-type]
    return probes.probe(HttpProbe(connection, urls))


def test_status_digest_and_regex(probes: ProbeLab) -> None:
    server = probes.serve("http", PORT)
    result = get(probes, HttpUrl("/ok", digest=MD5_HELLO))
    assert (result.ok, result.url, result.detail) == (True, 0, "status 200")
    assert result.latency > 0
    assert get(probes, HttpUrl("/missing")).reason == "HTTP status code error to"
    assert get(probes, HttpUrl("/missing")).detail == "status 404"
    assert get(probes, HttpUrl("/missing", status_codes=((404, 404),))).ok
    assert get(probes, HttpUrl("/unavailable")).detail == "status 503"
    wrong = get(probes, HttpUrl("/ok", digest=bytes(16)))
    assert (wrong.ok, wrong.reason, wrong.detail) == (
        False, "MD5 digest error to", f"digest {MD5_HELLO.hex()}")
    assert get(probes, HttpUrl("/healthy", regex="state: healthy")).ok
    missed = get(probes, HttpUrl("/healthy", regex="state: sick"))
    assert (missed.reason, missed.detail) == ("Regex match failed", "regex no match")
    assert get(probes, HttpUrl("/healthy", regex="state: sick", regex_no_match=True)).ok
    request = bytes.fromhex(events(server, "REQ")[0])
    assert request == (b"GET /ok HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\n"
                       b"Host: 192.0.2.12:8080\r\n\r\n")


def test_keepalived_s_reading_of_odd_answers(probes: ProbeLab) -> None:
    probes.serve("http", PORT)
    framing = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    assert get(probes, HttpUrl("/chunked", digest=hashlib.md5(framing).digest())).ok
    assert get(probes, HttpUrl("/short-cl", digest=MD5_HELLO)).ok
    assert get(probes, HttpUrl("/split", digest=MD5_HELLO)).ok
    assert get(probes, HttpUrl("/no-reason")).reason == "HTTP status code error to"
    assert get(probes, HttpUrl("/big-head")).reason == "Read, no data received from "
    assert get(probes, HttpUrl("/bare")).reason == "Read, no data received from "
    assert get(probes, HttpUrl("/nothing")).reason == "Read, no data received from "


def test_one_url_per_call_by_index(probes: ProbeLab) -> None:
    probes.serve("http", PORT)
    urls = (HttpUrl("/ok"), HttpUrl("/missing"))
    assert get(probes, *urls).ok
    connection = Connection(probes.b.ipv4, PORT, 2.0)
    second = probes.probe(HttpProbe(connection, urls), url=1)
    assert (second.ok, second.url, second.reason) == (False, 1, "HTTP status code error to")


@pytest.mark.parametrize(("protocol", "extra"), [
    ("1.0C", b"Connection: close\r\n"), ("1.1", b"Connection: close\r\n")])
def test_protocol_and_virtualhost_in_the_request(probes: ProbeLab, protocol: str,
                                                 extra: bytes) -> None:
    server = probes.serve("http", PORT)
    connection = Connection(probes.b.ipv4, PORT, 2.0)
    url = HttpUrl("/ok", virtualhost="www.example.test")
    assert probes.probe(HttpProbe(connection, (url,), protocol=protocol)).ok  # type: ignore[arg-type]
    minor = b"1" if protocol == "1.1" else b"0"
    assert bytes.fromhex(events(server, "REQ")[0]) == (
        b"GET /ok HTTP/1." + minor + b"\r\nUser-Agent: KeepAliveClient\r\n" + extra
        + b"Host: www.example.test\r\n\r\n")


def test_slow_stalled_refused_and_absent_servers(probes: ProbeLab) -> None:
    probes.serve("http", PORT)
    assert get(probes, HttpUrl("/slow"), timeout=1.0).reason == "Timeout WEB read"
    assert get(probes, HttpUrl("/stall"), timeout=1.0).reason == "Timeout HTTP read"
    refused = get(probes, HttpUrl("/ok"), port=PORT + 1)
    assert refused.reason == "Connection failed"
    absent = probes.probe(HttpProbe(Connection(IPv4Address("192.0.2.99"), PORT, 1.0),
                                    (HttpUrl("/ok"),)))
    assert (absent.ok, absent.reason) == (False, "Timeout connecting")
    assert 0.9 < absent.latency < 3


def test_no_route_is_network_unreachable(probes: ProbeLab) -> None:
    result = probes.probe(HttpProbe(Connection(IPv4Address("198.51.100.1"), PORT, 1.0),
                                    (HttpUrl("/ok"),)))
    assert result.reason == "HTTP_CHECK - network unreachable"


def test_ipv6_host_header_is_bracketed(probes: ProbeLab) -> None:
    server = probes.serve("http", PORT)
    result = probes.probe(HttpProbe(Connection(probes.b.ipv6, PORT, 2.0), (HttpUrl("/ok"),)))
    assert result.ok
    assert b"Host: [2001:db8::12]:8080\r\n" in bytes.fromhex(events(server, "REQ")[0])
    assert events(server, "PEER")[0].split()[0] == str(probes.a.ipv6)


def test_bindto_bind_port_and_fwmark_reach_the_wire(probes: ProbeLab) -> None:
    server = probes.serve("http", PORT)
    extra = IPv4Address("192.0.2.111")
    probes.run("a", "ip", "addr", "add", f"{extra}/24", "dev", "eth0")
    assert get(probes, HttpUrl("/ok"), bind_address=extra, bind_port=40123).ok
    assert events(server, "PEER")[-1] == f"{extra} 40123"
    # mark 42 routes through a table whose route prefers .112 as source
    marked = IPv4Address("192.0.2.112")
    probes.run("a", "ip", "addr", "add", f"{marked}/24", "dev", "eth0")
    probes.run("a", "ip", "rule", "add", "fwmark", "42", "lookup", "100")
    probes.run("a", "ip", "route", "add", "192.0.2.0/24", "dev", "eth0", "src", str(marked),
               "table", "100")
    assert get(probes, HttpUrl("/ok")).ok
    assert events(server, "PEER")[-1].split()[0] == str(probes.a.ipv4)
    assert get(probes, HttpUrl("/ok"), fwmark=42).ok
    assert events(server, "PEER")[-1].split()[0] == str(marked)


def test_link_local_needs_bind_if(probes: ProbeLab) -> None:
    server = probes.serve("http", PORT)
    target = probes.b.link_local
    assert get_ll(probes, target, "eth0").ok
    assert events(server, "PEER")[-1].split()[0] == str(probes.a.link_local)
    assert not get_ll(probes, target, "lo").ok
    unscoped = get_ll(probes, target, None)  # the kernel cannot tell which link
    assert (unscoped.ok, unscoped.reschedule) == (False, True)


def get_ll(probes: ProbeLab, target: IPv6Address, device: str | None) -> ProbeResult:
    connection = Connection(target, PORT, 1.0, bind_interface=device)
    return probes.probe(HttpProbe(connection, (HttpUrl("/ok"),)))


def test_a_failed_bind_reschedules(probes: ProbeLab) -> None:
    result = get(probes, HttpUrl("/ok"), bind_address=IPv4Address("192.0.2.250"))
    assert (result.ok, result.reschedule) == (False, True)
    assert result.reason == "WEB socket bind failed. Rescheduling"
    assert result.detail.startswith("Checker bind failed: ")
