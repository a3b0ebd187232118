"""Test-suite wide policy: hypothesis profiles and the skip-or-fail rule for real tests.

Tests that need root, network namespaces or a Debian package skip with a reason on a
developer's machine. Under `make test` as root (CI), PYKEEPALIVED_REQUIRE_REAL=1 turns such
a skip into a failure, so CI can never go green by silently skipping the real tests.
"""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100)
settings.register_profile(
    "ci",
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# `make mutants`: the same examples for every mutant (a survivor stays one on a re-run),
# no example database shared between mutants, no deadline under nice -n 19
settings.register_profile(
    "mutation",
    max_examples=50,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

REQUIRE_REAL = os.environ.get("PYKEEPALIVED_REQUIRE_REAL") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip on a developer machine; fail where real tests are required (CI)."""
    if REQUIRE_REAL:
        pytest.fail(f"required real test cannot run: {reason}")
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("netns") is not None:
        if os.geteuid() != 0:
            skip_or_fail("needs root for network namespaces")
        if shutil.which("ip") is None:
            skip_or_fail("needs iproute2 (`ip`)")
    if item.get_closest_marker("keepalived") is not None and shutil.which("keepalived") is None:
        skip_or_fail("needs the Debian package keepalived (make test installs it)")
