"""keepalived's pid files: written at start, refused if a live daemon owns them, removed at exit.

Exporters and `systemctl reload` find the daemon through /run/keepalived.pid, so it must
hold the pid that accepts every signal. We are a single process, so the main and the
VRRP pid files hold the same pid; no checkers pid file is written (no checker runs).
A pid file naming a dead process (or ourselves) is stale and simply replaced.
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


@dataclass
class PidFiles:
    """The pid files this process wrote; `release` removes only those still holding our pid."""

    paths: list[str] = field(default_factory=list)
    pid: int = field(default_factory=os.getpid)

    def release(self) -> None:
        for path in self.paths:
            if read_pid(path) == self.pid:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        self.paths.clear()


def acquire(paths: Sequence[str], *, pid: int | None = None,
            alive: Callable[[int], bool] = pid_alive) -> PidFiles:
    """Write our pid to every path, refusing (nothing written) if one names a live daemon."""
    own = os.getpid() if pid is None else pid
    for path in paths:
        existing = read_pid(path)
        if existing is not None and existing != own and alive(existing):
            raise PidFileError(f"daemon is already running (pid {existing} in {path})")
    files = PidFiles(pid=own)
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
