"""Tiny servers inside lab namespaces, all served by one thread of this process.

A health checker needs something that answers (or refuses) at each real server's
address; a client needs something that says who served it. Starting a Python program
per server costs seconds in the IPVS VM, so the sockets are made inside the namespaces
from this process (`socket_in`) and one selector thread serves them all:

- `tcp`: accepts and closes (TCP_CHECK's success; SSL_GET's handshake failure);
- `http`: answers any request `200 OK` with the server's name as body, then closes;
- `smtp`: 220 greeting, 250 to each command, 221 to QUIT (SMTP_CHECK's dialogue);
- `lines`: long-lived; answers each line with `NAME LINE` (a client that keeps its
  connection across reloads);
- `udp`: echoes each datagram.

`close(listener)` is a server dying: the port is closed (new connections are refused)
and its open connections are closed too; `listen` again brings it back. Every call
waits (bounded) until the thread has done it.
"""

from __future__ import annotations

import contextlib
import queue
import selectors
import socket
import threading
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import TYPE_CHECKING, Literal

from netlab.lab import socket_in

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

Kind = Literal["tcp", "http", "smtp", "lines", "udp"]
OP_TIMEOUT = 10.0
_MAX_REQUEST = 65536


@dataclass(eq=False)
class Listener:
    """One listening (or UDP) socket and the connections it accepted."""

    namespace: str
    address: str
    port: int
    kind: Kind
    name: str
    sock: socket.socket
    connections: set[socket.socket] = field(default_factory=set)

    @property
    def where(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.kind} {host}:{self.port} in {self.namespace}"


class NsServers:
    """The servers and their one thread; a context manager (everything closed at exit)."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._ops: queue.Queue[tuple[Callable[[], object], queue.Queue[object]]] = queue.Queue()
        self._buffers: dict[socket.socket, bytes] = {}
        self._owner: dict[socket.socket, Listener] = {}
        self.listeners: list[Listener] = []
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="nsservers", daemon=True)
        self._thread.start()

    def __enter__(self) -> NsServers:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ----------------------------------------------------------------- the callers' side
    def listen(self, namespace: str, address: str, port: int, kind: Kind,
               name: str = "") -> Listener:
        """Open a server at address:port inside `namespace`."""
        family = socket.AF_INET6 if ip_address(address).version == 6 else socket.AF_INET
        kind_of = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
        sock = socket_in(namespace)(family, kind_of, 0)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            if kind != "udp":
                sock.listen(64)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        listener = Listener(namespace, address, port, kind, name or address, sock)
        self._call(lambda: self._add(listener))
        return listener

    def close(self, listener: Listener) -> None:
        """The server dies: its port and its open connections are closed."""
        self._call(lambda: self._drop(listener))

    def stop(self) -> None:
        if self._stopping:
            return
        for listener in list(self.listeners):
            self.close(listener)
        self._stopping = True
        self._wake_w.send(b"x")
        self._thread.join(OP_TIMEOUT)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _call(self, op: Callable[[], object]) -> None:
        done: queue.Queue[object] = queue.Queue()
        self._ops.put((op, done))
        self._wake_w.send(b"x")
        result = done.get(timeout=OP_TIMEOUT)
        if isinstance(result, BaseException):
            raise result

    # ----------------------------------------------------------------- the thread's side
    def _add(self, listener: Listener) -> None:
        self.listeners.append(listener)
        self._selector.register(listener.sock, selectors.EVENT_READ, listener)

    def _drop(self, listener: Listener) -> None:
        for conn in list(listener.connections):
            self._close_conn(conn)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(listener.sock)
        listener.sock.close()
        if listener in self.listeners:
            self.listeners.remove(listener)

    def _serve(self) -> None:
        while not self._stopping:
            for key, _ in self._selector.select(timeout=1.0):
                if key.fileobj is self._wake_r:
                    self._run_ops()
                elif isinstance(key.data, Listener):
                    self._ready_listener(key.data)
                else:
                    self._ready_conn(key.fileobj)  # type: ignore[arg-type]

    def _run_ops(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._wake_r.recv(4096)
        while not self._ops.empty():
            op, done = self._ops.get_nowait()
            try:
                done.put(op())
            except Exception as exc:  # reported to the caller, not lost in the thread
                done.put(exc)

    def _ready_listener(self, listener: Listener) -> None:
        if listener.kind == "udp":
            with contextlib.suppress(OSError):
                data, peer = listener.sock.recvfrom(_MAX_REQUEST)
                listener.sock.sendto(data, peer)
            return
        try:
            conn, _ = listener.sock.accept()
        except OSError:
            return
        if listener.kind == "tcp":
            conn.close()
            return
        conn.setblocking(False)
        listener.connections.add(conn)
        self._owner[conn] = listener
        self._buffers[conn] = b""
        self._selector.register(conn, selectors.EVENT_READ, "conn")
        if listener.kind == "smtp":
            self._send(conn, b"220 lab ESMTP\r\n")

    def _ready_conn(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(_MAX_REQUEST)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close_conn(conn)
            return
        listener = self._owner[conn]
        buffer = self._buffers[conn] + data
        if listener.kind == "http":
            if b"\r\n\r\n" in buffer or len(buffer) >= _MAX_REQUEST:
                body = f"{listener.name}\n".encode()
                self._send(conn, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                           + f"Content-Length: {len(body)}\r\n".encode()
                           + b"Connection: close\r\n\r\n" + body)
                self._close_conn(conn)
                return
        else:
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if not self._answer(listener, conn, line.rstrip(b"\r")):
                    return
        self._buffers[conn] = buffer

    def _answer(self, listener: Listener, conn: socket.socket, line: bytes) -> bool:
        """One line to a `smtp` or `lines` server; False when the connection ended."""
        if listener.kind == "lines":
            self._send(conn, listener.name.encode() + b" " + line + b"\n")
            return True
        if line.upper().startswith(b"QUIT"):
            self._send(conn, b"221 bye\r\n")
            self._close_conn(conn)
            return False
        self._send(conn, b"250 lab\r\n")
        return True

    @staticmethod
    def _send(conn: socket.socket, data: bytes) -> None:
        """Small answers fit the socket buffer; a peer that went away is not an error."""
        with contextlib.suppress(OSError):
            conn.send(data)

    def _close_conn(self, conn: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(conn)
        listener = self._owner.pop(conn, None)
        if listener is not None:
            listener.connections.discard(conn)
        self._buffers.pop(conn, None)
        conn.close()
