"""DNS_CHECK: one UDP query answered with the same id, QR set and RCODE 0.

dnspython builds the query (well kept, validates labels, knows every record type by
name); we send it ourselves on our own datagram socket so bindto, bind_if and fwmark
apply, which dnspython's own transports do not offer together. It is imported on the
first DNS_CHECK only: a daemon without one never loads it (~10 MB of RSS).

As keepalived (check/check_dns.c): random id, RD=1, one question of class IN, the name
split on dots into labels ("" and "." are the root); the reply is judged from its header
alone (id, QR, RCODE), so answers dnspython would refuse to parse still count as they do
for keepalived. Datagrams with another id, QR=0, or shorter than a DNS header are
ignored until the timeout (keepalived's check is against 8 bytes, a pointer's size).
The reasons are keepalived's messages after `DNS_CHECK ([rs]) `.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import struct
from typing import TYPE_CHECKING

from pykeepalived.adapters.checkers.sockets import (
    UNREACHABLE_ERRNOS,
    SetupFailed,
    address_text,
    open_socket,
    receive,
    sockaddr,
    wait_ready,
)
from pykeepalived.check.results import ProbeResult

if TYPE_CHECKING:
    from pykeepalived.check.params import DnsProbe

HEADER_SIZE = 12
#: a reply never needs more (keepalived: DNS_BUFFER_SIZE 768); longer ones are cut
RECV_SIZE = 4096


class Failed(Exception):
    """The message after `DNS_CHECK ([rs]) `."""


def build_query(name: str, query_type: str) -> tuple[int, bytes]:
    """(id, wire) of keepalived's query; ValueError when the name cannot be encoded."""
    import dns.exception
    import dns.message
    import dns.name

    text = name.rstrip(".") if name not in ("", ".") else ""
    try:
        labels = [label.encode() for label in text.split(".")] if text else []
        query = dns.message.make_query(dns.name.Name([*labels, b""]), query_type)
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise ValueError(f"cannot encode DNS name {name!r}: {exc}") from exc
    return query.id, query.to_wire()


def reply_verdict(query_id: int, reply: bytes) -> int | None:
    """None: not our answer (ignore it); else its RCODE."""
    if len(reply) < HEADER_SIZE:
        return None
    reply_id, flags = struct.unpack_from("!HH", reply)
    if reply_id != query_id or not flags & 0x8000:
        return None
    return int(flags) & 0x000F


async def _exchange(probe: DnsProbe, query_id: int, query: bytes) -> None:
    conn = probe.connection
    loop = asyncio.get_running_loop()
    deadline = loop.time() + conn.timeout
    with open_socket(conn, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        code = sock.connect_ex(sockaddr(conn.address, conn.port, conn.bind_interface))
        if code in UNREACHABLE_ERRNOS:
            raise Failed(f"network unreachable for [{address_text(conn.address)}]:{conn.port}")
        if code != 0:
            raise SetupFailed("connect", OSError(code, os.strerror(code)))
        for _ in range(1000):
            try:
                sent = sock.send(query)
                break
            except (BlockingIOError, InterruptedError):
                if not await wait_ready(sock, deadline - loop.time(), write=True):
                    raise Failed("write timeout to socket.") from None
            except OSError:
                raise Failed("failed to write socket.") from None
        else:
            raise Failed("write timeout to socket.")
        if sent != len(query):
            raise Failed("failed to write all of the datagram.")
        for _ in range(10_000):
            try:
                reply = await receive(sock, RECV_SIZE, deadline - loop.time())
            except OSError as exc:
                code = exc.errno or errno.EIO
                raise Failed(f"failed to read socket; errno {code} ({os.strerror(code)})"
                             ) from None
            if reply is None:
                break
            rcode = reply_verdict(query_id, reply)
            if rcode is None:
                continue
            if rcode != 0:
                raise Failed(f"read error occurred. (rcode = {rcode})")
            return
        raise Failed("read timeout from socket")


async def probe_dns(probe: DnsProbe) -> ProbeResult:
    """Ask and judge; never raises (bar cancellation)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        query_id, query = build_query(probe.name, probe.query_type)
        await _exchange(probe, query_id, query)
    except SetupFailed as exc:
        reason = ("UDP socket bind failed. Rescheduling." if exc.created
                  else "failed to create socket. Rescheduling.")
        return ProbeResult(False, reason, loop.time() - started, detail=str(exc),
                           reschedule=True)
    except Failed as exc:
        return ProbeResult.failure(str(exc), loop.time() - started)
    except Exception as exc:  # never raise: an unexpected error is a failed check
        return ProbeResult.failure("failed to write socket.", loop.time() - started,
                                   detail=f"{type(exc).__name__}: {exc}")
    return ProbeResult.success(loop.time() - started)
