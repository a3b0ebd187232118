"""systemd's sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET.

Debian's keepalived.service is Type=notify: systemd waits for READY=1 before it calls
the unit started, and STOPPING=1 tells it a stop is under way. Outside systemd the
variable is unset and every call is a no-op returning False.

The watchdog (`WatchdogSec=` in the unit: systemd sets WATCHDOG_USEC, and WATCHDOG_PID
naming the process it watches) is kept by `keep_watchdog`, a task on the daemon's own
event loop: WATCHDOG=1 goes out every half period only while the loop really turns, so a
daemon stuck in a callback (or stopped) falls silent and systemd restarts it.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send `state` (e.g. "READY=1"); False when not under systemd or the send failed."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False
    target = "\0" + address[1:] if address[0] == "@" else address
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode(), target)
    except OSError:
        return False
    return True


def ready(environ: Mapping[str, str] | None = None) -> bool:
    return notify(f"READY=1\nMAINPID={os.getpid()}", environ)


def stopping(environ: Mapping[str, str] | None = None) -> bool:
    return notify("STOPPING=1", environ)


def reloading(environ: Mapping[str, str] | None = None) -> bool:
    return notify("RELOADING=1", environ)


def watchdog_interval(environ: Mapping[str, str] | None = None,
                      pid: int | None = None) -> float | None:
    """Seconds between two WATCHDOG=1 (half of WATCHDOG_USEC, as sd_watchdog_enabled
    advises); None when systemd watches no process here (unset, another pid, bad value)."""
    env = os.environ if environ is None else environ
    usec, watched = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if watched and (not watched.isdigit() or int(watched) != (pid or os.getpid())):
        return None  # the checker child inherits the variables: not its watchdog
    return int(usec) / 2e6


async def keep_watchdog(interval: float,
                        send: Callable[[str], bool] = notify) -> None:
    """WATCHDOG=1 now and then every `interval` while this loop turns; runs until
    cancelled (at stop)."""
    while True:
        send("WATCHDOG=1")
        await asyncio.sleep(interval)
