"""Every instance's and sync group's timer on one asyncio timer, fired in batches.

A MASTER re-arms its timer once per advert: 10,000 times a second with 1,000 instances
at advert_int 0.1. An asyncio TimerHandle per advert, and a loop iteration for nearly
every one of them (their deadlines are spread over the interval), cost about 8 us of
Python each; here the deadlines sit in one heap of plain tuples behind a single asyncio
timer, and each wake-up runs every timer due within `SLACK` of it (about 5 us, measured
with the deadlines of 1,000 instances). keepalived's timer thread does the same: one
wake-up runs everything that expired.

A timer may run up to `SLACK` early. The runtime hands the core the deadline itself
(`max(now, deadline)`), so the core's arithmetic stays exact and adverts do not drift;
on the wire an advert leaves at most `SLACK` before its time. Timers armed while a batch
runs wait for the next wake-up, after the loop has polled its sockets: a late timer
that puts itself back "at now" (running.defer_late_timer) must see the datagrams read
first, as with asyncio's own call_at.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

_T = TypeVar("_T")

#: how early a timer may run so that neighbours share a wake-up (s): 1 % of the shortest
#: usual advert_int (0.1 s); epoll's own timeout is rounded to whole milliseconds anyway
SLACK = 0.001


class Timer(Generic[_T]):
    """One armed timer; `cancel()` and `when()` as asyncio's TimerHandle."""

    __slots__ = ("_owner", "_when", "arg", "callback", "done")

    def __init__(self, owner: Timers, when: float, callback: Callable[[_T], None],
                 arg: _T) -> None:
        self._owner = owner
        self._when = when
        self.callback = callback
        self.arg = arg
        #: ran or cancelled
        self.done = False

    def when(self) -> float:
        return self._when

    def cancel(self) -> None:
        if not self.done:
            self.done = True
            self._owner.cancelled()


class Timers:
    def __init__(self, slack: float = SLACK) -> None:
        self.slack = slack
        self._heap: list[tuple[float, int, Timer[Any]]] = []
        self._order = itertools.count()
        self._live = 0
        self._wake: asyncio.TimerHandle | None = None
        self._wake_at = 0.0
        #: wake-ups so far, and timers they ran (bench and tests read the ratio)
        self.wakeups = 0
        self.fired = 0
        #: told how late (s) a wake-up ran after its earliest timer's time, when later
        #: than `late_after`: keepalived's scheduler logs it and may raise the realtime
        #: priority (adapters/scheduling). Checked here so the hot path makes no call.
        self.on_late: Callable[[float], None] | None = None
        self.late_after = 0.0

    def __len__(self) -> int:
        return self._live

    def call_at(self, when: float, callback: Callable[[_T], None], arg: _T) -> Timer[_T]:
        timer = Timer(self, when, callback, arg)
        heapq.heappush(self._heap, (when, next(self._order), timer))
        self._live += 1
        if self._wake is None or when < self._wake_at:
            self._arm(when)
        return timer

    def cancelled(self) -> None:
        self._live -= 1
        heap = self._heap
        if len(heap) > 64 and len(heap) > 4 * self._live:
            # a BACKUP re-arms its down timer on every advert: drop what was cancelled
            self._heap = [entry for entry in heap if not entry[2].done]
            heapq.heapify(self._heap)

    def _arm(self, when: float) -> None:
        if self._wake is not None:
            self._wake.cancel()
        self._wake_at = when
        self._wake = asyncio.get_running_loop().call_at(when, self._fire)

    def _fire(self) -> None:
        self._wake = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self.on_late is not None and now - self._wake_at > self.late_after:
            self.on_late(now - self._wake_at)
        heap, limit = self._heap, now + self.slack
        due: list[Timer[Any]] = []
        while heap and heap[0][0] <= limit:
            timer = heapq.heappop(heap)[2]
            if not timer.done:
                timer.done = True
                due.append(timer)
        self._live -= len(due)
        self.wakeups += 1
        self.fired += len(due)
        for timer in due:
            try:
                timer.callback(timer.arg)
            except Exception as exc:  # as asyncio's Handle: report, run the others
                loop.call_exception_handler({"message": "timer callback failed",
                                             "exception": exc, "timer": timer})
        self._rearm()

    def _rearm(self) -> None:
        """After a batch: wake for the earliest timer left (callbacks may have armed a
        later one, or compacted the heap by cancelling)."""
        heap = self._heap
        while heap and heap[0][2].done:
            heapq.heappop(heap)
        if heap and (self._wake is None or heap[0][0] < self._wake_at):
            self._arm(heap[0][0])
