"""PING_CHECK: one ICMP echo on a "ping socket", answered within the connect timeout.

keepalived (check/check_ping.c) uses an unprivileged ICMP datagram socket (SOCK_DGRAM,
IPPROTO_ICMP or IPPROTO_ICMPV6): the kernel fills in the identifier and checksum and
delivers only the echo replies for that identifier. 128 bytes of keepalived's payload
text follow the 8-byte header; the first datagram back decides: an echo reply is
success, anything shorter or of another type "failed", nothing "timeout".

The kernel lets a process open such a socket only when its group is within
`net.ipv4.ping_group_range` (per network namespace; "1 0", nobody, by default, root
included). keepalived rewrites the range to start at 0 when it reads a PING_CHECK and
puts the old start back at exit: `open_ping_groups` / `restore_ping_groups` below do the
same for the daemon.

Hand-written rather than icmplib: icmplib has no SO_MARK or SO_BINDTODEVICE, and keeps
its own socket handling; this is a socket, two options and a 136-byte datagram.
keepalived's ping socket takes no bindto, bind_if or fwmark; ours takes all three (they
are documented for every checker, and IPv6 link-local needs bind_if).
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.adapters.checkers.sockets import (
    SetupFailed,
    open_socket,
    receive,
    sockaddr,
)
from pykeepalived.check.results import ProbeResult

if TYPE_CHECKING:
    from pykeepalived.check.params import PingProbe

PING_GROUP_RANGE = "/proc/sys/net/ipv4/ping_group_range"
PAYLOAD = (b"keepalived check - " * 7)[:128]
_ECHO = {4: (8, 0), 6: (128, 129)}  # family -> (request type, reply type)
_sequence = itertools.count()


def echo_request(version: int, sequence: int) -> bytes:
    """Type, code 0, checksum and identifier left to the kernel, then the payload."""
    return struct.pack("!BBHHH", _ECHO[version][0], 0, 0, 0, sequence & 0xFFFF) + PAYLOAD


def is_echo_reply(version: int, datagram: bytes) -> bool:
    return len(datagram) >= 8 and datagram[0] == _ECHO[version][1]


async def probe_ping(probe: PingProbe) -> ProbeResult:
    """Send one echo and wait for its reply; never raises (bar cancellation)."""
    conn = probe.connection
    loop = asyncio.get_running_loop()
    started = loop.time()
    version = conn.address.version
    proto = socket.IPPROTO_ICMPV6 if version == 6 else socket.IPPROTO_ICMP
    try:
        with open_socket(conn, socket.SOCK_DGRAM, proto) as sock:
            try:
                sock.sendto(echo_request(version, next(_sequence)),
                            sockaddr(conn.address, 0, conn.bind_interface))
                reply = await receive(sock, 8 + len(PAYLOAD), conn.timeout)
            except OSError as exc:
                return ProbeResult.failure("failed", loop.time() - started,
                                           detail=exc.strerror or str(exc))
    except SetupFailed as exc:
        family = "v6" if version == 6 else ""
        return ProbeResult(False, f"ICMP{family} connect fail to create socket. Rescheduling.",
                           loop.time() - started, detail=str(exc), reschedule=True)
    except Exception as exc:  # never raise: an unexpected error is a failed check
        return ProbeResult.failure("failed", loop.time() - started,
                                   detail=f"{type(exc).__name__}: {exc}")
    latency = loop.time() - started
    if reply is None:
        return ProbeResult.failure("timeout", latency)
    if not is_echo_reply(version, reply):
        return ProbeResult.failure("failed", latency, detail=f"ICMP type {reply[:1].hex()}")
    return ProbeResult.success(latency)


# ---------------------------------------------------------------------------- groups


@dataclass(frozen=True, slots=True)
class GroupRangeChange:
    """What open_ping_groups changed, to log and to undo at exit."""

    path: str
    low: int
    high: int

    @property
    def warning(self) -> str | None:
        """keepalived's line when a real range (not the closed default) is widened."""
        if self.low > 1 and self.high > 1:
            return (f"Warning: {self.path} being expanded from {self.low} {self.high}"
                    f" to 0 {self.high}")
        return None


def parse_group_range(text: str) -> tuple[int, int] | None:
    words = text.split()
    if len(words) != 2 or not all(w.isdigit() for w in words):
        return None
    low, high = int(words[0]), int(words[1])
    return (low, high) if low < 1 << 32 and high < 1 << 32 else None


def open_ping_groups(path: str = PING_GROUP_RANGE) -> GroupRangeChange | None:
    """Start the range at group 0 (root's group included), keeping its end; None when
    it already starts at 0 or cannot be read or written (the probe then reschedules)."""
    try:
        with open(path, "r+") as handle:
            current = parse_group_range(handle.read())
            if current is None or current[0] == 0:
                return None
            handle.seek(0)
            handle.write(f"0\t{current[1]}\t\n")
    except OSError:
        return None
    return GroupRangeChange(path, current[0], current[1])


def restore_ping_groups(change: GroupRangeChange) -> None:
    """Put the old start back (keeping whatever end the range has now)."""
    try:
        with open(change.path, "r+") as handle:
            current = parse_group_range(handle.read())
            if current is None or current[0] == change.low:
                return
            handle.seek(0)
            handle.write(f"{change.low}\t{current[1]}\t\n")
    except OSError:
        return
