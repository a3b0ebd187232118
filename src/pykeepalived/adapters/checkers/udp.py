"""UDP_CHECK: send the payload; without `require_reply` silence is success, with it the
first datagram back must match.

keepalived (check/check_udp.c, core/layer4.c) connects a UDP socket with IP_RECVERR on,
sends the payload and waits the connect timeout. An ICMP destination unreachable (what
a closed port answers) fails the check; other ICMP errors do not; no answer at all is
success unless a reply is required. A reply must be min..max bytes long and match
`require_reply` under the mask over the shorter of the two. Reasons: "failed" and
"reply data mismatch". keepalived's UDP socket ignores bind_if; ours honours it (the
option is documented for every checker, and IPv6 link-local needs it).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import TYPE_CHECKING

from pykeepalived.adapters.checkers.sockets import (
    SetupFailed,
    open_socket,
    sockaddr,
    wait_ready,
)
from pykeepalived.check.results import ProbeResult

if TYPE_CHECKING:
    from pykeepalived.check.params import UdpProbe

IP_RECVERR = 11
IPV6_RECVERR = 25
_EE_ORIGIN_ICMP, _EE_ORIGIN_ICMP6 = 2, 3
_ICMP_DEST_UNREACH, _ICMP6_DST_UNREACH = 3, 1
_EXTENDED_ERR = struct.Struct("=IBBBBII")


def reply_matches(reply: bytes, probe: UdpProbe) -> bool:
    """Length within min..max, then the masked compare over the shorter length."""
    if not probe.min_reply_length <= len(reply) <= probe.max_reply_length:
        return False
    want = probe.require_reply or b""
    mask = (probe.reply_mask or b"").ljust(len(want), b"\xff")
    return all((got ^ expected) & bits == 0
               for got, expected, bits in zip(reply, want, mask, strict=False))


def icmp_unreachable(sock: socket.socket) -> bool | None:
    """Read the error queue: True for a destination unreachable, False for another ICMP
    error (keepalived lets those pass), None when the queue is empty."""
    try:
        _data, ancillary, _flags, _addr = sock.recvmsg(512, 1024, socket.MSG_ERRQUEUE)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return None
    for level, kind, data in ancillary:
        if len(data) < _EXTENDED_ERR.size:
            continue
        _errno, origin, icmp_type, *_rest = _EXTENDED_ERR.unpack_from(data)
        if (level, kind) == (socket.IPPROTO_IP, IP_RECVERR):
            if origin == _EE_ORIGIN_ICMP and icmp_type == _ICMP_DEST_UNREACH:
                return True
        elif ((level, kind) == (socket.IPPROTO_IPV6, IPV6_RECVERR)
              and origin == _EE_ORIGIN_ICMP6 and icmp_type == _ICMP6_DST_UNREACH):
            return True
    return False


async def _exchange(probe: UdpProbe) -> str:
    """"" for success, else the reason."""
    conn = probe.connection
    loop = asyncio.get_running_loop()
    with open_socket(conn, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        if conn.address.version == 6:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        else:
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
        try:
            sock.connect(sockaddr(conn.address, conn.port, conn.bind_interface))
            if sock.send(probe.payload) != len(probe.payload):
                return "failed"
        except OSError:
            return "failed"
        deadline = loop.time() + conn.timeout
        for _ in range(1000):  # a wake-up with nothing to read: rare, bounded
            if not await wait_ready(sock, deadline - loop.time(), write=False):
                return "failed" if probe.require_reply is not None else ""
            unreachable = icmp_unreachable(sock)
            if unreachable is not None:
                return "failed" if unreachable else ""
            try:
                reply = sock.recv(probe.max_reply_length + 1)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return "failed"
            if probe.require_reply is not None and not reply_matches(reply, probe):
                return "reply data mismatch"
            return ""
        return "failed" if probe.require_reply is not None else ""


async def probe_udp(probe: UdpProbe) -> ProbeResult:
    """Send and listen; never raises (bar cancellation)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        reason = await _exchange(probe)
    except SetupFailed as exc:
        if not exc.created:
            return ProbeResult(False, "UDP connect fail to create socket. Rescheduling.",
                               loop.time() - started, detail=str(exc), reschedule=True)
        return ProbeResult.failure("failed", loop.time() - started, detail=str(exc))
    except Exception as exc:  # never raise: an unexpected error is a failed check
        return ProbeResult.failure("failed", loop.time() - started,
                                   detail=f"{type(exc).__name__}: {exc}")
    if reason:
        return ProbeResult.failure(reason, loop.time() - started)
    return ProbeResult.success(loop.time() - started)
