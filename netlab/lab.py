"""A throwaway LAN in network namespaces: one bridge namespace, N hosts, real processes.

The one lab behind the netns tests, the benchmarks, the demo and the golden capture tool.
Everything it creates is named with a per-run prefix (parallel runs and other engineers'
tests never collide) and is torn down on exit, exceptions included: processes are ended
by the PIDs we started, then namespaces are deleted. Addresses come only from
192.0.2.0/24 and 2001:db8::/32.

    with Lab(["a", "b"], prefix="gld") as lab:
        peer = KeepalivedPeer(lab, "a", CONFIG).start()   # netlab.peers, netlab.conf
        peer.wait_for_log("Entering MASTER STATE", timeout=10)
        with lab.capture("b") as cap:
            ...
        frames = cap.frames()

Code that must run *in* a host either runs as a process there (`run`, `spawn`; our own
programs as `python -m netlab.<module>`, from the checkout root), or opens its sockets
there from this process (`Host.socket_factory`, for the adapters under test).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import IO, TYPE_CHECKING, Self, TypeVar

from netlab.frames import read_pcap
from pykeepalived.adapters.netns import socket_in_namespace

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Iterator, Sequence
    from types import TracebackType

T = TypeVar("T")

#: Every command we run is bounded: a hung `ip` must fail the test, not stall CI.
COMMAND_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
#: the checkout: processes start here, so `python -m netlab.…` finds the lab's programs
CHECKOUT = Path(__file__).resolve().parents[1]
IFNAME = "eth0"
CLONE_NEWNET = 0x40000000


def wait_for(predicate: Callable[[], T | None], timeout: float, interval: float = 0.05,
             what: str = "condition") -> T:
    """Poll `predicate` until it returns something truthy; bounded in time and in count."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


async def async_wait_for(predicate: Callable[[], T | None], within: float,
                         interval: float = 0.01, what: str = "condition") -> T:
    """`wait_for` on a running event loop, whose callbacks make `predicate` true; polls
    every 10 ms, a cheap look at state the loop's own callbacks keep."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    for _ in range(int(within / interval) + 2):
        result = predicate()
        if result:
            return result
        if loop.time() >= deadline:
            break
        await asyncio.sleep(interval)
    raise TimeoutError(f"timed out after {within} s waiting for {what}")


def never_during(predicate: Callable[[], bool], seconds: float) -> bool:
    """True if `predicate` held at no poll during `seconds` (bounded negative check)."""
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / 0.05) + 1):
        if predicate():
            return False
        if time.monotonic() >= deadline:
            break
        time.sleep(0.05)  # a negative check: nothing to wait *for*, only a window to watch
    return True


class IpError(subprocess.CalledProcessError):
    """A failed `ip` command; unlike its base class it says what `ip` said."""

    def __str__(self) -> str:
        return f"{super().__str__()}: {str(self.stderr).strip()}"


def ip(*args: str) -> str:
    """Run `ip ARGS` (bounded); its output, or IpError with ip's own complaint."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT, check=False)
    if done.returncode != 0:
        raise IpError(done.returncode, done.args, done.stdout, done.stderr)
    return done.stdout


def sysctl(namespace: str, *settings: str) -> None:
    """`sysctl -w` each `name=value` inside `namespace`."""
    subprocess.run(["ip", "netns", "exec", namespace, "sysctl", "-q", "-w", *settings],
                   check=True, capture_output=True, timeout=COMMAND_TIMEOUT)


def socket_in(namespace: str) -> Callable[[int, int, int], socket.socket]:
    """A socket factory whose sockets live in `namespace` (the daemon's own helper,
    adapters/netns.py: a throwaway thread enters it; the caller never changes namespace)."""

    def make(family: int, kind: int, proto: int) -> socket.socket:
        return socket_in_namespace(namespace, family, kind, proto)

    return make


