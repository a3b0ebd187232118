"""`pykeepalived status`: ask the running daemon (ours or keepalived) for its state.

Signals the pid from the pid file with keepalived's JSON dump signal, waits (bounded) for
a fresh dump file and prints a table, the JSON, or Prometheus text (observe/).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pykeepalived.observe.metrics import format_metrics
from pykeepalived.observe.status import (
    KEEPALIVED_JSON,
    STATUS_FILE,
    StatusError,
    format_table,
    parse_keepalived_json,
    parse_status,
    status_json,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pykeepalived.observe.status import StatusView

#: keepalived's JSON dump signal: SIGRTMIN + 2 (36 with glibc)
JSON_SIGNAL = signal.SIGRTMIN + 2


def request_status(pid_file: Path, directory: Path, *, timeout: float = 2.0) -> StatusView:
    """Signal the daemon for a JSON dump and read the first file that is fresh."""
    pid = _read_pid(pid_file)
    paths = (directory / STATUS_FILE, directory / KEEPALIVED_JSON)
    before = {path: _mtime(path) for path in paths}
    try:
        os.kill(pid, JSON_SIGNAL)
    except ProcessLookupError:
        raise StatusError(f"no process {pid} (from {pid_file}): is the daemon running?") from None
    except PermissionError:
        raise StatusError(f"not allowed to signal process {pid}: run as root") from None
    interval, problem = 0.01, f"process {pid} wrote no dump in {directory} within {timeout:g} s"
    for _ in range(int(timeout / interval) + 1):
        time.sleep(interval)
        fresh = [p for p in paths if _mtime(p) not in (None, before[p])]
        if fresh:
            try:
                return _parse_file(fresh[0])
            except StatusError as exc:  # real keepalived writes in place: maybe half done
                problem = str(exc)
    raise StatusError(problem)


def _parse_file(path: Path) -> StatusView:
    text = path.read_text(encoding="utf-8", errors="replace")
    return parse_status(text) if path.name == STATUS_FILE else parse_keepalived_json(text)


def _read_pid(pid_file: Path) -> int:
    try:
        text = pid_file.read_text().strip()
    except OSError as exc:
        raise StatusError(f"cannot read pid file {pid_file}: {exc.strerror}") from None
    if not text.isdigit() or int(text) <= 1:
        raise StatusError(f"pid file {pid_file} holds no pid: {text[:40]!r}")
    return int(text)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def main_status(argv: Sequence[str]) -> int:
    """`pykeepalived status [--json|--metrics] [--pid FILE] [--dir DIR]`; exit 0 or 1."""
    parser = argparse.ArgumentParser(prog="pykeepalived status",
                                     description="show the running daemon's VRRP state")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the status as JSON")
    output.add_argument("--metrics", action="store_true", help="Prometheus text format")
    parser.add_argument("--pid", type=Path, default=Path("/run/keepalived.pid"),
                        help="the daemon's pid file (default /run/keepalived.pid)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp"),
                        help="where the daemon writes its dumps (default /tmp)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait")
    args = parser.parse_args(list(argv))
    try:
        view = request_status(args.pid, args.dir, timeout=args.timeout)
    except StatusError as exc:
        print(f"pykeepalived status: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([status_json(i) for i in view.instances], indent=1))
    elif args.metrics:
        sys.stdout.write(format_metrics(view))
    else:
        sys.stdout.write(format_table(view))
    return 0
