"""Which trackers an instance runs, with the weight that applies to each.

keepalived's rules: a ref's own `weight` overrides the tracker's default; the primary
interface is tracked unless `dont_track_primary`; a sync group's own track_* apply to
every member, weightless unless `sync_group_tracking_weight` (the config layer already
dropped weighted member trackers, resolve.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pykeepalived.vrrp.tracking import TrackKind, TrackSpec

if TYPE_CHECKING:
    from pykeepalived.config import model


def instance_tracks(config: model.Config, inst: model.VrrpInstanceConfig,
                    ifname: str) -> tuple[TrackSpec, ...]:
    specs: dict[tuple[TrackKind, str], TrackSpec] = {}
    if not inst.dont_track_primary:
        specs[(TrackKind.INTERFACE, ifname)] = TrackSpec(TrackKind.INTERFACE, ifname)
    refs = _TrackRefs(inst.track_interfaces, inst.track_scripts, inst.track_files,
                      inst.track_processes)
    for spec in refs.specs(config, weighted=True):
        specs[(spec.kind, spec.name)] = spec
    group = next((g for g in config.sync_groups
                  if any(m.name == inst.name for m in g.members)), None)
    if group is not None:  # keepalived adds the group's trackers to every member
        group_refs = _TrackRefs(group.track_interfaces, group.track_scripts,
                                group.track_files, group.track_processes)
        for spec in group_refs.specs(config, weighted=group.sync_group_tracking_weight):
            specs.setdefault((spec.kind, spec.name), spec)
    return tuple(specs.values())


@dataclass(frozen=True, slots=True)
class _TrackRefs:
    interfaces: tuple[model.TrackedRef, ...]
    scripts: tuple[model.TrackedRef, ...]
    files: tuple[model.TrackedRef, ...]
    processes: tuple[model.TrackedRef, ...]

    def specs(self, config: model.Config, *, weighted: bool) -> list[TrackSpec]:
        """The refs as TrackSpecs: a ref's own weight overrides the tracker's default."""
        out = [TrackSpec(TrackKind.INTERFACE, r.name, r.weight or 0, r.reverse)
               for r in self.interfaces]
        for ref in self.scripts:
            script = config.script(ref.name)
            if script is not None and script.script is not None:
                out.append(_weighted(TrackKind.SCRIPT, ref, script.weight,
                                     script.weight_reverse))
        for ref in self.files:
            tfile = next((f for f in config.track_files if f.name == ref.name), None)
            if tfile is not None and tfile.file:
                out.append(_weighted(TrackKind.FILE, ref, tfile.weight, tfile.weight_reverse))
        for ref in self.processes:
            proc = next((p for p in config.track_processes if p.name == ref.name), None)
            if proc is not None and proc.process:
                out.append(_weighted(TrackKind.PROCESS, ref, proc.weight, proc.weight_reverse))
        return out if weighted else [replace(s, weight=0) for s in out]


def _weighted(kind: TrackKind, ref: model.TrackedRef, weight: int, reverse: bool) -> TrackSpec:
    if ref.weight is None:
        return TrackSpec(kind, ref.name, weight, reverse)
    return TrackSpec(kind, ref.name, ref.weight, ref.reverse)
