"""How a daemon process is scheduled: the `vrrp_*` or `checker_*` keywords, as values.

keepalived applies them after start-up and again after each reload (standard
scheduling while reloading): adapters/scheduling.py does that with these values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pykeepalived.config.model import GlobalDefs


@dataclass(frozen=True, slots=True)
class SchedulingSpec:
    #: "VRRP" or "Checker": keepalived's name of the process in its log lines
    process: str
    #: nice value (-20..19), used only without a realtime priority
    priority: int = 0
    #: SCHED_RR priority 1..99; 0: standard scheduling
    realtime_priority: int = 0
    #: RLIMIT_RTTIME hard limit in us under SCHED_RR (the soft one is half); 0: none
    rlimit_rt_us: int = 10000
    no_swap: bool = False
    cpu_affinity: tuple[int, ...] = ()
    #: the realtime priority late timers may raise it to; 0 or -1: never raised
    max_auto_priority: int = 0
    #: a timer this late (s) is logged, and raises the priority up to the maximum
    min_auto_priority_delay: float = 1.0

    @property
    def keyword(self) -> str:
        """The keywords' prefix, for log lines that name one (`vrrp_rlimit_rttime`)."""
        return self.process.lower()

    @property
    def changes_anything(self) -> bool:
        return bool(self.priority or self.realtime_priority or self.no_swap
                    or self.cpu_affinity)


def scheduling_spec(g: GlobalDefs, process: Literal["vrrp", "checker"]) -> SchedulingSpec:
    if process == "vrrp":
        return SchedulingSpec(
            "VRRP", g.vrrp_process_priority, g.vrrp_realtime_priority, g.vrrp_rlimit_rt,
            g.vrrp_no_swap, g.vrrp_cpu_affinity, g.max_auto_priority or 0,
            g.min_auto_priority_delay / 1e6)
    return SchedulingSpec(
        "Checker", g.checker_process_priority, g.checker_realtime_priority,
        g.checker_rlimit_rt, g.checker_no_swap, g.checker_cpu_affinity,
        g.max_auto_priority or 0, g.min_auto_priority_delay / 1e6)
