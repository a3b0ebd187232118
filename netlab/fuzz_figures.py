"""The fault campaign's figures and verdicts: the pure half of netlab.fuzz_campaign.

The scenario's instances, what one look at the daemon holds (`Reading`), what a phase
did (`Phase`) and a whole run (`RunResult`), the sums the campaign checks (every packet
a socket read accounted for), the advert deviations split into quiet and loud periods,
and `problems`: every invariant as a sentence. bench.fuzz prints these; the netns test
asserts them; tests/unit/test_fuzz_campaign.py checks them without root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netlab.advert_log import Advert
    from pykeepalived.observe.status import StatusView

#: (name, VRID, version, family, priority, advert_int in cs, VIP)
INSTANCES = (
    ("VI_F3", 187, 3, 4, 200, 10, IPv4Address("198.51.100.187")),
    ("VI_F2", 188, 2, 4, 200, 100, IPv4Address("198.51.100.188")),
    ("VI_F6", 189, 3, 6, 200, 10, IPv6Address("2001:db8:186::189")),
    ("VI_FB", 190, 3, 4, 100, 100, IPv4Address("198.51.100.190")),
)
MASTERS = ("VI_F3", "VI_F2", "VI_F6")
BACKUPS = ("VI_FB",)
#: an interval ending this soon after a loud period is neither quiet nor loud
QUIET_GUARD_NS = 200_000_000
#: a flood for other VRIDs may move the p99 advert deviation by this much at most (ms);
#: bench.fuzz reports it, it is not one of `problems` (see flood_delta)
FLOOD_TARGET_MS = 2.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class RawSocket:
    """One VRRP raw socket in d, as /proc/net/raw{,6} shows it."""

    family: int
    inode: int
    local: str
    queued: int
    drops: int


@dataclass(frozen=True)
class Reading:
    """One look at the daemon: its status, the kernel's raw sockets, its log, CPU."""

    view: StatusView
    sockets: tuple[RawSocket, ...]
    log_length: int
    cpu_ticks: int
    vips: dict[str, bool]

    def states(self) -> dict[str, str]:
        return {i.name: i.state for i in self.view.instances}

    def extra(self, name: str) -> dict[str, int]:
        return next(i.extra_counters for i in self.view.instances if i.name == name)

    def counters(self, name: str) -> dict[str, int]:
        return next(i.counters for i in self.view.instances if i.name == name)


# ------------------------------------------------------------------------------ results


