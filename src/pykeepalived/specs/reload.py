"""Which running instances a reload keeps, restarts, removes and adds.

Matched old↔new as keepalived's vrrp_exist does, by (VRID, family, interface, unicast
or not). An instance whose whole built spec is equal (name included) is kept untouched;
what the driver does with each part of the plan is daemon/reload.py's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pykeepalived.specs.instance import InstanceSpec


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    #: old name → new spec, equal specs: keep everything running
    keep: tuple[tuple[str, InstanceSpec], ...] = ()
    #: old name → new spec that differs: restart the instance (MASTER stays MASTER)
    change: tuple[tuple[str, InstanceSpec], ...] = ()
    remove: tuple[str, ...] = ()
    add: tuple[InstanceSpec, ...] = ()

    def summary(self) -> str:
        return (f"{len(self.keep)} kept, {len(self.change)} changed, "
                f"{len(self.remove)} removed, {len(self.add)} added")


def plan_reload(old: Mapping[str, InstanceSpec], new: Iterable[InstanceSpec]) -> ReloadPlan:
    """Match by keepalived's key; the first old instance with a key wins (keys are unique
    in a valid config: the config layer refuses duplicate VRIDs on one interface)."""
    by_key = {spec.key: name for name, spec in reversed(list(old.items()))}
    keep: list[tuple[str, InstanceSpec]] = []
    change: list[tuple[str, InstanceSpec]] = []
    add: list[InstanceSpec] = []
    matched: set[str] = set()
    for spec in new:
        name = by_key.get(spec.key)
        if name is None or name in matched:
            add.append(spec)
            continue
        matched.add(name)
        (keep if old[name] == spec else change).append((name, spec))
    remove = tuple(name for name in old if name not in matched)
    return ReloadPlan(tuple(keep), tuple(change), remove, tuple(add))
