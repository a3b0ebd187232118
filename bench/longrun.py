"""A long run (issue 15): N instances, a failover and a reload every period, for an hour's
worth of cycles; does anything grow?

    sudo .venv/bin/python -m bench.longrun                  # 30 cycles of 60 s, 200 instances
    sudo .venv/bin/python -m bench.longrun --cycles 3 --period 10 --instances 20

Two labs side by side in the same run, one per implementation (pykeepalived, keepalived
2.2.7), each a pair: host a (priority 150) and b (100), VRRPv3 at advert_int 1, N
instances on one LAN (VRIDs 1..N, VIPs 198.51.100.1..N/32). Every cycle, in both labs:

1. **failover**: a's own link goes down (FAULT on a, b takes every VIP), then up (a
   preempts back); each step waits, bounded, until the first and the last instance's
   VIPs are where they should be;
2. **reload**: both configs alternate between two texts (instance N's VIP moves between
   two addresses), b then a get SIGHUP; waits until the new address is on a;
3. then samples a's daemon: VmRSS summed over its processes, open file descriptors,
   processes (its children), zombies.

At the end: RSS at the end against RSS after the first cycle (the issue's bound: within
5 %), descriptors and processes first against last, the most zombies seen, and network
namespaces and daemon processes left once the labs are gone. Exit status 0 when every
bound held, 1 when one did not (each listed), 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from netlab.conf import Config, GlobalDefs, Instance
from netlab.faults import children, rss_kib, zombies
from netlab.lab import Lab, wait_for
from netlab.peers import KeepalivedPeer, PyNode, has_address

if TYPE_CHECKING:
    from collections.abc import Sequence

Daemon = PyNode | KeepalivedPeer

IMPLEMENTATIONS = ("pykeepalived", "keepalived")
#: bound on each failover or reload step (several Master_Down_Intervals at advert_int 1)
STEP_BOUND = 60.0
RSS_DRIFT = 0.05
#: namespace prefix of this bench's labs
PREFIX = "lngrun"


def config(count: int, priority: int, *, moved: bool) -> Config:
    """N instances; with `moved`, instance N's VIP is 198.51.100.250 instead of .N."""
    return Config(
        global_defs=GlobalDefs(router_id=f"long{priority}", vrrp_version=3,
                               garp_master_delay=0),
        instances=[Instance(f"VI_{v}", v, priority,
                            [f"198.51.100.{250 if moved and v == count else v}/32"],
                            state="BACKUP", advert="1") for v in range(1, count + 1)])


def vip(count: int, v: int, *, moved: bool) -> str:
    return f"198.51.100.{250 if moved and v == count else v}"


def processes(node: Daemon) -> list[int]:
    assert node.process is not None
    main = node.process.pid
    return [main, *children(main)]


