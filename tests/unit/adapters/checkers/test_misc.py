"""MISC_CHECK with real programs: exit statuses, misc_dynamic, a signal, a timeout."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from pykeepalived.adapters.checkers import run_probe
from pykeepalived.check.params import MiscProbe
from pykeepalived.commands import ScriptCommand

if TYPE_CHECKING:
    from pykeepalived.check.results import ProbeResult


def misc(code: str, *, timeout: float = 5.0, dynamic: bool = False) -> ProbeResult:
    probe = MiscProbe(ScriptCommand(("/bin/sh", "-c", code)), timeout, dynamic)
    return asyncio.run(run_probe(probe))


@pytest.mark.parametrize(("code", "dynamic", "ok", "status"), [
    ("exit 0", False, True, 0),
    ("exit 1", False, False, 1),
    ("exit 12", False, False, 12),
    ("exit 12", True, True, 12),
    ("exit 1", True, False, 1),
])
def test_exit_status_decides(code: str, dynamic: bool, ok: bool, status: int) -> None:
    result = misc(code, dynamic=dynamic)
    assert (result.ok, result.exit_status, result.timed_out, result.reason) == (
        ok, status, False, "")
    assert result.detail == f"exit {status}"


def test_a_signal_is_a_failure() -> None:
    result = misc("kill -USR1 $$")
    assert (result.ok, result.signal, result.exit_status) == (False, 10, None)
    assert result.detail == "signal 10"


def test_past_its_timeout_the_program_is_ended_and_times_out() -> None:
    started = time.monotonic()
    result = misc("sleep 30", timeout=0.5)
    assert (result.ok, result.timed_out, result.detail) == (False, True, "timed out")
    assert 0.4 < time.monotonic() - started < 5
    assert 0.4 < result.latency < 5


def test_a_missing_program_fails_with_exec_s_status() -> None:
    probe = MiscProbe(ScriptCommand(("/nonexistent/check",)), 5.0)
    result = asyncio.run(run_probe(probe))
    assert (result.ok, result.exit_status) == (False, 127)


def test_an_unknown_user_is_refused_with_its_reason() -> None:
    probe = MiscProbe(ScriptCommand(("/bin/true",), user="no-such-user-pyka"), 5.0)
    result = asyncio.run(run_probe(probe))
    assert not result.ok
    assert result.reason == "Script user 'no-such-user-pyka' does not exist"
