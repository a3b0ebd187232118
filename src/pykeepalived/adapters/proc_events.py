"""vrrp_track_process: process quorum from the kernel's process events, not from polling.

keepalived (core/track_process.c) subscribes to the netlink process connector
(NETLINK_CONNECTOR, CN_IDX_PROC) and counts, per tracker, the processes whose
`/proc/PID/comm` equals `process` exactly (or, with `full_command` / parameters, whose
argv[0] does, with `param_match` exact/partial/initial on the remaining arguments). A
fork of a counted process is counted at once; exec and comm changes re-match; an exit
uncounts. Quorum holds while quorum <= count <= quorum_max. Gaining quorum by a fork
waits `fork_delay`, losing it waits `terminate_delay` (`delay` sets both); crossing back
in the meantime cancels the pending change.

`QuorumCounter` is the pure counting (virtual `now` in, reported changes out);
`ProcessMonitor` is the asyncio adapter:

    monitor = ProcessMonitor(daemon_spec.processes,   # ProcessMatcher: specs/tracks.py
                             on_change=lambda name, up: ...)   # TrackKind.PROCESS reading
    await monitor.start()   # ProcEventsUnavailable (clear message) if the kernel refuses
    monitor.close()

`on_change` is called once per tracker with the initial reading after the /proc scan,
then on every quorum change, from the event loop, within the same loop iteration that
read the kernel's EXIT event (no polling).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pykeepalived.specs.tracks import ProcessMatcher

log = logging.getLogger(__name__)

NETLINK_CONNECTOR = 11
CN_IDX_PROC = CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
NLMSG_DONE = 3
PROC_EVENT_FORK, PROC_EVENT_EXEC, PROC_EVENT_COMM = 0x1, 0x2, 0x200
PROC_EVENT_EXIT = 0x80000000
_NLMSG = struct.Struct("=IHHII")
_CN_MSG = struct.Struct("=IIIIHH")
_EVENT = struct.Struct("=IIQ")
_PAIR = struct.Struct("=II")
_FORK = struct.Struct("=IIII")


class ProcEventsUnavailable(Exception):
    """The process connector cannot be used (not root, not the initial netns, no kernel
    support): the message says which."""


@dataclass(slots=True)
class QuorumCounter:
    """One tracker's counted pids and its reported quorum, with keepalived's delays."""

    matcher: ProcessMatcher
    pids: set[int] = field(default_factory=set)
    reported: bool = False
    deadline: float | None = None

    def in_quorum(self) -> bool:
        return self.matcher.quorum <= len(self.pids) <= self.matcher.quorum_max

    def add(self, pid: int, *, now: float, forked: bool = False) -> bool | None:
        if pid in self.pids:
            return None
        self.pids.add(pid)
        return self._settle(now, self.matcher.fork_delay if forked else 0.0)

    def remove(self, pid: int, *, now: float, exited: bool = True) -> bool | None:
        if pid not in self.pids:
            return None
        self.pids.discard(pid)
        return self._settle(now, self.matcher.terminate_delay if exited else 0.0)

    def _settle(self, now: float, delay: float) -> bool | None:
        """The new reading if it changes now; a pending change is cancelled by a return."""
        want = self.in_quorum()
        if want == self.reported:
            self.deadline = None
            return None
        if self.deadline is not None:
            return None  # a change is already pending
        if delay > 0:
            self.deadline = now + delay
            return None
        self.reported = want
        return want

    def due(self, now: float) -> bool | None:
        if self.deadline is None or now < self.deadline:
            return None
        self.deadline = None
        return self._settle(now, 0.0)


@dataclass(frozen=True, slots=True)
class ProcEvent:
    what: int
    pid: int  # the thread id the kernel calls pid
    tgid: int  # the process id
    parent_tgid: int = 0


def parse_datagram(data: bytes) -> list[ProcEvent]:
    """Decode the proc connector messages in one datagram; malformed tails are dropped."""
    events, offset = [], 0
    while offset + _NLMSG.size <= len(data):
        length = _NLMSG.unpack_from(data, offset)[0]
        if length < _NLMSG.size or offset + length > len(data):
            break
        body = offset + _NLMSG.size + _CN_MSG.size
        if body + _EVENT.size <= offset + length:
            what = _EVENT.unpack_from(data, body)[0]
            event = _decode(what, data, body + _EVENT.size, offset + length)
            if event is not None:
                events.append(event)
        offset += (length + 3) & ~3
    return events


def _decode(what: int, data: bytes, at: int, end: int) -> ProcEvent | None:
    if what == PROC_EVENT_FORK and at + _FORK.size <= end:
        _ppid, ptgid, cpid, ctgid = _FORK.unpack_from(data, at)
        return ProcEvent(what, cpid, ctgid, ptgid)
    if what in (PROC_EVENT_EXEC, PROC_EVENT_COMM, PROC_EVENT_EXIT) and at + _PAIR.size <= end:
        pid, tgid = _PAIR.unpack_from(data, at)
        return ProcEvent(what, pid, tgid)
    return None


def read_identity(pid: int) -> tuple[str, bytes] | None:
    """(comm, cmdline) of a live, non-zombie process; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            if f.read().rpartition(b")")[2].split()[0] == b"Z":
                return None
        with open(f"/proc/{pid}/comm", "rb") as f:
            comm = f.read().rstrip(b"\n").decode(errors="replace")
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return comm, f.read()
    except (OSError, IndexError):
        return None


