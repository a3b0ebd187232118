"""Adverts captured from real keepalived 2.2.7 (tests/data/golden/): decode and re-encode."""

from __future__ import annotations

import json
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest

from pykeepalived.vrrp.advert import Advertisement, AuthType
from pykeepalived.vrrp.checksum import ChecksumMode
from pykeepalived.vrrp.ipv4 import build_ipv4_packet, split_ipv4_packet
from pykeepalived.vrrp.packet import DropReason, MalformedPacket, decode_full, encode

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "golden"
ADVERTS = sorted(p.stem for p in GOLDEN.glob("*.json")
                 if json.loads(p.read_text())["kind"] == "advert")


def load(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    return record


def expected_advert(record: dict[str, Any]) -> Advertisement:
    exp = record["expected"]
    auth = AuthType[exp["auth_type"]]
    return Advertisement(
        version=exp["version"], vrid=exp["vrid"], priority=exp["priority"],
        interval_cs=exp["interval_cs"],
        addresses=tuple(ip_address(a) for a in exp["addresses"]),
        auth_type=auth,
        auth_data=record["auth_key"].encode().ljust(8, b"\0") if auth is AuthType.PASS else b"",
    )


def decode_record(record: dict[str, Any], **overrides: Any) -> Any:
    ip = record["ip"]
    kwargs: dict[str, Any] = {
        "source": ip_address(ip["source"]), "destination": ip_address(ip["destination"]),
        "protocol": ip["protocol"], "auth_type": AuthType[record["expected"]["auth_type"]],
        "auth_key": record.get("auth_key", "").encode(),
        "ip_header": bytes.fromhex(ip["header_hex"]),
    }
    kwargs.update(overrides)
    return decode_full(bytes.fromhex(record["payload_hex"]), **kwargs)


def test_the_capture_covers_every_format() -> None:
    assert set(ADVERTS) >= {
        "v2_none", "v2_pass", "v2_ah", "v2_ah_unicast", "v3_ipv4_multicast",
        "v3_ipv4_unicast", "v3_ipv6_multicast", "v3_ipv4_priority0",
    }


@pytest.mark.parametrize("name", ADVERTS)
def test_golden_decodes_to_the_configured_advert(name: str) -> None:
    record = load(name)
    assert decode_record(record).advert == expected_advert(record)


@pytest.mark.parametrize("name", ADVERTS)
def test_golden_reencodes_to_identical_bytes(name: str) -> None:
    record = load(name)
    decoded = decode_record(record)
    ip = record["ip"]
    payload = encode(
        decoded.advert, source=ip_address(ip["source"]),
        destination=ip_address(ip["destination"]),
        checksum=ChecksumMode(record["checksum_mode"]),
        auth_key=record.get("auth_key", "").encode(), ah_sequence=record.get("ah_sequence"),
        ip_id=ip["ident"], ttl=ip["ttl"],
    )
    assert payload.hex() == record["payload_hex"]


@pytest.mark.parametrize("name", [n for n in ADVERTS if "ipv6" not in n])
def test_golden_ipv4_packet_rebuilds_identically(name: str) -> None:
    record = load(name)
    ip = record["ip"]
    packet = bytes.fromhex(record["frame_hex"])[14:]
    fields = split_ipv4_packet(packet)
    assert (fields.protocol, fields.ttl, fields.tos) == (ip["protocol"], 255, 0xC0)
    rebuilt = build_ipv4_packet(
        expected_advert(record), source=fields.source, destination=fields.destination,
        auth_key=record.get("auth_key", "").encode(), ah_sequence=record.get("ah_sequence"),
        ip_id=fields.ident,
    )
    assert rebuilt == packet


def test_v3_ipv4_checksum_is_keepalived_variant_for_multicast_and_unicast() -> None:
    for name in ("v3_ipv4_multicast", "v3_ipv4_unicast"):
        decoded = decode_record(load(name), checksums=set(ChecksumMode))
        assert decoded.checksum is ChecksumMode.KEEPALIVED


def test_golden_unicast_is_rejected_under_the_rfc9568_checksum_only() -> None:
    with pytest.raises(MalformedPacket) as caught:
        decode_record(load("v3_ipv4_unicast"), checksums={ChecksumMode.RFC9568})
    assert caught.value.reason is DropReason.CHECKSUM


def test_golden_ah_reports_its_sequence_number() -> None:
    record = load("v2_ah")
    assert decode_record(record).ah_sequence == record["ah_sequence"]


def test_golden_ah_with_the_wrong_key_is_an_auth_failure() -> None:
    with pytest.raises(MalformedPacket) as caught:
        decode_record(load("v2_ah"), auth_key=b"ahkey13")
    assert caught.value.reason is DropReason.AUTH_FAILURE


def test_golden_ah_unicast_icv_covers_a_zeroed_ttl() -> None:
    """The same frame with a different received TTL still verifies: unicast zeroes it."""
    record = load("v2_ah_unicast")
    header = bytearray.fromhex(record["ip"]["header_hex"])
    header[8] = 64
    assert decode_record(record, ip_header=bytes(header)).ah_sequence == record["ah_sequence"]


def test_golden_ah_multicast_icv_covers_the_ttl() -> None:
    record = load("v2_ah")
    header = bytearray.fromhex(record["ip"]["header_hex"])
    header[8] = 64
    with pytest.raises(MalformedPacket) as caught:
        decode_record(record, ip_header=bytes(header))
    assert caught.value.reason is DropReason.AUTH_FAILURE


def test_golden_pass_with_the_wrong_password_is_an_auth_failure() -> None:
    with pytest.raises(MalformedPacket) as caught:
        decode_record(load("v2_pass"), auth_key=b"secret2")
    assert caught.value.reason is DropReason.AUTH_FAILURE
