"""keepalived's user-space IPsec AH: layout, ICV coverage, SPI and the replay counter."""

from __future__ import annotations

import hashlib
import hmac
import struct
from ipaddress import IPv4Address

import pytest

from pykeepalived.vrrp import ah
from pykeepalived.vrrp.advert import Advertisement, AuthType
from pykeepalived.vrrp.ipv4 import build_ipv4_packet, split_ipv4_packet
from pykeepalived.vrrp.packet import DropReason, MalformedPacket, decode_full

SRC, GROUP, PEER = IPv4Address("192.0.2.11"), IPv4Address("224.0.0.18"), IPv4Address("192.0.2.12")
ADVERT = Advertisement(version=2, vrid=63, priority=150, interval_cs=100,
                       addresses=(IPv4Address("192.0.2.163"),), auth_type=AuthType.AH)


def packet(destination: IPv4Address = GROUP, *, key: bytes = b"ahkey12", seq: int = 5,
           ip_id: int = 17) -> bytes:
    return build_ipv4_packet(ADVERT, source=SRC, destination=destination, auth_key=key,
                             ah_sequence=seq, ip_id=ip_id)


def receive(raw: bytes, key: bytes = b"ahkey12") -> int | None:
    fields = split_ipv4_packet(raw)
    return decode_full(fields.payload, source=fields.source, destination=fields.destination,
                       protocol=fields.protocol, auth_type=AuthType.AH, auth_key=key,
                       ip_header=fields.header).ah_sequence


def reason(raw: bytes, key: bytes = b"ahkey12") -> DropReason:
    with pytest.raises(MalformedPacket) as caught:
        receive(raw, key)
    return caught.value.reason


def test_layout_next_header_length_spi_sequence() -> None:
    payload = split_ipv4_packet(packet()).payload
    header = ah.unpack_header(payload)
    assert (header.next_header, header.payload_len) == (112, 4)
    assert header.spi == int(SRC)
    assert header.sequence == 5
    assert header.icv == payload[12:ah.AH_HEADER_LEN] != bytes(12)
    assert payload[ah.AH_HEADER_LEN + 4] == AuthType.AH
    assert payload[-8:] == bytes(8)


def test_icv_is_hmac_md5_96_over_zeroed_mutable_fields() -> None:
    raw = packet()
    header = bytearray(raw[:20])
    header[1] = 0
    header[6:8] = header[10:12] = b"\0\0"
    body = bytearray(raw[20:])
    body[12:24] = bytes(12)
    expected = hmac.new(b"ahkey12\0", bytes(header + body), hashlib.md5).digest()[:12]
    assert raw[32:44] == expected


def test_tos_and_fragment_field_are_not_covered() -> None:
    raw = bytearray(packet())
    raw[1] = 0x10
    raw[6] = 0x40
    assert receive(bytes(raw)) == 5


@pytest.mark.parametrize(("offset", "value"), [(4, 0x99), (8, 64), (19, 0x13)])
def test_ident_ttl_and_addresses_are_covered_for_multicast(offset: int, value: int) -> None:
    raw = bytearray(packet())
    raw[offset] = value
    assert reason(bytes(raw)) in {DropReason.AUTH_FAILURE, DropReason.CHECKSUM}


def test_unicast_icv_ignores_the_ttl() -> None:
    raw = bytearray(packet(PEER))
    raw[8] = 1
    assert receive(bytes(raw)) == 5


def test_wrong_key_is_an_auth_failure() -> None:
    assert reason(packet(), key=b"other") is DropReason.AUTH_FAILURE


def test_spi_other_than_source_is_an_auth_failure() -> None:
    """Re-seal with a forged SPI so only the SPI check can fire."""
    raw = packet()
    header, payload = raw[:20], bytearray(raw[20:])
    payload[4:8] = struct.pack("!I", int(PEER))
    icv = ah.compute_icv(header, bytes(payload), b"ahkey12", zero_ttl=False)
    payload[12:24] = icv
    assert reason(header + bytes(payload)) is DropReason.AUTH_FAILURE
    with pytest.raises(MalformedPacket) as caught:
        receive(header + bytes(payload))
    # the daemon picks keepalived's "invalid IPSEC SPI value" line by this prefix
    assert caught.value.detail.startswith("SPI ")


