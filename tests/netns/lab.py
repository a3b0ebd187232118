"""A throwaway LAN in network namespaces: one bridge namespace, N hosts, real processes.

Shared by the netns tests, tools/capture_golden.py and bench/. Everything it creates is
named with a per-run prefix (parallel runs and other engineers' tests never collide) and
is torn down on exit, exceptions included: processes are ended by the PIDs we started,
then namespaces are deleted. Addresses come only from 192.0.2.0/24 and 2001:db8::/32.

    with Lab(["a", "b"], prefix="gld") as lab:
        peer = KeepalivedPeer(lab, "a", CONFIG_TEXT)
        peer.start()
        peer.wait_for_log("Entering MASTER STATE", timeout=10)
        with lab.capture("b") as cap:
            ...
        frames = cap.frames()
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from types import TracebackType

T = TypeVar("T")

#: Every command we run is bounded: a hung `ip` must fail the test, not stall CI.
COMMAND_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def wait_for(
    predicate: Callable[[], T | None],
    timeout: float,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
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


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=COMMAND_TIMEOUT)


def _sysctl(namespace: str, *settings: str) -> None:
    subprocess.run(
        ["ip", "netns", "exec", namespace, "sysctl", "-q", "-w", *settings],
        check=True, capture_output=True, timeout=COMMAND_TIMEOUT,
    )


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
    ifname: str = "eth0"

    @property
    def link_local(self) -> IPv6Address:
        """The EUI-64 link-local the kernel derives from the fixed MAC (VRRPv3 source)."""
        octets = bytes(int(part, 16) for part in self.mac.split(":"))
        eui = bytes([octets[0] ^ 0x02]) + octets[1:3] + b"\xff\xfe" + octets[3:]
        return IPv6Address(b"\xfe\x80" + bytes(6) + eui)

    @property
    def mac_bytes(self) -> bytes:
        return bytes(int(part, 16) for part in self.mac.split(":"))


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
    def __enter__(self) -> Lab:
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
        _sysctl(self.bridge_namespace, "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1")
        _ip("-n", self.bridge_namespace, "link", "add", "br0", "type", "bridge",
            "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
        _ip("-n", self.bridge_namespace, "link", "set", "br0", "up")
        for index, name in enumerate(self._host_names, start=1):
            self.hosts[name] = self._add_host(name, index)

    def _add_namespace(self, namespace: str) -> None:
        _ip("netns", "add", namespace)
        self._namespaces.append(namespace)
        _ip("-n", namespace, "link", "set", "lo", "up")

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
        _sysctl(host.namespace, *(f"net.ipv6.conf.{scope}.{s}" for scope in ("all", "default")
                                  for s in quiet))
        _ip("-n", self.bridge_namespace, "link", "add", host.bridge_port, "type", "veth",
            "peer", "name", host.ifname, "netns", host.namespace)
        _ip("-n", self.bridge_namespace, "link", "set", host.bridge_port, "master", "br0", "up")
        _sysctl(host.namespace, *(f"net.ipv6.conf.{host.ifname}.{s}" for s in quiet))
        _ip("-n", host.namespace, "link", "set", host.ifname, "address", host.mac)
        _ip("-n", host.namespace, "addr", "add", f"{host.ipv4}/24", "dev", host.ifname)
        _ip("-n", host.namespace, "addr", "add", f"{host.ipv6}/64", "dev", host.ifname,
            "nodad")
        _ip("-n", host.namespace, "link", "set", host.ifname, "up")
        return host

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

    def run(self, host: str, argv: Sequence[str], *, check: bool = True,
            timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run to completion in the host's namespace; output captured as text."""
        return subprocess.run(["ip", "netns", "exec", self.hosts[host].namespace, *argv],
                              capture_output=True, text=True, timeout=timeout, check=check)

    def spawn(self, host: str, argv: Sequence[str], *, name: str = "proc") -> Process:
        """Start in the host's namespace; stopped by PID at teardown if still running."""
        assert self.workdir is not None, "use the Lab as a context manager"
        self._next_log += 1
        log_path = self.workdir / f"{host}-{name}-{self._next_log}.log"
        log_file = log_path.open("wb")
        full = ["ip", "netns", "exec", self.hosts[host].namespace, *argv]
        popen = subprocess.Popen(full, stdout=log_file, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        process = Process(list(argv), popen, log_path, log_file)
        self._processes.append(process)
        return process

    def link_down(self, host: str) -> None:
        """Cut the host off at the bridge side; its own link stays up (a dead host)."""
        _ip("-n", self.bridge_namespace, "link", "set", self.hosts[host].bridge_port, "down")

    def link_up(self, host: str) -> None:
        _ip("-n", self.bridge_namespace, "link", "set", self.hosts[host].bridge_port, "up")

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


def read_pcap(path: Path) -> list[bytes]:
    """Frames of a classic libpcap file (what `tcpdump -w` writes), link type Ethernet."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = data[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
             b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if order is None:
        raise ValueError(f"{path} is not a libpcap file")
    frames: list[bytes] = []
    offset = 24
    while offset + 16 <= len(data):
        _sec, _frac, captured, _orig = struct.unpack_from(f"{order}IIII", data, offset)
        offset += 16
        frames.append(data[offset:offset + captured])
        offset += captured
    return frames


def write_pcap(path: Path, frames: Sequence[bytes]) -> None:
    """A classic libpcap file of Ethernet frames (for tshark), timestamps one ms apart."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for number, frame in enumerate(frames):
        out.append(struct.pack("<IIII", 0, number * 1000, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))


#: Sends hex-encoded Ethernet frames on an interface; run inside a host namespace.
SEND_FRAMES = """
import socket, sys, time
ifname, count, gap, *frames = sys.argv[1:]
with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
    sock.bind((ifname, 0))
    for _ in range(int(count)):
        for frame in frames:
            sock.send(bytes.fromhex(frame))
        time.sleep(float(gap))
"""


def send_frames(lab: Lab, host: str, frames: Sequence[bytes], *, count: int = 1,
                gap: float = 0.0) -> None:
    """Put raw frames on the host's eth0 `count` times, `gap` seconds apart (bounded)."""
    if count * gap > COMMAND_TIMEOUT / 2:
        raise ValueError("keep injections short: count * gap under 5 s")
    lab.run(host, [sys.executable, "-c", SEND_FRAMES, lab.host(host).ifname, str(count),
                   str(gap), *(frame.hex() for frame in frames)])


class KeepalivedPeer:
    """Real keepalived 2.2.7 in a lab host, with its own pid files and a console log."""

    def __init__(self, lab: Lab, host: str, config: str, *, name: str = "keepalived") -> None:
        assert lab.workdir is not None, "use the Lab as a context manager"
        self.lab = lab
        self.host = host
        self.directory = lab.workdir / f"{host}-{name}"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.directory / "keepalived.conf"
        self.config_path.write_text(config)
        self.process: Process | None = None

    def argv(self) -> list[str]:
        pid = self.directory
        return ["keepalived", "-n", "-l", "-D", "-f", str(self.config_path),
                "-p", str(pid / "keepalived.pid"), "-r", str(pid / "vrrp.pid"),
                "-c", str(pid / "checkers.pid")]

    def start(self) -> KeepalivedPeer:
        self.process = self.lab.spawn(self.host, self.argv(), name="keepalived")
        return self

    def log(self) -> str:
        return self.process.output() if self.process is not None else ""

    def wait_for_log(self, substring: str, timeout: float = 10.0) -> str:
        """Wait until the console log contains `substring`; returns the log so far."""
        return wait_for(lambda: self.log() if substring in self.log() else None, timeout,
                        what=f"keepalived on {self.host} to log {substring!r}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM (keepalived sends priority 0 adverts and removes VIPs), then wait."""
        if self.process is None:
            return 0
        return self.process.stop(signal.SIGTERM, timeout)
