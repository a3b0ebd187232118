"""Config + facts about the host's interfaces → everything the daemon runs (`DaemonSpec`).

The one step from the config model to the runtime: instances (specs/instance.py), the
trackers they use (specs/tracks.py), sync groups, notify targets and FIFOs
(specs/notify.py) and the static addresses, routes and rules (specs/statics.py). Only what
is used is built: a vrrp_script no instance tracks is not run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pykeepalived.specs.addresses import RulePreferences
from pykeepalived.specs.instance import InstanceSpec, instance_spec
from pykeepalived.specs.notify import NotifyTarget, fifo_specs, smtp_spec
from pykeepalived.specs.statics import StaticSpec, static_spec
from pykeepalived.specs.syncd import sync_daemon_spec
from pykeepalived.specs.tracks import FileSpec, ProcessMatcher, ScriptSpec, script_spec
from pykeepalived.vrrp.tracking import TrackKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pykeepalived.check.lvs import SyncDaemonSpec
    from pykeepalived.config import model
    from pykeepalived.specs.instance import InterfaceFacts
    from pykeepalived.specs.notify import FifoSpec, SmtpSpec


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A vrrp_sync_group: its members move together (vrrp/sync_group.py)."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DaemonSpec:
    """Everything the daemon runs; equal parts need no work at a reload."""

    instances: tuple[InstanceSpec, ...]
    scripts: tuple[ScriptSpec, ...]
    warnings: tuple[str, ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    files: tuple[FileSpec, ...] = ()
    processes: tuple[ProcessMatcher, ...] = ()
    notify_targets: tuple[NotifyTarget, ...] = ()
    fifos: tuple[FifoSpec, ...] = ()
    #: vrrp_startup_delay in seconds: instances start this long after the daemon
    startup_delay: float = 0.0
    #: SMTP alerts (None: not configured)
    smtp: SmtpSpec | None = None
    #: static_ipaddress / static_routes / static_rules (specs/statics.py)
    statics: StaticSpec = field(default_factory=StaticSpec)
    #: lvs_sync_daemon tied to a vrrp_instance (the VRRP process moves its roles)
    lvs_sync: SyncDaemonSpec | None = None


def build(config: model.Config, interfaces: Mapping[str, InterfaceFacts]) -> DaemonSpec:
    """Every instance's spec; raises BuildError with a keepalived-style message."""
    warnings: list[str] = []
    preferences = RulePreferences()
    statics = static_spec(config, preferences, warnings)
    vmac_names: set[str] = set()
    instances = tuple(instance_spec(config, inst, interfaces, warnings, preferences, vmac_names)
                      for inst in config.instances)
    scripts = tuple(script_spec(s, config.global_defs) for s in config.vrrp_scripts
                    if s.name in _used(instances, TrackKind.SCRIPT))
    files = tuple(FileSpec(f.name, f.file, f.init_file) for f in config.track_files
                  if f.file and f.name in _used(instances, TrackKind.FILE))
    processes = tuple(ProcessMatcher.from_config(p) for p in config.track_processes
                      if p.process and p.name in _used(instances, TrackKind.PROCESS))
    groups = tuple(GroupSpec(g.name, tuple(m.name for m in g.members))
                   for g in config.sync_groups if g.members)
    g = config.global_defs
    targets = (*(NotifyTarget.for_instance(i, g) for i in config.instances),
               *(NotifyTarget.for_group(s, g) for s in config.sync_groups))
    sync = sync_daemon_spec(config, warnings)
    return DaemonSpec(instances, scripts, tuple(warnings), groups=groups, files=files,
                      processes=processes, notify_targets=targets,
                      fifos=tuple(fifo_specs(g)), startup_delay=g.vrrp_startup_delay_us / 1e6,
                      smtp=smtp_spec(g), statics=statics,
                      lvs_sync=sync if sync is not None and sync.instance else None)


def _used(instances: tuple[InstanceSpec, ...], kind: TrackKind) -> frozenset[str]:
    return frozenset(t.name for spec in instances for t in spec.track if t.kind is kind)


def interfaces_needed(config: model.Config) -> frozenset[str]:
    """Interfaces whose facts `build` needs (the runtime asks netlink for these)."""
    names: set[str] = set()
    for inst in config.instances:
        if inst.interface:
            names.add(inst.interface)
        names.update(ref.name for ref in inst.track_interfaces)
        names.update(v.dev for v in (*inst.virtual_ipaddresses,
                                     *inst.virtual_ipaddresses_excluded) if v.dev)
    return frozenset(names)


