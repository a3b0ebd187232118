"""bench.checkers' figures: what each run measured, the key figure, the table, JSON.

Pure: the runner (bench/checkers.py) hands in what it read from the capture, /proc and the
real-server farm; nothing here touches a process or a namespace.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

#: a deviation above this is a missed or doubled advert, not jitter (half an interval)
MISSED_FRACTION = 0.5
#: the key figure's target: p99 deviation with checks minus without, pykeepalived
TARGET_MS = 2.0


@dataclass(frozen=True)
class RunSpec:
    key: str          # "a" .. "d"
    impl: str         # "pykeepalived" or "keepalived"
    checks: bool      # the config has the virtual servers
    flags: tuple[str, ...] = ()
    #: the daemon is expected to exit on its own (keepalived, full config, no IPVS)
    expect_exit: bool = False

    @property
    def label(self) -> str:
        what = "VRRP + checks" if self.checks else "VRRP only"
        return f"({self.key}) {self.impl} {what}{' ' + ' '.join(self.flags) if self.flags else ''}"


@dataclass(frozen=True)
class AdvertFigures:
    """Advert intervals over all instances in the window; deviations |interval - advert|."""

    instances_seen: int
    adverts: int
    intervals: int
    kernel_packets: int
    kernel_drops: int
    mean_interval_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    #: intervals off by more than half an advert interval (a missed or extra advert)
    missed: int


@dataclass(frozen=True)
class ProcessFigures:
    role: str
    pid: int
    cpu_s_per_min: float
    vm_rss_kib: int
    vm_hwm_kib: int


@dataclass(frozen=True)
class CheckFigures:
    """What the checker did: its first cycle (from its log) and cycles in the window (from
    the real servers' own connection counts)."""

    servers: int
    first_cycle_up: int
    first_cycle_down: int
    #: from the daemon's start to the last real server's first verdict in the log
    first_cycle_s: float
    #: connections accepted in the window per healthy real server (one per check): min,
    #: median, max; and by all servers (failing HTTP ones answer 503 and count too)
    window_cycles_min: int
    window_cycles_median: float
    window_cycles_max: int
    window_connections: int


@dataclass(frozen=True)
class HostLoad:
    """The whole machine during the window (/proc/stat): busy and hypervisor-stolen CPU,
    in % of all cores, and the 1-minute load average at its start. Other work on a
    shared machine shows up here, and in every run's advert jitter."""

    busy_pct: float
    steal_pct: float
    load1: float


@dataclass(frozen=True)
class Exit:
    """A daemon that ended on its own: keepalived with virtual servers and no IPVS."""

    status: int | None
    after_s: float
    lines: tuple[str, ...]
    masters_before_exit: int
    vips_left: int


@dataclass
class RunResult:
    spec: RunSpec
    window_s: float = 0.0
    adverts: AdvertFigures | None = None
    processes: list[ProcessFigures] = field(default_factory=list)
    checks: CheckFigures | None = None
    host: HostLoad | None = None
    exit: Exit | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.adverts is not None and self.error is None


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest rank on sorted values (p99 of 100 values is the 99th)."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def advert_figures(gaps: Mapping[tuple[str, int], Sequence[float]], interval: float,
                   adverts: int, kernel_packets: int, kernel_drops: int) -> AdvertFigures:
    values = [gap for series in gaps.values() for gap in series]
    deviations = sorted(abs(gap - interval) * 1000 for gap in values)
    return AdvertFigures(
        instances_seen=len(gaps), adverts=adverts, intervals=len(values),
        kernel_packets=kernel_packets, kernel_drops=kernel_drops,
        mean_interval_ms=round(statistics.fmean(values) * 1000, 3) if values else math.nan,
        p50_ms=round(percentile(deviations, 0.50), 3),
        p99_ms=round(percentile(deviations, 0.99), 3),
        max_ms=round(deviations[-1], 3) if deviations else math.nan,
        missed=sum(1 for d in deviations if d > MISSED_FRACTION * interval * 1000))


def cpu_per_minute(ticks: int, seconds: float, clock_ticks: int) -> float:
    return round(ticks / clock_ticks / seconds * 60, 3) if seconds > 0 else math.nan


