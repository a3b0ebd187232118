"""Fuzzed VRRP packets for the fault campaign: random bytes and mutated real adverts.

Pure and seeded: `generate(seed, count, targets, wire)` gives the same packets for the
same arguments, so the benchmark sends one stream to pykeepalived and to keepalived, and
a failing test can be replayed. Every packet is a VRRP message (what follows the IP
header) with the IP fields it travels with; `frame` wraps it in Ethernet + IPv4/IPv6 for
an AF_PACKET sender, the IP layer always valid (the kernel would drop anything else
before a VRRP socket sees it).

- *random*: random octets (sometimes with a real version/type octet and a target's VRID,
  so they get past the first checks);
- *mutant*: a genuine advert (a target's VRID, version, interval and addresses, or a
  foreign VRID) with 1-3 mutations: bit flips, random octets, one header field set to a
  random value, truncation, junk appended, an address list resized consistently, v2
  auth bytes;
- for half of the packets of each kind the VRRP checksum is recomputed afterwards
  (*resummed*), so they get past the checksum and exercise the deeper checks.

A packet that a daemon could legitimately act on is never sent: one carrying a target's
VRID, version and type whose checksum verifies (over the whole payload, or the length
its address count or the target's implies, in any checksum variant) is kept only if its
priority is between 1 and the target's own minus one and its interval is the target's.
Such a lower-priority advert moves no instance (a master answers it, a backup discards
it); anything else (priority 0, higher, another interval) would change a state as the
RFC demands, which is not what the campaign tests. Everything here is the generator's
own reading of the bytes, deliberately looser than either daemon's codec.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from enum import Enum
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

from pykeepalived.vrrp.advert import VRRP_GROUP_V4, VRRP_GROUP_V6, VRRP_PROTOCOL, Advertisement
from pykeepalived.vrrp.checksum import ChecksumMode, internet_checksum, vrrp_checksum_start
from pykeepalived.vrrp.frames import ethernet_header, ipv4_header, ipv6_header, multicast_mac
from pykeepalived.vrrp.packet import VRRP_TOS, encode_message

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from pykeepalived.vrrp.advert import IPAddress

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
#: share of random-octet packets; the rest are mutants
RANDOM_SHARE = 0.25
#: share sent to the daemon's own address instead of the group
UNICAST_SHARE = 0.15
#: share with a TTL / hop limit other than 255
BAD_TTL_SHARE = 0.05
#: share of IPv4 packets claiming another source than the sender's
SPOOF_SHARE = 0.3
#: attempts to draw a packet that is not consequential before giving up (bounded loop)
MAX_ATTEMPTS = 50


class Kind(Enum):
    RANDOM = "random"
    MUTANT = "mutant"


@dataclass(frozen=True, slots=True)
class Target:
    """One instance the daemon under test runs, as the generator must know it."""

    vrid: int
    version: int
    family: int
    priority: int
    interval_cs: int
    addresses: tuple[IPAddress, ...]

    def __post_init__(self) -> None:
        if self.family not in (4, 6) or (self.version == 2 and self.family == 6):
            raise ValueError(f"VRRPv{self.version} over IPv{self.family} does not exist")
        if any(a.version != self.family for a in self.addresses):
            raise ValueError("addresses must be of the target's family")


@dataclass(frozen=True, slots=True)
class Wire:
    """Where the packets go: the sender's addresses, the daemon's, and sources to claim."""

    source4: IPv4Address
    source6: IPv6Address
    unicast4: IPv4Address
    unicast6: IPv6Address
    spoof4: tuple[IPv4Address, ...] = ()


@dataclass(frozen=True, slots=True)
class FuzzPacket:
    kind: Kind
    resummed: bool
    source: IPAddress
    destination: IPAddress
    ttl: int
    payload: bytes

    @property
    def family(self) -> int:
        return self.source.version


# ------------------------------------------------------------------------------ checksum


def checksum_start(version: int, source: IPAddress, destination: IPAddress, length: int,
                   mode: ChecksumMode = ChecksumMode.KEEPALIVED) -> int:
    """What a VRRP checksum of `length` octets starts from (v2 over IPv4 from zero)."""
    return vrrp_checksum_start(version, source, destination, length, mode, VRRP_PROTOCOL)


def resum(payload: bytes, source: IPAddress, destination: IPAddress,
          mode: ChecksumMode = ChecksumMode.KEEPALIVED) -> bytes:
    """`payload` with octets 6-7 set so it sums to zero as its version octet says it
    should (v2: plain; otherwise the v3 pseudo-header); unchanged when under 8 octets."""
    if len(payload) < 8:
        return payload
    version = 2 if payload[0] >> 4 == 2 and source.version == 4 else 3
    zeroed = payload[:6] + b"\0\0" + payload[8:]
    start = checksum_start(version, source, destination, len(payload), mode)
    return zeroed[:6] + struct.pack("!H", internet_checksum(zeroed, start)) + zeroed[8:]


def sums_to_zero(payload: bytes, source: IPAddress, destination: IPAddress,
                 version: int, mode: ChecksumMode = ChecksumMode.KEEPALIVED) -> bool:
    start = checksum_start(version, source, destination, len(payload), mode)
    return internet_checksum(payload, start) == 0


def ipv6_checksum_ok(packet: FuzzPacket) -> bool:
    """What the kernel's IPV6_CHECKSUM check says of an IPv6 packet (whole payload)."""
    return packet.family == 6 and sums_to_zero(packet.payload, packet.source,
                                               packet.destination, 3)


