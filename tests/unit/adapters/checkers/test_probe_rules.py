"""The pure rules of the other probes: UDP reply matching, the DNS query and reply
header, SMTP status lines, ICMP echo frames, ping_group_range, MISC verdicts, and that
a kind's libraries load only with its first probe."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

import dns.message
import dns.rdatatype
import pytest

from pykeepalived.adapters.checkers import run_probe
from pykeepalived.adapters.checkers.dns import build_query, reply_verdict
from pykeepalived.adapters.checkers.misc import passed
from pykeepalived.adapters.checkers.ping import (
    PAYLOAD,
    GroupRangeChange,
    echo_request,
    is_echo_reply,
    open_ping_groups,
    parse_group_range,
    restore_ping_groups,
)
from pykeepalived.adapters.checkers.smtp import reply_status
from pykeepalived.adapters.checkers.udp import reply_matches
from pykeepalived.check.params import Connection, FileProbe, UdpProbe

if TYPE_CHECKING:
    from pathlib import Path

CONN = Connection(IPv4Address("192.0.2.1"), 53)


def udp(reply: bytes, mask: bytes | None = None, low: int = 0, high: int = 255) -> UdpProbe:
    return UdpProbe(CONN, require_reply=reply, reply_mask=mask, min_reply_length=low,
                    max_reply_length=high)


@pytest.mark.parametrize(("probe", "reply", "ok"), [
    (udp(b"pong"), b"pong", True),
    (udp(b"pong"), b"pang", False),
    (udp(b"pong"), b"po", True),               # only the shorter length is compared
    (udp(b"pong"), b"pong and more", True),
    (udp(b"pong", low=5), b"pong", False),     # length bounds come first
    (udp(b"pong", high=3), b"pong", False),
    (udp(b"\xab\x12", mask=b"\xf0\xff"), b"\xa7\x12", True),   # "AX 12": low nibble free
    (udp(b"\xab\x12", mask=b"\xf0\xff"), b"\xb7\x12", False),
    (udp(b"\xab\x12", mask=b"\x00\xff"), b"\x00\x12", True),   # "XX 12"
    (udp(b"\xab\x12", mask=b"\xf0"), b"\xa0\x13", False),      # a short mask compares the rest
])
def test_udp_reply_match(probe: UdpProbe, reply: bytes, ok: bool) -> None:
    assert reply_matches(reply, probe) is ok


@pytest.mark.parametrize(("name", "qtype", "qname"), [
    ("", "SOA", "."), (".", "SOA", "."), ("example.test", "A", "example.test."),
    ("example.test.", "AAAA", "example.test."), ("Mixed.Case", "MX", "Mixed.Case."),
    ("x", "DNSKEY", "x."), ("x", "RRSIG", "x."),
])
def test_dns_query_is_keepalived_s(name: str, qtype: str, qname: str) -> None:
    query_id, wire = build_query(name, qtype)
    message = dns.message.from_wire(wire)
    assert message.id == query_id
    assert message.flags == 0x0100  # RD only
    assert message.edns < 0         # no OPT record, as keepalived
    (question,) = message.question
    assert question.name.to_text() == qname
    assert question.rdtype == dns.rdatatype.from_text(qtype)
    assert question.rdclass == 1
    assert len(wire) == 12 + len(question.name.to_wire() or b"") + 4


def test_dns_query_ids_are_random() -> None:
    assert len({build_query("", "SOA")[0] for _ in range(20)}) > 1


def test_dns_name_with_an_overlong_label_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        build_query("a" * 64 + ".test", "A")


@pytest.mark.parametrize(("reply", "verdict"), [
    (bytes.fromhex("1234 8180 0001 0000 0000 0000"), 0),
    (bytes.fromhex("1234 8183 0001 0000 0000 0000"), 3),    # NXDOMAIN
    (bytes.fromhex("1234 0100 0001 0000 0000 0000"), None),  # a query, not an answer
    (bytes.fromhex("4321 8180 0001 0000 0000 0000"), None),  # another id
    (bytes.fromhex("1234 8180 0001 0000 0000"), None),       # shorter than a header
])
def test_dns_reply_is_judged_from_its_header(reply: bytes, verdict: int | None) -> None:
    assert reply_verdict(0x1234, reply) == verdict


@pytest.mark.parametrize(("line", "status"), [
    (b"220 mail.example ESMTP", 220), (b"220", 220), (b"250 ok\r", 250),
    (b"250\r", -1),              # the CR LF split leaves a CR: keepalived rejects it
    (b"220-multi line", -1), (b"22 short", -1), (b"2200 long", -1), (b"", -1),
    (b"abc", -1),
])
def test_smtp_status(line: bytes, status: int) -> None:
    assert reply_status(line) == status


def test_echo_request_and_reply() -> None:
    request = echo_request(4, 7)
    assert request[:8] == bytes([8, 0, 0, 0, 0, 0, 0, 7])
    assert request[8:] == PAYLOAD
    assert len(PAYLOAD) == 128
    assert PAYLOAD.startswith(b"keepalived check - keepalived check - ")
    assert echo_request(6, 1)[0] == 128
    assert is_echo_reply(4, bytes([0, 0]) + bytes(6))
    assert not is_echo_reply(4, bytes([3, 3]) + bytes(6))
    assert is_echo_reply(6, bytes([129]) + bytes(7))
    assert not is_echo_reply(6, bytes([129]))


def test_ping_group_range_is_opened_and_restored(tmp_path: Path) -> None:
    path = tmp_path / "ping_group_range"
    path.write_text("1\t0\n")
    change = open_ping_groups(str(path))
    assert change == GroupRangeChange(str(path), 1, 0)
    assert change.warning is None
    assert parse_group_range(path.read_text()) == (0, 0)
    assert open_ping_groups(str(path)) is None  # already open: nothing to undo
    restore_ping_groups(change)
    assert parse_group_range(path.read_text()) == (1, 0)


def test_widening_a_real_range_warns_as_keepalived() -> None:
    change = GroupRangeChange("/proc/sys/net/ipv4/ping_group_range", 100, 200)
    assert change.warning == ("Warning: /proc/sys/net/ipv4/ping_group_range being expanded"
                              " from 100 200 to 0 200")


def test_unreadable_group_range_changes_nothing(tmp_path: Path) -> None:
    assert open_ping_groups(str(tmp_path / "missing")) is None
    bad = tmp_path / "bad"
    bad.write_text("nonsense\n")
    assert open_ping_groups(str(bad)) is None


@pytest.mark.parametrize(("status", "dynamic", "ok"), [
    (0, False, True), (1, False, False), (2, False, False), (2, True, True),
    (255, True, True), (1, True, False), (None, True, False),
])
def test_misc_verdict(status: int | None, dynamic: bool, ok: bool) -> None:
    assert passed(status, dynamic) is ok


def test_file_check_is_not_a_probe() -> None:
    with pytest.raises(TypeError, match="not a network probe"):
        asyncio.run(run_probe(FileProbe("t", "/tmp/x")))


def test_a_tcp_probe_loads_neither_dnspython_nor_the_http_code() -> None:
    code = """
import asyncio, sys
from ipaddress import IPv4Address
from pykeepalived.adapters.checkers import run_probe
from pykeepalived.check.params import Connection, TcpProbe
asyncio.run(run_probe(TcpProbe(Connection(IPv4Address("127.0.0.1"), 9, timeout=0.2))))
print(sorted(m for m in sys.modules if m == "dns" or m.startswith(("dns.", "h11"))
             or m.endswith(("checkers.http", "checkers.dns"))))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30, check=True)
    assert done.stdout.strip() == "[]"