def window_cycles(before: Mapping[str, int], after: Mapping[str, int],
                  healthy: Iterable[str]) -> tuple[int, float, int, int]:
    """(min, median, max) connections per healthy server between two counts, and the
    total over all servers."""
    deltas = sorted(after.get(key, 0) - before.get(key, 0) for key in healthy)
    total = sum(after.values()) - sum(before.values())
    if not deltas:
        return 0, 0.0, 0, total
    return deltas[0], statistics.median(deltas), deltas[-1], total


# ---------------------------------------------------------------------------- output

def _result(results: Sequence[RunResult], key: str) -> RunResult | None:
    return next((r for r in results if r.spec.key == key and r.measured), None)


def key_figures(results: Sequence[RunResult]) -> dict[str, float | None]:
    """p99 deviation with checks minus without, per implementation (None: not measured)."""
    def delta(with_checks: str, without: str) -> float | None:
        b, a = _result(results, with_checks), _result(results, without)
        if a is None or b is None or a.adverts is None or b.adverts is None:
            return None
        return round(b.adverts.p99_ms - a.adverts.p99_ms, 3)
    return {"pykeepalived_p99_delta_ms": delta("b", "a"),
            "keepalived_p99_delta_ms": delta("d", "c")}


def _total(run: RunResult, attr: str) -> float:
    return float(sum(getattr(p, attr) for p in run.processes))


def _ratio(py: float, ka: float) -> str:
    return f"{py / ka:.2f}" if ka > 0 and not math.isnan(py) and not math.isnan(ka) else "-"


def _host(host: HostLoad | None) -> str:
    return "-" if host is None else f"{host.busy_pct:.0f}% {host.steal_pct:.0f}% {host.load1:.2f}"


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def table(results: Sequence[RunResult], *, interval: float) -> str:
    keys = key_figures(results)
    lines: list[str] = []
    py = keys["pykeepalived_p99_delta_ms"]
    ka = keys["keepalived_p99_delta_ms"]
    verdict = "-" if py is None else ("within target" if abs(py) <= TARGET_MS
                                      else "OUTSIDE target")
    lines.append("KEY: p99 advert deviation, pykeepalived with checks (b) minus VRRP only (a): "
                 + ("not measured" if py is None else f"{py:+.2f} ms ({verdict}: "
                    f"within {TARGET_MS:g} ms)"))
    if ka is not None:
        lines.append(f"     keepalived 2.2.7 -P with the same config (d) minus VRRP only (c): "
                     f"{ka:+.2f} ms (its checker never ran, see (d) below)")
    lines.append("")
    lines.append(f"{'run':42} {'inst':>4} {'adverts':>7} {'drops':>5} {'mean':>7} "
                 f"{'p50':>6} {'p99':>6} {'max':>7} {'missed':>6}  {'host busy/steal/load':>20}")
    lines.append("-" * 115)
    for run in results:
        if run.adverts is None:
            continue
        a = run.adverts
        lines.append(f"{run.spec.label:42} {a.instances_seen:>4} {a.adverts:>7} "
                     f"{a.kernel_drops:>5} {a.mean_interval_ms:>7.2f} {a.p50_ms:>6.2f} "
                     f"{a.p99_ms:>6.2f} {a.max_ms:>7.2f} {a.missed:>6}  {_host(run.host):>20}")
    lines.append(f"(ms: mean interval, and deviation |interval - {interval * 1000:.0f} ms| over "
                 "all instances; missed: off by more than half an interval; host: the whole "
                 "machine during the window, % busy, % stolen, load average)")
    lines.append("")
    lines.append(f"{'run':42} {'process':9} {'pid':>7} {'CPU s/min':>9} {'% core':>6} "
                 f"{'VmRSS MiB':>9} {'VmHWM MiB':>9}")
    lines.append("-" * 100)
    for run in results:
        if not run.processes:
            continue
        for proc in run.processes:
            lines.append(f"{run.spec.label:42} {proc.role:9} {proc.pid:>7} "
                         f"{proc.cpu_s_per_min:>9.2f} {proc.cpu_s_per_min / 60 * 100:>6.1f} "
                         f"{_mib(proc.vm_rss_kib):>9} {_mib(proc.vm_hwm_kib):>9}")
        if len(run.processes) > 1:
            lines.append(f"{run.spec.label:42} {'all':9} {'':>7} "
                         f"{_total(run, 'cpu_s_per_min'):>9.2f} "
                         f"{_total(run, 'cpu_s_per_min') / 60 * 100:>6.1f} "
                         f"{_mib(_total(run, 'vm_rss_kib')):>9} "
                         f"{_mib(_total(run, 'vm_hwm_kib')):>9}")
    lines.extend(_ratios(results))
    lines.extend(_checks(results))
    lines.extend(_exits(results))
    for run in results:
        for note in run.notes:
            lines.append(f"note {run.spec.label}: {note}")
        if run.error:
            lines.append(f"FAILED {run.spec.label}: {run.error}")
    return "\n".join(lines)