@dataclass
class Phase:
    """What one phase (fuzz or flood) did to the daemon."""

    name: str
    sent: int = 0
    seconds: float = 0.0
    master_adverts: int = 0
    #: per family, the kernel's drops on the sockets the daemon reads
    kernel_drops: dict[int, int] = field(default_factory=dict)
    #: per family, drops on sockets never read (keepalived's send sockets)
    unread_drops: dict[int, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    transitions: list[str] = field(default_factory=list)
    states_before: dict[str, str] = field(default_factory=dict)
    states_after: dict[str, str] = field(default_factory=dict)
    vips_after: dict[str, bool] = field(default_factory=dict)
    #: keepalived's counters (both implementations), summed over instances, deltas
    counters: dict[str, int] = field(default_factory=dict)
    #: pykeepalived only: per instance, socket reads and the tally's deltas
    sockets: dict[str, dict[str, int]] = field(default_factory=dict)
    daemon_counters: dict[str, int] = field(default_factory=dict)
    settled: bool = True
    #: when the sender sent the first and the last frame (ns since the epoch)
    window_ns: tuple[int, int] = (0, 0)
    #: the loud periods of an on/off stream (ns since the epoch)
    segments: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class RunResult:
    implementation: str
    fuzz: Phase
    flood: Phase
    alive: bool = True
    tracebacks: int = 0
    exit_status: int | None = None
    baseline_deviations_ms: list[float] = field(default_factory=list)
    flood_deviations_ms: list[float] = field(default_factory=list)
    capture_drops: int = 0
    problems: list[str] = field(default_factory=list)


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def phase_figures(phase: Phase, before: Reading, after: Reading, log: str) -> None:
    """Fill `phase` from two readings and the log lines written between them."""
    old = {sock.inode: sock.drops for sock in before.sockets}
    for sock in after.sockets:
        into = phase.unread_drops if sock.queued else phase.kernel_drops
        into[sock.family] = into.get(sock.family, 0) + sock.drops - old.get(sock.inode, 0)
    phase.cpu_seconds = (after.cpu_ticks - before.cpu_ticks) / CLOCK_TICKS
    phase.transitions = [line for line in log[before.log_length:after.log_length].splitlines()
                         if "Entering" in line]
    phase.states_before, phase.states_after = before.states(), after.states()
    phase.vips_after = after.vips
    names = [i.name for i in after.view.instances]
    totals: dict[str, int] = {}
    for name in names:
        for key, value in _delta(after.counters(name), before.counters(name)).items():
            totals[key] = totals.get(key, 0) + value
        extra = _delta(after.extra(name), before.extra(name))
        if extra:
            phase.sockets[name] = extra
    phase.counters = totals
    phase.daemon_counters = _delta(after.view.daemon_counters, before.view.daemon_counters)


def unaccounted(socket: dict[str, int]) -> int:
    """Datagrams a socket read that neither its node nor its core accounted for."""
    routed = sum(socket.get(k, 0) for k in ("rx_framing_drops", "rx_short", "rx_other_vrid",
                                            "rx_unexpected", "rx_accepted"))
    dropped = sum(v for k, v in socket.items() if k.startswith("rx_dropped_"))
    return socket.get("rx_datagrams", 0) - routed - dropped


def dropped_by_reason(sockets: dict[str, dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for socket in sockets.values():
        for key, value in socket.items():
            if key.startswith("rx_dropped_"):
                reason = key.removeprefix("rx_dropped_")
                out[reason] = out.get(reason, 0) + value
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


#: pykeepalived's listener on d's link (its first IPv4 instance) reads every IPv4 packet;
#: the kernel filters the other IPv4 sockets to their own VRID (daemon/inbound.py)
LISTENER = next(n for n, _, _, f, *_ in INSTANCES if f == 4)


def expected_reads(name: str, sent: dict[str, int], master_adverts: int) -> int:
    """What one instance's socket should have seen: its family's frames (+ tx's master),
    or, filtered to its VRID, the IPv4 frames carrying its VRID (+ tx's, if it follows
    tx's master)."""
    _, vrid, _, family, *_ = next(i for i in INSTANCES if i[0] == name)
    if family == 6:
        return sent["v6"]
    if name == LISTENER:
        return sent["v4"] + master_adverts
    follows_tx = vrid == INSTANCES[3][1]
    return sent.get(f"v4_vrid_{vrid}", 0) + (master_adverts if follows_tx else 0)


def split_deviations(adverts: Sequence[Advert], source: str, window: tuple[int, int],
                     loud: Sequence[tuple[int, int]]) -> tuple[list[float], list[float]]:
    """|interval − advert_int| (ms) of `source`'s IPv4 masters inside `window`: (quiet,
    loud). An interval touching a loud period is loud; one ending within
    QUIET_GUARD_NS after a loud period, or straddling one, is neither."""
    advert_int = {vrid: interval / 100 for _, vrid, _, family, _, interval, _ in INSTANCES
                  if family == 4}

    def where(ns: int) -> str:
        for start, end in loud:
            if start <= ns <= end:
                return "loud"
            if end < ns <= end + QUIET_GUARD_NS:
                return "guard"
        return "quiet"

    quiet: list[float] = []
    noisy: list[float] = []
    for vrid, interval in advert_int.items():
        stamps = sorted(a.ns for a in adverts if a.source == source and a.vrid == vrid
                        and a.priority and window[0] <= a.ns <= window[1])
        for earlier, later in pairwise(stamps):
            deviation = abs((later - earlier) / 1e9 - interval) * 1000
            places = {where(earlier), where(later)}
            if "loud" in places:
                noisy.append(deviation)
            elif places == {"quiet"}:
                quiet.append(deviation)
    return quiet, noisy


def flood_delta(result: RunResult, q: float) -> float | None:
    """Quantile `q` of the advert deviations under flood minus the quiet periods' (ms)."""
    quiet = percentile(result.baseline_deviations_ms, q)
    loud = percentile(result.flood_deviations_ms, q)
    return None if quiet is None or loud is None else loud - quiet


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ------------------------------------------------------------------------------ verdicts


def problems(result: RunResult) -> list[str]:
    """Every invariant the campaign asserts, as sentences; empty when all hold."""
    out: list[str] = []
    if not result.alive:
        out.append("the daemon died")
    if result.tracebacks:
        out.append(f"{result.tracebacks} tracebacks in the log")
    for phase in (result.fuzz, result.flood):
        out += _phase_problems(result.implementation, phase)
    if not result.baseline_deviations_ms or not result.flood_deviations_ms:
        out.append("flood: no advert intervals measured")
    return out


def _phase_problems(implementation: str, phase: Phase) -> list[str]:
    out: list[str] = []
    if phase.transitions:
        out.append(f"{phase.name}: {len(phase.transitions)} transitions: {phase.transitions[:3]}")
    if phase.states_after != phase.states_before:
        out.append(f"{phase.name}: states {phase.states_before} -> {phase.states_after}")
    wrong_vips = [n for n in MASTERS if not phase.vips_after.get(n)] + \
        [n for n in BACKUPS if phase.vips_after.get(n)]
    if wrong_vips:
        out.append(f"{phase.name}: VIPs wrong for {wrong_vips}")
    if not phase.settled:
        out.append(f"{phase.name}: the daemon did not read every packet in time")
    if implementation != "pykeepalived":
        return out
    for name, socket in phase.sockets.items():
        missing = unaccounted(socket)
        if missing:
            out.append(f"{phase.name}: {name}: {missing} datagrams read but not accounted for")
        if socket.get("rx_unexpected"):
            out.append(f"{phase.name}: {name}: {socket['rx_unexpected']} unexpected errors")
    if phase.daemon_counters.get("unexpected_errors"):
        out.append(f"{phase.name}: unexpected errors {phase.daemon_counters}")
    return out
