"""The control socket: a Unix stream socket answering one read-only query per connection.

A client connects, writes one request line (`status`), reads the answer until the daemon
closes. What a request means is the caller's (`answer`); this module only owns the
socket: created mode 0600 (never wider, not even for an instant: bound under umask 0177),
a stale file from a killed daemon replaced, the peer's credentials checked with
SO_PEERCRED so that only root (or the daemon's own user) is answered even if someone
loosens the file mode, bounded reads, and the file removed at close.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

#: the longest request line read; a longer one is refused
MAX_REQUEST = 256
#: how long a client may take to send its request
REQUEST_TIMEOUT = 2.0
REFUSED = b"error: permission denied: the control socket answers root only\n"


class ControlSocketError(OSError):
    """The socket could not be set up (worded for the log)."""


def peer_uid(sock: socket.socket) -> int | None:
    """The connecting process's uid from SO_PEERCRED (None if the kernel says nothing)."""
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


def bind_private(path: str) -> socket.socket:
    """A listening AF_UNIX socket at `path`, mode 0600 from the moment it exists.

    An existing socket file is replaced only when nobody answers on it (a daemon killed
    with -9 leaves one); anything else at that path is an error, never removed.
    """
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            raise ControlSocketError(f"{path} exists and is not a socket")
        if _answers(path):
            raise ControlSocketError(f"{path}: another daemon answers on it")
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    old = os.umask(0o177)
    try:
        sock.bind(path)
    except OSError:
        sock.close()
        raise
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(16)
    sock.setblocking(False)
    return sock


def _answers(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


class ControlServer:
    """Serves `answer(request) -> bytes` on a private Unix socket until `close`."""

    def __init__(self, path: str, answer: Callable[[str], Awaitable[bytes]],
                 allowed_uids: frozenset[int] | None = None) -> None:
        self.path = path
        self._answer = answer
        self._allowed = allowed_uids if allowed_uids is not None else frozenset(
            {0, os.geteuid()})
        self._server: asyncio.Server | None = None
        self.refused = 0
        self.served = 0

    async def start(self) -> None:
        sock = bind_private(self.path)
        self._server = await asyncio.start_unix_server(self._serve, sock=sock)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            sock = writer.get_extra_info("socket")
            allowed = sock is not None and peer_uid(sock) in self._allowed
            try:  # read the request even to refuse it: closing on unread data resets
                line = await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT)
            except (TimeoutError, ValueError):
                return
            if not allowed:
                self.refused += 1
                writer.write(REFUSED)
                await writer.drain()
                return
            if len(line) > MAX_REQUEST:
                writer.write(b"error: request too long\n")
                return
            self.served += 1
            writer.write(await self._answer(line.decode(errors="replace").strip()))
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the client went away: nothing to tell it
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def query(path: str, request: str, *, timeout: float = 3.0, limit: int = 64 << 20) -> bytes:
    """The client's one round trip: send `request`, read the whole answer (blocking)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(request.encode() + b"\n")
        chunks: list[bytes] = []
        size = 0
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise ControlSocketError(f"{path}: answer larger than {limit} bytes")
        return b"".join(chunks)
