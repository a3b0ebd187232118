"""Track scripts and interfaces moving (or not moving) the VIP, at exact virtual times.

The two weight rules of the seed article: with a positive weight the master loses on a
script failure only if master_prio < backup_prio + weight; with a negative weight only if
master_prio - |weight| < backup_prio.

Expected times are literals from RFC 3768 §6.1 (v2, advert_int 1 s), not the product's
timing functions: Skew_Time = (256 - Priority) / 256 s, Master_Down_Interval = 3 s + it,
with the effective priority (keepalived feeds the tracked priority into both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pykeepalived.sim.node import SimScript
from pykeepalived.sim.scenario import build_cluster
from pykeepalived.vrrp.tracking import ScriptResult, TrackKind, TrackSpec

if TYPE_CHECKING:
    from pykeepalived.sim.cluster import Cluster

OK = ScriptResult.exited(0)
FAIL = ScriptResult.exited(1)


def scripted_pair(weight: int) -> Cluster:
    spec = TrackSpec(TrackKind.SCRIPT, "chk", weight=weight)
    cluster = build_cluster([150, 100], tracks={1: [spec], 2: [spec]})
    for node in ("n1", "n2"):
        cluster.add_script(node, SimScript("chk"))
    cluster.start_all()
    for node in ("n1", "n2"):
        cluster.script_result(node, "chk", OK)
    return cluster


# weight 60 moves: n1 ran at 210 from t=0, master at 3 + 46/256 = 3.1796875, last advert
# before 10 at 9.1796875; n2 at 160 takes over 3 + 96/256 = 3.375 s later: 12.5546875
@pytest.mark.parametrize(("weight", "moves", "takeover"),
                         [(60, True, 12.5546875), (40, False, None), (50, False, None)])
def test_positive_weight_rule(weight: int, moves: bool, takeover: float | None) -> None:
    cluster = scripted_pair(weight)
    cluster.run_until(10)
    assert cluster.masters("VI_1") == {"n1"}
    cluster.script_result("n1", "chk", FAIL)
    cluster.run_until(30)
    assert (100 + weight > 150) is moves
    if moves:
        assert cluster.timeline.first_entered("n2", "VI_1", "MASTER") == takeover
        assert cluster.timeline.entered("n1", "VI_1", "BACKUP", after=5) == [takeover]
        assert cluster.masters("VI_1") == {"n2"}
    else:
        assert cluster.masters("VI_1") == {"n1"}
        assert cluster.timeline.entered("n2", "VI_1", "MASTER") == []
    messages = cluster.timeline.messages("n1")
    assert "VRRP_Script(chk) failed (exited with status 1)" in messages
    assert f"(VI_1) Changing effective priority from {150 + weight} to 150" in messages


@pytest.mark.parametrize(("weight", "moves"), [(-60, True), (-40, False), (-50, False)])
def test_negative_weight_rule(weight: int, moves: bool) -> None:
    cluster = scripted_pair(weight)
    cluster.run_until(10)
    cluster.script_result("n1", "chk", FAIL)
    cluster.run_until(30)
    assert (150 - abs(weight) < 100) is moves
    if moves:
        # 9.4140625 + Master_Down_Interval(100) 3 + 156/256 = 13.0234375
        assert cluster.timeline.first_entered("n2", "VI_1", "MASTER") == 13.0234375
        assert cluster.masters("VI_1") == {"n2"}
    else:
        assert cluster.masters("VI_1") == {"n1"}
    assert f"(VI_1) Changing effective priority from 150 to {150 + weight}" in (
        cluster.timeline.messages("n1")
    )


def test_recovered_script_takes_the_vip_back() -> None:
    cluster = scripted_pair(-60)
    cluster.run_until(10)
    cluster.script_result("n1", "chk", FAIL)
    cluster.run_until(20)
    cluster.script_result("n1", "chk", OK)  # back to 150: preempts the 100 master
    cluster.run_until(40)
    # n2 is master from 13.0234375; n1 last accepted its advert at 19.0234375. The priority
    # change shifts n1's running down timer to Master_Down_Interval(150) after that advert
    # (keepalived's vrrp_set_effective_priority), and later 100 adverts are discarded.
    # 19.0234375 + 3 + 106/256 = 22.4375
    assert cluster.timeline.entered("n1", "VI_1", "MASTER")[-1] == 22.4375
    assert cluster.masters("VI_1") == {"n1"}


def test_weight_zero_script_holds_fault_until_it_succeeds_and_faults_on_failure() -> None:
    spec = TrackSpec(TrackKind.SCRIPT, "chk")
    cluster = build_cluster([150, 100], tracks={1: [spec]})
    cluster.add_script("n1", SimScript("chk", fall=2))
    cluster.start_all()
    assert cluster.state("n1", "VI_1") == "FAULT"  # no result yet: keepalived holds it down
    cluster.script_result("n1", "chk", OK)
    assert cluster.state("n1", "VI_1") == "BACKUP"
    cluster.run_until(10.2)
    assert cluster.timeline.first_entered("n1", "VI_1", "MASTER") == 3.4140625
    cluster.script_result("n1", "chk", FAIL)
    assert cluster.state("n1", "VI_1") == "MASTER"  # fall 2: one failure is not enough
    cluster.run_until(10.7)
    cluster.script_result("n1", "chk", FAIL)
    cluster.run_until(20)
    assert cluster.timeline.entered("n1", "VI_1", "FAULT") == [0.0, 10.7]
    # the leaving master sends priority 0: the backup waits only its Skew_Time, 156/256 s
    assert cluster.timeline.first_entered("n2", "VI_1", "MASTER") == 10.7 + 0.609375
    assert cluster.timeline.vip_holders("VI_1", 20) == {"n2"}
    assert "(VI_1) Entering FAULT STATE" in cluster.timeline.messages("n1")


def test_interface_down_faults_and_survives_a_restart() -> None:
    spec = TrackSpec(TrackKind.INTERFACE, "eth1")
    cluster = build_cluster([150, 100], tracks={1: [spec]})
    cluster.start_all()
    cluster.run_until(10)
    cluster.set_interface("n1", "eth1", up=False)
    cluster.run_until(12)
    assert cluster.state("n1", "VI_1") == "FAULT"
    cluster.crash("n1")
    cluster.run_until(13)
    cluster.start("n1")  # the link is still down: it comes back in FAULT
    assert cluster.state("n1", "VI_1") == "FAULT"
    cluster.set_interface("n1", "eth1", up=True)
    cluster.run_until(30)
    assert cluster.masters("VI_1") == {"n1"}
    # up again at 13: Master_Down_Interval(150) = 3 + 106/256 s later
    assert cluster.timeline.entered("n1", "VI_1", "MASTER")[-1] == 16.4140625


def test_track_file_weight_moves_priority_and_low_values_fault() -> None:
    spec = TrackSpec(TrackKind.FILE, "maint", weight=1)
    cluster = build_cluster([150, 100], tracks={1: [spec]})
    cluster.start_all()
    cluster.run_until(10)
    cluster.set_file("n1", "maint", -60)  # 150 - 60 = 90 < 100: the VIP moves
    cluster.run_until(20)
    assert cluster.masters("VI_1") == {"n2"}
    assert cluster.core("n1", "VI_1").state == "BACKUP"
    cluster.set_file("n1", "maint", -254)
    assert cluster.state("n1", "VI_1") == "FAULT"
