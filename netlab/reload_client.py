"""The client's side of a reload test: probe the VIP every 10 ms until told to stop.

netlab.prober's `probe` stops at a fixed window or when another router takes over; a
reload run has no natural end, so this one runs until a stop file appears (or a hard
limit passes) and then prints the same probe rows plus where "steady" began. It runs
inside the client's namespace: `python -m netlab.reload_client --vip ... --stop F`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from netlab.prober import PROBE_INTERVAL, PROBE_TIMEOUT, READY_LINE, Prober
from netlab.wire import Marks

if TYPE_CHECKING:
    from collections.abc import Sequence


def run(prober: Prober, expect: str, stop_file: Path, limit: float) -> int | None:
    """Probe until the stop file exists or `limit` seconds pass; returns the sequence
    number from which `expect` answered steadily (None if it never did)."""
    start = time.monotonic()
    ready_seq: int | None = None
    for tick in range(1, int(limit / PROBE_INTERVAL) + 2):
        if time.monotonic() - start >= limit or stop_file.exists():
            break
        prober.send_next()
        prober.receive_until(start + tick * PROBE_INTERVAL)
        if ready_seq is None and prober.steady_host() == expect:
            ready_seq = len(prober.probes)
            print(READY_LINE, flush=True)
    prober.receive_until(time.monotonic() + PROBE_TIMEOUT)
    return ready_seq


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="probe a VIP until a stop file appears")
    parser.add_argument("--vip", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--expect", required=True)
    parser.add_argument("--stop", type=Path, required=True)
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--ifname", default="eth0")
    args = parser.parse_args(argv)
    marks = Marks(old_ip="", new_ip="", vip=args.vip, new_mac="")
    prober = Prober(args.vip, args.port, marks, args.ifname)
    ready_seq = run(prober, args.expect, args.stop, args.limit)
    rows = [[p.seq, p.sent, p.received, p.host] for p in prober.probes]
    print(json.dumps({"ready_seq": ready_seq, "probes": rows}), flush=True)
    return 0 if ready_seq is not None else 1


if __name__ == "__main__":
    sys.exit(main())
