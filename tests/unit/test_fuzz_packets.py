"""netlab/fuzz_packets.py: the fault campaign's generator, judged by the product's codec.

The generator is only useful if its packets reach the checks they are meant for: the
resummed half must never be refused for its checksum, the whole stream must cover both
versions, both families, both kinds and many drop reasons, and nothing in it may be an
advert a daemon would rightly act on.
"""

from __future__ import annotations

from collections import Counter
from ipaddress import IPv4Address, IPv6Address

import pytest

from netlab.fuzz_packets import (
    FuzzPacket,
    Kind,
    Macs,
    Target,
    Wire,
    consequential,
    flood,
    frame,
    generate,
    ipv6_checksum_ok,
    resum,
)
from pykeepalived.vrrp.advert import VRRP_GROUP_V4, Advertisement
from pykeepalived.vrrp.checksum import ChecksumMode
from pykeepalived.vrrp.ipv4 import split_ipv4_packet
from pykeepalived.vrrp.packet import DropReason, MalformedPacket, decode_full, encode_message

TARGETS = (
    Target(187, 3, 4, 200, 10, (IPv4Address("198.51.100.187"),)),
    Target(188, 2, 4, 200, 100, (IPv4Address("198.51.100.188"),)),
    Target(189, 3, 6, 200, 10, (IPv6Address("2001:db8::189"),)),
    Target(190, 3, 4, 100, 10, (IPv4Address("198.51.100.190"),)),
)
WIRE = Wire(source4=IPv4Address("192.0.2.189"), source6=IPv6Address("fe80::3"),
            unicast4=IPv4Address("192.0.2.187"), unicast6=IPv6Address("fe80::1"),
            spoof4=(IPv4Address("192.0.2.201"), IPv4Address("198.51.100.9")))
MACS = Macs(source=bytes.fromhex("020000000003"), unicast=bytes.fromhex("020000000001"))
SAMPLE = 20_000


@pytest.fixture(scope="module")
def packets() -> list[FuzzPacket]:
    return list(generate(7, SAMPLE, TARGETS, WIRE, foreign=(77, 78)))


def _decode(packet: FuzzPacket) -> Advertisement | DropReason:
    try:
        return decode_full(packet.payload, source=packet.source,
                           destination=packet.destination,
                           checksums=set(ChecksumMode)).advert
    except MalformedPacket as exc:
        return exc.reason


def test_same_seed_same_stream_other_seed_another() -> None:
    first = list(generate(3, 200, TARGETS, WIRE))
    assert first == list(generate(3, 200, TARGETS, WIRE))
    assert first != list(generate(4, 200, TARGETS, WIRE))


def test_resummed_packets_are_never_refused_for_their_checksum(packets: list[FuzzPacket]) -> None:
    verdicts = Counter((p.resummed, _decode(p) is DropReason.CHECKSUM) for p in packets)
    assert verdicts[(True, True)] == 0
    # and the other half does meet the checksum check, often
    assert verdicts[(False, True)] > SAMPLE // 20


def test_stream_covers_versions_families_kinds_and_many_drop_reasons(
    packets: list[FuzzPacket],
) -> None:
    seen = Counter((p.family, p.kind, p.resummed, p.destination.is_multicast)
                   for p in packets)
    for family in (4, 6):
        for kind in Kind:
            for resummed in (False, True):
                for multicast in (False, True):
                    assert seen[(family, kind, resummed, multicast)] > 0
    verdicts = Counter(_decode(p) for p in packets)
    reasons = {v for v in verdicts if isinstance(v, DropReason)}
    assert reasons >= {DropReason.PACKET_LENGTH, DropReason.ADDRESS_COUNT, DropReason.VERSION,
                       DropReason.CHECKSUM, DropReason.INVALID_TYPE, DropReason.NO_ADDRESSES,
                       DropReason.INTERVAL_ZERO, DropReason.INVALID_AUTHTYPE}
    adverts = [v for v in verdicts if isinstance(v, Advertisement)]
    assert {a.version for a in adverts} == {2, 3}
    assert sum(verdicts[a] for a in adverts) > SAMPLE // 50


def test_no_packet_is_one_a_daemon_should_act_on(packets: list[FuzzPacket]) -> None:
    by_vrid = {t.vrid: t for t in TARGETS}
    for packet in packets:
        advert = _decode(packet)
        if not isinstance(advert, Advertisement) or advert.vrid not in by_vrid:
            continue
        target = by_vrid[advert.vrid]
        if advert.version != target.version or packet.family != target.family:
            continue
        assert 1 <= advert.priority < target.priority, packet
        assert advert.interval_cs == target.interval_cs, packet


