"""Election properties over generated clusters and crash/restart/stop/priority sequences.

Preempting clusters: once the loss-free LAN has been quiet for Master_Down_Interval plus
one advert interval, exactly one running node is MASTER and it has the highest effective
priority (the highest address among equals only matters when equals meet as masters, so
the generated top priority is checked as a value). nopreempt clusters: at most one master
once settled, and a sole master is never displaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypothesis import given
from hypothesis import strategies as st

from pykeepalived.sim.scenario import build_cluster
from pykeepalived.vrrp.tracking import TrackKind, TrackSpec

if TYPE_CHECKING:
    from pykeepalived.sim.cluster import Cluster

ADVERT_S = 1.0


def v2_master_down_interval(priority: int) -> float:
    """RFC 3768 §6.1 at advert_int 1 s, written out here rather than taken from the product:
    3 x 1 s + (256 - Priority) / 256 s = (1024 - Priority) / 256 s (exact in a float)."""
    return (1024 - priority) / 256


#: The longest Master_Down_Interval a non-owner can have (priority 1: 3.99609375 s) plus
#: one advert.
SETTLE = 3.99609375 + ADVERT_S


@dataclass(frozen=True)
class Op:
    kind: str  # crash | stop | restart | weight
    node: int
    gap: float  # virtual seconds before the op
    value: int = 0  # track_file value for "weight"


ops = st.builds(
    Op,
    kind=st.sampled_from(["crash", "stop", "restart", "weight"]),
    node=st.integers(0, 4),
    gap=st.sampled_from([0.0, 0.05, 0.3, 0.5, 1.0, 2.0, 3.3, 4.0, 7.5]),
    value=st.integers(-60, 60),
)


def apply(cluster: Cluster, op: Op) -> None:
    name = f"n{op.node % len(cluster.nodes) + 1}"
    running = cluster.nodes[name].running
    if op.kind == "crash" and running:
        cluster.crash(name)
    elif op.kind == "stop" and running:
        cluster.stop(name)
    elif op.kind == "restart" and not running:
        cluster.start(name)
    elif op.kind == "weight":
        cluster.set_file(name, "prio", op.value)


def run_ops(cluster: Cluster, sequence: list[Op]) -> float:
    cluster.start_all()
    cluster.run_until(5.0)
    for op in sequence:
        cluster.run_for(op.gap)
        apply(cluster, op)
    if not any(node.running for node in cluster.nodes.values()):
        cluster.start("n1")
    settled = cluster.now + SETTLE
    cluster.run_until(settled)
    return settled


def effective(cluster: Cluster, name: str) -> int:
    tracker = cluster.nodes[name].instances["VI_1"].tracker
    assert tracker is not None
    return tracker.effective_priority


def tracked_cluster(priorities: list[int], **kwargs: object) -> Cluster:
    spec = TrackSpec(TrackKind.FILE, "prio", weight=1)
    tracks = {i: [spec] for i in range(1, len(priorities) + 1)}
    return build_cluster(priorities, tracks=tracks, **kwargs)  # type: ignore[arg-type]


@given(
    priorities=st.lists(st.integers(1, 254), min_size=2, max_size=5),
    sequence=st.lists(ops, max_size=12),
)
def test_preempting_cluster_settles_on_the_highest_effective_priority(
    priorities: list[int], sequence: list[Op]
) -> None:
    cluster = tracked_cluster(priorities)
    run_ops(cluster, sequence)
    running = [n for n, node in cluster.nodes.items() if node.running]
    masters = cluster.masters("VI_1")
    assert len(masters) == 1, cluster.timeline.render()
    (master,) = masters
    best = max(effective(cluster, n) for n in running)
    assert effective(cluster, master) == best, cluster.timeline.render()
    assert cluster.timeline.vip_holders("VI_1", cluster.now) == masters


@given(
    priorities=st.lists(st.integers(1, 254), min_size=2, max_size=5, unique=True),
)
def test_cold_start_elects_the_unique_highest_at_its_down_interval(priorities: list[int]) -> None:
    cluster = build_cluster(priorities)
    cluster.start_all()
    cluster.run_until(SETTLE + 5)
    top = max(priorities)
    winner = f"n{priorities.index(top) + 1}"
    assert cluster.masters("VI_1") == {winner}
    expected = v2_master_down_interval(top)
    assert cluster.timeline.first_entered(winner, "VI_1", "MASTER") == expected
    assert len(cluster.timeline.transitions) == len(priorities) + 1


@given(
    priorities=st.lists(st.integers(1, 254), min_size=2, max_size=5),
    sequence=st.lists(ops.filter(lambda op: op.kind != "weight"), max_size=12),
)
def test_nopreempt_master_is_never_displaced_and_settles_to_one(
    priorities: list[int], sequence: list[Op]
) -> None:
    cluster = build_cluster(priorities, preempt=False)
    run_ops(cluster, sequence)
    assert len(cluster.masters("VI_1")) == 1, cluster.timeline.render()
    masters: set[str] = set()
    for change in cluster.timeline.transitions:  # replayed in order: same-instant safe
        if change.old == "MASTER" and change.new == "BACKUP":
            # only a dual-master resolution may demote a master; a sole master stays
            assert len(masters) >= 2, cluster.timeline.render()
        if change.new == "MASTER":
            masters.add(change.node)
        else:
            masters.discard(change.node)
