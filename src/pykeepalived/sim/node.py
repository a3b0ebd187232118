"""A simulated host: its primary address, its VRRP instances, its trackers, and whether it runs.

A node owns what a keepalived process owns: the instance state machines (rebuilt from
their params at every restart, because a crash loses all state), the vrrp_script debounce
counters, and each instance's `PriorityTracker`. It does not deliver packets or keep
time; the cluster does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from pykeepalived.vrrp.events import FaultChanged, PriorityChanged
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.sync_group import SyncGroup
from pykeepalived.vrrp.tracking import (
    PriorityTracker,
    Reading,
    ScriptResult,
    ScriptTracker,
    TrackKind,
    TrackSpec,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.vrrp.actions import Action
    from pykeepalived.vrrp.advert import IPAddress
    from pykeepalived.vrrp.events import Event
    from pykeepalived.vrrp.params import InstanceParams, State


class Core(Protocol):
    """The part of `VrrpInstance` the simulator drives (core-api.md)."""

    @property
    def state(self) -> State: ...

    def handle(self, event: Event, *, now: float) -> list[Action]: ...

    def next_deadline(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class SimScript:
    """A vrrp_script's debounce settings on one node."""

    name: str
    rise: int = 1
    fall: int = 1
    init_fail: bool = False


@dataclass
class SimInstance:
    """One instance on one node: its params, its running core and its tracking."""

    params: InstanceParams
    tracks: tuple[TrackSpec, ...]
    core: Core | None = None
    tracker: PriorityTracker | None = None
    holding_vips: bool = False

    @property
    def name(self) -> str:
        return self.params.name

    def fresh_tracker(self, readings: dict[tuple[TrackKind, str], Reading]) -> PriorityTracker:
        wanted = {(s.kind, s.name) for s in self.tracks}
        initial = {key: value for key, value in readings.items() if key in wanted}
        return PriorityTracker(self.name, self.params.priority, self.tracks, initial)


@dataclass
class SimNode:
    name: str
    address: IPAddress
    instances: dict[str, SimInstance] = field(default_factory=dict)
    scripts: dict[str, SimScript] = field(default_factory=dict)
    running: bool = False
    #: Bumped at every crash/stop so in-flight deliveries to the old process are discarded.
    generation: int = 0
    #: Current tracker readings, kept across restarts (a link stays down while we reboot).
    readings: dict[tuple[TrackKind, str], Reading] = field(default_factory=dict)
    #: vrrp_sync_group name -> member instance names (configuration).
    sync_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: member instance name -> its running coordinator (rebuilt at boot).
    group_of: dict[str, SyncGroup] = field(default_factory=dict)
    _script_state: dict[str, ScriptTracker] = field(default_factory=dict)

    def add_instance(self, params: InstanceParams, tracks: tuple[TrackSpec, ...] = ()) -> None:
        if params.name in self.instances:
            raise ValueError(f"node {self.name}: instance {params.name} defined twice")
        self.instances[params.name] = SimInstance(params=params, tracks=tracks)

    def add_script(self, spec: SimScript) -> None:
        self.scripts[spec.name] = spec

    def add_sync_group(self, name: str, members: tuple[str, ...]) -> None:
        unknown = [m for m in members if m not in self.instances]
        taken = [m for g in self.sync_groups.values() for m in g if m in members]
        if unknown or taken or not members:
            raise ValueError(f"node {self.name}: sync group {name}: bad members {members}")
        self.sync_groups[name] = members

    def boot(self, factory: Callable[[InstanceParams], Core]) -> None:
        """Fresh cores, fresh script counters (keepalived starts them in INIT)."""
        self.running = True
        self.generation += 1
        self._script_state = {
            s.name: ScriptTracker(s.name, rise=s.rise, fall=s.fall, init_fail=s.init_fail)
            for s in self.scripts.values()
        }
        for name, tracker in self._script_state.items():
            self.readings[(TrackKind.SCRIPT, name)] = tracker.status
        for inst in self.instances.values():
            inst.core = factory(inst.params)
            inst.tracker = inst.fresh_tracker(self.readings)
            inst.holding_vips = False
        self.group_of = {}
        for group, members in self.sync_groups.items():
            cores = [self.instances[m].core for m in members]
            real = [c for c in cores if isinstance(c, VrrpInstance)]
            if len(real) != len(cores):
                raise TypeError(f"sync group {group} needs real VrrpInstance members")
            coordinator = SyncGroup(group, real)
            self.group_of.update(dict.fromkeys(members, coordinator))

    def halt(self) -> None:
        self.running = False
        self.generation += 1
        self.group_of = {}
        for inst in self.instances.values():
            inst.core = None
            inst.tracker = None

    def startup_events(self, inst: SimInstance) -> list[Event]:
        """What the trackers already say, told to the core before its Startup."""
        events: list[Event] = []
        if inst.tracker is None:
            return events
        if inst.tracker.effective_priority != inst.params.priority:
            events.append(PriorityChanged(inst.tracker.effective_priority, "tracking at startup"))
        if inst.tracker.faulted:
            events.append(FaultChanged(True, inst.tracker.fault_reasons[0]))
        return events

    def script_result(self, name: str, result: ScriptResult) -> tuple[list[str], Reading | None]:
        """Debounce one result; the new reading if the instances must hear of it."""
        tracker = self._script_state.get(name)
        if tracker is None:
            raise KeyError(f"node {self.name}: no vrrp_script {name}")
        verdict = tracker.record(result)
        if not verdict.changed:
            return list(verdict.logs), None
        self.readings[(TrackKind.SCRIPT, name)] = verdict.status
        return list(verdict.logs), verdict.status
