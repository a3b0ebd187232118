"""Notify scripts run by the real daemon, as an operator's hooks see them.

Host a (192.0.2.161, priority 150) carries notify_master/backup/fault/stop and a generic
`notify`; host b (.162, priority 100) is its peer. The trace file shows every call, in
order, with its arguments; a slow notify_backup must not hold up the takeover.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.lab import wait_for
from netlab.peers import PyNode, has_address
from tests.netns.notify.scripts import (
    BASE,
    PREFIX,
    TAKEOVER,
    calls,
    read_trace,
    wait_lines,
    write_hook,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VIP = "192.0.2.165"
VRID = 160
#: long enough that the takeover (≈ 0.4 s after start) is clearly inside it
SLOW = 1.0


def hooks(directory: Path, trace: Path) -> dict[str, str]:
    """notify_master/backup/fault/stop (notify_backup slow), then the generic notify."""
    scripts = {f"notify_{state}": str(write_hook(directory, f"notify_{state}.sh", trace,
                                                 sleep=SLOW if state == "backup" else 0.0))
               for state in ("master", "backup", "fault", "stop")}
    return {**scripts, "notify": str(write_hook(directory, "notify.sh", trace))}


def start_pair(lab: Lab, trace_name: str = "trace") -> tuple[PyNode, PyNode, Path]:
    assert lab.workdir is not None
    directory = lab.workdir / "a-pyka"
    directory.mkdir(mode=0o700)
    trace = directory / trace_name
    a = PyNode(lab, "a", instance_conf(vrid=VRID, priority=150, vip=f"{VIP}/24",
                                       notify=hooks(directory, trace),
                                       script_security=True))
    b = PyNode(lab, "b", instance_conf(vrid=VRID, priority=100, vip=f"{VIP}/24"))
    b.start()
    a.start()
    return a, b, trace


def first_time(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Wall-clock time (same clock as the hooks' `date`) when `predicate` first held."""
    def stamp() -> float | None:
        return time.time() if predicate() else None
    return wait_for(stamp, timeout, interval=0.02, what=what)


def test_hooks_in_order_with_exact_arguments(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=BASE, prefix=PREFIX)
    a, _b, trace = start_pair(lab)
    vip_seen = first_time(lambda: has_address(lab, "a", VIP), TAKEOVER, f"{VIP} on a")
    master = "notify.sh INSTANCE VI_T MASTER 150"
    wait_lines(lambda: calls(trace), master)
    slow_end = next(t.stamp for t in read_trace(trace) if t.name == "notify_backup.sh-end")
    assert vip_seen < slow_end - SLOW / 3, "the slow notify_backup delayed the takeover"

    lab.link_down("a")
    wait_lines(lambda: calls(trace), "notify.sh INSTANCE VI_T FAULT 150")
    lab.link_up("a")
    wait_lines(lambda: calls(trace), master, count=2)
    a.stop()

    backup = ["notify_backup.sh", "notify_backup.sh-end", "notify.sh INSTANCE VI_T BACKUP 150"]
    assert calls(trace) == [
        *backup, "notify_master.sh", master,
        "notify_fault.sh", "notify.sh INSTANCE VI_T FAULT 150",
        *backup, "notify_master.sh", master,
        "notify_stop.sh", "notify.sh INSTANCE VI_T STOP 150",
    ]
