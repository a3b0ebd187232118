"""Properties of the tracking arithmetic, and the seed article's two weight rules end to end."""

from __future__ import annotations

import itertools

from hypothesis import assume, given
from hypothesis import strategies as st

from pykeepalived.sim.node import SimScript
from pykeepalived.sim.scenario import build_cluster
from pykeepalived.vrrp.tracking import (
    PriorityTracker,
    ScriptResult,
    ScriptStatus,
    ScriptTracker,
    TrackKind,
    TrackSpec,
    default_reading,
    effect_of,
)

results = st.lists(st.booleans(), min_size=1, max_size=40)


def reference_status(rise: int, fall: int, outcomes: list[bool]) -> ScriptStatus:
    """An independent model: the first result decides; later, runs of rise/fall flip it."""
    status = ScriptStatus.GOOD if outcomes[0] else ScriptStatus.BAD
    run = 0
    for previous, current in itertools.pairwise(outcomes):
        run = run + 1 if current == previous else 1
        if current and status is ScriptStatus.BAD and run >= rise:
            status = ScriptStatus.GOOD
        if not current and status is ScriptStatus.GOOD and run >= fall:
            status = ScriptStatus.BAD
    return status


@given(rise=st.integers(1, 5), fall=st.integers(1, 5), outcomes=results)
def test_script_debounce_matches_run_length_model(
    rise: int, fall: int, outcomes: list[bool]
) -> None:
    tracker = ScriptTracker("chk", rise=rise, fall=fall)
    for index, ok in enumerate(outcomes):
        verdict = tracker.record(ScriptResult.exited(0 if ok else 1))
        expected = reference_status(rise, fall, outcomes[: index + 1])
        assert verdict.status is expected
        flipped = any(line.startswith("VRRP_Script(chk)") for line in verdict.logs)
        assert flipped == verdict.changed


specs = st.builds(
    TrackSpec,
    kind=st.sampled_from(list(TrackKind)),
    name=st.sampled_from(["a", "b", "c"]),
    weight=st.integers(-253, 253),
    reverse=st.booleans(),
)


def reading_for(kind: TrackKind) -> st.SearchStrategy[ScriptStatus | bool | int]:
    if kind is TrackKind.SCRIPT:
        return st.sampled_from(list(ScriptStatus))
    if kind is TrackKind.FILE:
        return st.integers(-300, 300)
    return st.booleans()


@given(
    base=st.integers(1, 255),
    spec_list=st.lists(specs, max_size=6, unique_by=lambda s: (s.kind, s.name)),
    data=st.data(),
)
def test_effective_priority_is_the_clamped_sum_and_events_track_changes(
    base: int, spec_list: list[TrackSpec], data: st.DataObject
) -> None:
    tracker = PriorityTracker("VI_1", base, spec_list)
    readings = {(s.kind, s.name): default_reading(s.kind) for s in spec_list}
    for _ in range(10):
        if not spec_list:
            break
        spec = data.draw(st.sampled_from(spec_list))
        value = data.draw(reading_for(spec.kind))
        before = (tracker.effective_priority, tracker.faulted)
        update = tracker.reading_changed(spec.kind, spec.name, value)
        readings[(spec.kind, spec.name)] = value
        effects = [effect_of(s, readings[(s.kind, s.name)]) for s in spec_list]
        assert tracker.faulted == any(e.fault is not None for e in effects)
        total = base + sum(e.adjust for e in effects)
        expected = 255 if base == 255 else max(1, min(254, total))
        assert tracker.effective_priority == expected
        after = (tracker.effective_priority, tracker.faulted)
        kinds = {type(e).__name__ for e in update.events}
        assert ("PriorityChanged" in kinds) == (after[0] != before[0])
        assert ("FaultChanged" in kinds) == (after[1] != before[1])


def failover_after_script_failure(master: int, backup: int, weight: int) -> bool:
    spec = TrackSpec(TrackKind.SCRIPT, "chk", weight=weight)
    cluster = build_cluster([master, backup], tracks={1: [spec], 2: [spec]})
    for node in ("n1", "n2"):
        cluster.add_script(node, SimScript("chk"))
    cluster.start_all()
    for node in ("n1", "n2"):
        cluster.script_result(node, "chk", ScriptResult.exited(0))
    cluster.run_until(10)
    assert cluster.masters("VI_1") == {"n1"}
    cluster.script_result("n1", "chk", ScriptResult.exited(1))
    cluster.run_until(20)
    masters = cluster.masters("VI_1")
    assert len(masters) == 1
    return masters == {"n2"}


@given(
    backup=st.integers(1, 200), gap=st.integers(1, 100), weight=st.integers(1, 150)
)
def test_positive_weight_master_loses_iff_master_below_backup_plus_weight(
    backup: int, gap: int, weight: int
) -> None:
    master = backup + gap
    assume(master + weight <= 254)  # the article's rule is about unclamped priorities
    moved = failover_after_script_failure(master, backup, weight)
    assert moved == (master < backup + weight)


@given(
    backup=st.integers(1, 200), gap=st.integers(1, 100), weight=st.integers(1, 150)
)
def test_negative_weight_master_loses_iff_master_minus_weight_below_backup(
    backup: int, gap: int, weight: int
) -> None:
    master = backup + gap
    assume(master <= 254 and master - weight >= 1)
    moved = failover_after_script_failure(master, backup, -weight)
    assert moved == (master - weight < backup)
