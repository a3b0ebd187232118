"""Live interop with real keepalived 2.2.7, and tshark's opinion of the frames we build.

Decoder: a real keepalived's VRRPv3 adverts (IPv4 and IPv6 multicast) decode to what its
config says, with keepalived's checksum variant. Encoder: tshark dissects our v2, v3
IPv4/IPv6, AH, GARP and NA frames without malformed/expert errors, and a real keepalived
master yields to a higher-priority advert we put on the wire.
"""

from __future__ import annotations

import shutil
import subprocess
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Config, Instance, Style
from netlab.frames import send_frames, write_pcap
from netlab.lab import Lab, wait_for
from netlab.peers import KeepalivedPeer
from pykeepalived.vrrp import frames
from pykeepalived.vrrp.advert import (
    VRRP_GROUP_V4,
    VRRP_GROUP_V6,
    Advertisement,
    AuthType,
    IPAddress,
)
from pykeepalived.vrrp.checksum import ChecksumMode
from pykeepalived.vrrp.ipv4 import build_ipv4_packet
from pykeepalived.vrrp.packet import decode_full, encode
from tests.conftest import skip_or_fail

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.netns, pytest.mark.keepalived]

VIP4, VIP6 = IPv4Address("192.0.2.171"), IPv6Address("2001:db8::171")


def instance(name: str, vrid: int, priority: int, vip: str, version: int = 3) -> Instance:
    return Instance(name, vrid, priority, [vip], state="BACKUP", advert="0.1",
                    version=version)


def conf(*instances: Instance) -> Config:
    """Instances alone (keepalived's global defaults), two-space indent, one-line VIPs."""
    return Config(instances, style=Style(indent="  ", inline=True))


def vrrp_frames(frames_seen: list[bytes], mac: bytes) -> list[tuple[str, bytes, bytes]]:
    """(family, ip header, payload) of VRRP frames sent by `mac`."""
    found: list[tuple[str, bytes, bytes]] = []
    for frame in frames_seen:
        if frame[6:12] != mac:
            continue
        if frame[12:14] == b"\x08\x00" and frame[23] == 112:
            found.append(("ipv4", frame[14:34], frame[34:]))
        elif frame[12:14] == b"\x86\xdd" and frame[20] == 112:
            found.append(("ipv6", frame[14:54], frame[54:]))
    return found


def test_live_keepalived_v3_adverts_decode(lab: Lab) -> None:
    a = lab.host("a")
    config = conf(instance("LIVE4", 71, 150, f"{VIP4}/24"),
                  instance("LIVE6", 72, 150, f"{VIP6}/64"))
    with lab.capture("b") as cap:
        peer = KeepalivedPeer(lab, "a", config).start()
        peer.wait_for_log("(LIVE6) Entering MASTER STATE", timeout=8)
        peer.wait_for_log("(LIVE4) Entering MASTER STATE", timeout=2)

        def enough() -> list[tuple[str, bytes, bytes]] | None:
            seen = vrrp_frames(cap.frames(), a.mac_bytes)
            families = [family for family, _, _ in seen]
            return seen if families.count("ipv4") >= 3 and families.count("ipv6") >= 3 else None

        seen = wait_for(enough, 5, what="three adverts per family")
    for family, header, payload in seen:
        source: IPAddress
        destination: IPAddress
        if family == "ipv4":
            source, destination = IPv4Address(header[12:16]), IPv4Address(header[16:20])
            ttl = header[8]
            expected = Advertisement(3, 71, 150, 10, (VIP4,))
        else:
            source, destination = IPv6Address(header[8:24]), IPv6Address(header[24:40])
            ttl = header[7]
            expected = Advertisement(3, 72, 150, 10, (VIP6,))
        decoded = decode_full(payload, source=source, destination=destination,
                              checksums=set(ChecksumMode))
        assert decoded.advert == expected
        assert ttl == 255
        assert decoded.checksum is (ChecksumMode.KEEPALIVED if family == "ipv4" else None)
    assert {IPv6Address(h[8:24]) for f, h, _ in seen if f == "ipv6"} == {a.link_local}


