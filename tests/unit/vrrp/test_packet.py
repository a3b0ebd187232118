"""The VRRP codec: round trips, the three v3 IPv4 checksums, and every drop reason."""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest

from pykeepalived.vrrp.advert import Advertisement, AuthType
from pykeepalived.vrrp.checksum import ChecksumMode, internet_checksum, pseudo_header_sum
from pykeepalived.vrrp.ipv4 import build_ipv4_packet, split_ipv4_packet
from pykeepalived.vrrp.packet import DropReason, MalformedPacket, decode, decode_full, encode

SRC4, DST4 = IPv4Address("192.0.2.12"), IPv4Address("192.0.2.11")
GROUP4 = IPv4Address("224.0.0.18")
SRC6, GROUP6 = IPv6Address("fe80::ff:fe00:a01"), IPv6Address("ff02::12")
VIP4 = (IPv4Address("192.0.2.100"),)
#: keepalived-reference.md §2.2: keepalived 2.2.7, v3 unicast 192.0.2.12 -> 192.0.2.11.
LAB_VECTOR = bytes.fromhex("313364010064236ec0000264")


def v3(**changes: Any) -> Advertisement:
    fields: dict[str, Any] = {"version": 3, "vrid": 51, "priority": 100, "interval_cs": 100,
                              "addresses": VIP4}
    fields.update(changes)
    return Advertisement(**fields)


def v2(**changes: Any) -> Advertisement:
    return v3(version=2, **changes)


def drop_reason(payload: bytes, **kwargs: Any) -> DropReason:
    kwargs.setdefault("source", SRC4)
    kwargs.setdefault("destination", GROUP4)
    with pytest.raises(MalformedPacket) as caught:
        decode(payload, **kwargs)
    return caught.value.reason


def resum(message: bytes) -> bytes:
    """Fix a v2 checksum after crafting, so the check under test is the one that fires."""
    zeroed = message[:6] + b"\0\0" + message[8:]
    return zeroed[:6] + struct.pack("!H", internet_checksum(zeroed)) + zeroed[8:]


# ------------------------------------------------------------------ checksum variants


@pytest.mark.parametrize(("mode", "checksum"), [
    (ChecksumMode.KEEPALIVED, 0x236E), (ChecksumMode.OLD_UNICAST, 0x0567),
    (ChecksumMode.RFC9568, 0xA802),
])
def test_v3_ipv4_checksum_variants_match_the_lab_vector(mode: ChecksumMode, checksum: int) -> None:
    payload = encode(v3(), source=SRC4, destination=DST4, checksum=mode)
    assert payload == LAB_VECTOR[:6] + struct.pack("!H", checksum) + LAB_VECTOR[8:]


def test_lab_vector_decodes_and_reports_the_keepalived_variant() -> None:
    decoded = decode_full(LAB_VECTOR, source=SRC4, destination=DST4,
                          checksums=set(ChecksumMode))
    assert decoded.advert == v3()
    assert decoded.checksum is ChecksumMode.KEEPALIVED


def test_old_unicast_peer_is_detected_when_accepted() -> None:
    old = encode(v3(), source=SRC4, destination=DST4, checksum=ChecksumMode.OLD_UNICAST)
    decoded = decode_full(old, source=SRC4, destination=DST4,
                          checksums={ChecksumMode.KEEPALIVED, ChecksumMode.OLD_UNICAST})
    assert decoded.checksum is ChecksumMode.OLD_UNICAST
    assert drop_reason(old, destination=DST4) is DropReason.CHECKSUM


def test_multicast_keepalived_and_old_unicast_are_the_same_checksum() -> None:
    a = encode(v3(), source=SRC4, destination=GROUP4, checksum=ChecksumMode.KEEPALIVED)
    b = encode(v3(), source=SRC4, destination=GROUP4, checksum=ChecksumMode.OLD_UNICAST)
    assert a == b


def test_v2_checksum_ignores_the_mode_and_covers_auth_data() -> None:
    # RFC 3768 §5.3.8: the one's complement sum of the whole VRRP message, auth data
    # included, no pseudo-header. Worked by hand over the 16-bit words 2133 6401 0101
    # (checksum 0000) C000 0264 and "Pa55w0rd" = 5061 3535 7730 7264: the sum is 0x2B7C3,
    # folded 0xB7C5, complement 0x483A. Without the auth words it would be 0xB765, and
    # all-zero auth data (no auth) could not tell the two apart.
    advert = v2(auth_type=AuthType.PASS, auth_data=b"Pa55w0rd")
    for mode in ChecksumMode:
        for destination in (GROUP4, DST4):
            payload = encode(advert, source=SRC4, destination=destination, checksum=mode)
            assert payload[6:8] == b"\x48\x3a", (mode, destination)
    assert len(payload) == 8 + 4 + 8


