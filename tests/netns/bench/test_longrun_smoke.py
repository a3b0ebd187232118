"""CI proof that `python -m bench.longrun` runs end to end: 2 cycles of 5 s, 5 instances,
both implementations. Its own verdicts (no descriptor, process or namespace left behind,
no zombie; pykeepalived's RSS within 5 % of the first cycle's) must hold even this short.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from netlab.lab import CHECKOUT


@pytest.mark.netns
@pytest.mark.keepalived
@pytest.mark.slow
def test_two_short_cycles_of_failover_and_reload_leak_nothing() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.longrun", "--cycles", "2",
                           "--period", "5", "--instances", "5"], cwd=CHECKOUT,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()
            if line.startswith(("pykeepalived ", "keepalived "))}
    assert sorted(rows) == ["keepalived", "pykeepalived"]
    assert "this run's network namespaces before/after: 0/0; daemon processes left: 0" \
        in done.stdout
    assert done.stderr.count("cycle 2:") == 2
