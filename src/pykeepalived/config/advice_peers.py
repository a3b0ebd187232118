"""Config advice that needs the peers' configs: weights that can never move the VIP
between these nodes, and nopreempt undone by a preempting peer.

Apart from `advice.py` because it compares whole clusters (`-t` with peer configs): each
node's priority is worked out with every tracker good and with each one in its lowering
state (advice_weights.py), and only then held against the best preempting peer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.config.advice import HERE, Advice
from pykeepalived.config.advice_weights import (
    MAX_WEIGHT,
    OWNER,
    Tracker,
    clamp_priority,
    instance_trackers,
    priority_terms,
    priority_total,
    shown_total,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pykeepalived.config.model import Config, VrrpInstanceConfig

__all__ = ["peer_advice"]


@dataclass(frozen=True, slots=True)
class _Node:
    label: str
    inst: VrrpInstanceConfig
    trackers: tuple[Tracker, ...]

    def priority(self, lowered: tuple[str, str] | None = None,
                 weights: dict[tuple[str, str], int] | None = None) -> int:
        if self.inst.priority == OWNER:
            return OWNER
        return clamp_priority(priority_total(self.inst.priority, self.trackers, lowered,
                                             weights or {}))


def _peer_label(config: Config, inst: VrrpInstanceConfig) -> str:
    return f"peer {config.global_defs.router_id or os.path.basename(inst.location.path)}"


def _match(peer: Config, inst: VrrpInstanceConfig) -> VrrpInstanceConfig | None:
    """The peer's instance of the same virtual router: VRID and family, name as tie-break."""
    same = [p for p in peer.instances
            if (p.virtual_router_id, p.family) == (inst.virtual_router_id, inst.family)]
    return next((p for p in same if p.name == inst.name), same[0] if same else None)


def peer_advice(config: Config, peers: Sequence[Config]) -> tuple[Advice, ...]:
    """Checks that need every node's priorities: the seed article's two weight rules
    (negative: master - |w| < backup; positive: master < backup + w) for every master
    candidate and weighted tracker, and nopreempt undone by a preempting peer."""
    out: list[Advice] = []
    for inst in config.instances:
        nodes = [_Node(HERE, inst, tuple(instance_trackers(config, inst)))]
        for peer in peers:
            match = _match(peer, inst)
            if match is not None:
                nodes.append(_Node(_peer_label(peer, match), match,
                                   tuple(instance_trackers(peer, match))))
        if len(nodes) < 2:
            continue
        for node in nodes:
            others = [n for n in nodes if n is not node]
            out += _stuck_weights(node, others)
            out += _preempted_nopreempt(node, others)
    return tuple(out)


def _best(others: Sequence[_Node], weights: dict[tuple[str, str], int] | None = None
          ) -> _Node:
    return max(others, key=lambda n: n.priority(None, weights))


def _stuck_weights(node: _Node, others: Sequence[_Node]) -> list[Advice]:
    """Only a backup without nopreempt takes over from a live master on priority alone
    (vrrp.c vrrp_state_backup), so only those count as where the VIP could go."""
    if any(o.priority() > node.priority() and not o.inst.nopreempt for o in others):
        return []  # a backup: a preempting peer outranks it, its trackers move nothing
    weighted = [t for t in node.trackers if t.weight]
    preempting = [o for o in others if not o.inst.nopreempt]
    if not preempting:
        who = "every peer has" if len(others) > 1 else (
            "this node has" if others[0].label == HERE else "the peer has")
        return [Advice(
            f"{t.shown()} can never move {node.inst.name} off {node.label}: {who} nopreempt,"
            " and a backup with nopreempt never takes over from a live master whatever the"
            f" priorities; use weight 0 so a failure sends {node.inst.name} to FAULT and"
            " releases the VIP, or drop nopreempt on the backup", t.location)
            for t in weighted]
    best = _best(preempting)
    theirs = "the peer's" if len(others) == 1 and best.label != HERE else f"{best.label}'s"
    out = []
    for tracker in weighted:
        if node.priority(tracker.key) < best.priority():
            continue
        low = priority_total(node.inst.priority, node.trackers, tracker.key, {})
        lowered = f"{priority_terms(node.inst.priority, node.trackers)} - {abs(tracker.weight)}"
        ours = shown_total(lowered, low)
        peer = shown_total(priority_terms(best.inst.priority, best.trackers),
                           priority_total(best.inst.priority, best.trackers, None, {}))
        out.append(Advice(
            f"{tracker.shown()} can never move {node.inst.name} off {node.label}:"
            f" {tracker.lowering_state()}, {ours} is not below {theirs} {peer}"
            f" ({_fix(node, preempting, tracker)})", tracker.location))
    return out


def _fix(node: _Node, others: Sequence[_Node], tracker: Tracker) -> str:
    """The smallest weight (same sign first, shared by every node tracking the same
    name) that would let a failure move the VIP."""
    signs = (1, -1) if tracker.weight > 0 else (-1,)
    for sign in signs:
        start = abs(tracker.weight) + 1 if sign * tracker.weight > 0 else 1
        for size in range(start, MAX_WEIGHT + 1):
            weights = {tracker.key: sign * size}
            if node.priority(tracker.key, weights) < _best(others, weights).priority(
                    None, weights):
                if sign * tracker.weight < 0:
                    return (f"no positive weight up to {MAX_WEIGHT} can, as it also raises"
                            f" whoever else tracks it; give a weight of at least {-size}")
                return f"give a weight of at least {sign * size}"
    gap = node.priority() - _best(others).priority()
    return (f"no weight up to {MAX_WEIGHT} can; narrow the priority gap of {gap} between"
            " the nodes")


def _preempted_nopreempt(node: _Node, others: Sequence[_Node]) -> list[Advice]:
    if not node.inst.nopreempt or node.label != HERE:
        return []
    out = []
    for other in others:
        if other.inst.nopreempt or other.priority() <= node.priority():
            continue
        state = " with state MASTER" if other.inst.state == "MASTER" else ""
        out.append(Advice(
            f"nopreempt on {node.inst.name} does not stop {other.label} (priority"
            f" {other.priority()}{state}, no nopreempt) from taking the VIP back when it"
            " returns: nopreempt only acts on the node that would preempt; set `state"
            " BACKUP` and nopreempt on every node", node.inst.location))
    return out

