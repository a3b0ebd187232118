"""RFC 5798 §6.4.1 (Initialize) and shutdown, as keepalived 2.2.7 does them."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

import pytest

from pykeepalived.vrrp.actions import (
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
from pykeepalived.vrrp.advert import Advertisement, AuthType
from pykeepalived.vrrp.events import FaultChanged, Shutdown, Startup, Timeout
from pykeepalived.vrrp.instance import State, VrrpInstance
from pykeepalived.vrrp.params import GarpParams
from tests.unit.vrrp.instances import instance_params

if TYPE_CHECKING:
    from pykeepalived.vrrp.params import InstanceParams

VIP = IPv4Address("192.0.2.100")
ME = IPv4Address("192.0.2.11")


def params(**kw: object) -> InstanceParams:
    return instance_params(**{"priority": 150, "primary_address": ME, **kw})


def advert(priority: int, version: int = 3) -> SendAdvert:
    return SendAdvert(Advertisement(version, 51, priority, 100, (VIP,)))


def test_startup_enters_backup_init_and_arms_master_down_interval():
    inst = VrrpInstance(params())
    assert inst.state is State.INIT
    assert inst.next_deadline() is None
    actions = inst.handle(Startup(), now=10.0)
    assert actions == [
        StateChanged(State.INIT, State.BACKUP, "startup"),
        Log("(VI_1) Entering BACKUP STATE (init)"),
        Notify(NotifyState.BACKUP, 150),
    ]
    assert inst.state is State.BACKUP
    assert inst.next_deadline() == 10.0 + 3.4140625


def test_state_master_below_255_still_waits_a_full_master_down_interval():
    # vrrp_init_state: only the owner shortens the first timer; [LAB] measured 3.41 s
    inst = VrrpInstance(params(initial_state=State.MASTER, state_master_configured=True))
    inst.handle(Startup(), now=0.0)
    assert inst.state is State.BACKUP
    assert inst.next_deadline() == 3.4140625


def test_backup_timeout_becomes_master_advert_before_vips():
    inst = VrrpInstance(params())
    inst.handle(Startup(), now=0.0)
    actions = inst.handle(Timeout(), now=3.4140625)
    assert actions[0] == Log("(VI_1) Receive advertisement timeout", LogLevel.DETAIL)
    assert isinstance(actions[1], StateChanged)
    assert actions[1].new is State.MASTER
    assert actions[2:] == [
        Log("(VI_1) Entering MASTER STATE"),
        advert(150),
        Log("(VI_1) setting VIPs.", LogLevel.DETAIL),
        AddVips(),
        SendGratuitous(5),
        Notify(NotifyState.MASTER, 150),
    ]
    assert inst.stats.become_master == 1
    # Adver_Timer at one interval; the delayed GARP burst at garp_master_delay (5 s)
    assert inst.next_deadline() == 3.4140625 + 1.0


def test_delayed_garp_burst_after_garp_master_delay():
    inst = VrrpInstance(params(advert_int_cs=1000))
    inst.handle(Startup(), now=0.0)
    t = inst.next_deadline()
    assert t is not None
    inst.handle(Timeout(), now=t)
    assert inst.next_deadline() == t + 5.0
    assert inst.handle(Timeout(), now=t + 5.0) == [SendGratuitous(5)]
    assert inst.next_deadline() == t + 10.0


def test_without_garp_master_delay_there_is_no_second_burst():
    inst = VrrpInstance(params(advert_int_cs=1000, garp=GarpParams(master_delay=0)))
    inst.handle(Startup(), now=0.0)
    t = inst.next_deadline()
    assert t is not None
    actions = inst.handle(Timeout(), now=t)
    assert [a for a in actions if isinstance(a, SendGratuitous)] == [SendGratuitous(5)]
    assert inst.next_deadline() == t + 10.0  # only the advert timer


def test_owner_becomes_master_at_startup_without_backup_step():
    inst = VrrpInstance(params(priority=255))
    actions = inst.handle(Startup(), now=1.0)
    assert actions[0] == StateChanged(State.INIT, State.MASTER,
                                      "startup as address owner (priority 255)")
    assert Log("(VI_1) Entering BACKUP STATE (init)") not in actions
    assert actions[-1] == Notify(NotifyState.MASTER, 255)
    assert inst.next_deadline() == 2.0


def test_owner_waiting_variant_waits_one_interval_plus_skew():
    inst = VrrpInstance(params(priority=255, owner_immediate_master=False))
    inst.handle(Startup(), now=0.0)
    assert inst.state is State.BACKUP
    assert inst.next_deadline() == 1.00390625


def test_owner_waiting_variant_at_v3_tenth_seconds_scales_the_skew():
    # one interval plus the owner's Skew_Time, RFC 5798: 10 cs + (256 - 255) x 10/256 cs
    inst = VrrpInstance(params(priority=255, owner_immediate_master=False, advert_int_cs=10))
    inst.handle(Startup(), now=0.0)
    assert inst.next_deadline() == 0.1 + 0.000390625  # summed as floats, as the core does


def test_v2_pass_adverts_carry_the_password():
    inst = VrrpInstance(params(version=2, auth_type=AuthType.PASS, auth_data=b"secret",
                               priority=255))
    actions = inst.handle(Startup(), now=0.0)
    sent = [a for a in actions if isinstance(a, SendAdvert)]
    assert sent
    assert {(a.advert.auth_type, a.advert.auth_data) for a in sent} == {
        (AuthType.PASS, b"secret")}


def test_owner_with_state_backup_starts_as_backup():
    inst = VrrpInstance(params(priority=255, initial_state=State.BACKUP))
    inst.handle(Startup(), now=0.0)
    assert inst.state is State.BACKUP
    assert inst.next_deadline() == 3.00390625


def test_startup_with_fault_enters_fault_init():
    inst = VrrpInstance(params())
    assert inst.handle(FaultChanged(True, "interface eth0 down"), now=0.0) == []
    actions = inst.handle(Startup(), now=0.0)
    assert actions == [
        StateChanged(State.INIT, State.FAULT, "startup with a fault"),
        Log("(VI_1) Entering FAULT STATE (init)"),
        Notify(NotifyState.FAULT, 150),
    ]
    assert inst.next_deadline() is None
    assert (inst.wantstate, inst.stats.last_transition) == (State.FAULT, 0.0)


def test_second_startup_is_ignored():
    inst = VrrpInstance(params())
    inst.handle(Startup(), now=0.0)
    assert inst.handle(Startup(), now=1.0) == []


def test_shutdown_master_sends_priority_zero_then_removes_vips():
    inst = VrrpInstance(params(priority=255))
    inst.handle(Startup(), now=0.0)
    actions = inst.handle(Shutdown(), now=0.5)
    assert actions == [
        StateChanged(State.MASTER, State.INIT, "shutdown"),
        advert(0),
        Log("(VI_1) sent 0 priority", LogLevel.DETAIL),
        Log("(VI_1) removing VIPs.", LogLevel.DETAIL),
        RemoveVips(),
        Notify(NotifyState.STOP, 255),
    ]
    assert inst.stats.pri_zero_sent == 1
    assert inst.stats.release_master == 0
    assert inst.next_deadline() is None


def test_shutdown_backup_only_notifies_stop():
    inst = VrrpInstance(params())
    inst.handle(Startup(), now=0.0)
    assert inst.handle(Shutdown(), now=1.0) == [
        StateChanged(State.BACKUP, State.INIT, "shutdown"),
        Notify(NotifyState.STOP, 150),
    ]
    assert inst.next_deadline() is None


def test_shutdown_before_startup_does_nothing():
    assert VrrpInstance(params()).handle(Shutdown(), now=0.0) == []


def test_restart_after_shutdown():
    inst = VrrpInstance(params())
    inst.handle(Startup(), now=0.0)
    inst.handle(Shutdown(), now=1.0)
    inst.handle(Startup(), now=2.0)
    assert inst.state is State.BACKUP
    assert inst.next_deadline() == 2.0 + 3.4140625


def test_each_stop_of_a_master_is_counted():
    inst = VrrpInstance(params(priority=255))
    for start in (0.0, 10.0):
        inst.handle(Startup(), now=start)
        assert inst.state is State.MASTER
        inst.handle(Shutdown(), now=start + 5.0)
        assert inst.stats.last_transition == start + 5.0
    assert inst.stats.pri_zero_sent == 2


def test_early_timeout_does_nothing():
    inst = VrrpInstance(params())
    inst.handle(Startup(), now=0.0)
    assert inst.handle(Timeout(), now=3.0) == []
    assert inst.state is State.BACKUP


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"vrid": 0}, "vrid"),
        ({"vrid": 256}, "vrid"),
        ({"priority": 0}, "priority"),
        ({"version": 4}, "version"),
        ({"version": 2, "advert_int_cs": 150}, "advert_int_cs"),
        ({"advert_int_cs": 4096}, "advert_int_cs"),
        ({"family": 6}, "virtual_addresses"),
        ({"family": 6, "version": 2, "virtual_addresses": ()}, "version"),
        ({"down_timer_adverts": 0}, "down_timer_adverts"),
        ({"name": ""}, "name"),
        ({"initial_state": State.FAULT}, "initial_state"),
        ({"priority": 256}, "priority"),
        ({"version": 2, "advert_int_cs": 25600}, "advert_int_cs"),
        ({"advert_int_cs": 0}, "advert_int_cs"),
        ({"down_timer_adverts": 101}, "down_timer_adverts"),
        ({"preempt_delay": 1000.5}, "preempt_delay"),
        ({"virtual_addresses": tuple(IPv4Address(i) for i in range(1, 257))},
         "virtual_addresses"),
        ({"family": 5}, "family"),
    ],
)
def test_invalid_params_name_the_field(overrides: dict[str, object], field: str):
    with pytest.raises(ValueError, match=f"InstanceParams.{field}:"):
        params(**overrides)


@pytest.mark.parametrize("overrides", [
    {"vrid": 255}, {"priority": 255}, {"version": 2, "advert_int_cs": 25500},
    {"advert_int_cs": 1}, {"advert_int_cs": 4095}, {"down_timer_adverts": 100},
    {"preempt_delay": 1000}, {"virtual_addresses": tuple(IPv4Address(i) for i in range(1, 256))},
], ids=repr)
def test_params_at_the_edge_of_their_range_are_accepted(overrides: dict[str, object]):
    assert params(**overrides).name == "VI_1"


def test_nopreempt_and_preempt_delay_only_from_initial_backup():
    assert params(preempt=False).effective_nopreempt
    assert not params(preempt=False, initial_state=State.MASTER).effective_nopreempt
    assert not params(preempt=False, priority=255).effective_nopreempt
    assert params(preempt_delay=5).effective_preempt_delay == 5
    assert params(preempt_delay=5, initial_state=State.MASTER).effective_preempt_delay == 0
    assert params(preempt_delay=5, strict_mode=True).effective_preempt_delay == 0


def test_a_late_event_lets_the_due_timer_fire_first():
    inst = VrrpInstance(params())
    inst.handle(Startup(), now=0.0)
    actions = inst.handle(Shutdown(), now=5.0)
    changes = [a for a in actions if isinstance(a, StateChanged)]
    assert [(c.old, c.new) for c in changes] == [(State.BACKUP, State.MASTER),
                                                 (State.MASTER, State.INIT)]


def test_an_event_at_the_very_deadline_lets_the_timer_fire_first():
    inst = VrrpInstance(params())
    inst.handle(Startup(), now=0.0)
    actions = inst.handle(Shutdown(), now=3.4140625)
    changes = [(a.old, a.new) for a in actions if isinstance(a, StateChanged)]
    assert changes == [(State.BACKUP, State.MASTER), (State.MASTER, State.INIT)]
    later = VrrpInstance(params())
    later.handle(Startup(), now=0.0)
    assert later.handle(Shutdown(), now=3.4)[0] == StateChanged(
        State.BACKUP, State.INIT, "shutdown")
