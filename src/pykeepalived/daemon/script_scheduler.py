"""Runs each tracked vrrp_script every `interval`, one run at a time, feeding its tracker.

keepalived runs a script first at startup and then every `interval` seconds, with a time
limit of `timeout` (default: the interval). A run still going when the next one is due
is not doubled: we log keepalived's line `Track script X is already running, expect idle
- skipping run` (`is being timed out` once past its time limit, while it is being
killed) and skip it (keepalived 2.2.7 logs the line but forks anyway). A script is
run once per interval however many instances track it: the scheduler is keyed by script
name and the callback fans the verdict out.

Public API:

    jobs = [ScheduledScript.from_spec(s) for s in daemon_spec.scripts]   # specs/tracks.py
    sched = ScriptScheduler(jobs, on_verdict=lambda name, verdict: ...)
    sched.start()             # inside a running loop: first runs start at once
    sched.tick("chk")         # what the timer calls; tests drive it directly
    await sched.reload(jobs)  # SIGHUP: kept names keep their verdict (ScriptTracker.reloaded)
    await sched.stop()        # cancels timers and kills running scripts

`on_verdict(name, verdict)` gets every `ScriptVerdict` (verdict.changed says whether the
instances must hear of it; `PriorityTracker.reading_changed(TrackKind.SCRIPT, name,
verdict.status)` is the usual next step). Verdict log lines are logged here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pykeepalived.adapters.scripts import ScriptRefused, run_script
from pykeepalived.vrrp.tracking import ScriptTracker

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from pykeepalived.commands import ScriptCommand
    from pykeepalived.specs.tracks import ScriptSpec
    from pykeepalived.vrrp.tracking import ScriptResult, ScriptVerdict

    Runner = Callable[[ScriptCommand, float], Awaitable[ScriptResult]]
    OnVerdict = Callable[[str, ScriptVerdict], None]
    LogLine = Callable[[str, int], None]  # (line, logging level)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScheduledScript:
    """One vrrp_script as the scheduler runs it (seconds, already resolved)."""

    name: str
    command: ScriptCommand
    interval: float
    time_limit: float
    tracker: ScriptTracker

    @classmethod
    def from_spec(cls, spec: ScriptSpec) -> ScheduledScript:
        """From the daemon's built spec (user/group defaults already applied)."""
        tracker = ScriptTracker(spec.name, rise=spec.rise, fall=spec.fall,
                                init_fail=spec.init_fail)
        return cls(spec.name, spec.command, spec.interval, spec.timeout, tracker)


