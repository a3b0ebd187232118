"""HAProxy dies on the master: the VIP moves, the client is served again, and comes back.

The seed article's hot-standby pair on real pykeepalived daemons (VRRPv3, advert_int
0.1 s, so Master_Down_Interval is ~0.36 s) with the demo's check timing: interval 1 s,
fall 2, rise 1. Takeovers are bounded by fall x interval + Master_Down_Interval + slack,
measured from the moment HAProxy is gone; the client-observed outage is recorded.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from netlab.haproxy import Site, SiteSpec, Tracking, holds_throughout, outage
from pykeepalived.vrrp.timing import master_down_interval

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VIP = "192.0.2.230"
#: process start-up, script fork/exec and the scheduler's grid (no protocol time in it)
SLACK = 1.0
STARTUP = 10.0


def mdi(priority: int) -> float:
    return master_down_interval(priority, 10, version=3)


def build(make_lab: Callable[..., Lab], spec: SiteSpec) -> Site:
    lab = make_lab(("node1", "node2", "client"), prefix="hap", base=220)
    site = Site(lab, spec)
    site.start_in_order()
    return site


def test_killed_haproxy_moves_vip_within_bound_and_preempt_brings_it_back(
        make_lab: Callable[..., Lab], record_property: Callable[[str, object], None]) -> None:
    tracking = Tracking(weight=-60, interval=1, fall=2, rise=1)
    site = build(make_lab, SiteSpec(vrid=220, vip=VIP, tracking=tracking))
    site.start_client(30.0)
    site.wait_served_by("node1", 5.0)
    node1, node2 = site.node("node1"), site.node("node2")
    node1.haproxy.kill()
    gone = time.monotonic()
    bound = tracking.fall * tracking.interval + mdi(100) + SLACK
    moved = site.wait_holder("node2", bound) - gone
    site.wait_served_by("node2", 2.0, since=gone)
    seen = outage(site.replies(), gone, "node1", "node2")
    record_property("takeover_s", round(moved, 3))
    record_property("client_outage_ms", round(seen * 1000))
    print(f"\nHAProxy killed: VIP on node2 after {moved:.3f} s (bound {bound:.3f} s); "
          f"client outage {seen * 1000:.0f} ms")
    assert seen <= bound + 0.3
    node1.daemon.wait_for_log("(VI_HAP) Changing effective priority from 150 to 90", 1.0)
    assert "VRRP_Script(chk_haproxy) failed (exited with status 1)" in node1.daemon.log()
    node2.daemon.wait_for_log("(VI_HAP) Entering MASTER STATE", 1.0)

    node1.haproxy.start()
    back = time.monotonic()
    site.wait_holder("node1", tracking.rise * tracking.interval + mdi(150) + SLACK)
    site.wait_served_by("node1", 2.0, since=back)
    node1.daemon.wait_for_log("(VI_HAP) Changing effective priority from 90 to 150", 1.0)
    node2.daemon.wait_for_log("(VI_HAP) Master received advert from 192.0.2.221 with higher"
                              " priority 150, ours 100", 1.0)


def test_all_backup_nopreempt_fails_over_and_does_not_fail_back(
        make_lab: Callable[..., Lab]) -> None:
    """The seed's advice: all BACKUP + nopreempt. Without weight a failed check is FAULT."""
    tracking = Tracking(weight=None, interval=1, fall=2, rise=1)
    site = build(make_lab, SiteSpec(vrid=221, vip=VIP, tracking=tracking, nopreempt=True))
    node1, node2 = site.node("node1"), site.node("node2")
    node1.haproxy.kill()
    # FAULT sends priority 0: the backup waits only Skew_Time, well inside this bound
    site.wait_holder("node2", tracking.fall * tracking.interval + mdi(100) + SLACK)
    node1.daemon.wait_for_log("(VI_HAP) Entering FAULT STATE", 1.0)
    node2.daemon.wait_for_log("(VI_HAP) Entering MASTER STATE", 1.0)
    mark = len(node1.daemon.log())
    node1.haproxy.start()
    node1.daemon.wait_for_log("(VI_HAP) Entering BACKUP STATE", STARTUP, after=mark)
    assert holds_throughout(site, "node2", 4 * mdi(150) + 1.0)


def test_track_process_kill_moves_vip_within_master_down_interval(
        make_lab: Callable[..., Lab]) -> None:
    site = build(make_lab, SiteSpec(vrid=222, vip=VIP,
                                    tracking=Tracking(kind="process", weight=-60)))
    refusal = site.track_process_refusal()
    if refusal is not None:
        pytest.skip(f"pykeepalived does not track processes here: {refusal}")
    node1 = site.node("node1")
    node1.haproxy.kill()
    gone = time.monotonic()
    moved = site.wait_holder("node2", mdi(100) + SLACK) - gone
    print(f"\ntrack_process: VIP on node2 {moved:.3f} s after HAProxy died")
    node1.daemon.wait_for_log("(VI_HAP) Changing effective priority from 150 to 90", 1.0)
    node1.haproxy.start()
    site.wait_holder("node1", mdi(150) + SLACK)


def test_check_flapping_faster_than_fall_does_not_move_vip(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("node1", "node2", "client"), prefix="hap", base=220)
    assert lab.workdir is not None
    flap = lab.workdir / "flap"
    flap.mkdir(mode=0o755)
    script = flap / "check.sh"
    script.write_text(FLAP_SCRIPT.format(dir=flap))
    script.chmod(0o755)
    tracking = Tracking(weight=-60, interval=1, fall=3, rise=1, script=f"{script} {{comm}}")
    site = Site(lab, SiteSpec(vrid=223, vip=VIP, tracking=tracking))
    site.start_in_order()
    node1 = site.node("node1")
    node1.daemon.wait_for_log("VRRP_Script(chk_haproxy) succeeded", STARTUP)
    (flap / "flapping").touch()
    assert holds_throughout(site, "node1", 7.0)
    runs_while_flapping = (flap / f"{node1.haproxy.comm}.runs").read_text().count("flap")
    assert runs_while_flapping >= 5
    log = node1.daemon.log()
    assert log.count("Script `chk_haproxy` now returning 1") >= 2
    assert "VRRP_Script(chk_haproxy) failed" not in log
    assert "Changing effective priority" not in log


#: OK until the `flapping` flag exists, then fail, ok, fail, ... (never `fall 3` in a row);
#: $1 names the node, so each node flaps on its own state
FLAP_SCRIPT = """#!/bin/sh
[ -e {dir}/flapping ] || exit 0
echo flap >> "{dir}/$1.runs"
if [ -e "{dir}/$1.failed" ]; then rm -f "{dir}/$1.failed"; exit 0; fi
: > "{dir}/$1.failed"
exit 1
"""
