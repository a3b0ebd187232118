"""keepalived's pid files: written at start, refused if a live daemon owns them, removed at exit.

Exporters and `systemctl reload` find the daemon through /run/keepalived.pid, so it must
hold the pid that accepts every signal. We are a single process, so the main and the
VRRP pid files hold the same pid; no checkers pid file is written (no checker runs).
A pid file naming a dead process (or ourselves) is stale and replaced, with keepalived's
line "Remove a zombie pid file PATH". So is one naming a live process that is no
keepalived: after a crash (SIGKILL) and a long downtime or a reboot with a persistent
pid directory, the pid may belong to something else by now, and keepalived 2.2.7
(`kill(pid, 0)` alone) then refuses to start, "daemon is already running", until the
file is removed by hand. A process counts as a keepalived when its command line
mentions "keepalived" (keepalived itself, `pykeepalived`, `python -m pykeepalived`);
when /proc cannot tell, it is assumed to be one.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

MAIN_PIDFILE = "/run/keepalived.pid"
VRRP_PIDFILE = "/run/keepalived_vrrp.pid"


class PidFileError(Exception):
    """Another daemon is running, or the pid file cannot be written."""


def read_pid(path: str) -> int | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            text = handle.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def command_line(pid: int) -> bytes | None:
    """/proc/PID/cmdline (NUL-separated; empty for a zombie); None when unreadable."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return b""
    except OSError:
        return None


#: /proc/PID/stat flags bit of a kernel thread
PF_KTHREAD = 0x00200000


def daemon_alive(pid: int) -> bool:
    """A live process that may be a keepalived (see the module docstring)."""
    if not pid_alive(pid):
        return False
    line = command_line(pid)
    if line is None or b"keepalived" in line:
        return True
    if line:
        return False
    # no command line: a zombie or a kernel thread is no daemon; a process in the
    # middle of exec (its arguments not mapped yet) may be one
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True
    return fields[0] not in ("Z", "X") and not int(fields[6]) & PF_KTHREAD


@dataclass
class PidFiles:
    """The pid files this process wrote; `release` removes only those still holding our pid."""

    paths: list[str] = field(default_factory=list)
    pid: int = field(default_factory=os.getpid)
    #: keepalived's lines for the stale pid files replaced, for the caller to log
    replaced: list[str] = field(default_factory=list)

    def release(self) -> None:
        for path in self.paths:
            if read_pid(path) == self.pid:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        self.paths.clear()


def acquire(paths: Sequence[str], *, pid: int | None = None,
            alive: Callable[[int], bool] = daemon_alive) -> PidFiles:
    """Write our pid to every path, refusing (nothing written) if one names a live daemon."""
    own = os.getpid() if pid is None else pid
    stale: list[str] = []
    for path in paths:
        existing = read_pid(path)
        if existing is not None and existing != own:
            if alive(existing):
                raise PidFileError(f"daemon is already running (pid {existing} in {path})")
            stale.append(f"Remove a zombie pid file {path}")
    files = PidFiles(pid=own, replaced=stale)
    try:
        for path in paths:
            _write(path, own)
            files.paths.append(path)
    except OSError as exc:
        files.release()
        raise PidFileError(f"cannot write pid file {exc.filename}: {exc.strerror}") from None
    return files


def _write(path: str, pid: int) -> None:
    directory = os.path.dirname(path) or "."
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{pid}.tmp")
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(f"{pid}\n")
    os.replace(temporary, path)
