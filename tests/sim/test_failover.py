"""Master loss and return: crash, graceful stop, preempt, nopreempt, preempt_delay.

Expected times are literals worked out from RFC 3768 §6.1 (v2, advert_int 1 s), never
computed by the product's timing functions: Skew_Time = (256 - Priority) / 256 s and
Master_Down_Interval = 3 x 1 s + Skew_Time. Priority 150: 106/256 = 0.4140625, so
3.4140625; priority 100: 156/256 = 0.609375, so 3.609375.
"""

from __future__ import annotations

from pykeepalived.sim.scenario import build_cluster

N1_MASTER_AT = 3.4140625  # 150 node, v2, advert_int 1: 3 + 106/256


def test_crash_backup_takes_over_master_down_interval_after_the_last_advert_heard() -> None:
    cluster = build_cluster([150, 100])
    cluster.start_all()
    cluster.run_until(10)
    cluster.crash("n1")
    assert cluster.timeline.vip_holders("VI_1", 10) == set()  # the crashed node's VIPs are gone
    cluster.run_until(20)
    # n1's last advert: 3.4140625 + 6 x 1 s = 9.4140625; + Master_Down_Interval(100) 3.609375
    takeover = 13.0234375
    assert cluster.timeline.first_entered("n2", "VI_1", "MASTER") == takeover
    assert cluster.timeline.vip_holders("VI_1", takeover) == {"n2"}
    assert cluster.timeline.vip_holders("VI_1", takeover - 1e-9) == set()


def test_graceful_stop_hands_over_after_exactly_skew_time() -> None:
    cluster = build_cluster([150, 100])
    cluster.start_all()
    cluster.run_until(10)
    cluster.stop("n1")
    cluster.run_until(20)
    # priority 0 heard at 10: n2 waits its Skew_Time, 156/256 = 0.609375 s
    assert cluster.timeline.first_entered("n2", "VI_1", "MASTER") == 10.609375
    assert "(VI_1) Backup received priority 0 advertisement" in cluster.timeline.messages("n2")
    assert cluster.timeline.vip_holders("VI_1", 10) == set()


def test_higher_node_returning_preempts_after_its_down_interval() -> None:
    cluster = build_cluster([150, 100])
    cluster.start_all()
    cluster.run_until(10)
    cluster.crash("n1")
    cluster.run_until(20)
    cluster.start("n1")
    cluster.run_until(40)
    timeline = cluster.timeline
    back = 23.4140625  # 20 + Master_Down_Interval(150); n2's 100 adverts are discarded
    assert timeline.entered("n1", "VI_1", "MASTER") == [N1_MASTER_AT, back]
    assert timeline.entered("n2", "VI_1", "BACKUP", after=13.1) == [back]
    assert cluster.masters("VI_1") == {"n1"}
    assert any("lower priority (100) advert" in m for m in timeline.messages("n1"))


def test_nopreempt_keeps_the_current_master_when_a_higher_node_returns() -> None:
    cluster = build_cluster([150, 100], per_node={1: {"preempt": False}})
    cluster.start_all()
    cluster.run_until(10)
    assert cluster.masters("VI_1") == {"n1"}  # nopreempt does not stop a cold-start election
    cluster.crash("n1")
    cluster.run_until(20)
    cluster.start("n1")
    cluster.run_until(60)
    assert cluster.timeline.entered("n1", "VI_1", "MASTER") == [N1_MASTER_AT]
    assert cluster.masters("VI_1") == {"n2"}
    assert cluster.timeline.vip_holders("VI_1", 60) == {"n2"}


def test_preempt_delay_holds_the_higher_node_back_then_it_takes_over() -> None:
    cluster = build_cluster([150, 100], per_node={1: {"preempt_delay": 5.0}})
    cluster.start_all()
    cluster.run_until(10)
    cluster.crash("n1")
    cluster.run_until(20)  # n2 master at 13.0234375, adverts at 13.0234375 + k
    cluster.start("n1")
    cluster.run_until(40)
    # n1 hears n2 first at 20.0234375: preempt timer until 25.0234375. Adverts before that
    # are accepted (down timer reset); from 25.0234375 on they are discarded, so n1 takes
    # over one Master_Down_Interval after the last accepted one (24.0234375).
    expected = 27.4375  # 24.0234375 + Master_Down_Interval(150) 3.4140625
    assert cluster.timeline.entered("n1", "VI_1", "MASTER") == [N1_MASTER_AT, expected]
    assert cluster.masters("VI_1") == {"n1"}


def test_restart_of_a_backup_changes_nothing() -> None:
    cluster = build_cluster([150, 100])
    cluster.start_all()
    cluster.run_until(10)
    cluster.crash("n2")
    cluster.run_until(12)
    cluster.start("n2")
    cluster.run_until(30)
    assert cluster.timeline.entered("n2", "VI_1", "MASTER") == []
    assert cluster.timeline.entered("n1", "VI_1", "MASTER") == [N1_MASTER_AT]


def test_address_owner_takes_over_at_startup_and_priority_zero_hands_back() -> None:
    cluster = build_cluster([255, 100], unicast=True)
    cluster.start("n2")
    cluster.run_until(5)
    cluster.start("n1")  # owner: MASTER at Startup, no down timer
    assert cluster.state("n1", "VI_1") == "MASTER"
    cluster.run_until(5)  # its first advert reaches n2 in the same instant
    assert cluster.timeline.entered("n2", "VI_1", "BACKUP", after=4) == [5.0]
    assert cluster.masters("VI_1") == {"n1"}
    cluster.run_until(8)
    cluster.stop("n1")
    cluster.run_until(20)
    # priority 0 at 8: n2 (100) waits Skew_Time 156/256 = 0.609375 s
    assert cluster.timeline.first_entered("n2", "VI_1", "MASTER", after=5) == 8.609375
    assert cluster.masters("VI_1") == {"n2"}
