"""tshark, an independent dissector, reads pykeepalived's live traffic without a complaint.

One daemon runs three instances (VRRPv2 with PASS, VRRPv3 IPv4, VRRPv3 IPv6) and takes
over all three alone, then stops; a silent host captures everything it sent: adverts of
each kind, priority-0 adverts, gratuitous ARPs and unsolicited NAs. Every frame must
dissect with no malformed flag and no expert warning, every checksum tshark can verify
must be good, and each kind of frame must be there.
"""

from __future__ import annotations

import shutil
import subprocess
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Auth, Config, GlobalDefs, Instance
from netlab.frames import write_pcap
from netlab.lab import Host, wait_for
from netlab.peers import PyNode, wait_address
from tests.conftest import skip_or_fail
from tests.netns.interop.cluster import LAB_BASE, PREFIX, V2_TAKEOVER
from tests.netns.interop.craft import Attacker

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from netlab.lab import Lab

#: Wireshark's expert severities (epan/proto.h PI_WARN, PI_ERROR); note/chat are benign
WARNING_SEVERITY = 0x00600000
FIELDS = ("frame.number", "frame.protocols", "_ws.malformed", "_ws.expert.severity",
          "_ws.expert.message", "vrrp.version", "vrrp.prio", "vrrp.checksum.status",
          "icmpv6.type", "icmpv6.checksum.status", "ip.checksum.status", "arp.opcode")

THREE_INSTANCES = Config(
    global_defs=GlobalDefs(router_id="iop-tshark", garp_master_delay=1),
    instances=[
        Instance("VI_V2", 210, 200, ["192.0.2.210/24"], version=2, advert="1",
                 auth=Auth("PASS", "iop-210")),
        Instance("VI_V3", 211, 200, ["192.0.2.211/24"], version=3, advert="0.1"),
        Instance("VI_V6", 212, 200, ["2001:db8::212/64"], version=3, advert="0.1"),
    ])


def dissect(pcap: Path) -> list[dict[str, str]]:
    """One dict per frame of the fields above, as tshark reports them."""
    argv = ["tshark", "-n", "-r", str(pcap), "-T", "fields", "-E", "separator=/t",
            "-E", "occurrence=a", "-E", "aggregator=,"]
    for name in FIELDS:
        argv += ["-e", name]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout
    return [dict(zip(FIELDS, line.split("\t"), strict=True)) for line in out.splitlines()]


def complaints(frame: dict[str, str]) -> list[str]:
    """Why tshark is unhappy with a frame: malformed, warnings, bad checksums."""
    found = []
    if frame["_ws.malformed"] or "malformed" in frame["frame.protocols"]:
        found.append("malformed")
    severities = [int(s, 0) for s in frame["_ws.expert.severity"].split(",") if s]
    if any(s >= WARNING_SEVERITY for s in severities):
        found.append(f"expert: {frame['_ws.expert.message']}")
    for name in ("vrrp.checksum.status", "icmpv6.checksum.status", "ip.checksum.status"):
        # 1 = good; 2 (unverified) is what tshark reports when it cannot check
        if any(status not in ("1", "2") for status in frame[name].split(",") if status):
            found.append(f"{name}={frame[name]}")
    return found


@pytest.mark.netns
@pytest.mark.slow
def test_tshark_dissects_a_live_takeover_cleanly(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "w"), prefix=PREFIX, base=LAB_BASE)
    sender = lab.host("a")
    node = PyNode(lab, "a", THREE_INSTANCES)
    with lab.capture("w", ["ether", "src", sender.mac]) as capture:
        node.start()
        for vip in ("192.0.2.210", "192.0.2.211", "2001:db8::212"):
            wait_address(lab, "a", vip, timeout=V2_TAKEOVER)
        # the delayed GARP/NA burst (vrrp_garp_master_delay 1) is part of a takeover
        wait_for(lambda: all(node.log().count(f"({name}) Sending/queueing") >= 2
                             for name in ("VI_V2", "VI_V3", "VI_V6")), 5.0,
                 what="the delayed GARP/NA burst of every instance")
        assert node.stop() == 0
    frames = dissect(capture.path)

    assert [(f["frame.number"], complaints(f)) for f in frames if complaints(f)] == []
    vrrp = [f for f in frames if f["vrrp.version"]]
    kinds = {(f["vrrp.version"], "ipv6" in f["frame.protocols"]) for f in vrrp}
    assert kinds == {("2", False), ("3", False), ("3", True)}
    assert all(f["vrrp.checksum.status"] == "1" for f in vrrp)
    assert {f["vrrp.version"] for f in vrrp if f["vrrp.prio"] == "0"} == {"2", "3"}
    assert any(f["arp.opcode"] for f in frames), "no gratuitous ARP captured"
    assert any(f["icmpv6.type"] == "136" for f in frames), "no unsolicited NA captured"


def test_complaints_flag_what_tshark_dislikes(tmp_path: Path) -> None:
    """The detector above is not blind: a bad checksum and a cut frame are reported."""
    if shutil.which("tshark") is None:
        skip_or_fail("needs tshark")
    attacker = Attacker(Host(name="x", namespace="-", index=1, mac="02:00:00:00:dc:01",
                             ipv4=IPv4Address("192.0.2.221"),
                             ipv6=IPv6Address("2001:db8::221"), bridge_port="-"))
    good = attacker.frame(attacker.message(211, ("192.0.2.211",)))
    pcap = tmp_path / "bad.pcap"
    write_pcap(pcap, [good, attacker.bad_checksum(211, ("192.0.2.211",)), good[:40]])
    found = [complaints(frame) for frame in dissect(pcap)]
    assert found[0] == []
    assert "vrrp.checksum.status=0" in found[1]
    assert "malformed" in found[2]
