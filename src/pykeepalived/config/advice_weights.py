"""keepalived's tracker-weight arithmetic, as the config advice reasons about it.

Shared by the single-node advice (`advice.py`: weights the 1..254 clamp swallows) and the
peer advice (`advice_peers.py`: weights too small to move the VIP), which must agree on
what a tracker adds or takes away (vrrp_track.c): positive weights add while OK, negative
ones subtract while KO, `reverse` swaps the states, the sum is kept within 1..254 and a
priority of 255 never moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pykeepalived.config.diagnostics import Location
    from pykeepalived.config.model import Config, TrackedRef, VrrpInstanceConfig

OWNER = 255
LOW, HIGH = 1, 254
MAX_WEIGHT = 253


@dataclass(frozen=True, slots=True)
class Tracker:
    kind: str
    name: str
    weight: int
    reverse: bool
    location: Location

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.name

    def shown(self) -> str:
        return f"{self.kind} {self.name} weight {self.weight}{' reverse' * self.reverse}"

    def lowering_state(self) -> str:
        return "while it succeeds (reverse)" if self.reverse else "when it fails"


def adds_when_good(weight: int, reverse: bool) -> bool:
    """Does the tracker add |weight| in its good state (rather than subtract in its bad)?"""
    return (weight > 0) != reverse


def make_tracker(kind: str, ref: TrackedRef, weight: int, reverse: bool) -> Tracker:
    # the entry's own `weight N [reverse|noreverse]` replaces what it gives
    weight = weight if ref.weight is None else ref.weight
    reverse = reverse if ref.reverse is None else ref.reverse
    return Tracker(kind, ref.name, weight, reverse, ref.location)


def instance_trackers(config: Config, inst: VrrpInstanceConfig) -> list[Tracker]:
    found = []
    for ref in inst.track_scripts:
        script = config.script(ref.name)
        found.append(make_tracker("track_script", ref, script.weight if script else 0,
                                  script.weight_reverse if script else False))
    found += [make_tracker("track_interface", ref, 0, False) for ref in inst.track_interfaces]
    for ref in inst.track_processes:
        process = next((p for p in config.track_processes if p.name == ref.name), None)
        found.append(make_tracker("track_process", ref, process.weight if process else 0,
                                  process.weight_reverse if process else False))
    return found


def clamp_priority(total: int) -> int:
    return min(max(total, LOW), HIGH)


def priority_total(priority: int, trackers: Iterable[Tracker], lowered: tuple[str, str] | None,
           weights: dict[tuple[str, str], int]) -> int:
    """Unclamped priority with every tracker good except `lowered`; `weights` overrides."""
    total = priority
    for tracker in trackers:
        weight = weights.get(tracker.key, tracker.weight)
        raises, low = adds_when_good(weight, tracker.reverse), tracker.key == lowered
        if raises and not low:
            total += abs(weight)
        elif low and not raises:
            total -= abs(weight)
    return total


def priority_terms(priority: int, trackers: Iterable[Tracker]) -> str:
    """`150 + 20`: the base and the weights a good state adds, so the reader can redo it."""
    raised = [abs(t.weight) for t in trackers if t.weight and adds_when_good(t.weight, t.reverse)]
    return " + ".join(str(v) for v in (priority, *raised))


def shown_total(expression: str, total: int) -> str:
    text = expression if expression == str(total) else f"{expression} = {total}"
    return text if clamp_priority(total) == total else f"{text}, kept at {clamp_priority(total)}"

