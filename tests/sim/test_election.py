"""Elections on the virtual LAN, asserted at exact virtual times (RFC 3768/5798 §6.1 timers).

Expected times are literals worked out from the RFCs, never computed by the product's
timing functions. v2 (RFC 3768 §6.1, advert_int 1 s): Skew_Time = (256 - Priority) / 256 s,
Master_Down_Interval = 3 x 1 s + Skew_Time.
"""

from __future__ import annotations

import pytest

from pykeepalived.sim.network import LinkFaults
from pykeepalived.sim.scenario import build_cluster

V2_200_DOWN = 3.21875  # 3 x 1 s + (256 - 200) / 256 s = 3 + 56/256
V2_150_DOWN = 3.4140625  # 3 x 1 s + (256 - 150) / 256 s = 3 + 106/256
V2_100_DOWN = 3.609375  # 3 x 1 s + (256 - 100) / 256 s = 3 + 156/256


def test_cold_start_v2_highest_priority_is_master_at_exactly_its_down_interval() -> None:
    cluster = build_cluster([150, 100])
    cluster.start_all()
    cluster.run_until(10)
    timeline = cluster.timeline
    assert timeline.first_entered("n1", "VI_1", "MASTER") == V2_150_DOWN
    assert timeline.entered("n2", "VI_1", "MASTER") == []
    assert timeline.masters("VI_1", V2_150_DOWN - 1e-9) == set()
    assert timeline.masters("VI_1", 10) == {"n1"}
    assert timeline.vip_holders("VI_1", 10) == {"n1"}
    assert cluster.state("n2", "VI_1") == "BACKUP"


def test_cold_start_v3_with_tenth_second_adverts_scales_the_timers() -> None:
    cluster = build_cluster([150, 100], version=3, advert_int_cs=10)
    cluster.start_all()
    cluster.run_until(2)
    # RFC 5798 §6.1, priority 150, Master_Adver_Interval 10 cs: Skew_Time =
    # ((256 - 150) x 10) / 256 = 4.140625 cs; Master_Down_Interval = 3 x 10 + 4.140625
    # = 34.140625 cs. (The v2 rule, unscaled by the interval, would give 0.7140625 s.)
    assert cluster.timeline.first_entered("n1", "VI_1", "MASTER") == 0.34140625
    assert cluster.masters("VI_1") == {"n1"}


def test_a_later_starting_higher_node_preempts_at_its_own_down_interval() -> None:
    cluster = build_cluster([100, 200, 150])
    cluster.start("n1")
    cluster.start("n3")
    cluster.run_until(0.5)
    cluster.start("n2")
    cluster.run_until(10)
    timeline = cluster.timeline
    assert timeline.first_entered("n3", "VI_1", "MASTER") == V2_150_DOWN
    takeover = 0.5 + V2_200_DOWN  # n3's 150 adverts are discarded: 3.71875
    assert timeline.first_entered("n2", "VI_1", "MASTER") == takeover
    assert timeline.entered("n3", "VI_1", "BACKUP", after=V2_150_DOWN) == [takeover]
    assert cluster.masters("VI_1") == {"n2"}


def test_equal_priority_simultaneous_masters_resolve_to_the_higher_primary_address() -> None:
    delay = 0.001
    cluster = build_cluster([100, 100], faults=LinkFaults(delay=delay))
    cluster.start_all()
    cluster.run_until(10)
    timeline = cluster.timeline
    # both down timers fire at the same instant: both become MASTER...
    assert timeline.masters("VI_1", V2_100_DOWN) == {"n1", "n2"}
    # ...and n1 (192.0.2.11) yields when n2's (192.0.2.12) advert arrives
    assert timeline.entered("n1", "VI_1", "BACKUP", after=V2_100_DOWN) == [V2_100_DOWN + delay]
    assert timeline.masters("VI_1", V2_100_DOWN + delay) == {"n2"}
    assert cluster.masters("VI_1") == {"n2"}
    assert any("same priority 100 but higher IP address" in m for m in timeline.messages("n1"))


def test_equal_priority_backup_never_preempts_by_address_alone() -> None:
    cluster = build_cluster([100, 100])
    cluster.start("n1")
    cluster.run_until(5)
    cluster.start("n2")
    cluster.run_until(20)
    assert cluster.masters("VI_1") == {"n1"}
    assert cluster.timeline.entered("n2", "VI_1", "MASTER") == []


# the top (200) is master at 3.21875 and adverts every 1 s: its last before the crash at 10
# is 9.21875; the runner-up (150 in both) takes over Master_Down_Interval(150) later:
# 9.21875 + 3.4140625 = 12.6328125
@pytest.mark.parametrize(("count", "expected"), [(3, 12.6328125), (5, 12.6328125)])
def test_bigger_clusters_elect_the_highest_and_fail_over_in_priority_order(
    count: int, expected: float
) -> None:
    priorities = [60, 200, 150, 90, 120][:count]
    cluster = build_cluster(priorities)
    cluster.start_all()
    cluster.run_until(10)
    ranked = sorted(range(1, count + 1), key=lambda i: -priorities[i - 1])
    first, second = (f"n{i}" for i in ranked[:2])
    assert cluster.timeline.first_entered(first, "VI_1", "MASTER") == V2_200_DOWN
    cluster.crash(first)
    cluster.run_until(20)
    assert cluster.timeline.first_entered(second, "VI_1", "MASTER") == expected
    assert cluster.masters("VI_1") == {second}
    assert cluster.timeline.vip_holders("VI_1", 20) == {second}