def test_v3_ipv6_checksum_uses_the_pseudo_header() -> None:
    advert = v3(addresses=(IPv6Address("2001:db8::100"),))
    payload = encode(advert, source=SRC6, destination=GROUP6)
    assert decode(payload, source=SRC6, destination=GROUP6) == advert
    assert drop_reason(payload, source=IPv6Address("fe80::1"),
                       destination=GROUP6) is DropReason.CHECKSUM


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("advert", [
    v2(), v2(priority=0, interval_cs=25500), v2(addresses=()),
    v2(auth_type=AuthType.PASS, auth_data=b"12345678"),
    v3(), v3(interval_cs=1), v3(interval_cs=4095, priority=255, vrid=255),
    v3(addresses=tuple(IPv4Address(f"192.0.2.{i}") for i in range(1, 21))),
], ids=repr)
def test_ipv4_round_trip(advert: Advertisement) -> None:
    kwargs: dict[str, Any] = {}
    if advert.auth_type is AuthType.PASS:
        kwargs = {"auth_type": AuthType.PASS, "auth_key": advert.auth_data}
    payload = encode(advert, source=SRC4, destination=GROUP4)
    assert decode(payload, source=SRC4, destination=GROUP4, **kwargs) == advert


def test_ipv6_round_trip_with_several_addresses() -> None:
    advert = v3(addresses=(IPv6Address("fe80::100"), IPv6Address("2001:db8::100")))
    payload = encode(advert, source=SRC6, destination=GROUP6)
    assert len(payload) == 8 + 32
    assert decode(payload, source=SRC6, destination=GROUP6) == advert


def test_pass_password_is_nul_padded_on_the_wire() -> None:
    payload = encode(v2(auth_type=AuthType.PASS), source=SRC4, destination=GROUP4,
                     auth_key=b"pw")
    assert payload[-8:] == b"pw\0\0\0\0\0\0"
    decoded = decode(payload, source=SRC4, destination=GROUP4, auth_type=AuthType.PASS,
                     auth_key=b"pw")
    assert decoded.auth_data == b"pw\0\0\0\0\0\0"


@pytest.mark.parametrize("octet", range(8))
def test_every_octet_of_a_pass_password_counts(octet: int) -> None:
    # RFC 3768 §5.3.10: the whole 8-octet field is compared. Keys of 8 octets differing in
    # one place only (the golden capture's 7-octet key never exercises the eighth).
    key = b"Pa55w0rd"
    other = key[:octet] + bytes([key[octet] ^ 0x01]) + key[octet + 1:]
    payload = encode(v2(auth_type=AuthType.PASS), source=SRC4, destination=GROUP4,
                     auth_key=key)
    assert drop_reason(payload, auth_type=AuthType.PASS, auth_key=other) is (
        DropReason.AUTH_FAILURE)


def test_a_pass_password_one_octet_short_is_refused() -> None:
    payload = encode(v2(auth_type=AuthType.PASS), source=SRC4, destination=GROUP4,
                     auth_key=b"Pa55w0rd")
    assert drop_reason(payload, auth_type=AuthType.PASS, auth_key=b"Pa55w0r") is (
        DropReason.AUTH_FAILURE)


def test_ah_round_trip_reports_the_sequence() -> None:
    advert = v2(auth_type=AuthType.AH)
    packet = build_ipv4_packet(advert, source=SRC4, destination=GROUP4, auth_key=b"k",
                               ah_sequence=7, ip_id=3)
    fields = split_ipv4_packet(packet)
    assert fields.protocol == 51
    decoded = decode_full(fields.payload, source=SRC4, destination=GROUP4, protocol=51,
                          auth_type=AuthType.AH, auth_key=b"k", ip_header=fields.header)
    assert (decoded.advert, decoded.ah_sequence) == (advert, 7)


# ------------------------------------------------------------------ encode misuse


