"""Virtual time: a float that only moves forward, and a heap of things due at given instants.

The simulator never reads a real clock; every `now` the cores see comes from here, so a
scenario is exact and replays identically. Ties at one instant pop in scheduling order
(a sequence number), which keeps runs deterministic.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(order=True, frozen=True, slots=True)
class _Entry(Generic[T]):
    at: float
    seq: int
    item: T = field(compare=False)


class VirtualClock(Generic[T]):
    """The current virtual time plus a deadline heap of items of type T."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[_Entry[T]] = []
        self._seq = 0

    def schedule(self, at: float, item: T) -> None:
        if at < self.now:
            raise ValueError(f"cannot schedule in the past: {at} < now {self.now}")
        heapq.heappush(self._heap, _Entry(at, self._seq, item))
        self._seq += 1

    def next_at(self) -> float | None:
        return self._heap[0].at if self._heap else None

    def pop(self) -> tuple[float, T]:
        """Remove the earliest item; the caller advances time with `advance_to`."""
        entry = heapq.heappop(self._heap)
        return entry.at, entry.item

    def advance_to(self, at: float) -> None:
        if at < self.now:
            raise ValueError(f"time can't go backwards: {at} < {self.now}")
        self.now = at

    def pending(self) -> int:
        return len(self._heap)
