"""The client side of the traffic tests, and the director configs they reload.

A client in the LvsLab's front LAN talks to VIPs on the director; LVS-NAT sends each
connection to a real server behind, whose answer names it. `ask_http` is one HTTP/1.0
request (busybox httpd serves the server's name), `ask_line` one line to a `lines`
server (netlab/nsservers.py). `LongLived` keeps connections open and sends a line on
each every 0.2 s from a thread, recording every failure: what a reload must not disturb.

`ipvsadm -Ln --stats` counters reset when IPVS deletes and re-adds an entry, so
counters that only grow across a reload prove it left that entry alone.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from ipaddress import ip_address
from socket import AF_INET, SOCK_STREAM
from typing import TYPE_CHECKING

from netlab.conf import Config, RealServer, VirtualServer, tcp_check
from netlab.lab import socket_in
from netlab.lvs import LvsLab
from netlab.nsservers import NsServers
from netlab.peers import PyChecker
from tests.ipvs.check_lab import wait_until
from tests.ipvs.ipvs_lab import AdapterLoop, run, squeeze, table

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from netlab.lab import Process

IO_TIMEOUT = 3.0
INTERVAL = 0.2
VIP_A, VIP_B, VIP_L, VIP_C = "192.0.2.100", "192.0.2.101", "192.0.2.102", "192.0.2.103"
HTTP_PORT, LINE_PORT = 80, 7000
REALS = {"rs1": "198.51.100.11", "rs2": "198.51.100.12", "rs3": "198.51.100.13"}
DELAY_LOOP, CONNECT_TIMEOUT = 1, 1
#: VS L's weights in the config the director starts with
BASE = {"rs1": 1, "rs2": 1}


def _receive_until(sock: socket.socket, end: bytes) -> bytes:
    data = b""
    for _ in range(1000):
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
        if end and end in data:
            return data
    return data


def ask_http(make: Callable[[int, int, int], socket.socket], vip: str) -> str:
    """One HTTP/1.0 GET through the VIP: the body (the server's name), or the error."""
    try:
        with make(socket.AF_INET, socket.SOCK_STREAM, 0) as sock:
            sock.settimeout(IO_TIMEOUT)
            sock.connect((vip, HTTP_PORT))
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            reply = _receive_until(sock, b"")
    except OSError as exc:
        return f"error: {exc}"
    return reply.partition(b"\r\n\r\n")[2].decode(errors="replace").strip()


def ask_line(make: Callable[[int, int, int], socket.socket], vip: str) -> str:
    """One line through the VIP on a new connection: the server's name, or the error."""
    try:
        with make(socket.AF_INET, socket.SOCK_STREAM, 0) as sock:
            sock.settimeout(IO_TIMEOUT)
            sock.connect((vip, LINE_PORT))
            sock.sendall(b"hello\n")
            return _receive_until(sock, b"\n").decode().split(" ", 1)[0]
    except OSError as exc:
        return f"error: {exc}"


@dataclass
class LongLived:
    """Connections to VIP:LINE_PORT kept open, each asked a line every INTERVAL."""

    make: Callable[[int, int, int], socket.socket]
    vip: str
    count: int
    sockets: list[socket.socket] = field(default_factory=list)
    #: per connection: the server that answers it, and how many answers came back
    names: list[str] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> LongLived:
        for _ in range(self.count):
            sock = self.make(socket.AF_INET, socket.SOCK_STREAM, 0)
            sock.settimeout(IO_TIMEOUT)
            sock.connect((self.vip, LINE_PORT))
            self.sockets.append(sock)
            self.names.append(self._exchange(sock, 0))
            self.answered.append(1)
        self._thread = threading.Thread(target=self._loop, name="long-lived", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(IO_TIMEOUT * 2)
        for sock in self.sockets:
            sock.close()

    @property
    def sources(self) -> list[str]:
        return [f"{s.getsockname()[0]}:{s.getsockname()[1]}" for s in self.sockets]

    @staticmethod
    def _exchange(sock: socket.socket, seq: int) -> str:
        sock.sendall(f"{seq}\n".encode())
        name, _, echoed = _receive_until(sock, b"\n").decode().strip().partition(" ")
        if echoed != str(seq):
            raise OSError(f"answer {name!r} {echoed!r} to {seq}")
        return name

    def _loop(self) -> None:
        for seq in range(1, 1_000_000):
            if self._stop.wait(INTERVAL):
                return
            for index, sock in enumerate(self.sockets):
                try:
                    name = self._exchange(sock, seq)
                except OSError as exc:
                    self.failures.append(f"{time.strftime('%T')} connection {index}: {exc}")
                    continue
                if name != self.names[index]:
                    self.failures.append(f"connection {index} moved to {name}")
                self.answered[index] += 1

    def progress(self) -> list[int]:
        return list(self.answered)


def stats(ns: str) -> dict[str, tuple[int, int]]:
    """`ipvsadm -Ln --stats`: (Conns, InPkts) per service row and per `service -> dest`."""
    def number(text: str) -> int:
        scale = {"K": 1000, "M": 1000**2, "G": 1000**3}.get(text[-1:], 1)
        return int(text.rstrip("KMG")) * scale

    out: dict[str, tuple[int, int]] = {}
    service = ""
    for line in run("ipvsadm", "-Ln", "--stats", ns=ns).splitlines()[3:]:
        words = line.split()
        if not words:
            continue
        if words[0] == "->":
            out[f"{service} -> {words[1]}"] = (number(words[2]), number(words[3]))
        else:
            service = f"{words[0]} {words[1]}"
            out[service] = (number(words[2]), number(words[3]))
    return out


def connections_of(ns: str, sources: list[str]) -> list[str]:
    """`ipvsadm -Lnc` rows (expiry dropped) of connections from these client sources."""
    rows = [squeeze(line).split() for line in run("ipvsadm", "-Lnc", ns=ns).splitlines()[2:]]
    return sorted(" ".join(r[:1] + r[2:]) for r in rows if len(r) >= 6 and r[3] in sources)


def virtual_server(vip: str, port: int, weights: Mapping[str, int], *,
                   inhibit: bool = False) -> VirtualServer:
    return VirtualServer(
        f"{vip} {port}", delay_loop=DELAY_LOOP, inhibit_on_failure=inhibit,
        real_servers=[RealServer(REALS[name], port, weight=weight,
                                 checkers=[tcp_check(connect_timeout=CONNECT_TIMEOUT, retry=0)])
                      for name, weight in weights.items()])


def director_config(lines: Mapping[str, int], *, with_b: bool = True,
                    with_c: bool = False) -> Config:
    """VS A (HTTP, rr, NAT) and B (the same, inhibit_on_failure) on rs1 and rs2 port 80,
    VS L (long-lived lines) on port 7000 with `lines` weights, C (lines) when asked."""
    both = {"rs1": 1, "rs2": 1}
    servers = [virtual_server(VIP_A, HTTP_PORT, both)]
    if with_b:
        servers.append(virtual_server(VIP_B, HTTP_PORT, both, inhibit=True))
    servers.append(virtual_server(VIP_L, LINE_PORT, lines))
    if with_c:
        servers.append(virtual_server(VIP_C, LINE_PORT, both))
    return Config(virtual_servers=servers)


def expected_rows(config: Config) -> list[tuple[str, tuple[str, ...]]]:
    """What `ipvsadm -Ln` shows for a director config whose servers all answer, with the
    connection counters left out (see `without_counters`)."""
    blocks = []
    for vs in config.virtual_servers:
        dests = tuple(sorted(f"-> {rs.address}:{rs.port} Masq {rs.weight or 1}"
                             for rs in vs.real_servers))
        blocks.append((f"TCP {vs.target.replace(' ', ':')} {vs.scheduler}", dests))
    return sorted(blocks)


def without_counters(blocks: list[tuple[str, tuple[str, ...]]]
                     ) -> list[tuple[str, tuple[str, ...]]]:
    """Dest rows without ActiveConn/InActConn, which follow the traffic."""
    return [(service, tuple(" ".join(d.split()[:4]) for d in dests)) for service, dests in blocks]


@dataclass
class Director:
    lab: LvsLab
    daemon: PyChecker
    ipvs: AdapterLoop
    client: Callable[[int, int, int], socket.socket]
    httpd: dict[str, Process]
    config: Config

    @property
    def ns(self) -> str:
        return self.lab.host("director").namespace

    def start_httpd(self, name: str) -> None:
        assert self.lab.workdir is not None
        root = self.lab.workdir / f"www-{name}"
        root.mkdir(exist_ok=True)
        (root / "index.html").write_text(f"{name}\n")
        self.httpd[name] = self.lab.spawn(name, ["busybox", "httpd", "-f", "-p",
                                                 f"{REALS[name]}:80", "-h", str(root)],
                                          name="httpd")
        make = socket_in(self.lab.host(name).namespace)

        def listening() -> bool:
            with make(AF_INET, SOCK_STREAM, 0) as sock:
                sock.settimeout(1.0)
                return sock.connect_ex((REALS[name], 80)) == 0

        wait_until(listening, bool, timeout=10.0, what=f"httpd on {name}")

    def weights(self, vip: str) -> dict[str, int]:
        """The dests of the VIP's service (port 80) as name -> weight, from the kernel."""
        names = {ip_address(a): n for n, a in REALS.items()}
        dump = self.ipvs.run(self.ipvs.ipvs.dump())
        return {names[d.address]: d.weight for service, dests in dump.items()
                if service.address == ip_address(vip) and service.port == 80 for d in dests}

    def rows(self) -> list[tuple[str, tuple[str, ...]]]:
        return without_counters(table(self.ns))


def traffic_director() -> Iterator[Director]:
    """The traffic lab with pykeepalived -C started on the base config, httpd on rs1 and
    rs2, `lines` servers on all three; not yet waited for (see conftest.py)."""
    with contextlib.ExitStack() as stack:
        servers = stack.enter_context(NsServers())
        lab = stack.enter_context(LvsLab(reals=tuple(REALS), clients=("client",), prefix="pkt"))
        lab.add_address("director", VIP_A, VIP_B, VIP_L, VIP_C)
        for name, address in REALS.items():
            servers.listen(lab.host(name).namespace, address, LINE_PORT, "lines", name)
        config = director_config(BASE)
        daemon = PyChecker(lab, "director", config)
        daemon.start()
        ipvs = stack.enter_context(contextlib.closing(AdapterLoop(lab.host("director").namespace)))
        one = Director(lab, daemon, ipvs, socket_in(lab.host("client").namespace), {}, config)
        for name in ("rs1", "rs2"):
            one.start_httpd(name)
        yield one