@pytest.mark.parametrize("missing", [1, 8, ah.AH_HEADER_LEN + 8])
def test_a_payload_shorter_than_ah_and_a_vrrp_header_is_a_length_error(missing: int) -> None:
    raw = packet()
    header, payload = bytearray(raw[:20]), raw[20:]
    short = payload[:ah.AH_HEADER_LEN + 8 - missing]
    header[2:4] = struct.pack("!H", 20 + len(short))
    assert reason(bytes(header) + short) is DropReason.PACKET_LENGTH


def test_ah_and_a_bare_vrrp_header_pass_the_length_check() -> None:
    raw = packet()
    header, payload = bytearray(raw[:20]), raw[20:]
    exact = payload[:ah.AH_HEADER_LEN + 8]
    header[2:4] = struct.pack("!H", 20 + len(exact))
    # long enough for AH: the VRRP message (one address announced, none carried) is judged
    assert reason(bytes(header) + exact) is DropReason.ADDRESS_COUNT


def test_next_header_other_than_vrrp_is_not_vrrp() -> None:
    raw = bytearray(packet())
    raw[20] = 6
    assert reason(bytes(raw)) is DropReason.NOT_VRRP


def test_truncated_ah_is_a_length_error() -> None:
    raw = packet()
    short = bytearray(raw[:20 + 30])
    short[2:4] = struct.pack("!H", len(short))
    assert reason(bytes(short)) is DropReason.PACKET_LENGTH


def test_decoding_ah_without_the_ip_header_is_api_misuse() -> None:
    payload = split_ipv4_packet(packet()).payload
    with pytest.raises(ValueError, match="IPv4 header"):
        decode_full(payload, source=SRC, destination=GROUP, protocol=51,
                    auth_type=AuthType.AH, auth_key=b"ahkey12")


def test_pad_auth_key() -> None:
    assert ah.pad_auth_key(b"ab") == b"ab\0\0\0\0\0\0"
    with pytest.raises(ValueError, match="at most 8"):
        ah.pad_auth_key(b"123456789")


@pytest.mark.parametrize("sequence", [-1, 1 << 32])
def test_seal_refuses_a_sequence_out_of_range(sequence: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        ah.seal(bytes(20), b"", key=b"k", sequence=sequence, zero_ttl=False)


@pytest.mark.parametrize("sequence", [0, 0xFFFFFFFF])
def test_seal_takes_the_whole_32_bit_range(sequence: int) -> None:
    sealed = ah.seal(bytes(20), b"", key=b"k", sequence=sequence, zero_ttl=False)
    assert ah.unpack_header(sealed).sequence == sequence


# ------------------------------------------------------------------ the replay counter


def test_sequence_counts_up_from_one() -> None:
    counter = ah.AhSequence()
    assert [counter.next_to_send() for _ in range(3)] == [1, 2, 3]


def test_receiver_accepts_only_increasing_sequences() -> None:
    counter = ah.AhSequence()
    assert [counter.accept(s) for s in (1, 3, 3, 2, 4)] == [True, True, False, False, True]
    assert counter.last == 4


def test_a_new_master_continues_above_what_it_accepted() -> None:
    counter = ah.AhSequence()
    counter.accept(41)
    counter.on_become_master()
    assert counter.next_to_send() == 42


def test_master_syncs_above_a_lower_priority_advert() -> None:
    counter = ah.AhSequence(last=3)
    counter.sync_from_lower_priority(100)
    assert counter.next_to_send() == 102


def test_the_last_number_sent_before_the_stop_is_0xfffffffe() -> None:
    counter = ah.AhSequence(last=0xFFFFFFFD)
    assert counter.next_to_send() == 0xFFFFFFFE
    assert counter.cycled is False


def test_sync_stays_within_32_bits_and_clears_the_stop() -> None:
    counter = ah.AhSequence(last=0xFFFFFFFE)
    counter.next_to_send()
    assert counter.cycled
    counter.sync_from_lower_priority(0xFFFFFFFF)
    assert (counter.last, counter.cycled) == (0xFFFFFFFF, False)


def test_counter_stops_at_the_limit_and_restarts_on_becoming_master() -> None:
    counter = ah.AhSequence(last=0xFFFFFFFE)
    assert counter.next_to_send() == 0xFFFFFFFE
    assert counter.cycled
    counter.on_become_master()
    assert (counter.cycled, counter.next_to_send()) == (False, 1)
