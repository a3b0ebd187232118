"""HTTP_GET and SSL_GET: one url of the checker per call, judged as keepalived judges it.

The steps and their failure phrases (keepalived's `timeout_epilog` words, in order):
socket set-up fails → reschedule; connect refused at once → "HTTP_CHECK - network
unreachable"; no connection within the timeout → "Timeout connecting"; refused later →
"Connection failed"; TLS handshake fails → "SSL handshake/communication error connecting
to" (its time counts against the connect timeout, as in keepalived); request not written
in time → "Timeout WEB write", or not at all → "Cannot send get request to"; no answer
within the timeout → "Timeout WEB read"; then each read (HTTP) or the whole read (SSL,
keepalived's SSL reader keeps one deadline) within the timeout → "Timeout HTTP read" /
"Timeout SSL read"; a read error → "Read error with" / "SSL read error from"; no head
→ "Read, no data received from "; status not in the url's ranges → "HTTP status code
error to"; digest differs → "MD5 digest error to"; regex verdict wrong → "Regex match
failed".

TLS uses the standard library's `ssl` on memory BIOs over our own socket, so the socket
options apply and each TLS read/write keeps keepalived's timeouts. There is no
certificate verification, as in keepalived; SNI is sent when the spec names it.
"""

from __future__ import annotations

import asyncio
import functools
import re
import socket
from typing import TYPE_CHECKING

import pykeepalived.adapters.checkers.http_wire as wire
from pykeepalived.adapters.checkers.sockets import (
    Connect,
    SetupFailed,
    address_text,
    connect,
    open_socket,
    receive,
    send_all,
    wait_ready,
)
from pykeepalived.check.results import ProbeResult

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable

    from pykeepalived.check.params import HttpProbe, HttpUrl

_CONNECT_PHRASES = {
    Connect.UNREACHABLE: "HTTP_CHECK - network unreachable",
    Connect.TIMEOUT: "Timeout connecting",
    Connect.FAILED: "Connection failed",
    Connect.ERROR: "Error connecting",
}


class Failed(Exception):
    """A step failed; the argument is keepalived's phrase."""


class Exchange:
    """One GET over a connected socket, plain or TLS; reads go to a ResponseReader."""

    def __init__(self, sock: socket.socket, timeout: float, tls: ssl.SSLObject | None) -> None:
        self.sock = sock
        self.timeout = timeout
        self.tls = tls
        self._incoming: ssl.MemoryBIO | None = None
        self._outgoing: ssl.MemoryBIO | None = None
        #: SSL: the read ended with the peer's close_notify
        self.clean_close = False

    @classmethod
    def with_tls(cls, sock: socket.socket, timeout: float, sni: str | None) -> Exchange:
        import ssl

        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = _client_context().wrap_bio(incoming, outgoing, server_side=False,
                                         server_hostname=sni)
        exchange = cls(sock, timeout, tls)
        exchange._incoming, exchange._outgoing = incoming, outgoing
        return exchange

    async def handshake(self, deadline: float) -> None:
        import ssl

        assert self.tls is not None
        assert self._incoming is not None
        loop = asyncio.get_running_loop()
        for _ in range(10_000):
            try:
                self.tls.do_handshake()
            except ssl.SSLWantReadError:
                await self._flush(deadline - loop.time(), "Timeout connecting")
                data = await self._recv(deadline - loop.time(), "Timeout connecting",
                                        "SSL handshake/communication error connecting to")
                self._take(data)
                continue
            except (ssl.SSLError, OSError) as exc:
                raise Failed("SSL handshake/communication error connecting to") from exc
            await self._flush(deadline - loop.time(), "Timeout connecting")
            return
        raise Failed("SSL handshake/communication error connecting to")

    async def send(self, request: bytes) -> None:
        if self.tls is None:
            await self._send(request, self.timeout)
            return
        try:
            self.tls.write(request)
        except OSError as exc:
            raise Failed("Cannot send get request to") from exc
        await self._flush(self.timeout, "Timeout WEB write")

    async def read(self, reader: wire.ResponseReader) -> None:
        """Read to EOF into `reader` (or until the head overflows keepalived's buffer)."""
        if not await wait_ready(self.sock, self.timeout, write=False):
            raise Failed("Timeout WEB read")
        if self.tls is not None:
            await self._read_tls(reader)
            return
        for _ in range(1 << 20):
            if reader.room <= 0:
                return
            data = await self._recv(self.timeout, "Timeout HTTP read", "Read error with",
                                    reader.room)
            if not data:
                return
            reader.feed(data)

    async def _read_tls(self, reader: wire.ResponseReader) -> None:
        import ssl

        assert self.tls is not None
        assert self._incoming is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        for _ in range(1 << 20):
            if reader.room <= 0:
                return
            try:
                data = self.tls.read(reader.room)
            except ssl.SSLWantReadError:
                try:
                    more = await receive(self.sock, 16384, deadline - loop.time())
                except OSError:
                    return  # keepalived: any SSL error ends the read; judge what came
                if more is None:
                    raise Failed("Timeout SSL read") from None
                self._take(more)
                continue
            except ssl.SSLZeroReturnError:
                self.clean_close = True
                return
            except (ssl.SSLError, OSError):
                return  # a ragged EOF or a TLS error: judge what came, as keepalived
            if not data:  # Python's read() says close_notify with b"", not an exception
                self.clean_close = True
                return
            reader.feed(data)

    def _take(self, data: bytes) -> None:
        """Hand what the socket gave to TLS; b"" is the peer's EOF."""
        assert self._incoming is not None
        if data:
            self._incoming.write(data)
        else:
            self._incoming.write_eof()

    async def _flush(self, within: float, timeout_phrase: str) -> None:
        assert self._outgoing is not None
        pending = self._outgoing.read()
        if pending:
            await self._send(pending, within, timeout_phrase)

    async def _send(self, data: bytes, within: float,
                    timeout_phrase: str = "Timeout WEB write") -> None:
        try:
            done = await send_all(self.sock, data, within)
        except OSError as exc:
            raise Failed("Cannot send get request to") from exc
        if not done:
            raise Failed(timeout_phrase)

    async def _recv(self, within: float, timeout_phrase: str, error_phrase: str,
                    size: int = wire.READ_SIZE) -> bytes:
        try:
            data = await receive(self.sock, size, within)
        except OSError as exc:
            raise Failed(error_phrase) from exc
        if data is None:
            raise Failed(timeout_phrase)
        return data