class ScriptScheduler:
    """Owns the timers and the at-most-one running task of every tracked script."""

    def __init__(self, scripts: Iterable[ScheduledScript], on_verdict: OnVerdict, *,
                 runner: Runner | None = None, enforce_security: bool = False,
                 log_line: LogLine | None = None) -> None:
        self._jobs = _by_name(scripts)
        self._on_verdict = on_verdict
        self._log_line = log_line or _log_info
        self._runner = runner or self._run_real
        self._enforce_security = enforce_security
        self._running: dict[str, asyncio.Task[None]] = {}
        #: when the current (or last) run of each script started, on the loop's clock
        self._started: dict[str, float] = {}
        self._timers: list[asyncio.Task[None]] = []
        self._disabled: set[str] = set()
        #: script_runs, script_failures, script_seconds: the daemon's metrics read them
        self.counts: defaultdict[str, float] = defaultdict(float)

    async def _run_real(self, command: ScriptCommand, time_limit: float) -> ScriptResult:
        return await run_script(command, time_limit=time_limit,
                                enforce_security=self._enforce_security)

    def tracker(self, name: str) -> ScriptTracker:
        return self._jobs[name].tracker

    def trackers(self) -> dict[str, ScriptTracker]:
        return {name: job.tracker for name, job in self._jobs.items()}

    def is_running(self, name: str) -> bool:
        task = self._running.get(name)
        return task is not None and not task.done()

    async def wait_idle(self, name: str) -> None:
        """Wait for the current run of `name` (if any) to finish and be recorded."""
        task = self._running.get(name)
        if task is not None:
            await asyncio.shield(task)

    def tick(self, name: str) -> bool:
        """The script is due: start a run unless one is still going. True if started."""
        if name in self._disabled:
            return False
        loop = asyncio.get_running_loop()
        if self.is_running(name):
            overdue = loop.time() - self._started[name] >= self._jobs[name].time_limit
            doing = "being timed out" if overdue else "already running"
            self._log_line(f"Track script {name} is {doing}, expect idle - skipping run",
                           logging.INFO)
            return False
        self._started[name] = loop.time()
        self._running[name] = loop.create_task(
            self._run_once(self._jobs[name]), name=f"vrrp_script {name}")
        return True

    async def _run_once(self, job: ScheduledScript) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            result = await self._runner(job.command, job.time_limit)
        except ScriptRefused as refused:
            self._log_line(f"VRRP_Script({job.name}): {refused}", logging.ERROR)
            self._disabled.add(job.name)
            self.counts["script_runs"] += 1
            self.counts["script_failures"] += 1
            return
        finally:
            self.counts["script_seconds"] += loop.time() - started
        self.counts["script_runs"] += 1
        if result.timed_out or result.signal is not None or result.exit_status:
            self.counts["script_failures"] += 1
        verdict = job.tracker.record(result)
        for line in verdict.logs:
            self._log_line(line, logging.INFO)
        self._on_verdict(job.name, verdict)

    def start(self) -> None:
        """Start every script's timer; the first run of each is immediate."""
        loop = asyncio.get_running_loop()
        for job in self._jobs.values():
            self._timers.append(loop.create_task(self._every(job), name=f"timer {job.name}"))

    async def _every(self, job: ScheduledScript) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            self.tick(job.name)
            due = next_slot(due, job.interval, loop.time())
            await asyncio.sleep(due - loop.time())

    async def stop(self) -> None:
        """Stop the timers, then cancel running scripts (their groups are killed)."""
        tasks = [*self._timers, *self._running.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._timers.clear()
        self._running.clear()

    async def reload(self, scripts: Iterable[ScheduledScript]) -> None:
        """New jobs; a kept name keeps its verdict, a new one starts as `added by reload`.

        Runs in progress are stopped (as at stop) and every timer restarts at once, so a
        changed command or interval applies from the first run after the reload.
        """
        running = bool(self._timers)
        await self.stop()
        fresh: list[ScheduledScript] = []
        for job in scripts:
            old = self._jobs.get(job.name)
            if old is None:
                tracker = ScriptTracker(job.name, rise=job.tracker.rise, fall=job.tracker.fall,
                                        init_fail=False, added_by_reload=True)
            else:
                tracker, lines = old.tracker.reloaded(rise=job.tracker.rise,
                                                      fall=job.tracker.fall)
                for line in lines:
                    self._log_line(line, logging.INFO)
            fresh.append(replace(job, tracker=tracker))
        self._jobs = _by_name(fresh)
        self._disabled &= set(self._jobs)
        if running:
            self.start()


def next_slot(due: float, interval: float, now: float) -> float:
    """The first slot of the fixed grid (`due`, `due + interval`, ...) after `now`.

    A fixed grid keeps lateness from accumulating. Slots missed while the whole process
    was frozen (SIGSTOP, a paused VM, a long stall) are skipped, not run back to back at
    SIGCONT: one late run, then the grid again. keepalived re-arms each script's timer
    from the run it starts, so it never catches up either.
    """
    due += interval
    if due <= now and interval > 0:
        due += (math.floor((now - due) / interval) + 1) * interval
    return due


def _by_name(scripts: Iterable[ScheduledScript]) -> dict[str, ScheduledScript]:
    jobs: dict[str, ScheduledScript] = {}
    for job in scripts:
        if job.name in jobs:
            raise ValueError(f"VRRP_Script({job.name}) scheduled twice")
        jobs[job.name] = job
    return jobs


def _log_info(line: str, level: int) -> None:
    log.log(level, "%s", line)
