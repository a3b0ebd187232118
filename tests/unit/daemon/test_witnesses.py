"""The witness wiring over fake ports: rounds → verdict → WitnessChanged → state."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from pykeepalived.vrrp.params import State
from tests.unit.daemon.rt_fakes import Harness
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pykeepalived.daemon.ports import Ports
    from pykeepalived.specs.instance import InstanceSpec
    from pykeepalived.vrrp.advert import IPAddress

GW = IPv4Address("192.0.2.1")
WITNESSED = instance_text(extra="version 3\n    advert_int 0.1\n    witness 192.0.2.1\n"
                          "    witness_interval 0.1\n    witness_loss 2")


@dataclass
class FakeProber:
    on_round: Callable[[frozenset[IPAddress]], None]
    closed: bool = False

    def close(self) -> None:
        self.closed = True


@dataclass
class WitnessHarness(Harness):
    probers: dict[str, FakeProber] = field(default_factory=dict)

    def ports(self) -> Ports:
        def open_witness(spec: InstanceSpec,
                         on_round: Callable[[frozenset[IPAddress]], None]) -> FakeProber:
            self.probers[spec.name] = FakeProber(on_round)
            return self.probers[spec.name]

        return replace(super().ports(), open_witness=open_witness)


def test_rounds_drive_the_instance_and_the_prober_stops_with_it(tmp_path: Path) -> None:
    harness = WitnessHarness()

    async def scenario() -> list[State]:
        runtime = await harness.runtime(daemon_from(WITNESSED, tmp_path))
        node = runtime.nodes["VI_T"]
        prober = harness.probers["VI_T"]
        seen = [node.instance.state]
        prober.on_round(frozenset({GW}))  # the witness answers
        assert runtime.witnesses.trackers["VI_T"].reachable == {GW: True}
        # the down timer expires: a witness answers, so MASTER
        deadline = node.instance.next_deadline()
        assert deadline is not None
        await asyncio.sleep(max(0.0, deadline - runtime.now()) + 0.05)
        seen.append(node.instance.state)
        prober.on_round(frozenset())
        seen.append(node.instance.state)  # one round lost of 2: still up
        prober.on_round(frozenset())
        await runtime.settle()
        seen.append(node.instance.state)  # isolated: FAULT
        prober.on_round(frozenset({GW}))
        await runtime.settle()
        seen.append(node.instance.state)
        await runtime.stop()
        assert prober.closed
        return seen

    assert asyncio.run(scenario()) == [State.BACKUP, State.MASTER, State.MASTER, State.FAULT,
                                       State.BACKUP]
    text = harness.log.text()
    assert "(VI_T) witnesses unreachable: 192.0.2.1 down" in text
    assert "(VI_T) witnesses reachable: 192.0.2.1 up" in text
    assert "(VI_T) Entering FAULT STATE" in text


def test_without_a_prober_the_instance_never_becomes_master(tmp_path: Path) -> None:
    harness = Harness()  # its ports open no witness prober

    async def scenario() -> State:
        runtime = await harness.runtime(daemon_from(WITNESSED, tmp_path))
        inst = runtime.nodes["VI_T"].instance
        deadline = inst.next_deadline()
        assert deadline is not None
        await asyncio.sleep(max(0.0, deadline - runtime.now()) + 0.05)
        state = inst.state
        await runtime.stop()
        return state

    assert asyncio.run(scenario()) is State.FAULT
    assert "(VI_T) no witness prober here" in " ".join(harness.log.text())
