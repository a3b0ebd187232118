"""Framing of raw reads, with hand-built headers and control messages (no sockets)."""

from __future__ import annotations

import socket
import struct
from ipaddress import IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pykeepalived.adapters.datagram import (
    SO_TIMESTAMPNS,
    Datagram,
    DroppedDatagram,
    in6_pktinfo,
    ipv6_source,
    kernel_receive_time,
    parse_ipv4,
    parse_ipv6,
)
from tests.unit.adapters.packets import DST, PAYLOAD, SRC, ipv4_packet, pktinfo


def test_ipv4_with_pktinfo_and_ttl() -> None:
    ttl = (socket.IPPROTO_IP, socket.IP_TTL, struct.pack("=i", 254))
    got = parse_ipv4(ipv4_packet(), [pktinfo(7), ttl], protocol=112, default_ifindex=3)
    assert (got.payload, got.source, got.destination) == (PAYLOAD, SRC, DST)
    assert (got.ttl, got.ifindex, got.protocol) == (254, 7, 112)
    assert len(got.ip_header) == 20


def test_ipv4_without_ancillary_falls_back_to_header_and_socket() -> None:
    got = parse_ipv4(ipv4_packet(ttl=1), [], protocol=112, default_ifindex=3)
    assert (got.ttl, got.ifindex, got.received_ns) == (1, 3, None)


def test_the_kernel_receive_time_comes_with_the_datagram() -> None:
    stamp = (socket.SOL_SOCKET, SO_TIMESTAMPNS, struct.pack("=qq", 1_800_000_000, 250))
    got = parse_ipv4(ipv4_packet(), [pktinfo(7), stamp], protocol=112, default_ifindex=3)
    assert got.received_ns == 1_800_000_000_000_000_250
    assert kernel_receive_time([(socket.SOL_SOCKET, SO_TIMESTAMPNS, b"short")]) is None


def test_ipv4_options_are_skipped_by_ihl() -> None:
    got = parse_ipv4(ipv4_packet(options=b"\x94\x04\0\0"), [], protocol=112, default_ifindex=1)
    assert got.payload == PAYLOAD
    assert len(got.ip_header) == 24


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x45" * 10, "ipv4 header short"),
        (b"\x65" + ipv4_packet()[1:], "ipv4 version"),
        (b"\x44" + ipv4_packet()[1:], "ipv4 header length"),
        (b"\x4f" + ipv4_packet()[1:], "ipv4 header length"),
        (ipv4_packet(total=100), "ipv4 total length"),
        (ipv4_packet(total=20), "ipv4 total length"),
        (ipv4_packet(protocol=51), "ipv4 protocol"),
    ],
)
def test_ipv4_bad_framing_is_dropped_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DroppedDatagram) as dropped:
        parse_ipv4(data, [], protocol=112, default_ifindex=1)
    assert dropped.value.reason == reason


def frame_or_reason(data: bytes) -> Datagram | str:
    try:
        return parse_ipv4(data, [], protocol=112, default_ifindex=1)
    except DroppedDatagram as dropped:
        return dropped.reason


@given(st.binary(max_size=80))
def test_ipv4_arbitrary_bytes_frame_or_drop(data: bytes) -> None:
    outcome = frame_or_reason(data)
    if isinstance(outcome, str):
        assert outcome.startswith("ipv4 ")
    else:
        assert outcome.ip_header + outcome.payload == data


def test_ipv6_takes_destination_and_hop_limit_from_ancillary() -> None:
    group = IPv6Address("ff02::12")
    ancillary = [
        (socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, struct.pack("=16sI", group.packed, 4)),
        (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT, struct.pack("=i", 255)),
    ]
    got = parse_ipv6(PAYLOAD, ancillary, IPv6Address("fe80::1"), protocol=112)
    assert (got.destination, got.ifindex, got.ttl) == (group, 4, 255)
    assert got.ip_header == b""


@pytest.mark.parametrize(
    ("ancillary", "reason"),
    [
        ([(socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT, struct.pack("=i", 255))], "ipv6 no pktinfo"),
        ([(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, in6_pktinfo(2, None))], "ipv6 no hop limit"),
        ([], "ipv6 no pktinfo"),
    ],
)
def test_ipv6_without_ancillary_is_dropped(
    ancillary: list[tuple[int, int, bytes]], reason: str
) -> None:
    with pytest.raises(DroppedDatagram, match=reason):
        parse_ipv6(PAYLOAD, ancillary, IPv6Address("fe80::1"), protocol=112)


def test_ipv6_source_strips_the_zone() -> None:
    assert ipv6_source(("fe80::1%eth0", 0, 0, 2)) == IPv6Address("fe80::1")
    for bad in (None, (), ("not an address", 0, 0, 0)):
        with pytest.raises(DroppedDatagram, match="ipv6 no source"):
            ipv6_source(bad)
