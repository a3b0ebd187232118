"""Tracking arithmetic against keepalived 2.2.7's vrrp_scheduler.c / vrrp_track.c behaviour."""

from __future__ import annotations

import pytest

from pykeepalived.vrrp.tracking import (
    FaultChanged,
    PriorityChanged,
    PriorityTracker,
    ScriptResult,
    ScriptStatus,
    ScriptTracker,
    TrackKind,
    TrackSpec,
    clamp_priority,
    default_reading,
    effect_of,
    file_status,
    weighted_adjustment,
)

OK = ScriptResult.exited(0)
FAIL = ScriptResult.exited(1)


def feed(tracker: ScriptTracker, results: list[ScriptResult]) -> list[ScriptStatus]:
    return [tracker.record(r).status for r in results]


def test_script_starts_in_init_and_one_success_decides_even_with_rise_3() -> None:
    chk = ScriptTracker("chk", rise=3, fall=2)
    assert chk.status is ScriptStatus.INIT
    verdict = chk.record(OK)
    assert verdict.status is ScriptStatus.GOOD
    assert verdict.changed
    assert verdict.logs == ("VRRP_Script(chk) succeeded",)


def test_first_failure_logs_status_change_and_failure_reason() -> None:
    chk = ScriptTracker("chk", rise=3, fall=2)
    verdict = chk.record(FAIL)
    assert verdict.status is ScriptStatus.BAD
    assert verdict.logs == (
        "Script `chk` now returning 1",
        "VRRP_Script(chk) failed (exited with status 1)",
    )


def test_fall_consecutive_failures_turn_good_to_bad() -> None:
    chk = ScriptTracker("chk", rise=2, fall=3)
    chk.record(OK)
    assert feed(chk, [FAIL, FAIL]) == [ScriptStatus.GOOD, ScriptStatus.GOOD]
    last = chk.record(FAIL)
    assert last.status is ScriptStatus.BAD
    assert last.changed
    assert last.logs == ("VRRP_Script(chk) failed (exited with status 1)",)


def test_a_success_between_failures_resets_the_fall_count() -> None:
    chk = ScriptTracker("chk", rise=1, fall=3)
    chk.record(OK)
    statuses = feed(chk, [FAIL, FAIL, OK, FAIL, FAIL])
    assert statuses == [ScriptStatus.GOOD] * 5
    assert chk.record(FAIL).status is ScriptStatus.BAD


def test_rise_consecutive_successes_turn_bad_to_good() -> None:
    chk = ScriptTracker("chk", rise=3, fall=1)
    chk.record(FAIL)
    assert feed(chk, [OK, OK]) == [ScriptStatus.BAD, ScriptStatus.BAD]
    verdict = chk.record(OK)
    assert verdict.status is ScriptStatus.GOOD
    assert verdict.logs == ("VRRP_Script(chk) succeeded",)


def test_a_failure_while_bad_restarts_the_rise_count() -> None:
    chk = ScriptTracker("chk", rise=2, fall=1)
    chk.record(FAIL)
    statuses = feed(chk, [OK, FAIL, OK])
    assert statuses == [ScriptStatus.BAD] * 3
    assert chk.record(OK).status is ScriptStatus.GOOD


def test_now_returning_is_logged_only_when_the_exit_status_changes() -> None:
    chk = ScriptTracker("chk", fall=3)
    chk.record(OK)
    assert chk.record(ScriptResult.exited(2)).logs == ("Script `chk` now returning 2",)
    assert chk.record(ScriptResult.exited(2)).logs == ()
    assert chk.record(ScriptResult.exited(3)).logs == (
        "Script `chk` now returning 3",
        "VRRP_Script(chk) failed (exited with status 3)",
    )


def test_timeout_and_signal_wording() -> None:
    chk = ScriptTracker("chk")
    assert chk.record(ScriptResult.timeout()).logs == ("VRRP_Script(chk) timed_out",)
    other = ScriptTracker("other")
    assert other.record(ScriptResult.killed(9)).logs == (
        "VRRP_Script(other) failed (due to signal 9)",
    )


def test_init_fail_starts_bad_and_needs_rise_successes() -> None:
    chk = ScriptTracker("chk", rise=2, init_fail=True)
    assert chk.status is ScriptStatus.BAD
    assert chk.record(OK).status is ScriptStatus.BAD
    assert chk.record(OK).status is ScriptStatus.GOOD


def test_script_added_by_reload_waits_without_holding_instances_down() -> None:
    chk = ScriptTracker("chk", added_by_reload=True)
    assert chk.status is ScriptStatus.INIT_RELOAD
    spec = TrackSpec(TrackKind.SCRIPT, "chk")
    assert effect_of(spec, chk.status).fault is None
    assert effect_of(spec, ScriptStatus.INIT).fault is not None


