"""Process faults for the lab's daemons, and what they leave behind (issue 15).

The same calls for both implementations, so a scenario is played against each:

- `crash(node)`: kill -9. pykeepalived is one process. keepalived's VRRP child is what
  speaks VRRP and holds the VIPs, and its parent respawns a child that dies, and a child
  whose parent dies gets SIGTERM (PR_SET_PDEATHSIG) and stops cleanly; so the parent
  is frozen first, then the child and the parent are SIGKILLed: nothing runs any
  clean-up, as in a crash of the whole daemon.
- `freeze(node)` / `thaw(node)`: SIGSTOP / SIGCONT of the process that speaks VRRP.
- `vrrp_pid(node)`, `children(pid)`, `zombies(pid)`, `rss_kib(pid)`,
  `process_state(pid)`: /proc read-outs.
- `vip_holders(lab, hosts, vip)` and `first_time(...)`: who holds the VIP, and when a
  condition first held (polled with `ip -n`, a few ms per host).
- `AdvertWatch`: every VRRP advert an observer host hears, with the kernel's receive
  time, read in this process from an AF_PACKET socket opened in the observer's
  namespace (no capture process to start or stop).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from netlab.advert_log import (
    ETH_P_ALL,
    RECEIVE_BUFFER,
    SO_RCVBUFFORCE,
    SO_TIMESTAMPNS,
    Advert,
    attach_vrrp_filter,
    drain,
    statistics,
)
from netlab.lab import STOP_TIMEOUT, wait_for
from netlab.peers import KeepalivedPeer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from netlab.lab import Lab
    from netlab.peers import Daemon

#: `ip -n` polls: the resolution of every "first time" figure is about this
POLL = 0.005


def main_pid(node: Daemon) -> int:
    assert node.process is not None, "start it first"
    return node.process.pid


def vrrp_pid(node: Daemon) -> int:
    """The process that runs VRRP: keepalived's VRRP child (from its -r pid file, which
    the lab puts in the node's directory), or pykeepalived's one process."""
    if not isinstance(node, KeepalivedPeer):
        return main_pid(node)
    path = node.directory / "vrrp.pid"
    parent = main_pid(node)

    def written() -> int | None:
        text = path.read_text().strip() if path.exists() else ""
        pid = int(text) if text.isdigit() else None
        return pid if pid is not None and pid != parent and _parent_of(pid) == parent \
            else None

    return wait_for(written, 10.0, what=f"keepalived's VRRP child pid in {path}")


def crash(node: Daemon) -> int:
    """kill -9 of the whole daemon, no clean-up anywhere; the pid that ran VRRP.

    keepalived's VRRP child, orphaned by its parent's death, would be left to PID 1 to
    reap; this machine's PID 1 reaps lazily, and until then keepalived's restart sees
    its pid alive (`kill(pid, 0)` succeeds on a zombie) and refuses to start. Where
    init reaps at once that window is nil, so this process adopts the child for the
    moment of the crash (PR_SET_CHILD_SUBREAPER) and reaps it itself."""
    assert node.process is not None, "start it first"
    popen = node.process.popen
    victim = vrrp_pid(node)
    with _subreaper():
        if victim != popen.pid:
            os.kill(popen.pid, signal.SIGSTOP)  # no respawn, no SIGTERM to the child
            os.kill(victim, signal.SIGKILL)
        os.kill(popen.pid, signal.SIGKILL)
        popen.wait(STOP_TIMEOUT)
        if victim != popen.pid:
            wait_for(lambda: _reaped(victim), STOP_TIMEOUT, interval=0.005,
                     what=f"pid {victim} to be reaped")
    return victim


PR_SET_CHILD_SUBREAPER = 36


@contextlib.contextmanager
def _subreaper() -> Iterator[None]:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def _reaped(pid: int) -> bool:
    """Reap `pid` if it is our (adopted) child and dead; True once it is gone."""
    with contextlib.suppress(ChildProcessError):
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            return False
    return process_state(pid) is None


def freeze(node: Daemon) -> int:
    pid = vrrp_pid(node)
    os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: process_state(pid) == "T", STOP_TIMEOUT, interval=0.002,
             what=f"pid {pid} to stop")
    return pid


def thaw(pid: int) -> None:
    os.kill(pid, signal.SIGCONT)


# ------------------------------------------------------------------ /proc read-outs
def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: [state, ppid, ...]; None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()


def process_state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[0] if fields is not None else None


def _parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields is not None else None


def _running(pid: int) -> bool:
    return process_state(pid) not in (None, "Z", "X")


def children(pid: int) -> dict[int, str]:
    """Every child of `pid` and its state letter (Z: a zombie it has not reaped)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found[int(entry.name)] = fields[0]
    return found


def zombies(pid: int) -> int:
    return sum(1 for state in children(pid).values() if state == "Z")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for pid {pid}")


# ------------------------------------------------------------------ the VIP
def vip_holders(lab: Lab, hosts: Iterable[str], vip: str) -> frozenset[str]:
    return frozenset(h for h in hosts
                     if f" {vip}/" in lab.host(h).ip("-o", "addr", "show", "dev", "eth0"))


def first_time(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """time.monotonic() at the first poll where `predicate` held (bounded)."""
    def stamp() -> float | None:
        return time.monotonic() if predicate() else None
    return wait_for(stamp, timeout, interval=POLL, what=what)


def steady(predicate: Callable[[], bool], seconds: float) -> bool:
    """`predicate` held at every poll for `seconds` (a bounded positive check)."""
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / 0.02) + 1):
        if not predicate():
            return False
        if time.monotonic() >= deadline:
            break
        time.sleep(0.02)  # a window to watch, nothing to wait for
    return True


# ------------------------------------------------------------------ adverts on the wire
@dataclass
class AdvertWatch:
    """VRRP adverts heard by an observer host, with kernel receive times (ns, epoch).

    The socket is opened when the watch starts and buffers (16 MB) until `adverts()`
    drains it, so nothing is lost while the test is busy elsewhere."""

    sock: socket.socket

    @classmethod
    def start(cls, lab: Lab, host: str) -> AdvertWatch:
        make = lab.host(host).socket_factory()
        sock = make(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        attach_vrrp_filter(sock)
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.bind((lab.host(host).ifname, 0))
        sock.setblocking(False)
        statistics(sock)
        return cls(sock)

    def adverts(self, limit: int = 100_000) -> list[Advert]:
        """Everything heard since the last call, then the kernel's drop count must be 0."""
        found = drain(self.sock, limit)
        _packets, drops = statistics(self.sock)
        if drops:
            raise RuntimeError(f"the advert watch lost {drops} frames")
        return found

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