def open_fds(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += len(os.listdir(f"/proc/{pid}/fd"))
        except FileNotFoundError:
            continue
    return total


def namespaces(prefix: str) -> int:
    """This run's namespaces still there (other work on the machine has its own)."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                         check=True, timeout=10).stdout
    return sum(1 for line in out.splitlines() if line.startswith(prefix))


@dataclass
class Sample:
    cycle: int
    rss_kib: int
    fds: int
    processes: int
    zombies: int
    failover_s: float
    reload_s: float


@dataclass
class Run:
    kind: str
    lab: Lab
    count: int
    a: Daemon
    b: Daemon
    moved: bool = False
    samples: list[Sample] = field(default_factory=list)
    pids: set[int] = field(default_factory=set)

    def holders_ok(self, host: str) -> bool:
        try:
            return all(has_address(self.lab, host, vip(self.count, v, moved=self.moved))
                       for v in (1, self.count))
        except subprocess.TimeoutExpired:
            return False  # a machine too busy to answer in time: ask again until the bound

    def failover(self) -> float:
        start = time.monotonic()
        ifname = self.lab.host("a").ifname
        self.lab.host("a").ip("link", "set", ifname, "down")
        try:
            wait_for(lambda: self.holders_ok("b"), STEP_BOUND, what=f"{self.kind}: b to take over")
        finally:
            self.lab.host("a").ip("link", "set", ifname, "up")
        wait_for(lambda: self.holders_ok("a"), STEP_BOUND, what=f"{self.kind}: a to take back")
        return time.monotonic() - start

    def reload(self) -> float:
        start = time.monotonic()
        self.moved = not self.moved
        self.b.reload(config(self.count, 100, moved=self.moved))
        self.a.reload(config(self.count, 150, moved=self.moved))
        wait_for(lambda: self.holders_ok("a"), STEP_BOUND,
                 what=f"{self.kind}: the reloaded VIP on a")
        return time.monotonic() - start

    def sample(self, cycle: int, failover_s: float, reload_s: float) -> Sample:
        pids = processes(self.a)
        self.pids.update(pids)
        one = Sample(cycle, sum(rss_kib(pid) for pid in pids), open_fds(pids), len(pids),
                     sum(zombies(pid) for pid in pids), failover_s, reload_s)
        self.samples.append(one)
        return one


def start_run(stack: ExitStack, kind: str, count: int, base: int) -> Run:
    lab = stack.enter_context(Lab(["a", "b"], prefix=f"{PREFIX}{kind[:2]}", base=base))
    make = PyNode if kind == "pykeepalived" else KeepalivedPeer
    a = make(lab, "a", config(count, 150, moved=False))
    b = make(lab, "b", config(count, 100, moved=False))
    run = Run(kind, lab, count, a, b)
    a.start()
    wait_for(lambda: run.holders_ok("a"), 60, what=f"{kind}: a to hold every VIP")
    b.start()
    wait_for(lambda: b.log().count("Entering BACKUP STATE") >= count, 60,
             what=f"{kind}: b's instances BACKUP")
    return run


def verdicts(run: Run) -> list[str]:
    failed = []
    first, last = run.samples[0], run.samples[-1]
    drift = (last.rss_kib - first.rss_kib) / first.rss_kib
    if run.kind == "pykeepalived" and abs(drift) > RSS_DRIFT:
        failed.append(f"{run.kind}: RSS moved {drift:+.1%} after the first cycle")
    if last.fds > first.fds:
        failed.append(f"{run.kind}: descriptors {first.fds} -> {last.fds}")
    if last.processes > first.processes:
        failed.append(f"{run.kind}: processes {first.processes} -> {last.processes}")
    if any(s.zombies for s in run.samples):
        failed.append(f"{run.kind}: zombies seen")
    return failed


def report(runs: Sequence[Run], before_ns: int, after_ns: int, left: list[int]) -> str:
    lines = [f"{'implementation':<14} {'RSS 1st (MiB)':>13} {'RSS last':>9} {'drift':>7} "
             f"{'fds 1st/last':>13} {'procs 1st/last':>15} {'zombies':>8} "
             f"{'failover s med/max':>19} {'reload s med/max':>17}"]
    for run in runs:
        first, last = run.samples[0], run.samples[-1]
        fo = sorted(s.failover_s for s in run.samples)
        rl = sorted(s.reload_s for s in run.samples)
        lines.append(
            f"{run.kind:<14} {first.rss_kib / 1024:>13.1f} {last.rss_kib / 1024:>9.1f} "
            f"{(last.rss_kib - first.rss_kib) / first.rss_kib:>+7.1%} "
            f"{f'{first.fds}/{last.fds}':>13} {f'{first.processes}/{last.processes}':>15} "
            f"{max(s.zombies for s in run.samples):>8} "
            f"{f'{fo[len(fo) // 2]:.2f}/{fo[-1]:.2f}':>19} "
            f"{f'{rl[len(rl) // 2]:.2f}/{rl[-1]:.2f}':>17}")
    lines.append(f"this run's network namespaces before/after: {before_ns}/{after_ns}; "
                 f"daemon processes left: {len(left)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.longrun", description=__doc__)
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--period", type=float, default=60.0, help="seconds per cycle")
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--only", choices=IMPLEMENTATIONS)
    args = parser.parse_args(argv)
    if not 2 <= args.cycles <= 240 or not 5 <= args.period <= 600 \
            or not 2 <= args.instances <= 240:
        parser.error("--cycles 2-240, --period 5-600, --instances 2-240")
    if os.geteuid() != 0 or shutil.which("keepalived") is None:
        print("bench.longrun: needs root and keepalived", file=sys.stderr)
        return 2
    kinds = [args.only] if args.only else list(IMPLEMENTATIONS)
    before_ns = namespaces(PREFIX)
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with ExitStack() as stack:
        runs = [start_run(stack, kind, args.instances, base=10 + 10 * i)
                for i, kind in enumerate(kinds)]
        next_at = time.monotonic()
        for cycle in range(1, args.cycles + 1):
            for run in runs:
                failover_s = run.failover()
                reload_s = run.reload()
                s = run.sample(cycle, failover_s, reload_s)
                print(f"[bench.longrun] {run.kind} cycle {cycle}: RSS {s.rss_kib} KiB, "
                      f"fds {s.fds}, processes {s.processes}, zombies {s.zombies}, "
                      f"failover {failover_s:.2f} s, reload {reload_s:.2f} s",
                      file=sys.stderr, flush=True)
            next_at += args.period
            time.sleep(max(0.0, next_at - time.monotonic()))  # the run's own rhythm
        for run in runs:
            run.a.stop()
            run.b.stop()
    pids = set().union(*(run.pids for run in runs))
    left = [pid for pid in pids if Path(f"/proc/{pid}").exists()]
    after_ns = namespaces(PREFIX)
    print(f"{started}; {os.cpu_count()} cores, {platform.machine()}, Linux "
          f"{platform.release()}; {args.cycles} cycles of {args.period:g} s, "
          f"{args.instances} instances, advert_int 1")
    print(report(runs, before_ns, after_ns, left))
    failed = [v for run in runs for v in verdicts(run)]
    if after_ns != before_ns:
        failed.append(f"network namespaces {before_ns} -> {after_ns}")
    if left:
        failed.append(f"processes left: {left}")
    for failure in failed:
        print(f"FAILED {failure}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