@pytest.mark.parametrize(("rise", "fall"), [(0, 1), (1, 0)])
def test_rise_and_fall_must_be_positive(rise: int, fall: int) -> None:
    with pytest.raises(ValueError, match="rise and fall"):
        ScriptTracker("chk", rise=rise, fall=fall)


def test_reload_keeps_a_good_script_good_and_logs_it() -> None:
    chk = ScriptTracker("chk", rise=2, fall=2)
    chk.record(OK)
    new, logs = chk.reloaded(rise=5, fall=1)
    assert new.status is ScriptStatus.GOOD
    assert logs == ("VRRP_Script(chk) considered successful on reload",)
    assert new.record(FAIL).status is ScriptStatus.BAD  # new fall=1 applies


def test_reload_keeps_a_bad_script_bad_and_its_progress() -> None:
    chk = ScriptTracker("chk", rise=3, fall=1)
    chk.record(FAIL)
    chk.record(OK)  # result 1: two more successes needed
    new, logs = chk.reloaded(rise=4, fall=1)
    assert logs == ("VRRP_Script(chk) considered unsuccessful on reload",)
    assert feed(new, [OK, OK]) == [ScriptStatus.BAD, ScriptStatus.GOOD]


def test_reload_of_a_script_that_never_ran_starts_over() -> None:
    new, logs = ScriptTracker("chk").reloaded(rise=2, fall=2)
    assert new.status is ScriptStatus.INIT
    assert logs == ()


@pytest.mark.parametrize(
    ("weight", "reverse", "ok", "expected"),
    [
        (20, False, True, 20),
        (20, False, False, 0),
        (-20, False, True, 0),
        (-20, False, False, -20),
        (20, True, True, -20),
        (20, True, False, 0),
        (-20, True, False, 20),
        (-20, True, True, 0),
        (20, False, None, 0),
        (-20, False, None, 0),
        (0, False, False, 0),
    ],
)
def test_weighted_adjustment(weight: int, reverse: bool, ok: bool | None, expected: int) -> None:
    assert weighted_adjustment(weight, reverse, ok) == expected


@pytest.mark.parametrize(
    ("value", "weight", "reverse", "expected"),
    [
        (0, 0, False, 0),
        (7, 0, False, -254),
        (0, 0, True, -254),
        (7, 0, True, 0),
        (3, 10, False, 30),
        (3, 10, True, -30),
        (-30, 10, False, -300),
    ],
)
def test_file_status(value: int, weight: int, reverse: bool, expected: int) -> None:
    assert file_status(value, weight, reverse) == expected


def test_file_fault_threshold_and_cap() -> None:
    spec = TrackSpec(TrackKind.FILE, "maint", weight=1)
    assert effect_of(spec, -253).fault is None
    assert effect_of(spec, -253).adjust == -253
    assert effect_of(spec, -254).fault == "tracked file maint has status -254"
    assert effect_of(spec, 400).adjust == 253


@pytest.mark.parametrize(
    ("base", "total", "expected"),
    [(150, 300, 254), (150, -40, 1), (150, 90, 90), (255, 10, 255), (255, 300, 255)],
)
def test_clamp(base: int, total: int, expected: int) -> None:
    assert clamp_priority(base, total) == expected


def test_negative_weight_script_failure_lowers_priority_with_keepalived_log() -> None:
    tracker = PriorityTracker("VI_1", 150, [TrackSpec(TrackKind.SCRIPT, "chk", weight=-60)])
    assert tracker.reading_changed(TrackKind.SCRIPT, "chk", ScriptStatus.GOOD).events == ()
    update = tracker.reading_changed(TrackKind.SCRIPT, "chk", ScriptStatus.BAD)
    assert update.events == (PriorityChanged(effective=90, reason="script chk bad"),)
    assert update.logs == ("(VI_1) Changing effective priority from 150 to 90",)
    assert tracker.effective_priority == 90


def test_positive_weight_counts_only_once_the_script_succeeds() -> None:
    tracker = PriorityTracker("VI_1", 100, [TrackSpec(TrackKind.SCRIPT, "chk", weight=30)])
    assert tracker.effective_priority == 100
    update = tracker.reading_changed(TrackKind.SCRIPT, "chk", ScriptStatus.GOOD)
    assert update.events == (PriorityChanged(effective=130, reason="script chk good"),)


