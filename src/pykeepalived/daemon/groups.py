"""vrrp_sync_groups in the runtime: members driven through `vrrp/sync_group.SyncGroup`.

A member's events go to its group's coordinator instead of straight to the instance, so
keepalived's rules hold (one FAULT takes all, MASTER only when all can, BACKUP follows).
Each group has one timer, at the earliest of its members' deadlines. The coordinator's
outputs are routed here: member actions to that member's executor chain, group notifies
(`GROUP name STATE 0`) to the notifier, group log lines to the log.

At a reload a group whose spec and members are all unchanged keeps running untouched.
Any other group is dissolved; its members are (re)started like standalone instances
(a changed MASTER stays MASTER, reload.py) and then wrapped in a new coordinator whose
state is taken from the members, so a reload does not move a healthy group.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from pykeepalived.daemon.running import RunningGroup, defer_late_timer
from pykeepalived.vrrp.actions import Log
from pykeepalived.vrrp.events import FaultChanged
from pykeepalived.vrrp.params import State
from pykeepalived.vrrp.sync_group import GroupNotify, MemberAction, SyncGroup

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pykeepalived.daemon.chains import Chains
    from pykeepalived.daemon.ports import LogSink, NotifierPort
    from pykeepalived.daemon.running import RunningInstance
    from pykeepalived.daemon.timers import Timers
    from pykeepalived.specs.build import DaemonSpec, GroupSpec
    from pykeepalived.specs.reload import ReloadPlan
    from pykeepalived.vrrp.actions import Action
    from pykeepalived.vrrp.events import Event
    from pykeepalived.vrrp.sync_group import GroupOutput


class GroupHost(Protocol):
    """What the sync-group driver needs of the runtime that owns the instances."""

    @property
    def nodes(self) -> dict[str, RunningInstance]: ...
    @property
    def chains(self) -> Chains: ...
    @property
    def timers(self) -> Timers: ...
    @property
    def log(self) -> LogSink: ...
    @property
    def notifier(self) -> NotifierPort: ...
    def now(self) -> float: ...
    def clear_stale_vips(self, node: RunningInstance) -> None: ...
    def after_core(self, node: RunningInstance, actions: list[Action]) -> None: ...


class Groups:
    def __init__(self, host: GroupHost) -> None:
        self._host = host
        self.active: dict[str, RunningGroup] = {}

    def start(self, spec: GroupSpec) -> None:
        """Daemon start: faulted members first, then the coordinator's startup."""
        group = self._attach(spec)
        if group is None:
            return
        now = self._host.now()
        out = self._initial_faults(group, now)
        out += group.sync.startup(now=now)
        for node in group.members:
            self._host.clear_stale_vips(node)
        self.dispatch(group, out)

    def wrap(self, spec: GroupSpec) -> None:
        """Reload: members already run; the coordinator takes over in their state."""
        group = self._attach(spec)
        if group is None:
            return
        out = self._initial_faults(group, self._host.now())
        states = {node.instance.state for node in group.members}
        if states == {State.MASTER}:
            group.sync.state = State.MASTER
        elif State.FAULT in states:
            group.sync.state = State.FAULT
        else:
            group.sync.state = State.BACKUP
        self.dispatch(group, out)

    def event(self, group: RunningGroup, member: str, event: Event, *,
              now: float | None = None) -> None:
        at = self._host.now() if now is None else now
        self.dispatch(group, group.sync.handle(member, event, now=at))

    def stop(self) -> None:
        """Shutdown through the coordinators: members' priority-0 adverts, GROUP STOP."""
        for group in list(self.active.values()):
            self.dispatch(group, group.sync.shutdown(now=self._host.now()))
            if group.timer is not None:
                group.timer.cancel()
                group.timer = None
        self.active.clear()

    def dissolve_changed(self, daemon: DaemonSpec, plan: ReloadPlan) -> list[GroupSpec]:
        """Dissolve every group the reload changes; returns the groups to wrap after it."""
        kept = {name for name, _spec in plan.keep}
        wanted = {g.name: g for g in daemon.groups}
        for name, group in list(self.active.items()):
            spec = wanted.get(name)
            if spec == group.spec and spec is not None and set(spec.members) <= kept:
                continue
            self._dissolve(group)
        return [g for g in daemon.groups if g.name not in self.active]

    # --- internals ----------------------------------------------------------------------

    def _attach(self, spec: GroupSpec) -> RunningGroup | None:
        members = [self._host.nodes[m] for m in spec.members if m in self._host.nodes]
        if not members:
            return None
        for node in members:
            if node.timer is not None:
                node.timer.cancel()
                node.timer = None
        group = RunningGroup(spec, SyncGroup(spec.name, [n.instance for n in members]), members)
        for node in members:
            node.group = group
        self.active[spec.name] = group
        return group

    def _initial_faults(self, group: RunningGroup, now: float) -> list[GroupOutput]:
        out: list[GroupOutput] = []
        for node in group.members:
            if node.tracker.faulted:
                held = FaultChanged(True, node.tracker.fault_reasons[0])
                out += group.sync.handle(node.spec.name, held, now=now)
        return out

    def _dissolve(self, group: RunningGroup) -> None:
        if group.timer is not None:
            group.timer.cancel()
            group.timer = None
        del self.active[group.spec.name]
        for node in group.members:
            node.group = None
            node.instance.master_gate = None
            if self._host.nodes.get(node.spec.name) is node:
                self._host.after_core(node, [])  # its own timer again

    def _on_timer(self, group: RunningGroup) -> None:
        group.timer = None
        deadline = group.sync.next_deadline()
        now = self._host.now()
        if defer_late_timer(now - (deadline or now), group.timer_deferred):
            group.timer_deferred = True
            group.timer = self._host.timers.call_at(now, self._on_timer, group)
            return
        group.timer_deferred = False
        now = max(now, deadline or 0.0)  # call_at may fire a hair early
        self.dispatch(group, group.sync.handle_timeout(now=now))

    def dispatch(self, group: RunningGroup, outputs: Sequence[GroupOutput]) -> None:
        """Re-arm the group's timer, then route each output in order."""
        if self.active.get(group.spec.name) is group:
            if group.timer is not None:
                group.timer.cancel()
            deadline = group.sync.next_deadline()
            group.timer = None if deadline is None else self._host.timers.call_at(
                deadline, self._on_timer, group)
        batch: list[Action] = []
        current: RunningInstance | None = None
        flushed: list[RunningInstance] = []
        for out in outputs:
            if isinstance(out, MemberAction):
                node = self._host.nodes.get(out.member)
                if node is not current:
                    self._flush(current, batch, flushed)
                    current, batch = node, []
                batch.append(out.action)
                continue
            self._flush(current, batch, flushed)
            current, batch = None, []
            if isinstance(out, GroupNotify):
                self._notify_after_members(group, out, flushed)
            elif isinstance(out, Log):
                self._host.log.log(out.message, out.level)
        self._flush(current, batch, flushed)

    def _flush(self, node: RunningInstance | None, batch: list[Action],
               flushed: list[RunningInstance]) -> None:
        if node is not None and batch:
            self._host.chains.execute(node, batch)
            flushed.append(node)

    def _notify_after_members(self, group: RunningGroup, out: GroupNotify,
                              flushed: list[RunningInstance]) -> None:
        """keepalived notifies the members first, then the group. Member notifies run on
        their executor chains, so the group's goes on its first member's chain, after
        whatever the other members had queued: FIFO lines keep keepalived's order, and
        retiring the members at stop waits for it."""
        anchor = group.members[0]
        others = {n.chain for n in flushed if n is not anchor and n.chain is not None}
        notifier = self._host.notifier

        async def notify() -> None:
            if others:
                await asyncio.wait(others)
            notifier.notify("GROUP", out.group, out.state.value, 0)

        self._host.chains.run_after(anchor, notify)
