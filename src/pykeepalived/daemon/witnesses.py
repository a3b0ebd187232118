"""The running half of neighbour witnesses: one prober per instance that has them.

Each probe round's answers go through the instance's `WitnessTracker` (vrrp/witness.py);
a changed verdict becomes a `WitnessChanged` event fed like any other (through the sync
group when the instance has one). The trackers stay here so status can show every
witness's reachability.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.vrrp.actions import LogLevel
from pykeepalived.vrrp.witness import WitnessTracker

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.daemon.ports import LogSink, Ports, WitnessPort
    from pykeepalived.daemon.running import RunningInstance
    from pykeepalived.vrrp.advert import IPAddress
    from pykeepalived.vrrp.events import Event


class Witnesses:
    def __init__(self, ports: Ports, log: LogSink,
                 feed: Callable[[RunningInstance, Event], None]) -> None:
        self._ports = ports
        self._log = log
        self._feed = feed
        self.trackers: dict[str, WitnessTracker] = {}
        self._probers: dict[str, WitnessPort] = {}

    def start(self, node: RunningInstance) -> None:
        spec = node.spec
        if spec.witness is None:
            return
        self.stop(spec.name)
        tracker = self.trackers[spec.name] = WitnessTracker(spec.witness)
        if self._ports.open_witness is None:
            self._log.log(f"({spec.name}) no witness prober here: the instance stays "
                          "out of MASTER")
            return

        def on_round(answered: frozenset[IPAddress]) -> None:
            event = tracker.round(answered)
            if event is None:
                return
            word = "reachable" if event.reachable else "unreachable"
            self._log.log(f"({spec.name}) witnesses {word}: {event.detail}")
            self._feed(node, event)

        try:
            self._probers[spec.name] = self._ports.open_witness(spec, on_round)
        except (OSError, ValueError) as exc:
            self._log.log(f"({spec.name}) cannot ask the witnesses: {exc}")
            return
        self._log.log(f"({spec.name}) asking witnesses {tracker.describe()} every "
                      f"{spec.witness.interval:g} s, down after {spec.witness.loss} "
                      "unanswered rounds", LogLevel.DETAIL)

    def stop(self, name: str) -> None:
        prober = self._probers.pop(name, None)
        if prober is not None:
            prober.close()

    def rename(self, old: str, new: str) -> None:
        """A reload kept the instance under another name: same prober, same readings."""
        if old == new:
            return
        if old in self.trackers:
            self.trackers[new] = self.trackers.pop(old)
        if old in self._probers:
            self._probers[new] = self._probers.pop(old)

    def stop_all(self) -> None:
        for name in list(self._probers):
            self.stop(name)
