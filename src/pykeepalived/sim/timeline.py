"""What happened in a simulated run, in order: state changes, VIP moves, log lines.

Tests ask it questions ("who was MASTER of VI_1 at t=5?", "when did node b first become
MASTER?"), and `render()` prints a table that docs and the demo can show as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Transition:
    at: float
    node: str
    instance: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True, slots=True)
class VipChange:
    at: float
    node: str
    instance: str
    holding: bool  # True: VIPs added on `node`; False: removed (or lost in a crash)


@dataclass(frozen=True, slots=True)
class LogLine:
    at: float
    node: str
    message: str


@dataclass
class Timeline:
    transitions: list[Transition] = field(default_factory=list)
    vip_changes: list[VipChange] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)

    def state_of(self, node: str, instance: str, at: float) -> str:
        """The state `instance` on `node` was in at `at` (changes at `at` included)."""
        state = "INIT"
        for change in self.transitions:
            if change.at > at:
                break
            if change.node == node and change.instance == instance:
                state = change.new
        return state

    def in_state(self, instance: str, state: str, at: float) -> set[str]:
        nodes = {t.node for t in self.transitions if t.instance == instance}
        return {n for n in nodes if self.state_of(n, instance, at) == state}

    def masters(self, instance: str, at: float) -> set[str]:
        return self.in_state(instance, "MASTER", at)

    def vip_holders(self, instance: str, at: float) -> set[str]:
        """Nodes holding `instance`'s VIPs at `at`: the observer the docs talk about."""
        holding: set[str] = set()
        for change in self.vip_changes:
            if change.at > at:
                break
            if change.instance != instance:
                continue
            if change.holding:
                holding.add(change.node)
            else:
                holding.discard(change.node)
        return holding

    def entered(self, node: str, instance: str, state: str, after: float = -1.0) -> list[float]:
        """Every instant after `after` at which `node`'s `instance` entered `state`."""
        return [
            t.at
            for t in self.transitions
            if t.node == node and t.instance == instance and t.new == state and t.at > after
        ]

    def first_entered(self, node: str, instance: str, state: str, after: float = -1.0) -> float:
        times = self.entered(node, instance, state, after)
        if not times:
            raise LookupError(f"{node}/{instance} never entered {state} after t={after}")
        return times[0]

    def last_change_at(self, instance: str | None = None) -> float | None:
        changes = [t.at for t in self.transitions if instance in (None, t.instance)]
        return max(changes) if changes else None

    def messages(self, node: str | None = None) -> list[str]:
        return [line.message for line in self.logs if node in (None, line.node)]

    def render(self) -> str:
        """A fixed-width table of transitions, one per line, in time order."""
        rows = [f"{'time':>12}  {'node':<8} {'instance':<8} transition"]
        for t in self.transitions:
            reason = f"  ({t.reason})" if t.reason else ""
            rows.append(f"{t.at:12.6f}  {t.node:<8} {t.instance:<8} {t.old} -> {t.new}{reason}")
        return "\n".join(rows)
