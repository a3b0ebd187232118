"""Neighbour witnesses on a virtual clock: the debounce, and the isolation rule in the core."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from pykeepalived.vrrp.actions import Notify, NotifyState, RemoveVips, SendAdvert, StateChanged
from pykeepalived.vrrp.events import AdvertReceived, FaultChanged, Timeout, WitnessChanged
from pykeepalived.vrrp.instance import State, VrrpInstance
from pykeepalived.vrrp.witness import WitnessParams, WitnessTracker
from tests.unit.vrrp.instances import started

GW, THIRD = IPv4Address("192.0.2.1"), IPv4Address("192.0.2.3")
A, B = IPv4Address("192.0.2.11"), IPv4Address("192.0.2.12")
ISOLATED = "isolated: no peer, no witness"


# ------------------------------------------------------------------ the debounce
def test_reachable_from_the_first_answer_until_loss_rounds_in_a_row_are_missed():
    tracker = WitnessTracker(WitnessParams((GW, THIRD), interval=0.1, loss=3))
    assert not tracker.any_reachable
    assert tracker.round([]) is None  # never answered: still unreachable, no change
    assert tracker.round([GW]) == WitnessChanged(True, "192.0.2.1 up, 192.0.2.3 unknown")
    assert tracker.round([]) is None
    assert tracker.round([]) is None
    assert tracker.round([GW]) is None  # the count starts again
    assert tracker.round([]) is None
    assert tracker.round([]) is None
    assert tracker.round([]) == WitnessChanged(False, "192.0.2.1 down, 192.0.2.3 unknown")
    assert tracker.reachable == {GW: False, THIRD: None}


def test_never_answered_is_decided_after_loss_rounds_once():
    tracker = WitnessTracker(WitnessParams((GW, THIRD), loss=2))
    assert tracker.round([]) is None
    assert tracker.round([]) == WitnessChanged(False, "192.0.2.1 unknown, 192.0.2.3 unknown")
    assert tracker.round([]) is None
    assert not tracker.any_reachable


def test_one_witness_answering_is_enough():
    tracker = WitnessTracker(WitnessParams((GW, THIRD), loss=1))
    tracker.round([GW, THIRD])
    assert tracker.round([THIRD]) is None
    assert tracker.any_reachable
    assert tracker.reachable == {GW: False, THIRD: True}


@pytest.mark.parametrize("kwargs", [{"addresses": ()}, {"addresses": (GW,), "interval": 0},
                                    {"addresses": (GW,), "loss": 0}])
def test_params_are_checked(kwargs: dict[str, object]):
    with pytest.raises(ValueError, match="WitnessParams"):
        WitnessParams(**kwargs)  # type: ignore[arg-type]


def test_detection_time():
    assert WitnessParams((GW,), interval=0.05, loss=4).detection == pytest.approx(0.2)


# ------------------------------------------------------------------ the rule in the core
def node(priority: int = 100, address: IPv4Address = B) -> VrrpInstance:
    return started(priority=priority, primary_address=address, witness=True)


def expire(inst: VrrpInstance) -> list[object]:
    deadline = inst.next_deadline()
    assert deadline is not None
    return list(inst.handle(Timeout(), now=deadline))


def test_cold_start_hearing_nobody_and_no_witness_never_takes_the_vip():
    inst = node()
    actions = expire(inst)
    assert inst.state is State.FAULT
    assert StateChanged(State.BACKUP, State.FAULT, ISOLATED) in actions
    assert Notify(NotifyState.FAULT, 100) in actions
    assert not [a for a in actions if isinstance(a, SendAdvert)]
    assert inst.refusal == ISOLATED
    assert inst.stats.become_master == 0
    # a witness answers: back to BACKUP, and to MASTER only after a new down interval
    back = inst.handle(WitnessChanged(True, "192.0.2.1 up"), now=10.0)
    assert StateChanged(State.FAULT, State.BACKUP, "witness reachable (192.0.2.1 up)") in back
    expire(inst)
    assert inst.state is State.MASTER


def test_a_backup_that_reaches_a_witness_takes_over_as_usual():
    inst = node()
    inst.handle(WitnessChanged(True), now=0.1)
    expire(inst)
    assert inst.state is State.MASTER


def test_a_master_that_loses_every_witness_lets_go_at_once():
    inst = node()
    inst.handle(WitnessChanged(True), now=0.1)
    expire(inst)
    actions = inst.handle(WitnessChanged(False, "192.0.2.1 down"), now=inst.clock + 0.5)
    assert inst.state is State.FAULT
    assert actions[0] == StateChanged(State.MASTER, State.FAULT, ISOLATED)
    assert RemoveVips() in actions
    assert Notify(NotifyState.FAULT, 100) in actions
    # priority 0 first, so a peer that still hears us takes over at once
    zero = [a for a in actions if isinstance(a, SendAdvert)]
    assert zero
    assert {a.advert.priority for a in zero} == {0}


def test_a_backup_hearing_its_master_stays_backup_without_witness():
    inst = node()
    master = started(priority=200, primary_address=A)
    sent = [a for a in expire(master) if isinstance(a, SendAdvert)]
    for _ in range(10):  # the master's advert, delivered every second
        inst.handle(AdvertReceived(sent[0].advert, A), now=master.clock)
        now = master.clock + 1.0
        sent = [a for a in master.handle(Timeout(), now=now) if isinstance(a, SendAdvert)]
    assert inst.state is State.BACKUP
    assert inst.refusal == ""


def test_isolation_and_a_tracker_fault_both_hold_fault():
    inst = node()
    expire(inst)  # isolated
    inst.handle(FaultChanged(True, "script chk bad"), now=5.0)
    inst.handle(FaultChanged(False, "script chk good"), now=6.0)
    assert inst.state is State.FAULT  # still isolated
    inst.handle(FaultChanged(True, "script chk bad"), now=7.0)
    inst.handle(WitnessChanged(True), now=8.0)
    assert inst.state is State.FAULT  # still the tracker's fault
    inst.handle(FaultChanged(False, "script chk good"), now=9.0)
    assert inst.state is State.BACKUP


def test_without_witnesses_configured_the_event_changes_nothing():
    inst = started(priority=100, primary_address=B)
    assert inst.handle(WitnessChanged(False), now=0.1) == []
    expire(inst)
    assert inst.state is State.MASTER


def test_an_owner_waits_for_a_witness_before_taking_over_at_startup():
    inst = started(priority=255, primary_address=B, witness=True)
    assert inst.state is State.BACKUP
    expire(inst)
    assert inst.state is State.FAULT
