"""The control socket and the HTTP endpoint as servers, on this machine: a Unix socket in
a temporary directory and an HTTP listener on 127.0.0.1 (a port the kernel picks)."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from typing import TYPE_CHECKING

import pytest

from pykeepalived.adapters.control_socket import (
    ControlServer,
    ControlSocketError,
    bind_private,
    query,
)
from pykeepalived.adapters.http_endpoint import HttpEndpoint

if TYPE_CHECKING:
    from pathlib import Path


async def echo(request: str) -> bytes:
    return f"answer to {request}\n".encode()


def test_the_socket_is_private_answers_once_and_is_removed(tmp_path: Path) -> None:
    path = str(tmp_path / "ctl.sock")

    async def scenario() -> None:
        server = ControlServer(path, echo)
        await server.start()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        answer = await asyncio.to_thread(query, path, "status")
        assert answer == b"answer to status\n"
        assert server.served == 1
        await server.close()

    asyncio.run(scenario())
    assert not os.path.exists(path)


def test_a_peer_not_allowed_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "ctl.sock")

    async def scenario() -> bytes:
        server = ControlServer(path, echo, allowed_uids=frozenset({12345}))
        await server.start()
        try:
            return await asyncio.to_thread(query, path, "status")
        finally:
            await server.close()

    assert asyncio.run(scenario()).startswith(b"error: permission denied")


def test_a_stale_socket_is_replaced_and_anything_else_kept(tmp_path: Path) -> None:
    stale = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as left:
        left.bind(str(stale))  # a killed daemon's file: nobody listens
    bind_private(str(stale)).close()
    assert stat.S_ISSOCK(os.stat(stale).st_mode)
    regular = tmp_path / "file"
    regular.write_text("mine")
    with pytest.raises(ControlSocketError, match="not a socket"):
        bind_private(str(regular))
    assert regular.read_text() == "mine"


def test_a_live_socket_is_not_taken_over(tmp_path: Path) -> None:
    path = str(tmp_path / "ctl.sock")
    first = bind_private(path)
    try:
        with pytest.raises(ControlSocketError, match="another daemon answers"):
            bind_private(path)
    finally:
        first.close()


def http(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=3) as conn:
        conn.sendall(raw)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_the_http_endpoint_answers_get_and_refuses_the_rest() -> None:
    async def handle(path: str, accept: str) -> tuple[int, str, bytes]:
        if path == "/boom":
            raise RuntimeError("broken")
        return 200, "text/plain", f"{path} {accept}".encode()

    async def scenario() -> list[bytes]:
        endpoint = HttpEndpoint("127.0.0.1", 0, handle)
        await endpoint.start()
        ((_, port),) = endpoint.bound
        asks = [b"GET /metrics?x=1 HTTP/1.1\r\nAccept: text/plain\r\n\r\n",
                b"HEAD /metrics HTTP/1.1\r\n\r\n",
                b"POST /metrics HTTP/1.1\r\n\r\n",
                b"nonsense\r\n\r\n",
                b"GET /boom HTTP/1.1\r\n\r\n"]
        try:
            return [await asyncio.to_thread(http, port, ask) for ask in asks]
        finally:
            await endpoint.close()

    get, head, post, bad, boom = asyncio.run(scenario())
    assert get.startswith(b"HTTP/1.1 200 OK\r\n")
    assert get.endswith(b"\r\n\r\n/metrics text/plain")
    assert b"Content-Length: 19\r\n" in get
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert head.endswith(b"\r\n\r\n")  # no body
    assert post.startswith(b"HTTP/1.1 405 ")
    assert bad.startswith(b"HTTP/1.1 400 ")
    assert boom.startswith(b"HTTP/1.1 500 ")
