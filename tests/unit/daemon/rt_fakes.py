"""Recording fakes for the daemon's ports (every call lands in one ordered `calls` list),
and an advert from a peer as the VRRP socket would deliver it (`datagram`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv6Address
from typing import TYPE_CHECKING, Any

from pykeepalived.adapters.datagram import Datagram
from pykeepalived.adapters.links import IFA_F_SECONDARY, AddressEntry, InterfaceInfo, LinkState
from pykeepalived.adapters.proc_events import ProcessMonitor
from pykeepalived.daemon.executor import Executor, InstanceIO
from pykeepalived.daemon.ports import Ports
from pykeepalived.daemon.runtime import Runtime
from pykeepalived.specs.instance import InterfaceFacts
from pykeepalived.vrrp.actions import LogLevel
from pykeepalived.vrrp.advert import Advertisement
from pykeepalived.vrrp.packet import encode
from pykeepalived.vrrp.tracking import ScriptResult

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pykeepalived.specs.build import DaemonSpec
    from pykeepalived.specs.instance import InstanceSpec
    from pykeepalived.specs.notify import NotifyTarget

MAC = bytes.fromhex("02000000aa0b")
FACTS = {
    "eth0": InterfaceFacts("eth0", 2, MAC, True, IPv4Address("192.0.2.11"),
                           IPv6Address("fe80::aa0b")),
}
#: the peer whose adverts `datagram` fakes, and where it sends them
PEER = IPv4Address("192.0.2.12")
GROUP = IPv4Address("224.0.0.18")


def datagram(vrid: int = 171, priority: int = 200, payload: bytes | None = None) -> Datagram:
    """What the VRRP socket hands the runtime for one advert from PEER (v2, VIP .171)."""
    if payload is None:
        advert = Advertisement(version=2, vrid=vrid, priority=priority, interval_cs=100,
                               addresses=(IPv4Address("192.0.2.171"),))
        payload = encode(advert, source=PEER, destination=GROUP)
    return Datagram(payload=payload, source=PEER, destination=GROUP, ttl=255, ifindex=2,
                    protocol=112)


@dataclass
class Recorder:
    calls: list[tuple[object, ...]] = field(default_factory=list)


@dataclass
class FakeSender:
    rec: Recorder

    def send(self, payload: bytes, destination: object) -> bool:
        self.rec.calls.append(("advert", str(destination), payload[2]))  # priority octet
        return True


@dataclass
class FakeFrames:
    rec: Recorder

    def send(self, frame: bytes) -> bool:
        self.rec.calls.append(("frame", frame[12:14].hex()))  # ethertype
        return True


@dataclass
class FakeNetlink:
    """`stale`: addresses the interface reports besides its own, as a crashed predecessor
    leaves them (by default the VIP of instance_text(), so a start has one to clear)."""

    rec: Recorder
    ifname: str = "eth0"
    stale: tuple[str, ...] = ("192.0.2.171/24",)

    async def add_address(self, spec: object) -> bool:
        self.rec.calls.append(("add", str(getattr(spec, "address", spec))))
        return True

    async def delete_address(self, spec: object) -> bool:
        self.rec.calls.append(("delete", str(getattr(spec, "address", spec))))
        return True

    async def add_route(self, spec: object) -> bool:
        self.rec.calls.append(("add_route", str(getattr(spec, "destination", spec))))
        return True

    async def delete_route(self, spec: object) -> bool:
        self.rec.calls.append(("delete_route", str(getattr(spec, "destination", spec))))
        return True

    async def add_rule(self, spec: object) -> bool:
        self.rec.calls.append(("add_rule", str(getattr(spec, "priority", spec))))
        return True

    async def delete_rule(self, spec: object) -> bool:
        self.rec.calls.append(("delete_rule", str(getattr(spec, "priority", spec))))
        return True

    async def interface(self, ifname: str) -> InterfaceInfo:
        link = LinkState(ifname, 2, "02:00:00:00:aa:0b", True, True, "UP")
        entry = AddressEntry(2, IPv4Interface("192.0.2.11/24"), 0, ifname)
        left = tuple(AddressEntry(2, IPv4Interface(a), IFA_F_SECONDARY, ifname)
                     for a in self.stale)
        return InterfaceInfo(link, (entry, *left))


@dataclass
class FakeNotifier:
    rec: Recorder
    targets: list[str] = field(default_factory=list)

    def notify(self, kind: str, name: str, state: str, priority: int,
               env: tuple[tuple[str, str], ...] = ()) -> None:
        tag = "notify" if kind == "INSTANCE" else "group_notify"
        self.rec.calls.append((tag, name, str(state), priority, *env))

    def set_targets(self, targets: Iterable[NotifyTarget], *, fifos: Iterable[object] = (),
                    smtp: object = None) -> None:
        self.targets = [t.name for t in targets]

    async def drain(self, budget: float = 1.0) -> bool:
        self.rec.calls.append(("drain", budget))
        return True

    async def close(self) -> None:
        self.rec.calls.append(("close",))


@dataclass
class FakeLog:
    lines: list[tuple[str, LogLevel]] = field(default_factory=list)

    def log(self, message: str, level: LogLevel = LogLevel.INFO) -> None:
        self.lines.append((message, level))

    def text(self) -> list[str]:
        return [line for line, _ in self.lines]


@dataclass
class FakeSocket:
    """A VRRP socket: sends are recorded as ("advert", destination, priority) if `record`."""

    rec: Recorder
    record: bool = True
    callback: Callable[[Datagram], None] | None = None
    closed: bool = False
    #: the kernel filter asked for: None reads everything (the link's listener)
    vrid_filter: int | None = None

    def send(self, payload: bytes, destination: object) -> bool:
        if self.record:
            self.rec.calls.append(("advert", str(destination), payload[2]))
        return True

    def start(self, callback: Callable[[Datagram], None]) -> None:
        self.callback = callback

    def counters(self) -> dict[str, int]:
        return {"rx_datagrams": 0}

    def only_vrid(self, vrid: int | None) -> None:
        self.vrid_filter = vrid

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeWatcher:
    callback: Callable[[Any], None]

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


@dataclass
class Harness:
    """A Runtime over recording fakes; subclasses swap the netlink or socket fake."""

    rec: Recorder = field(default_factory=Recorder)
    log: FakeLog = field(default_factory=FakeLog)
    sockets: list[FakeSocket] = field(default_factory=list)
    watcher: FakeWatcher | None = None

    def make_netlink(self) -> FakeNetlink:
        return FakeNetlink(self.rec)

    def make_socket(self) -> FakeSocket:
        sock = FakeSocket(self.rec)
        self.sockets.append(sock)
        return sock

    def ports(self) -> Ports:
        def make_watcher(callback: Callable[[Any], None]) -> FakeWatcher:
            self.watcher = FakeWatcher(callback)
            return self.watcher

        async def run_command(command: object, time_limit: float) -> ScriptResult:
            return ScriptResult.exited(0)

        return Ports(netlink=self.make_netlink(), open_socket=lambda spec: self.make_socket(),
                     open_frames=lambda ifname: FakeFrames(self.rec), make_watcher=make_watcher,
                     notifier=FakeNotifier(self.rec), run_command=run_command,
                     make_process_monitor=ProcessMonitor)

    async def runtime(self, daemon: DaemonSpec, *, release_vips: bool = True) -> Runtime:
        runtime = Runtime(self.ports(), self.log, release_vips=release_vips)
        await runtime.start_watcher()
        await runtime.gather_facts(["eth0"])
        await runtime.start(daemon)
        await runtime.settle()
        return runtime


def make_executor(spec: InstanceSpec, *, release: bool = True
                  ) -> tuple[Executor, InstanceIO, Recorder, list[float], FakeLog]:
    """An executor over recording fakes: (executor, io, recorder, sleeps, log)."""
    rec, log, sleeps = Recorder(), FakeLog(), []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        rec.calls.append(("sleep", seconds))

    executor = Executor(FakeNetlink(rec), FakeNotifier(rec), log, sleep=sleep,
                        release_vips=release)
    return executor, InstanceIO(spec, FakeSender(rec), FakeFrames(rec)), rec, sleeps, log
