"""TCP_CHECK: the real server accepts a TCP connection within the connect timeout.

keepalived (check/check_tcp.c) connects non-blocking and closes at once on success;
a refusal, whether at once or after the SYN, is "failed", no answer is "timeout"
(`TCP connection to [rs]:tcp:80 timeout.`), and a socket that cannot be made or bound is
not a verdict: the checker tries again after delay_loop. SO_LINGER is left off (see
sockets.py: it would block the event loop on close).
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

from pykeepalived.adapters.checkers.sockets import Connect, SetupFailed, connect, open_socket
from pykeepalived.check.results import ProbeResult

if TYPE_CHECKING:
    from pykeepalived.check.params import TcpProbe


async def probe_tcp(probe: TcpProbe) -> ProbeResult:
    """Connect and close; never raises (bar cancellation)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        with open_socket(probe.connection, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
            outcome = await connect(sock, probe.connection)
    except SetupFailed as exc:
        reason = ("TCP socket bind failed. Rescheduling." if exc.created
                  else "TCP connect fail to create socket. Rescheduling.")
        return ProbeResult(False, reason, loop.time() - started, detail=str(exc),
                           reschedule=True)
    except Exception as exc:  # never raise: an unexpected error is a failed check
        return ProbeResult.failure("failed", loop.time() - started,
                                   detail=f"{type(exc).__name__}: {exc}")
    latency = loop.time() - started
    if outcome is Connect.CONNECTED:
        return ProbeResult.success(latency)
    if outcome is Connect.TIMEOUT:
        return ProbeResult.failure("timeout", latency)
    return ProbeResult.failure("failed", latency, detail=outcome.value)
