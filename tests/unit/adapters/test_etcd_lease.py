"""The etcd client's reading of answers and failures (the real etcd is in tests/netns)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from pykeepalived.adapters.etcd_lease import EtcdError, EtcdLease, _unchunk


def test_unchunk():
    assert _unchunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n") == b"hello world"
    assert _unchunk(b"zz\r\n") == b""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_etcd_not_serving():
    client = EtcdLease((f"http://127.0.0.1:{free_port()}",), timeout=1.0)
    with pytest.raises(EtcdError) as caught:
        asyncio.run(client.grant(2))
    assert caught.value.not_serving
    assert not caught.value.refused_request


async def serve_once(answer: bytes) -> tuple[asyncio.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


@pytest.mark.parametrize(("answer", "refused", "gone", "serving"), [
    (b'HTTP/1.1 404 Not Found\r\nContent-Length: 53\r\n\r\n'
     b'{"error":"etcdserver: requested lease not found","code":5}', True, True, False),
    (b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}", False, False, True),
])
def test_http_errors_are_told_apart(answer: bytes, refused: bool, gone: bool,
                                    serving: bool):
    async def scenario() -> EtcdError:
        server, port = await serve_once(answer)
        try:
            await EtcdLease((f"http://127.0.0.1:{port}",), timeout=1.0).revoke("1")
        except EtcdError as exc:
            return exc
        finally:
            server.close()
        raise AssertionError("no error")

    error = asyncio.run(scenario())
    assert (error.refused_request, error.lease_gone, error.not_serving) == (refused, gone,
                                                                            serving)


def test_a_chunked_keepalive_answer_is_read():
    body = b'{"result":{"ID":"7","TTL":"2"}}'
    answer = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              + f"{len(body):x}".encode() + b"\r\n" + body + b"\r\n0\r\n\r\n")

    async def scenario() -> int:
        server, port = await serve_once(answer)
        try:
            return await EtcdLease((f"http://127.0.0.1:{port}",), timeout=1.0).keepalive("7")
        finally:
            server.close()

    assert asyncio.run(scenario()) == 2
