"""Split-brain episodes on a virtual clock: two cores, a partition, a heal.

a (priority 200, 192.0.2.11) is master, b (100, 192.0.2.12) follows it. The partition is
the adverts we do not hand over; the heal is the first one we do.
"""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from pykeepalived.vrrp.actions import Log, SendAdvert, SendGratuitous, StateChanged
from pykeepalived.vrrp.advert import Advertisement
from pykeepalived.vrrp.events import AdvertReceived, Timeout
from pykeepalived.vrrp.instance import State, VrrpInstance
from pykeepalived.vrrp.split_brain import EPISODES_KEPT, SplitBrainLog
from tests.unit.vrrp.instances import VIP, started

A, B = IPv4Address("192.0.2.11"), IPv4Address("192.0.2.12")


def pair(**kw: object) -> tuple[VrrpInstance, VrrpInstance]:
    a = started(priority=200, primary_address=A, **kw)
    b = started(priority=100, primary_address=B, **kw)
    deadline = a.next_deadline()
    assert deadline is not None
    sent = a.handle(Timeout(), now=deadline)
    assert a.state is State.MASTER
    advert = next(x for x in sent if isinstance(x, SendAdvert)).advert
    b.handle(AdvertReceived(advert, A), now=deadline)
    assert b.state is State.BACKUP
    return a, b


def adverts(actions: list[object]) -> list[SendAdvert]:
    return [x for x in actions if isinstance(x, SendAdvert)]


def partition_until_b_masters(a: VrrpInstance, b: VrrpInstance) -> float:
    """a keeps advertising into the void; b's down timer expires. Returns b's takeover."""
    deadline = b.next_deadline()
    assert deadline is not None
    b.handle(Timeout(), now=deadline)
    assert b.state is State.MASTER
    return deadline


def test_partition_heal_one_episode_on_each_side_with_the_right_times():
    a, b = pair(split_brain_announce=True)
    took_over = partition_until_b_masters(a, b)
    heal = took_over + 7.25
    for second in range(1, 8):  # b advertises into the void meanwhile
        assert adverts(b.handle(Timeout(), now=took_over + second))
    a_advert = adverts(a.handle(Timeout(), now=heal))[0].advert
    yielded = b.handle(AdvertReceived(a_advert, A), now=heal)
    assert b.state is State.BACKUP
    (episode,) = b.split_brain.episodes
    assert (episode.side, episode.peer, episode.peer_priority) == ("yielded", A, 200)
    assert (episode.start, episode.end) == (took_over, heal)
    assert episode.duration == pytest.approx(7.25)
    assert b.stats.split_brain_episodes == 1
    lines = [x.message for x in yielded if isinstance(x, Log) and "split brain" in x.message]
    assert lines == ["(VI_1) split brain: 192.0.2.11 (priority 200) is MASTER too, ours "
                     "192.0.2.12 (priority 100); we yield to it (RFC 5798 6.4.3)"]
    # the announce: one advert at b's priority, before b lets go
    (announce,) = adverts(yielded)
    assert announce.advert.priority == 100
    change = next(i for i, x in enumerate(yielded) if isinstance(x, StateChanged))
    assert yielded.index(announce) < change
    # a hears it: one episode on its side, re-announces the VIP at once
    heard = a.handle(AdvertReceived(announce.advert, B), now=heal + 0.001)
    assert a.state is State.MASTER
    assert SendGratuitous(5) in heard
    assert a.stats.split_brain_episodes == 1
    assert a.split_brain.episodes[0].side == "kept"
    # b's adverts still in flight belong to the same episode: counted once
    again = a.handle(AdvertReceived(announce.advert, B), now=heal + 0.002)
    assert a.stats.split_brain_episodes == 1
    assert not [x for x in again if isinstance(x, Log) and "split brain" in x.message]
    assert a.split_brain.episodes[0].end == heal + 0.002


def test_without_the_announce_the_loser_yields_silently_as_keepalived():
    a, b = pair()
    took_over = partition_until_b_masters(a, b)
    a_advert = adverts(a.handle(Timeout(), now=took_over + 0.5))[0].advert
    yielded = b.handle(AdvertReceived(a_advert, A), now=took_over + 0.5)
    assert not adverts(yielded)
    assert b.stats.split_brain_episodes == 1


