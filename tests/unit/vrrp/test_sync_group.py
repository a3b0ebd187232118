"""Sync groups (vrrp_sync.c): fault propagation, MASTER together, BACKUP together."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from pykeepalived.vrrp.actions import Log, NotifyState, StateChanged
from pykeepalived.vrrp.advert import Advertisement
from pykeepalived.vrrp.events import AdvertReceived, FaultChanged
from pykeepalived.vrrp.instance import State, VrrpInstance
from pykeepalived.vrrp.params import InstanceParams
from pykeepalived.vrrp.sync_group import GroupNotify, GroupOutput, MemberAction, SyncGroup

PEER = IPv4Address("192.0.2.12")


def member(name: str, vrid: int, priority: int = 150, interval_cs: int = 100) -> VrrpInstance:
    return VrrpInstance(InstanceParams(
        name=name, vrid=vrid, version=3, priority=priority, advert_int_cs=interval_cs,
        virtual_addresses=(IPv4Address(f"192.0.2.{100 + vrid}"),),
        primary_address=IPv4Address("192.0.2.11")))


def group(*members: VrrpInstance) -> SyncGroup:
    return SyncGroup("G1", members or (member("VI_1", 1), member("VI_2", 2)))


def transitions(out: list[GroupOutput]) -> list[tuple[str, State, State]]:
    return [(o.member, o.action.old, o.action.new) for o in out
            if isinstance(o, MemberAction) and isinstance(o.action, StateChanged)]


def advert(vrid: int, priority: int) -> AdvertReceived:
    return AdvertReceived(
        Advertisement(3, vrid, priority, 100, (IPv4Address(f"192.0.2.{100 + vrid}"),)), PEER)


def test_startup_notifies_group_backup():
    g = group()
    out = g.startup(now=0.0)
    assert out[0] == GroupNotify("G1", NotifyState.BACKUP)
    assert transitions(out) == [("VI_1", State.INIT, State.BACKUP),
                                ("VI_2", State.INIT, State.BACKUP)]


def test_members_become_master_together_only_when_all_want_it():
    # VI_2 has a longer interval, so VI_1's down timer expires first and is held back
    g = group(member("VI_1", 1), member("VI_2", 2, interval_cs=200))
    g.startup(now=0.0)
    out = g.handle_timeout(now=3.4140625)
    assert transitions(out) == []
    held = g.members["VI_1"]
    assert held.state is State.BACKUP
    assert held.wantstate is State.MASTER
    assert held.next_deadline() == 3.4140625 * 2
    # both due: VI_1 is held again (VI_2 does not want MASTER yet), then VI_2 goes and
    # brings VI_1 along
    out = g.handle_timeout(now=6.828125)
    assert transitions(out) == [("VI_2", State.BACKUP, State.MASTER),
                                ("VI_1", State.BACKUP, State.MASTER)]
    assert Log("VRRP_Group(G1) Syncing instances to MASTER state") in out
    assert out[-1] == GroupNotify("G1", NotifyState.MASTER)
    assert g.state is State.MASTER
    assert StateChanged(State.BACKUP, State.MASTER, "sync group G1: VI_2 went MASTER") in [
        o.action for o in out if isinstance(o, MemberAction) and o.member == "VI_1"]


def test_an_advert_from_a_live_master_cancels_the_wish():
    g = group(member("VI_1", 1), member("VI_2", 2, interval_cs=200))
    g.startup(now=0.0)
    g.handle_timeout(now=3.4140625)
    g.handle("VI_1", advert(1, 200), now=4.0)
    assert g.members["VI_1"].wantstate is State.BACKUP
    out = g.handle_timeout(now=6.828125)
    assert transitions(out) == []  # VI_2 is held now


def master_group() -> SyncGroup:
    g = group()
    g.startup(now=0.0)
    g.handle_timeout(now=3.4140625)
    assert g.state is State.MASTER
    return g


def test_one_member_yielding_takes_the_others_to_backup():
    g = master_group()
    out = g.handle("VI_2", advert(2, 200), now=4.0)
    assert transitions(out) == [("VI_2", State.MASTER, State.BACKUP),
                                ("VI_1", State.MASTER, State.BACKUP)]
    assert Log("VRRP_Group(G1) Syncing instances to BACKUP state") in out
    assert out[-1] == GroupNotify("G1", NotifyState.BACKUP)


def test_fault_propagates_and_recovery_waits_for_every_member():
    g = master_group()
    out = g.handle("VI_1", FaultChanged(True, "interface eth0 down"), now=4.0)
    assert transitions(out) == [("VI_1", State.MASTER, State.FAULT),
                                ("VI_2", State.MASTER, State.FAULT)]
    assert out[-1] == GroupNotify("G1", NotifyState.FAULT)
    g.handle("VI_2", FaultChanged(True, "chk failed"), now=4.5)
    assert g.handle("VI_1", FaultChanged(False, "interface eth0 up"), now=5.0) == []
    assert g.members["VI_1"].state is State.FAULT
    out = g.handle("VI_2", FaultChanged(False, "chk ok"), now=6.0)
    assert transitions(out) == [("VI_2", State.FAULT, State.BACKUP),
                                ("VI_1", State.FAULT, State.BACKUP)]
    assert out[-1] == GroupNotify("G1", NotifyState.BACKUP)
    assert g.members["VI_1"].next_deadline() == 6.0 + 3.4140625


def test_fault_before_startup_holds_every_member_in_fault():
    g = group()
    g.handle("VI_1", FaultChanged(True, "interface eth0 down"), now=0.0)
    out = g.startup(now=0.0)
    assert out[0] == GroupNotify("G1", NotifyState.FAULT)
    assert {m.state for m in g.members.values()} == {State.FAULT}
    g.handle("VI_1", FaultChanged(False), now=1.0)
    assert {m.state for m in g.members.values()} == {State.BACKUP}


def test_shutdown_stops_every_member():
    g = master_group()
    out = g.shutdown(now=4.0)
    assert {m.state for m in g.members.values()} == {State.INIT}
    assert out[-1] == GroupNotify("G1", NotifyState.STOP)


def test_bad_membership_is_refused():
    with pytest.raises(ValueError, match="distinct"):
        SyncGroup("G1", [member("VI_1", 1), member("VI_1", 2)])
    with pytest.raises(KeyError):
        group().handle("nope", FaultChanged(True), now=0.0)


def actions_of(out: list[GroupOutput], name: str) -> list[object]:
    return [o.action for o in out if isinstance(o, MemberAction) and o.member == name]


def test_forced_members_carry_the_groups_reason_and_time():
    g = master_group()
    out = g.handle("VI_1", FaultChanged(True, "interface eth0 down"), now=4.0)
    assert StateChanged(State.MASTER, State.FAULT, "interface eth0 down") in actions_of(
        out, "VI_1")
    assert StateChanged(State.MASTER, State.FAULT, "sync group G1: VI_1 went FAULT") in (
        actions_of(out, "VI_2"))
    forced = g.members["VI_2"]
    assert (forced.stats.last_transition, forced.wantstate) == (4.0, State.FAULT)


def test_a_backup_member_forced_to_fault_logs_no_entering_line():
    g = group()
    g.startup(now=0.0)
    out = g.handle("VI_1", FaultChanged(True, "interface eth0 down"), now=1.0)
    forced = actions_of(out, "VI_2")
    assert forced[0] == StateChanged(State.BACKUP, State.FAULT, "sync group G1: VI_1 went FAULT")
    assert not [a for a in forced if isinstance(a, Log) and "Entering" in a.message]
    assert g.members["VI_2"].stats.last_transition == 1.0


def test_forced_backup_and_master_name_the_member_that_moved():
    g = master_group()
    out = g.handle("VI_2", advert(2, 200), now=4.0)
    assert StateChanged(State.MASTER, State.BACKUP, "sync group G1: VI_2 went BACKUP") in (
        actions_of(out, "VI_1"))
    assert g.members["VI_1"].next_deadline() == 4.0 + 3.4140625


def test_members_due_together_all_act():
    g = master_group()
    out = g.handle_timeout(now=3.4140625 + 1.0)
    assert [o.member for o in out if isinstance(o, MemberAction)] == ["VI_1", "VI_2"]


def test_a_timeout_before_startup_does_nothing():
    assert group().handle_timeout(now=1.0) == []


def test_shutdown_reports_every_members_actions():
    g = master_group()
    out = g.shutdown(now=4.0)
    assert {o.member for o in out if isinstance(o, MemberAction)} == {"VI_1", "VI_2"}


def owner(name: str, vrid: int, **kw: object) -> VrrpInstance:
    fields: dict[str, object] = {
        "name": name, "vrid": vrid, "version": 3, "priority": 255,
        "virtual_addresses": (IPv4Address(f"192.0.2.{100 + vrid}"),)}
    fields.update(kw)
    return VrrpInstance(InstanceParams(**fields))  # type: ignore[arg-type]


def test_a_group_of_address_owners_starts_master_each_on_its_own():
    g = group(owner("VI_1", 1), owner("VI_2", 2))
    assert g.state is State.MASTER  # vrrp_sync_group: every member an owner wanting MASTER
    out = g.startup(now=0.0)
    assert StateChanged(State.INIT, State.MASTER, "startup as address owner (priority 255)") in (
        actions_of(out, "VI_2"))
    assert not [o for o in out if isinstance(o, GroupNotify)]


def test_a_group_with_one_non_owner_starts_backup():
    g = group(owner("VI_1", 1), member("VI_2", 2))
    assert g.state is State.BACKUP


def test_waiting_owners_in_a_master_group_pass_the_gate():
    g = group(owner("VI_1", 1, owner_immediate_master=False),
              owner("VI_2", 2, owner_immediate_master=False))
    g.startup(now=0.0)
    assert {m.state for m in g.members.values()} == {State.BACKUP}
    g.handle_timeout(now=1.00390625)  # one interval + the owner's skew
    assert {m.state for m in g.members.values()} == {State.MASTER}


def test_a_member_forced_out_of_fault_forgets_the_interval_it_learned():
    g = group()
    g.startup(now=0.0)
    slow = AdvertReceived(Advertisement(3, 2, 200, 50, (IPv4Address("192.0.2.102"),)), PEER)
    g.handle("VI_2", slow, now=1.0)
    assert g.members["VI_2"].master_adver_int_cs == 50
    g.handle("VI_1", FaultChanged(True, "interface eth0 down"), now=2.0)
    g.handle("VI_1", FaultChanged(False, "interface eth0 up"), now=3.0)
    forced = g.members["VI_2"]
    assert (forced.state, forced.master_adver_int_cs) == (State.BACKUP, 100)
    assert forced.next_deadline() == 3.0 + 3.4140625  # its own 1 s interval again


def test_non_owners_wanting_master_still_start_a_backup_group():
    wanting = [VrrpInstance(InstanceParams(
        name=f"VI_{i}", vrid=i, version=3, priority=150, initial_state=State.MASTER,
        virtual_addresses=(IPv4Address(f"192.0.2.{100 + i}"),))) for i in (1, 2)]
    assert group(*wanting).state is State.BACKUP


def test_a_member_not_yet_started_is_not_forced():
    eager = VrrpInstance(InstanceParams(
        name="VI_2", vrid=2, version=3, priority=150, initial_state=State.MASTER,
        virtual_addresses=(IPv4Address("192.0.2.102"),)))
    g = group(owner("VI_1", 1), eager)
    out = g.startup(now=0.0)
    assert next(a for a in actions_of(out, "VI_2") if isinstance(a, StateChanged)) == (
        StateChanged(State.INIT, State.BACKUP, "startup"))


def test_a_member_forced_back_to_backup_is_not_left_faulted():
    g = master_group()
    g.handle("VI_1", FaultChanged(True, "interface eth0 down"), now=4.0)
    g.handle("VI_1", FaultChanged(False, "interface eth0 up"), now=5.0)
    g.shutdown(now=6.0)
    g.startup(now=7.0)
    assert {m.state for m in g.members.values()} == {State.BACKUP}
