"""How the kernel schedules a process, read from /proc: what the scheduling tests compare
between keepalived and pykeepalived (the VRRP process in tests/netns/daemon, the checker
process in the IPVS VM)."""

from __future__ import annotations

import os
from dataclasses import dataclass

#: what sched_getscheduler says of keepalived's VRRP process: SCHED_RR, reset on fork
RR = os.SCHED_RR | os.SCHED_RESET_ON_FORK


@dataclass(frozen=True)
class Scheduled:
    policy: int
    rt_priority: int
    nice: int
    cpus: frozenset[int]
    locked: bool
    rttime: tuple[int, int]


def read_text(path: str) -> str:
    with open(path, encoding="ascii") as handle:
        return handle.read()


def scheduled(pid: int) -> Scheduled:
    status = dict(line.split(":", 1) for line in read_text(f"/proc/{pid}/status").splitlines())
    limits = read_text(f"/proc/{pid}/limits").splitlines()
    rttime = next(line for line in limits if line.startswith("Max realtime timeout"))
    soft, hard = rttime.split()[3:5]
    return Scheduled(os.sched_getscheduler(pid), os.sched_getparam(pid).sched_priority,
                     os.getpriority(os.PRIO_PROCESS, pid), frozenset(os.sched_getaffinity(pid)),
                     int(status["VmLck"].split()[0]) > 0,
                     (-1 if soft == "unlimited" else int(soft),
                      -1 if hard == "unlimited" else int(hard)))
