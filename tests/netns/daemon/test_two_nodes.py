"""Two pykeepalived daemons on a namespace LAN: election, failover, preemption, reload.

VRRPv3 with advert_int 0.1 s keeps every protocol bound short (Master_Down_Interval
≈ 0.3-0.4 s); waits are bounded polls with deadlines several times that. Host a
(192.0.2.171) has priority 150, host b (.172) 100, host c is a client.
"""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Auth
from netlab.lab import never_during, wait_for
from netlab.peers import has_address, wait_address
from tests.netns.daemon.pair import TAKEOVER, VIP4, VIP6, pair

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

def test_election_link_cut_and_preempt_back(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b", "c"), base=170)
    a, b = pair(lab)
    a.start()
    b.start()
    wait_address(lab, "a", VIP4, timeout=TAKEOVER)
    assert never_during(lambda: has_address(lab, "b", VIP4), 0.5)
    lab.link_down("a")
    wait_address(lab, "b", VIP4, timeout=TAKEOVER)
    wait_for(lambda: lab.pings("c", VIP4), TAKEOVER, what="client c to reach the VIP on b")
    a.wait_for_log("Netlink reports eth0 down", TAKEOVER)
    a.wait_for_log("(VI_T) Entering FAULT STATE", TAKEOVER)
    wait_address(lab, "a", VIP4, present=False, timeout=TAKEOVER)
    lab.link_up("a")
    wait_address(lab, "a", VIP4, timeout=TAKEOVER)
    wait_address(lab, "b", VIP4, present=False, timeout=TAKEOVER)
    b.wait_for_log("(VI_T) Master received advert from 192.0.2.171 with higher priority 150,"
                   " ours 100", TAKEOVER)


def test_sigterm_hands_over_at_once_and_cleans_up(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    a, b = pair(lab, vrid=172)
    a.start()
    b.start()
    wait_address(lab, "a", VIP4, timeout=TAKEOVER)
    b.wait_for_log("(VI_T) Entering BACKUP STATE (init)", TAKEOVER)
    started = time.monotonic()
    assert a.stop(signal.SIGTERM) == 0
    wait_address(lab, "b", VIP4, timeout=TAKEOVER)
    # priority 0 → the backup waits only Skew_Time (0.1 * 156/256 s), not a full interval
    assert time.monotonic() - started < 2.0
    b.wait_for_log("(VI_T) Backup received priority 0 advertisement", 1.0)
    assert not has_address(lab, "a", VIP4)
    log = a.log()
    for line in ("Stopping", "(VI_T) sent 0 priority", "(VI_T) removing VIPs.", "Stopped"):
        assert line in log
    assert not (a.directory / "keepalived.pid").exists()
    assert not (a.directory / "vrrp.pid").exists()


def test_sigkill_takeover_after_down_interval_and_restart_preempts(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    a, b = pair(lab, vrid=173)
    a.start()
    b.start()
    wait_address(lab, "a", VIP4, timeout=TAKEOVER)
    b.wait_for_log("(VI_T) Entering BACKUP STATE (init)", TAKEOVER)
    a.kill()
    wait_address(lab, "b", VIP4, timeout=TAKEOVER)
    b.wait_for_log("(VI_T) Receive advertisement timeout", 1.0)
    assert "Backup received priority 0" not in b.log()
    a.start()  # a stale VIP was left on a by the crash: the new daemon clears it, then wins
    wait_for(lambda: has_address(lab, "a", VIP4) and not has_address(lab, "b", VIP4),
             TAKEOVER * 2, what="a to preempt back")


def test_nopreempt_keeps_the_current_master(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    a, b = pair(lab, vrid=174, nopreempt=True)
    b.start()
    wait_address(lab, "b", VIP4, timeout=TAKEOVER)
    a.start()
    a.wait_for_log("(VI_T) Entering BACKUP STATE (init)", TAKEOVER)
    assert never_during(lambda: has_address(lab, "a", VIP4), 1.5)
    assert has_address(lab, "b", VIP4)


def test_ipv6_election_and_failover(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    a, b = pair(lab, vrid=175, vip=f"{VIP6}/64")
    a.start()
    b.start()
    wait_address(lab, "a", VIP6, timeout=TAKEOVER)
    assert never_during(lambda: has_address(lab, "b", VIP6), 0.5)
    assert a.stop() == 0
    wait_address(lab, "b", VIP6, timeout=TAKEOVER)
    b.wait_for_log("(VI_T) Backup received priority 0 advertisement", 1.0)


def test_unicast_election_and_link_cut(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    a, b = pair(lab, vrid=176, unicast=True)  # a 192.0.2.171 <-> b .172
    a.start()
    b.start()
    wait_address(lab, "a", VIP4, timeout=TAKEOVER)
    assert never_during(lambda: has_address(lab, "b", VIP4), 0.5)
    lab.link_down("a")
    wait_address(lab, "b", VIP4, timeout=TAKEOVER)


def test_v2_pass_authentication(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    a, b = pair(lab, vrid=177, version=2, advert="1", auth=Auth("PASS", "pyka177"))
    a.start()
    b.start()
    wait_address(lab, "a", VIP4, timeout=8.0)  # v2: 3 s + skew before the first MASTER
    b.wait_for_log("(VI_T) Entering BACKUP STATE (init)", TAKEOVER)
    assert a.stop() == 0
    wait_address(lab, "b", VIP4, timeout=TAKEOVER)
    b.wait_for_log("(VI_T) Backup received priority 0 advertisement", 1.0)


def test_reload_bad_config_keeps_running_and_good_change_keeps_master(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=170)
    a, b = pair(lab, vrid=178)
    a.start()
    b.start()
    wait_address(lab, "a", VIP4, timeout=TAKEOVER)
    good = a.config_path.read_text()
    a.config_path.write_text(good.replace("virtual_router_id 178", "virtual_router_id 351"))
    mark = len(a.log())
    a.send_signal(signal.SIGHUP)
    a.wait_for_log("Reload failed, keeping the running configuration", TAKEOVER, after=mark)
    assert "Reloading ..." in a.log()[mark:]
    assert has_address(lab, "a", VIP4)
    a.config_path.write_text(good.replace("priority 150", "priority 140"))
    mark = len(a.log())
    a.send_signal(signal.SIGHUP)
    a.wait_for_log("Reload complete", TAKEOVER, after=mark)
    assert never_during(lambda: not has_address(lab, "a", VIP4), 1.0)
    assert not has_address(lab, "b", VIP4)
    assert a.process is not None
    assert a.process.popen.poll() is None
    assert os.path.exists(a.directory / "keepalived.pid")
