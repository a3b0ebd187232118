"""The runtime with use_vmac over fakes: vmac first, socket on it, VIPs on it, gone at stop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pykeepalived.daemon.runtime import Runtime
from tests.unit.daemon.rt_fakes import FakeNetlink, FakeSocket, Harness, Recorder
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.specs.instance import SocketSpec
    from pykeepalived.specs.vmac import VmacSpec

OWNER = instance_text(priority=255, extra="use_vmac")


@dataclass
class FakeVmac:
    rec: Recorder

    async def create(self, spec: VmacSpec, instance: str) -> int:
        self.rec.calls.append(("vmac_create", spec.ifname, spec.mac.hex(), instance))
        return 7

    async def delete(self, spec: VmacSpec) -> None:
        self.rec.calls.append(("vmac_delete", spec.ifname))

    def restore(self) -> None:
        self.rec.calls.append(("vmac_restore",))


@dataclass
class WhereNetlink(FakeNetlink):
    """Records on which interface each address goes."""

    async def add_address(self, spec: object) -> bool:
        self.rec.calls.append(("add_on", getattr(spec, "ifname", "")))
        return await super().add_address(spec)


def run(tmp_path: Path, text: str) -> tuple[Harness, list[str]]:
    harness = Harness()
    frames_on: list[str] = []

    def open_socket(spec: SocketSpec) -> FakeSocket:
        harness.rec.calls.append(("socket", spec.ifname, spec.ifindex))
        return FakeSocket(harness.rec)

    def open_frames(ifname: str) -> None:
        frames_on.append(ifname)

    async def scenario() -> None:
        ports = replace(harness.ports(), vmac=FakeVmac(harness.rec), open_socket=open_socket,
                        open_frames=open_frames, netlink=WhereNetlink(harness.rec))
        runtime = Runtime(ports, harness.log)
        await runtime.start_watcher()
        await runtime.gather_facts(["eth0"])
        await runtime.start(daemon_from(text, tmp_path))
        await runtime.settle()
        await runtime.stop()

    asyncio.run(scenario())
    return harness, frames_on


def test_vmac_made_before_its_socket_vips_on_it_and_removed_at_stop(tmp_path: Path) -> None:
    harness, frames_on = run(tmp_path, OWNER)
    calls = harness.rec.calls
    assert calls[:2] == [("vmac_create", "vrrp.171", "00005e0001ab", "VI_T"),
                         ("socket", "vrrp.171", 7)]
    assert frames_on == ["vrrp.171"]
    adds = [c for c in calls if c[0] in ("add", "add_on")]
    assert adds == [("add_on", "vrrp.171"), ("add", "192.0.2.171/24")]
    tail = [c[0] for c in calls[calls.index(("drain", 1.0)):]]
    assert tail == ["drain", "vmac_delete", "vmac_restore"]
    assert calls.index(("delete", "192.0.2.171/24")) < calls.index(("vmac_delete", "vrrp.171"))


def test_xmit_base_socket_stays_on_the_nic(tmp_path: Path) -> None:
    harness, frames_on = run(tmp_path, instance_text(priority=255,
                                                     extra="use_vmac\n vmac_xmit_base"))
    assert ("socket", "eth0", 2) in harness.rec.calls
    assert frames_on == ["vrrp.171"]


def test_no_vmac_port_is_a_clear_error(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> str:
        runtime = Runtime(harness.ports(), harness.log)
        try:
            await runtime.start(daemon_from(OWNER, tmp_path))
        except OSError as exc:
            return str(exc)
        finally:
            await runtime.stop()
        return ""

    assert asyncio.run(scenario()) == "(VI_T) use_vmac is not available here"
