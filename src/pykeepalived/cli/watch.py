"""`pykeepalived status --watch`: a live terminal view of the daemon, redrawn on change.

It asks the daemon every `interval` (0.2 s: well inside one advert interval of 1 s) and
redraws at once when any instance's or group's state, master or reason changed, or a new
transition arrived; otherwise once a second, for the counters. Each frame is the status
table (observe/status.py, the same as `pykeepalived status`) under a title line, with the
last transitions and their reasons at the bottom. The screen is cleared with the ANSI
sequence every terminal knows; on a pipe the frames simply follow one another.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from pykeepalived.observe.status import StatusError, format_table

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.observe.status import StatusView

CLEAR = "\x1b[H\x1b[2J"
#: a frame is redrawn at least this often (counters move), at once on a transition
REFRESH = 1.0
#: transitions shown under the table
LAST_TRANSITIONS = 5


def change_key(view: StatusView) -> tuple[object, ...]:
    """What makes a redraw urgent: states, masters, reasons, groups, new transitions."""
    return (tuple((i.name, i.state, i.master, i.reason, i.effective_priority)
                  for i in view.instances),
            tuple((g.name, g.state) for g in view.groups),
            view.transitions[-1:] if view.transitions else (),
            view.any_fault)


def frame(view: StatusView | None, problem: str, now: float) -> str:
    clock = time.strftime("%H:%M:%S", time.localtime(now))
    if view is None:
        return f"pykeepalived status --watch   {clock}\n\n{problem}\n"
    fault = "   FAULT" if view.any_fault else ""
    lines = [f"pykeepalived status --watch   {clock}   ({view.source}){fault}", "",
             format_table(view).rstrip("\n")]
    if view.transitions:
        lines += ["", "last transitions:"]
        lines += [f"  {time.strftime('%H:%M:%S', time.localtime(t.at))}"
                  f".{int(t.at * 1000) % 1000:03d}  {t.instance}: {t.old} -> {t.new}"
                  f"  ({t.reason})" for t in view.transitions[-LAST_TRANSITIONS:]]
    return "\n".join(lines) + "\n"


def watch(ask: Callable[[], StatusView], *, interval: float = 0.2,
          count: int | None = None) -> int:
    """Redraw until ctrl-C (or `count` looks, for tests); exit 0, or 2 when the last
    view had an instance in FAULT, as `pykeepalived status`."""
    last_key: object = None
    drawn_at = 0.0
    fault = False
    looks = 0
    try:
        while count is None or looks < count:
            looks += 1
            view, problem = None, ""
            try:
                view = ask()
            except StatusError as exc:
                problem = f"pykeepalived status: {exc}"
            key = change_key(view) if view is not None else problem
            now = time.time()
            if key != last_key or now - drawn_at >= REFRESH:
                sys.stdout.write(CLEAR + frame(view, problem, now))
                sys.stdout.flush()
                last_key, drawn_at = key, now
            fault = view is not None and view.any_fault
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    return 2 if fault else 0