def our_frames(mac: bytes) -> dict[str, bytes]:
    src4, src6 = IPv4Address("192.0.2.11"), IPv6Address("fe80::ff:fe00:a01")
    mcast4 = frames.ethernet_header(frames.multicast_mac(VRRP_GROUP_V4), mac, 0x0800)
    v2 = Advertisement(2, 61, 150, 100, (VIP4,))
    v3_6 = Advertisement(3, 66, 150, 100, (VIP6,))
    payload6 = encode(v3_6, source=src6, destination=VRRP_GROUP_V6)
    ip6 = frames.ipv6_header(source=src6, destination=VRRP_GROUP_V6, next_header=112,
                             payload_length=len(payload6))
    return {
        "v2": mcast4 + build_ipv4_packet(v2, source=src4, destination=VRRP_GROUP_V4, ip_id=1),
        "v2_pass": mcast4 + build_ipv4_packet(
            Advertisement(2, 62, 150, 100, (VIP4,), AuthType.PASS, b"secret1\0"),
            source=src4, destination=VRRP_GROUP_V4, ip_id=2),
        "v2_ah": mcast4 + build_ipv4_packet(
            Advertisement(2, 63, 150, 100, (VIP4,), AuthType.AH), source=src4,
            destination=VRRP_GROUP_V4, auth_key=b"ahkey12", ah_sequence=9, ip_id=3),
        "v3_ipv4": mcast4 + build_ipv4_packet(Advertisement(3, 64, 150, 100, (VIP4,)),
                                              source=src4, destination=VRRP_GROUP_V4, ip_id=4),
        "v3_ipv6": frames.ethernet_header(frames.multicast_mac(VRRP_GROUP_V6), mac, 0x86DD)
        + ip6 + payload6,
        "garp": frames.gratuitous_arp(VIP4, mac),
        "na": frames.unsolicited_na(VIP6, mac),
    }


def tshark(pcap: Path, *fields: str) -> subprocess.CompletedProcess[str]:
    """tshark 4.0 with VRRPv3 IPv4 checksums as keepalived computes them (pseudo-header)."""
    result = subprocess.run(
        ["tshark", "-r", str(pcap), "-o", "vrrp.v3_checksum_as_in_v2:FALSE", "-T", "fields",
         *fields],
        capture_output=True, text=True, timeout=20, check=False)
    if result.returncode != 0:
        pytest.fail(f"tshark refused: {result.stderr.strip()}")
    return result


def test_tshark_dissects_our_frames_without_complaint(tmp_path: Path) -> None:
    if shutil.which("tshark") is None:
        skip_or_fail("needs tshark")
    built = our_frames(frames.parse_mac("02:00:00:00:0a:01"))
    pcap = tmp_path / "ours.pcap"
    write_pcap(pcap, list(built.values()))
    result = tshark(pcap, "-e", "frame.protocols", "-e", "_ws.expert", "-e", "_ws.malformed")
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == len(built), result.stderr
    for name, row in zip(built, rows, strict=True):
        protocols, expert, malformed = [*row, "", ""][:3]
        expected = {"garp": "arp", "na": "icmpv6", "v2_ah": "ah"}.get(name, "vrrp")
        assert expected in protocols.split(":"), (name, protocols)
        assert not expert, (name, row)
        assert not malformed, (name, row)


def test_tshark_verifies_our_vrrp_checksums(tmp_path: Path) -> None:
    if shutil.which("tshark") is None:
        skip_or_fail("needs tshark")
    built = our_frames(frames.parse_mac("02:00:00:00:0a:01"))
    pcap = tmp_path / "ours.pcap"
    write_pcap(pcap, [built[name] for name in ("v2", "v2_pass", "v3_ipv4", "v3_ipv6")])
    result = tshark(pcap, "-e", "vrrp.checksum.status")
    assert result.stdout.split() == ["1", "1", "1", "1"]  # 1 = "Good"


def test_keepalived_master_yields_to_our_higher_priority_advert(lab: Lab) -> None:
    b = lab.host("b")
    peer = KeepalivedPeer(lab, "a", conf(instance("YIELD", 73, 100, f"{VIP4}/24"))).start()
    peer.wait_for_log("(YIELD) Entering MASTER STATE", timeout=8)
    ours = Advertisement(3, 73, 200, 10, (VIP4,))
    frame = (frames.ethernet_header(frames.multicast_mac(VRRP_GROUP_V4), b.mac_bytes, 0x0800)
             + build_ipv4_packet(ours, source=b.ipv4, destination=VRRP_GROUP_V4, ip_id=1))
    send_frames(lab, "b", [frame], count=5, gap=0.05)
    log = peer.wait_for_log("(YIELD) Entering BACKUP STATE (", timeout=3)
    assert f"Master received advert from {b.ipv4} with higher priority 200, ours 100" in log
    assert "checksum" not in log.lower()
