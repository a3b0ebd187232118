"""Per-package figures of the last `make mutants` run, read from mutmut's mutants/*.meta.

`python -m tools.mutation_summary` prints a Markdown table (mutants, killed, survived,
timeout, no tests, score, CPU time) per package; `--survivors` lists the survivors by
name (`mutmut show NAME` prints the diff of one). Exit codes are read as mutmut 3.8
reads them (mutmut/stats.py); mutmut itself is not imported, so this module type-checks
without the `mutation` extra.

Score: (killed + timeout) / (mutants checked). A timeout is a caught mutant (the suite
noticed it, by never finishing); "no tests" is not.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MUTANTS = Path("mutants") / "src" / "pykeepalived"
PACKAGES = ("vrrp", "check", "config")

_KILLED = {1, 3}
_TIMEOUT = {36, 24, -24, 152, 255}
_NO_TESTS = {5, 33}


def status(exit_code: int | None) -> str:
    """mutmut's verdict for one mutant's exit code."""
    if exit_code is None:
        return "not checked"
    if exit_code == 0:
        return "survived"
    if exit_code in _KILLED:
        return "killed"
    if exit_code in _TIMEOUT:
        return "timeout"
    if exit_code in _NO_TESTS:
        return "no tests"
    return {34: "skipped", 37: "caught by type check", -11: "segfault",
            -9: "segfault"}.get(exit_code, "suspicious")


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    survivors: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return sum(n for verdict, n in self.counts.items() if verdict != "not checked")

    @property
    def score(self) -> float | None:
        caught = self.counts["killed"] + self.counts["timeout"]
        return caught / self.checked if self.checked else None


def tally(package_dir: Path) -> Tally:
    result = Tally()
    for meta_path in sorted(package_dir.rglob("*.py.meta")):
        try:
            meta = json.loads(meta_path.read_text())
        except json.JSONDecodeError:  # mutmut is rewriting it: read it on the next call
            result.busy.append(meta_path.name)
            continue
        durations: dict[str, float] = meta.get("durations_by_key", {})
        for name, exit_code in sorted(meta["exit_code_by_key"].items()):
            verdict = status(exit_code)
            result.counts[verdict] += 1
            result.seconds += durations.get(name) or 0.0
            if verdict == "survived":
                result.survivors.append(name)
    return result


def render(tallies: dict[str, Tally]) -> str:
    lines = ["| package | mutants | checked | killed | survived | timeout | no tests | other"
             " | score | test time |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for package, t in tallies.items():
        c = t.counts
        total = sum(c.values())
        other = total - sum(c[k] for k in ("killed", "survived", "timeout", "no tests",
                                           "not checked"))
        score = "-" if t.score is None else f"{100 * t.score:.1f} %"
        lines.append(f"| {package} | {total} | {t.checked} | {c['killed']} | {c['survived']}"
                     f" | {c['timeout']} | {c['no tests']} | {other} | {score}"
                     f" | {t.seconds / 60:.0f} min |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    args = parser.parse_args(argv)
    if not MUTANTS.is_dir():
        print("no mutants/ here: run `make mutants` from the checkout root first")
        return 1
    tallies = {package: tally(MUTANTS / package) for package in PACKAGES}
    print(render(tallies))
    for package, t in tallies.items():
        if t.busy:
            print(f"{package}: {', '.join(t.busy)} not counted (being written; run again)")
    if args.survivors:
        for package, t in tallies.items():
            for name in t.survivors:
                print(f"{package}\t{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
