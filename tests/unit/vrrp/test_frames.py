"""Gratuitous ARP and unsolicited NA frames: byte-identical to keepalived 2.2.7's."""

from __future__ import annotations

import json
import struct
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest

from pykeepalived.vrrp import frames
from pykeepalived.vrrp.checksum import internet_checksum, pseudo_header_sum

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "golden"
MAC = frames.parse_mac("02:00:00:00:0a:01")


def golden(name: str) -> dict[str, object]:
    record: dict[str, object] = json.loads((GOLDEN / f"{name}.json").read_text())
    return record


def test_garp_matches_keepalived_capture() -> None:
    record = golden("garp")
    built = frames.gratuitous_arp(IPv4Address(str(record["vip"])),
                                  frames.parse_mac(str(record["mac"])))
    assert built.hex() == record["frame_hex"]


def test_na_matches_keepalived_capture() -> None:
    record = golden("na")
    built = frames.unsolicited_na(IPv6Address(str(record["vip"])),
                                  frames.parse_mac(str(record["mac"])),
                                  router=bool(record["router_flag"]))
    assert built.hex() == record["frame_hex"]


def test_garp_layout() -> None:
    vip = IPv4Address("192.0.2.100")
    frame = frames.gratuitous_arp(vip, MAC)
    assert frame[:6] == frames.BROADCAST_MAC
    assert frame[6:12] == MAC
    assert struct.unpack_from("!HHHBBH", frame, 12) == (0x0806, 1, 0x0800, 6, 4, 1)
    assert frame[22:28] == MAC
    assert frame[28:32] == frame[38:42] == vip.packed
    assert frame[32:38] == frames.BROADCAST_MAC
    assert len(frame) == 42


@pytest.mark.parametrize("router", [False, True])
def test_na_layout_flags_and_checksum(router: bool) -> None:
    vip = IPv6Address("2001:db8::100")
    frame = frames.unsolicited_na(vip, MAC, router=router)
    assert frame[:6] == bytes.fromhex("333300000001")
    ip, icmp = frame[14:54], frame[54:]
    assert ip[0] >> 4 == 6
    assert (ip[6], ip[7]) == (58, 255)
    assert (ip[8:24], ip[24:40]) == (vip.packed, frames.ALL_NODES_V6.packed)
    assert icmp[0] == 136
    expected_flags = frames.NA_FLAG_OVERRIDE | (frames.NA_FLAG_ROUTER if router else 0)
    assert icmp[4] == expected_flags
    assert icmp[8:24] == vip.packed
    assert icmp[24:32] == b"\x02\x01" + MAC
    start = pseudo_header_sum(vip, frames.ALL_NODES_V6, 58, len(icmp))
    assert internet_checksum(icmp, start) == 0


def test_ipv4_header_checksum_is_valid() -> None:
    header = frames.ipv4_header(source=IPv4Address("192.0.2.1"),
                                destination=IPv4Address("224.0.0.18"), protocol=112,
                                payload_length=20, tos=0xC0, ident=7)
    assert internet_checksum(header) == 0
    assert struct.unpack_from("!H", header, 2)[0] == 40


@pytest.mark.parametrize(("group", "mac"), [
    (IPv4Address("224.0.0.18"), "01:00:5e:00:00:12"),
    (IPv4Address("239.129.2.3"), "01:00:5e:01:02:03"),
    (IPv6Address("ff02::12"), "33:33:00:00:00:12"),
])
def test_multicast_mac(group: IPv4Address | IPv6Address, mac: str) -> None:
    assert frames.format_mac(frames.multicast_mac(group)) == mac


def test_multicast_mac_of_a_unicast_address_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a multicast"):
        frames.multicast_mac(IPv4Address("192.0.2.1"))


@pytest.mark.parametrize("text", ["", "02:00:00:00:00", "02:00:00:00:00:0g", "0200.0000.0001"])
def test_bad_mac_text_is_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match="not a MAC"):
        frames.parse_mac(text)


def test_short_mac_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="6 octets"):
        frames.gratuitous_arp(IPv4Address("192.0.2.1"), b"\x02\x00")


def test_an_na_without_a_router_argument_leaves_the_router_flag_clear() -> None:
    # the daemon's executor sends its NAs with the default
    vip = IPv6Address("2001:db8::100")
    flags = frames.unsolicited_na(vip, MAC)[14 + 40 + 4]
    assert flags == frames.NA_FLAG_OVERRIDE
