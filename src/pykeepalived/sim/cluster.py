"""N simulated nodes on one LAN, driven on a virtual clock: the run loop and action interpreter.

Every input reaches a core through `_feed`, and every action a core returns is interpreted
there: adverts become deliveries on the LAN, VIP actions and state changes go to the
timeline. The run loop always processes the earliest thing due, LAN deliveries and
scheduled scenario steps before instance timers at the same instant, and is bounded in
both virtual time and event count.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.sim.clock import VirtualClock
from pykeepalived.sim.network import Lan, LinkFaults
from pykeepalived.sim.node import SimInstance, SimNode, SimScript
from pykeepalived.sim.timeline import LogLine, Timeline, Transition, VipChange
from pykeepalived.vrrp.actions import AddVips, Log, RemoveVips, SendAdvert, StateChanged
from pykeepalived.vrrp.events import AdvertReceived, Shutdown, Startup, Timeout
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.sync_group import MemberAction
from pykeepalived.vrrp.tracking import Reading, ScriptResult, TrackKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pykeepalived.sim.node import Core
    from pykeepalived.vrrp.actions import Action
    from pykeepalived.vrrp.advert import Advertisement, IPAddress
    from pykeepalived.vrrp.events import Event
    from pykeepalived.vrrp.params import InstanceParams
    from pykeepalived.vrrp.sync_group import GroupOutput
    from pykeepalived.vrrp.tracking import TrackSpec

#: Defaults that bound a run even when a test forgets to.
DEFAULT_MAX_EVENTS = 200_000
DOWN = "DOWN"


class SimulationLimit(RuntimeError):
    """The run hit its event budget: a livelock in a core or a scenario that never settles."""


@dataclass(frozen=True, slots=True)
class _Delivery:
    node: str
    generation: int
    instance: str
    event: AdvertReceived


@dataclass(frozen=True, slots=True)
class _Step:
    run: Callable[[], None]


_Item = _Delivery | _Step


class Cluster:
    """The simulator's front door: build nodes, start them, inject faults, run, inspect."""

    def __init__(
        self,
        *,
        seed: int = 0,
        faults: LinkFaults | None = None,
        core_factory: Callable[[InstanceParams], Core] = VrrpInstance,
    ) -> None:
        self.lan = Lan(random.Random(seed), faults)
        self.clock: VirtualClock[_Item] = VirtualClock()
        self.nodes: dict[str, SimNode] = {}
        self.timeline = Timeline()
        self.events_processed = 0
        self._factory = core_factory

    @property
    def now(self) -> float:
        return self.clock.now

    # -- building -----------------------------------------------------------------------

    def add_node(self, name: str, address: IPAddress) -> SimNode:
        if name in self.nodes:
            raise ValueError(f"node {name} defined twice")
        if any(n.address == address for n in self.nodes.values()):
            raise ValueError(f"node {name}: address {address} already used")
        node = SimNode(name=name, address=address)
        self.nodes[name] = node
        return node

    def add_instance(
        self, node: str, params: InstanceParams, tracks: Iterable[TrackSpec] = ()
    ) -> None:
        self.nodes[node].add_instance(params, tuple(tracks))

    def add_script(self, node: str, spec: SimScript) -> None:
        self.nodes[node].add_script(spec)

    def add_sync_group(self, node: str, name: str, members: Iterable[str]) -> None:
        self.nodes[node].add_sync_group(name, tuple(members))

    # -- scenario steps (act at `now`; use `at` to schedule) -----------------------------

    def at(self, when: float, step: Callable[[], None]) -> None:
        self.clock.schedule(when, _Step(step))

    def start(self, name: str) -> None:
        node = self.nodes[name]
        if node.running:
            raise ValueError(f"node {name} is already running")
        node.boot(self._factory)
        for inst in node.instances.values():
            for event in node.startup_events(inst):
                self._feed(node, inst, event)
        started: set[int] = set()
        for inst in node.instances.values():
            group = node.group_of.get(inst.name)
            if group is None:
                self._feed(node, inst, Startup())
            elif id(group) not in started:
                started.add(id(group))
                self._group_outputs(node, group.startup(now=self.clock.now))

    def start_all(self) -> None:
        for name in self.nodes:
            self.start(name)

    def crash(self, name: str) -> None:
        """The process dies silently: no advert, and its VIPs count as gone at once."""
        node = self._running(name)
        for inst in node.instances.values():
            self._mark_down(node, inst, "crashed")
        node.halt()

    def stop(self, name: str) -> None:
        """SIGTERM: every instance handles Shutdown (a master sends priority 0) first."""
        node = self._running(name)
        stopped: set[int] = set()
        for inst in node.instances.values():
            group = node.group_of.get(inst.name)
            if group is None:
                self._feed(node, inst, Shutdown())
            elif id(group) not in stopped:
                stopped.add(id(group))
                self._group_outputs(node, group.shutdown(now=self.clock.now))
        for inst in node.instances.values():
            self._mark_down(node, inst, "stopped")
        node.halt()

    def partition(self, *groups: Iterable[str]) -> None:
        self.lan.partition(groups)

    def heal(self) -> None:
        self.lan.heal()

    def script_result(self, name: str, script: str, result: ScriptResult) -> None:
        node = self._running(name)
        logs, reading = node.script_result(script, result)
        self._log(node, logs)
        if reading is not None:
            self._reading_changed(node, TrackKind.SCRIPT, script, reading)

    def set_interface(self, name: str, ifname: str, up: bool) -> None:
        self._set_reading(name, TrackKind.INTERFACE, ifname, up)

    def set_file(self, name: str, file: str, value: int) -> None:
        self._set_reading(name, TrackKind.FILE, file, value)

    def set_process_quorum(self, name: str, process: str, achieved: bool) -> None:
        self._set_reading(name, TrackKind.PROCESS, process, achieved)

    # -- running ------------------------------------------------------------------------

    def run_until(self, end: float, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        """Process everything due at or before `end`, then leave the clock at `end`."""
        budget = max_events
        while True:
            due = self._next_due()
            if due is None or due[0] > end:
                break
            if budget == 0:
                raise SimulationLimit(f"more than {max_events} events before t={end}")
            budget -= 1
            self.events_processed += 1
            self._process(*due)
        self.clock.advance_to(max(end, self.clock.now))

    def run_for(self, duration: float, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        self.run_until(self.clock.now + duration, max_events)

    # -- observing ----------------------------------------------------------------------

    def state(self, node: str, instance: str) -> str:
        inst = self.nodes[node].instances[instance]
        return DOWN if inst.core is None else str(inst.core.state)

    def masters(self, instance: str) -> set[str]:
        return {n for n in self.nodes if self.state(n, instance) == "MASTER"}

    def core(self, node: str, instance: str) -> Core:
        core = self.nodes[node].instances[instance].core
        if core is None:
            raise LookupError(f"{node}/{instance} is not running")
        return core

    # -- internals ----------------------------------------------------------------------

    def _running(self, name: str) -> SimNode:
        node = self.nodes[name]
        if not node.running:
            raise ValueError(f"node {name} is not running")
        return node

    def _next_due(self) -> tuple[float, SimNode | None, SimInstance | None] | None:
        best: tuple[float, SimNode | None, SimInstance | None] | None = None
        queued = self.clock.next_at()
        if queued is not None:
            best = (queued, None, None)
        for node in self.nodes.values():
            for inst in node.instances.values():
                deadline = None if inst.core is None else inst.core.next_deadline()
                if deadline is None:
                    continue
                deadline = max(deadline, self.clock.now)
                if best is None or deadline < best[0]:
                    best = (deadline, node, inst)
        return best

    def _process(self, when: float, node: SimNode | None, inst: SimInstance | None) -> None:
        self.clock.advance_to(when)
        if node is not None and inst is not None:
            self._feed(node, inst, Timeout())
            return
        _, item = self.clock.pop()
        if isinstance(item, _Step):
            item.run()
            return
        target = self.nodes[item.node]
        if target.running and target.generation == item.generation:
            self._feed(target, target.instances[item.instance], item.event)

    def _feed(self, node: SimNode, inst: SimInstance, event: Event) -> None:
        if inst.core is None:
            return
        group = node.group_of.get(inst.name)
        if group is None:
            for action in inst.core.handle(event, now=self.clock.now):
                self._interpret(node, inst, action)
            return
        self._group_outputs(node, group.handle(inst.name, event, now=self.clock.now))

    def _group_outputs(self, node: SimNode, outputs: list[GroupOutput]) -> None:
        for output in outputs:
            if isinstance(output, MemberAction):
                self._interpret(node, node.instances[output.member], output.action)
            elif isinstance(output, Log):
                self._log(node, [output.message])

    def _interpret(self, node: SimNode, inst: SimInstance, action: Action) -> None:
        now = self.clock.now
        if isinstance(action, SendAdvert):
            self._transmit(node, inst, action.advert)
        elif isinstance(action, AddVips | RemoveVips):
            holding = isinstance(action, AddVips)
            if holding != inst.holding_vips:
                inst.holding_vips = holding
                self.timeline.vip_changes.append(VipChange(now, node.name, inst.name, holding))
        elif isinstance(action, StateChanged):
            change = Transition(now, node.name, inst.name, action.old, action.new, action.reason)
            self.timeline.transitions.append(change)
        elif isinstance(action, Log):
            self.timeline.logs.append(LogLine(now, node.name, action.message))

    def _transmit(self, sender: SimNode, inst: SimInstance, advert: Advertisement) -> None:
        peers = {peer.address for peer in inst.params.unicast_peers}
        for node in self.nodes.values():
            if node is sender or not node.running or (peers and node.address not in peers):
                continue
            targets = [i for i in node.instances.values() if i.params.vrid == advert.vrid]
            for target in targets:
                event = AdvertReceived(advert, sender.address, 255, unicast=bool(peers))
                for delay in self.lan.copy_delays(sender.name, node.name):
                    delivery = _Delivery(node.name, node.generation, target.name, event)
                    self.clock.schedule(self.clock.now + delay, delivery)

    def _mark_down(self, node: SimNode, inst: SimInstance, why: str) -> None:
        now = self.clock.now
        old = "INIT" if inst.core is None else str(inst.core.state)
        self.timeline.transitions.append(Transition(now, node.name, inst.name, old, DOWN, why))
        if inst.holding_vips:
            inst.holding_vips = False
            self.timeline.vip_changes.append(VipChange(now, node.name, inst.name, False))

    def _set_reading(self, name: str, kind: TrackKind, key: str, reading: Reading) -> None:
        node = self.nodes[name]
        node.readings[(kind, key)] = reading
        if node.running:
            self._reading_changed(node, kind, key, reading)

    def _reading_changed(self, node: SimNode, kind: TrackKind, key: str, value: Reading) -> None:
        for inst in node.instances.values():
            if inst.tracker is None:
                continue
            update = inst.tracker.reading_changed(kind, key, value)
            self._log(node, update.logs)
            for event in update.events:
                self._feed(node, inst, event)

    def _log(self, node: SimNode, messages: Iterable[str]) -> None:
        now = self.clock.now
        self.timeline.logs.extend(LogLine(now, node.name, m) for m in messages)
