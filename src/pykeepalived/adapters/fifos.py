"""keepalived's notify FIFOs: created if missing, written without ever blocking.

Both the VRRP side (notify_fifo, vrrp_notify_fifo) and the checker (notify_fifo,
lvs_notify_fifo) write one line per event. A FIFO is opened read-write so a write never
blocks or fails for want of a reader, and its `*_fifo_script`, if any, is started with
the FIFO's path as its last argument. A full FIFO drops the line with a warning rather
than stall the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import stat
from typing import TYPE_CHECKING

from pykeepalived.adapters.scripts import ScriptRefused

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from pykeepalived.commands import ScriptCommand
    from pykeepalived.specs.notify import FifoSpec
    from pykeepalived.vrrp.tracking import ScriptResult

    Runner = Callable[[ScriptCommand, float | None], Awaitable[ScriptResult]]

log = logging.getLogger(__name__)


class NotifyFifo:
    """One notify FIFO: created if missing, opened read-write so writes never block on
    a missing reader, its reader script started with the path as last argument."""

    def __init__(self, spec: FifoSpec) -> None:
        self.spec = spec
        self.created = False
        self.fd = -1
        self.reader: asyncio.Future[ScriptResult] | None = None

    def open(self, runner: Runner) -> None:
        path = self.spec.path
        try:
            os.mkfifo(path, 0o644)
            self.created = True
        except FileExistsError:
            if not stat.S_ISFIFO(os.stat(path).st_mode):
                raise OSError(errno.EEXIST, f"{path} exists and is not a FIFO") from None
        if self.spec.script is not None:
            command = self.spec.script.with_args([path])
            self.reader = asyncio.ensure_future(runner(command, None))
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)

    def write(self, line: str) -> None:
        try:
            os.write(self.fd, line.encode())
        except BlockingIOError:
            log.warning("notify fifo %s is full - dropped: %s", self.spec.path, line.rstrip())

    async def close(self, budget: float) -> None:
        if self.fd != -1:
            os.close(self.fd)
            self.fd = -1
        if self.reader is not None:  # it sees EOF now; give it a moment, then stop it
            _done, late = await asyncio.wait({self.reader}, timeout=budget)
            for task in late:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ScriptRefused):
                    await task
        if self.created:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.spec.path)
