"""Process and network faults (issue 15): the figures of tests/netns/faults, pykeepalived
beside keepalived.

    sudo .venv/bin/python -m bench.faults_process [--repeat 3] [--runs 1000]
                       [--seconds 120] [--only kill9|sigstop|scripts|network]

from the checkout root. The scenarios are the netns tests themselves (kill -9 and
restart, SIGSTOP/SIGCONT, misbehaving scripts; 20 % loss, a flapping link, duplicated
and reordered adverts for PYKA_NETFAULT_SECONDS=`--seconds`), each played against pykeepalived and
keepalived 2.2.7 in the same run; each test prints one `FIGURES scenario | impl |
name=value, ...` line. This runs them `--repeat` times with PYKA_FAULT_RUNS=`--runs`
(the many-runs script test: 1,000 here, a few hundred in CI), collects those lines and
prints, per scenario, implementation and figure, the median and the range over the
repeats. Exit status: 0 when every test passed every time, 1 otherwise (the failures
are listed), 2 when it cannot run (not root, no keepalived).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict
from typing import TYPE_CHECKING

from netlab.lab import CHECKOUT

if TYPE_CHECKING:
    from collections.abc import Sequence

MODULES = {"kill9": "tests/netns/faults/test_kill9.py",
           "sigstop": "tests/netns/faults/test_sigstop.py",
           "scripts": "tests/netns/faults/test_scripts.py",
           "network": "tests/netns/faults/test_network.py"}
PREFIX = "FIGURES "
#: one pytest run of every module, bounded (its tests are bounded one by one as well)
RUN_TIMEOUT = 900

Figures = dict[tuple[str, str], dict[str, list[str]]]


def parse(output: str, into: Figures) -> int:
    """Collect the FIGURES lines of one pytest output; how many there were."""
    found = 0
    for line in output.splitlines():
        if not line.startswith(PREFIX):
            continue
        scenario, impl, values = (part.strip() for part in line[len(PREFIX):].split("|", 2))
        for pair in values.split(", "):
            name, _, value = pair.partition("=")
            into[(scenario, impl)].setdefault(name, []).append(value)
        found += 1
    return found


def summary(values: list[str]) -> str:
    """Median [min-max] of numbers; the distinct values of anything else."""
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return "/".join(sorted(set(values)))
    if len(numbers) == 1:
        return _number(numbers[0])
    return (f"{_number(statistics.median(numbers))} "
            f"[{_number(min(numbers))}-{_number(max(numbers))}]")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.2f}"


def table(figures: Figures) -> str:
    rows = []
    for (scenario, impl), named in sorted(figures.items()):
        cells = ", ".join(f"{name} {summary(values)}" for name, values in named.items())
        rows.append(f"{scenario:<28} {impl:<13} {cells}")
    return "\n".join(rows)


def run_once(modules: Sequence[str], runs: int, seconds: int) -> tuple[str, int]:
    env = {**os.environ, "PYKA_FAULT_RUNS": str(runs), "PYKA_NETFAULT_SECONDS": str(seconds)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider",
                           *modules], cwd=CHECKOUT, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT + 8 * seconds, check=False)
    return done.stdout + done.stderr, done.returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults_process",
                                     description="process- and network-fault figures (root)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each test (1-20)")
    parser.add_argument("--runs", type=int, default=1000,
                        help="script runs in the many-runs test (60-2000)")
    parser.add_argument("--seconds", type=int, default=120,
                        help="network faults: loss and replay window, half of it flapping "
                             "(4-280)")
    parser.add_argument("--only", choices=sorted(MODULES))
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 20 or not 60 <= args.runs <= 2000 or not 4 <= args.seconds <= 280:
        parser.error("--repeat 1-20, --runs 60-2000, --seconds 4-280")
    if os.geteuid() != 0 or shutil.which("keepalived") is None:
        print("bench.faults_process: needs root and keepalived", file=sys.stderr)
        return 2
    modules = [MODULES[args.only]] if args.only else list(MODULES.values())
    figures: Figures = defaultdict(dict)
    failed: list[str] = []
    for number in range(1, args.repeat + 1):
        output, status = run_once(modules, args.runs, args.seconds)
        lines = parse(output, figures)
        print(f"run {number}/{args.repeat}: pytest exit {status}, {lines} figure lines",
              file=sys.stderr)
        if status != 0:
            failed.append(f"run {number}: " + "\n".join(output.splitlines()[-15:]))
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{now}; {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()};"
          f" {args.repeat} repeats, {args.runs} script runs, network faults {args.seconds} s")
    print(table(figures))
    for failure in failed:
        print(f"FAILED {failure}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