# ------------------------------------------------------------------------- consequential


def _expected_lengths(payload: bytes, target: Target) -> set[int]:
    size = 4 if target.family == 4 else 16
    auth = 8 if target.version == 2 else 0
    return {len(payload), 8 + payload[3] * size + auth,
            8 + len(target.addresses) * size + auth}


def _checksum_passes(packet: FuzzPacket, target: Target) -> bool:
    modes = [ChecksumMode.KEEPALIVED] if target.version == 2 or target.family == 6 \
        else list(ChecksumMode)
    payload = packet.payload
    for length in _expected_lengths(payload, target):
        if 8 <= length <= len(payload):
            part = payload[:length]
            if any(sums_to_zero(part, packet.source, packet.destination, target.version, mode)
                   for mode in modes):
                return True
    return False


def _harmless(payload: bytes, target: Target) -> bool:
    """A lower-priority advert with the target's own interval moves nobody."""
    if target.version == 3:
        interval = struct.unpack_from("!H", payload, 4)[0] & 0x0FFF
    else:
        interval = payload[5] * 100
    return 1 <= payload[2] < target.priority and interval == target.interval_cs


def consequential(packet: FuzzPacket, targets: Sequence[Target]) -> bool:
    """Could a daemon running `targets` legitimately change state on this packet?"""
    payload = packet.payload
    if len(payload) < 8:
        return False
    for target in targets:
        if (payload[1] == target.vrid and packet.family == target.family
                and payload[0] == (target.version << 4 | 1)
                and not _harmless(payload, target) and _checksum_passes(packet, target)):
            return True
    return False


# ------------------------------------------------------------------------------ mutation


def _random_address(rng: random.Random, family: int) -> IPAddress:
    if family == 4:
        return IPv4Address(rng.getrandbits(32))
    return IPv6Address(rng.getrandbits(128))


