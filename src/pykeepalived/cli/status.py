"""`pykeepalived status`: ask the running daemon (ours or keepalived) for its state.

Our daemon answers on its control socket (root only; `pykeepalived.sock` beside the pid
file): one round trip, the live state, the checker's side joined by the daemon. Without
a socket (a real keepalived, or ours started with `--control-socket none`) it signals the
pid from the pid file with keepalived's JSON dump signal and waits (bounded) for fresh
dump files, as before: the VRRP process passes the signal on to its checker child, whose
document adds the virtual and real servers; against a real keepalived (no such document)
the VRRP view is shown alone. Either way it prints a table, the JSON, or Prometheus text
(observe/), or with `--watch` redraws the table on every change (cli/watch.py).

Exit codes: 0, 1 when no status could be had, 2 when some instance is in FAULT (for
scripts and monitoring checks).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pykeepalived.adapters.control_socket import query
from pykeepalived.observe.check_status import (
    CHECK_STATUS_FILE,
    CheckStatusError,
    check_status_json,
    parse_check_status,
)
from pykeepalived.observe.control import CONTROL_SOCKET_NAME, REQUEST_STATUS, parse_answer
from pykeepalived.observe.metrics import format_metrics
from pykeepalived.observe.status import (
    KEEPALIVED_JSON,
    STATUS_FILE,
    StatusError,
    StatusView,
    format_table,
    parse_keepalived_json,
    parse_status,
    status_json,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pykeepalived.observe.check_status import CheckStatusView

#: keepalived's JSON dump signal: SIGRTMIN + 2 (36 with glibc)
JSON_SIGNAL = signal.SIGRTMIN + 2


#: how long a document from the checker alone waits for the VRRP side's (a checker-only
#: daemon, `-C`, writes none)
CHECK_ONLY_GRACE = 0.3


def request_status(pid_file: Path, directory: Path, *, timeout: float = 2.0) -> StatusView:
    """Signal the daemon for a JSON dump and read the documents that come back fresh.

    The VRRP side is our status file or keepalived.json (a real keepalived); the check
    side our checker's document, waited for (within `timeout`) when our status file
    names a checker child. A checker running alone answers with its document only.
    """
    pid = _read_pid(pid_file)
    vrrp_paths = (directory / STATUS_FILE, directory / KEEPALIVED_JSON)
    check_path = directory / CHECK_STATUS_FILE
    before = {path: _mtime(path) for path in (*vrrp_paths, check_path)}
    try:
        os.kill(pid, JSON_SIGNAL)
    except ProcessLookupError:
        raise StatusError(f"no process {pid} (from {pid_file}): is the daemon running?") from None
    except PermissionError:
        raise StatusError(f"not allowed to signal process {pid}: run as root") from None
    interval, problem = 0.01, f"process {pid} wrote no dump in {directory} within {timeout:g} s"
    vrrp: StatusView | None = None
    check: CheckStatusView | None = None
    check_seen = 0
    for step in range(int(timeout / interval) + 1):
        time.sleep(interval)
        fresh = [p for p in before if _mtime(p) not in (None, before[p])]
        try:
            if vrrp is None and (found := [p for p in vrrp_paths if p in fresh]):
                vrrp = _parse_file(found[0])
            if check is None and check_path in fresh:
                check, check_seen = parse_check_status(_read(check_path)), step
        except (StatusError, CheckStatusError) as exc:  # keepalived writes in place
            problem = str(exc)
        if vrrp is not None and (check is not None or vrrp.checker_pid is None):
            break
        if vrrp is None and check is not None and (
                step - check_seen) * interval >= CHECK_ONLY_GRACE:
            break
    if vrrp is None and check is None:
        raise StatusError(problem)
    if vrrp is None:
        return StatusView((), source=CHECK_STATUS_FILE, check=check)
    return replace(vrrp, check=check)


def _parse_file(path: Path) -> StatusView:
    text = _read(path)
    return parse_status(text) if path.name == STATUS_FILE else parse_keepalived_json(text)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


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


#: `pykeepalived status` exits with it when some instance is in FAULT
EXIT_FAULT = 2


def default_socket(pid_file: Path) -> Path:
    return pid_file.parent / CONTROL_SOCKET_NAME


def ask_socket(path: Path, *, timeout: float = 3.0) -> StatusView | None:
    """The daemon's answer on its control socket; None when there is no socket to ask
    (no file, nobody listening: then the dump files are the way)."""
    try:
        raw = query(str(path), REQUEST_STATUS, timeout=timeout)
    except (FileNotFoundError, ConnectionRefusedError):
        return None
    except PermissionError:
        raise StatusError(f"not allowed to use the control socket {path}: run as root"
                          ) from None
    except OSError as exc:
        raise StatusError(f"control socket {path}: {exc}") from None
    return parse_answer(raw)


def get_status(pid_file: Path, directory: Path, socket_path: Path | None, *,
               timeout: float = 2.0) -> StatusView:
    """The control socket first, else the dump files keepalived writes on a signal."""
    if socket_path is not None:
        view = ask_socket(socket_path, timeout=max(timeout, 3.0))
        if view is not None:
            return view
    return request_status(pid_file, directory, timeout=timeout)


def status_document(view: StatusView) -> dict[str, object]:
    """`pykeepalived status --json`."""
    return {"source": view.source,
            "instances": [status_json(i) for i in view.instances],
            "groups": [{"name": g.name, "state": g.state, "members": list(g.members)}
                       for g in view.groups],
            "scripts": [{"name": s.name, "status": s.status, "tracker_state": s.tracker_state}
                        for s in view.scripts],
            "transitions": [{"at": t.at, "instance": t.instance, "old": t.old, "new": t.new,
                             "reason": t.reason} for t in view.transitions],
            "daemon_counters": view.daemon_counters,
            "virtual_servers": [] if view.check is None else check_status_json(view.check)}


def main_status(argv: Sequence[str]) -> int:
    """`pykeepalived status [--json|--metrics|--watch] [--pid FILE] [--dir DIR]
    [--socket PATH]`; exit 0, 1 (no status) or 2 (some instance in FAULT)."""
    parser = argparse.ArgumentParser(prog="pykeepalived status",
                                     description="show the running daemon's VRRP and"
                                                 " health-check state")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the status as JSON")
    output.add_argument("--metrics", action="store_true", help="Prometheus text format")
    output.add_argument("--watch", action="store_true",
                        help="a live view, redrawn on every change (ctrl-C ends it)")
    parser.add_argument("--pid", type=Path, default=Path("/run/keepalived.pid"),
                        help="the daemon's pid file (default /run/keepalived.pid)")
    parser.add_argument("--socket", type=Path, default=None,
                        help="the control socket (default pykeepalived.sock beside the pid"
                             " file; 'none': use the dump files)")
    parser.add_argument("--interval", type=float, default=0.2,
                        help="--watch: seconds between two looks (default 0.2)")
    parser.add_argument("--count", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, default=Path("/tmp"),
                        help="where the daemon writes its dumps (default /tmp)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait")
    args = parser.parse_args(list(argv))
    socket_path = None if str(args.socket) in ("none", "") else (
        args.socket or default_socket(args.pid))
    if args.watch:
        from pykeepalived.cli.watch import watch

        return watch(lambda: get_status(args.pid, args.dir, socket_path,
                                        timeout=args.timeout),
                     interval=args.interval, count=args.count)
    try:
        view = get_status(args.pid, args.dir, socket_path, timeout=args.timeout)
    except StatusError as exc:
        print(f"pykeepalived status: {exc}", file=sys.stderr)
        return 1
    if view.checker_pid is not None and view.check is None:
        print(f"pykeepalived status: the checker process ({view.checker_pid}) wrote no"
              f" {CHECK_STATUS_FILE} within {args.timeout:g} s: VRRP side only",
              file=sys.stderr)
    if args.json:
        print(json.dumps(status_document(view), indent=1))
    elif args.metrics:
        sys.stdout.write(format_metrics(view))
    else:
        sys.stdout.write(format_table(view))
    return EXIT_FAULT if view.any_fault else 0