def _ratios(results: Sequence[RunResult]) -> list[str]:
    lines = ["", "ratios py/ka (all processes summed):"]
    pairs = (("a", "c", "VRRP only"),
             ("b", "d", "same config with checks: py checks, ka -P does not"))
    for py_key, ka_key, what in pairs:
        py, ka = _result(results, py_key), _result(results, ka_key)
        if py is None or ka is None or py.adverts is None or ka.adverts is None:
            continue
        lines.append(f"  ({py_key})/({ka_key}) {what}: CPU "
                     f"{_ratio(_total(py, 'cpu_s_per_min'), _total(ka, 'cpu_s_per_min'))}, "
                     f"VmRSS {_ratio(_total(py, 'vm_rss_kib'), _total(ka, 'vm_rss_kib'))}, "
                     f"VmHWM {_ratio(_total(py, 'vm_hwm_kib'), _total(ka, 'vm_hwm_kib'))}, "
                     f"p99 deviation {_ratio(py.adverts.p99_ms, ka.adverts.p99_ms)}")
        py_vrrp = next((p for p in py.processes if p.role == "main"), None)
        ka_vrrp = next((p for p in ka.processes if p.role == "vrrp"), None)
        if py_vrrp is not None and ka_vrrp is not None:
            lines.append(f"  ({py_key})/({ka_key}) the VRRP process alone: CPU "
                         f"{_ratio(py_vrrp.cpu_s_per_min, ka_vrrp.cpu_s_per_min)}, VmRSS "
                         f"{_ratio(py_vrrp.vm_rss_kib, ka_vrrp.vm_rss_kib)}")
    return lines if len(lines) > 2 else []


def _checks(results: Sequence[RunResult]) -> list[str]:
    lines: list[str] = []
    for run in results:
        c = run.checks
        if c is None:
            continue
        lines.append("")
        lines.append(f"checks {run.spec.label}: {c.servers} real servers; first cycle "
                     f"{c.first_cycle_up} up + {c.first_cycle_down} down verdicts, complete "
                     f"{c.first_cycle_s:.1f} s after start; in the {run.window_s:.0f} s window "
                     f"{c.window_connections} check connections, per healthy server min "
                     f"{c.window_cycles_min} / median {c.window_cycles_median:g} / max "
                     f"{c.window_cycles_max} (one check per delay_loop plus the check's own "
                     f"time: about {run.window_s:.0f})")
    return lines


def _exits(results: Sequence[RunResult]) -> list[str]:
    lines: list[str] = []
    for run in results:
        e = run.exit
        if e is None:
            continue
        lines.append("")
        lines.append(f"{run.spec.label}: exited on its own, status {e.status}, {e.after_s:.1f} s "
                     f"after start; {e.masters_before_exit} instances had become MASTER, "
                     f"{e.vips_left} VIPs left on the director. Its log:")
        lines.extend(f"    {line}" for line in e.lines)
    return lines


def as_json(results: Sequence[RunResult], about: Mapping[str, object]) -> dict[str, object]:
    return {"about": dict(about), "key": key_figures(results),
            "runs": [{"label": r.spec.label, **asdict(r)} for r in results]}
