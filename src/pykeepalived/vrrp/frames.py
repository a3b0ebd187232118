"""Link-layer frames and IP headers as bytes: gratuitous ARP, unsolicited NA, IPv4/IPv6 headers.

A new master must tell the LAN that the virtual addresses moved (RFC 5798 §6.4.1/§6.4.2).
keepalived does it with hand-built frames on AF_PACKET sockets, and peers' neighbour caches
only update when the frames look exactly like that, so these builders reproduce
keepalived 2.2.7's layout (vrrp_arp.c, vrrp_ndisc.c): NIC MAC as Ethernet source, ARP
request with sender = target = VIP and a broadcast target MAC, NA from the VIP itself to
ff02::1 with Override set and Solicited clear. Pure: the adapter only writes the bytes.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address

from pykeepalived.vrrp.checksum import internet_checksum, pseudo_header_sum

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_IPV6 = 0x86DD
BROADCAST_MAC = b"\xff" * 6
ALL_NODES_V6 = IPv6Address("ff02::1")
ICMPV6_PROTOCOL = 58
ICMPV6_NEIGHBOUR_ADVERT = 136
#: NA flags (RFC 4861 §4.4), in the first octet of the 32-bit flags word.
NA_FLAG_ROUTER = 0x80
NA_FLAG_SOLICITED = 0x40
NA_FLAG_OVERRIDE = 0x20
#: keepalived's NDISC_HOPLIMIT: RFC 4861 §7.1.2 receivers drop NAs with any other hop limit.
ND_HOP_LIMIT = 255
_ARP_REQUEST = 1
_ARP_HW_ETHERNET = 1
_ND_OPT_TARGET_LINKADDR = 2


def parse_mac(text: str) -> bytes:
    """`"02:00:00:00:00:0a"` → 6 octets; a clear ValueError for anything else."""
    parts = text.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise ValueError(f"not a MAC address: {text!r}")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(f"not a MAC address: {text!r}") from None


def format_mac(mac: bytes) -> str:
    return ":".join(f"{octet:02x}" for octet in mac)


def _check_mac(mac: bytes) -> None:
    if len(mac) != 6:
        raise ValueError(f"a MAC address has 6 octets, got {len(mac)}")


def multicast_mac(group: IPv4Address | IPv6Address) -> bytes:
    """The Ethernet group address a multicast IP maps to (RFC 1112 §6.4, RFC 2464 §7)."""
    if not group.is_multicast:
        raise ValueError(f"{group} is not a multicast address")
    if isinstance(group, IPv4Address):
        return b"\x01\x00\x5e" + bytes([group.packed[1] & 0x7F]) + group.packed[2:]
    return b"\x33\x33" + group.packed[12:]


def ethernet_header(destination: bytes, source: bytes, ethertype: int) -> bytes:
    _check_mac(destination)
    _check_mac(source)
    return destination + source + struct.pack("!H", ethertype)


def ipv4_header(
    *,
    source: IPv4Address,
    destination: IPv4Address,
    protocol: int,
    payload_length: int,
    ttl: int = 255,
    tos: int = 0,
    ident: int = 0,
) -> bytes:
    """A 20-octet IPv4 header (no options, DF clear) with its header checksum filled in."""
    fields = (0x45, tos, 20 + payload_length, ident, 0, ttl, protocol, 0)
    header = struct.pack("!BBHHHBBH", *fields) + source.packed + destination.packed
    check = internet_checksum(header)
    return header[:10] + struct.pack("!H", check) + header[12:]


def ipv6_header(
    *,
    source: IPv6Address,
    destination: IPv6Address,
    next_header: int,
    payload_length: int,
    hop_limit: int = 255,
) -> bytes:
    """A 40-octet IPv6 header, traffic class and flow label zero as keepalived sends them."""
    first_word = 6 << 28
    fixed = struct.pack("!IHBB", first_word, payload_length, next_header, hop_limit)
    return fixed + source.packed + destination.packed


def gratuitous_arp(vip: IPv4Address, mac: bytes) -> bytes:
    """A 42-octet broadcast ARP request announcing `vip` at `mac` (no padding, like keepalived)."""
    arp = struct.pack("!HHBBH", _ARP_HW_ETHERNET, ETHERTYPE_IPV4, 6, 4, _ARP_REQUEST)
    arp += mac + vip.packed + BROADCAST_MAC + vip.packed
    return ethernet_header(BROADCAST_MAC, mac, ETHERTYPE_ARP) + arp


def neighbour_advert_message(vip: IPv6Address, mac: bytes, *, router: bool) -> bytes:
    """The ICMPv6 NA (with target link-layer option) from `vip` to ff02::1, checksum filled."""
    _check_mac(mac)
    flags = NA_FLAG_OVERRIDE | (NA_FLAG_ROUTER if router else 0)
    option = struct.pack("!BB", _ND_OPT_TARGET_LINKADDR, 1) + mac
    body = struct.pack("!BBHB3x", ICMPV6_NEIGHBOUR_ADVERT, 0, 0, flags) + vip.packed + option
    start = pseudo_header_sum(vip, ALL_NODES_V6, ICMPV6_PROTOCOL, len(body))
    check = internet_checksum(body, start)
    return body[:2] + struct.pack("!H", check) + body[4:]


def unsolicited_na(vip: IPv6Address, mac: bytes, *, router: bool = False) -> bytes:
    """Ethernet + IPv6 + NA frame; `router` mirrors keepalived's check of IPv6 forwarding."""
    message = neighbour_advert_message(vip, mac, router=router)
    ip = ipv6_header(
        source=vip,
        destination=ALL_NODES_V6,
        next_header=ICMPV6_PROTOCOL,
        payload_length=len(message),
        hop_limit=ND_HOP_LIMIT,
    )
    return ethernet_header(multicast_mac(ALL_NODES_V6), mac, ETHERTYPE_IPV6) + ip + message
