"""bench.cost's figures: what each run measured, the table with ratios, JSON.

Pure: the runner (bench/cost.py) hands in what it read from /proc, the daemons' logs and
the capture; nothing here touches a process or a namespace.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bench.checkers_report import AdvertFigures, HostLoad

IMPLS = ("pykeepalived", "keepalived")


@dataclass(frozen=True)
class Setting:
    """One point of the grid: N instances at one advert interval, alone or with a peer."""

    instances: int
    advert: str
    backup: bool = False

    @property
    def advert_s(self) -> float:
        return float(self.advert)

    @property
    def label(self) -> str:
        return (f"N={self.instances} advert {self.advert} s"
                f"{' + keepalived BACKUP' if self.backup else ''}")


@dataclass
class CostResult:
    impl: str
    setting: Setting
    #: daemon start to every VIP on the director's interfaces; CPU the daemon's
    #: processes had used by then (ms)
    startup_ms: float = math.nan
    startup_cpu_ms: float = math.nan
    window_s: float = 0.0
    #: all the daemon's processes: CPU ms per minute of the window, VmRSS and VmHWM (MiB)
    cpu_ms_per_min: float = math.nan
    rss_mib: float = math.nan
    hwm_mib: float = math.nan
    processes: dict[str, float] = field(default_factory=dict)
    adverts: AdvertFigures | None = None
    #: with a BACKUP peer: its adverts in the window (each one a takeover it should not
    #: have made), the instances that sent them, and its MASTER transitions logged
    backup_adverts: int = 0
    backup_instances: int = 0
    backup_masters: int = 0
    host: HostLoad | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.error is None and self.adverts is not None

    @property
    def spurious_takeovers(self) -> int:
        return max(self.backup_instances, self.backup_masters)


def ratio(ours: float, theirs: float) -> float:
    if math.isnan(ours) or math.isnan(theirs) or theirs <= 0:
        return math.nan
    return round(ours / theirs, 2)


def _fmt(value: float, digits: int = 0) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def _pair(results: Sequence[CostResult], setting: Setting
          ) -> tuple[CostResult | None, CostResult | None]:
    found = {r.impl: r for r in results if r.setting == setting and r.measured}
    return found.get("pykeepalived"), found.get("keepalived")


ROWS: tuple[tuple[str, str, int], ...] = (
    ("CPU (ms per minute)", "cpu_ms_per_min", 0),
    ("VmRSS (MiB, all processes)", "rss_mib", 1),
    ("VmHWM (MiB, all processes)", "hwm_mib", 1),
    ("start-up to all VIPs (ms)", "startup_ms", 0),
    ("start-up CPU (ms)", "startup_cpu_ms", 0),
)


def table(results: Sequence[CostResult]) -> str:
    settings = list(dict.fromkeys(r.setting for r in results))
    lines = [f"{'setting / figure':46} {'pykeepalived':>13} {'keepalived':>11} {'ratio':>6}",
             "-" * 79]
    for setting in settings:
        py, ka = _pair(results, setting)
        lines.append(setting.label)
        rows = ROWS if not setting.backup else ROWS[:1]
        for title, name, digits in rows:
            ours = getattr(py, name) if py else math.nan
            theirs = getattr(ka, name) if ka else math.nan
            lines.append(f"  {title:44} {_fmt(ours, digits):>13} {_fmt(theirs, digits):>11} "
                         f"{_fmt(ratio(ours, theirs), 2):>6}")
        for title, cells in (
                ("advert deviation p99 / max (ms)",
                 [f"{r.adverts.p99_ms:.1f} / {r.adverts.max_ms:.1f}" if r and r.adverts
                  else "-" for r in (py, ka)]),
                ("intervals off by > 50 % / capture drops",
                 [f"{r.adverts.missed} / {r.adverts.kernel_drops}" if r and r.adverts
                  else "-" for r in (py, ka)])):
            lines.append(f"  {title:44} {cells[0]:>13} {cells[1]:>11}")
        if setting.backup:
            cells = [f"{r.spurious_takeovers}" if r else "-" for r in (py, ka)]
            lines.append(f"  {'spurious takeovers by the BACKUP':44} {cells[0]:>13} "
                         f"{cells[1]:>11}")
        for r in (py, ka):
            if r and r.host:
                lines.append(f"  host during {r.impl}'s window: {r.host.busy_pct:.0f}% busy, "
                             f"{r.host.steal_pct:.0f}% stolen, load {r.host.load1:.2f}")
    failed = [r for r in results if not r.measured]
    for r in failed:
        lines.append(f"FAILED {r.impl} {r.setting.label}: {r.error}")
    for r in results:
        lines.extend(f"note {r.impl} {r.setting.label}: {note}" for note in r.notes)
    return "\n".join(lines)


def as_json(results: Sequence[CostResult], about: dict[str, object]) -> dict[str, object]:
    return {"about": about,
            "runs": [{**asdict(r), "spurious_takeovers": r.spurious_takeovers}
                     for r in results]}
