"""Raw VRRP sockets on a real bridged LAN: what host B's socket reports for A's packets."""

from __future__ import annotations

import asyncio
import socket
import struct
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Any

import pytest

from netlab.lab import IFNAME, async_wait_for
from pykeepalived.adapters.datagram import Datagram, ip_mreqn
from pykeepalived.adapters.vrrp_socket import VrrpSocket, VrrpSocketConfig
from pykeepalived.vrrp.advert import VRRP_GROUP_V4, VRRP_GROUP_V6

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from netlab.lab import Host, Lab

pytestmark = pytest.mark.netns

#: VRRPv3, VRID 61, priority 100, one address, 100 cs; checksum left for the kernel (v6).
V4_PAYLOAD = bytes.fromhex("313d640100640000") + IPv4Address("192.0.2.250").packed
V6_PAYLOAD = bytes.fromhex("313d640100640000") + IPv6Address("2001:db8::fa").packed
WAIT = 5.0


def open_socket(host: Host, family: int, **options: Any) -> VrrpSocket:
    config = VrrpSocketConfig(ifname=IFNAME, ifindex=host.ifindex, family=family, **options)
    return VrrpSocket.open(config, socket_factory=host.socket_factory())


def collect(sock: VrrpSocket) -> list[Datagram]:
    received: list[Datagram] = []
    sock.start(received.append)
    return received


def ipv6_checksum_ok(datagram: Datagram) -> bool:
    """The VRRPv3 IPv6 checksum (pseudo-header + message) sums to 0xffff when right."""
    payload = datagram.payload
    pseudo = (
        datagram.source.packed
        + datagram.destination.packed
        + struct.pack("!I3xB", len(payload), 112)
    )
    data = pseudo + payload + (b"\0" if len(payload) % 2 else b"")
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total == 0xFFFF


def run(scenario: Coroutine[Any, Any, None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(20):
            await scenario

    asyncio.run(bounded())


def test_ipv4_multicast_reaches_peer_with_ttl_255_tos_c0(lab: Lab) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    async def scenario() -> None:
        with open_socket(host_a, socket.AF_INET) as a, open_socket(host_b, socket.AF_INET) as b:
            received = collect(b)
            assert a.send_to_group(V4_PAYLOAD)
            await async_wait_for(lambda: bool(received), WAIT, what="advert at B")
            (got,) = received
            assert got.payload == V4_PAYLOAD
            assert got.source == host_a.ipv4
            assert got.destination == VRRP_GROUP_V4
            assert got.ttl == 255
            assert got.ifindex == host_b.ifindex
            assert got.ip_header[1] == 0xC0  # TOS as keepalived sends
            assert got.protocol == 112

    run(scenario())


def test_ipv6_multicast_from_link_local_with_kernel_checksum(lab: Lab) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    async def scenario() -> None:
        with open_socket(host_a, socket.AF_INET6) as a, open_socket(host_b, socket.AF_INET6) as b:
            received = collect(b)
            assert a.send_to_group(V6_PAYLOAD)
            await async_wait_for(lambda: bool(received), WAIT, what="advert at B")
            (got,) = received
            assert got.source == host_a.link_local
            assert got.destination == VRRP_GROUP_V6
            assert (got.ttl, got.ifindex) == (255, host_b.ifindex)
            assert got.payload[:6] == V6_PAYLOAD[:6]
            assert got.payload[8:] == V6_PAYLOAD[8:]
            assert got.payload[6:8] != b"\0\0"
            assert ipv6_checksum_ok(got)

    run(scenario())


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv6"])
def test_unicast_to_peer_address(lab: Lab, family: int) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    v4 = family == socket.AF_INET
    peer = host_b.ipv4 if v4 else host_b.ipv6
    payload = V4_PAYLOAD if v4 else V6_PAYLOAD

    async def scenario() -> None:
        with (
            open_socket(host_a, family, join_group=False) as a,
            open_socket(host_b, family, join_group=False) as b,
        ):
            received = collect(b)
            assert a.send_to_peers(payload, [peer]) == 1
            await async_wait_for(lambda: bool(received), WAIT, what="unicast advert at B")
            (got,) = received
            assert got.source == (host_a.ipv4 if v4 else host_a.ipv6)
            assert got.destination == peer
            assert (got.ttl, got.ifindex) == (255, host_b.ifindex)

    run(scenario())


def test_configured_source_address_is_used(lab: Lab) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    extra = IPv4Address("192.0.2.241")
    host_a.ip("addr", "add", f"{extra}/24", "dev", IFNAME)

    async def scenario() -> None:
        with (
            open_socket(host_a, socket.AF_INET, source=extra) as a,
            open_socket(host_b, socket.AF_INET) as b,
        ):
            received = collect(b)
            assert a.send_to_group(V4_PAYLOAD)
            await async_wait_for(lambda: bool(received), WAIT, what="advert at B")
            assert [d.source for d in received] == [extra]

    run(scenario())


def crafted_sender(host: Host, family: int, hops: int) -> socket.socket:
    """A bare raw socket that sends with a hop limit of our choosing (the core drops < 255)."""
    sock = host.socket_factory()(family, socket.SOCK_RAW, 112)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, IFNAME.encode())
    if family == socket.AF_INET:
        sock.setsockopt(
            socket.IPPROTO_IP, socket.IP_MULTICAST_IF, ip_mreqn(VRRP_GROUP_V4, host.ifindex)
        )
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, hops)
    else:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, host.ifindex)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hops)
    return sock


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv6"])
def test_ttl_1_is_received_and_reported(lab: Lab, family: int) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    v4 = family == socket.AF_INET

    async def scenario() -> None:
        with crafted_sender(host_a, family, hops=1) as raw, open_socket(host_b, family) as b:
            if not v4:
                raw.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, 6)
            received = collect(b)
            group = VRRP_GROUP_V4 if v4 else VRRP_GROUP_V6
            raw.sendto(V4_PAYLOAD if v4 else V6_PAYLOAD, (str(group), 0))
            await async_wait_for(lambda: bool(received), WAIT, what="TTL 1 advert at B")
            assert [d.ttl for d in received] == [1]

    run(scenario())