@functools.cache
def _client_context() -> ssl.SSLContext:
    """One client context for all SSL_GET probes: no verification, as keepalived."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def fetch(probe: HttpProbe, url: HttpUrl, *,
                dump: Callable[[str], None] | None = None,
                ) -> tuple[wire.Response, bool]:
    """Connect, send the url's GET, read to EOF: (response, TLS closed cleanly).

    Raises Failed with keepalived's phrase, or SetupFailed (reschedule)."""
    conn = probe.connection
    loop = asyncio.get_running_loop()
    sock = open_socket(conn, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    with sock:
        started = loop.time()
        outcome = await connect(sock, conn)
        if outcome is not Connect.CONNECTED:
            raise Failed(_CONNECT_PHRASES[outcome])
        if probe.ssl:
            exchange = Exchange.with_tls(sock, conn.timeout, probe.sni)
            await exchange.handshake(started + conn.timeout)
        else:
            exchange = Exchange(sock, conn.timeout, None)
        host = wire.host_header(url.virtualhost, address_text(conn.address), conn.port,
                                ipv6=conn.address.version == 6)
        await exchange.send(wire.build_request(url.path, probe.protocol, host))
        reader = wire.ResponseReader(dump=dump, keep_text=url.regex is not None)
        await exchange.read(reader)
        return reader.finish(), exchange.clean_close


def judge(url: HttpUrl, response: wire.Response) -> tuple[str, str]:
    """keepalived's verdict on a full response: ("", detail) when it passes, else
    (phrase, detail)."""
    if response.head is None:
        return "Read, no data received from ", "no data"
    status = f"status {response.status}"
    if not wire.status_allowed(response.status, url.status_codes):
        return "HTTP status code error to", status
    if url.digest is not None and response.digest != url.digest:
        return "MD5 digest error to", f"digest {response.digest.hex()}"
    if url.regex is not None:
        try:
            pattern = wire.compile_regex(url.regex, url.regex_options)
        except re.error as exc:
            return "Regex match failed", f"invalid regex: {exc}"
        found = wire.regex_found(response.text, pattern, url.regex_min_offset,
                                 url.regex_max_offset)
        if found == url.regex_no_match:
            return "Regex match failed", "regex matched" if found else "regex no match"
    return "", status


async def probe_http(probe: HttpProbe, url: int = 0) -> ProbeResult:
    """Check url number `url` of `probe`; never raises (bar cancellation)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    if not 0 <= url < len(probe.urls):
        return ProbeResult.failure("Error connecting", url=url, detail="no such url")
    try:
        response, clean_close = await fetch(probe, probe.urls[url])
    except SetupFailed as exc:
        reason = ("WEB socket bind failed. Rescheduling" if exc.created
                  else "WEB connection fail to create socket. Rescheduling.")
        return ProbeResult(False, reason, loop.time() - started, url=url, detail=str(exc),
                           reschedule=True)
    except Failed as exc:
        return ProbeResult.failure(str(exc), loop.time() - started, url=url)
    except Exception as exc:  # never raise: an unexpected error is a failed check
        return ProbeResult.failure("Error connecting", loop.time() - started, url=url,
                                   detail=f"{type(exc).__name__}: {exc}")
    latency = loop.time() - started
    if probe.ssl and clean_close and response.head is None:
        return ProbeResult.failure("SSL read error from", latency, url=url)
    phrase, detail = judge(probe.urls[url], response)
    if phrase:
        return ProbeResult.failure(phrase, latency, url=url, detail=detail)
    return ProbeResult.success(latency, url=url, detail=detail)
