"""What an instance tracks: scripts, files, processes and interfaces, with their weights.

keepalived's rules: a ref's own `weight` overrides the tracker's default; the primary
interface is tracked unless `dont_track_primary`; a sync group's own track_* apply to
every member, weightless unless `sync_group_tracking_weight` (the config layer already
dropped weighted member trackers, resolve.py). The tracker sources themselves become the
specs the daemon's trackers run: `ScriptSpec` (the one translation of a vrrp_script),
`FileSpec` and `ProcessMatcher`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING

from pykeepalived.commands import ScriptCommand
from pykeepalived.constants import UINT_MAX
from pykeepalived.vrrp.tracking import TrackKind, TrackSpec

if TYPE_CHECKING:
    from pykeepalived.config import model

#: keepalived's quorum_max default (UINT_MAX)
NO_MAX = UINT_MAX


@dataclass(frozen=True, slots=True)
class ScriptSpec:
    """One vrrp_script as the runner needs it (seconds, argv)."""

    name: str
    command: ScriptCommand
    interval: float = 1.0
    timeout: float = 1.0
    rise: int = 1
    fall: int = 1
    init_fail: bool = False


def script_spec(script: model.VrrpScript, g: model.GlobalDefs) -> ScriptSpec:
    """keepalived runs a script at least every second and, without `timeout`, gives it
    the interval to finish (vrrp_parser.c)."""
    assert script.script is not None
    interval = float(max(script.interval, 1))
    timeout = float(script.timeout) if script.timeout else interval
    command = ScriptCommand(script.script.command,
                            script.user or script.script.user or g.script_user,
                            script.group or script.script.group or g.script_group)
    return ScriptSpec(name=script.name, command=command, interval=interval,
                      timeout=timeout, rise=script.rise, fall=script.fall,
                      init_fail=script.init_fail)


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A track_file as the runtime reads it; `init` is `init_file [VALUE] [overwrite]`."""

    name: str
    path: str
    init: tuple[str, ...] | None = None


class ParamMatch(Enum):
    NONE = "none"
    EXACT = "exact"
    PARTIAL = "partial"
    INITIAL = "initial"


@dataclass(frozen=True, slots=True)
class ProcessMatcher:
    """One vrrp_track_process, with keepalived's implied settings applied."""

    name: str
    process: str
    params: tuple[str, ...] = ()
    param_match: ParamMatch = ParamMatch.NONE
    full_command: bool = False
    quorum: int = 1
    quorum_max: int = NO_MAX
    fork_delay: float = 0.0
    terminate_delay: float = 0.0

    @classmethod
    def from_config(cls, tp: model.TrackProcess) -> ProcessMatcher:
        params = tuple(tp.process[1:])
        match = ParamMatch.NONE if tp.param_match is None else ParamMatch(
            tp.param_match or "exact")
        if params and match is ParamMatch.NONE:
            match = ParamMatch.EXACT  # parameters given: exact match on them
        return cls(tp.name, tp.process[0] if tp.process else "", params, match,
                   tp.full_command or bool(params) or match is not ParamMatch.NONE,
                   tp.quorum, NO_MAX if tp.quorum_max is None else tp.quorum_max,
                   (tp.fork_delay_us or tp.delay_us) / 1e6,
                   (tp.terminate_delay_us or tp.delay_us) / 1e6)

    def params_match(self, actual: bytes) -> bool:
        """keepalived's check_params over NUL-terminated argument strings."""
        wanted = b"".join(p.encode() + b"\0" for p in self.params)
        if self.param_match is ParamMatch.EXACT:
            return actual == wanted
        if self.param_match is ParamMatch.PARTIAL:
            return actual.startswith(wanted)
        if self.param_match is ParamMatch.INITIAL:
            return len(actual) >= len(wanted) and actual.startswith(wanted[:-1])
        return True

    def matches(self, comm: str, cmdline: bytes) -> bool:
        if not self.full_command:
            return comm == self.process
        argv0, _, rest = cmdline.partition(b"\0")
        return argv0 == self.process.encode() and self.params_match(rest)


# ---------------------------------------------------------------------------- instances


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
        out = [TrackSpec(TrackKind.INTERFACE, r.name, r.weight or 0, bool(r.reverse))
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
    """keepalived starts from the tracker's weight and direction; the entry's own words
    replace what they give (a weight alone keeps the tracker's direction)."""
    return TrackSpec(kind, ref.name, weight if ref.weight is None else ref.weight,
                     reverse if ref.reverse is None else ref.reverse)