def test_a_master_that_let_go_with_priority_zero_is_no_episode():
    a, b = pair(split_brain_announce=True)
    now = a.next_deadline()
    assert now is not None
    assert b.state is State.BACKUP
    zero = next(x for x in adverts(a.handle(Timeout(), now=now))).advert
    zero = type(zero)(zero.version, zero.vrid, 0, zero.interval_cs, zero.addresses)
    b.handle(AdvertReceived(zero, A), now=now)
    deadline = b.next_deadline()
    assert deadline is not None
    assert deadline < now + 1
    b.handle(Timeout(), now=deadline)
    assert b.state is State.MASTER
    back = adverts(a.handle(Timeout(), now=now + 5))[0].advert
    b.handle(Timeout(), now=now + 5)  # b's own advert, due meanwhile
    yielded = b.handle(AdvertReceived(back, A), now=now + 5)
    assert b.state is State.BACKUP
    assert b.stats.split_brain_episodes == 0
    assert not adverts(yielded)


def test_no_episode_and_no_announce_for_a_master_we_never_followed():
    a, b = pair(split_brain_announce=True)
    partition_until_b_masters(a, b)
    stranger = IPv4Address("192.0.2.13")
    advert = adverts(a.handle(Timeout(), now=20.0))[0].advert
    b.handle(Timeout(), now=20.0)
    yielded = b.handle(AdvertReceived(advert, stranger), now=20.0)
    assert b.state is State.BACKUP
    assert b.stats.split_brain_episodes == 0
    assert not adverts(yielded)


def test_a_cold_start_that_heard_nobody_is_no_episode_on_the_yielding_side():
    b = started(priority=100, primary_address=B, split_brain_announce=True)
    deadline = b.next_deadline()
    assert deadline is not None
    b.handle(Timeout(), now=deadline)
    assert b.state is State.MASTER
    high = Advertisement(3, 51, 200, 100, (VIP,))
    yielded = b.handle(AdvertReceived(high, A), now=b.clock + 0.5)
    assert b.state is State.BACKUP
    assert b.stats.split_brain_episodes == 0
    assert not adverts(yielded)


def test_a_lower_master_heard_again_later_is_a_new_episode():
    a, b = pair()
    partition_until_b_masters(a, b)
    b_advert = adverts(b.handle(Timeout(), now=30.0))[0].advert
    a.handle(AdvertReceived(b_advert, B), now=30.0)
    a.handle(AdvertReceived(b_advert, B), now=30.0 + a.master_down_timer)  # same one
    assert a.stats.split_brain_episodes == 1
    a.handle(AdvertReceived(b_advert, B), now=60.0)
    assert a.stats.split_brain_episodes == 2
    assert [e.start for e in a.split_brain.episodes] == [30.0, 60.0]


def test_the_log_keeps_the_last_episodes_and_counts_all():
    log = SplitBrainLog()
    for i in range(EPISODES_KEPT + 3):
        assert log.heard_lower_master(i * 10.0, 1.0, ours=A, our_priority=200, peer=B,
                                      peer_priority=100)
    assert log.count == EPISODES_KEPT + 3
    assert len(log.episodes) == EPISODES_KEPT
    assert log.episodes[0].start == 30.0


def test_preemption_is_no_episode_and_sends_no_announce():
    # b (100) follows a (200); a's priority drops to 90: b preempts while hearing a; a
    # comes back at 200 and b yields: a plain preemption, no split brain, no announce
    _a, b = pair(split_brain_announce=True)
    low, high = (Advertisement(3, 51, p, 100, (VIP,)) for p in (90, 200))
    assert b.handle(AdvertReceived(low, A), now=b.clock + 0.5)  # "... - discarding"
    deadline = b.next_deadline()
    assert deadline is not None
    b.handle(Timeout(), now=deadline)
    assert b.state is State.MASTER
    yielded = b.handle(AdvertReceived(high, A), now=b.clock + 0.1)
    assert b.state is State.BACKUP
    assert b.stats.split_brain_episodes == 0
    assert not adverts(yielded)
