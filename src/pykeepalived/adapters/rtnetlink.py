"""A NETLINK_ROUTE socket on the daemon's asyncio loop: requests awaited, events queued.

The socket is non-blocking and read by one `loop.add_reader` callback, which hands each
reply to the request waiting for its sequence number and queues multicast notifications
(a subscribed socket) for `read()`. A reply is unicast (the sender's groups are 0), a
notification is not: that is how the two are told apart on one socket, even when a
notification carries another socket's sequence number. Requests run concurrently (each
has its own sequence number); no thread is involved.

ENOBUFS (the kernel dropped messages for us) fails every request still waiting, rather
than leaving it waiting for an answer that was lost, and is raised by the next `read()`,
which is how the event watcher knows to reopen and re-read everything.

`open(netns=...)` creates the socket inside a named network namespace (tests, netlab;
adapters/netns.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from pykeepalived.adapters.netns import socket_in_namespace
from pykeepalived.adapters.rtnl_codec import (
    NLM_F_ACK,
    NLM_F_DUMP,
    NLM_F_DUMP_INTR,
    NLM_F_MULTI,
    NLM_F_REQUEST,
    MalformedMessage,
    Message,
    NetlinkError,
    decode,
    message,
)

log = logging.getLogger(__name__)

NETLINK_ROUTE: Final = 0
SO_RCVBUFFORCE: Final = 33  # asm-generic/socket.h; not in Python's socket module
SOL_NETLINK: Final = 270
#: the kernel checks a request's header strictly and filters dumps by it (ifa_index)
NETLINK_GET_STRICT_CHK: Final = 12
#: One datagram: the kernel sizes dump datagrams by our reads, up to 32 KiB.
RECV_SIZE: Final = 65536
#: Datagrams read per wake-up before letting the loop run something else.
READS_PER_WAKEUP: Final = 64
#: The kernel's receive buffer: room for a burst of notifications or many replies.
RCVBUF: Final = 4 * 1024 * 1024
#: A dump the kernel marks inconsistent (changed while it ran) is asked again this often.
DUMP_ATTEMPTS: Final = 3


@dataclass
class _Pending:
    future: asyncio.Future[list[Message]]
    dump: bool
    parts: list[Message] = field(default_factory=list)
    interrupted: bool = False


class RtnlSocket:
    """One rtnetlink socket; `groups` subscribes it to notifications (0 for requests only)."""

    def __init__(self, sock: socket.socket, *, groups: int = 0) -> None:
        self._sock = sock
        self._groups = groups
        self._loop = asyncio.get_running_loop()
        self._seq = 0
        self._pending: dict[int, _Pending] = {}
        self._events: deque[Message] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._error: OSError | None = None
        self._closed = False
        self._loop.add_reader(sock.fileno(), self._on_readable)

    @classmethod
    def open(cls, *, groups: int = 0, netns: str | None = None) -> RtnlSocket:
        """Bind a new socket (in `netns` if named); call it on the loop that will use it."""
        sock = create_socket(netns)
        try:
            _set_rcvbuf(sock, RCVBUF)
            with contextlib.suppress(OSError):  # Linux 4.20 on; without, dumps are whole
                sock.setsockopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1)
            sock.bind((0, groups))
        except BaseException:
            sock.close()
            raise
        return cls(sock, groups=groups)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._fail_pending(ConnectionError("netlink socket closed"))
        self._wake()

    async def request(self, msg_type: int, flags: int, body: bytes) -> list[Message]:
        """Send one request and wait for its whole answer.

        A dump (`flags` has NLM_F_DUMP) returns every part up to NLMSG_DONE, asked again
        if the kernel marks it interrupted (NLM_F_DUMP_INTR: the table changed meanwhile);
        any other request is acknowledged, and returns what the kernel sent before the
        ACK (a GET's reply, or nothing). A refusal raises `NetlinkError` with the
        kernel's errno.
        """
        dump = (flags & NLM_F_DUMP) == NLM_F_DUMP
        flags |= NLM_F_REQUEST if dump else NLM_F_REQUEST | NLM_F_ACK
        for attempt in range(1, DUMP_ATTEMPTS + 1):
            pending = await self._exchange(msg_type, flags, body, dump=dump)
            if not pending.interrupted:
                break
            log.debug("rtnetlink dump %d interrupted (attempt %d)", msg_type, attempt)
        return pending.parts

    async def _exchange(self, msg_type: int, flags: int, body: bytes, *,
                        dump: bool) -> _Pending:
        if self._closed:
            raise ConnectionError("netlink socket closed")
        self._seq = self._seq % 0xFFFFFFFF + 1
        seq = self._seq
        pending = _Pending(self._loop.create_future(), dump)
        self._pending[seq] = pending
        try:
            self._sock.send(message(msg_type, flags, seq, body))
            await pending.future
            return pending
        finally:
            self._pending.pop(seq, None)

    async def read(self) -> list[Message]:
        """The notifications received since the last read, waiting for at least one.

        Raises the socket's error (ENOBUFS: some were lost); [] once the socket is closed.
        """
        while not self._events:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._closed:
                return []
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        batch = list(self._events)
        self._events.clear()
        return batch

    # -------------------------------------------------------------------- the reader

    def _on_readable(self) -> None:
        for _ in range(READS_PER_WAKEUP):
            try:
                data, (_pid, groups) = self._sock.recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                # ENOBUFS: the kernel dropped messages; answers may be among them
                self._fail_pending(exc)
                if self._groups:
                    self._error = exc
                    self._wake()
                return
            try:
                messages = decode(data)
            except MalformedMessage as exc:
                log.warning("malformed rtnetlink datagram (%s)", exc)
                if not groups:
                    self._fail_pending(exc)
                continue
            for msg in messages:
                if groups:
                    if self._groups:
                        self._events.append(msg)
                else:
                    self._answer(msg)
            self._wake()

    def _answer(self, msg: Message) -> None:
        pending = self._pending.get(msg["nlmsg_seq"])
        if pending is None or pending.future.done():
            return  # a late answer to a request given up (cancelled)
        event = msg["event"]
        if msg["nlmsg_flags"] & NLM_F_DUMP_INTR:
            pending.interrupted = True
        if event in ("NLMSG_ERROR", "NLMSG_DONE"):
            if msg["error"]:
                pending.future.set_exception(NetlinkError(msg["error"]))
            elif event == "NLMSG_DONE" or not pending.dump:
                pending.future.set_result(pending.parts)
            return
        pending.parts.append(msg)
        if pending.dump and not msg["nlmsg_flags"] & NLM_F_MULTI:
            pending.future.set_result(pending.parts)  # a one-part answer without DONE

    def _fail_pending(self, exc: BaseException) -> None:
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(exc)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


def _set_rcvbuf(sock: socket.socket, size: int) -> None:
    """SO_RCVBUFFORCE goes past net.core.rmem_max (root); otherwise what the sysctl allows."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


def _new_socket() -> socket.socket:
    kind = socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC
    return socket.socket(socket.AF_NETLINK, kind, NETLINK_ROUTE)


def create_socket(netns: str | None = None) -> socket.socket:
    """A non-blocking NETLINK_ROUTE socket in this namespace, or in /run/netns/`netns`."""
    if netns is None:
        return _new_socket()
    kind = socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC
    return socket_in_namespace(netns, socket.AF_NETLINK, kind, NETLINK_ROUTE)
