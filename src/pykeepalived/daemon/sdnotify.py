"""systemd's sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET.

Debian's keepalived.service is Type=notify: systemd waits for READY=1 before it calls
the unit started, and STOPPING=1 tells it a stop is under way. Outside systemd the
variable is unset and every call is a no-op returning False.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


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
