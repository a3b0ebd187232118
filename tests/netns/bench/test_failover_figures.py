"""The benchmark's arithmetic, without root: gaps from probe records, bounds, ratios."""

from __future__ import annotations

import json

import pytest

from bench.failover_report import SETTINGS, RunOutcome, summarise, table
from netlab.prober import PROBE_INTERVAL, PROBE_TIMEOUT, Probe, measure_gap, probes_from_json


def record(answers: list[str | None], *, late: frozenset[int] = frozenset()) -> list[Probe]:
    """Probes 10 ms apart, each answered 1 ms later (or PROBE_TIMEOUT + 1 ms if late)."""
    probes = []
    for seq, host in enumerate(answers):
        sent = 100.0 + seq * PROBE_INTERVAL
        delay = PROBE_TIMEOUT + 0.001 if seq in late else 0.001
        probes.append(Probe(seq, sent, None if host is None else sent + delay, host))
    return probes


def test_gap_runs_from_last_old_answer_to_first_new_answer() -> None:
    gap = measure_gap(record(["r1", "r1", None, None, None, "r2", "r2"]), "r1")
    assert gap is not None
    assert (gap.new, gap.lost) == ("r2", 3)
    assert gap.seconds == pytest.approx(4 * PROBE_INTERVAL)


def test_late_answers_count_as_lost() -> None:
    gap = measure_gap(record(["r1", "r1", "r1", None, "r2", "r2"], late=frozenset({2, 4})),
                      "r1")
    assert gap is not None
    assert gap.last_old.seq == 1
    assert gap.first_new.seq == 5
    assert gap.lost == 3


def test_no_takeover_or_no_old_master_is_no_gap() -> None:
    assert measure_gap(record(["r1", None, None]), "r1") is None
    assert measure_gap(record([None, "r2"]), "r1") is None


def test_prober_output_round_trips_and_garbage_is_a_value_error() -> None:
    text = json.dumps({"probes": [[0, 1.0, 1.002, "r1"], [1, 1.01, None, None]]})
    assert probes_from_json(text) == [Probe(0, 1.0, 1.002, "r1"), Probe(1, 1.01)]
    with pytest.raises(ValueError, match="unreadable prober output"):
        probes_from_json('{"probes": [[1, 2]]}')


def test_bounds_are_master_down_for_link_cut_and_skew_for_sigterm() -> None:
    v2, v3 = SETTINGS["v2"], SETTINGS["v3"]
    assert v2.bound("link-cut") == pytest.approx(3 + 156 / 256)
    assert v2.bound("sigterm") == pytest.approx(156 / 256)
    assert v3.bound("link-cut") == pytest.approx(0.3 + 0.1 * 156 / 256)
    assert v3.bound("sigterm") == pytest.approx(0.1 * 156 / 256)


def test_summaries_excess_ratio_and_failures_in_the_table() -> None:
    outcomes = [RunOutcome("pykeepalived", "v3", "sigterm", gap) for gap in (70.0, 90.0, 80.0)]
    outcomes += [RunOutcome("keepalived", "v3", "sigterm", gap) for gap in (40.0, 40.0)]
    outcomes.append(RunOutcome("keepalived", "v3", "sigterm", None, error="timed out"))
    ours, theirs = summarise(outcomes)
    assert (ours.impl, ours.median, ours.failed) == ("pykeepalived", 80.0, 0)
    assert ours.excess == pytest.approx(80.0 - 1000 * SETTINGS["v3"].skew)
    assert (theirs.median, theirs.failed) == (40.0, 1)
    shown = table([ours, theirs])
    assert "ratio py/ka   median 2.00" in shown
    assert "failed: keepalived v3 sigterm: timed out" in shown
    assert "2/3" in shown


def test_step_medians_skip_missing_marks() -> None:
    outcomes = [RunOutcome("pykeepalived", "v2", "link-cut", 3600.0,
                           steps_ms={"timer": timer, "garp": 1.0, "client": None})
                for timer in (3609.0, 3611.0, None)]
    (summary,) = summarise(outcomes)
    assert summary.step_median("timer") == 3610.0
    assert summary.step_median("client") is None
    assert "v2 1s        link-cut  pykeepalived     3610   3609      1       -" in table(
        [summary])
