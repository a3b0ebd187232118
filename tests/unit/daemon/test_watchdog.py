"""The systemd watchdog: WATCHDOG=1 to a real (fake systemd's) notify socket every half
period while the event loop turns, and silence while it is stalled on purpose."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import TYPE_CHECKING

import pytest

from pykeepalived.daemon.sdnotify import keep_watchdog, notify, watchdog_interval
from tests.unit.daemon.fake_systemd import FakeSystemd

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(("env", "pid", "expected"), [
    ({"WATCHDOG_USEC": "10000000"}, 7, 5.0),
    ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "7"}, 7, 5.0),
    ({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "8"}, 7, None),  # the checker child
    ({"WATCHDOG_USEC": "0"}, 7, None),
    ({"WATCHDOG_USEC": "ten"}, 7, None),
    ({}, 7, None),
])
def test_the_interval_is_half_the_period_for_the_watched_pid_only(
        env: dict[str, str], pid: int, expected: float | None) -> None:
    assert watchdog_interval(env, pid=pid) == expected


def test_a_stalled_loop_stops_the_watchdog(tmp_path: Path) -> None:
    systemd = FakeSystemd(tmp_path / "notify")
    interval, stall = 0.05, 0.6
    stalled: list[float] = []

    async def scenario() -> None:
        task = asyncio.create_task(keep_watchdog(interval, lambda s: notify(s, systemd.env)))
        await asyncio.sleep(0.4)
        stalled.append(time.monotonic())
        time.sleep(stall)  # noqa: ASYNC251 - the event loop stuck, on purpose
        stalled.append(time.monotonic())
        await asyncio.sleep(0.3)
        task.cancel()

    try:
        asyncio.run(scenario())
        time.sleep(0.1)
    finally:
        systemd.close()
    times = [at for at, text in systemd.received if text == "WATCHDOG=1"]
    assert len(times) == len(systemd.received)
    before = [t for t in times if t < stalled[0]]
    during = [t for t in times if stalled[0] + 0.01 < t < stalled[1] - 0.01]
    after = [t for t in times if t > stalled[1]]
    assert len(before) >= 3, times  # turning: one every half period (8 if unloaded)
    assert during == [], "a stalled loop sent WATCHDOG=1"
    assert len(after) >= 2, times  # turning again: the pings come back
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) >= stall - 0.05
