"""Partitions, loss, duplication and reordering on the virtual LAN; v2 and v3 side by side.

Expected times are literals worked out from RFC 3768/5798 §6.1, never computed by the
product's timing functions (each comment says how).
"""

from __future__ import annotations

import pytest

from pykeepalived.sim.network import LinkFaults
from pykeepalived.sim.scenario import build_cluster
from pykeepalived.vrrp.instance import VrrpInstance


def test_partition_gives_two_masters_and_heal_leaves_one_within_an_advert_interval() -> None:
    cluster = build_cluster([150, 100])
    cluster.start_all()
    cluster.run_until(10)
    cluster.partition({"n1"}, {"n2"})
    cluster.run_until(20.5)
    # n1's last advert heard is 9.4140625; v2 Master_Down_Interval(100) = 3 + 156/256 s
    split = 13.0234375
    assert cluster.timeline.first_entered("n2", "VI_1", "MASTER") == split
    assert cluster.masters("VI_1") == {"n1", "n2"}
    assert cluster.timeline.vip_holders("VI_1", 20.5) == {"n1", "n2"}
    cluster.heal()
    cluster.run_until(30)
    # n2's next advert (21.0234375) reaches n1, which answers at once ("forcing new
    # election"); n2 hears 150 > 100 and steps down in the same instant.
    resolved = cluster.timeline.entered("n2", "VI_1", "BACKUP", after=split)
    assert resolved == [21.0234375]
    assert resolved[0] - 20.5 <= 1.0
    assert cluster.masters("VI_1") == {"n1"}
    assert any("forcing new election" in m for m in cluster.timeline.messages("n1"))


def test_three_way_partition_heals_to_the_highest() -> None:
    cluster = build_cluster([100, 150, 120])
    cluster.start_all()
    cluster.run_until(10)
    cluster.partition({"n1"}, {"n2"}, {"n3"})
    cluster.run_until(20)
    assert cluster.masters("VI_1") == {"n1", "n2", "n3"}
    cluster.heal()
    cluster.run_until(21.0)
    assert cluster.masters("VI_1") == {"n2"}


def test_v3_node_ignores_v2_adverts_so_mixed_versions_do_not_form_one_cluster() -> None:
    cluster = build_cluster([150, 100], per_node={2: {"version": 3}})
    cluster.start_all()
    cluster.run_until(10)
    assert cluster.masters("VI_1") == {"n1", "n2"}
    # each side refused the other's adverts on the version check, and counted them
    for node in ("n1", "n2"):
        core = cluster.core(node, "VI_1")
        assert isinstance(core, VrrpInstance)
        assert core.stats.vers_err > 0
        assert core.stats.advert_rcvd == 0


def test_separate_v2_and_v3_clusters_elect_independently() -> None:
    v2 = build_cluster([150, 100])
    v3 = build_cluster([150, 100], version=3, advert_int_cs=10)
    for cluster in (v2, v3):
        cluster.start_all()
        cluster.run_until(10)
        assert cluster.masters("VI_1") == {"n1"}
    # v3 at 10 cs: 3 x 10 + (256 - 150) x 10 / 256 = 34.140625 cs
    assert v3.timeline.first_entered("n1", "VI_1", "MASTER") == 0.34140625
    # v2 at 1 s: 3 + (256 - 150) / 256 = 3.4140625 s
    assert v2.timeline.first_entered("n1", "VI_1", "MASTER") == 3.4140625


def test_v3_backup_adopts_the_masters_interval() -> None:
    cluster = build_cluster([150, 100], version=3, per_node={1: {"advert_int_cs": 50}})
    cluster.start_all()
    cluster.run_until(10)
    cluster.crash("n1")
    cluster.run_until(20)
    # RFC 5798 §6.1, all in cs. n1 (150, 50 cs): 3 x 50 + 106 x 50 / 256 = 170.703125, so
    # master at 1.70703125 s; adverts every 0.5 s, the last before 10 at 1.70703125 + 16 x
    # 0.5 = 9.70703125. n2 (100) learnt Master_Adver_Interval 50 cs from them, not its own
    # 100: 3 x 50 + 156 x 50 / 256 = 180.46875 cs. 9.70703125 + 1.8046875 = 11.51171875.
    assert cluster.timeline.first_entered("n2", "VI_1", "MASTER") == 11.51171875


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_lossy_network_still_converges_to_one_master(seed: int) -> None:
    faults = LinkFaults(loss=0.15, duplicate=0.05, delay=0.002, jitter=0.01)
    cluster = build_cluster([150, 100, 120], seed=seed, faults=faults)
    cluster.start_all()
    cluster.run_until(120)
    assert cluster.lan.dropped > 0
    assert cluster.masters("VI_1") == {"n1"}
    # split brains are rare and short: one master for most of the run
    samples = [cluster.timeline.masters("VI_1", 5 + 0.25 * k) for k in range(460)]
    single = sum(1 for s in samples if s == {"n1"})
    assert single / len(samples) > 0.9


def test_heavy_duplication_and_reordering_do_not_break_the_election() -> None:
    faults = LinkFaults(duplicate=0.5, delay=0.01, jitter=0.3)
    cluster = build_cluster([150, 100, 120], seed=7, faults=faults)
    cluster.start_all()
    cluster.run_until(60)
    assert cluster.lan.duplicated > 0
    assert cluster.masters("VI_1") == {"n1"}
    # a cold-start advert can arrive after a lower node's timer (jitter > skew gap), but
    # once settled, duplicated and reordered adverts never unseat the master
    assert cluster.timeline.entered("n2", "VI_1", "MASTER", after=10) == []
    assert cluster.timeline.entered("n3", "VI_1", "MASTER", after=10) == []
