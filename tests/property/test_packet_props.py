"""Codec properties: round trip, total decoding of garbage, bit flips never pass unnoticed.

Garbage comes from hypothesis and from the fault campaign's own mutator
(netlab/fuzz_packets.py), so the bytes the benchmark sends are covered here too.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from netlab.fuzz_packets import mutate, resum
from pykeepalived.vrrp.advert import Advertisement, AuthType, IPAddress
from pykeepalived.vrrp.checksum import ChecksumMode
from pykeepalived.vrrp.ipv4 import build_ipv4_packet, split_ipv4_packet
from pykeepalived.vrrp.packet import DropReason, MalformedPacket, decode, decode_full, encode

ipv4: st.SearchStrategy[IPAddress] = st.builds(IPv4Address, st.integers(0, 2**32 - 1))
ipv6: st.SearchStrategy[IPAddress] = st.builds(IPv6Address, st.integers(0, 2**128 - 1))
GROUP4, GROUP6 = IPv4Address("224.0.0.18"), IPv6Address("ff02::12")


@st.composite
def adverts(draw: st.DrawFn) -> tuple[Advertisement, IPAddress, IPAddress, bytes]:
    """A valid advert, its source and destination, and the v2 PASS key if any."""
    version = draw(st.sampled_from([2, 3]))
    family_v6 = version == 3 and draw(st.booleans())
    source = draw(ipv6 if family_v6 else ipv4)
    group: IPAddress = GROUP6 if family_v6 else GROUP4
    destination = draw(st.just(group) | (ipv6 if family_v6 else ipv4))
    count = draw(st.integers(1 if version == 3 else 0, 12))
    addresses = tuple(draw(st.lists(ipv6 if family_v6 else ipv4, min_size=count,
                                    max_size=count)))
    auth, key = AuthType.NONE, b""
    if version == 2 and draw(st.booleans()):
        auth, key = AuthType.PASS, draw(st.binary(min_size=8, max_size=8))
    interval = (draw(st.integers(0, 255)) * 100 if version == 2
                else draw(st.integers(1, 4095)))
    advert = Advertisement(version=version, vrid=draw(st.integers(1, 255)),
                           priority=draw(st.integers(0, 255)), interval_cs=interval,
                           addresses=addresses, auth_type=auth, auth_data=key)
    return advert, source, destination, key


modes = st.sampled_from(list(ChecksumMode))


@given(adverts(), modes)
def test_decode_inverts_encode(case: tuple[Advertisement, IPAddress, IPAddress, bytes],
                               mode: ChecksumMode) -> None:
    advert, source, destination, key = case
    payload = encode(advert, source=source, destination=destination, checksum=mode)
    decoded = decode(payload, source=source, destination=destination, checksums={mode},
                     auth_type=advert.auth_type, auth_key=key)
    assert decoded == advert


@given(st.binary(max_size=300), st.sampled_from([(IPv4Address("192.0.2.1"), GROUP4),
                                                (IPv6Address("fe80::1"), GROUP6)]),
       st.sampled_from([112, 51, 6]), st.sampled_from(list(AuthType)))
@example(b"\x21\x01\x64\x00\x00\x01\xdd\xfe" + bytes(8),
         (IPv4Address("192.0.2.1"), GROUP4), 112, AuthType.NONE)
def test_decoding_garbage_returns_an_advert_or_raises_malformed_only(
    data: bytes, addresses: tuple[IPAddress, IPAddress], protocol: int, auth: AuthType,
) -> None:
    source, destination = addresses
    header = bytes(20)
    try:
        advert = decode(data, source=source, destination=destination, protocol=protocol,
                        checksums=set(ChecksumMode), auth_type=auth, auth_key=b"k",
                        ip_header=header)
    except MalformedPacket:
        return
    assert isinstance(advert, Advertisement)


@given(st.binary(max_size=80))
def test_splitting_garbage_ipv4_raises_malformed_only(data: bytes) -> None:
    try:
        fields = split_ipv4_packet(data)
    except MalformedPacket:
        return
    assert len(fields.header) + len(fields.payload) == len(data)


@given(adverts(), modes, st.data())
def test_single_bit_flips_are_always_detected(
    case: tuple[Advertisement, IPAddress, IPAddress, bytes], mode: ChecksumMode,
    data: st.DataObject,
) -> None:
    """Stronger than "detected or another valid advert": a one-bit error moves a one's
    complement sum by 2**k mod 0xffff, never to another valid sum, so the checksum (or the
    version/length check before it) always catches it."""
    advert, source, destination, key = case
    payload = encode(advert, source=source, destination=destination, checksum=mode)
    bit = data.draw(st.integers(0, len(payload) * 8 - 1))
    flipped = bytearray(payload)
    flipped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(MalformedPacket):
        decode(bytes(flipped), source=source, destination=destination, checksums={mode},
               auth_type=advert.auth_type, auth_key=key)


@given(st.integers(1, 0xFFFFFFFE), st.integers(1, 0xFFFF), st.binary(min_size=1, max_size=8),
       st.booleans(), st.data())
def test_ah_bit_flips_are_detected(sequence: int, ip_id: int, key: bytes, unicast: bool,
                                   data: st.DataObject) -> None:
    source = IPv4Address("192.0.2.11")
    destination = IPv4Address("192.0.2.12") if unicast else GROUP4
    advert = Advertisement(version=2, vrid=63, priority=150, interval_cs=100,
                           addresses=(IPv4Address("192.0.2.163"),), auth_type=AuthType.AH)
    raw = build_ipv4_packet(advert, source=source, destination=destination, auth_key=key,
                            ah_sequence=sequence, ip_id=ip_id)
    # flip a bit the ICV covers: AH header (not the ICV itself) or the VRRP message
    offset = data.draw(st.sampled_from([*range(20, 32), *range(44, len(raw))]))
    flipped = bytearray(raw)
    flipped[offset] ^= 1 << data.draw(st.integers(0, 7))
    fields = split_ipv4_packet(bytes(flipped))
    try:
        decode_full(fields.payload, source=fields.source, destination=fields.destination,
                    protocol=fields.protocol, auth_type=AuthType.AH, auth_key=key,
                    ip_header=fields.header)
    except MalformedPacket:
        return
    raise AssertionError(f"flip at octet {offset} went unnoticed")


@given(adverts(), modes, st.integers(0, 2**32 - 1), st.booleans())
def test_decoding_mutants_raises_malformed_only_and_resummed_pass_the_checksum(
    case: tuple[Advertisement, IPAddress, IPAddress, bytes], mode: ChecksumMode, seed: int,
    resummed: bool,
) -> None:
    """The campaign's mutants: whatever they become, the codec answers with an advert or a
    MalformedPacket; with the checksum recomputed, never a checksum refusal."""
    advert, source, destination, key = case
    payload = encode(advert, source=source, destination=destination, checksum=mode)
    mutant = mutate(random.Random(seed), payload, source.version, [advert.vrid])
    if resummed:
        mutant = resum(mutant, source, destination, mode)
    refused: DropReason | None = None
    try:
        decoded = decode(mutant, source=source, destination=destination, checksums={mode},
                         auth_type=advert.auth_type, auth_key=key)
    except MalformedPacket as exc:
        refused = exc.reason
    else:
        assert isinstance(decoded, Advertisement)
    assert not (resummed and refused is DropReason.CHECKSUM)
