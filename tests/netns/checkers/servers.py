"""Small real servers for the probe tests, run as a program inside a lab namespace.

    python servers.py http PORT [CERT KEY]   canned HTTP answers by path (HTTPS with a cert)
    python servers.py chat PORT LINE...      TCP: send a LINE on connect and after each line read
    python servers.py silent PORT            TCP: accept and say nothing
    python servers.py udp-echo PORT          UDP: send every datagram back
    python servers.py udp-sink PORT          UDP: take datagrams, never answer

Each listens on [::] (IPv4 too, link-local included), prints READY once listening, and
one line per event on stdout for the test to read: `PEER <ip> <port>` per connection or
datagram, `REQ <hex>` per HTTP request, `SNI <name>` per TLS handshake. Answers that
must arrive in one read go out in one write. Stdlib only, so it runs anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys

SLOW = 30.0  # longer than any probe timeout in the tests; the lab stops us by PID

ROUTES: dict[str, bytes] = {
    "/ok": b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "/missing": b"HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
    "/unavailable": b"HTTP/1.0 503 Service Unavailable\r\n\r\nbusy",
    "/chunked": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
    "/short-cl": b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA",
    "/healthy": b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nstate: healthy\n",
    "/no-reason": b"HTTP/1.0 200\r\n\r\nbody",
    "/big-head": b"HTTP/1.0 200 OK\r\nX-Pad: " + b"a" * 5000 + b"\r\n\r\nbody",
    "/bare": b"no http at all",
}


def say(line: str) -> None:
    print(line, flush=True)


def peer_of(writer: asyncio.StreamWriter) -> None:
    host, port = writer.get_extra_info("peername")[:2]
    say(f"PEER {host.removeprefix('::ffff:')} {port}")


async def http_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    peer_of(writer)
    try:
        await answer(reader, writer)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
            ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    first = await asyncio.wait_for(reader.read(1), 5)
    if first == b"\x16":  # a TLS ClientHello on the plain port: answer as nginx does
        writer.write(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        await writer.drain()
        return
    request = first + await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    say(f"REQ {request.hex()}")
    path = request.split(b" ")[1].decode() if request.count(b" ") >= 2 else ""
    if path == "/nothing":
        return
    if path == "/slow":
        await asyncio.sleep(SLOW)
    elif path == "/stall":
        writer.write(b"HTTP/1.0 200 OK\r\n\r\npart")
        await writer.drain()
        await asyncio.sleep(SLOW)
    elif path == "/split":
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(b"hello")
    else:
        writer.write(ROUTES.get(path, ROUTES["/missing"]))
    await writer.drain()


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def seen(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        say(f"SNI {name or '-'}")

    context.sni_callback = seen
    return context


async def chat(lines: list[bytes], reader: asyncio.StreamReader,
               writer: asyncio.StreamWriter) -> None:
    """Say the first line on connect, then one more line after each line we read."""
    peer_of(writer)
    try:
        for number, line in enumerate(lines):
            if number:
                await asyncio.wait_for(reader.readline(), SLOW)
            writer.write(line + b"\r\n")
            await writer.drain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.read(), SLOW)
    except ConnectionError:
        pass
    finally:
        writer.close()


class Datagrams(asyncio.DatagramProtocol):
    def __init__(self, echo: bool) -> None:
        self.echo = echo
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        say(f"PEER {addr[0].removeprefix('::ffff:')} {addr[1]}")
        say(f"DATA {data.hex()}")
        if self.echo and self.transport is not None:
            self.transport.sendto(data, addr)


def dual_socket(kind: int, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6, kind)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("::", port))
    return sock


async def serve(kind: str, port: int, extra: list[str]) -> None:
    loop = asyncio.get_running_loop()
    if kind in ("udp-echo", "udp-sink"):
        await loop.create_datagram_endpoint(lambda: Datagrams(kind == "udp-echo"),
                                            sock=dual_socket(socket.SOCK_DGRAM, port))
    else:
        if kind == "http":
            context = tls_context(*extra) if extra else None
            server = await asyncio.start_server(http_client, sock=dual_socket(
                socket.SOCK_STREAM, port), ssl=context)
        else:
            lines = [word.encode() for word in extra] if kind == "chat" else []

            async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                await chat(lines, r, w)

            server = await asyncio.start_server(handle, sock=dual_socket(
                socket.SOCK_STREAM, port))
        await server.start_serving()
    say("READY")
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
