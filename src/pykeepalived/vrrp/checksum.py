"""The Internet checksum and the pseudo-headers VRRPv3 folds into it.

VRRPv3 over IPv4 has three checksums in the wild, and a mixed cluster must pick the one its
peers use: keepalived's pseudo-header with the real destination (its default since 1.3.6),
the same with 224.0.0.18 even for unicast (keepalived <= 1.3.6), and RFC 9568's plain
checksum over the message (like VRRPv2). Keeping the arithmetic here lets the codec and the
frame builders share one implementation of RFC 1071.
"""

from __future__ import annotations

import struct
from enum import Enum
from ipaddress import IPv4Address, IPv6Address

from pykeepalived.vrrp.advert import VRRP_GROUP_V4, IPAddress


class ChecksumMode(Enum):
    """Which VRRPv3-over-IPv4 checksum to send or accept (v2 and IPv6 have only one)."""

    #: IPv4 pseudo-header with the packet's real destination (keepalived >= 1.3.6 default).
    KEEPALIVED = "keepalived"
    #: IPv4 pseudo-header with 224.0.0.18 even for unicast (keepalived <= 1.3.6).
    OLD_UNICAST = "old_unicast"
    #: No pseudo-header, as RFC 9568 §5.2.8 settles it (keepalived >= 2.2.8 `v3_checksum_as_v2`).
    RFC9568 = "rfc9568"


def ones_complement_sum(data: bytes, start: int = 0) -> int:
    """16-bit one's complement sum, carries folded; odd data gets a zero pad octet (RFC 1071)."""
    if len(data) % 2:
        data += b"\x00"
    words: tuple[int, ...] = struct.unpack(f"!{len(data) // 2}H", data)
    total = start + sum(words)
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def internet_checksum(data: bytes, start: int = 0) -> int:
    """The value to put in a checksum field; data is summed with that field zeroed."""
    return ~ones_complement_sum(data, start) & 0xFFFF


def pseudo_header_sum(
    source: IPAddress, destination: IPAddress, protocol: int, length: int
) -> int:
    """Partial sum of the IPv4 (RFC 768 style) or IPv6 (RFC 8200 §8.1) pseudo-header."""
    if isinstance(source, IPv4Address) and isinstance(destination, IPv4Address):
        header = source.packed + destination.packed + struct.pack("!BBH", 0, protocol, length)
    elif isinstance(source, IPv6Address) and isinstance(destination, IPv6Address):
        header = source.packed + destination.packed + struct.pack("!I3xB", length, protocol)
    else:
        raise ValueError(f"source {source} and destination {destination} differ in family")
    return ones_complement_sum(header)


def vrrp_checksum_start(
    version: int,
    source: IPAddress,
    destination: IPAddress,
    length: int,
    mode: ChecksumMode,
    protocol: int,
) -> int:
    """The partial sum a VRRP message's checksum starts from, for this version and mode.

    v2 and RFC 9568 IPv4 start from zero; IPv6 always uses its pseudo-header.
    """
    if isinstance(source, IPv6Address):
        return pseudo_header_sum(source, destination, protocol, length)
    if version == 2 or mode is ChecksumMode.RFC9568:
        return 0
    if mode is ChecksumMode.OLD_UNICAST:
        return pseudo_header_sum(source, VRRP_GROUP_V4, protocol, length)
    return pseudo_header_sum(source, destination, protocol, length)