@pytest.mark.parametrize("priority", [0, 200, 255])
def test_consequential_adverts_are_recognised(priority: int) -> None:
    target = TARGETS[0]
    advert = Advertisement(version=3, vrid=target.vrid, priority=priority, interval_cs=10,
                           addresses=target.addresses)
    payload = encode_message(advert, source=WIRE.source4, destination=VRRP_GROUP_V4)
    packet = FuzzPacket(Kind.MUTANT, True, WIRE.source4, VRRP_GROUP_V4, 255, payload)
    assert consequential(packet, TARGETS)
    # a broken checksum makes it harmless; a lower priority too
    broken = FuzzPacket(Kind.MUTANT, False, WIRE.source4, VRRP_GROUP_V4, 255,
                        payload[:6] + bytes([payload[6] ^ 1]) + payload[7:])
    assert not consequential(broken, TARGETS)
    lower = Advertisement(version=3, vrid=target.vrid, priority=150, interval_cs=10,
                          addresses=target.addresses)
    harmless = FuzzPacket(Kind.MUTANT, True, WIRE.source4, VRRP_GROUP_V4, 255,
                          encode_message(lower, source=WIRE.source4, destination=VRRP_GROUP_V4))
    assert not consequential(harmless, TARGETS)


def test_a_longer_packet_with_a_valid_prefix_is_consequential() -> None:
    """A daemon that sums only the length it expects would accept trailing junk."""
    target = TARGETS[1]
    advert = Advertisement(version=2, vrid=target.vrid, priority=250, interval_cs=100,
                           addresses=target.addresses)
    payload = encode_message(advert, source=WIRE.source4, destination=VRRP_GROUP_V4)
    packet = FuzzPacket(Kind.MUTANT, False, WIRE.source4, VRRP_GROUP_V4, 255,
                        payload + b"junk")
    assert consequential(packet, TARGETS)


def test_resum_restores_exactly_the_checksum() -> None:
    for target in TARGETS:
        source = WIRE.source4 if target.family == 4 else WIRE.source6
        destination = VRRP_GROUP_V4 if target.family == 4 else IPv6Address("ff02::12")
        advert = Advertisement(version=target.version, vrid=target.vrid, priority=100,
                               interval_cs=target.interval_cs, addresses=target.addresses)
        message = encode_message(advert, source=source, destination=destination)
        zeroed = message[:6] + b"\0\0" + message[8:]
        assert resum(zeroed, source, destination) == message
        assert resum(message[:7], source, destination) == message[:7]


def test_frames_carry_the_packet_unchanged(packets: list[FuzzPacket]) -> None:
    for packet in packets[:500]:
        raw = frame(packet, MACS)
        if packet.family == 4:
            assert raw[12:14] == b"\x08\x00"
            fields = split_ipv4_packet(raw[14:])
            assert (fields.source, fields.destination, fields.ttl, fields.payload) == (
                packet.source, packet.destination, packet.ttl, packet.payload)
        else:
            assert raw[12:14] == b"\x86\xdd"
            assert raw[14 + 7] == packet.ttl
            assert raw[14 + 40:] == packet.payload
            assert IPv6Address(raw[14 + 24:14 + 40]) == packet.destination
        unicast = not packet.destination.is_multicast
        assert (raw[:6] == MACS.unicast) is unicast


def test_ipv6_checksum_verdict_matches_the_codec(packets: list[FuzzPacket]) -> None:
    """What the benchmark expects the kernel (IPV6_CHECKSUM) to drop on an IPv6 socket."""
    checked = Counter()
    for packet in (p for p in packets if p.family == 6):
        verdict = _decode(packet)
        if verdict is DropReason.CHECKSUM or isinstance(verdict, Advertisement):
            checked[verdict is DropReason.CHECKSUM] += 1
            assert ipv6_checksum_ok(packet) is isinstance(verdict, Advertisement)
    assert checked[True] > 0
    assert checked[False] > 0


def test_flood_is_well_formed_and_foreign() -> None:
    adverts = [_decode(p) for p in flood(1, 200, (90, 91), WIRE,
                                         addresses=(IPv4Address("198.51.100.90"),))]
    assert all(isinstance(a, Advertisement) and a.vrid in (90, 91) for a in adverts)
