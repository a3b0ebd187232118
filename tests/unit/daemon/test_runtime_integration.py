"""The runtime over fake ports: sync groups, track_file, track_process, startup delay."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pykeepalived.adapters.netlink_events import LinkChanged
from pykeepalived.daemon.runtime import Runtime
from pykeepalived.daemon.tracking_io import parse_track_file
from pykeepalived.specs.reload import plan_reload
from pykeepalived.vrrp.params import State
from tests.unit.daemon.rt_fakes import Harness
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from pykeepalived.specs.build import DaemonSpec
    from pykeepalived.specs.tracks import ProcessMatcher

GROUPED = (instance_text(name="VI_A", vrid=183, vips="192.0.2.183/24")
           + instance_text(name="VI_B", vrid=184, vips="192.0.2.184/24") + """
vrrp_sync_group G1 {
    group {
        VI_A
        VI_B
    }
    track_interface {
        lo
    }
}
""")


@dataclass
class FakeMonitor:
    matchers: Sequence[ProcessMatcher]
    on_change: Callable[[str, bool], None]
    closed: bool = False

    async def start(self) -> None:
        for matcher in self.matchers:
            self.on_change(matcher.name, True)

    async def start_polling(self, interval: float = 1.0) -> None:
        raise AssertionError("the fake connector never refuses")

    def close(self) -> None:
        self.closed = True


@dataclass
class Rig:
    harness: Harness = field(default_factory=Harness)
    monitors: list[FakeMonitor] = field(default_factory=list)

    async def runtime(self, daemon: DaemonSpec, interfaces: Sequence[str] = ("eth0", "lo"),
                      ) -> Runtime:
        ports = self.harness.ports()

        def monitor(matchers: Sequence[ProcessMatcher],
                    on_change: Callable[[str, bool], None]) -> FakeMonitor:
            self.monitors.append(FakeMonitor(matchers, on_change))
            return self.monitors[-1]

        ports.make_process_monitor = monitor
        runtime = Runtime(ports, self.harness.log)
        await runtime.start_watcher()
        await runtime.gather_facts(interfaces)
        await runtime.start(daemon)
        await runtime.settle()
        return runtime

    def link(self, ifname: str, up: bool) -> None:
        watcher = self.harness.watcher
        assert watcher is not None
        watcher.callback(LinkChanged(ifname, 1, up, "UP" if up else "DOWN"))

    def calls(self, tag: str) -> list[tuple[Any, ...]]:
        return [c for c in self.harness.rec.calls if c[0] == tag]


def states(runtime: Runtime) -> dict[str, State]:
    return {name: core.state for name, core in runtime.cores().items()}


def test_a_group_tracker_faults_every_member_and_recovery_brings_all_back(
        tmp_path: Path) -> None:
    rig = Rig()

    async def scenario() -> list[dict[str, State]]:
        runtime = await rig.runtime(daemon_from(GROUPED, tmp_path))
        seen = [states(runtime)]
        rig.link("lo", False)
        await runtime.settle()
        seen.append(states(runtime))
        rig.link("lo", True)
        await runtime.settle()
        seen.append(states(runtime))
        await runtime.stop()
        return seen

    started, faulted, recovered = asyncio.run(scenario())
    assert started == {"VI_A": State.BACKUP, "VI_B": State.BACKUP}
    assert faulted == {"VI_A": State.FAULT, "VI_B": State.FAULT}
    assert recovered == {"VI_A": State.BACKUP, "VI_B": State.BACKUP}
    assert rig.calls("group_notify") == [("group_notify", "G1", "BACKUP", 0),
                                         ("group_notify", "G1", "FAULT", 0),
                                         ("group_notify", "G1", "BACKUP", 0),
                                         ("group_notify", "G1", "STOP", 0)]
    assert "VRRP_Group(G1) Syncing instances to FAULT state" in rig.harness.log.text()


def test_members_have_no_timer_of_their_own_and_the_group_has_one(tmp_path: Path) -> None:
    rig = Rig()

    async def scenario() -> tuple[list[object], float | None, float | None]:
        runtime = await rig.runtime(daemon_from(GROUPED, tmp_path))
        group = runtime.groups.active["G1"]
        timers = [node.timer for node in runtime.nodes.values()]
        due = group.timer.when() if group.timer is not None else None
        earliest = group.sync.next_deadline()
        await runtime.stop()
        return timers, due, earliest

    timers, due, earliest = asyncio.run(scenario())
    assert timers == [None, None]
    assert due is not None
    assert due == earliest


def test_reload_keeps_an_unchanged_group_and_regroups_a_changed_one(tmp_path: Path) -> None:
    rig = Rig()

    async def scenario() -> tuple[bool, bool, list[str]]:
        old = daemon_from(GROUPED, tmp_path, "a.conf")
        runtime = await rig.runtime(old)
        group = runtime.groups.active["G1"]
        same = daemon_from(GROUPED, tmp_path, "b.conf")
        await runtime.apply_reload(same, plan_reload({s.name: s for s in old.instances},
                                                     same.instances))
        kept = runtime.groups.active["G1"] is group
        changed = daemon_from(GROUPED.replace("192.0.2.184/24", "192.0.2.185/24"), tmp_path,
                              "c.conf")
        await runtime.apply_reload(changed, plan_reload(
            {s.name: s for s in same.instances}, changed.instances))
        regrouped = runtime.groups.active["G1"] is not group
        members = [m.spec.name for m in runtime.groups.active["G1"].members]
        await runtime.stop()
        return kept, regrouped, members

    assert asyncio.run(scenario()) == (True, True, ["VI_A", "VI_B"])


FILED = """track_file maint {
    file "%s"
    weight 10
}
""" + instance_text(extra="track_file {\n maint\n }")


def test_track_file_value_times_weight_moves_the_priority(tmp_path: Path) -> None:
    rig = Rig()
    path = tmp_path / "maint"
    path.write_text("2\n")

    async def scenario() -> list[int]:
        runtime = await rig.runtime(daemon_from(FILED % path, tmp_path))
        core = runtime.nodes["VI_T"].instance
        seen = [core.effective_priority]
        path.write_text("-3\n")
        runtime.trackers.poll_files()
        seen.append(core.effective_priority)
        path.unlink()  # a missing file reads 0
        runtime.trackers.poll_files()
        seen.append(core.effective_priority)
        await runtime.stop()
        return seen

    assert asyncio.run(scenario()) == [120, 70, 100]


def test_weightless_track_file_faults_on_non_zero_and_init_file_creates_it(
        tmp_path: Path) -> None:
    rig = Rig()
    path = tmp_path / "down"
    text = FILED.replace("weight 10", "weight 0\n    init_file 0") % path

    async def scenario() -> list[State]:
        runtime = await rig.runtime(daemon_from(text, tmp_path))
        core = runtime.nodes["VI_T"].instance
        seen = [core.state]
        path.write_text("1\n")
        runtime.trackers.poll_files()
        await runtime.settle()
        seen.append(core.state)
        await runtime.stop()
        return seen

    assert asyncio.run(scenario()) == [State.BACKUP, State.FAULT]
    assert path.read_text() == "1\n"


def test_track_file_values_parse_as_keepalived_strtol() -> None:
    cases = {"5\n": 5, "  -7 x": -7, "0x10": 16, "010": 8, "abc": 0, "": 0, "+3": 3}
    assert {text: parse_track_file(text) for text in cases} == cases
    assert parse_track_file("99999999999") is None


PROCESSED = """vrrp_track_process haproxy {
    process haproxy
    weight 0
}
""" + instance_text(extra="track_process {\n haproxy\n }")


def test_process_quorum_loss_faults_the_instance_and_return_recovers(tmp_path: Path) -> None:
    rig = Rig()

    async def scenario() -> list[State]:
        runtime = await rig.runtime(daemon_from(PROCESSED, tmp_path))
        core = runtime.nodes["VI_T"].instance
        (monitor,) = rig.monitors
        seen = [core.state]
        monitor.on_change("haproxy", False)
        await runtime.settle()
        seen.append(core.state)
        monitor.on_change("haproxy", True)
        await runtime.settle()
        seen.append(core.state)
        await runtime.stop()
        assert monitor.closed
        return seen

    assert asyncio.run(scenario()) == [State.BACKUP, State.FAULT, State.BACKUP]
    assert [m.name for m in rig.monitors[0].matchers] == ["haproxy"]


def test_startup_delay_holds_the_instances_in_init(tmp_path: Path) -> None:
    rig = Rig()
    text = "global_defs {\n vrrp_startup_delay 5\n}\n" + instance_text()

    async def scenario() -> tuple[State, float | None]:
        runtime = await rig.runtime(daemon_from(text, tmp_path))
        state = runtime.nodes["VI_T"].instance.state
        delay = runtime.startup_at - runtime.now() if runtime.startup_at else None
        await runtime.stop()
        return state, delay

    state, delay = asyncio.run(scenario())
    assert state is State.INIT
    assert delay is not None
    assert 4.9 < delay <= 5.0
    assert "Delaying VRRP startup for 5 seconds" in rig.harness.log.text()
