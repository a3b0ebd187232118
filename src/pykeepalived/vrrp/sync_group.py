"""A vrrp_sync_group as a pure coordinator: members move together, as vrrp_sync.c does it.

Events go in for one member; actions come out tagged with that member's name, plus the
group's own log lines and notifies (`GROUP name STATE 0`). keepalived's rules:

* one member going FAULT takes every member to FAULT (vrrp_sync_fault), and a recovered
  member stays in FAULT until no member is faulted any more (try_up_instance);
* a member whose down timer expires becomes MASTER only if every other member also wants
  MASTER (vrrp_sync_can_goto_master); otherwise it stays BACKUP with a fresh down timer;
  once it goes, the others follow at once (vrrp_sync_master);
* a member leaving MASTER for BACKUP, or leaving FAULT, takes the others to BACKUP
  (vrrp_sync_backup).

Tracker weights of members are forced to 0 unless `sync_group_tracking_weight`: that rule
belongs to the config layer, which builds the trackers; this coordinator only sees the
resulting PriorityChanged / FaultChanged events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.vrrp import messages as msg
from pykeepalived.vrrp.actions import Action, Log, NotifyState
from pykeepalived.vrrp.events import FaultChanged, Shutdown, Startup, Timeout
from pykeepalived.vrrp.params import State

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pykeepalived.vrrp.events import Event
    from pykeepalived.vrrp.instance import VrrpInstance


@dataclass(frozen=True, slots=True)
class MemberAction:
    """An action of one member instance, to be executed for that instance."""

    member: str
    action: Action


@dataclass(frozen=True, slots=True)
class GroupNotify:
    """Run the group's notify scripts: keepalived passes `GROUP name STATE 0`."""

    group: str
    state: NotifyState


GroupOutput = MemberAction | GroupNotify | Log

_GROUP_NOTIFY = {State.MASTER: NotifyState.MASTER, State.BACKUP: NotifyState.BACKUP,
                 State.FAULT: NotifyState.FAULT}


class SyncGroup:
    """Coordinates member `VrrpInstance`s; drive it instead of driving them directly."""

    def __init__(self, name: str, members: Sequence[VrrpInstance]) -> None:
        names = [m.name for m in members]
        if not members or len(set(names)) != len(names):
            raise ValueError(f"sync group {name}: members must be distinct and non-empty")
        self.name = name
        self.members = {m.name: m for m in members}
        self._faulted: set[str] = set()
        for member in members:
            member.master_gate = self._can_goto_master
        all_owners = all(m.params.is_owner and m.wantstate is State.MASTER for m in members)
        self.state = State.MASTER if all_owners else State.BACKUP

    def next_deadline(self) -> float | None:
        pending = [d for m in self.members.values() if (d := m.next_deadline()) is not None]
        return min(pending, default=None)

    # --- driving the group --------------------------------------------------------------

    def startup(self, *, now: float) -> list[GroupOutput]:
        """Start every member; a fault in any member holds them all in FAULT (init)."""
        out: list[GroupOutput] = []
        if self._faulted:
            self.state = State.FAULT
            held = FaultChanged(True, f"sync group {self.name} in fault")
            for member in self.members.values():
                member.handle(held, now=now)
        if self.state is not State.MASTER:
            out.append(GroupNotify(self.name, _GROUP_NOTIFY[self.state]))
        for name in self.members:
            out += self._forward(name, Startup(), now)
        return out

    def shutdown(self, *, now: float) -> list[GroupOutput]:
        out: list[GroupOutput] = []
        for name, member in self.members.items():
            out += _tag(name, member.handle(Shutdown(), now=now))
        return [*out, GroupNotify(self.name, NotifyState.STOP)]

    def handle_timeout(self, *, now: float) -> list[GroupOutput]:
        out: list[GroupOutput] = []
        for name, member in self.members.items():
            deadline = member.next_deadline()
            if deadline is not None and deadline <= now:
                out += self._forward(name, Timeout(), now)
        return out

    def handle(self, member: str, event: Event, *, now: float) -> list[GroupOutput]:
        """One member's event; the group follows where keepalived's TSM says it must."""
        if member not in self.members:
            raise KeyError(f"sync group {self.name} has no member {member}")
        if isinstance(event, FaultChanged):
            return self._fault_changed(member, event, now)
        return self._forward(member, event, now)

    # --- internals ----------------------------------------------------------------------

    def _fault_changed(self, member: str, event: FaultChanged, now: float) -> list[GroupOutput]:
        if event.faulted:
            self._faulted.add(member)
            return self._forward(member, event, now)
        self._faulted.discard(member)
        if self._faulted and self.members[member].state is not State.INIT:
            return []  # held in FAULT until every member has recovered
        return self._forward(member, event, now)

    def _forward(self, name: str, event: Event, now: float) -> list[GroupOutput]:
        member = self.members[name]
        before = member.state
        out: list[GroupOutput] = _tag(name, member.handle(event, now=now))
        after = member.state
        if after is State.MASTER and before is not State.MASTER:
            out += self._sync(name, State.MASTER, now)
        elif after is State.BACKUP and before in (State.MASTER, State.FAULT):
            out += self._sync(name, State.BACKUP, now)
        elif after is State.FAULT and before is not State.FAULT:
            out += self._sync(name, State.FAULT, now)
        return out

    def _sync(self, origin: str, target: State, now: float) -> list[GroupOutput]:
        if self.state is target:
            return []
        if target is State.MASTER and not self._can_goto_master(self.members[origin]):
            return []
        out: list[GroupOutput] = [Log(msg.group_syncing(self.name, target.value))]
        reason = f"sync group {self.name}: {origin} went {target.value}"
        for name, member in self.members.items():
            if name == origin or member.state in (target, State.INIT):
                continue
            out += _tag(name, member.force_state(target, now=now, reason=reason))
        self.state = target
        return [*out, GroupNotify(self.name, _GROUP_NOTIFY[target])]

    def _can_goto_master(self, candidate: VrrpInstance) -> bool:
        if self.state is State.MASTER:
            return True
        return all(
            m.wantstate is State.MASTER for m in self.members.values() if m is not candidate
        )


def _tag(member: str, actions: list[Action]) -> list[GroupOutput]:
    return [MemberAction(member, action) for action in actions]
