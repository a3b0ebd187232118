"""Neighbour witnesses (pykeepalived's own): is anyone on our segment still answering?

An instance may name witness addresses on its segment (the default gateway, a third
host). The daemon asks each of them every `interval` seconds with an ARP request (IPv4)
or a neighbour solicitation (IPv6), which answer where ICMP is filtered; each round's
outcome per address comes here. An address is reachable from its first answer until
`loss` rounds in a row go unanswered; before any answer it is not.

The rule it feeds (instance.py): a node that hears no peer advert for a whole
Master_Down_Interval *and* reaches no witness is isolated. It must not hold the VIP:
a BACKUP whose down timer expires goes to FAULT instead of MASTER (at cold start too), and
a MASTER, which hears no peer by design, goes to FAULT as soon as no witness answers.
Whichever side of a partition still reaches a witness keeps or takes the VIP. For the
VIP never to be on two hosts, the witness verdict must come before the peer's down
timer: `interval * loss` shorter than the peer's Master_Down_Interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pykeepalived.vrrp.events import WitnessChanged

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pykeepalived.vrrp.advert import IPAddress


@dataclass(frozen=True, slots=True)
class WitnessParams:
    """The witnesses of one instance and how they are judged."""

    addresses: tuple[IPAddress, ...]
    interval: float = 0.2
    loss: int = 3

    def __post_init__(self) -> None:
        if not self.addresses:
            raise ValueError("WitnessParams.addresses: at least one witness")
        if not 0.01 <= self.interval <= 60:
            raise ValueError(f"WitnessParams.interval: 0.01..60 s, not {self.interval}")
        if not 1 <= self.loss <= 100:
            raise ValueError(f"WitnessParams.loss: 1..100, not {self.loss}")

    @property
    def detection(self) -> float:
        """The longest time from the last answer to the verdict 'unreachable'."""
        return self.interval * self.loss


@dataclass(slots=True)
class WitnessTracker:
    """Per-address readings and the one verdict the instance consumes."""

    params: WitnessParams
    #: address → True (answers), False (lost `loss` rounds in a row), None (never answered)
    reachable: dict[IPAddress, bool | None] = field(default_factory=dict)
    _missed: dict[IPAddress, int] = field(default_factory=dict)
    #: None until decided: an answer, or `loss` rounds missed by every witness
    _verdict: bool | None = None

    def __post_init__(self) -> None:
        for address in self.params.addresses:
            self.reachable.setdefault(address, None)
            self._missed.setdefault(address, 0)

    @property
    def any_reachable(self) -> bool:
        return bool(self._verdict)

    def round(self, answered: Iterable[IPAddress]) -> WitnessChanged | None:
        """One probe round ended: `answered` replied during it. The event to feed the
        instance when the verdict (any witness reachable) changed, else None."""
        got = set(answered)
        for address in self.params.addresses:
            if address in got:
                self._missed[address] = 0
                self.reachable[address] = True
            else:
                self._missed[address] += 1
                if self._missed[address] >= self.params.loss and self.reachable[address]:
                    self.reachable[address] = False
        if any(self.reachable.values()):
            verdict = True
        elif all(n >= self.params.loss for n in self._missed.values()):
            # decided even for witnesses never heard: a master kept across a reload
            # (whose core starts without a reading) must learn it too
            verdict = False
        else:
            return None
        if verdict == self._verdict:
            return None
        self._verdict = verdict
        return WitnessChanged(verdict, self.describe())

    def describe(self) -> str:
        """`192.0.2.1 up, 192.0.2.3 down` (unknown: never answered)."""
        words = {True: "up", False: "down", None: "unknown"}
        return ", ".join(f"{a} {words[r]}" for a, r in self.reachable.items())