@dataclass(frozen=True)
class Host:
    """One host namespace with its single interface, `eth0`, plugged into the bridge."""

    name: str
    namespace: str
    index: int
    mac: str
    ipv4: IPv4Address
    ipv6: IPv6Address
    bridge_port: str
    ifname: str = IFNAME
    #: eth0's index in the host's namespace (0 for a Host made up to craft frames)
    ifindex: int = 0

    @property
    def link_local(self) -> IPv6Address:
        """The EUI-64 link-local the kernel derives from the fixed MAC (VRRPv3 source);
        the lab checks the kernel agrees before handing a host out."""
        eui = bytes([self.mac_bytes[0] ^ 0x02]) + self.mac_bytes[1:3] + b"\xff\xfe" \
            + self.mac_bytes[3:]
        return IPv6Address(b"\xfe\x80" + bytes(6) + eui)

    @property
    def mac_bytes(self) -> bytes:
        return bytes(int(part, 16) for part in self.mac.split(":"))

    def ip(self, *args: str) -> str:
        """`ip ARGS` in this host's namespace."""
        return ip("-n", self.namespace, *args)

    def sysctl(self, *settings: str) -> None:
        sysctl(self.namespace, *settings)

    def socket_factory(self) -> Callable[[int, int, int], socket.socket]:
        """For adapters that take a socket factory: their sockets live in this host."""
        return socket_in(self.namespace)


@dataclass
class Process:
    """A process we started in a namespace; its output goes to `log_path`."""

    argv: list[str]
    popen: subprocess.Popen[bytes]
    log_path: Path
    _log_file: IO[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Signal by PID, wait, SIGKILL if it will not go; returns the exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout)
        self._log_file.close()
        return self.popen.returncode


