"""The live read-outs the daemon serves while it runs: the control socket (and its check
side), each answered from one snapshot taken in the event loop.

service.py starts them once the runtime exists and closes them at stop; the snapshot
function is the same one the dump signals use, so a file dump, a `status` over the
socket and a Prometheus scrape show one thing. The VRRP process asks its checker child
(its own socket, `<path>.check`) for the check side and joins it to its answer, so the
client still makes one round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from pykeepalived.adapters.control_socket import ControlServer
from pykeepalived.observe.control import (
    CHECK_SOCKET_SUFFIX,
    REQUEST_CHECK,
    REQUEST_STATUS,
    control_answer,
    error_answer,
)
from pykeepalived.observe.snapshot import DumpSnapshot

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from pykeepalived.daemon.ports import LogSink

#: how long the VRRP process waits for its checker child's document
CHECK_QUERY_TIMEOUT = 2.0


def check_socket_path(path: str) -> str:
    return path + CHECK_SOCKET_SUFFIX


async def ask_checker(path: str) -> str | None:
    """The checker child's document from its socket; None when it does not answer
    within CHECK_QUERY_TIMEOUT."""
    try:
        async with asyncio.timeout(CHECK_QUERY_TIMEOUT):
            reader, writer = await asyncio.open_unix_connection(path)
            try:
                writer.write(REQUEST_CHECK.encode() + b"\n")
                await writer.drain()
                raw = await reader.read()
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except (OSError, TimeoutError):
        return None
    text = raw.decode(errors="replace")
    return None if not text.lstrip().startswith("{") else text


class VrrpControl:
    """The VRRP process's control socket: `status` → status + the checker's side."""

    def __init__(self, path: str, snapshot: Callable[[], DumpSnapshot], log: LogSink,
                 has_checker: Callable[[], bool]) -> None:
        self._snapshot = snapshot
        self._has_checker = has_checker
        self._log = log
        self.server = ControlServer(path, self.answer)

    async def answer(self, request: str) -> bytes:
        if request != REQUEST_STATUS:
            return error_answer(f"unknown request {request[:40]!r} (known: status)")
        check = None
        if self._has_checker():
            check = await ask_checker(check_socket_path(self.server.path))
        # the snapshot last: the checker's answer took time, the VRRP side is the latest
        return control_answer(self._snapshot(), check)

    async def start(self) -> bool:
        return await start_logged(self.server, self._log)

    async def close(self) -> None:
        await self.server.close()


async def start_logged(server: ControlServer, log: LogSink) -> bool:
    """Start a control server; a failure is logged and the daemon runs on without it."""
    try:
        await server.start()
    except OSError as exc:
        log.log(f"pykeepalived: control socket {server.path} not available: {exc}")
        return False
    return True


def check_control(path: str, document: Callable[[], Awaitable[str]]) -> ControlServer:
    """The checker process's control socket: `check` → its document (what the VRRP
    parent asks); `status` → the whole answer with no VRRP side (a checker running
    alone, `-C`, is what `pykeepalived status` talks to)."""
    async def answer(request: str) -> bytes:
        if request == REQUEST_CHECK:
            return (await document()).encode()
        if request == REQUEST_STATUS:
            return control_answer(DumpSnapshot(time.time()), await document())
        return error_answer(f"unknown request {request[:40]!r} (known: check, status)")

    return ControlServer(path, answer)
