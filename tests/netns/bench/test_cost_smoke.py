"""CI proof that `python -m bench.cost` still runs end to end (costs not judged here).

Tiny: 3 instances over two LANs (2 per LAN, so the second LAN and the observer's
capture on every interface are exercised), advert_int 0.1, a 2 s window, both
implementations, alone and with the keepalived BACKUP peer. What is asserted is that
every figure exists and is sane (every instance heard on the wire, nothing dropped,
start-up, CPU and memory read, the BACKUP heard and silent), not how fast anything was.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from netlab.lab import CHECKOUT

if TYPE_CHECKING:
    from pathlib import Path

INSTANCES, SECONDS = 3, 2


@pytest.mark.netns
@pytest.mark.keepalived
@pytest.mark.slow
def test_a_tiny_run_measures_both_implementations_alone_and_with_a_backup(
        tmp_path: Path) -> None:
    figures = tmp_path / "cost.json"
    done = subprocess.run([sys.executable, "-m", "bench.cost", "--instances", str(INSTANCES),
                           "--per-interface", "2", "--adverts", "0.1", "--seconds",
                           str(SECONDS), "--json", str(figures)], cwd=CHECKOUT,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "spurious takeovers by the BACKUP" in done.stdout
    runs = json.loads(figures.read_text())["runs"]
    assert sorted((r["impl"], r["setting"]["backup"]) for r in runs) == [
        ("keepalived", False), ("keepalived", True),
        ("pykeepalived", False), ("pykeepalived", True)]
    for run in runs:
        assert run["error"] is None, run
        assert run["notes"] == [], run
        adverts = run["adverts"]
        assert adverts["instances_seen"] == INSTANCES
        assert adverts["kernel_drops"] == 0
        assert adverts["intervals"] >= INSTANCES * (SECONDS * 10 - 5)
        assert 50 < adverts["mean_interval_ms"] < 200
        assert 0 < run["startup_ms"] < 30_000
        # clock ticks are 10 ms: keepalived may start 3 instances inside one
        assert run["startup_cpu_ms"] >= (100 if run["impl"] == "pykeepalived" else 0)
        assert run["cpu_ms_per_min"] >= 0
        assert 0 < run["rss_mib"] <= run["hwm_mib"]
        assert run["spurious_takeovers"] == 0
    expected_processes = {"pykeepalived": 1, "keepalived": 2}  # keepalived: parent + VRRP
    for run in runs:
        assert len(run["processes"]) == expected_processes[run["impl"]], run
