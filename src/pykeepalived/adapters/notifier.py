"""Notify scripts, notify FIFOs and SMTP alerts for instances and sync groups, in order.

keepalived forks `notify_master/backup/fault/stop/deleted` (no extra arguments) and the
generic `notify` (with `INSTANCE|GROUP name STATE priority` appended) without waiting,
so on quick transitions they race and finish in any order (its #996, #1055). We keep its
launch order but, per instance or group, run them one at a time in order, each with a
time limit, and log how each ended; a queue per object means the protocol never waits.
The FIFO line (`INSTANCE "VI_1" MASTER 100` / `GROUP "G" BACKUP 0`) is written at once,
in event order, to `notify_fifo` and `vrrp_notify_fifo`, whose `*_fifo_script` is
started with the FIFO's path as its last argument. At shutdown, STOP scripts get
keepalived's 1 s budget. An instance DELETED at reload reports FAULT unless it has
`notify_deleted`, as keepalived does.

Public API:

    notifier = Notifier(daemon_spec.notify_targets, fifos=daemon_spec.fifos,
                        smtp=SmtpAlerter(...) or None)          # specs: specs/notify.py
    await notifier.start()
    notifier.notify("INSTANCE", "VI_1", NotifyState.MASTER, 100)   # never blocks
    await notifier.drain(budget=1.0)    # at shutdown, after the STOP notifies
    await notifier.close()

A reload calls `notifier.set_targets(targets, fifos=..., smtp=SmtpSettings or None)`:
FIFOs whose path and script are unchanged stay open (their reader keeps running), the
queue of a kept instance or group keeps its pending scripts, and the queue of a removed
one is drained before its worker ends, so a DELETED notify queued just before still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.adapters.fifos import NotifyFifo
from pykeepalived.adapters.scripts import ScriptRefused, run_script
from pykeepalived.adapters.smtp import SmtpAlerter

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from pykeepalived.adapters.smtp import SmtpSettings
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.specs.notify import FifoSpec, Kind, NotifyTarget
    from pykeepalived.vrrp.tracking import ScriptResult

    Runner = Callable[[ScriptCommand, float | None], Awaitable[ScriptResult]]

log = logging.getLogger(__name__)

#: keepalived waits for nothing but notify_stop (1 s); we bound every notify script.
DEFAULT_NOTIFY_TIMEOUT = 10.0
STOP_TIMEOUT = 1.0
#: States the generic `notify` script and SMTP hear of; others are FIFO-only events.
GENERIC_STATES = frozenset({"MASTER", "BACKUP", "FAULT", "STOP", "DELETED"})


def fifo_line(kind: Kind, name: str, state: str, priority: int) -> str:
    return f'{kind} "{name}" {state} {priority}\n'


@dataclass(frozen=True, slots=True)
class _Event:
    state: str
    priority: int
    env: tuple[tuple[str, str], ...] = ()


class Notifier:
    """Per-object ordered queues of notify scripts, plus FIFO lines and SMTP alerts."""

    def __init__(self, targets: Iterable[NotifyTarget] = (), *,
                 fifos: Iterable[FifoSpec] = (), smtp: SmtpAlerter | None = None,
                 runner: Runner | None = None, script_timeout: float = DEFAULT_NOTIFY_TIMEOUT,
                 stop_timeout: float = STOP_TIMEOUT, enforce_security: bool = False) -> None:
        self._targets: dict[tuple[str, str], NotifyTarget] = {
            (t.kind, t.name): t for t in targets}
        self._fifo_specs = list(fifos)
        self._fifos: list[NotifyFifo] = []
        self._smtp = smtp
        self._runner = runner or self._run_real
        self._script_timeout = script_timeout
        self._stop_timeout = stop_timeout
        self._enforce_security = enforce_security
        self._queues: dict[tuple[str, str], asyncio.Queue[_Event]] = {}
        self._workers: dict[tuple[str, str], asyncio.Task[None]] = {}
        #: removed by a reload, still running what was queued before
        self._retiring: dict[tuple[str, str], NotifyTarget] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._started = False
        #: notify_runs, notify_failures, notify_seconds: the daemon's metrics read them
        self.counts: defaultdict[str, float] = defaultdict(float)

    async def _run_real(self, command: ScriptCommand, time_limit: float | None,
                        ) -> ScriptResult:
        return await run_script(command, time_limit=time_limit,
                                enforce_security=self._enforce_security)

    async def start(self) -> None:
        """Open the FIFOs (starting their scripts); a worker starts with an object's
        first queued script and ends when its queue runs dry (an idle queue and task per
        instance were a tenth of a 200-instance daemon's memory)."""
        self._started = True
        self._open_fifos(self._fifo_specs)

    def set_targets(self, targets: Iterable[NotifyTarget], *, fifos: Iterable[FifoSpec] = (),
                    smtp: SmtpSettings | None = None) -> None:
        """Follow a (re)load; needs the running loop. See the module docstring."""
        new: dict[tuple[str, str], NotifyTarget] = {(t.kind, t.name): t for t in targets}
        for key in self._targets.keys() - new.keys():
            self._retire(key, self._targets[key])
        for key in new.keys() & self._retiring.keys():
            del self._retiring[key]  # back before its queue ran dry: keep the worker
        self._targets = new
        self._set_smtp(smtp)
        self._set_fifos(list(fifos))
        self._started = True

    def _retire(self, key: tuple[str, str], target: NotifyTarget) -> None:
        """A removed object's queued scripts still run: its worker ends when dry."""
        if key in self._workers:
            self._retiring[key] = target

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _set_smtp(self, settings: SmtpSettings | None) -> None:
        old = self._smtp
        if (old.settings if old is not None else None) == settings:
            return
        self._smtp = SmtpAlerter(settings) if settings is not None else None
        if old is not None:
            self._spawn(old.aclose(budget=self._stop_timeout))

    def _set_fifos(self, specs: list[FifoSpec]) -> None:
        kept = [f for f in self._fifos if f.spec in specs]
        for fifo in self._fifos:
            if fifo not in kept:
                self._spawn(fifo.close(budget=self._stop_timeout))
        self._fifos = kept
        self._fifo_specs = specs
        self._open_fifos([s for s in specs if all(f.spec != s for f in kept)])

    def _open_fifos(self, specs: Iterable[FifoSpec]) -> None:
        for spec in specs:
            fifo = NotifyFifo(spec)
            try:
                fifo.open(self._runner)
            except OSError as exc:
                log.error("Unable to open notify fifo %s - %s", spec.path, exc.strerror)
                continue
            self._fifos.append(fifo)

    def _target(self, key: tuple[str, str]) -> NotifyTarget | None:
        return self._targets.get(key) or self._retiring.get(key)

    def notify(self, kind: Kind, name: str, state: str, priority: int,
               env: tuple[tuple[str, str], ...] = ()) -> None:
        """A state change: FIFO line now, scripts queued behind earlier ones, SMTP alert."""
        target = self._target((kind, name))
        state = str(state)
        if state == "DELETED" and (target is None or "DELETED" not in target.scripts):
            state = "FAULT"  # keepalived's backward-compatible report of a deletion
        for fifo in self._fifos:
            fifo.write(fifo_line(kind, name, state, priority))
        if target is None:
            return
        if target.scripts or target.generic is not None:
            self._enqueue((kind, name), target, _Event(state, priority, env))
        if self._smtp is not None and target.smtp_alert and state in GENERIC_STATES:
            self._smtp.alert(kind, name, state)

    def _enqueue(self, key: tuple[str, str], target: NotifyTarget, event: _Event) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            self._workers[key] = asyncio.get_running_loop().create_task(
                self._work(key, queue), name=f"notify {target.label}")
        queue.put_nowait(event)

    async def _work(self, key: tuple[str, str], queue: asyncio.Queue[_Event]) -> None:
        """Run the queue dry, in order; the next event starts a new worker."""
        try:
            while not queue.empty():
                event = queue.get_nowait()
                try:
                    target = self._target(key)
                    if target is not None:
                        await self._run_event(target, event)
                finally:
                    queue.task_done()
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]
                self._workers.pop(key, None)
                self._retiring.pop(key, None)

    async def _run_event(self, target: NotifyTarget, event: _Event) -> None:
        limit = self._stop_timeout if event.state == "STOP" else self._script_timeout
        specific = target.scripts.get(event.state)
        if specific is not None:
            await self._run_one(target, f"notify_{event.state.lower()}",
                                specific.with_env(event.env), limit)
        if target.generic is not None and event.state in GENERIC_STATES:
            extra = (target.kind, target.name, event.state, str(event.priority))
            await self._run_one(target, "notify",
                                target.generic.with_args(extra).with_env(event.env), limit)

    async def _run_one(self, target: NotifyTarget, keyword: str, command: ScriptCommand,
                       limit: float) -> None:
        prefix = f"{target.label} {keyword} script {command.program}"
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            result = await self._runner(command, limit)
        except ScriptRefused as refused:
            log.error("%s not run: %s", prefix, refused)
            self.counts["notify_runs"] += 1
            self.counts["notify_failures"] += 1
            return
        finally:
            self.counts["notify_seconds"] += loop.time() - started
        self.counts["notify_runs"] += 1
        if result.timed_out or result.signal is not None or result.exit_status:
            self.counts["notify_failures"] += 1
        if result.timed_out:
            log.warning("%s timed out after %gs and was killed", prefix, limit)
        elif result.signal is not None:
            log.warning("%s killed by signal %d", prefix, result.signal)
        else:
            log.info("%s exited with status %d", prefix, result.exit_status or 0)

    async def drain(self, budget: float = STOP_TIMEOUT) -> bool:
        """Wait (at most `budget` s) for every queued script to finish; True if all did."""
        joins = [asyncio.ensure_future(q.join()) for q in self._queues.values()]
        if not joins:
            return True
        _done, late = await asyncio.wait(joins, timeout=budget)
        for task in late:
            task.cancel()
        return not late

    async def close(self) -> None:
        """Stop the workers (killing running scripts), close FIFOs, flush SMTP."""
        workers = [*self._workers.values(), *self._background]
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers.clear()
        self._queues.clear()
        self._retiring.clear()
        for fifo in self._fifos:
            await fifo.close(budget=self._stop_timeout)
        self._fifos.clear()
        if self._smtp is not None:
            await self._smtp.aclose(budget=self._stop_timeout)
