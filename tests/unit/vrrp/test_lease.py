"""The lease witness's rules in the core, on a virtual clock (the etcd I/O is the daemon's)."""

from __future__ import annotations

from ipaddress import IPv4Address

from pykeepalived.vrrp.actions import Notify, NotifyState, RemoveVips, SendAdvert, StateChanged
from pykeepalived.vrrp.events import AdvertReceived, LeaseChanged, Timeout
from pykeepalived.vrrp.instance import State, VrrpInstance
from tests.unit.vrrp.instances import started

A, B = IPv4Address("192.0.2.11"), IPv4Address("192.0.2.12")


def node(**kw: object) -> VrrpInstance:
    return started(priority=100, primary_address=B, lease=True, **kw)


def expire(inst: VrrpInstance) -> list[object]:
    deadline = inst.next_deadline()
    assert deadline is not None
    return list(inst.handle(Timeout(), now=deadline))


def test_no_master_without_the_lease_then_master_with_its_token():
    inst = node()
    expire(inst)
    assert inst.state is State.BACKUP
    assert inst.lease_wanted
    assert inst.refusal == "waiting for the lease"
    held = inst.handle(LeaseChanged(False, holder="192.0.2.11",
                                    reason="lease held by 192.0.2.11"), now=inst.clock)
    assert held == []
    assert inst.refusal == "lease held by 192.0.2.11"
    expire(inst)  # still nobody heard: still wanting, still BACKUP
    assert inst.state is State.BACKUP
    got = inst.handle(LeaseChanged(True, revision=42, until=inst.clock + 1.5),
                      now=inst.clock)
    assert inst.state is State.MASTER
    assert StateChanged(State.BACKUP, State.MASTER, "lease obtained (revision 42)") in got
    assert Notify(NotifyState.MASTER, 100, fencing_token=42) in got
    assert inst.refusal == ""


def test_a_master_that_cannot_renew_gives_up_before_the_ttl():
    inst = node()
    expire(inst)
    t = inst.clock
    inst.handle(LeaseChanged(True, revision=7, until=t + 1.5), now=t)
    assert inst.state is State.MASTER
    inst.handle(LeaseChanged(True, revision=7, until=t + 2.0), now=t + 0.5)  # renewed
    assert inst.next_deadline() is not None
    # no renewal since: at t + 2.0 the VIP goes, whatever else is due
    actions: list[object] = []
    for _ in range(10):
        deadline = inst.next_deadline()
        assert deadline is not None
        actions += inst.handle(Timeout(), now=deadline)
        if inst.state is not State.MASTER:
            break
    assert inst.state is State.BACKUP
    assert inst.clock == t + 2.0
    assert RemoveVips() in actions
    assert StateChanged(State.MASTER, State.BACKUP, "lease not renewed before its TTL") in actions
    assert any(isinstance(a, SendAdvert) and a.advert.priority == 0 for a in actions)
    assert inst.refusal == "lease not renewed before its TTL"


def test_etcd_not_serving_vrrp_decides_by_default():
    inst = node()
    expire(inst)
    inst.handle(LeaseChanged(True, revision=3, until=inst.clock + 1.5), now=inst.clock)
    kept = inst.handle(LeaseChanged(False, etcd_down=True, reason="etcd refused"),
                       now=inst.clock + 0.2)
    assert kept == []
    assert inst.state is State.MASTER
    for _ in range(20):  # no lease deadline any more: adverts only, MASTER throughout
        inst.handle(Timeout(), now=inst.next_deadline() or 0.0)
    assert inst.state is State.MASTER
    # and a backup wanting the lease while etcd does not serve takes over by VRRP
    other = node()
    expire(other)
    taken = other.handle(LeaseChanged(False, etcd_down=True, reason="etcd refused"),
                         now=other.clock)
    assert other.state is State.MASTER
    assert StateChanged(State.BACKUP, State.MASTER, "VRRP decides: etcd refused") in taken


def test_etcd_not_serving_with_release_gives_up():
    inst = node(lease_unreachable="release")
    expire(inst)
    inst.handle(LeaseChanged(True, revision=3, until=inst.clock + 1.5), now=inst.clock)
    inst.handle(LeaseChanged(False, etcd_down=True, reason="etcd refused"),
                now=inst.clock + 0.2)
    assert inst.state is State.BACKUP


def test_etcd_unreachable_keeps_a_wanting_backup_out():
    inst = node()
    expire(inst)
    inst.handle(LeaseChanged(False, reason="etcd unreachable: timed out"), now=inst.clock)
    assert inst.state is State.BACKUP
    assert inst.refusal == "etcd unreachable: timed out"


def test_a_heard_master_ends_the_wish_and_a_late_lease_changes_nothing():
    inst = node()
    expire(inst)
    master = started(priority=200, primary_address=A)
    sent = [a for a in expire(master) if isinstance(a, SendAdvert)]
    inst.handle(AdvertReceived(sent[0].advert, A), now=inst.clock)
    assert not inst.lease_wanted
    assert inst.handle(LeaseChanged(True, revision=9, until=inst.clock + 2),
                       now=inst.clock) == []
    assert inst.state is State.BACKUP


def test_without_a_lease_configured_the_event_changes_nothing():
    inst = started(priority=100, primary_address=B)
    assert inst.handle(LeaseChanged(False, reason="x"), now=0.1) == []
    expire(inst)
    assert inst.state is State.MASTER
