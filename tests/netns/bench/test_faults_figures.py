"""bench.faults_process' collection of the fault tests' FIGURES lines, without root."""

from __future__ import annotations

from collections import defaultdict

from bench.faults_process import Figures, parse, summary, table

OUTPUT = """
tests/netns/faults/test_kill9.py
FIGURES kill -9, preempt | pykeepalived | takeover_ms=341, holder=a
.
FIGURES kill -9, preempt | pykeepalived | takeover_ms=360, holder=a
FIGURES kill -9, preempt | keepalived | takeover_ms=350, holder=a
not FIGURES at the start of a line
"""


def test_figures_lines_are_collected_per_scenario_and_implementation() -> None:
    figures: Figures = defaultdict(dict)
    assert parse(OUTPUT, figures) == 3
    assert figures[("kill -9, preempt", "pykeepalived")] == {
        "takeover_ms": ["341", "360"], "holder": ["a", "a"]}
    rendered = table(figures).splitlines()
    assert rendered[0].split() == ["kill", "-9,", "preempt", "keepalived", "takeover_ms", "350,",
                                   "holder", "a"]
    assert "takeover_ms 350.50 [341-360], holder a" in rendered[1]


def test_summary_is_median_and_range_or_the_distinct_words() -> None:
    assert summary(["1", "3", "2"]) == "2 [1-3]"
    assert summary(["0.5"]) == "0.50"
    assert summary(["True", "False", "True"]) == "False/True"
