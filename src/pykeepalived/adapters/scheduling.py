"""The process's CPU scheduling: nice value, SCHED_RR, RLIMIT_RTTIME, mlockall, affinity.

What keepalived's lib/process.c does for `vrrp_*` / `checker_*`, with its log lines:
`apply()` after start-up and after each reload, `standard()` while reloading ("Use
standard scheduling while reloading"), `timer_late()` from the timer heap when a timer
ran `min_auto_priority_delay` late ("A thread timer expired ... seconds ago"), which
raises the realtime priority step by step up to `max_auto_priority`.

SCHED_RR is taken with SCHED_RESET_ON_FORK, so scripts and notifies run at standard
priority. Under SCHED_RR the kernel sends SIGXCPU when the process has run for half of
`*_rlimit_rttime` without sleeping, and SIGKILL at the whole. keepalived logs the
SIGXCPU; so do we, and then step down to standard scheduling for a second: Python needs
more CPU than C for the same burst (a reload, 1,000 instances taking over), and a
daemon killed by its own safety limit would drop every VIP it holds.
"""

from __future__ import annotations

import os
import resource
import signal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    from pykeepalived.specs.scheduling import SchedulingSpec

_MCL_CURRENT, _MCL_FUTURE, _MCL_ONFAULT = 1, 2, 4
#: how long a SIGXCPU keeps the process at standard scheduling (s)
STEP_DOWN = 1.0


class ProcessScheduling:
    def __init__(self, spec: SchedulingSpec, log: Callable[[str], None],
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.spec = spec
        self._log = log
        self._loop = loop
        #: the SCHED_RR priority in force (0: standard scheduling)
        self.realtime_priority = 0
        self._rlimit_set = False
        self._original_rlimit: tuple[int, int] | None = None
        self._original_nice: int | None = None
        self._locked = False
        self._back: asyncio.TimerHandle | None = None

    def apply(self, spec: SchedulingSpec | None = None) -> None:
        """keepalived's set_process_priorities + set_process_cpu_affinity."""
        if spec is not None:
            self.spec = spec
        s = self.spec
        if s.realtime_priority:
            self._realtime(s.realtime_priority, s.rlimit_rt_us)
        elif s.priority:
            self._nice(s.priority)
        if s.no_swap and not self._locked:
            self._lock_memory()
        if s.cpu_affinity:
            try:
                os.sched_setaffinity(0, s.cpu_affinity)
            except OSError as exc:
                self._log(f"unable to set cpu affinity to {s.keyword} process "
                          f"({os.strerror(exc.errno or 0)})")

    def standard(self) -> None:
        """keepalived's reset_process_priorities (all but the memory lock, which a
        reload keeps: apply() follows)."""
        if self._back is not None:
            self._back.cancel()
            self._back = None
        if self.realtime_priority:
            try:
                os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            except OSError:
                self._log("child process: cannot reset realtime scheduling")
            else:
                self.realtime_priority = 0
                if self._rlimit_set and self._original_rlimit is not None:
                    try:
                        resource.setrlimit(resource.RLIMIT_RTTIME, self._original_rlimit)
                    except (OSError, ValueError):
                        self._log("child process cannot reset realtime rlimit")
                    else:
                        self._rlimit_set = False
        if self._original_nice is not None and os.getpriority(os.PRIO_PROCESS, 0) != (
                self._original_nice):
            try:
                os.setpriority(os.PRIO_PROCESS, 0, self._original_nice)
            except OSError as exc:
                self._log(f"Unable to reset process priority - {os.strerror(exc.errno or 0)}")

    def timer_late(self, late: float) -> None:
        """A timer ran `late` seconds after its time (keepalived's scheduler check)."""
        if late <= self.spec.min_auto_priority_delay:
            return
        micro = round(late * 1_000_000)
        self._log(f"A thread timer expired {micro // 1_000_000}.{micro % 1_000_000:06d}"
                  " seconds ago")
        top = self.spec.max_auto_priority
        if top <= 0 or self.realtime_priority >= top:
            return
        priority = self.realtime_priority + 1 if self.realtime_priority else 1
        self._realtime(priority, 0 if self._rlimit_set else self.spec.rlimit_rt_us)
        self._log(f"Set realtime priority {priority}")

    def close(self) -> None:
        self.standard()
        if self._locked:
            _libc().munlockall()
            self._locked = False

    # ------------------------------------------------------------------ the calls
    def _realtime(self, priority: int, rlimit_us: int) -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_RR | os.SCHED_RESET_ON_FORK,
                                  os.sched_param(priority))
        except OSError:
            self._log("child process: cannot raise priority")
            return
        self.realtime_priority = priority
        if not rlimit_us:
            return
        signal.signal(signal.SIGXCPU, self._on_sigxcpu)
        if self._original_rlimit is None:
            self._original_rlimit = resource.getrlimit(resource.RLIMIT_RTTIME)
        try:
            resource.setrlimit(resource.RLIMIT_RTTIME, (rlimit_us // 2, rlimit_us))
        except (OSError, ValueError):
            self._log("child process cannot set realtime rlimit")
        else:
            self._rlimit_set = True

    def _nice(self, priority: int) -> None:
        if self._original_nice is None:
            self._original_nice = os.getpriority(os.PRIO_PROCESS, 0)
        try:
            os.setpriority(os.PRIO_PROCESS, 0, priority)
        except OSError as exc:
            self._log(f"Unable to set process priority to {priority} - "
                      f"{os.strerror(exc.errno or 0)}")

    def _lock_memory(self) -> None:
        libc = _libc()
        if libc.mlockall(_MCL_CURRENT | _MCL_FUTURE | _MCL_ONFAULT) == -1:
            import ctypes

            self._log(f"Unable to lock process in memory - {os.strerror(ctypes.get_errno())}")
        else:
            self._locked = True

    def _on_sigxcpu(self, signum: int, frame: Any) -> None:
        """Run between two bytecodes of whatever kept the process busy."""
        self._log(f"{self.spec.process} process has used too much CPU time, "
                  f"{self.spec.keyword}_rlimit_rttime may need to be increased")
        wanted = self.realtime_priority
        self.standard()
        if wanted and self._loop is not None:
            self._back = self._loop.call_later(STEP_DOWN, self._restore, wanted)

    def _restore(self, priority: int) -> None:
        self._back = None
        if not self.realtime_priority:
            self._realtime(priority, self.spec.rlimit_rt_us)


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)
