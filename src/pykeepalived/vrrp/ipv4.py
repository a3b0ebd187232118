"""Whole IPv4 packets around a VRRP payload: what IP_HDRINCL and AF_PACKET senders need.

keepalived sends IPv4 adverts with its own header (TOS 0xc0, and for AH an IP id the ICV
covers), and a raw IPv4 socket hands the receiver the header too; both sides of that live
here, apart from the codec (`packet.py`), which only ever sees the payload.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv4Address

from pykeepalived.vrrp import ah
from pykeepalived.vrrp.advert import VRRP_PROTOCOL, VRRP_TTL, Advertisement, AuthType
from pykeepalived.vrrp.checksum import ChecksumMode
from pykeepalived.vrrp.frames import ipv4_header
from pykeepalived.vrrp.packet import VRRP_TOS, DropReason, MalformedPacket, encode


@dataclass(frozen=True, slots=True)
class IPv4Packet:
    """The IPv4 header fields a VRRP receiver needs, and the payload after the header."""

    source: IPv4Address
    destination: IPv4Address
    protocol: int
    ttl: int
    tos: int
    ident: int
    header: bytes
    payload: bytes


def build_ipv4_packet(
    advert: Advertisement,
    *,
    source: IPv4Address,
    destination: IPv4Address,
    checksum: ChecksumMode = ChecksumMode.KEEPALIVED,
    auth_key: bytes = b"",
    ah_sequence: int | None = None,
    ip_id: int = 0,
    ttl: int = VRRP_TTL,
) -> bytes:
    """Header + payload as keepalived sends it (TOS 0xc0), for IP_HDRINCL or AF_PACKET."""
    payload = encode(advert, source=source, destination=destination, checksum=checksum,
                     auth_key=auth_key, ah_sequence=ah_sequence, ip_id=ip_id, ttl=ttl)
    protocol = ah.AH_PROTOCOL if advert.auth_type is AuthType.AH else VRRP_PROTOCOL
    header = ipv4_header(source=source, destination=destination, protocol=protocol,
                         payload_length=len(payload), ttl=ttl, tos=VRRP_TOS, ident=ip_id)
    return header + payload


def split_ipv4_packet(packet: bytes) -> IPv4Packet:
    """Header fields and payload of a received IPv4 packet (as a raw socket returns it).

    keepalived requires the total length to match what was read (packet_len_err).
    """
    if len(packet) < 20 or packet[0] >> 4 != 4:
        raise MalformedPacket(DropReason.PACKET_LENGTH, f"{len(packet)} octets is no IPv4 packet")
    header_len = (packet[0] & 0x0F) * 4
    total = struct.unpack_from("!H", packet, 2)[0]
    if header_len < 20 or total != len(packet) or total < header_len:
        raise MalformedPacket(DropReason.PACKET_LENGTH,
                              f"IPv4 total length {total}, header {header_len}, read {len(packet)}")
    ident = struct.unpack_from("!H", packet, 4)[0]
    return IPv4Packet(source=IPv4Address(packet[12:16]), destination=IPv4Address(packet[16:20]),
                      protocol=packet[9], ttl=packet[8], tos=packet[1], ident=ident,
                      header=bytes(packet[:header_len]), payload=bytes(packet[header_len:]))
