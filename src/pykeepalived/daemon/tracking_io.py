"""The I/O half of every tracker: links, vrrp_scripts, track_files and processes.

Each source reports a reading with `on_reading(kind, name, reading)`; the runtime fans
it out to the instances' `PriorityTracker`s. This module also remembers the latest
reading of every source so an instance started later (or by a reload) starts from what
is true now, not from a default.

- links: netlink events the runtime forwards (`link_changed`);
- vrrp_scripts: `ScriptScheduler` (the only script loop), which keeps verdicts across a
  reload;
- track_file: read at start and every `FILE_POLL_INTERVAL` (keepalived uses inotify; a
  poll of a handful of small files is as cheap and has no watch to lose on `mv`);
  the value is parsed as keepalived's strtol(…, 0) does; `init_file` creates the file;
- vrrp_track_process: `ProcessMonitor` (netlink process connector, event driven); the
  kernel offers that connector only in the initial network namespace, so inside another
  one we poll /proc instead of silently reading every process as present.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from typing import TYPE_CHECKING

from pykeepalived.adapters.proc_events import ProcEventsUnavailable
from pykeepalived.daemon.script_scheduler import ScheduledScript, ScriptScheduler
from pykeepalived.vrrp.tracking import TrackKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pykeepalived.daemon.ports import LogSink, Ports, ProcessMonitorPort
    from pykeepalived.specs.build import DaemonSpec
    from pykeepalived.specs.tracks import FileSpec
    from pykeepalived.vrrp.tracking import Reading, ScriptTracker, ScriptVerdict

    OnReading = Callable[[TrackKind, str, Reading], None]

FILE_POLL_INTERVAL = 1.0
#: only when the kernel refuses process events (outside the initial network namespace)
PROCESS_POLL_INTERVAL = 0.5
_STRTOL = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_INT32 = (-(2**31), 2**31)


def parse_track_file(text: str) -> int | None:
    """keepalived's strtol(buf, NULL, 0): leading number or 0; None when out of range."""
    match = _STRTOL.match(text)
    if match is None:
        return 0
    sign, digits = match.groups()
    if digits.lower().startswith("0x"):
        value = int(digits, 16)
    elif digits.startswith("0") and len(digits) > 1:
        value = int(digits, 8)
    else:
        value = int(digits)
    value = -value if sign == "-" else value
    return value if _INT32[0] <= value <= _INT32[1] else None


def read_track_file(path: str) -> int | None:
    """The file's value; a missing or empty file reads 0 (as keepalived)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(127)
    except OSError:
        return 0
    return parse_track_file(data.decode("ascii", "replace"))


def init_track_file(spec: FileSpec, *, reload: bool) -> str | None:
    """`init_file [VALUE] [overwrite]`: create (or overwrite) the file; error text or None."""
    if spec.init is None:
        return None
    value, overwrite = 0, False
    for word in spec.init:
        if word == "overwrite":
            overwrite = True
        else:
            with contextlib.suppress(ValueError):
                value = int(word)
    if os.path.exists(spec.path) and (not overwrite or reload):
        return None
    try:
        with open(spec.path, "w", encoding="ascii") as handle:
            handle.write(f"{value}\n")
    except OSError:
        return f"Unable to initialise track file {spec.name}"
    return None


class Trackers:
    """Owns every tracker source; readings go to `on_reading`."""

    def __init__(self, ports: Ports, log: LogSink, on_reading: OnReading) -> None:
        self._ports = ports
        self._log = log
        self._on_reading = on_reading
        self.readings: dict[tuple[TrackKind, str], Reading] = {}
        self.scheduler = ScriptScheduler([], self._on_verdict, runner=ports.run_command,
                                         log_line=lambda line, _level: log.log(line))
        self._files: tuple[FileSpec, ...] = ()
        self._file_task: asyncio.Task[None] | None = None
        self._processes: ProcessMonitorPort | None = None
        self._process_specs: tuple[object, ...] = ()

    def script_trackers(self) -> dict[str, ScriptTracker]:
        return self.scheduler.trackers()

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self, daemon: DaemonSpec) -> None:
        """Initial readings first (files, processes), so instances start from them."""
        await self.scheduler.reload(ScheduledScript.from_spec(s) for s in daemon.scripts)
        for name, tracker in self.scheduler.trackers().items():
            self.readings[(TrackKind.SCRIPT, name)] = tracker.status
        self._set_files(daemon.files, reload=False)
        await self._set_processes(daemon)

    def run(self) -> None:
        """Start the periodic sources (scripts, file poll) once the instances exist."""
        self.scheduler.start()
        if self._files and self._file_task is None:
            self._file_task = asyncio.get_running_loop().create_task(self._poll_files())

    async def reload(self, daemon: DaemonSpec) -> None:
        await self.scheduler.reload(ScheduledScript.from_spec(s) for s in daemon.scripts)
        for name, tracker in self.scheduler.trackers().items():
            self.readings[(TrackKind.SCRIPT, name)] = tracker.status
        self._set_files(daemon.files, reload=True)
        if self._files and self._file_task is None:
            self._file_task = asyncio.get_running_loop().create_task(self._poll_files())
        await self._set_processes(daemon)

    async def stop(self) -> None:
        await self.scheduler.stop()
        if self._file_task is not None:
            self._file_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._file_task
            self._file_task = None
        if self._processes is not None:
            self._processes.close()
            self._processes = None

    # --- sources ------------------------------------------------------------------------

    def link_changed(self, ifname: str, up: bool) -> None:
        self._report(TrackKind.INTERFACE, ifname, up)

    def _on_verdict(self, name: str, verdict: ScriptVerdict) -> None:
        if verdict.changed:
            self._report(TrackKind.SCRIPT, name, verdict.status)

    def _report(self, kind: TrackKind, name: str, reading: Reading) -> None:
        key = (kind, name)
        if key in self.readings and self.readings[key] == reading:
            return
        self.readings[key] = reading
        self._on_reading(kind, name, reading)

    def _set_files(self, files: Iterable[FileSpec], *, reload: bool) -> None:
        self._files = tuple(files)
        for spec in self._files:
            problem = init_track_file(spec, reload=reload)
            if problem is not None:
                self._log.log(problem)
        self.poll_files()

    def poll_files(self) -> None:
        """Read every track_file once; changed values are reported."""
        for spec in self._files:
            value = read_track_file(spec.path)
            if value is None:
                self._log.log(f"Invalid number read from {spec.path} - ignoring")
                continue
            self._report(TrackKind.FILE, spec.name, value)

    async def _poll_files(self) -> None:
        while True:
            await asyncio.sleep(FILE_POLL_INTERVAL)
            self.poll_files()

    async def _set_processes(self, daemon: DaemonSpec) -> None:
        if daemon.processes == self._process_specs and self._processes is not None:
            return
        if self._processes is not None:
            self._processes.close()
            self._processes = None
        self._process_specs = daemon.processes
        if not daemon.processes:
            return
        monitor = self._ports.make_process_monitor(
            daemon.processes, lambda name, up: self._report(TrackKind.PROCESS, name, up))
        try:
            await monitor.start()
        except (ProcEventsUnavailable, OSError) as exc:
            self._log.log(f"vrrp_track_process: process events unavailable ({exc}); "
                          f"polling /proc every {PROCESS_POLL_INTERVAL:g} s instead")
            await monitor.start_polling(PROCESS_POLL_INTERVAL)
        self._processes = monitor
