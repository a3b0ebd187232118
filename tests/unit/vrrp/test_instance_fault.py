"""keepalived's FAULT state: entered from any state, left to BACKUP (vrrp_track.c down_instance,
try_up_instance; vrrp.c vrrp_state_leave_master / vrrp_state_leave_fault)."""

from __future__ import annotations

from ipaddress import IPv4Address

from pykeepalived.vrrp.actions import (
    Log,
    LogLevel,
    Notify,
    NotifyState,
    RemoveVips,
    SendAdvert,
    StateChanged,
)
from pykeepalived.vrrp.advert import Advertisement
from pykeepalived.vrrp.events import AdvertReceived, FaultChanged, Startup, Timeout
from pykeepalived.vrrp.instance import State, VrrpInstance
from pykeepalived.vrrp.params import InstanceParams

VIP = IPv4Address("192.0.2.100")
PEER = IPv4Address("192.0.2.12")
DOWN = 3.4140625


def started(priority: int = 150) -> VrrpInstance:
    inst = VrrpInstance(InstanceParams(name="VI_1", vrid=51, version=3, priority=priority,
                                       virtual_addresses=(VIP,)))
    inst.handle(Startup(), now=0.0)
    return inst


def zero() -> SendAdvert:
    return SendAdvert(Advertisement(3, 51, 0, 100, (VIP,)))


def test_master_fault_sends_priority_zero_and_removes_vips():
    inst = started()
    inst.handle(Timeout(), now=DOWN)
    actions = inst.handle(FaultChanged(True, "interface eth0 down"), now=4.0)
    assert actions == [
        StateChanged(State.MASTER, State.FAULT, "interface eth0 down"),
        Log("(VI_1) Entering FAULT STATE"),
        zero(),  # vrrp_state_leave_master's own, uncounted
        zero(),  # vrrp_restore_interface's, counted and logged
        Log("(VI_1) sent 0 priority", LogLevel.DETAIL),
        Log("(VI_1) removing VIPs.", LogLevel.DETAIL),
        RemoveVips(),
        Notify(NotifyState.FAULT, 150),
    ]
    assert inst.stats.pri_zero_sent == 1
    assert inst.stats.release_master == 1
    assert inst.stats.last_transition_reason == "interface eth0 down"
    assert inst.next_deadline() is None


def test_backup_fault_and_recovery():
    inst = started()
    assert inst.handle(FaultChanged(True, "VRRP_Script(chk) failed"), now=1.0) == [
        StateChanged(State.BACKUP, State.FAULT, "VRRP_Script(chk) failed"),
        Log("(VI_1) Entering FAULT STATE"),
        Notify(NotifyState.FAULT, 150),
    ]
    assert inst.next_deadline() is None
    assert inst.handle(FaultChanged(True, "again"), now=1.5) == []
    assert inst.handle(FaultChanged(False, "VRRP_Script(chk) succeeded"), now=2.0) == [
        StateChanged(State.FAULT, State.BACKUP, "VRRP_Script(chk) succeeded"),
        Log("(VI_1) Entering BACKUP STATE"),
        Notify(NotifyState.BACKUP, 150),
    ]
    assert inst.next_deadline() == 2.0 + DOWN


def test_fault_ignores_adverts_and_timeouts():
    inst = started()
    inst.handle(FaultChanged(True), now=1.0)
    advert = AdvertReceived(Advertisement(3, 51, 200, 100, (VIP,)), PEER)
    assert inst.handle(advert, now=2.0) == []
    assert inst.handle(Timeout(), now=10.0) == []
    assert inst.state is State.FAULT


def test_recovery_forgets_the_learned_interval():
    inst = started()
    inst.handle(AdvertReceived(Advertisement(3, 51, 200, 50, (VIP,)), PEER), now=1.0)
    assert inst.master_adver_int_cs == 50
    inst.handle(FaultChanged(True), now=2.0)
    inst.handle(FaultChanged(False), now=3.0)
    assert inst.master_adver_int_cs == 100
    assert inst.next_deadline() == 3.0 + DOWN


def test_unfault_when_not_faulted_does_nothing():
    assert started().handle(FaultChanged(False), now=1.0) == []


def test_a_fault_without_a_reason_is_reported_as_fault_and_fault_cleared():
    inst = started()
    assert inst.handle(FaultChanged(True), now=1.0)[0] == StateChanged(
        State.BACKUP, State.FAULT, "fault")
    assert inst.wantstate is State.FAULT
    assert inst.handle(FaultChanged(False), now=2.0)[0] == StateChanged(
        State.FAULT, State.BACKUP, "fault cleared")
    assert inst.wantstate is State.BACKUP
