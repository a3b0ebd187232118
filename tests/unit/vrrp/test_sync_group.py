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
