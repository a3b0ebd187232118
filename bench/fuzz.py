"""Malformed and hostile VRRP packets: pykeepalived next to keepalived 2.2.7 (issue 15).

    sudo .venv/bin/python -m bench.fuzz [--packets 1000000] [--rate 4000]
                                        [--flood-rate 2000] [--flood-seconds 30]
                                        [--only pykeepalived|keepalived] [--json FILE|-]

from the checkout root. The lab, the daemon's config and the phases are
netlab.fuzz_campaign's: a daemon with three MASTER instances (VRRPv3 IPv4, VRRPv2, VRRPv3
IPv6) and one BACKUP (behind a master the sender plays) gets a seeded stream of fuzzed
packets (netlab.fuzz_packets: random octets and mutated adverts of both versions and both
families, half with their checksum recomputed, none an advert a daemon should act on),
paced at `--rate`; then, under an observer's capture, a quiet window and a flood of
well-formed adverts for VRIDs nobody runs. The same frames go to both implementations,
one after the other, in one lab.

Exit status 0 when every invariant held for pykeepalived (keepalived's breaches are
reported, not judged), 1 when one did not (listed), 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from bench.checkers import preflight
from bench.failover import about_machine
from netlab.fuzz_campaign import (
    FLOOD_OFF,
    FLOOD_ON,
    FOREIGN_VRIDS,
    HOSTS,
    LAB_BASE,
    PREFIX,
    Settings,
    build_streams,
    run_implementation,
)
from netlab.fuzz_figures import (
    BACKUPS,
    FLOOD_TARGET_MS,
    INSTANCES,
    MASTERS,
    RunResult,
    dropped_by_reason,
    expected_reads,
    flood_delta,
    percentile,
    unaccounted,
)
from netlab.lab import Lab

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netlab.fuzz_campaign import Streams
    from netlab.fuzz_figures import Phase

IMPLEMENTATIONS = ("pykeepalived", "keepalived")
#: keepalived's stats keys a fuzzed packet can move (the rest count our own adverts)
KA_ERRORS = ("advert_rcvd", "packet_len_err", "ip_ttl_err", "invalid_type_rcvd",
             "advert_interval_err", "addr_list_err", "invalid_authtype", "authtype_mismatch",
             "auth_failure", "pri_zero_rcvd")


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def stream_line(streams: Streams, packets: int, seed: int) -> str:
    s = streams.sent
    return (f"stream: {packets} packets, seed {seed}: IPv4 {s['v4']}, IPv6 {s['v6']} "
            f"({s['v6_bad_checksum']} with a checksum the kernel refuses); random "
            f"{s['random']}, mutants {s['mutant']}; checksum recomputed {s['resummed']}; "
            f"to the daemon's address {s['unicast']}, the rest to the group")


def summary_table(results: Sequence[RunResult]) -> list[str]:
    out = [f"{'impl':14} {'phase':6} {'sent':>8} {'rate/s':>7} {'kdrop4':>7} {'kdrop6':>7} "
           f"{'unread':>7} {'CPU s':>6} {'alive':>5} {'tb':>3} {'trans':>5} {'states':>7} "
           f"{'VIPs':>5}", "-" * 104]
    for r in results:
        for phase in (r.fuzz, r.flood):
            loud = sum(end - start for start, end in phase.segments) / 1e9 or phase.seconds
            rate = phase.sent / loud if loud else 0.0
            states = "same" if phase.states_after == phase.states_before else "CHANGED"
            vips_ok = _vips_ok(phase)
            out.append(f"{r.implementation:14} {phase.name:6} {phase.sent:8d} {rate:7.0f} "
                       f"{phase.kernel_drops.get(4, 0):7d} {phase.kernel_drops.get(6, 0):7d} "
                       f"{sum(phase.unread_drops.values()):7d} {phase.cpu_seconds:6.1f} "
                       f"{'yes' if r.alive else 'NO':>5} "
                       f"{r.tracebacks:3d} {len(phase.transitions):5d} {states:>7} "
                       f"{'ok' if vips_ok else 'WRONG':>5}")
    return out


def _vips_ok(phase: Phase) -> bool:
    return all(phase.vips_after.get(n) for n in MASTERS) and \
        not any(phase.vips_after.get(n) for n in BACKUPS)


def accounting_table(result: RunResult, streams: Streams) -> list[str]:
    """pykeepalived: every socket's reads, where each went, against what was sent."""
    phase = result.fuzz
    out = [f"{'instance':9} {'expected':>9} {'read':>9} {'kdrops':>7} {'other VRID':>10} "
           f"{'short':>6} {'accepted':>9} {'dropped':>9} {'unaccounted':>11}", "-" * 88]
    for name, *_ in INSTANCES:
        socket = phase.sockets.get(name, {})
        dropped = sum(v for k, v in socket.items() if k.startswith("rx_dropped_"))
        out.append(f"{name:9} {expected_reads(name, streams.sent, phase.master_adverts):9d} "
                   f"{socket.get('rx_datagrams', 0):9d} {socket.get('rx_kernel_drops', 0):7d} "
                   f"{socket.get('rx_other_vrid', 0):10d} {socket.get('rx_short', 0):6d} "
                   f"{socket.get('rx_accepted', 0):9d} {dropped:9d} {unaccounted(socket):11d}")
    reasons = dropped_by_reason(phase.sockets)
    out.append("dropped by reason: " + ", ".join(f"{k} {v}" for k, v in reasons.items()))
    return out


def counters_table(results: Sequence[RunResult]) -> list[str]:
    """keepalived's own stats names, fuzz phase deltas summed over instances."""
    header = f"{'counter (fuzz, all instances)':30}" + "".join(
        f"{r.implementation:>14}" for r in results)
    out = [header, "-" * len(header)]
    for key in KA_ERRORS:
        out.append(f"{key:30}" + "".join(f"{r.fuzz.counters.get(key, 0):14d}" for r in results))
    return out


