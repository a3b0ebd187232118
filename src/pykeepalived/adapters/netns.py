"""A socket made inside a named network namespace (/run/netns/NAME), for tests and labs
that drive the daemon's adapters from outside the namespace they act on.

setns(2) with CLONE_NEWNET moves the calling thread alone, so a throwaway thread enters
the namespace, creates the socket and ends: the caller never changes namespace, whatever
happens, and the socket keeps the namespace it was made in. ctypes is imported on this
path only (Python 3.11 has no os.setns; 3.12 has): the daemon's own namespace never needs it.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Final

CLONE_NEWNET: Final = 0x40000000
NETNS_DIR: Final = "/run/netns"
NETNS_TIMEOUT: Final = 10.0


def socket_in_namespace(netns: str, family: int, kind: int, proto: int = 0) -> socket.socket:
    if not netns or "/" in netns or netns in (".", ".."):
        raise ValueError(f"bad network namespace name {netns!r}")
    made: list[socket.socket] = []
    failed: list[BaseException] = []

    def enter_and_create() -> None:
        try:
            enter_namespace(netns)
            made.append(socket.socket(family, kind, proto))
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=enter_and_create, name=f"setns-{netns}")
    thread.start()
    thread.join(NETNS_TIMEOUT)
    if failed:
        raise failed[0]
    if not made:
        raise TimeoutError(f"no socket made in network namespace {netns}")
    return made[0]


def enter_namespace(netns: str) -> None:
    """Move the calling thread into /run/netns/`netns` (a forked child: the process)."""
    fd = os.open(f"{NETNS_DIR}/{netns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(fd, CLONE_NEWNET)
    finally:
        os.close(fd)


def _setns(fd: int, nstype: int) -> None:
    setns = getattr(os, "setns", None)  # Python 3.12+
    if setns is not None:
        setns(fd, nstype)
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, nstype) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"setns: {os.strerror(code)}")
