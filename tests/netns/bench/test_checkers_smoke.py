"""CI proof that `python -m bench.checkers` still runs end to end (timings not judged here).

Tiny: 10 instances, 20 real servers, a 5 s window, both implementations, in a fresh lab
with the prefix `ckb`; the benchmark tears its lab down itself. What is asserted is that
every figure exists and is sane (every instance heard, nothing dropped, CPU and memory
read, the checker really checked), not how fast anything was.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from netlab.lab import CHECKOUT

if TYPE_CHECKING:
    from pathlib import Path

INSTANCES, SERVERS, SECONDS = 10, 20, 5


@pytest.mark.netns
@pytest.mark.keepalived
@pytest.mark.slow
def test_a_tiny_run_measures_all_four_runs(tmp_path: Path) -> None:
    figures = tmp_path / "checkers.json"
    done = subprocess.run([sys.executable, "-m", "bench.checkers", "--instances",
                           str(INSTANCES), "--servers", str(SERVERS), "--seconds", str(SECONDS),
                           "--json", str(figures)], cwd=CHECKOUT,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "KEY: p99 advert deviation" in done.stdout
    document = json.loads(figures.read_text())
    runs = {(run["spec"]["key"], tuple(run["spec"]["flags"])): run for run in document["runs"]}
    measured = [runs[("a", ())], runs[("b", ())], runs[("c", ())]]
    for run in measured:
        assert run["error"] is None, run
        adverts = run["adverts"]
        assert adverts["instances_seen"] == INSTANCES
        assert adverts["kernel_drops"] == 0
        assert adverts["intervals"] >= INSTANCES * (SECONDS * 10 - 10)
        assert 50 < adverts["mean_interval_ms"] < 200
        assert 0 <= adverts["p50_ms"] <= adverts["p99_ms"] <= adverts["max_ms"]
        for process in run["processes"]:
            assert process["cpu_s_per_min"] >= 0
            assert 0 < process["vm_rss_kib"] <= process["vm_hwm_kib"]
    assert [p["role"] for p in runs[("a", ())]["processes"]] == ["main"]
    assert [p["role"] for p in runs[("b", ())]["processes"]] == ["main", "checker"]
    assert [p["role"] for p in runs[("c", ())]["processes"]] == ["parent", "vrrp"]

    checks = runs[("b", ())]["checks"]
    assert checks["first_cycle_up"] + checks["first_cycle_down"] == SERVERS
    assert checks["first_cycle_down"] >= 1  # the farm has a server down
    assert checks["window_cycles_min"] >= 1

    keepalived_full = runs[("d", ())]
    if keepalived_full["exit"] is not None:  # no IPVS in this kernel: it gives up
        assert keepalived_full["exit"]["status"] not in (None, 0)
        vrrp_only = runs[("d", ("-P",))]
        assert vrrp_only["error"] is None
        assert vrrp_only["adverts"]["instances_seen"] == INSTANCES
        assert [p["role"] for p in vrrp_only["processes"]] == ["parent", "vrrp"]
    else:
        assert keepalived_full["error"] is None
    key = document["key"]["pykeepalived_p99_delta_ms"]
    assert key is not None
    assert not math.isnan(key)
