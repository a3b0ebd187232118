"""Figures of the failover benchmark: per-run outcomes, summaries, the table, JSON.

Kept apart from the lab code so the arithmetic (medians, excess over the protocol bound,
pykeepalived/keepalived ratios) is plain data in, text out, and testable without root.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

IMPLEMENTATIONS = ("pykeepalived", "keepalived")
EVENTS = ("link-cut", "sigterm")
#: Priority of the backup, whose skew decides both bounds.
BACKUP_PRIORITY = 100


@dataclass(frozen=True)
class Setting:
    """One protocol setting under test: VRRP version and advert interval."""

    name: str
    version: int
    advert: str

    @property
    def interval(self) -> float:
        return float(self.advert)

    @property
    def skew(self) -> float:
        """Skew_Time of the backup: RFC 3768 fixes it in seconds, RFC 5798 scales it."""
        share = (256 - BACKUP_PRIORITY) / 256
        return share if self.version == 2 else share * self.interval

    @property
    def master_down(self) -> float:
        return 3 * self.interval + self.skew

    def bound(self, event: str) -> float:
        """What the protocol allows: Master_Down_Interval for a dead master, Skew_Time
        after a priority-0 advert (a master shutting down)."""
        return self.master_down if event == "link-cut" else self.skew


SETTINGS = {
    "v2": Setting("v2", 2, "1"),
    "v3": Setting("v3", 3, "0.1"),
    #: the fastest VRRPv3 allows (issue 15's fast adverts); the client probes every 10 ms,
    #: so the gap is measured to 10 ms, the step table to the wire's time
    "v3fast": Setting("v3fast", 3, "0.01"),
}


#: Where the time goes, as the client's wire saw it: r1's last advert (link cut) or its
#: priority-0 advert (SIGTERM) → r2's first advert; → r2's first GARP for the VIP; → the
#: client's first answer from r2.
STEPS = ("timer", "garp", "client")


@dataclass(frozen=True)
class RunOutcome:
    """One trigger: the client-observed gap, or why there is none."""

    impl: str
    setting: str
    event: str
    gap_ms: float | None
    trigger_to_new_ms: float | None = None
    lost: int = 0
    error: str | None = None
    steps_ms: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Summary:
    impl: str
    setting: str
    event: str
    bound_ms: float
    gaps_ms: list[float] = field(default_factory=list)
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    steps_ms: dict[str, list[float]] = field(default_factory=dict)

    def step_median(self, step: str) -> float | None:
        values = self.steps_ms.get(step, [])
        return statistics.median(values) if values else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.gaps_ms) if self.gaps_ms else None

    @property
    def excess(self) -> float | None:
        median = self.median
        return None if median is None else median - self.bound_ms


def summarise(outcomes: Sequence[RunOutcome]) -> list[Summary]:
    """One summary per (impl, setting, event), in the order they were first measured."""
    summaries: dict[tuple[str, str, str], Summary] = {}
    for outcome in outcomes:
        key = (outcome.impl, outcome.setting, outcome.event)
        if key not in summaries:
            bound = SETTINGS[outcome.setting].bound(outcome.event) * 1000
            summaries[key] = Summary(*key, bound_ms=bound)
        summary = summaries[key]
        if outcome.gap_ms is None:
            summary.failed += 1
            summary.errors.append(outcome.error or "no gap measured")
        else:
            summary.gaps_ms.append(outcome.gap_ms)
            for step, value in outcome.steps_ms.items():
                if value is not None:
                    summary.steps_ms.setdefault(step, []).append(value)
    return sorted(summaries.values(),
                  key=lambda s: (s.setting, s.event, IMPLEMENTATIONS.index(s.impl)))


def ratios(summaries: Sequence[Summary]) -> dict[tuple[str, str], float | None]:
    """pykeepalived's median over keepalived's, per (setting, event) measured for both."""
    medians = {(s.impl, s.setting, s.event): s.median for s in summaries}
    result: dict[tuple[str, str], float | None] = {}
    for impl, setting, event in medians:
        if impl != "pykeepalived" or ("keepalived", setting, event) not in medians:
            continue
        ours, theirs = medians[(impl, setting, event)], medians[("keepalived", setting, event)]
        result[(setting, event)] = ours / theirs if ours is not None and theirs else None
    return result


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.0f}"


def table(summaries: Sequence[Summary]) -> str:
    """The printed figures: one row per (setting, event, impl), then the ratio rows."""
    head = (f"{'setting':<12} {'event':<9} {'impl':<13} {'runs':>5} {'median':>7} "
            f"{'min':>6} {'max':>6} {'bound':>6} {'excess':>7}")
    lines = [head + "   (ms)", "-" * len(head)]
    for s in summaries:
        runs = f"{len(s.gaps_ms)}/{len(s.gaps_ms) + s.failed}"
        lines.append(
            f"{label(s.setting):<12} {s.event:<9} {s.impl:<13} {runs:>5} {_ms(s.median):>7} "
            f"{_ms(min(s.gaps_ms, default=None)):>6} {_ms(max(s.gaps_ms, default=None)):>6} "
            f"{_ms(s.bound_ms):>6} {_signed(s.excess):>7}")
    for (setting, event), ratio in ratios(summaries).items():
        shown = "-" if ratio is None else f"{ratio:.2f}"
        lines.append(f"{label(setting):<12} {event:<9} {'ratio py/ka':<13} median {shown}")
    lines.extend(["", steps_table(summaries)])
    for s in summaries:
        lines.extend(f"failed: {s.impl} {s.setting} {s.event}: {error}" for error in s.errors)
    return "\n".join(lines)


def steps_table(summaries: Sequence[Summary]) -> str:
    """Medians of the steps (STEPS), so an excess over the bound can be placed."""
    head = (f"{'setting':<12} {'event':<9} {'impl':<13} {'timer':>7} {'bound':>6} "
            f"{'garp':>6} {'client':>7}")
    lines = [head + "   (ms, medians; timer from r1's last or priority-0 advert)",
             "-" * len(head)]
    lines.extend(
        f"{label(s.setting):<12} {s.event:<9} {s.impl:<13} {_ms(s.step_median('timer')):>7} "
        f"{_ms(s.bound_ms):>6} {_ms(s.step_median('garp')):>6} "
        f"{_ms(s.step_median('client')):>7}" for s in summaries)
    return "\n".join(lines)


def label(setting: str) -> str:
    chosen = SETTINGS[setting]
    return f"v{chosen.version} {chosen.advert}s"


def as_json(outcomes: Sequence[RunOutcome], summaries: Sequence[Summary],
            about: dict[str, str]) -> dict[str, object]:
    return {
        "about": about,
        "summaries": [{**asdict(s), "median_ms": s.median, "excess_ms": s.excess,
                       "step_medians_ms": {step: s.step_median(step) for step in STEPS}}
                      for s in summaries],
        "ratios": [{"setting": setting, "event": event, "median_ratio": ratio}
                   for (setting, event), ratio in ratios(summaries).items()],
        "runs": [asdict(outcome) for outcome in outcomes],
    }
