"""use_vmac on a real kernel: the VIP answers with 00:00:5e:00:01:VRID from whichever node
is master, the macvlan and its sysctls exist while the daemon runs and are gone after.

Hosts 192.0.2.241 (a), .242 (b), .243 (client c); VRIDs 251-253, VIPs 192.0.2.251-253.

The master answers the client's ARP for the VIP from the vmac, but to send the echo reply
its kernel ARPs for the client out of eth0 (the connected route), by default naming the
VIP as sender with the NIC MAC, which moves the client's entry to the NIC MAC. keepalived
2.2.7 does exactly the same (checked in a lab); admins set arp_announce=2 on the parent,
and so do these tests on a and b, so that `ip neigh` on the client keeps the virtual MAC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.lab import wait_for
from netlab.peers import KeepalivedPeer, PyNode

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from netlab.conf import Config
    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

TAKEOVER = 5.0
BASE = 240
VMAC_251 = "00:00:5e:00:01:fb"
VMAC_252 = "00:00:5e:00:01:fc"


def conf(vrid: int, priority: int, extra: Sequence[str] = ("use_vmac",)) -> Config:
    return instance_conf(vrid=vrid, priority=priority, vip=f"192.0.2.{vrid}/32", extra=extra)


def link_shown(lab: Lab, host: str, ifname: str) -> str:
    return lab.run(host, ["ip", "-d", "-o", "link", "show", "dev", ifname], check=False).stdout


def vip_on(lab: Lab, host: str, ifname: str, vip: str) -> bool:
    shown = lab.run(host, ["ip", "-o", "-4", "addr", "show", "dev", ifname], check=False).stdout
    return f" {vip}/" in shown


def sysctl(lab: Lab, host: str, ifname: str, name: str) -> str:
    return lab.run(host, ["cat", f"/proc/sys/net/ipv4/conf/{ifname}/{name}"]).stdout.strip()


def ping_once(lab: Lab, vip: str) -> bool:
    return lab.run("c", ["ping", "-c", "1", "-W", "1", vip], check=False).returncode == 0


def client_neighbour(lab: Lab, vip: str) -> str:
    return lab.run("c", ["ip", "neigh", "show", vip]).stdout


def announce_primary_only(lab: Lab, *hosts: str) -> None:
    for host in hosts:
        lab.run(host, ["sysctl", "-q", "-w", "net.ipv4.conf.eth0.arp_announce=2"])


def arp_replies_for(frames: list[bytes], vip: str) -> set[bytes]:
    """Sender MACs of ARP replies naming `vip` as sender."""
    octets = bytes(int(p) for p in vip.split("."))
    return {f[22:28] for f in frames
            if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" and f[28:32] == octets}


def wait_master(lab: Lab, host: str, vrid: int) -> None:
    ifname, vip = f"vrrp.{vrid}", f"192.0.2.{vrid}"
    wait_for(lambda: vip_on(lab, host, ifname, vip), TAKEOVER, what=f"{vip} on {host} {ifname}")


def test_vip_on_the_vmac_moves_with_its_mac_and_everything_goes_at_stop(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b", "c"), base=BASE, prefix="vmxtwo")
    announce_primary_only(lab, "a", "b")
    before = {(h, n): sysctl(lab, h, "eth0", n) for h in "ab" for n in ("arp_ignore",
                                                                           "arp_filter")}
    a = PyNode(lab, "a", conf(251, 150)).start()
    b = PyNode(lab, "b", conf(251, 100)).start()
    wait_master(lab, "a", 251)
    b.wait_for_log("(VI_T) Entering BACKUP STATE", TAKEOVER)
    shown = link_shown(lab, "a", "vrrp.251")
    assert f"link/ether {VMAC_251}" in shown
    assert "macvlan mode private" in shown
    assert "vrrp.251@eth0" in shown
    assert not vip_on(lab, "a", "eth0", "192.0.2.251")
    assert not vip_on(lab, "b", "vrrp.251", "192.0.2.251")
    assert [sysctl(lab, "a", "vrrp.251", n) for n in ("arp_ignore", "accept_local",
                                                       "rp_filter")] == ["1", "1", "0"]
    assert [sysctl(lab, "a", "eth0", n) for n in ("arp_ignore", "arp_filter")] == ["1", "1"]

    with lab.capture("c", ["ip", "proto", "112", "or", "arp"]) as capture:
        wait_for(lambda: ping_once(lab, "192.0.2.251"), TAKEOVER, what="ping to the VIP")
        wait_for(lambda: len(capture.frames()) >= 5, 2.0, what="adverts captured")
    assert VMAC_251 in client_neighbour(lab, "192.0.2.251")
    virtual = bytes.fromhex(VMAC_251.replace(":", ""))
    assert arp_replies_for(capture.frames(), "192.0.2.251") == {virtual}
    adverts = [f for f in capture.frames() if f[12:14] == b"\x08\x00"]
    assert adverts
    assert {frame[6:12] for frame in adverts} == {virtual}

    assert a.stop() == 0
    assert link_shown(lab, "a", "vrrp.251") == ""
    assert {(h, n): sysctl(lab, h, "eth0", n) for h in "a" for n in ("arp_ignore",
                                                                      "arp_filter")} == \
        {k: v for k, v in before.items() if k[0] == "a"}
    wait_master(lab, "b", 251)
    wait_for(lambda: ping_once(lab, "192.0.2.251"), TAKEOVER, what="ping to the VIP on b")
    assert VMAC_251 in client_neighbour(lab, "192.0.2.251")
    assert b.stop() == 0
    assert link_shown(lab, "b", "vrrp.251") == ""
    assert "Unable" not in a.log() + b.log()


def test_vmac_xmit_base_sends_adverts_from_the_nic(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b", "c"), base=BASE, prefix="vmxbase")
    announce_primary_only(lab, "a", "b")
    a = PyNode(lab, "a", conf(252, 150, ("use_vmac", "vmac_xmit_base"))).start()
    b = PyNode(lab, "b", conf(252, 100, ("use_vmac", "vmac_xmit_base"))).start()
    wait_master(lab, "a", 252)
    b.wait_for_log("(VI_T) Entering BACKUP STATE", TAKEOVER)
    with lab.capture("c", ["ip", "proto", "112"]) as capture:
        wait_for(lambda: ping_once(lab, "192.0.2.252"), TAKEOVER, what="ping to the VIP")
        wait_for(lambda: len(capture.frames()) >= 3, 2.0, what="three adverts captured")
    assert VMAC_252 in client_neighbour(lab, "192.0.2.252")
    assert {frame[6:12] for frame in capture.frames()} == {lab.host("a").mac_bytes}
    assert a.stop() == 0
    wait_master(lab, "b", 252)
    assert b.stop() == 0


@pytest.mark.keepalived
def test_mixed_pair_with_keepalived_both_using_vmacs(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b", "c"), base=BASE, prefix="vmxmix")
    announce_primary_only(lab, "a", "b")
    ours = PyNode(lab, "a", conf(253, 150)).start()
    theirs = KeepalivedPeer(lab, "b", conf(253, 100)).start()
    wait_master(lab, "a", 253)
    theirs.wait_for_log("(VI_T) Entering BACKUP STATE", TAKEOVER)
    assert "link/ether 00:00:5e:00:01:fd" in link_shown(lab, "b", "vrrp.253")
    wait_for(lambda: ping_once(lab, "192.0.2.253"), TAKEOVER, what="ping to the VIP")
    assert ours.stop() == 0
    wait_master(lab, "b", 253)
    wait_for(lambda: ping_once(lab, "192.0.2.253"), TAKEOVER, what="ping to the VIP on b")
    assert "00:00:5e:00:01:fd" in client_neighbour(lab, "192.0.2.253")
    ours.start()
    wait_master(lab, "a", 253)  # preempts back
    wait_for(lambda: not vip_on(lab, "b", "vrrp.253", "192.0.2.253"), TAKEOVER,
             what="keepalived to release the VIP")
    assert theirs.stop() == 0
    assert link_shown(lab, "b", "vrrp.253") == ""
    assert "invalid" not in theirs.log().lower()
