"""Hostile VRRP frames, whole Ethernet + IPv4, for `netlab.frames.send_frames`.

Each builder starts from a well-formed advert and breaks exactly one thing, recomputing
the VRRP checksum afterwards (unless the checksum is the thing broken): keepalived and
pykeepalived check in different orders, and a packet wrong in one way only is refused
for the same reason by both, which is what makes the expected counter exact.
"""

from __future__ import annotations

import random
import struct
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from pykeepalived.vrrp.advert import VRRP_GROUP_V4, VRRP_PROTOCOL, Advertisement, AuthType
from pykeepalived.vrrp.ah import AH_HEADER_LEN, AH_PROTOCOL
from pykeepalived.vrrp.checksum import ChecksumMode, internet_checksum, vrrp_checksum_start
from pykeepalived.vrrp.frames import ethernet_header, ipv4_header, multicast_mac
from pykeepalived.vrrp.packet import VRRP_TOS, encode_message

if TYPE_CHECKING:
    from netlab.lab import Host

ETHERTYPE_IPV4 = 0x0800
#: what every hostile advert claims: high enough that accepting it would move a master
HOSTILE_PRIORITY = 254


class Attacker:
    """Builds frames from one lab host, to the VRRP group or to one host's address."""

    def __init__(self, host: Host) -> None:
        self.host = host

    # ------------------------------------------------------------------- building blocks
    def frame(self, payload: bytes, *, to: Host | None = None, ttl: int = 255,
              protocol: int = VRRP_PROTOCOL, source: IPv4Address | None = None) -> bytes:
        """Ethernet + IPv4 (TOS 0xc0) around `payload`; multicast unless `to` a host."""
        destination = VRRP_GROUP_V4 if to is None else to.ipv4
        mac = multicast_mac(VRRP_GROUP_V4) if to is None else to.mac_bytes
        header = ipv4_header(source=source or self.host.ipv4, destination=destination,
                             protocol=protocol, payload_length=len(payload), ttl=ttl,
                             tos=VRRP_TOS)
        return ethernet_header(mac, self.host.mac_bytes, ETHERTYPE_IPV4) + header + payload

    def message(self, vrid: int, vips: tuple[str, ...], *, version: int = 3,
                to: Host | None = None, priority: int = HOSTILE_PRIORITY,
                auth: AuthType = AuthType.NONE, password: bytes = b"") -> bytes:
        """A well-formed VRRP message (v2 interval 1 s, v3 0.1 s) with a valid checksum."""
        advert = Advertisement(version=version, vrid=vrid, priority=priority,
                               interval_cs=100 if version == 2 else 10,
                               addresses=tuple(IPv4Address(v) for v in vips),
                               auth_type=auth, auth_data=password)
        return encode_message(advert, source=self.host.ipv4, destination=self._dst(to),
                              auth_key=password)

    def resum(self, message: bytes, *, to: Host | None = None) -> bytes:
        """`message` with its VRRP checksum made valid again (v2 plain, v3 pseudo-header)."""
        version = message[0] >> 4
        unsummed = message[:6] + b"\0\0" + message[8:]
        start = 0
        if version == 3:
            start = vrrp_checksum_start(3, self.host.ipv4, self._dst(to), len(unsummed),
                                        ChecksumMode.KEEPALIVED, VRRP_PROTOCOL)
        return unsummed[:6] + struct.pack("!H", internet_checksum(unsummed, start)) + \
            unsummed[8:]

    @staticmethod
    def _dst(to: Host | None) -> IPv4Address:
        return VRRP_GROUP_V4 if to is None else to.ipv4

    # ------------------------------------------------------------------- one flaw each
    def wrong_ttl(self, vrid: int, vips: tuple[str, ...], ttl: int = 64) -> bytes:
        return self.frame(self.message(vrid, vips), ttl=ttl)

    def bad_checksum(self, vrid: int, vips: tuple[str, ...]) -> bytes:
        message = bytearray(self.message(vrid, vips))
        message[6] ^= 0x5A
        return self.frame(bytes(message))

    def patched(self, vrid: int, vips: tuple[str, ...], offset: int, value: int,
                **kwargs: object) -> bytes:
        """One octet of an otherwise valid advert changed, checksum recomputed."""
        message = bytearray(self.message(vrid, vips, **kwargs))  # type: ignore[arg-type]
        message[offset] = value
        return self.frame(self.resum(bytes(message)))

    def pass_on_v3(self, vrid: int, vips: tuple[str, ...]) -> bytes:
        """A v3 advert carrying a v2 password after its addresses: 8 octets too long."""
        return self.frame(self.resum(self.message(vrid, vips) + b"iop-pass"))

    def ah_on_v3(self, vrid: int, vips: tuple[str, ...]) -> bytes:
        """keepalived's AH framing (IP protocol 51, zero ICV) around a v3 advert."""
        message = self.message(vrid, vips)
        header = struct.pack("!BBHII", VRRP_PROTOCOL, AH_HEADER_LEN // 4 - 2, 0,
                             int(self.host.ipv4), 1) + bytes(AH_HEADER_LEN - 12)
        return self.frame(header + message, protocol=AH_PROTOCOL)

    def truncated(self, vrid: int, vips: tuple[str, ...], keep: int = 10) -> bytes:
        """The first `keep` octets of an advert, checksum valid for what is left."""
        return self.frame(self.resum(self.message(vrid, vips)[:keep]))

    def count_beyond_length(self, vrid: int, vips: tuple[str, ...]) -> bytes:
        """Address count one more than the addresses present."""
        return self.patched(vrid, vips, 3, len(vips) + 1)

    def unicast_from_stranger(self, vrid: int, vips: tuple[str, ...], to: Host) -> bytes:
        return self.frame(self.resum(self.message(vrid, vips, to=to), to=to), to=to)

    def zero_length(self) -> bytes:
        return self.frame(b"")

    def garbage(self, count: int, vrids: tuple[int, ...], seed: int) -> list[bytes]:
        """Seeded random protocol-112 payloads, 8-64 octets; octet 1 mostly one of `vrids`.

        The rest get a VRID outside 200-219, so no test's instance ever hears them.
        """
        rng = random.Random(seed)
        frames = []
        for _ in range(count):
            payload = bytearray(rng.randbytes(rng.randint(8, 64)))
            payload[1] = rng.choice([*vrids, rng.choice([*range(1, 200), *range(220, 256)])])
            frames.append(self.frame(bytes(payload)))
        return frames
