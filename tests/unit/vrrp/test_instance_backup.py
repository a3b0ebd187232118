"""RFC 5798 §6.4.2 (Backup), line by line, plus keepalived's preempt_delay and priority moves."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from pykeepalived.vrrp.actions import Log, LogLevel, StateChanged
from pykeepalived.vrrp.advert import Advertisement
from pykeepalived.vrrp.events import AdvertReceived, PacketDropped, PriorityChanged, Timeout
from pykeepalived.vrrp.instance import State, VrrpInstance
from tests.unit.vrrp.instances import started

VIP = IPv4Address("192.0.2.100")
ME = IPv4Address("192.0.2.12")
PEER = IPv4Address("192.0.2.11")
DOWN_100 = 3.609375  # prio 100, 1 s
SKEW_100 = 0.609375


def backup(now: float = 0.0, **kw: object) -> VrrpInstance:
    return started(now, **{"priority": 100, "primary_address": ME, **kw})


def rx(priority: int, interval_cs: int = 100, source: IPv4Address = PEER) -> AdvertReceived:
    return AdvertReceived(Advertisement(3, 51, priority, interval_cs, (VIP,)), source)


# (case, advert priority, preempt, expected deadline after an advert at t=1.0, logs)
TABLE = [
    ("higher priority resets the down timer", 150, True, 1.0 + DOWN_100, []),
    ("equal priority resets the down timer", 100, True, 1.0 + DOWN_100, []),
    ("priority 0 sets the timer to Skew_Time", 0, True, 1.0 + SKEW_100,
     [Log("(VI_1) Backup received priority 0 advertisement", LogLevel.DETAIL)]),
    ("lower priority with preempt is discarded", 90, True, DOWN_100,
     [Log("(VI_1) received lower priority (90) advert from 192.0.2.11 - discarding")]),
    ("lower priority without preempt resets the timer", 90, False, 1.0 + DOWN_100, []),
]


@pytest.mark.parametrize(("case", "prio", "preempt", "deadline", "logs"), TABLE,
                         ids=[row[0] for row in TABLE])
def test_backup_receives_advert(case: str, prio: int, preempt: bool, deadline: float,
                                logs: list[Log]):
    inst = backup(preempt=preempt)
    actions = inst.handle(rx(prio), now=1.0)
    assert actions == logs
    assert inst.state is State.BACKUP
    assert inst.next_deadline() == deadline


def test_discarded_lower_priority_lets_the_timer_run_out_and_take_over():
    inst = backup()
    for t in (1.0, 2.0, 3.0):
        inst.handle(rx(90), now=t)
    actions = inst.handle(Timeout(), now=DOWN_100)
    change = next(a for a in actions if isinstance(a, StateChanged))
    assert change.new is State.MASTER
    assert "lower priority (90) advert from 192.0.2.11" in change.reason


def test_priority_zero_then_takeover_at_skew_time():
    inst = backup()
    inst.handle(rx(0), now=2.0)
    actions = inst.handle(Timeout(), now=2.0 + SKEW_100)
    change = next(a for a in actions if isinstance(a, StateChanged))
    assert change == StateChanged(State.BACKUP, State.MASTER, "priority 0 advert from 192.0.2.11")
    assert inst.stats.pri_zero_rcvd == 1


def test_v3_priority_zero_skew_scales_with_the_masters_interval():
    # RFC 5798 §6.4.2: Master_Down_Timer = Skew_Time, which for v3 is
    # ((256 - 100) x 10) / 256 = 6.09375 cs at the master's 10 cs (not the v2 0.609375 s)
    inst = backup(advert_int_cs=10)  # its own down timer runs out at 0.3609375
    inst.handle(rx(0, interval_cs=10), now=0.25)
    assert inst.state is State.BACKUP
    assert inst.next_deadline() == 0.25 + 0.0609375


def test_down_timer_reasons_name_what_was_missed():
    inst = backup()
    actions = inst.handle(Timeout(), now=DOWN_100)
    assert StateChanged(State.BACKUP, State.MASTER,
                        "no advert received within 3.609375 s of startup") in actions
    heard = backup()
    heard.handle(rx(150), now=1.0)
    actions = heard.handle(Timeout(), now=1.0 + DOWN_100)
    assert StateChanged(State.BACKUP, State.MASTER,
                        "no advert from master 192.0.2.11 (priority 150) for 3.609375 s"
                        ) in actions


def test_v3_backup_adopts_the_masters_interval():
    inst = backup()
    actions = inst.handle(rx(150, interval_cs=50), now=1.0)
    assert actions == [Log("(VI_1) advertisement interval updated from 1000ms to 500ms by master",
                           LogLevel.DETAIL)]
    assert inst.master_adver_int_cs == 50
    # 3 x 0.5 + (156 x 0.5)/256
    assert inst.next_deadline() == 1.0 + 1.8046875


def test_becoming_master_returns_to_the_local_interval():
    inst = backup()
    inst.handle(rx(150, interval_cs=50), now=1.0)
    actions = inst.handle(Timeout(), now=1.0 + 1.8046875)
    assert Log("(VI_1) changing advert interval from 500ms to locally configured 1000ms",
               LogLevel.DETAIL) in actions
    assert inst.master_adver_int_cs == 100
    assert inst.next_deadline() == 1.0 + 1.8046875 + 1.0


def test_priority_change_shifts_the_running_down_timer():
    inst = backup(priority=150)  # armed at 3.4140625
    inst.handle(PriorityChanged(effective=100, reason="chk failed"), now=1.0)
    assert inst.effective_priority == 100
    # the new interval is 3.609375, so the deadline moves by the difference
    assert inst.next_deadline() == 3.609375
    actions = inst.handle(Timeout(), now=3.609375)
    assert StateChanged(State.BACKUP, State.MASTER,
                        "down timer after priority change (chk failed)") in actions


def test_priority_is_clamped_and_owner_never_changes():
    inst = backup()
    inst.handle(PriorityChanged(effective=300), now=0.0)
    assert inst.effective_priority == 254
    inst.handle(PriorityChanged(effective=-5), now=0.0)
    assert inst.effective_priority == 1
    owner = backup(priority=255, initial_state=State.BACKUP)
    assert owner.handle(PriorityChanged(effective=100), now=0.0) == []
    assert owner.effective_priority == 255


def test_skew_follows_the_effective_priority():
    inst = backup()
    inst.handle(PriorityChanged(effective=200), now=0.0)
    inst.handle(rx(0), now=1.0)
    assert inst.next_deadline() == 1.0 + (56 / 256)


class TestPreemptDelay:
    """keepalived: a lower-priority master is tolerated for preempt_delay after the first
    such advert; then its adverts are discarded and the down timer runs out."""

    def test_start_then_discard_after_delay(self):
        inst = backup(preempt_delay=2.0)
        assert inst.handle(rx(90), now=1.0) == [
            Log("(VI_1) start preempt delay (2.000000)", LogLevel.DETAIL)]
        assert inst.next_deadline() == 1.0 + DOWN_100
        assert inst.handle(rx(90), now=2.5) == []  # still inside the delay: accepted
        assert inst.next_deadline() == 2.5 + DOWN_100
        late = inst.handle(rx(90), now=3.5)
        assert late == [Log("(VI_1) received lower priority (90) advert from 192.0.2.11 "
                            "- discarding")]
        assert inst.next_deadline() == 2.5 + DOWN_100

    def test_higher_priority_stops_the_delay(self):
        inst = backup(preempt_delay=5.0)
        inst.handle(rx(90), now=1.0)
        assert inst.handle(rx(150), now=2.0) == [
            Log("(VI_1) stop preempt delay", LogLevel.DETAIL)]
        # a new lower-priority master starts a fresh delay
        assert inst.handle(rx(90), now=4.0) == [
            Log("(VI_1) start preempt delay (5.000000)", LogLevel.DETAIL)]

    def test_a_sub_second_delay_still_applies(self):
        inst = backup(preempt_delay=0.5)
        assert inst.handle(rx(90), now=1.0) == [
            Log("(VI_1) start preempt delay (0.500000)", LogLevel.DETAIL)]
        assert inst.handle(rx(90), now=1.25) == []  # inside the delay: accepted
        assert inst.handle(rx(90), now=1.75)[0].message.endswith("- discarding")

    def test_an_equal_priority_master_stops_the_delay(self):
        inst = backup(preempt_delay=5.0)
        inst.handle(rx(90), now=1.0)
        assert inst.handle(rx(100), now=2.0) == [
            Log("(VI_1) stop preempt delay", LogLevel.DETAIL)]

    def test_ignored_with_initial_state_master(self):
        inst = backup(preempt_delay=5.0, initial_state=State.MASTER)
        assert inst.handle(rx(90), now=1.0) == [
            Log("(VI_1) received lower priority (90) advert from 192.0.2.11 - discarding")]


def test_accepted_advert_resets_wantstate_to_backup():
    inst = backup()
    inst.handle(rx(150), now=1.0)
    assert inst.wantstate is State.BACKUP
    assert inst.master_source == PEER
    assert inst.master_priority == 150


def test_a_discarded_advert_still_names_the_master_heard():
    inst = backup()
    assert inst.master_priority == 0  # none heard yet (keepalived's dump shows 0)
    inst.handle(rx(90), now=1.0)
    assert inst.master_source == PEER


def test_down_timer_adverts_sets_the_down_interval():
    # keepalived's down_timer_adverts replaces the RFC's 3: 5 x 1 s + 156/256 s
    inst = backup(down_timer_adverts=5)
    assert inst.next_deadline() == 5.609375
    inst.handle(rx(150), now=1.0)
    assert inst.next_deadline() == 1.0 + 5.609375


def test_codec_drops_are_logged_at_debug():
    inst = backup()
    assert inst.handle(PacketDropped("checksum"), now=1.0) == [
        Log("(VI_1) dropped malformed packet: checksum", LogLevel.DEBUG)]
