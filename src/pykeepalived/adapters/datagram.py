"""What a raw VRRP socket read means: bytes plus ancillary data in, one `Datagram` or a drop.

Kept apart from the socket so the framing rules (IPv4 header checks, which control
message carries the destination and the TTL) can be tested with plain bytes. A raw IPv4
socket hands us the IP header; a raw IPv6 socket does not, so IPv6 needs IPV6_PKTINFO
and IPV6_HOPLIMIT to know where the packet went and how far it came. Both carry the
kernel's receive time (SO_TIMESTAMPNS): a datagram read late, after the daemon was
stopped or stalled, still says when it arrived.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Final

IPAddress = IPv4Address | IPv6Address

# Linux values the socket module does not export (include/uapi/linux/in.h, in6.h).
IP_PKTINFO: Final = 8
IP_RECVTTL: Final = 12
IP_MULTICAST_ALL: Final = 49
IPV6_MULTICAST_ALL: Final = 29
#: also the control message's type (SCM_TIMESTAMPNS): a struct timespec, CLOCK_REALTIME
SO_TIMESTAMPNS: Final = 35

_IN_PKTINFO = struct.Struct("=i4s4s")  # ipi_ifindex, ipi_spec_dst, ipi_addr
_IN6_PKTINFO = struct.Struct("=16sI")  # ipi6_addr, ipi6_ifindex
_INT = struct.Struct("=i")
_TIMESPEC = struct.Struct("=qq")
_IPV4_MIN_HEADER = 20

#: One ancillary item as socket.recvmsg returns it: (level, type, data).
Ancillary = tuple[int, int, bytes]


class DroppedDatagram(Exception):
    """A read that cannot be a VRRP datagram; `reason` is the drop counter's key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Datagram:
    """One received VRRP (or AH) datagram, with what the RFC checks need around it.

    `payload` starts after the IP header. `ip_header` is the IPv4 header as received,
    kept for keepalived's AH, whose HMAC covers it; it is empty for IPv6.
    `received_ns` is when the kernel received it (CLOCK_REALTIME ns), if it said.
    """

    payload: bytes
    source: IPAddress
    destination: IPAddress
    ttl: int
    ifindex: int
    protocol: int
    ip_header: bytes = b""
    received_ns: int | None = None


def kernel_receive_time(ancillary: list[Ancillary]) -> int | None:
    """The SO_TIMESTAMPNS control message, in ns since the epoch; None without one."""
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(value)
            return int(seconds) * 1_000_000_000 + int(nanoseconds)
    return None


def parse_ipv4(
    data: bytes,
    ancillary: list[Ancillary],
    *,
    protocol: int,
    default_ifindex: int,
) -> Datagram:
    """Frame an IPv4 raw read; raises DroppedDatagram with the reason on bad framing."""
    if len(data) < _IPV4_MIN_HEADER:
        raise DroppedDatagram("ipv4 header short")
    if data[0] >> 4 != 4:
        raise DroppedDatagram("ipv4 version")
    header_len = (data[0] & 0x0F) * 4
    if header_len < _IPV4_MIN_HEADER or header_len > len(data):
        raise DroppedDatagram("ipv4 header length")
    (total_len,) = struct.unpack_from("!H", data, 2)
    if total_len != len(data):
        raise DroppedDatagram("ipv4 total length")
    if data[9] != protocol:
        raise DroppedDatagram("ipv4 protocol")
    ifindex, ttl = default_ifindex, data[8]
    for level, kind, value in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(value) >= _IN_PKTINFO.size:
            ifindex = _IN_PKTINFO.unpack_from(value)[0]
        elif level == socket.IPPROTO_IP and kind == socket.IP_TTL and len(value) >= _INT.size:
            ttl = _INT.unpack_from(value)[0]
    return Datagram(
        payload=data[header_len:],
        source=IPv4Address(data[12:16]),
        destination=IPv4Address(data[16:20]),
        ttl=ttl,
        ifindex=ifindex,
        protocol=protocol,
        ip_header=data[:header_len],
        received_ns=kernel_receive_time(ancillary),
    )


def parse_ipv6(
    data: bytes,
    ancillary: list[Ancillary],
    source: IPv6Address,
    *,
    protocol: int,
) -> Datagram:
    """Frame an IPv6 raw read: destination and hop limit come only from ancillary data."""
    destination: IPv6Address | None = None
    ifindex = 0
    hop_limit: int | None = None
    for level, kind, value in ancillary:
        if level != socket.IPPROTO_IPV6:
            continue
        if kind == socket.IPV6_PKTINFO and len(value) >= _IN6_PKTINFO.size:
            raw_addr, ifindex = _IN6_PKTINFO.unpack_from(value)
            destination = IPv6Address(raw_addr)
        elif kind == socket.IPV6_HOPLIMIT and len(value) >= _INT.size:
            hop_limit = _INT.unpack_from(value)[0]
    if destination is None:
        raise DroppedDatagram("ipv6 no pktinfo")
    if hop_limit is None:
        raise DroppedDatagram("ipv6 no hop limit")
    return Datagram(
        payload=data,
        source=source,
        destination=destination,
        ttl=hop_limit,
        ifindex=ifindex,
        protocol=protocol,
        received_ns=kernel_receive_time(ancillary),
    )


def ipv6_source(address: object) -> IPv6Address:
    """The source of an IPv6 recvmsg: ('fe80::1%eth0', 0, flow, scope) → fe80::1."""
    if not isinstance(address, tuple) or not address or not isinstance(address[0], str):
        raise DroppedDatagram("ipv6 no source")
    try:
        return IPv6Address(address[0].split("%", 1)[0])
    except ValueError:
        raise DroppedDatagram("ipv6 no source") from None


def in_pktinfo(ifindex: int, source: IPv4Address) -> bytes:
    """IP_PKTINFO for sendmsg: the kernel takes ipi_spec_dst as the source address."""
    return _IN_PKTINFO.pack(ifindex, source.packed, bytes(4))


def in6_pktinfo(ifindex: int, source: IPv6Address | None) -> bytes:
    """IPV6_PKTINFO for sendmsg: source address (:: = kernel's choice) and interface."""
    packed = source.packed if source is not None else bytes(16)
    return _IN6_PKTINFO.pack(packed, ifindex)


def ip_mreqn(group: IPv4Address, ifindex: int) -> bytes:
    """struct ip_mreqn: join by interface index, so the interface's addresses don't matter."""
    return struct.pack("=4s4si", group.packed, bytes(4), ifindex)


def ipv6_mreq(group: IPv6Address, ifindex: int) -> bytes:
    """struct ipv6_mreq for IPV6_JOIN_GROUP."""
    return struct.pack("=16sI", group.packed, ifindex)
