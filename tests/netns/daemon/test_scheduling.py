"""vrrp_rt_priority, vrrp_priority, vrrp_cpu_affinity, vrrp_no_swap on real processes,
pykeepalived beside keepalived 2.2.7 with the same global_defs.

Each daemon runs alone in its host (VRIDs 171 and 172, no peer): what is compared is
how the kernel schedules the VRRP process (its policy, realtime priority, nice value,
CPU set, locked memory, RLIMIT_RTTIME) and that scripts it runs are not realtime.
"""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.lab import wait_for
from netlab.peers import KeepalivedPeer, PyNode
from netlab.sched import RR, Scheduled, read_text, scheduled

if TYPE_CHECKING:
    from pathlib import Path

    from netlab.conf import Config
    from netlab.lab import Lab
    from netlab.peers import _Node

pytestmark = [pytest.mark.netns, pytest.mark.keepalived, pytest.mark.slow]

REALTIME = ("vrrp_rt_priority 10", "vrrp_rlimit_rttime 200000", "vrrp_cpu_affinity 0",
            "vrrp_no_swap")


def vrrp_pid(node: _Node) -> int:
    return int((node.directory / "vrrp.pid").read_text())


def conf(vrid: int, lines: tuple[str, ...], notify: Path | None = None) -> Config:
    return instance_conf(vrid=vrid, priority=150, vip=f"192.0.2.{vrid}/24",
                         global_extra=lines,
                         notify={"notify_master": str(notify)} if notify else None)


def masters(node: _Node) -> None:
    node.wait_for_log("Entering MASTER STATE", 10.0)


def policy_script(directory: Path) -> tuple[Path, Path]:
    """A notify script that writes the scheduling policy it runs under."""
    out = directory / "notify-policy"
    script = directory / "policy.sh"
    script.write_text(f"#!/bin/sh\nchrt -p $$ > {out}\n")
    script.chmod(0o755)
    return script, out


def test_realtime_vrrp_process_as_keepalived_schedules_it(make_lab: Lab) -> None:
    lab = make_lab(("k", "p"))
    ours_script, ours_out = policy_script(_mkdir(lab.workdir / "p-script"))
    theirs_script, theirs_out = policy_script(_mkdir(lab.workdir / "k-script"))
    theirs = KeepalivedPeer(lab, "k", conf(171, REALTIME, theirs_script)).start()
    ours = PyNode(lab, "p", conf(172, REALTIME, ours_script)).start()
    masters(theirs)
    masters(ours)
    wait_for(lambda: ours_out.exists() and theirs_out.exists()
             and ours_out.read_text() and theirs_out.read_text(), 10.0,
             what="notify scripts wrote their policy")

    want = Scheduled(RR, 10, 0, frozenset({0}), True, (100000, 200000))
    assert scheduled(vrrp_pid(theirs)) == want  # the reference
    assert scheduled(vrrp_pid(ours)) == want
    # SCHED_RESET_ON_FORK: the scripts run at standard scheduling, as keepalived's
    assert "SCHED_OTHER" in theirs_out.read_text()
    assert "SCHED_OTHER" in ours_out.read_text()


def test_nice_value_and_reload_as_keepalived(make_lab: Lab) -> None:
    """A reload applies the new settings (keepalived reloads at standard scheduling and
    then sets what the new file says)."""
    lab = make_lab(("k", "p"))
    theirs = KeepalivedPeer(lab, "k", conf(171, ("vrrp_priority -5",))).start()
    ours = PyNode(lab, "p", conf(172, ("vrrp_priority -5",))).start()
    masters(theirs)
    masters(ours)
    for node in (theirs, ours):
        got = scheduled(vrrp_pid(node))
        assert (got.policy, got.nice) == (os.SCHED_OTHER, -5), node.kind

    ours.reload(conf(172, ("vrrp_rt_priority 20",)))
    theirs.reload(conf(171, ("vrrp_rt_priority 20",)))

    def both_realtime() -> bool:
        return all(scheduled(vrrp_pid(node)).rt_priority == 20 for node in (theirs, ours))

    wait_for(both_realtime, 10.0, what="SCHED_RR 20 after the reload")
    for node in (theirs, ours):
        got = scheduled(vrrp_pid(node))
        assert (got.policy, got.rttime) == (RR, (5000, 10000)), node.kind


def test_a_timer_late_by_more_than_min_auto_priority_delay_is_logged_and_raises_priority(
        make_lab: Lab) -> None:
    """SIGSTOP for longer than min_auto_priority_delay: on SIGCONT keepalived's line,
    and with max_auto_priority the process becomes realtime."""
    lab = make_lab(("p",))
    lines = ("max_auto_priority 5", "min_auto_priority_delay 200000")
    ours = PyNode(lab, "p", conf(172, lines)).start()
    masters(ours)
    pid = vrrp_pid(ours)
    assert scheduled(pid).policy == os.SCHED_OTHER
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(lambda: _state(pid) == "T", 5.0, what="stopped")
        time.sleep(0.5)  # the stop itself: what the test is about, not a race
    finally:
        os.kill(pid, signal.SIGCONT)
    log = ours.wait_for_log("Set realtime priority 1", 10.0)
    assert "A thread timer expired 0." in log
    got = scheduled(pid)
    assert (got.policy, got.rt_priority) == (RR, 1)


def _state(pid: int) -> str:
    stat = read_text(f"/proc/{pid}/stat")
    return stat.rsplit(")", 1)[1].split()[0]


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
