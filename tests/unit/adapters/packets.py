"""Hand-built IPv4 packets and control messages for the adapter unit tests."""

from __future__ import annotations

import socket
import struct
from ipaddress import IPv4Address

from pykeepalived.adapters.datagram import IP_PKTINFO

PAYLOAD = bytes.fromhex("313d640100640000c00002fa")
SRC, DST = IPv4Address("192.0.2.1"), IPv4Address("224.0.0.18")


def ipv4_packet(
    payload: bytes = PAYLOAD,
    *,
    ttl: int = 255,
    protocol: int = 112,
    options: bytes = b"",
    total: int | None = None,
) -> bytes:
    ihl = 5 + len(options) // 4
    length = total if total is not None else ihl * 4 + len(payload)
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x40 | ihl, 0xC0, length, 1, 0, ttl, protocol, 0, SRC.packed, DST.packed
    )
    return header + options + payload


def pktinfo(ifindex: int) -> tuple[int, int, bytes]:
    return (socket.IPPROTO_IP, IP_PKTINFO, struct.pack("=i4s4s", ifindex, bytes(4), DST.packed))
