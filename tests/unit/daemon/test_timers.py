"""The daemon's timers: one asyncio timer, batches within the slack, asyncio's order.

Real loop, deadlines a few milliseconds ahead; every wait is bounded by `settled`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pykeepalived.daemon.timers import SLACK, Timers


async def settled(timers: Timers, limit: float = 2.0) -> None:
    """Until no timer is left (bounded)."""
    async def empty() -> None:
        while len(timers):  # noqa: ASYNC110 - a count to watch, no event; wait_for bounds it
            await asyncio.sleep(0.001)
    await asyncio.wait_for(empty(), limit)


def test_timers_run_in_deadline_order_and_neighbours_share_a_wakeup() -> None:
    async def scenario() -> None:
        loop, timers, ran = asyncio.get_running_loop(), Timers(), []
        base = loop.time() + 0.02
        for offset in (0.0003, 0.0, 0.0006, 0.05):  # three within the slack, one far
            timers.call_at(base + offset, ran.append, offset)
        await settled(timers)
        assert ran == [0.0, 0.0003, 0.0006, 0.05]
        assert (timers.wakeups, timers.fired) == (2, 4)
    asyncio.run(scenario())


def test_no_timer_runs_before_its_deadline_minus_the_slack() -> None:
    async def scenario() -> None:
        loop, timers = asyncio.get_running_loop(), Timers()
        late: list[float] = []
        base = loop.time() + 0.01
        for i in range(50):
            when = base + i * 0.0007
            timers.call_at(when, lambda w: late.append(loop.time() - w), when)
        await settled(timers)
        assert len(late) == 50
        assert min(late) >= -SLACK
    asyncio.run(scenario())


def test_an_earlier_timer_armed_later_wakes_first() -> None:
    async def scenario() -> None:
        loop, timers, ran = asyncio.get_running_loop(), Timers(), []
        now = loop.time()
        timers.call_at(now + 0.2, ran.append, "late")
        timers.call_at(now + 0.01, ran.append, "early")
        await asyncio.sleep(0.05)  # "early" is due, "late" not for 0.15 s more
        assert ran == ["early"]
        await settled(timers)
        assert ran == ["early", "late"]
    asyncio.run(scenario())


def test_a_cancelled_timer_never_runs_and_cancelled_ones_are_compacted() -> None:
    async def scenario() -> None:
        loop, timers, ran = asyncio.get_running_loop(), Timers(), []
        now = loop.time()
        keep = timers.call_at(now + 0.01, ran.append, "kept")
        for i in range(500):  # a BACKUP re-arming its down timer on every advert
            timers.call_at(now + 1 + i, ran.append, i).cancel()
        assert len(timers) == 1
        assert len(timers._heap) < 100  # compacted, not 501 entries
        keep.cancel()
        keep.cancel()  # twice: still one cancellation
        assert len(timers) == 0
        last = timers.call_at(now + 0.01, ran.append, "last")
        await settled(timers)
        assert ran == ["last"]
        assert last.done
    asyncio.run(scenario())


def test_a_timer_armed_during_a_batch_waits_for_the_next_wakeup() -> None:
    """As asyncio's call_at(now): after the loop's next poll (running.defer_late_timer)."""
    async def scenario() -> None:
        loop, timers = asyncio.get_running_loop(), Timers()
        seen: list[tuple[str, int]] = []

        def first(_: object) -> None:
            seen.append(("first", timers.wakeups))
            timers.call_at(loop.time(), lambda _: seen.append(("again", timers.wakeups)), None)
        timers.call_at(loop.time() + 0.005, first, None)
        await settled(timers)
        assert seen == [("first", 1), ("again", 2)]
    asyncio.run(scenario())


def test_a_failing_callback_is_reported_and_the_batch_goes_on() -> None:
    async def scenario() -> None:
        loop, timers, ran = asyncio.get_running_loop(), Timers(), []
        reported: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _loop, context: reported.append(context))

        def broken(_: object) -> None:
            raise RuntimeError("boom")
        when = loop.time() + 0.005
        timers.call_at(when, broken, None)
        timers.call_at(when, ran.append, "after")
        await settled(timers)
        assert ran == ["after"]
        assert [type(c["exception"]) for c in reported] == [RuntimeError]
    asyncio.run(scenario())


@pytest.mark.parametrize("count", [1, 7])
def test_len_counts_armed_timers(count: int) -> None:
    async def scenario() -> None:
        loop, timers = asyncio.get_running_loop(), Timers()
        for i in range(count):
            timers.call_at(loop.time() + 0.001 * i, lambda _: None, None)
        assert len(timers) == count
        await settled(timers)
        assert len(timers) == 0
    asyncio.run(scenario())