def test_ipv6_bad_checksum_is_dropped_by_the_kernel(lab: Lab) -> None:
    """The documented consequence of IPV6_CHECKSUM: a bad v6 checksum never reaches us."""
    host_a, host_b = lab.host("a"), lab.host("b")
    bad = V6_PAYLOAD[:6] + b"\xde\xad" + V6_PAYLOAD[8:]
    good_marker = V6_PAYLOAD[:2] + b"\x65" + V6_PAYLOAD[3:]  # priority 101

    async def scenario() -> None:
        with (
            crafted_sender(host_a, socket.AF_INET6, hops=255) as raw,
            open_socket(host_b, socket.AF_INET6) as b,
        ):
            received = collect(b)
            raw.sendto(bad, (str(VRRP_GROUP_V6), 0))
            raw.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, 6)
            raw.sendto(good_marker, (str(VRRP_GROUP_V6), 0))
            await async_wait_for(lambda: bool(received), WAIT, what="good advert at B")
            assert [d.payload[2] for d in received] == [101]

    run(scenario())


def test_own_multicast_is_not_looped_back(lab: Lab) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    async def scenario() -> None:
        with open_socket(host_a, socket.AF_INET) as a, open_socket(host_b, socket.AF_INET) as b:
            heard_by_a = collect(a)
            assert a.send_to_group(V4_PAYLOAD)
            assert b.send_to_group(V4_PAYLOAD)
            await async_wait_for(lambda: bool(heard_by_a), WAIT, what="B's advert at A")
            assert [d.source for d in heard_by_a] == [host_b.ipv4]

    run(scenario())


def test_send_on_a_downed_link_is_counted_not_raised(lab: Lab) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    with open_socket(host_a, socket.AF_INET) as a:
        host_a.ip("link", "set", IFNAME, "down")
        assert a.send_to_peers(V4_PAYLOAD, [host_b.ipv4]) == 0
        assert sum(a.send_errors.values()) == 1


def test_header_included_ipv4_keeps_our_identification(lab: Lab) -> None:
    """keepalived's AH signs the IP header, id included: IP_HDRINCL sends it unchanged."""
    host_a, host_b = lab.host("a"), lab.host("b")
    ah_like = bytes.fromhex("7004000000000000000000010000000000000000") + V4_PAYLOAD
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0xC0,
        20 + len(ah_like),
        0x4242,
        0,
        255,
        51,
        0,
        host_a.ipv4.packed,
        VRRP_GROUP_V4.packed,
    )

    async def scenario() -> None:
        ah = {"protocol": 51}
        with (
            open_socket(host_a, socket.AF_INET, header_included=True, **ah) as a,
            open_socket(host_b, socket.AF_INET, **ah) as b,
        ):
            received = collect(b)
            assert a.send_to_group(header + ah_like)
            await async_wait_for(lambda: bool(received), WAIT, what="AH packet at B")
            (got,) = received
            assert got.payload == ah_like
            assert got.protocol == 51
            assert struct.unpack_from("!H", got.ip_header, 4) == (0x4242,)
            assert (got.source, got.ttl) == (host_a.ipv4, 255)

    run(scenario())


def test_a_vrid_filter_lets_the_kernel_drop_other_vrids(lab: Lab) -> None:
    """B's filtered socket reads VRID 61 only; its unfiltered one both; detached, both."""
    host_a, host_b = lab.host("a"), lab.host("b")
    other = bytes([V4_PAYLOAD[0], 62]) + V4_PAYLOAD[2:]  # VRID 62, else the same

    async def scenario() -> None:
        with (open_socket(host_a, socket.AF_INET) as a,
              open_socket(host_b, socket.AF_INET) as filtered,
              open_socket(host_b, socket.AF_INET) as listener):
            filtered.only_vrid(61)
            only, everything = collect(filtered), collect(listener)
            assert a.send_to_group(other)
            assert a.send_to_group(V4_PAYLOAD)
            await async_wait_for(lambda: len(everything) == 2 and len(only) == 1, WAIT,
                                 what="both adverts at the listener, one at the filtered")
            assert [d.payload[1] for d in everything] == [62, 61]
            assert [d.payload[1] for d in only] == [61]
            filtered.only_vrid(None)
            assert a.send_to_group(other)
            await async_wait_for(lambda: len(only) == 2, WAIT, what="VRID 62 once detached")
            assert only[-1].payload[1] == 62

    run(scenario())