@pytest.mark.parametrize(("advert", "source", "destination", "kwargs"), [
    (v2(interval_cs=150), SRC4, GROUP4, {}),
    (v2(interval_cs=25600), SRC4, GROUP4, {}),
    (v3(interval_cs=0), SRC4, GROUP4, {}),
    (v3(interval_cs=4096), SRC4, GROUP4, {}),
    (v3(addresses=()), SRC4, GROUP4, {}),
    (v3(vrid=0), SRC4, GROUP4, {}),
    (v3(vrid=256), SRC4, GROUP4, {}),
    (v3(addresses=tuple(IPv4Address(i) for i in range(1, 257))), SRC4, GROUP4, {}),
    (v3(priority=256), SRC4, GROUP4, {}),
    (v3(version=4), SRC4, GROUP4, {}),
    (v2(addresses=(IPv6Address("2001:db8::1"),)), SRC6, GROUP6, {}),
    (v3(), SRC6, GROUP6, {}),
    (v3(), SRC4, GROUP6, {}),
    (v3(auth_type=AuthType.PASS), SRC4, GROUP4, {}),
    (v2(auth_type=AuthType.PASS), SRC4, GROUP4, {"auth_key": b"123456789"}),
    (v2(auth_type=AuthType.PASS, auth_data=b"a"), SRC4, GROUP4, {"auth_key": b"b"}),
    (v2(auth_type=AuthType.AH), SRC4, GROUP4, {"auth_key": b"k", "ah_sequence": 1}),
    (v2(auth_type=AuthType.AH), SRC4, GROUP4, {"ah_sequence": 1, "ip_id": 1}),
    (v2(auth_type=AuthType.AH), SRC4, GROUP4,
     {"auth_key": b"k", "ah_sequence": 1, "ip_id": 0x10000}),
])
def test_unencodable_adverts_are_value_errors(advert: Advertisement, source: Any,
                                              destination: Any, kwargs: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        encode(advert, source=source, destination=destination, **kwargs)


# ------------------------------------------------------------------ drop reasons


GOOD_V3 = encode(v3(), source=SRC4, destination=GROUP4)
GOOD_V2 = encode(v2(), source=SRC4, destination=GROUP4)


def test_short_packet_is_a_length_error() -> None:
    assert drop_reason(GOOD_V3[:7]) is DropReason.PACKET_LENGTH
    assert DropReason.PACKET_LENGTH.counter == "packet_len_err"


def test_unknown_version_is_a_version_error_before_the_checksum() -> None:
    assert drop_reason(b"\x41" + GOOD_V3[1:]) is DropReason.VERSION


def test_the_count_field_holds_up_to_255_addresses() -> None:
    advert = v3(addresses=tuple(IPv4Address(i) for i in range(1, 256)))
    payload = encode(advert, source=SRC4, destination=GROUP4)
    assert payload[3] == 255
    assert decode(payload, source=SRC4, destination=GROUP4) == advert


def test_v2_header_over_ipv6_with_a_fitting_length_is_a_version_error() -> None:
    # 8 + 16 x 1 octets fits keepalived's IPv6 length rule; then v2 is refused by version
    crafted = bytes([0x21, 51, 100, 1]) + bytes(4) + IPv6Address("2001:db8::1").packed
    assert drop_reason(crafted, source=SRC6, destination=GROUP6) is DropReason.VERSION


def test_v2_over_ipv6_is_a_length_error_as_in_keepalived() -> None:
    # keepalived sizes an IPv6 packet as 8 + 16 x count: a v2 message never fits
    assert drop_reason(GOOD_V2, source=SRC6, destination=GROUP6) is DropReason.ADDRESS_COUNT


def test_corrupt_octet_is_a_checksum_error() -> None:
    assert drop_reason(GOOD_V3[:2] + b"\x65" + GOOD_V3[3:]) is DropReason.CHECKSUM
    assert drop_reason(GOOD_V2[:-1] + b"\x01") is DropReason.CHECKSUM


def test_wrong_type_is_counted_as_invalid_type() -> None:
    crafted = resum(b"\x22" + GOOD_V2[1:])
    assert drop_reason(crafted) is DropReason.INVALID_TYPE
    assert DropReason.INVALID_TYPE.counter == "invalid_type_rcvd"


def test_count_inconsistent_with_length_is_an_address_count_error() -> None:
    crafted = resum(GOOD_V2[:3] + b"\x02" + GOOD_V2[4:])
    assert drop_reason(crafted) is DropReason.ADDRESS_COUNT
    assert DropReason.ADDRESS_COUNT.counter == "packet_len_err"


def test_v3_with_no_addresses_is_dropped() -> None:
    # RFC 9568 erratum 8299: count 0 MUST be ignored; RFC 9568 checksum keeps crafting simple
    header = b"\x31\x33\x64\x00\x00\x64\x00\x00"
    crafted = header[:6] + struct.pack("!H", internet_checksum(header)) + header[8:]
    reason = drop_reason(crafted, checksums={ChecksumMode.RFC9568})
    assert reason is DropReason.NO_ADDRESSES
    assert reason.counter == "addr_list_err"


def test_v3_with_interval_zero_is_dropped() -> None:
    unsummed = b"\x31\x33\x64\x01\xf0\x00\x00\x00" + VIP4[0].packed
    crafted = unsummed[:6] + struct.pack("!H", internet_checksum(unsummed)) + unsummed[8:]
    assert drop_reason(crafted, checksums={ChecksumMode.RFC9568}) is DropReason.INTERVAL_ZERO


def test_v3_reserved_bits_are_ignored() -> None:
    unsummed = b"\x31\x33\x64\x01\xf0\x64\x00\x00" + VIP4[0].packed
    crafted = unsummed[:6] + struct.pack("!H", internet_checksum(unsummed)) + unsummed[8:]
    decoded = decode(crafted, source=SRC4, destination=GROUP4,
                     checksums={ChecksumMode.RFC9568})
    assert decoded.interval_cs == 100


def test_unknown_v2_auth_type_is_invalid_authtype() -> None:
    crafted = resum(GOOD_V2[:4] + b"\x03" + GOOD_V2[5:])
    assert drop_reason(crafted) is DropReason.INVALID_AUTHTYPE


def test_v2_auth_type_other_than_configured_is_a_mismatch() -> None:
    assert drop_reason(GOOD_V2, auth_type=AuthType.PASS,
                       auth_key=b"x") is DropReason.AUTHTYPE_MISMATCH


def test_ah_packet_without_ah_configured_is_a_mismatch() -> None:
    assert drop_reason(GOOD_V2, protocol=51) is DropReason.AUTHTYPE_MISMATCH


def test_v2_nonzero_auth_data_with_auth_none_is_ignored() -> None:
    crafted = resum(GOOD_V2[:-8] + b"garbage!")
    assert decode(crafted, source=SRC4, destination=GROUP4) == v2()


def test_v3_ignores_the_configured_v2_authentication() -> None:
    decoded = decode(GOOD_V3, source=SRC4, destination=GROUP4, auth_type=AuthType.PASS,
                     auth_key=b"x")
    assert decoded == v3()


def test_other_ip_protocol_is_not_vrrp() -> None:
    assert drop_reason(GOOD_V3, protocol=17) is DropReason.NOT_VRRP


def test_checks_run_in_keepalived_order_length_version_auth_type_checksum() -> None:
    """A packet wrong in several ways is counted for the first check in keepalived's order
    (vrrp_check_packet), so an exporter sees the same counter move for either daemon."""
    everything_wrong = b"\x44" + GOOD_V3[1:6] + b"\0\0" + GOOD_V3[8:] + b"\0"
    assert drop_reason(everything_wrong) is DropReason.ADDRESS_COUNT
    version_and_sum = b"\x44" + GOOD_V3[1:6] + b"\0\0" + GOOD_V3[8:]
    assert drop_reason(version_and_sum) is DropReason.VERSION
    bad_sum_and_type = b"\x32" + GOOD_V3[1:]
    assert drop_reason(bad_sum_and_type) is DropReason.INVALID_TYPE


def test_malformed_packet_carries_a_readable_detail() -> None:
    with pytest.raises(MalformedPacket, match=r"^version: version 4$"):
        decode(b"\x41" + GOOD_V3[1:], source=SRC4, destination=GROUP4)


def test_ttl_is_the_callers_check_but_shares_the_vocabulary() -> None:
    assert DropReason.IP_TTL.counter == "ip_ttl_err"


# ------------------------------------------------------------------ whole IPv4 packets


def test_built_ipv4_packet_has_keepalived_header_fields() -> None:
    packet = build_ipv4_packet(v3(), source=SRC4, destination=GROUP4, ip_id=9)
    fields = split_ipv4_packet(packet)
    assert (fields.tos, fields.ttl, fields.protocol, fields.ident) == (0xC0, 255, 112, 9)
    assert internet_checksum(packet[:20]) == 0
    assert decode(fields.payload, source=fields.source,
                  destination=fields.destination) == v3()


@pytest.mark.parametrize("packet", [
    b"", b"\x45" * 19, b"\x65" + bytes(23),
    build_ipv4_packet(v3(), source=SRC4, destination=GROUP4)[:-1],
    b"\x44" + build_ipv4_packet(v3(), source=SRC4, destination=GROUP4)[1:],
])
def test_truncated_or_inconsistent_ipv4_packets_are_length_errors(packet: bytes) -> None:
    with pytest.raises(MalformedPacket) as caught:
        split_ipv4_packet(packet)
    assert caught.value.reason is DropReason.PACKET_LENGTH


def test_a_bare_ipv4_header_splits_into_an_empty_payload() -> None:
    header = build_ipv4_packet(v3(), source=SRC4, destination=GROUP4)[:20]
    bare = header[:2] + struct.pack("!H", 20) + header[4:]
    fields = split_ipv4_packet(bare)
    assert (fields.payload, fields.source) == (b"", SRC4)


@pytest.mark.parametrize("ip_id", [1, 0x8000, 0xFFFF])
def test_the_ip_ident_is_read_unsigned(ip_id: int) -> None:
    packet = build_ipv4_packet(v3(), source=SRC4, destination=GROUP4, ip_id=ip_id)
    assert split_ipv4_packet(packet).ident == ip_id


def test_a_unicast_ttl_is_carried_in_the_header() -> None:
    # unicast_ttl: keepalived sends unicast adverts with the configured TTL, AH ones too
    for advert, kwargs in ((v3(), {}),
                           (v2(auth_type=AuthType.AH), {"auth_key": b"k", "ah_sequence": 1})):
        packet = build_ipv4_packet(advert, source=SRC4, destination=DST4, ip_id=7, ttl=64,
                                   **kwargs)
        assert split_ipv4_packet(packet).ttl == 64


def test_an_ah_packet_to_a_group_verifies_with_the_ttl_it_was_built_with() -> None:
    # the multicast ICV covers the TTL, so the one sealed must be the one sent
    advert = v2(auth_type=AuthType.AH)
    packet = build_ipv4_packet(advert, source=SRC4, destination=GROUP4, auth_key=b"k",
                               ah_sequence=1, ip_id=7, ttl=64)
    fields = split_ipv4_packet(packet)
    decoded = decode_full(fields.payload, source=SRC4, destination=GROUP4, protocol=51,
                          auth_type=AuthType.AH, auth_key=b"k", ip_header=fields.header)
    assert decoded.advert == advert


@pytest.mark.parametrize("mode", list(ChecksumMode))
def test_a_built_packet_uses_the_checksum_mode_asked_for(mode: ChecksumMode) -> None:
    packet = build_ipv4_packet(v3(), source=SRC4, destination=DST4, checksum=mode)
    assert split_ipv4_packet(packet).payload == encode(v3(), source=SRC4, destination=DST4,
                                                        checksum=mode)


# ------------------------------------------------------------------ RFC 1071 arithmetic


def test_a_sum_of_exactly_0x10000_folds_its_carry() -> None:
    # FFFF + 0001 = 0x10000, folded to 0x0001, complemented to 0xFFFE
    assert internet_checksum(b"\xff\xff\x00\x01") == 0xFFFE


def test_odd_length_data_is_padded_with_one_zero_octet() -> None:
    # RFC 1071 §4.1: the last octet is the high half of a word: 0x0100 -> 0xFEFF
    assert internet_checksum(b"\x01") == 0xFEFF
    assert internet_checksum(b"\x12\x34\x56") == internet_checksum(b"\x12\x34\x56\x00")
    assert internet_checksum(b"\x12\x34\x56") == ~(0x1234 + 0x5600) & 0xFFFF


@pytest.mark.parametrize(("source", "destination"), [(SRC4, GROUP6), (SRC6, GROUP4)])
def test_a_pseudo_header_refuses_mixed_families(source: Any, destination: Any) -> None:
    with pytest.raises(ValueError, match="differ in family"):
        pseudo_header_sum(source, destination, 112, 12)
