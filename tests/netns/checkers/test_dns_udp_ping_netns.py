"""DNS_CHECK against dnsmasq, UDP_CHECK against an echo server, a sink and a closed port,
PING_CHECK against a live host and an address nobody has, in the lab."""

from __future__ import annotations

import shutil
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

import pytest

from netlab.lab import wait_for
from pykeepalived.adapters.checkers.ping import PING_GROUP_RANGE, open_ping_groups
from pykeepalived.check.params import Connection, DnsProbe, PingProbe, UdpProbe
from tests.conftest import skip_or_fail
from tests.netns.checkers.conftest import events, in_namespace

if TYPE_CHECKING:
    from pykeepalived.adapters.checkers.ping import GroupRangeChange
    from pykeepalived.check.results import ProbeResult
    from tests.netns.checkers.conftest import ProbeLab

pytestmark = pytest.mark.netns

NOBODY = IPv4Address("192.0.2.99")


def start_dnsmasq(probes: ProbeLab) -> None:
    if shutil.which("dnsmasq") is None:
        skip_or_fail("needs the Debian package dnsmasq-base (make test installs it)")
    probes.lab.spawn("b", [
        "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
        "--no-hosts", f"--listen-address={probes.b.ipv4}", "--bind-interfaces",
        "--port=53", "--address=/ok.test/192.0.2.99", "--address=/nx.test/",
        "--user=root", "--group=root", "--pid-file", "--log-facility=-",
        "--log-queries"], name="dnsmasq")
    wait_for(lambda: probes.run("b", "ss", "-Hlun", "sport = :53").stdout.strip(), 10.0,
             what="dnsmasq to listen")


def dns(probes: ProbeLab, name: str, kind: str = "A", port: int = 53,
        address: IPv4Address | None = None) -> ProbeResult:
    connection = Connection(address or probes.b.ipv4, port, 1.0)
    return probes.probe(DnsProbe(connection, kind, name))  # type: ignore[arg-type]


def test_dns_check_against_dnsmasq(probes: ProbeLab) -> None:
    start_dnsmasq(probes)
    probes.serve("udp-sink", 5300)
    assert dns(probes, "ok.test").ok
    assert dns(probes, "ok.test.").ok
    assert dns(probes, "nx.test").reason == "read error occurred. (rcode = 3)"
    # keepalived's default, SOA of the root: refused by a server without upstreams
    assert dns(probes, "", "SOA").reason == "read error occurred. (rcode = 5)"
    assert dns(probes, "ok.test", port=5300).reason == "read timeout from socket"
    assert dns(probes, "ok.test", port=5301).reason == (
        "failed to read socket; errno 111 (Connection refused)")
    assert dns(probes, "ok.test", address=IPv4Address("198.51.100.53")).reason == (
        "network unreachable for [198.51.100.53]:53")


def udp(probes: ProbeLab, port: int, **fields: object) -> ProbeResult:
    connection = Connection(probes.b.ipv4, port, 1.0)
    return probes.probe(UdpProbe(connection, **fields))  # type: ignore[arg-type]


def test_udp_check(probes: ProbeLab) -> None:
    echo = probes.serve("udp-echo", 5000)
    probes.serve("udp-sink", 5001)
    assert udp(probes, 5000).ok
    assert events(echo, "DATA")[0] == (b"keepalived check - " * 2)[:32].hex()
    assert udp(probes, 5001).ok                         # silence is success...
    assert udp(probes, 5002).reason == "failed"         # ...a closed port is not
    assert udp(probes, 5000, payload=b"ping", require_reply=b"ping").ok
    assert udp(probes, 5000, payload=b"pong", require_reply=b"p\x00ng",
               reply_mask=b"\xff\x00\xff\xff").ok
    assert udp(probes, 5000, payload=b"pong",
               require_reply=b"ping").reason == "reply data mismatch"
    assert udp(probes, 5000, payload=b"pong", require_reply=b"pong",
               max_reply_length=3).reason == "reply data mismatch"
    assert udp(probes, 5001, require_reply=b"x").reason == "failed"


def test_udp_check_source_options(probes: ProbeLab) -> None:
    echo = probes.serve("udp-echo", 5000)
    connection = Connection(probes.b.ipv4, 5000, 1.0, bind_address=probes.a.ipv4,
                            bind_port=41000, bind_interface="eth0")
    assert probes.probe(UdpProbe(connection)).ok
    assert events(echo, "PEER")[-1] == f"{probes.a.ipv4} 41000"


def ping(probes: ProbeLab, address: IPv4Address | object) -> ProbeResult:
    return probes.probe(PingProbe(Connection(address, 0, 1.0)))  # type: ignore[arg-type]


def test_ping_needs_the_group_range_opened(probes: ProbeLab) -> None:
    # a new namespace has keepalived's problem: "1 0" lets no group, not even root's
    assert probes.run("a", "cat", PING_GROUP_RANGE).stdout.split() == ["1", "0"]
    closed = ping(probes, probes.b.ipv4)
    assert (closed.ok, closed.reschedule) == (False, True)
    assert closed.reason == "ICMP connect fail to create socket. Rescheduling."
    change: GroupRangeChange | None = in_namespace(probes.a.namespace, _open)
    assert change is not None
    assert (change.low, change.high, change.warning) == (1, 0, None)
    assert probes.run("a", "cat", PING_GROUP_RANGE).stdout.split() == ["0", "0"]
    up = ping(probes, probes.b.ipv4)
    assert (up.ok, up.reason) == (True, "")
    assert ping(probes, probes.b.ipv6).ok
    down = ping(probes, NOBODY)
    assert (down.ok, down.reason) == (False, "timeout")
    assert 0.9 < down.latency < 3


async def _open() -> GroupRangeChange | None:
    return open_ping_groups()
