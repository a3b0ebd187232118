"""The simulator's own machinery: clock, LAN fault draws, bounds, timeline and errors."""

from __future__ import annotations

import random
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

import pytest

from pykeepalived.sim.clock import VirtualClock
from pykeepalived.sim.cluster import Cluster, SimulationLimit
from pykeepalived.sim.network import Lan, LinkFaults
from pykeepalived.sim.scenario import build_cluster, instance_params, node_address
from pykeepalived.vrrp.params import InstanceParams, State
from pykeepalived.vrrp.tracking import ScriptResult

if TYPE_CHECKING:
    from pykeepalived.vrrp.actions import Action
    from pykeepalived.vrrp.events import Event


def test_clock_pops_in_time_then_scheduling_order_and_refuses_the_past() -> None:
    clock: VirtualClock[str] = VirtualClock()
    clock.schedule(2.0, "late")
    clock.schedule(1.0, "first")
    clock.schedule(1.0, "second")
    assert [clock.pop()[1] for _ in range(3)] == ["first", "second", "late"]
    clock.advance_to(3.0)
    with pytest.raises(ValueError, match="past"):
        clock.schedule(2.5, "x")
    with pytest.raises(ValueError, match="backwards"):
        clock.advance_to(1.0)


def test_lan_faults_are_reproducible_from_the_seed() -> None:
    faults = LinkFaults(loss=0.2, duplicate=0.2, delay=0.01, jitter=0.05)
    runs = []
    for _ in range(2):
        lan = Lan(random.Random(42), faults)
        runs.append([lan.copy_delays("a", "b") for _ in range(200)])
    assert runs[0] == runs[1]
    counts = [len(d) for d in runs[0]]
    assert 0 in counts
    assert 2 in counts
    assert all(0.01 <= d < 0.06 for delays in runs[0] for d in delays)


def test_partition_blocks_only_across_groups() -> None:
    lan = Lan(random.Random(0))
    lan.partition([{"a", "b"}, {"c"}])
    assert lan.copy_delays("a", "b") == [0.0]
    assert lan.copy_delays("a", "c") == []
    assert not lan.can_reach("d", "a")  # in no group: cut off
    lan.heal()
    assert lan.copy_delays("a", "c") == [0.0]


@pytest.mark.parametrize("kwargs", [{"loss": 1.5}, {"duplicate": -0.1}, {"delay": -1.0}])
def test_bad_fault_settings_are_clear_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        LinkFaults(**kwargs)


class _Livelock:
    """A broken core whose deadline never moves: the run loop must stop, not spin."""

    def __init__(self, params: InstanceParams) -> None:
        self.params = params

    @property
    def state(self) -> State:
        return State.BACKUP

    def handle(self, event: Event, *, now: float) -> list[Action]:
        return []

    def next_deadline(self) -> float | None:
        return 1.0


def test_run_loop_is_bounded_by_its_event_budget() -> None:
    cluster = Cluster(core_factory=_Livelock)
    cluster.add_node("n1", node_address(1))
    cluster.add_instance("n1", instance_params(100, 1))
    cluster.start_all()
    with pytest.raises(SimulationLimit, match="more than 50 events"):
        cluster.run_until(5.0, max_events=50)
    assert cluster.events_processed == 50


def test_scheduled_steps_run_at_their_exact_time() -> None:
    cluster = build_cluster([150, 100])
    cluster.start_all()
    cluster.at(10.25, lambda: cluster.crash("n1"))
    cluster.run_until(20)
    down = [t for t in cluster.timeline.transitions if t.new == "DOWN"]
    assert [(t.at, t.node, t.reason) for t in down] == [(10.25, "n1", "crashed")]


def test_timeline_render_lists_every_transition_in_order() -> None:
    cluster = build_cluster([150, 100])
    cluster.start_all()
    cluster.run_until(5)
    lines = cluster.timeline.render().splitlines()
    assert lines[0].split() == ["time", "node", "instance", "transition"]
    assert lines[1:] == [
        "    0.000000  n1       VI_1     INIT -> BACKUP  (startup)",
        "    0.000000  n2       VI_1     INIT -> BACKUP  (startup)",
        "    3.414062  n1       VI_1     BACKUP -> MASTER  "
        "(no advert received within 3.4140625 s of startup)",
    ]


def test_building_errors_are_clear() -> None:
    cluster = Cluster()
    cluster.add_node("n1", IPv4Address("192.0.2.11"))
    with pytest.raises(ValueError, match="defined twice"):
        cluster.add_node("n1", IPv4Address("192.0.2.12"))
    with pytest.raises(ValueError, match="already used"):
        cluster.add_node("n2", IPv4Address("192.0.2.11"))
    cluster.add_instance("n1", instance_params(100, 1))
    with pytest.raises(ValueError, match="defined twice"):
        cluster.add_instance("n1", instance_params(100, 1))
    with pytest.raises(ValueError, match="not running"):
        cluster.crash("n1")
    cluster.start("n1")
    with pytest.raises(ValueError, match="already running"):
        cluster.start("n1")
    with pytest.raises(KeyError, match="no vrrp_script"):
        cluster.script_result("n1", "missing", ScriptResult.exited(0))


def test_a_run_replays_identically_from_its_seed() -> None:
    def run(seed: int) -> str:
        cluster = build_cluster([150, 100, 120], seed=seed, faults=LinkFaults(loss=0.3))
        cluster.start_all()
        cluster.run_until(60)
        return cluster.timeline.render()

    assert run(3) == run(3)
