"""How a VRRP instance answers adverts, as a BACKUP and as a MASTER (RFC 5798 §6.4.2-3,
keepalived's vrrp_state_backup and vrrp_state_master_rx).

A mixin of `VrrpInstance`, apart only to keep each file readable: it owns no state of its
own, and a master that yields still changes state through the instance's `_change_state`,
the one choke point. The attribute and method declarations below are the part of the
instance it reads and writes; mypy holds `VrrpInstance` to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.constants import PRIORITY_OWNER
from pykeepalived.vrrp import messages as msg
from pykeepalived.vrrp.actions import Action, Log, LogLevel, Notify, NotifyState, SendGratuitous
from pykeepalived.vrrp.params import State
from pykeepalived.vrrp.receive import check_advert
from pykeepalived.vrrp.timing import PRIORITY_STOP, interval_seconds, skew_time

if TYPE_CHECKING:
    from pykeepalived.vrrp.actions import SendAdvert
    from pykeepalived.vrrp.advert import Advertisement, IPAddress
    from pykeepalived.vrrp.events import AdvertReceived
    from pykeepalived.vrrp.params import InstanceParams
    from pykeepalived.vrrp.split_brain import SplitBrainLog
    from pykeepalived.vrrp.stats import InstanceStats


class ReceivesAdverts:
    params: InstanceParams
    stats: InstanceStats
    split_brain: SplitBrainLog
    _silence_takeover: bool
    lease_wanted: bool
    master_source: IPAddress | None
    last_heard_master: IPAddress | None
    master_priority: int
    _state: State
    _wantstate: State
    _effective: int
    _base_priority: int
    _master_adver_int_cs: int
    _ms_down: float
    _sands: float | None
    _down_reason: str
    _preempt_time: float | None
    _garp_lower_at: float | None

    if TYPE_CHECKING:
        @property
        def name(self) -> str: ...

        def _advert(self, priority: int) -> SendAdvert: ...

        def _full_down_interval(self) -> float: ...

        def _change_state(self, new: State, reason: str, now: float, *,
                          pre: list[Action] | None = None) -> list[Action]: ...

    def _on_advert(self, event: AdvertReceived, now: float) -> list[Action]:
        if self._state is State.BACKUP:
            return self._backup_rx(event, now)
        if self._state is State.MASTER:
            return self._master_rx(event, now)
        # INIT/FAULT: keepalived does not process adverts there (and counts nothing)
        self.stats.refuse("not_running")
        return []

    def _backup_rx(self, event: AdvertReceived, now: float) -> list[Action]:
        p, adv, source = self.params, event.advert, event.source
        check_addresses = not p.skip_check_adv_addr or source != self.master_source
        refused = check_advert(p, self.stats, event, check_addresses)
        if refused is not None:
            return [refused]  # the down timer keeps running
        if adv.priority == PRIORITY_STOP:
            self._ms_down = skew_time(self._effective, self._master_adver_int_cs,
                                      version=self.params.version)
            self._sands = now + self._ms_down
            self._down_reason = f"priority 0 advert from {source}"
            self._silence_takeover = False
            return [Log(msg.backup_received_zero(self.name), LogLevel.DETAIL)]
        if self._accepts_as_master(adv.priority, now):
            return self._follow_master(event, now)
        self.master_source = self.last_heard_master = source
        self._down_reason = f"lower priority ({adv.priority}) advert from {source} discarded"
        # a master is heard: taking over now is preemption, not silence (no split brain)
        self._silence_takeover = False
        return [Log(msg.lower_priority_discarding(self.name, adv.priority, source))]

    def _accepts_as_master(self, priority: int, now: float) -> bool:
        delay = self.params.effective_preempt_delay
        return (
            self.params.effective_nopreempt
            or priority >= self._effective
            or (delay > 0 and (self._preempt_time is None or self._preempt_time > now))
        )

    def _follow_master(self, event: AdvertReceived, now: float) -> list[Action]:
        actions = self._adopt_interval(event.advert)
        self._ms_down = self._full_down_interval()
        self.master_source, self.master_priority = event.source, event.advert.priority
        self.split_brain.followed = event.source
        self._silence_takeover = True
        self.lease_wanted = False  # a master is heard: no lease to take
        self.last_heard_master = event.source
        actions += self._preempt_delay_step(event.advert.priority, now)
        self._wantstate = State.BACKUP
        self._sands = now + self._ms_down
        self._down_reason = (
            f"no advert from master {event.source} (priority {event.advert.priority}) "
            f"for {self._ms_down} s"
        )
        return actions

    def _preempt_delay_step(self, priority: int, now: float) -> list[Action]:
        delay = self.params.effective_preempt_delay
        if delay <= 0:
            return []
        if priority >= self._effective:
            if self._preempt_time is None:
                return []
            self._preempt_time = None
            return [Log(msg.stop_preempt_delay(self.name), LogLevel.DETAIL)]
        if self._preempt_time is not None:
            return []
        self._preempt_time = now + delay
        return [Log(msg.start_preempt_delay(self.name, delay), LogLevel.DETAIL)]

    def _adopt_interval(self, adv: Advertisement) -> list[Action]:
        """RFC 5798 §6.4.2: a v3 backup times the master out on the master's interval."""
        if self.params.version != 3 or adv.interval_cs == self._master_adver_int_cs:
            return []
        old, self._master_adver_int_cs = self._master_adver_int_cs, adv.interval_cs
        return [Log(msg.interval_updated(self.name, old, adv.interval_cs), LogLevel.DETAIL)]

    def _master_rx(self, event: AdvertReceived, now: float) -> list[Action]:
        refused = check_advert(self.params, self.stats, event, check_addresses=True)
        if refused is not None:
            return [refused]
        prio, cmp = event.advert.priority, self._compare_with_primary(event.source)
        wins = prio > self._effective or (prio == self._effective and cmp > 0)
        actions: list[Action] = []
        if prio == PRIORITY_STOP or (self.params.higher_prio_send_advert and wins):
            actions.append(self._advert(self._effective))
            if prio == PRIORITY_STOP:
                self._sands = now + interval_seconds(self.params.advert_int_cs)
                return [*actions, Log(msg.master_received_zero(self.name), LogLevel.DETAIL)]
        actions += self._equal_priority_checks(prio, cmp)
        if prio < self._effective or (prio == self._effective and cmp < 0):
            return actions + self._answer_lower(event, now)
        if prio > self._effective or (prio == self._effective and cmp > 0):
            return self._yield_to(event, now, actions)
        return actions

    def _equal_priority_checks(self, prio: int, cmp: int) -> list[Action]:
        if prio != self._effective:
            return []
        if cmp == 0:
            return [Log(msg.equal_priority_our_address(self.name))]
        if self._effective == PRIORITY_OWNER:
            self._effective = self._base_priority = PRIORITY_OWNER - 1
            return [Log(msg.both_owners(self.name))]
        return []

    def _answer_lower(self, event: AdvertReceived, now: float) -> list[Action]:
        p = self.params
        forcing = not p.lower_prio_no_advert
        actions: list[Action] = [Log(msg.master_lower_priority(
            self.name, event.source, event.advert.priority, self._effective, forcing))]
        if forcing:
            actions.append(self._advert(self._effective))
            self._sands = now + interval_seconds(p.advert_int_cs)
        if p.garp.lower_prio_repeat:
            actions.append(SendGratuitous(p.garp.lower_prio_repeat))
            if p.garp.lower_prio_delay:
                self._garp_lower_at = now + p.garp.lower_prio_delay
        actions.append(Notify(NotifyState.MASTER_RX_LOWER_PRI, self._effective))
        if self.split_brain.heard_lower_master(
                now, self._ms_down, ours=p.primary_address, our_priority=self._effective,
                peer=event.source, peer_priority=event.advert.priority):
            self.stats.split_brain_episodes += 1
            actions.append(Log(msg.split_brain(self.name, p.primary_address, self._effective,
                                               event.source, event.advert.priority,
                                               kept=True)))
        return actions

    def _yield_to(self, event: AdvertReceived, now: float, pre: list[Action]) -> list[Action]:
        prio, source = event.advert.priority, event.source
        if prio > self._effective:
            line = msg.master_higher_priority(self.name, source, prio, self._effective)
            reason = f"higher priority ({prio}) advert from {source}, ours {self._effective}"
        else:
            line = msg.master_same_priority_higher_ip(self.name, source, prio)
            reason = f"same priority ({prio}) advert from higher address {source}"
        pre = [*pre, Log(line), *self._split_brain_yield(event, now),
               *self._adopt_interval(event.advert)]
        self._ms_down = self._full_down_interval()
        self.master_source, self.master_priority = source, prio
        self.last_heard_master = source
        self._wantstate = State.BACKUP
        self._down_reason = f"no advert from master {source} (priority {prio})"
        return self._change_state(State.BACKUP, reason, now, pre=pre)

    def _split_brain_yield(self, event: AdvertReceived, now: float) -> list[Action]:
        """Yielding after a takeover by silence: one episode, logged once; with
        `split_brain_announce`, one advert at our priority so the winner, hearing the other
        master, re-sends its gratuitous ARPs / NAs (unless one went out already)."""
        p, source = self.params, event.source
        episode = self.split_brain.yielding(
            now, ours=p.primary_address, our_priority=self._effective, peer=source,
            peer_priority=event.advert.priority)
        if episode is None:
            return []
        self.stats.split_brain_episodes += 1
        actions: list[Action] = [Log(msg.split_brain(
            self.name, p.primary_address, self._effective, source, event.advert.priority,
            kept=False))]
        # higher_prio_send_advert sent that advert already (the sender wins here)
        if p.split_brain_announce and not p.higher_prio_send_advert:
            actions.append(self._advert(self._effective))
        return actions

    def _compare_with_primary(self, source: IPAddress) -> int:
        """RFC 5798 §6.4.3: unsigned compare in network order; 0 when unknown/other family."""
        ours = self.params.primary_address
        if ours is None or ours.version != source.version:
            return 0
        return (int(source) > int(ours)) - (int(source) < int(ours))
