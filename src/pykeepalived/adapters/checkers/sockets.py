"""The socket set-up every probe shares, with keepalived's options and connect outcomes.

keepalived (core/layer4.c) opens each probe's socket non-blocking, sets SO_MARK for
`fwmark`, SO_BINDTODEVICE for `bind_if`, binds to `bindto` before connecting, and then
sorts what connect() says into outcomes the checkers word differently:

- refused/unreachable at once (ENETUNREACH, ECONNREFUSED, ...): `UNREACHABLE`, the HTTP
  checker's "network unreachable" and the SMTP checker's "Network unreachable for ...";
- any other immediate error, or a failed socket option or bind: the probe is not run
  and the checker tries again after delay_loop (`SetupFailed`, "... Rescheduling.");
- in progress, then SO_ERROR says: 0 `CONNECTED`, ETIMEDOUT `TIMEOUT`, else `FAILED`;
- nothing within the connect timeout: `TIMEOUT`.

We do these steps ourselves on a raw non-blocking socket (not asyncio.open_connection)
because the outcomes above, and the options before connect, are the behaviour.

SO_LINGER: keepalived sets 5 s on TCP sockets "to allow time for a proper shutdown".
We do not: with linger on, close() blocks until the FIN is acknowledged (up to 5 s even
on a non-blocking socket), which would stall the whole event loop on a dead server,
while without it the kernel completes the same orderly FIN handshake in the background.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from enum import Enum
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.check.params import Connection, IPAddress

#: connect() errors keepalived counts as "could not connect" rather than "could not
#: run the check" (layer4.c:socket_bind_connect)
UNREACHABLE_ERRNOS = frozenset({
    errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED, errno.EHOSTDOWN,
    errno.ENETDOWN, errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT})


class SetupFailed(Exception):
    """The socket could not be created, configured or bound: keepalived reschedules."""

    def __init__(self, step: str, error: OSError) -> None:
        super().__init__(f"{step}: {error.strerror or error}")
        self.step = step
        self.error = error

    @property
    def created(self) -> bool:
        """False when socket() itself failed (keepalived words that case differently)."""
        return self.step != "socket"


class Connect(Enum):
    CONNECTED = "connected"
    TIMEOUT = "timeout"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    ERROR = "error"


def family_of(address: IPAddress) -> socket.AddressFamily:
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


def address_text(address: IPAddress) -> str:
    """inet_ntop's form (keepalived prints addresses with it), without any scope."""
    return socket.inet_ntop(family_of(address), address.packed)


def sockaddr(address: IPAddress, port: int, interface: str | None) -> tuple[object, ...]:
    """A sockaddr for connect/bind/sendto; IPv6 link-local gets bind_if as its scope."""
    if not isinstance(address, IPv6Address):
        return (str(address), port)
    scope = 0
    if address.scope_id:
        scope = (int(address.scope_id) if address.scope_id.isdigit()
                 else socket.if_nametoindex(address.scope_id))
    elif address.is_link_local and interface:
        scope = socket.if_nametoindex(interface)
    return (address_text(address), port, 0, scope)


def open_socket(conn: Connection, kind: int, proto: int) -> socket.socket:
    """A non-blocking socket with keepalived's options, bound when asked; SetupFailed
    (never a bare OSError) when any step fails, the socket closed."""
    try:
        sock = socket.socket(family_of(conn.address), kind | socket.SOCK_CLOEXEC, proto)
    except OSError as exc:
        raise SetupFailed("socket", exc) from exc
    step = "setup"
    try:
        sock.setblocking(False)
        if conn.fwmark:
            step = f"Error setting fwmark {conn.fwmark} to socket"
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, conn.fwmark)
        if conn.bind_interface:
            step = f"Checker can't bind to device {conn.bind_interface}"
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE,
                            conn.bind_interface.encode() + b"\0")
        if conn.bind_address is not None or conn.bind_port:
            step = "Checker bind failed"
            local = conn.bind_address or (IPv6Address("::") if conn.address.version == 6
                                          else IPv4Address("0.0.0.0"))
            sock.bind(sockaddr(local, conn.bind_port, conn.bind_interface))
    except OSError as exc:
        sock.close()
        raise SetupFailed(step, exc) from exc
    return sock


async def wait_ready(sock: socket.socket, within: float, *, write: bool) -> bool:
    """Wait until `sock` is readable (or writable); False when `within` s pass first."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    fd = sock.fileno()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    if write:
        loop.add_writer(fd, wake)
    else:
        loop.add_reader(fd, wake)
    try:
        await asyncio.wait_for(ready, max(within, 0.0))
    except TimeoutError:
        return False
    finally:
        if write:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)
    return True


async def connect(sock: socket.socket, conn: Connection) -> Connect:
    """keepalived's non-blocking connect, sorted into its outcomes (see the module doc).

    SetupFailed for an immediate error outside UNREACHABLE_ERRNOS (keepalived logs
    "socket connect error" and reschedules)."""
    target = sockaddr(conn.address, conn.port, conn.bind_interface)
    code = sock.connect_ex(target)
    if code == 0:
        return Connect.CONNECTED
    if code in UNREACHABLE_ERRNOS:
        return Connect.UNREACHABLE
    if code not in (errno.EINPROGRESS, errno.EAGAIN, errno.EALREADY):
        raise SetupFailed("socket connect error", OSError(code, os.strerror(code)))
    if not await wait_ready(sock, conn.timeout, write=True):
        return Connect.TIMEOUT
    try:
        status = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    except OSError:
        return Connect.ERROR
    if status == 0:
        return Connect.CONNECTED
    return Connect.TIMEOUT if status == errno.ETIMEDOUT else Connect.FAILED


async def send_all(sock: socket.socket, data: bytes, within: float) -> bool:
    """Send everything, each wait for room bounded by `within` s; False on a timeout,
    OSError on a send error."""
    view = memoryview(data)
    for _ in range(len(data) + 1):
        if not view:
            return True
        if not await wait_ready(sock, within, write=True):
            return False
        try:
            sent = sock.send(view)
        except (BlockingIOError, InterruptedError):
            continue
        view = view[sent:]
    return not view


async def receive(sock: socket.socket, size: int, within: float) -> bytes | None:
    """One recv of up to `size` bytes within `within` s: None on a timeout, b"" at EOF,
    OSError on a socket error."""
    deadline = asyncio.get_running_loop().time() + within
    for _ in range(1000):  # a readable socket that then would block: rare, bounded
        left = deadline - asyncio.get_running_loop().time()
        if not await wait_ready(sock, left, write=False):
            return None
        try:
            return sock.recv(size)
        except (BlockingIOError, InterruptedError):
            continue
    return None

