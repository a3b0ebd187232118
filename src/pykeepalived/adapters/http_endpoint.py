"""A small HTTP/1.1 GET server on the event loop, for the metrics and state endpoints.

It answers one request per connection (`Connection: close`), each from `await
handle(path, accept) -> (status, content type, body)`, which runs in the loop: a scrape is served
between two events, never from another thread reading live state. Requests are bounded
(8 KiB of head, 5 s to send it); anything but GET or HEAD is refused with 405.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    Handle = Callable[[str, str], Awaitable[tuple[int, str, bytes]]]

MAX_HEAD = 8192
HEAD_TIMEOUT = 5.0
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error", 503: "Service Unavailable"}



class HttpEndpoint:
    def __init__(self, host: str, port: int, handle: Handle) -> None:
        self.host = host
        self.port = port
        self._handle = handle
        self._server: asyncio.Server | None = None
        self.requests = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port,
                                                  reuse_address=True, limit=MAX_HEAD)

    @property
    def bound(self) -> list[tuple[str, int]]:
        """The addresses really bound (port 0 asks the kernel for one)."""
        if self._server is None:
            return []
        return [sock.getsockname()[:2] for sock in self._server.sockets]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
            except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                return
            self.requests += 1
            status, content_type, body, method = await self._answer(head)
            writer.write(
                f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode())
            if method != "HEAD":
                writer.write(body)
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _answer(self, head: bytes) -> tuple[int, str, bytes, str]:
        lines = head.decode("latin-1").split("\r\n")
        words = lines[0].split()
        if len(words) != 3 or not words[2].startswith("HTTP/"):
            return 400, "text/plain", b"bad request\n", "GET"
        method, target = words[0], words[1]
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"GET only\n", method
        accept = next((line.split(":", 1)[1].strip() for line in lines[1:]
                       if line.lower().startswith("accept:")), "")
        try:
            status, content_type, body = await self._handle(target.split("?", 1)[0], accept)
        except Exception as exc:  # an endpoint must never take the daemon down
            return 500, "text/plain", f"error: {exc}\n".encode(), method
        return status, content_type, body, method

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None