class ProcessMonitor:
    """Owns the connector socket, the counters and their delay timers."""

    def __init__(self, matchers: Iterable[ProcessMatcher],
                 on_change: Callable[[str, bool], None]) -> None:
        self._counters = {m.name: QuorumCounter(m) for m in matchers}
        self._on_change = on_change
        self._sock: socket.socket | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}

    async def start(self) -> None:
        self._sock = open_connector()
        loop = asyncio.get_running_loop()
        self._rescan(initial=True)
        loop.add_reader(self._sock.fileno(), self._readable)

    async def start_polling(self, interval: float = 1.0) -> None:
        """Fallback when the connector is refused (it only works in the initial network
        namespace, as for keepalived): rescan /proc every `interval` seconds."""
        self._rescan(initial=True)
        self._poller = asyncio.get_running_loop().create_task(self._poll(interval))

    async def _poll(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._rescan()

    def close(self) -> None:
        poller = getattr(self, "_poller", None)
        if poller is not None:
            poller.cancel()
        for handle in self._timers.values():
            handle.cancel()
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _report(self, name: str, change: bool | None) -> None:
        if change is not None:
            self._on_change(name, change)
        self._arm(name)

    def _rescan(self, *, initial: bool = False) -> None:
        """Count from /proc: at start, and after the kernel dropped events (ENOBUFS)."""
        found: dict[str, set[int]] = {name: set() for name in self._counters}
        for entry in os.listdir("/proc"):
            identity = read_identity(int(entry)) if entry.isdigit() else None
            for name, counter in self._counters.items():
                if identity is not None and counter.matcher.matches(*identity):
                    found[name].add(int(entry))
        now = self._now()
        for name, counter in self._counters.items():
            if initial:
                counter.pids = found[name]
                counter.reported = counter.in_quorum()
                self._on_change(name, counter.reported)
                continue
            for pid in counter.pids - found[name]:
                self._report(name, counter.remove(pid, now=now))
            for pid in found[name] - counter.pids:
                self._report(name, counter.add(pid, now=now))

    def _readable(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data = self._sock.recv(65536)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    log.warning("process monitor lost events - rescanning /proc")
                    self._rescan()
                    continue
                log.error("process monitor netlink recv error %d - %s", exc.errno, exc.strerror)
                return
            for event in parse_datagram(data):
                self.handle(event)

    def handle(self, event: ProcEvent) -> None:
        """One kernel event; threads (pid != tgid) are ignored, as keepalived does."""
        if event.pid != event.tgid:
            return
        now = self._now()
        if event.what == PROC_EVENT_EXIT:
            for name, counter in self._counters.items():
                self._report(name, counter.remove(event.tgid, now=now))
        elif event.what == PROC_EVENT_FORK:
            for name, counter in self._counters.items():
                if event.parent_tgid in counter.pids:
                    self._report(name, counter.add(event.tgid, now=now, forked=True))
        else:
            self._recheck(event.tgid, now, comm_only=event.what == PROC_EVENT_COMM)

    def _recheck(self, pid: int, now: float, *, comm_only: bool) -> None:
        identity = read_identity(pid)
        for name, counter in self._counters.items():
            if comm_only and counter.matcher.full_command:
                continue  # a comm change does not touch the command line
            if identity is not None and counter.matcher.matches(*identity):
                self._report(name, counter.add(pid, now=now))
            else:
                self._report(name, counter.remove(pid, now=now, exited=False))

    def _arm(self, name: str) -> None:
        """Keep one loop timer per counter at its pending deadline."""
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        deadline = self._counters[name].deadline
        if deadline is not None:
            self._timers[name] = asyncio.get_running_loop().call_at(
                deadline, self._fire, name)

    def _fire(self, name: str) -> None:
        self._timers.pop(name, None)
        self._report(name, self._counters[name].due(self._now()))


def open_connector() -> socket.socket:
    """A non-blocking proc connector socket already subscribed to process events."""
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
    except OSError as exc:
        raise ProcEventsUnavailable(
            "track_process not available - is CONFIG_PROC_EVENTS enabled in kernel config?"
            f" ({exc.strerror})") from None
    try:
        sock.bind((0, CN_IDX_PROC))
        listen = struct.pack("=I", PROC_CN_MCAST_LISTEN)
        cn_msg = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(listen), 0)
        header = _NLMSG.pack(_NLMSG.size + len(cn_msg) + len(listen), NLMSG_DONE, 0, 0,
                             sock.getsockname()[0])
        sock.send(header + cn_msg + listen)
    except OSError as exc:
        sock.close()
        raise ProcEventsUnavailable(
            f"Failed to set process event listen - errno {exc.errno} - {exc.strerror}"
            " (needs CAP_NET_ADMIN in the initial network namespace)") from None
    sock.setblocking(False)
    return sock
