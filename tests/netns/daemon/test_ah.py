"""keepalived's IPsec-AH (VRRPv2, IP protocol 51) between real daemons in namespaces.

The configs follow the seed article's: `auth_type AH` with a long `auth_pass` (both
daemons keep its first 8 characters), `advert_int 1`, a sync group around the instance.
VRIDs 240-249, VIPs 192.0.2.240-249; hosts get 192.0.2.231 (a) and .232 (b).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Auth, Config, GlobalDefs, Instance, SyncGroup
from netlab.lab import never_during
from netlab.peers import KeepalivedPeer, PyNode, has_address, wait_address

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

BASE = 230
A_ADDRESS = "192.0.2.231"
#: VRRPv2 at 1 s adverts: Master_Down_Interval ≈ 3.4-3.6 s, plus start-up
TAKEOVER = 10.0
#: lines either daemon logs when the other's AH is not accepted
AUTH_TROUBLE = re.compile(r"IPSEC|auth|digest|sequence number|HMAC", re.IGNORECASE)
#: startup lines that mention auth without being a complaint about a peer
BENIGN = ("Truncating auth_pass", "Syncing seq_num")


def ah_conf(*, vrid: int, priority: int, vip: str, nopreempt: bool = False) -> Config:
    return Config(
        global_defs=GlobalDefs(router_id=f"ahx{vrid}", garp_master_delay=1),
        sync_groups=[SyncGroup("VG_AH", ["VI_AH"])],
        instances=[Instance("VI_AH", vrid, priority, [f"{vip}/24"], state="BACKUP",
                            nopreempt=nopreempt, advert="1", version=2,
                            auth=Auth("AH", "K!f26b90a0743cdf9591024c5e533b7152"))])


def auth_complaints(log: str, *, cut_off: bool = False) -> list[str]:
    """Complaints about the peer's AH; for the node whose link was cut, minus replays.

    A master cut off at the bridge still numbers an advert or two that nobody receives
    before it sees its carrier go; the backup that takes over numbers from the last one
    it did receive, so its first adverts reuse those numbers and the returning node drops
    them as replays (keepalived does this to keepalived too: one counter for send and
    receive). At most two such drops are expected, nothing else.
    """
    lines = [line for line in log.splitlines()
             if AUTH_TROUBLE.search(line) and not any(b in line for b in BENIGN)]
    if not cut_off:
        return lines
    replays = [line for line in lines if "already processed. Packet dropped." in line]
    assert len(replays) <= 2, replays
    return [line for line in lines if line not in replays]


def test_two_pykeepalived_nodes_elect_and_fail_over_with_ah(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=BASE, prefix="ahx2py")
    vip = "192.0.2.240"
    a = PyNode(lab, "a", ah_conf(vrid=240, priority=150, vip=vip, nopreempt=True)).start()
    b = PyNode(lab, "b", ah_conf(vrid=240, priority=100, vip=vip, nopreempt=True)).start()
    wait_address(lab, "a", vip, timeout=TAKEOVER)
    b.wait_for_log("(VI_AH) Entering BACKUP STATE", TAKEOVER)
    assert never_during(lambda: has_address(lab, "b", vip), 2.5)  # b accepts a's adverts
    lab.link_down("a")
    wait_address(lab, "b", vip, timeout=TAKEOVER)
    a.wait_for_log("(VI_AH) Entering FAULT STATE", TAKEOVER)
    lab.link_up("a")
    # nopreempt: a comes back as BACKUP, accepting b's (higher-numbered) adverts
    a.wait_for_log("(VI_AH) Entering BACKUP STATE", TAKEOVER,
                   after=a.log().index("Entering FAULT STATE"))
    assert never_during(lambda: has_address(lab, "a", vip), 3.0)
    assert has_address(lab, "b", vip)
    assert auth_complaints(a.log(), cut_off=True) == []
    assert auth_complaints(b.log()) == []


@pytest.mark.keepalived
def test_pykeepalived_master_keepalived_backup_with_ah(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=BASE, prefix="ahxpym")
    vip = "192.0.2.241"
    ours = PyNode(lab, "a", ah_conf(vrid=241, priority=150, vip=vip)).start()
    theirs = KeepalivedPeer(lab, "b", ah_conf(vrid=241, priority=100, vip=vip)).start()
    wait_address(lab, "a", vip, timeout=TAKEOVER)
    theirs.wait_for_log("(VI_AH) Entering BACKUP STATE", TAKEOVER)
    assert never_during(lambda: has_address(lab, "b", vip), 2.5)
    assert ours.stop() == 0
    wait_address(lab, "b", vip, timeout=TAKEOVER)
    theirs.wait_for_log("(VI_AH) Backup received priority 0 advertisement", 2.0)
    # a restarted pykeepalived starts at sequence 0, adopts keepalived's and preempts
    ours.start()
    wait_address(lab, "a", vip, timeout=TAKEOVER)
    wait_address(lab, "b", vip, present=False, timeout=TAKEOVER)
    theirs.wait_for_log(f"(VI_AH) Master received advert from {A_ADDRESS} with higher "
                        "priority 150, ours 100", TAKEOVER)
    assert auth_complaints(theirs.log()) == []
    assert auth_complaints(ours.log()) == []


@pytest.mark.keepalived
def test_keepalived_master_pykeepalived_backup_with_ah(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=BASE, prefix="ahxkam")
    vip = "192.0.2.242"
    theirs = KeepalivedPeer(lab, "a", ah_conf(vrid=242, priority=150, vip=vip)).start()
    ours = PyNode(lab, "b", ah_conf(vrid=242, priority=100, vip=vip)).start()
    wait_address(lab, "a", vip, timeout=TAKEOVER)
    ours.wait_for_log("(VI_AH) Entering BACKUP STATE", TAKEOVER)
    assert never_during(lambda: has_address(lab, "b", vip), 2.5)
    lab.link_down("a")
    wait_address(lab, "b", vip, timeout=TAKEOVER)
    lab.link_up("a")
    # keepalived comes back, numbers above what we sent, and preempts
    ours.wait_for_log(f"(VI_AH) Master received advert from {A_ADDRESS} with higher "
                      "priority 150, ours 100", TAKEOVER)
    wait_address(lab, "b", vip, present=False, timeout=TAKEOVER)
    wait_address(lab, "a", vip, timeout=TAKEOVER)
    assert auth_complaints(theirs.log(), cut_off=True) == []
    assert auth_complaints(ours.log()) == []