def test_weight_zero_script_faults_before_first_result_and_while_bad() -> None:
    tracker = PriorityTracker("VI_1", 100, [TrackSpec(TrackKind.SCRIPT, "chk")])
    assert tracker.faulted
    up = tracker.reading_changed(TrackKind.SCRIPT, "chk", ScriptStatus.GOOD)
    assert up.events == (FaultChanged(faulted=False, reason="script chk good"),)
    down = tracker.reading_changed(TrackKind.SCRIPT, "chk", ScriptStatus.BAD)
    assert down.events == (FaultChanged(faulted=True, reason="script chk failed"),)
    assert tracker.effective_priority == 100


def test_fault_clears_only_when_every_weight_zero_tracker_is_fine() -> None:
    specs = [TrackSpec(TrackKind.INTERFACE, "eth0"), TrackSpec(TrackKind.INTERFACE, "eth1")]
    tracker = PriorityTracker("VI_1", 100, specs)
    assert not tracker.faulted
    first = tracker.reading_changed(TrackKind.INTERFACE, "eth0", False)
    assert first.events == (FaultChanged(faulted=True, reason="interface eth0 down"),)
    assert tracker.reading_changed(TrackKind.INTERFACE, "eth1", False).events == ()
    assert tracker.reading_changed(TrackKind.INTERFACE, "eth0", True).events == ()
    last = tracker.reading_changed(TrackKind.INTERFACE, "eth1", True)
    assert last.events == (FaultChanged(faulted=False, reason="interface eth1 up"),)


def test_weight_zero_reverse_faults_while_good() -> None:
    tracker = PriorityTracker(
        "VI_1", 100, [TrackSpec(TrackKind.PROCESS, "haproxy", reverse=True)],
        initial={(TrackKind.PROCESS, "haproxy"): False},
    )
    assert not tracker.faulted
    update = tracker.reading_changed(TrackKind.PROCESS, "haproxy", True)
    assert update.events == (
        FaultChanged(faulted=True, reason="tracked process haproxy quorum achieved"),
    )


def test_owner_priority_is_never_adjusted() -> None:
    tracker = PriorityTracker("VI_1", 255, [TrackSpec(TrackKind.INTERFACE, "eth1", weight=-50)])
    assert tracker.reading_changed(TrackKind.INTERFACE, "eth1", False).events == ()
    assert tracker.effective_priority == 255


def test_sum_of_weights_is_clamped() -> None:
    specs = [
        TrackSpec(TrackKind.SCRIPT, "a", weight=-100),
        TrackSpec(TrackKind.SCRIPT, "b", weight=-100),
        TrackSpec(TrackKind.FILE, "f", weight=10),
    ]
    tracker = PriorityTracker("VI_1", 150, specs)
    tracker.reading_changed(TrackKind.SCRIPT, "a", ScriptStatus.BAD)
    update = tracker.reading_changed(TrackKind.SCRIPT, "b", ScriptStatus.BAD)
    assert update.events == (PriorityChanged(effective=1, reason="script b bad"),)
    tracker.reading_changed(TrackKind.FILE, "f", 50)  # 150 - 200 + min(500, 253)
    assert tracker.effective_priority == 203
    tracker.reading_changed(TrackKind.SCRIPT, "a", ScriptStatus.GOOD)
    tracker.reading_changed(TrackKind.SCRIPT, "b", ScriptStatus.GOOD)  # 150 + 253
    assert tracker.effective_priority == 254


def test_untracked_readings_are_ignored() -> None:
    tracker = PriorityTracker("VI_1", 100, [])
    assert tracker.reading_changed(TrackKind.SCRIPT, "other", ScriptStatus.BAD).events == ()


@pytest.mark.parametrize("base", [0, 256])
def test_bad_base_priority_is_a_clear_error(base: int) -> None:
    with pytest.raises(ValueError, match=r"outside 1\.\.255"):
        PriorityTracker("VI_1", base, [])


def test_duplicate_tracker_is_a_clear_error() -> None:
    spec = TrackSpec(TrackKind.SCRIPT, "chk")
    with pytest.raises(ValueError, match="listed twice"):
        PriorityTracker("VI_1", 100, [spec, spec])


# ------------------------------------------------------------------ boundaries found by mutmut


def test_default_rise_and_fall_are_one() -> None:
    chk = ScriptTracker("chk")
    assert feed(chk, [OK, FAIL, OK]) == [ScriptStatus.GOOD, ScriptStatus.BAD, ScriptStatus.GOOD]


