"""SMTP_CHECK: greeting 220, `HELO name` answered 250, `QUIT` answered with any line.

Each step is bounded by the connect timeout (keepalived: check/check_smtp.c). A line is
what one or more reads give up to the first LF; anything after it in the same read is
dropped, as keepalived clears its buffer before each line. The status is the first three
characters when strtoul takes exactly those and a space or the end follows, so `250\r`
(no text) and `220-multi` fail. The reasons name the connect destination as `[ip]:port`:
"Bad greeting banner from server [192.0.2.10]:25".
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

from pykeepalived.adapters.checkers.sockets import (
    Connect,
    SetupFailed,
    address_text,
    connect,
    open_socket,
    receive,
    send_all,
)
from pykeepalived.check.results import ProbeResult

if TYPE_CHECKING:
    from pykeepalived.check.params import SmtpProbe

#: keepalived's SMTP_BUFF_MAX: a line longer than this wraps the buffer
BUFFER_MAX = 512

_CONNECT_PHRASES = {
    Connect.TIMEOUT: "Connection timeout to server {}",
    Connect.FAILED: "Could not connect to server {}",
    Connect.ERROR: "Error connecting to server {}",
}


class Failed(Exception):
    """A step failed; the argument is keepalived's whole reason."""


def reply_status(line: bytes) -> int:
    """check_smtp.c:smtp_get_status: the code, or -1 when the line is not `NNN[ text]`."""
    index = 0
    while index < len(line) and line[index] in b" \t\n\v\f\r":
        index += 1
    if index < len(line) and line[index] in b"+-":
        index += 1
    digits = index
    while index < len(line) and 0x30 <= line[index] <= 0x39:
        index += 1
    if index != 3 or index == digits or (index < len(line) and line[index] != ord(" ")):
        return -1
    value = int(line[digits:index])
    return -value if line[digits - 1:digits] == b"-" else value


async def _read_line(sock: socket.socket, within: float, server: str) -> bytes:
    buffer = bytearray()
    for _ in range(10_000):
        if len(buffer) >= BUFFER_MAX - 1:
            buffer.clear()  # keepalived wraps its buffer (and logs an overflow)
        try:
            data = await receive(sock, BUFFER_MAX - 1 - len(buffer), within)
        except OSError:
            data = b""
        if data is None:
            raise Failed(f"Read timeout from server {server}")
        if not data:
            raise Failed(f"Read failure from server {server}")
        buffer += data
        end = buffer.find(b"\n")
        if end >= 0:
            return bytes(buffer[:end])
    raise Failed(f"Read timeout from server {server}")


async def _write(sock: socket.socket, data: bytes, within: float, server: str) -> None:
    try:
        done = await send_all(sock, data, within)
    except OSError:
        raise Failed(f"Write failure to server {server}") from None
    if not done:
        raise Failed(f"Write timeout to server {server}")


async def _dialogue(probe: SmtpProbe, server: str) -> None:
    conn = probe.connection
    with open_socket(conn, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        outcome = await connect(sock, conn)
        if outcome is Connect.UNREACHABLE:
            raise Failed(f"Network unreachable for server {address_text(conn.address)}"
                         f" - real server {server}")
        if outcome is not Connect.CONNECTED:
            raise Failed(_CONNECT_PHRASES[outcome].format(server))
        if reply_status(await _read_line(sock, conn.timeout, server)) != 220:
            raise Failed(f"Bad greeting banner from server {server}")
        await _write(sock, f"HELO {probe.helo_name}\r\n".encode(), conn.timeout, server)
        if reply_status(await _read_line(sock, conn.timeout, server)) != 250:
            raise Failed(f"Bad HELO response from server {server}")
        await _write(sock, b"QUIT\r\n", conn.timeout, server)
        await _read_line(sock, conn.timeout, server)


async def probe_smtp(probe: SmtpProbe) -> ProbeResult:
    """Run the dialogue; never raises (bar cancellation)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    server = f"[{address_text(probe.connection.address)}]:{probe.connection.port}"
    try:
        await _dialogue(probe, server)
    except SetupFailed as exc:
        reason = ("SMTP_CHECK socket bind failed. Rescheduling." if exc.created
                  else "SMTP_CHECK connection failed to create socket. Rescheduling.")
        return ProbeResult(False, reason, loop.time() - started, detail=str(exc),
                           reschedule=True)
    except Failed as exc:
        return ProbeResult.failure(str(exc), loop.time() - started)
    except Exception as exc:  # never raise: an unexpected error is a failed check
        return ProbeResult.failure(f"Unknown connection error to server {server}",
                                   loop.time() - started,
                                   detail=f"{type(exc).__name__}: {exc}")
    return ProbeResult.success(loop.time() - started)
