"""The daemon's memory of transitions: the last few with their reasons, and counts.

The executor records every `StateChanged` it runs here (one place, in the instance's
action order); the control socket shows the history and the metrics count transitions by
instance, new state and reason. Bounded: the history keeps the last `HISTORY` entries,
and the counts grow only with distinct reasons, which come from a fixed set of words plus
the configured tracker names.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.observe.snapshot import TransitionRecord

HISTORY = 64


class TransitionLog:
    def __init__(self, history: int = HISTORY) -> None:
        # plain tuples: the read-out types (observe.snapshot) load at the first read-out
        self.recent: deque[tuple[float, str, str, str, str]] = deque(maxlen=history)
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def record(self, instance: str, old: str, new: str, reason: str,
               at: float | None = None) -> None:
        self.recent.append((time.time() if at is None else at, instance, old, new, reason))
        self.counts[instance, new, reason] += 1

    def history(self) -> tuple[TransitionRecord, ...]:
        from pykeepalived.observe.snapshot import TransitionRecord

        return tuple(TransitionRecord(*entry) for entry in self.recent)

    def count_rows(self) -> tuple[tuple[str, str, str, int], ...]:
        return tuple((i, s, r, n) for (i, s, r), n in sorted(self.counts.items()))
