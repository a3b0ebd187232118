"""Signals only enqueue a `Control`: the runtime acts on it from its loop, never inside a handler.

The numbers are keepalived's (`keepalived --signum`): TERM/INT stop, HUP reload, USR1
data dump, USR2 stats, SIGRTMAX-1 stats-clear and SIGRTMIN+2 JSON. asyncio's
`add_signal_handler` already defers the callback to the loop, so the handler itself
does nothing but `put`.
"""

from __future__ import annotations

import contextlib
import signal
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable


class Control(Enum):
    STOP = "STOP"
    RELOAD = "RELOAD"
    DATA = "DATA"
    STATS = "STATS"
    STATS_CLEAR = "STATS_CLEAR"
    JSON = "JSON"


def signal_controls() -> dict[int, Control]:
    """Signal number → control, computed at run time (SIGRTMIN/MAX are per-libc)."""
    return {
        int(signal.SIGTERM): Control.STOP,
        int(signal.SIGINT): Control.STOP,
        int(signal.SIGHUP): Control.RELOAD,
        int(signal.SIGUSR1): Control.DATA,
        int(signal.SIGUSR2): Control.STATS,
        int(signal.SIGRTMAX) - 1: Control.STATS_CLEAR,
        int(signal.SIGRTMIN) + 2: Control.JSON,
    }


def install(loop: asyncio.AbstractEventLoop,
            put: Callable[[Control], None]) -> Callable[[], None]:
    """Route every keepalived signal to `put`; returns the function that undoes it."""
    controls = signal_controls()
    for number, control in controls.items():
        loop.add_signal_handler(number, put, control)

    def remove() -> None:
        for number in controls:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(number)

    return remove