class Lab:
    """Bridge namespace + host namespaces with veth pairs; a context manager.

    Host i (1-based) gets MAC 02:00:00:00:<base>:<i>, 192.0.2.(base+i)/24 and
    2001:db8::(base+i)/64; `base` lets concurrent labs use distinct addresses.
    """

    def __init__(self, hosts: Sequence[str], *, prefix: str = "lab", base: int = 10,
                 workdir: Path | None = None) -> None:
        if not hosts or len(hosts) + base > 250:
            raise ValueError("between 1 and 240 hosts, and base + count under 250")
        self.run_id = f"{prefix}-{secrets.token_hex(3)}"
        self.bridge_namespace = f"{self.run_id}-br"
        self.hosts: dict[str, Host] = {}
        self._host_names = list(hosts)
        self._base = base
        self._namespaces: list[str] = []
        self._processes: list[Process] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.workdir = workdir
        self._next_log = 0

    # -------------------------------------------------------------- lifecycle
    def __enter__(self) -> Self:
        try:
            self._build()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.teardown()

    def _build(self) -> None:
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"{self.run_id}-")
            self.workdir = Path(self._tmp.name)
        self._add_namespace(self.bridge_namespace)
        sysctl(self.bridge_namespace, "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
        ip("-n", self.bridge_namespace, "link", "add", "br0", "type", "bridge",
           "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
        ip("-n", self.bridge_namespace, "link", "set", "br0", "up")
        for index, name in enumerate(self._host_names, start=1):
            self.hosts[name] = self._add_host(name, index)

    def _add_namespace(self, namespace: str) -> None:
        ip("netns", "add", namespace)
        self._namespaces.append(namespace)
        ip("-n", namespace, "link", "set", "lo", "up")

    def _add_host(self, name: str, index: int) -> Host:
        number = self._base + index
        host = Host(
            name=name, namespace=f"{self.run_id}-{name}", index=index,
            mac=f"02:00:00:00:{self._base:02x}:{index:02x}",
            ipv4=IPv4Address(f"192.0.2.{number}"), ipv6=IPv6Address(f"2001:db8::{number}"),
            bridge_port=f"p{index}",
        )
        self._add_namespace(host.namespace)
        quiet = ("accept_dad=0", "router_solicitations=0", "dad_transmits=0")
        sysctl(host.namespace, *(f"net.ipv6.conf.{scope}.{s}" for scope in ("all", "default")
                                 for s in quiet))
        ip("-n", self.bridge_namespace, "link", "add", host.bridge_port, "type", "veth",
           "peer", "name", host.ifname, "netns", host.namespace)
        ip("-n", self.bridge_namespace, "link", "set", host.bridge_port, "master", "br0", "up")
        sysctl(host.namespace, *(f"net.ipv6.conf.{host.ifname}.{s}" for s in quiet))
        host.ip("link", "set", host.ifname, "address", host.mac)
        host.ip("addr", "add", f"{host.ipv4}/24", "dev", host.ifname)
        host.ip("addr", "add", f"{host.ipv6}/64", "dev", host.ifname, "nodad")
        host.ip("link", "set", host.ifname, "up")
        return self._with_kernel_facts(host)

    @staticmethod
    def _with_kernel_facts(host: Host) -> Host:
        """The host with eth0's ifindex, once the kernel shows the link-local we expect."""
        def shown() -> dict[str, object] | None:
            link: dict[str, object] = json.loads(host.ip("-j", "addr", "show", "dev",
                                                         host.ifname))[0]
            infos = link.get("addr_info")
            assert isinstance(infos, list)
            local = {IPv6Address(a["local"]) for a in infos
                     if a["family"] == "inet6" and a["scope"] == "link"}
            return link if host.link_local in local else None

        link = wait_for(shown, 5.0, interval=0.01, what=f"the link-local of {host.name}")
        ifindex = link["ifindex"]
        assert isinstance(ifindex, int)
        return Host(host.name, host.namespace, host.index, host.mac, host.ipv4, host.ipv6,
                    host.bridge_port, host.ifname, ifindex)

    def teardown(self) -> None:
        """Stop our processes (by PID), then anything left in our namespaces, then delete."""
        for process in reversed(self._processes):
            with contextlib.suppress(Exception):
                process.stop()
        self._processes.clear()
        for namespace in reversed(self._namespaces):
            self._kill_leftovers(namespace)
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True,
                           timeout=COMMAND_TIMEOUT, check=False)
        self._namespaces.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    @staticmethod
    def _kill_leftovers(namespace: str) -> None:
        """Children of our processes (keepalived's VRRP child) live only in our namespaces."""
        listed = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True,
                                text=True, timeout=COMMAND_TIMEOUT, check=False)
        for pid in (int(word) for word in listed.stdout.split() if word.isdigit()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # -------------------------------------------------------------- using it
    def host(self, name: str) -> Host:
        return self.hosts[name]

    def exec_argv(self, host: str, argv: Sequence[str]) -> list[str]:
        """`argv` as run in the host's namespace (for a caller that needs its own Popen)."""
        return ["ip", "netns", "exec", self.hosts[host].namespace, *argv]

    def run(self, host: str, argv: Sequence[str], *, check: bool = True,
            timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run to completion in the host's namespace; output captured as text."""
        return subprocess.run(self.exec_argv(host, argv), capture_output=True, text=True,
                              timeout=timeout, check=check, cwd=CHECKOUT)

    def spawn(self, host: str, argv: Sequence[str], *, name: str = "proc") -> Process:
        """Start in the host's namespace; stopped by PID at teardown if still running."""
        assert self.workdir is not None, "use the Lab as a context manager"
        self._next_log += 1
        log_path = self.workdir / f"{host}-{name}-{self._next_log}.log"
        log_file = log_path.open("wb")
        popen = subprocess.Popen(self.exec_argv(host, argv), stdout=log_file,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 cwd=CHECKOUT)
        process = Process(list(argv), popen, log_path, log_file)
        self._processes.append(process)
        return process

    def link_down(self, host: str) -> None:
        """Cut the host off at the bridge side; its own link stays up (a dead host)."""
        ip("-n", self.bridge_namespace, "link", "set", self.hosts[host].bridge_port, "down")

    def link_up(self, host: str) -> None:
        ip("-n", self.bridge_namespace, "link", "set", self.hosts[host].bridge_port, "up")

    def pings(self, host: str, address: str) -> bool:
        """One ping from `host` to `address` answered within a second."""
        return self.run(host, ["ping", "-c", "1", "-W", "1", address],
                        check=False).returncode == 0

    @contextlib.contextmanager
    def capture(self, host: str, bpf: Sequence[str] = ()) -> Iterator[Capture]:
        """tcpdump on the host's eth0 while the block runs; frames readable afterwards."""
        assert self.workdir is not None, "use the Lab as a context manager"
        pcap = self.workdir / f"{host}-{secrets.token_hex(2)}.pcap"
        argv = ["tcpdump", "-i", self.hosts[host].ifname, "--immediate-mode", "-U", "-n",
                "-w", str(pcap), *bpf]
        process = self.spawn(host, argv, name="tcpdump")
        capture = Capture(pcap, process)
        wait_for(lambda: "listening on" in process.output(), 5.0, what="tcpdump to listen")
        try:
            yield capture
        finally:
            process.stop(signal.SIGINT)


@dataclass
class Capture:
    path: Path
    process: Process

    def frames(self) -> list[bytes]:
        return read_pcap(self.path)