def test_a_success_that_keeps_the_script_good_changes_nothing() -> None:
    chk = ScriptTracker("chk", rise=2, fall=2)
    assert chk.record(OK).changed  # INIT -> GOOD
    assert chk.record(FAIL).status is ScriptStatus.GOOD  # one failure of two
    for _ in range(2):  # back to the top, then at the top
        verdict = chk.record(OK)
        assert (verdict.status, verdict.changed) == (ScriptStatus.GOOD, False)


def test_reload_keeps_the_failures_a_good_script_has_had() -> None:
    chk = ScriptTracker("chk", rise=2, fall=3)
    chk.record(OK)
    chk.record(FAIL)  # GOOD, one failure of three
    new, _ = chk.reloaded(rise=2, fall=3)
    assert new.name == "chk"
    assert feed(new, [FAIL, FAIL]) == [ScriptStatus.GOOD, ScriptStatus.BAD]


def test_reload_of_a_steady_bad_script_needs_the_new_rise() -> None:
    chk = ScriptTracker("chk", rise=2, fall=1)
    chk.record(FAIL)
    new, _ = chk.reloaded(rise=4, fall=1)
    assert feed(new, [OK] * 4) == [ScriptStatus.BAD] * 3 + [ScriptStatus.GOOD]


def test_reload_to_a_smaller_rise_keeps_a_bad_script_bad() -> None:
    chk = ScriptTracker("chk", rise=4, fall=1)
    chk.record(FAIL)
    chk.record(OK)
    new, _ = chk.reloaded(rise=1, fall=1)
    assert new.status is ScriptStatus.BAD
    assert feed(new, [OK]) == [ScriptStatus.GOOD]


def test_a_script_added_by_reload_and_reloaded_again_still_waits() -> None:
    added = ScriptTracker("chk", rise=2, fall=2, added_by_reload=True)
    new, logs = added.reloaded(rise=2, fall=2)
    assert (new.status, logs) == (ScriptStatus.INIT_RELOAD, ())
    verdict = new.record(FAIL)  # its first result decides, as for a fresh script
    assert (verdict.status, verdict.changed) == (ScriptStatus.BAD, True)


@pytest.mark.parametrize(("weight", "ok", "expected"),
                         [(1, True, 1), (1, False, 0), (-1, False, -1), (-1, True, 0)])
def test_weighted_adjustment_of_plus_or_minus_one(weight: int, ok: bool, expected: int) -> None:
    assert weighted_adjustment(weight, False, ok) == expected


def test_a_reversed_weight_applies_through_effect_of() -> None:
    spec = TrackSpec(TrackKind.SCRIPT, "chk", weight=20, reverse=True)
    assert effect_of(spec, ScriptStatus.GOOD).adjust == -20


def test_readings_before_the_first_report() -> None:
    assert default_reading(TrackKind.SCRIPT) is ScriptStatus.INIT
    assert default_reading(TrackKind.FILE) == 0
    assert default_reading(TrackKind.INTERFACE) is True


@pytest.mark.parametrize(("spec", "reading", "fault"), [
    (TrackSpec(TrackKind.INTERFACE, "eth1", reverse=True), True, "interface eth1 up"),
    (TrackSpec(TrackKind.SCRIPT, "chk", reverse=True), ScriptStatus.GOOD, "script chk succeeded"),
    (TrackSpec(TrackKind.PROCESS, "haproxy"), False,
     "tracked process haproxy quorum not achieved"),
])
def test_fault_reasons_say_what_the_tracker_saw(spec: TrackSpec, reading: object,
                                                fault: str) -> None:
    assert effect_of(spec, reading).fault == fault


@pytest.mark.parametrize(("kind", "name", "readings", "reasons"), [
    (TrackKind.INTERFACE, "eth1", [False, True], ["interface eth1 down", "interface eth1 up"]),
    (TrackKind.PROCESS, "haproxy", [False, True],
     ["tracked process haproxy quorum not achieved", "tracked process haproxy quorum achieved"]),
])
def test_priority_change_reasons_say_what_the_tracker_saw(
        kind: TrackKind, name: str, readings: list[bool], reasons: list[str]) -> None:
    tracker = PriorityTracker("VI_1", 150, [TrackSpec(kind, name, weight=-50)])
    got = [tracker.reading_changed(kind, name, r).events[0] for r in readings]
    assert [e.reason for e in got] == reasons


def test_the_new_fall_applies_after_a_reload() -> None:
    chk = ScriptTracker("chk", rise=2, fall=1)
    chk.record(OK)
    new, _ = chk.reloaded(rise=2, fall=3)
    assert feed(new, [FAIL, OK, FAIL, FAIL, FAIL]) == [ScriptStatus.GOOD] * 4 + [ScriptStatus.BAD]
