"""One VRRP virtual router as a pure state machine: events and `now` in, actions out.

States are INIT, BACKUP, MASTER and keepalived's FAULT. Every change of state goes
through `_change_state`, which emits, in order: the sends that must precede leaving
(`pre`), `StateChanged(old, new, reason)`, keepalived's "Entering X STATE" line, the
clean-up of the old state (priority-0 advert, VIP removal), the entry actions of the new
state and finally `Notify`. That is keepalived 2.2.7's order (vrrp_state_leave_master,
vrrp_state_master_tx), so logs read the same.

Timers are absolute float seconds: `_sands` is keepalived's per-instance "sands" (the
master's Adver_Timer or the backup's Master_Down_Timer, by state) and `_ms_down` its
ms_down_timer, kept because keepalived derives later deadlines from it (a priority change
shifts a running down timer by the difference of the two intervals). Delayed GARP bursts
have their own deadlines. `next_deadline()` is the earliest of them.

Advert handling (BACKUP and MASTER receive) is in instance_adverts.py, mixed in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.constants import PRIORITY_OWNER
from pykeepalived.vrrp import messages as msg
from pykeepalived.vrrp.actions import (
    Action,
    AddVips,
    Log,
    LogLevel,
    Notify,
    NotifyState,
    RemoveVips,
    SendAdvert,
    SendGratuitous,
    StateChanged,
)
from pykeepalived.vrrp.advert import Advertisement, IPAddress
from pykeepalived.vrrp.events import (
    AdvertReceived,
    Event,
    FaultChanged,
    LeaseChanged,
    PacketDropped,
    PriorityChanged,
    Shutdown,
    Startup,
    Timeout,
    WitnessChanged,
)
from pykeepalived.vrrp.instance_adverts import ReceivesAdverts
from pykeepalived.vrrp.params import InstanceParams, State
from pykeepalived.vrrp.split_brain import SplitBrainLog
from pykeepalived.vrrp.stats import InstanceStats
from pykeepalived.vrrp.timing import (
    PRIORITY_STOP,
    interval_seconds,
    master_down_interval,
    min_skew_time,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["State", "VrrpInstance"]

_NOTIFY = {
    State.MASTER: NotifyState.MASTER,
    State.BACKUP: NotifyState.BACKUP,
    State.FAULT: NotifyState.FAULT,
    State.INIT: NotifyState.STOP,
}


class VrrpInstance(ReceivesAdverts):
    """A virtual router; see docs/core-api.md for the contract."""

    def __init__(self, params: InstanceParams) -> None:
        self.params = params
        self.stats = InstanceStats()
        #: split-brain episodes this instance took part in (split_brain.py)
        self.split_brain = SplitBrainLog()
        #: the next takeover by down timer is one by silence (not after a priority 0)
        self._silence_takeover = True
        #: Set by a sync group: may this member become MASTER now? (vrrp_sync_can_goto_master)
        self.master_gate: Callable[[VrrpInstance], bool] | None = None
        self._state = State.INIT
        self._wantstate = params.wanted_initial_state
        self._base_priority = params.priority
        self._effective = params.priority
        self._master_adver_int_cs = params.advert_int_cs
        self._ms_down = self._full_down_interval()
        self._sands: float | None = None
        self._down_reason = ""
        self._garp_delayed_at: float | None = None
        self._garp_lower_at: float | None = None
        self._garp_refresh_at: float | None = None
        self._preempt_time: float | None = None
        self._faulted = False
        #: neighbour witnesses (params.witness): any reachable now (none heard yet: no)
        self._witness_ok = False
        #: in FAULT because isolated: no peer heard and no witness reachable
        self._isolated = False
        #: why the instance last refused to become MASTER ("" if it never did)
        self.refusal = ""
        #: lease witness: wanted (we are or want to be MASTER), held until, its revision
        self.lease_wanted = False
        self._lease_until: float | None = None
        self.lease_revision = 0
        #: etcd answered but did not serve: with lease_unreachable "vrrp", VRRP decides
        self._lease_etcd_down = False
        #: the advert for each priority sent so far: the same frozen value every interval
        #: lets the daemon re-send the bytes it encoded (at most 256 entries)
        self._adverts: dict[int, SendAdvert] = {}
        self.master_source: IPAddress | None = None
        #: keepalived's master_saddr: the last master heard, kept while we are master
        #: (SNMP's vrrpOperMasterIpAddr shows it)
        self.last_heard_master: IPAddress | None = None
        self.master_priority = 0
        self._clock = float("-inf")

    # --- public read side ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.params.name

    @property
    def state(self) -> State:
        return self._state

    @property
    def wantstate(self) -> State:
        """keepalived's wantstate: where this instance would go ignoring its sync group."""
        return self._wantstate

    @property
    def effective_priority(self) -> int:
        return self._effective

    @property
    def master_adver_int_cs(self) -> int:
        return self._master_adver_int_cs

    @property
    def master_down_timer(self) -> float:
        """The Master_Down_Interval now in force, seconds (keepalived's ms_down_timer)."""
        return self._ms_down

    @property
    def lease_until(self) -> float | None:
        """The lease witness: when the VIP goes unless the lease is renewed (None: no
        deadline: no lease held, or etcd not serving and VRRP deciding)."""
        return self._lease_until

    @property
    def clock(self) -> float:
        """The latest `now` handed in (-inf before any): an adapter that dates an event
        earlier than the present (a datagram's receive time) never dates it earlier."""
        return self._clock

    def next_deadline(self) -> float | None:
        lease = self._lease_until if self._state is State.MASTER else None
        pending = [
            t for t in (self._sands, self._garp_delayed_at, self._garp_lower_at, lease)
            if t is not None
        ]
        return min(pending, default=None)

    # --- the one entry point ------------------------------------------------------------

    def handle(self, event: Event, *, now: float) -> list[Action]:
        """Feed one event at virtual time `now`; returns the actions to perform in order.

        A timer already due at `now` fires first, as it would have in real time, so an
        event delivered late never overtakes a deadline and `next_deadline()` is never in
        the past after a call.
        """
        self._clock = max(self._clock, now)
        if isinstance(event, Timeout):
            return self._on_timeout(now)
        deadline = self.next_deadline()
        overdue = self._on_timeout(now) if deadline is not None and deadline <= now else []
        return overdue + self._dispatch(event, now)

    def _dispatch(self, event: Event, now: float) -> list[Action]:
        match event:
            case AdvertReceived():
                return self._on_advert(event, now)
            case Startup():
                return self._on_startup(now)
            case Shutdown():
                return self._on_shutdown(now)
            case PriorityChanged():
                return self._on_priority(event, now)
            case FaultChanged():
                return self._on_fault(event, now)
            case WitnessChanged():
                return self._on_witness(event, now)
            case LeaseChanged():
                return self._on_lease(event, now)
            case PacketDropped():
                self.stats.count_codec_drop(event.reason)
                return [Log(msg.codec_drop(self.name, event.reason), LogLevel.DEBUG)]
        raise TypeError(f"not a VRRP event: {event!r}")

    def force_state(self, target: State, *, now: float, reason: str) -> list[Action]:
        """Move with the sync group (vrrp_sync.c), bypassing the election and the gate."""
        self._clock = max(self._clock, now)
        if target is self._state or target is State.INIT:
            return []
        self._wantstate = target
        if target is State.MASTER:
            return self._goto_master(now, reason)
        if target is State.BACKUP:
            self._faulted = False
            return self._enter_backup(now, reason, from_fault=self._state is not State.MASTER)
        if self._state is State.MASTER:
            return self._change_state(State.FAULT, reason, now, fault_advert=True)
        # vrrp_sync_fault sets the state before leave_fault, so keepalived logs nothing here
        return self._change_state(State.FAULT, reason, now, entering=False)

    def postpone_overdue_advert(self, *, now: float, until: float) -> None:
        """A MASTER whose advert timer expired while its process could not run (the
        adapter sees the timer late, after SIGSTOP or a stall): the adverts it missed
        are not made up for; the next one is due at `until`, so what arrived meanwhile
        (a peer that took over) is handled first. keepalived's scheduler reads its
        socket first too; a stale advert sent before would be noise at best."""
        if self._state is State.MASTER and self._sands is not None and self._sands <= now:
            self._sands = until

    # --- lifecycle ----------------------------------------------------------------------

    def _on_startup(self, now: float) -> list[Action]:
        if self._state is not State.INIT:
            return []
        self._master_adver_int_cs = self.params.advert_int_cs
        if self._faulted:
            self._wantstate = State.FAULT
            return self._change_state(State.FAULT, "startup with a fault", now,
                                      line=msg.entering_state_init(self.name, "FAULT"))
        owner_master = self.params.is_owner and self._wantstate is State.MASTER
        if (owner_master and self.params.owner_immediate_master and self._witness_allows()
                and self._lease_allows(now)):
            self._silence_takeover = False
            return self._goto_master(now, "startup as address owner (priority 255)")
        if owner_master:
            # keepalived's try_up_instance: one interval plus the owner's skew
            self._ms_down = interval_seconds(self._master_adver_int_cs) + min_skew_time(
                self._master_adver_int_cs, version=self.params.version)
        else:
            self._ms_down = self._full_down_interval()
        self._down_reason = f"no advert received within {self._ms_down} s of startup"
        return self._change_state(State.BACKUP, "startup", now,
                                  line=msg.entering_state_init(self.name, "BACKUP"))

    def _on_shutdown(self, now: float) -> list[Action]:
        if self._state is State.INIT:
            return []
        return self._change_state(State.INIT, "shutdown", now, entering=False, stop_advert=True)

    def _on_fault(self, event: FaultChanged, now: float) -> list[Action]:
        self._faulted = event.faulted
        reason = event.reason or ("fault" if event.faulted else "fault cleared")
        if self._state is State.INIT:
            return []
        if event.faulted:
            if self._state is State.FAULT:
                return []
            self._wantstate = State.FAULT
            # down_instance → leave_master(advF): one priority-0 advert from the FAULT
            # branch, one more from vrrp_restore_interface. keepalived really sends two.
            return self._change_state(State.FAULT, reason, now, fault_advert=True,
                                      stop_advert=True)
        if self._state is not State.FAULT or self._isolated:
            return []
        self._wantstate = State.BACKUP
        return self._enter_backup(now, reason, from_fault=True)

    def _witness_allows(self) -> bool:
        return not self.params.witness or self._witness_ok

    def _on_witness(self, event: WitnessChanged, now: float) -> list[Action]:
        """A MASTER hears no peer (backups are silent): no witness means isolated. A
        node isolated in FAULT goes back to BACKUP (and the election) once one answers."""
        self._witness_ok = event.reachable
        if not self.params.witness or self._state is State.INIT:
            return []
        if not event.reachable and self._state is State.MASTER:
            return self._isolate(now, fault_advert=True)
        if event.reachable and self._isolated:
            self._isolated = False
            if self._state is State.FAULT and not self._faulted:
                self._wantstate = State.BACKUP
                detail = f" ({event.detail})" if event.detail else ""
                return self._enter_backup(now, f"witness reachable{detail}", from_fault=True)
        return []

    # --- the lease witness (etcd, ours) --------------------------------------------------

    def _lease_allows(self, now: float) -> bool:
        if not self.params.lease:
            return True
        if self._lease_until is not None and self._lease_until > now:
            return True
        return self._lease_etcd_down and self.params.lease_unreachable == "vrrp"

    def _on_lease(self, event: LeaseChanged, now: float) -> list[Action]:
        if not self.params.lease:
            return []
        self._lease_etcd_down = event.etcd_down
        if event.held:
            self._lease_until, self.lease_revision = event.until, event.revision
            if self._state is State.BACKUP and self.lease_wanted:
                self.refusal = ""
                return self._goto_master(now, f"lease obtained (revision {event.revision})")
            return []
        self._lease_until = None
        if self._state is State.MASTER:
            if self._lease_allows(now):
                return []  # etcd not serving, the pair decides (lease_unreachable vrrp)
            return self._give_up_lease(now, event.reason or "lease lost")
        if self._state is State.BACKUP and self.lease_wanted:
            if self._lease_allows(now):
                self.refusal = ""
                return self._goto_master(now, f"VRRP decides: {event.reason}")
            self.refusal = event.reason or "lease not obtained"
        return []

    def _give_up_lease(self, now: float, reason: str) -> list[Action]:
        self.refusal = reason
        self._wantstate = State.BACKUP
        return self._enter_backup_from_master(now, reason)

    def _enter_backup_from_master(self, now: float, reason: str) -> list[Action]:
        self._ms_down = self._full_down_interval()
        self._down_reason = f"no advert received for {self._ms_down} s"
        return self._change_state(State.BACKUP, reason, now, stop_advert=True)

    def _isolate(self, now: float, *, fault_advert: bool = False) -> list[Action]:
        self._isolated = True
        self._wantstate = State.FAULT
        self.refusal = msg.ISOLATED
        return self._change_state(State.FAULT, msg.ISOLATED, now, fault_advert=fault_advert,
                                  stop_advert=fault_advert)

    def _on_priority(self, event: PriorityChanged, now: float) -> list[Action]:
        if self._base_priority == PRIORITY_OWNER:
            return []  # keepalived never adjusts an address owner
        new = min(max(event.effective, 1), PRIORITY_OWNER - 1)
        if new == self._effective:
            return []
        old_down = self._ms_down
        self._effective = new
        self._ms_down = self._full_down_interval()
        if self._state is State.BACKUP and self._sands is not None:
            self._sands = max(now, self._sands + self._ms_down - old_down)
            self._down_reason = f"down timer after priority change ({event.reason})"
        # the "Changing effective priority" line is the tracker's (tracking.py) to log
        return []

    # --- timers -------------------------------------------------------------------------

    def _on_timeout(self, now: float) -> list[Action]:
        actions: list[Action] = []
        if (self._state is State.MASTER and self._lease_until is not None
                and now >= self._lease_until):
            self._lease_until = None
            actions += self._give_up_lease(now, "lease not renewed before its TTL")
        if self._sands is not None and now >= self._sands:
            if self._state is State.BACKUP:
                actions += self._down_timer_expired(now)
            elif self._state is State.MASTER:
                actions += self._master_tx(now)
        if self._garp_delayed_at is not None and now >= self._garp_delayed_at:
            self._garp_delayed_at = None
            actions.append(SendGratuitous(self.params.garp.master_repeat))
        if self._garp_lower_at is not None and now >= self._garp_lower_at:
            self._garp_lower_at = None
            actions.append(SendGratuitous(self.params.garp.lower_prio_repeat))
        return actions

    def _down_timer_expired(self, now: float) -> list[Action]:
        actions: list[Action] = [Log(msg.receive_timeout(self.name), LogLevel.DETAIL)]
        if not self._witness_allows():
            # no advert within the down interval and no witness: isolated, never MASTER
            return actions + self._isolate(now)
        if not self._lease_allows(now):
            # MASTER only with the lease: ask for it (the daemon's lease runner) and wait
            self.lease_wanted = True
            self._wantstate = State.MASTER
            if not self.refusal.startswith("lease"):
                self.refusal = "waiting for the lease"
            self._ms_down = self._full_down_interval()
            self._sands = now + self._ms_down
            return actions
        self._wantstate = State.MASTER
        if self.master_gate is not None and not self.master_gate(self):
            # held in BACKUP by the sync group until every member wants MASTER
            self._ms_down = self._full_down_interval()
            self._sands = now + self._ms_down
            return actions
        return actions + self._goto_master(now, self._down_reason or "master down timer expired")

    def _master_tx(self, now: float) -> list[Action]:
        actions: list[Action] = [self._advert(self._effective)]
        garp = self.params.garp
        if self._garp_refresh_at is not None and now > self._garp_refresh_at:
            actions.append(SendGratuitous(garp.refresh_repeat))
            self._garp_refresh_at = now + garp.master_refresh
        self._sands = now + interval_seconds(self.params.advert_int_cs)
        return actions

    # --- transitions --------------------------------------------------------------------

    def _goto_master(self, now: float, reason: str) -> list[Action]:
        return self._change_state(State.MASTER, reason, now)

    def _enter_backup(self, now: float, reason: str, *, from_fault: bool) -> list[Action]:
        if from_fault:
            self._master_adver_int_cs = self.params.advert_int_cs
        self._ms_down = self._full_down_interval()
        self._down_reason = f"no advert received for {self._ms_down} s"
        return self._change_state(State.BACKUP, reason, now)

    def _change_state(
        self,
        new: State,
        reason: str,
        now: float,
        *,
        pre: list[Action] | None = None,
        line: str | None = None,
        entering: bool = True,
        fault_advert: bool = False,
        stop_advert: bool = False,
    ) -> list[Action]:
        """The choke point: every transition, its reason, logs, side effects, notify."""
        old = self._state
        actions: list[Action] = [*(pre or []), StateChanged(old, new, reason)]
        if line is None and entering:
            line = msg.entering_state(self.name, new.value)
        if line is not None:
            actions.append(Log(line))
        self._state = new
        self.stats.last_transition = now
        self.stats.last_transition_reason = reason
        if old is State.MASTER:
            actions += self._leave_master(fault_advert, stop_advert,
                                          released=new is not State.INIT)
        actions += self._enter(new, now)
        actions.append(Notify(_NOTIFY[new], self._effective,
                              self.lease_revision if new is State.MASTER else 0))
        return actions

    def _leave_master(
        self, fault_advert: bool, stop_advert: bool, *, released: bool
    ) -> list[Action]:
        """Leaving MASTER: priority-0 advert(s) first, then the VIPs go.

        `fault_advert` is the uncounted one vrrp_state_leave_master sends when going to
        FAULT; `stop_advert` is vrrp_restore_interface's advF one, counted and logged.
        """
        actions: list[Action] = []
        if fault_advert:
            actions.append(self._advert(PRIORITY_STOP))
        if stop_advert:
            actions.append(self._advert(PRIORITY_STOP))
            self.stats.pri_zero_sent += 1
            actions.append(Log(msg.sent_zero_priority(self.name), LogLevel.DETAIL))
        if released:
            self.stats.release_master += 1
        self.split_brain.left_master()
        self._garp_delayed_at = self._garp_lower_at = self._garp_refresh_at = None
        return [*actions, Log(msg.removing_vips(self.name), LogLevel.DETAIL), RemoveVips()]

    def _enter(self, new: State, now: float) -> list[Action]:
        self.lease_wanted = new is State.MASTER  # a MASTER keeps renewing its lease
        if new is State.MASTER:
            return self._become_master(now)
        if new is State.BACKUP:
            self._preempt_time = None
            self._silence_takeover = True
            self._sands = now + self._ms_down
        else:
            self._sands = None
        return []

    def _become_master(self, now: float) -> list[Action]:
        """vrrp_state_master_tx + become_master: advert first, so the old master lets go
        of the VIPs before our gratuitous ARPs claim them."""
        p = self.params
        actions: list[Action] = [self._advert(self._effective)]
        self.stats.become_master += 1
        self.split_brain.became_master(now, by_silence=self._silence_takeover)
        if self._master_adver_int_cs != p.advert_int_cs:
            actions.append(Log(msg.interval_back_to_local(
                self.name, self._master_adver_int_cs, p.advert_int_cs), LogLevel.DETAIL))
            self._master_adver_int_cs = p.advert_int_cs
        actions += [Log(msg.setting_vips(self.name), LogLevel.DETAIL), AddVips()]
        if p.garp.master_repeat:
            actions.append(SendGratuitous(p.garp.master_repeat))
        self._garp_refresh_at = now + p.garp.master_refresh if p.garp.master_refresh else None
        self._garp_delayed_at = now + p.garp.master_delay if p.garp.master_delay else None
        self.master_source, self.master_priority = p.primary_address, self._effective
        self._sands = now + interval_seconds(p.advert_int_cs)
        return actions

    def _advert(self, priority: int) -> SendAdvert:
        self.stats.advert_sent += 1
        action = self._adverts.get(priority)
        if action is None:
            p = self.params
            action = self._adverts[priority] = SendAdvert(Advertisement(
                version=p.version, vrid=p.vrid, priority=priority, interval_cs=p.advert_int_cs,
                addresses=p.virtual_addresses, auth_type=p.auth_type, auth_data=p.auth_data))
        return action

    def _full_down_interval(self) -> float:
        return master_down_interval(
            self._effective, self._master_adver_int_cs, self.params.down_timer_adverts,
            version=self.params.version)
