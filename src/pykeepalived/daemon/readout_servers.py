"""The live read-outs the daemon serves while it runs: the control socket (and its check
side) and the optional metrics endpoint, each answered from one snapshot taken in the
event loop.

service.py starts them once the runtime exists and closes them at stop; the snapshot
function is the same one the dump signals use, so a file dump, a `status` over the
socket and a Prometheus scrape show one thing. The VRRP process asks its checker child
(its own socket, `<path>.check`) for the check side and joins it to its answer, so the
client still makes one round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import time
from typing import TYPE_CHECKING

from pykeepalived.adapters.control_socket import ControlServer
from pykeepalived.adapters.http_endpoint import HttpEndpoint
from pykeepalived.observe.control_names import CHECK_SOCKET_SUFFIX, REQUEST_CHECK, REQUEST_STATUS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.observe.snapshot import DumpSnapshot
    from pykeepalived.observe.status import StatusView

#: the read-outs the daemon imports when first asked (a status request, a dump, a
#: scrape): the snapshot capture, the JSON documents, the dump renderers
READOUT_MODULES = ("pykeepalived.observe.capture", "pykeepalived.observe.control",
                   "pykeepalived.observe.dumps")


async def load_readouts(modules: tuple[str, ...] = READOUT_MODULES) -> None:
    """Import the read-outs not yet imported, in a worker thread: unmarshalling them
    takes 30-50 ms, too long a stall for a loop that sends adverts every 10 ms; a thread
    gives the GIL back to the loop every switch interval (5 ms)."""
    missing = [name for name in modules if name not in sys.modules]
    if missing:
        await asyncio.to_thread(lambda: [importlib.import_module(name) for name in missing])


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
        # the renderers (JSON, status documents: ~0.5 MiB) load with the first request
        await load_readouts()
        from pykeepalived.observe.control import control_answer, error_answer

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
        from pykeepalived.observe.control import control_answer, error_answer
        from pykeepalived.observe.snapshot import DumpSnapshot

        if request == REQUEST_CHECK:
            return (await document()).encode()
        if request == REQUEST_STATUS:
            return control_answer(DumpSnapshot(time.time()), await document())
        return error_answer(f"unknown request {request[:40]!r} (known: check, status)")

    return ControlServer(path, answer)


class ListenError(ValueError):
    """A metrics address that cannot be used (worded for the operator)."""


def parse_listen(value: str) -> tuple[str, int]:
    """`PORT` (loopback: nothing leaves the host unless an address is given),
    `ADDRESS:PORT`, or `[IPv6]:PORT`."""
    host, sep, port = value.rpartition(":")
    if not sep:
        host = LOOPBACK
    elif host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not port.isdigit() or not 0 <= int(port) < 65536 or (sep and not host):
        raise ListenError(f"metrics address {value!r}: expected PORT, ADDRESS:PORT or"
                          " [ADDRESS]:PORT")
    return host, int(port)


LOOPBACK = "127.0.0.1"
INDEX = (b"pykeepalived\n/metrics: Prometheus metrics\n"
         b"/state/INSTANCE: 200 while INSTANCE is MASTER here, else 503\n")


class MetricsEndpoint:
    """`/metrics` (Prometheus, one snapshot per scrape) and `/state/INSTANCE` (200 only
    on the MASTER) on one HTTP listener."""

    def __init__(self, address: str, snapshot: Callable[[], DumpSnapshot], log: LogSink,
                 check_socket: Callable[[], str | None]) -> None:
        host, port = parse_listen(address)
        # prometheus_client (and the http.server, email and urllib it imports, ~3 MiB)
        # only in a daemon that serves metrics: it is off by default
        from pykeepalived.observe import control, prometheus

        self._prometheus = prometheus
        self._live_view = control.live_view
        self._snapshot = snapshot
        self._check_socket = check_socket
        self._log = log
        self.http = HttpEndpoint(host, port, self.handle)

    async def view(self) -> StatusView:
        path = self._check_socket()
        check = None if path is None else await ask_checker(path)
        return self._live_view(self._snapshot(), check)

    async def handle(self, path: str, accept: str) -> tuple[int, str, bytes]:
        await load_readouts()
        if path == "/metrics":
            view = await self.view()  # the snapshot: in the loop, a few ms
            # the rendering (most of a scrape's cost: ~60 ms at 200 instances) works on
            # frozen values only, so it runs in a thread and the loop keeps its timers
            prometheus = self._prometheus
            body, content_type = await asyncio.to_thread(
                prometheus.exposition, prometheus.registry_for(lambda: view), accept)
            return 200, content_type, body
        if path.startswith("/state/"):
            from urllib.parse import unquote  # loaded by prometheus_client anyway

            status, text = self._prometheus.state_answer(self._live_view(self._snapshot()),
                                                         unquote(path[7:]))
            return status, "text/plain; charset=utf-8", text.encode()
        if path == "/":
            return 200, "text/plain; charset=utf-8", INDEX
        return 404, "text/plain; charset=utf-8", b"not found\n"

    async def start(self) -> bool:
        try:
            await self.http.start()
        except OSError as exc:
            self._log.log(f"pykeepalived: metrics endpoint {self.http.host}:{self.http.port}"
                          f" not available: {exc}")
            return False
        where = ", ".join(f"{h}:{p}" for h, p in self.http.bound)
        self._log.log(f"pykeepalived: metrics on http://{where}/metrics")
        return True

    async def close(self) -> None:
        await self.http.close()