def _flip_bits(rng: random.Random, m: bytearray) -> None:
    for _ in range(rng.randint(1, 4)):
        bit = rng.randrange(len(m) * 8)
        m[bit // 8] ^= 1 << (bit % 8)


def _set_octets(rng: random.Random, m: bytearray) -> None:
    for _ in range(rng.randint(1, 3)):
        m[rng.randrange(len(m))] = rng.randrange(256)


def _set_field(rng: random.Random, m: bytearray, vrids: Sequence[int]) -> None:
    field = rng.randrange(7)
    if field == 0:  # version nibble, mostly a real one
        m[0] = rng.choice([2, 3, rng.randrange(16)]) << 4 | (m[0] & 0x0F)
    elif field == 1:  # type nibble
        m[0] = (m[0] & 0xF0) | rng.randrange(16)
    elif field == 2:
        m[1] = rng.choice([*vrids, rng.randrange(256)])
    elif field == 3:
        m[2] = rng.choice([0, 255, rng.randrange(256)])
    elif field == 4:
        m[3] = rng.randrange(256)
    elif field == 5:  # v2 auth type / v3 reserved + interval high bits
        m[4] = rng.choice([0, 1, 2, 3, rng.randrange(256)])
    else:  # v2 interval / v3 interval low bits
        m[5] = rng.choice([0, 1, rng.randrange(256)])


def _resize_addresses(rng: random.Random, m: bytearray, family: int) -> bytearray:
    """A new address count with a length that agrees with it."""
    auth = m[-8:] if m[0] >> 4 == 2 and len(m) >= 16 else b""
    count = rng.choice([0, 1, 2, rng.randrange(21)])
    addresses = b"".join(_random_address(rng, family).packed for _ in range(count))
    out = bytearray(m[:8]) + addresses + auth
    out[3] = count
    return out


def mutate(rng: random.Random, message: bytes, family: int,
           vrids: Sequence[int]) -> bytes:
    """1-3 mutations of `message` (the checksum is not fixed here)."""
    m = bytearray(message)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(7)
        if not m:
            m = bytearray(rng.randbytes(rng.randint(1, 8)))
        elif op == 0:
            _flip_bits(rng, m)
        elif op == 1:
            _set_octets(rng, m)
        elif op in (2, 3):
            if len(m) >= 8:
                _set_field(rng, m, vrids)
            else:
                _set_octets(rng, m)
        elif op == 4:
            m = m[:rng.randrange(len(m))]
        elif op == 5:
            m += rng.randbytes(rng.randint(1, 40))
        elif len(m) >= 8:
            m = _resize_addresses(rng, m, family)
    return bytes(m)


# ---------------------------------------------------------------------------- generation


def _genuine(rng: random.Random, target: Target, vrid: int, source: IPAddress,
             destination: IPAddress) -> bytes:
    advert = Advertisement(version=target.version, vrid=vrid,
                           priority=rng.randint(1, 254), interval_cs=target.interval_cs,
                           addresses=target.addresses)
    return encode_message(advert, source=source, destination=destination)


def _addressing(rng: random.Random, family: int, wire: Wire) -> tuple[IPAddress, IPAddress]:
    unicast = rng.random() < UNICAST_SHARE
    if family == 6:
        return wire.source6, wire.unicast6 if unicast else VRRP_GROUP_V6
    spoofed = wire.spoof4 and rng.random() < SPOOF_SHARE
    source = rng.choice(wire.spoof4) if spoofed else wire.source4
    return source, wire.unicast4 if unicast else VRRP_GROUP_V4


def _random_payload(rng: random.Random, targets: Sequence[Target]) -> bytes:
    length = rng.choice([rng.randrange(8), rng.randrange(8, 64), rng.randrange(64, 200)])
    payload = bytearray(rng.randbytes(length))
    if length >= 2 and rng.random() < 0.5:
        target = rng.choice(targets)
        payload[0] = target.version << 4 | 1
        payload[1] = target.vrid
    return bytes(payload)


def _draw(rng: random.Random, targets: Sequence[Target], wire: Wire,
          foreign: Sequence[int]) -> FuzzPacket:
    target = rng.choice(targets)
    source, destination = _addressing(rng, target.family, wire)
    ttl = rng.randint(1, 254) if rng.random() < BAD_TTL_SHARE else 255
    vrids = [t.vrid for t in targets]
    if rng.random() < RANDOM_SHARE:
        kind, payload = Kind.RANDOM, _random_payload(rng, targets)
    else:
        vrid = rng.choice(foreign) if foreign and rng.random() < 0.2 else target.vrid
        genuine = _genuine(rng, target, vrid, source, destination)
        kind, payload = Kind.MUTANT, mutate(rng, genuine, target.family, vrids)
    resummed = rng.random() < 0.5
    if resummed:
        mode = ChecksumMode.RFC9568 if target.family == 4 and rng.random() < 0.1 \
            else ChecksumMode.KEEPALIVED
        payload = resum(payload, source, destination, mode)
    return FuzzPacket(kind, resummed, source, destination, ttl, payload)


def generate(seed: int, count: int, targets: Sequence[Target], wire: Wire, *,
             foreign: Sequence[int] = ()) -> Iterator[FuzzPacket]:
    """`count` packets, none of them consequential for `targets` (see the module text).

    `foreign` are VRIDs no target has, used for some of the mutants' templates.
    """
    if not targets:
        raise ValueError("need at least one target")
    if wire.unicast4 in wire.spoof4:
        raise ValueError("never claim the daemon's own address")
    rng = random.Random(seed)
    for _ in range(count):
        for _attempt in range(MAX_ATTEMPTS):
            packet = _draw(rng, targets, wire, foreign)
            if not consequential(packet, targets):
                break
        else:
            raise RuntimeError(f"no harmless packet in {MAX_ATTEMPTS} draws (seed {seed})")
        yield packet


def flood(seed: int, count: int, vrids: Sequence[int], wire: Wire, *,
          addresses: tuple[IPv4Address, ...]) -> Iterator[FuzzPacket]:
    """Well-formed, checksummed VRRPv3 IPv4 adverts for `vrids` (foreign to the daemon)."""
    rng = random.Random(seed)
    for _ in range(count):
        source = rng.choice(wire.spoof4) if wire.spoof4 else wire.source4
        advert = Advertisement(version=3, vrid=rng.choice(vrids),
                               priority=rng.randint(1, 254), interval_cs=10,
                               addresses=addresses)
        payload = encode_message(advert, source=source, destination=VRRP_GROUP_V4)
        yield FuzzPacket(Kind.MUTANT, True, source, VRRP_GROUP_V4, 255, payload)


# ----------------------------------------------------------------------------- framing


@dataclass(frozen=True, slots=True)
class Macs:
    """The sender's MAC and the daemon's (for unicast destinations)."""

    source: bytes
    unicast: bytes


def frame(packet: FuzzPacket, macs: Macs) -> bytes:
    """Ethernet + a valid IP header (IPv4 with keepalived's TOS 0xc0) + the VRRP payload."""
    destination = packet.destination
    mac = multicast_mac(destination) if destination.is_multicast else macs.unicast
    if isinstance(packet.source, IPv4Address):
        assert isinstance(destination, IPv4Address)
        header = ipv4_header(source=packet.source, destination=destination,
                             protocol=VRRP_PROTOCOL, payload_length=len(packet.payload),
                             ttl=packet.ttl, tos=VRRP_TOS)
        return ethernet_header(mac, macs.source, ETHERTYPE_IPV4) + header + packet.payload
    assert isinstance(destination, IPv6Address)
    header6 = ipv6_header(source=packet.source, destination=destination,
                          next_header=VRRP_PROTOCOL, payload_length=len(packet.payload),
                          hop_limit=packet.ttl)
    return ethernet_header(mac, macs.source, ETHERTYPE_IPV6) + header6 + packet.payload
