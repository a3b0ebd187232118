"""One shared L2 segment: who hears whom, after how long, how many times.

Faults are seeded: the LAN draws from a `random.Random` the caller owns, so a lossy run
replays exactly from its seed. A partition is a set of node groups; nodes in different
groups do not hear each other until `heal()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random
    from collections.abc import Iterable


@dataclass(frozen=True, slots=True)
class LinkFaults:
    """Per-copy fault odds on the segment. Probabilities in [0, 1], times in seconds.

    `jitter` adds a uniform extra delay in [0, jitter) per copy, which reorders adverts
    sent closer together than the jitter.
    """

    loss: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
        if self.delay < 0 or self.jitter < 0:
            raise ValueError("delay and jitter must be >= 0")


class Lan:
    """The segment's delivery rules: partitions and seeded per-copy faults."""

    def __init__(self, rng: random.Random, faults: LinkFaults | None = None) -> None:
        self._rng = rng
        self.faults = faults or LinkFaults()
        self._groups: tuple[frozenset[str], ...] = ()
        self.sent = 0
        self.dropped = 0
        self.duplicated = 0

    def partition(self, groups: Iterable[Iterable[str]]) -> None:
        """Split the segment; a node named in no group is cut off from everyone."""
        self._groups = tuple(frozenset(group) for group in groups)

    def heal(self) -> None:
        self._groups = ()

    @property
    def partitioned(self) -> bool:
        return bool(self._groups)

    def can_reach(self, sender: str, receiver: str) -> bool:
        if not self._groups:
            return True
        return any(sender in group and receiver in group for group in self._groups)

    def copy_delays(self, sender: str, receiver: str) -> list[float]:
        """Delays of the copies of one frame that reach `receiver`: zero, one or two."""
        self.sent += 1
        if not self.can_reach(sender, receiver):
            self.dropped += 1
            return []
        if self.faults.loss and self._rng.random() < self.faults.loss:
            self.dropped += 1
            return []
        copies = 1
        if self.faults.duplicate and self._rng.random() < self.faults.duplicate:
            copies = 2
            self.duplicated += 1
        return [self._one_delay() for _ in range(copies)]

    def _one_delay(self) -> float:
        extra = self._rng.random() * self.faults.jitter if self.faults.jitter else 0.0
        return self.faults.delay + extra
