"""Many real servers in one process: a farm of TCP and HTTP listeners for health checks.

    python -m netlab.real_servers --servers 1000

run inside a lab host that already has the farm's addresses (`farm_addresses`). Server
i listens on `198.51.100.(1 + i // 100)` port `20000 + i % 100`; even servers are for
TCP_CHECK (accept, count, wait for the checker to hang up), odd ones for HTTP_GET
(answer any request with 200 and a tiny fixed body, then close). A few are down, so some
checks fail: the TCP ones `down` listen nowhere (the connect is refused), the HTTP ones
answer 503. `layout` says which is which; the benchmark builds its keepalived.conf from
the same call, so the farm and the config always agree.

Prints READY once every listener is bound. On SIGUSR1 it prints one JSON line, the
connections each server has accepted so far (`{"counts": {"198.51.100.1:20000": 3, ...}}`),
so a caller can tell how many check cycles ran in a window. Stopped by PID.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import resource
import signal
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

READY_LINE = "READY"
PORTS_PER_ADDRESS = 100
BASE_PORT = 20000
#: of every 50 servers, these are down: 7 (an HTTP one, answers 503), 24 (a TCP one,
#: refuses); 40 of 1000, 1 of 20
DOWN_EVERY = 50
DOWN_AT = (7, 24)
BODY = b"ok\n"
UP_ANSWER = (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
             b"Connection: close\r\n\r\n" + BODY)
DOWN_ANSWER = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n"
               b"Connection: close\r\n\r\n")
#: a request head larger than this is not a checker's; the connection is dropped
MAX_REQUEST = 8192


@dataclass(frozen=True)
class RealServer:
    index: int
    address: str
    port: int
    kind: str  # "TCP" or "HTTP"
    up: bool

    @property
    def key(self) -> str:
        return f"{self.address}:{self.port}"

    @property
    def rs_text(self) -> str:
        """How keepalived's log lines name it: `[198.51.100.1]:tcp:20000`."""
        return f"[{self.address}]:tcp:{self.port}"


def layout(servers: int) -> list[RealServer]:
    """The farm: `servers` real servers, half TCP, half HTTP, a few down."""
    if not 1 <= servers <= 254 * PORTS_PER_ADDRESS:
        raise ValueError(f"between 1 and {254 * PORTS_PER_ADDRESS} servers")
    return [RealServer(i, f"198.51.100.{1 + i // PORTS_PER_ADDRESS}",
                       BASE_PORT + i % PORTS_PER_ADDRESS, "TCP" if i % 2 == 0 else "HTTP",
                       i % DOWN_EVERY not in DOWN_AT) for i in range(servers)]


def farm_addresses(servers: int) -> list[str]:
    """The addresses the farm's host must have (each as a /32 on its interface)."""
    return sorted({rs.address for rs in layout(servers)}, key=lambda a: int(a.rsplit(".")[-1]))


class Counted(asyncio.Protocol):
    """One accepted connection; TCP servers wait for the peer's close, HTTP ones answer."""

    def __init__(self, farm: Farm, server: RealServer) -> None:
        self.farm = farm
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.farm.counts[self.server.key] += 1

    def data_received(self, data: bytes) -> None:
        if self.server.kind != "HTTP" or self.transport is None:
            return
        self.buffer += data
        if b"\r\n\r\n" in self.buffer:
            self.transport.write(UP_ANSWER if self.server.up else DOWN_ANSWER)
            self.transport.close()
        elif len(self.buffer) > MAX_REQUEST:
            self.transport.close()

    def eof_received(self) -> bool | None:
        return None  # the checker hung up: close our side too


class Farm:
    def __init__(self, servers: Sequence[RealServer]) -> None:
        self.servers = list(servers)
        self.counts = {rs.key: 0 for rs in self.servers}

    async def serve(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        listeners = []
        for rs in self.servers:
            if rs.kind == "TCP" and not rs.up:
                continue  # down: nothing listens, the checker's connect is refused
            listeners.append(await loop.create_server(
                functools.partial(Counted, self, rs), rs.address, rs.port, backlog=64,
                reuse_address=True))
        loop.add_signal_handler(signal.SIGUSR1, self.report)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        print(f"{READY_LINE} {len(listeners)} listeners", flush=True)
        try:
            await stop.wait()
        finally:
            for listener in listeners:
                listener.close()

    def report(self) -> None:
        print(json.dumps({"counts": self.counts}), flush=True)


def raise_file_limit() -> None:
    """A thousand listeners and their connections need more than the usual 1024 fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.real_servers",
                                     description="a farm of TCP and HTTP real servers")
    parser.add_argument("--servers", type=int, required=True)
    args = parser.parse_args(argv)
    raise_file_limit()
    farm = Farm(layout(args.servers))
    asyncio.run(farm.serve(asyncio.Event()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
