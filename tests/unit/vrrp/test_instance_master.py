"""RFC 5798 §6.4.3 (Master), line by line, with keepalived's extensions and exact logs."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from pykeepalived.vrrp.actions import (
    Log,
    LogLevel,
    Notify,
    NotifyState,
    RemoveVips,
    SendAdvert,
    SendGratuitous,
    StateChanged,
)
from pykeepalived.vrrp.advert import Advertisement
from pykeepalived.vrrp.events import AdvertReceived, PriorityChanged, Timeout
from pykeepalived.vrrp.instance import State, VrrpInstance
from pykeepalived.vrrp.params import GarpParams
from tests.unit.vrrp.instances import started

VIP = IPv4Address("192.0.2.100")
ME = IPv4Address("192.0.2.11")
LOWER_IP = IPv4Address("192.0.2.10")
HIGHER_IP = IPv4Address("192.0.2.12")


def master(priority: int = 150, **kw: object) -> VrrpInstance:
    """A MASTER since t=0 (it won its down timer at 3.4140625 for prio 150)."""
    inst = started(**{"priority": priority, "primary_address": ME, **kw})
    if inst.state is not State.MASTER:
        deadline = inst.next_deadline()
        assert deadline is not None
        inst.handle(Timeout(), now=deadline)
    assert inst.state is State.MASTER
    return inst


def rx(priority: int, source: IPv4Address, interval_cs: int = 100) -> AdvertReceived:
    return AdvertReceived(Advertisement(3, 51, priority, interval_cs, (VIP,)), source)


def ours(priority: int) -> SendAdvert:
    return SendAdvert(Advertisement(3, 51, priority, 100, (VIP,)))


def test_adver_timer_sends_an_advert_and_rearms():
    inst = master()
    t0 = 3.4140625
    assert inst.handle(Timeout(), now=t0 + 1.0) == [ours(150)]
    assert inst.next_deadline() == t0 + 2.0


def test_priority_zero_advert_is_answered_at_once():
    inst = master()
    actions = inst.handle(rx(0, HIGHER_IP), now=4.0)
    assert actions == [ours(150),
                       Log("(VI_1) Master received priority 0 message", LogLevel.DETAIL)]
    assert inst.state is State.MASTER
    assert inst.next_deadline() == 5.0


@pytest.mark.parametrize(
    ("prio", "source", "line", "reason"),
    [
        (200, LOWER_IP, "(VI_1) Master received advert from 192.0.2.10 with higher priority "
                        "200, ours 150", "higher priority (200) advert from 192.0.2.10, ours 150"),
        (150, HIGHER_IP, "(VI_1) Master received advert from 192.0.2.12 with same priority 150 "
                         "but higher IP address than ours",
         "same priority (150) advert from higher address 192.0.2.12"),
    ],
    ids=["higher priority", "equal priority, greater address"],
)
def test_master_yields(prio: int, source: IPv4Address, line: str, reason: str):
    inst = master()
    actions = inst.handle(rx(prio, source), now=4.0)
    assert actions[0] == Log(line)
    # it took over at start-up hearing nobody: no master it split from, no episode
    assert actions[1] == StateChanged(State.MASTER, State.BACKUP, reason)
    assert inst.wantstate is State.BACKUP
    assert actions[2:] == [
        Log("(VI_1) Entering BACKUP STATE"),
        Log("(VI_1) removing VIPs.", LogLevel.DETAIL),
        RemoveVips(),
        Notify(NotifyState.BACKUP, 150),
    ]
    assert inst.stats.release_master == 1
    assert inst.next_deadline() == 4.0 + 3.4140625


def test_higher_prio_send_advert_sends_one_last_advert_first():
    inst = master(higher_prio_send_advert=True)
    actions = inst.handle(rx(200, LOWER_IP), now=4.0)
    assert actions[0] == ours(150)
    assert inst.state is State.BACKUP


@pytest.mark.parametrize(
    ("prio", "source"),
    [(100, HIGHER_IP), (150, LOWER_IP)],
    ids=["lower priority", "equal priority, smaller address"],
)
def test_lower_advert_forces_new_election_with_garp(prio: int, source: IPv4Address):
    inst = master(garp=GarpParams(master_delay=0))
    actions = inst.handle(rx(prio, source), now=4.0)
    assert actions == [
        Log(f"(VI_1) Received advert from {source} with lower priority {prio}, ours 150, "
            "forcing new election"),
        ours(150),
        SendGratuitous(5),
        # keepalived's send_event_notify: notify_master_rx_lower_pri + FIFO line
        Notify(NotifyState.MASTER_RX_LOWER_PRI, 150),
        # ours: the episode, once
        Log(f"(VI_1) split brain: {source} (priority {prio}) is MASTER too, ours 192.0.2.11 "
            "(priority 150); we stay MASTER (RFC 5798 6.4.3)"),
    ]
    assert inst.state is State.MASTER
    # Adver_Timer restarted by the advert; lower-prio GARP burst again after 5 s
    assert inst.next_deadline() == 5.0
    inst.handle(Timeout(), now=5.0)
    inst.handle(Timeout(), now=6.0)
    inst.handle(Timeout(), now=7.0)
    inst.handle(Timeout(), now=8.0)
    assert inst.handle(Timeout(), now=9.0) == [ours(150), SendGratuitous(5)]
    assert inst.next_deadline() == 10.0  # the burst's own timer is spent


@pytest.mark.parametrize(
    ("prio", "source", "last_advert_first"),
    [(150, HIGHER_IP, True), (150, LOWER_IP, False), (150, ME, False), (149, HIGHER_IP, False)],
    ids=["equal, greater address", "equal, smaller address", "equal, our address", "lower"],
)
def test_higher_prio_send_advert_only_when_the_sender_wins(
        prio: int, source: IPv4Address, last_advert_first: bool):
    # RFC 5798 §6.4.3: the sender wins on a higher priority, or an equal one from a greater
    # primary address; only then does keepalived send its parting advert
    inst = master(higher_prio_send_advert=True, garp=GarpParams(lower_prio_repeat=0))
    actions = inst.handle(rx(prio, source), now=4.0)
    assert (actions[0] == ours(150)) is last_advert_first
    assert inst.state is (State.BACKUP if last_advert_first else State.MASTER)
    assert actions.count(ours(150)) == (0 if source == ME else 1)


def test_releases_and_priority_zero_adverts_are_counted_each_time():
    inst = master()
    for now in (4.0, 20.0):
        inst.handle(rx(200, LOWER_IP), now=now)  # yields
        assert inst.state is State.BACKUP
        deadline = inst.next_deadline()
        assert deadline is not None
        inst.handle(Timeout(), now=deadline)  # the 200 went quiet: MASTER again
        assert inst.state is State.MASTER
    assert (inst.stats.become_master, inst.stats.release_master) == (3, 2)


def test_lower_prio_no_advert_stays_quiet():
    inst = master(lower_prio_no_advert=True, garp=GarpParams(lower_prio_repeat=0))
    actions = inst.handle(rx(100, HIGHER_IP), now=4.0)
    assert actions[:2] == [Log("(VI_1) Received advert from 192.0.2.12 with lower priority "
                               "100, ours 150"), Notify(NotifyState.MASTER_RX_LOWER_PRI, 150)]
    assert len(actions) == 3
    assert "split brain" in str(actions[2])
    assert inst.next_deadline() == 3.4140625 + 1.0


def test_equal_priority_from_our_own_address_warns():
    inst = master()
    actions = inst.handle(rx(150, ME), now=4.0)
    assert actions == [Log("(VI_1) WARNING - equal priority advert received from remote "
                           "host with our IP address.")]
    assert inst.state is State.MASTER


def test_two_owners_the_local_one_drops_to_254_and_yields():
    inst = master(priority=255)
    actions = inst.handle(rx(255, LOWER_IP), now=0.5)
    assert actions[0] == Log("(VI_1) CONFIGURATION ERROR: local instance and a remote instance "
                             "are both configured as address owner, please fix - reducing "
                             "local priority")
    assert inst.effective_priority == 254
    assert inst.state is State.BACKUP


def test_garp_refresh_rides_on_the_advert_timer():
    inst = master(garp=GarpParams(master_refresh=2.0, refresh_repeat=2, master_delay=0))
    t0 = 3.4140625
    assert inst.handle(Timeout(), now=t0 + 1) == [ours(150)]
    assert inst.handle(Timeout(), now=t0 + 2) == [ours(150)]  # not yet strictly after
    assert inst.handle(Timeout(), now=t0 + 3) == [ours(150), SendGratuitous(2)]
    # re-armed from this refresh: again strictly after t0 + 5
    assert inst.handle(Timeout(), now=t0 + 4) == [ours(150)]
    assert inst.handle(Timeout(), now=t0 + 5) == [ours(150)]
    assert inst.handle(Timeout(), now=t0 + 6) == [ours(150), SendGratuitous(2)]


def test_a_priority_change_leaves_a_masters_advert_timer_alone():
    inst = master()
    inst.handle(PriorityChanged(effective=100, reason="chk failed"), now=4.0)
    assert inst.next_deadline() == 3.4140625 + 1.0


def test_received_adverts_count():
    inst = master()
    inst.handle(rx(100, HIGHER_IP), now=4.0)
    inst.handle(rx(0, HIGHER_IP), now=4.1)
    assert inst.stats.advert_rcvd == 2
    assert inst.stats.pri_zero_rcvd == 1
    assert inst.stats.advert_sent == 3


def test_without_a_known_primary_address_equal_priority_never_wins():
    # RFC 5798 §6.4.3 compares primary addresses; unknown (or another family) is no win
    inst = master(primary_address=None)
    inst.handle(rx(150, HIGHER_IP), now=4.0)
    assert inst.state is State.MASTER


def test_a_master_checks_the_address_list_of_a_higher_advert():
    inst = master()
    wrong = AdvertReceived(Advertisement(3, 51, 200, 100, (IPv4Address("192.0.2.99"),)),
                           LOWER_IP)
    assert inst.handle(wrong, now=4.0)[0].message.startswith(
        "(VI_1) ip address associated with VRID 51 not present")
    assert inst.state is State.MASTER
    assert inst.stats.addr_list_err == 1


def test_an_overdue_advert_can_be_postponed_not_made_up_for() -> None:
    """The adapter saw the advert timer late (the process was stopped): no burst of
    missed adverts; the next is due when the adapter says, after it read its socket."""
    inst = master()
    due = inst.next_deadline()
    assert due is not None
    inst.postpone_overdue_advert(now=due - 0.01, until=due + 5.0)  # not overdue yet
    assert inst.next_deadline() == due
    inst.postpone_overdue_advert(now=due + 2.0, until=due + 2.01)
    assert inst.next_deadline() == pytest.approx(due + 2.01)
    assert inst.handle(Timeout(), now=due + 2.0) == []  # nothing due at SIGCONT itself
    sent = inst.handle(Timeout(), now=due + 2.01)
    assert sum(isinstance(a, SendAdvert) for a in sent) == 1  # one advert, not twenty


def test_a_backup_down_timer_is_never_postponed() -> None:
    inst = started(priority=100, primary_address=ME)
    due = inst.next_deadline()
    assert due is not None
    inst.postpone_overdue_advert(now=due + 2.0, until=due + 2.01)
    assert inst.next_deadline() == due
