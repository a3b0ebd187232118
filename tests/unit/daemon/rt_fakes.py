"""Recording fakes for the daemon's ports: every call lands in one ordered `calls` list."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv6Address
from typing import TYPE_CHECKING

from pykeepalived.adapters.links import AddressEntry, InterfaceInfo, LinkState
from pykeepalived.daemon.build import InterfaceFacts
from pykeepalived.vrrp.actions import LogLevel

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pykeepalived.daemon.notifier import NotifyTarget

MAC = bytes.fromhex("02000000aa0b")
FACTS = {
    "eth0": InterfaceFacts("eth0", 2, MAC, True, IPv4Address("192.0.2.11"),
                           IPv6Address("fe80::aa0b")),
}


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
    rec: Recorder
    ifname: str = "eth0"

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
        return InterfaceInfo(link, (entry,))


@dataclass
class FakeNotifier:
    rec: Recorder
    targets: list[str] = field(default_factory=list)

    def notify(self, kind: str, name: str, state: str, priority: int) -> None:
        tag = "notify" if kind == "INSTANCE" else "group_notify"
        self.rec.calls.append((tag, name, str(state), priority))

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
