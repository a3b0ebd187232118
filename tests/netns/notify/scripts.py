"""What an operator's notify hooks look like on disk, and how their traces read back.

Each hook is a root-owned 0755 shell script in the node's (0700, root) directory, so
`enable_script_security` accepts it; it appends one `<epoch seconds> <$0> <$*>` line to a
trace file, which is how the tests see the order and arguments the daemon used.
Addresses: hosts 192.0.2.161-163, VIPs 192.0.2.165-169, VRIDs 160-169 (task prefix `ntf`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.lab import wait_for

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

PREFIX = "ntf"
#: Lab(base=160): host a is 192.0.2.161, b .162, c .163
BASE = 160
#: several Master_Down_Intervals at 0.1 s adverts, plus interpreter start-up
TAKEOVER = 8.0


@dataclass(frozen=True)
class TraceLine:
    """One line a hook wrote: when, which script, with which arguments."""

    stamp: float
    script: str
    args: tuple[str, ...]

    @property
    def name(self) -> str:
        return os.path.basename(self.script)


def write_hook(directory: Path, name: str, trace: Path, *, sleep: float = 0.0) -> Path:
    """A hook that records its call; with `sleep`, it records its end as `<name>-end` too."""
    path = directory / name
    lines = ["#!/bin/sh", f'echo "$(date +%s.%N) $0 $*" >> {trace}']
    if sleep:
        lines += [f"sleep {sleep}", f'echo "$(date +%s.%N) $0-end $*" >> {trace}']
    path.write_text("\n".join(lines) + "\n")
    os.chmod(path, 0o755)
    return path


def write_fifo_reader(directory: Path, out: Path) -> Path:
    """A `*_fifo_script`: copies every FIFO line (path is its last argument) to `out`."""
    path = directory / "fifo_reader.sh"
    path.write_text('#!/bin/sh\nwhile read -r line; do echo "$line" >> ' + str(out)
                    + '; done < "$1"\n')
    os.chmod(path, 0o755)
    return path


def read_trace(trace: Path) -> list[TraceLine]:
    if not trace.exists():
        return []
    out: list[TraceLine] = []
    for raw in trace.read_text().splitlines():
        stamp, script, *args = raw.split()
        out.append(TraceLine(float(stamp), script, tuple(args)))
    return out


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def calls(trace: Path) -> list[str]:
    """The trace as `name arg...` strings, timestamps dropped (for exact comparisons)."""
    return [" ".join((t.name, *t.args)) for t in read_trace(trace)]


def wait_lines(read: Callable[[], list[str]], wanted: str, timeout: float = TAKEOVER,
               *, count: int = 1) -> list[str]:
    """Wait until `wanted` appears `count` times among the lines `read` returns."""
    def seen() -> list[str] | None:
        lines = read()
        return lines if lines.count(wanted) >= count else None
    return wait_for(seen, timeout, what=f"{count} x line {wanted!r}")
