"""pykeepalived next to real keepalived 2.2.7, in both roles, over VRRPv3 and VRRPv2.

The same keepalived.conf text runs on both daemons; only the priority differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netlab.conf import Auth, Config, instance_conf
from netlab.lab import never_during
from netlab.peers import KeepalivedPeer, PyNode, has_address, wait_address
from tests.netns.daemon.pair import TAKEOVER, VIP4

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.keepalived, pytest.mark.slow]


def test_pykeepalived_master_keepalived_backup(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    ours = PyNode(lab, "a", instance_conf(vrid=180, priority=150, vip=f"{VIP4}/24"))
    theirs = KeepalivedPeer(lab, "b", instance_conf(vrid=180, priority=100, vip=f"{VIP4}/24"))
    ours.start()
    theirs.start()
    wait_address(lab, "a", VIP4, timeout=TAKEOVER)
    theirs.wait_for_log("(VI_T) Entering BACKUP STATE", TAKEOVER)
    assert never_during(lambda: has_address(lab, "b", VIP4), 1.0)
    assert ours.stop() == 0
    wait_address(lab, "b", VIP4, timeout=TAKEOVER)
    theirs.wait_for_log("(VI_T) Backup received priority 0 advertisement", 2.0)
    assert "invalid" not in theirs.log().lower()


def test_keepalived_master_pykeepalived_backup(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    theirs = KeepalivedPeer(lab, "a", instance_conf(vrid=181, priority=150, vip=f"{VIP4}/24"))
    ours = PyNode(lab, "b", instance_conf(vrid=181, priority=100, vip=f"{VIP4}/24"))
    theirs.start()
    ours.start()
    wait_address(lab, "a", VIP4, timeout=TAKEOVER)
    ours.wait_for_log("(VI_T) Entering BACKUP STATE (init)", TAKEOVER)
    assert never_during(lambda: has_address(lab, "b", VIP4), 1.0)
    assert theirs.stop() == 0
    wait_address(lab, "b", VIP4, timeout=TAKEOVER)
    ours.wait_for_log("(VI_T) Backup received priority 0 advertisement", 2.0)


def test_higher_pykeepalived_preempts_running_keepalived_v2_pass(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    def conf(priority: int) -> Config:
        return instance_conf(vrid=182, priority=priority, vip=f"{VIP4}/24", version=2,
                             advert="1", auth=Auth("PASS", "pyka182"))

    theirs = KeepalivedPeer(lab, "b", conf(100))
    theirs.start()
    wait_address(lab, "b", VIP4, timeout=8.0)
    ours = PyNode(lab, "a", conf(150)).start()
    wait_address(lab, "a", VIP4, timeout=10.0)
    wait_address(lab, "b", VIP4, present=False, timeout=TAKEOVER)
    theirs.wait_for_log("(VI_T) Master received advert from 192.0.2.171 with higher "
                        "priority 150, ours 100", TAKEOVER)
    assert "(VI_T) Entering MASTER STATE" in ours.log()