def flood_table(results: Sequence[RunResult], flood_count: int) -> list[str]:
    out = [f"flood: {flood_count} VRRPv3 adverts for VRIDs {FOREIGN_VRIDS[0]}-"
           f"{FOREIGN_VRIDS[-1]}; |interval - advert_int| of d's IPv4 masters (ms)",
           f"{'impl':14} {'window':8} {'n':>5} {'p50':>7} {'p99':>7} {'max':>7}",
           "-" * 52]
    for r in results:
        for window, values in (("quiet", r.baseline_deviations_ms),
                               ("flood", r.flood_deviations_ms)):
            out.append(f"{r.implementation:14} {window:8} {len(values):5d} "
                       f"{_fmt(percentile(values, 0.5)):>7} {_fmt(percentile(values, 0.99)):>7} "
                       f"{_fmt(max(values) if values else None):>7}")
    for r in results:
        delta = p99_delta(r)
        verdict = "-" if delta is None else ("within" if delta <= FLOOD_TARGET_MS else "OUTSIDE")
        out.append(f"KEY {r.implementation}: p99 under flood minus quiet {_fmt(delta)} ms "
                   f"({verdict} target {FLOOD_TARGET_MS:g} ms); capture drops {r.capture_drops}; "
                   f"unknown_vrid +{r.flood.daemon_counters.get('unknown_vrid', 0)}")
    return out


def p99_delta(result: RunResult) -> float | None:
    return flood_delta(result, 0.99)


def ratios(results: Sequence[RunResult]) -> list[str]:
    by = {r.implementation: r for r in results}
    if set(by) != set(IMPLEMENTATIONS):
        return []
    py, ka = by["pykeepalived"], by["keepalived"]

    def ratio(a: float | None, b: float | None) -> str:
        return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"
    loud = (percentile(py.flood_deviations_ms, .99), percentile(ka.flood_deviations_ms, .99))
    return [f"ratios py/ka: CPU fuzz {ratio(py.fuzz.cpu_seconds, ka.fuzz.cpu_seconds)}, "
            f"CPU flood {ratio(py.flood.cpu_seconds, ka.flood.cpu_seconds)}, p99 under flood "
            f"{ratio(*loud)}"]


def report(results: Sequence[RunResult], streams: Streams, args: argparse.Namespace,
           about: dict[str, object]) -> str:
    lines = [f"{about['date']}; {about['machine']}; {about['keepalived']}",
             stream_line(streams, args.packets, args.seed),
             f"paced at {args.rate:g}/s; flood {args.flood_rate:g}/s for {args.flood_seconds:g} s"
             f", {FLOOD_ON:g} s on and {FLOOD_OFF:g} s off: the off periods are the quiet "
             "baseline", "",
             *summary_table(results), ""]
    py = next((r for r in results if r.implementation == "pykeepalived"), None)
    if py is not None:
        lines += ["pykeepalived, fuzz phase: each instance's socket",
                  *accounting_table(py, streams), ""]
    lines += [*counters_table(results), "", *flood_table(results, streams.flood_count),
              *ratios(results)]
    for r in results:
        lines += [f"{r.implementation}: {p}" for p in r.problems]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description="fuzzed VRRP "
                                     "packets and a foreign-VRID flood, pykeepalived vs "
                                     "keepalived (root)")
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=4000.0, help="fuzz frames per second")
    parser.add_argument("--flood-rate", type=float, default=2000.0)
    parser.add_argument("--flood-seconds", type=float, default=30.0,
                        help="seconds of flood (as many quiet ones interleaved)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--only", choices=IMPLEMENTATIONS)
    parser.add_argument("--json", metavar="FILE", help="also write the figures ('-': stdout "
                        "instead of the table)")
    args = parser.parse_args(argv)
    if not 1 <= args.packets <= 10_000_000 or args.rate < 0 or args.flood_seconds <= 0:
        parser.error("--packets 1..10^7, --rate >= 0, --flood-seconds > 0")
    return args


def run(args: argparse.Namespace) -> tuple[list[RunResult], Streams]:
    settings = Settings(rate=args.rate, flood_rate=args.flood_rate,
                        flood_seconds=args.flood_seconds)
    with Lab(HOSTS, prefix=PREFIX, base=LAB_BASE) as lab:
        assert lab.workdir is not None
        progress(f"generating {args.packets} packets")
        streams = build_streams(lab, lab.workdir, seed=args.seed, packets=args.packets,
                                flood_packets=int(args.flood_rate * args.flood_seconds))
        results = []
        for implementation in [args.only] if args.only else IMPLEMENTATIONS:
            progress(f"{implementation}: fuzz, then flood")
            results.append(run_implementation(lab, implementation, streams, settings))
            progress(f"{implementation}: {len(results[-1].problems)} problems")
        return results, streams


def progress(message: str) -> None:
    print(f"bench.fuzz: {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    problem = preflight(args.only)
    if problem:
        print(f"bench.fuzz: {problem}", file=sys.stderr)
        return 2
    about: dict[str, object] = dict(about_machine())
    results, streams = run(args)
    figures = {"about": about, "sent": streams.sent, "flood_count": streams.flood_count,
               "results": [asdict(r) for r in results]}
    if args.json == "-":
        print(json.dumps(figures, indent=2, default=str))
    else:
        print(report(results, streams, args, about))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n")
    py = [r for r in results if r.implementation == "pykeepalived"]
    return 1 if any(r.problems for r in py) else 0


if __name__ == "__main__":
    sys.exit(main())
