"""Taking a check snapshot: live virtual-server cores + the config they run → frozen values.

The checker process calls `build_check_snapshot` once per signal; everything after is
pure rendering (check_dump.py, check_status.py). The cores hold the running state
(alive, weights, retries, last results); the configuration holds what keepalived prints
as written (a url's own virtualhost, misc_timeout 0, a VS-level retry left unset), which
the resolved specs no longer tell apart. Config and cores are paired by keepalived's
label, their real servers and checkers by position (the spec builder keeps the config's
order and drops only the checkers we do not run, which `checker_spec` recomputes).

What needs the host (a script's resolved path and uid:gid, a track file's real path, the
kernel's IPVS table) comes in as values or functions, so this stays testable as is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived.check.params import CheckerKind, FileProbe
from pykeepalived.config.model_check import Forwarding
from pykeepalived.observe.capture import snapshot_globals
from pykeepalived.observe.check_capture_checkers import capture_checkers, count_regex_refs
from pykeepalived.observe.check_snapshot import (
    PARAMETER_UNSET,
    CheckGlobals,
    CheckSnapshot,
    FifoView,
    GroupEntryView,
    GroupView,
    RealServerView,
    ScriptLine,
    SorryView,
    SyncdView,
    TrackFileView,
    VirtualServerView,
)
from pykeepalived.observe.snapshot import Clocks, cmd_str
from pykeepalived.specs.notify import script_command

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pykeepalived.check.lvs import DestSpec, ServiceSpec
    from pykeepalived.check.pool import VirtualServerCore
    from pykeepalived.check.servers import RealServer
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.config import model
    from pykeepalived.config.model_base import NotifyScript
    from pykeepalived.config.model_check import (
        Checksum,
        Method,
        TunnelType,
        VirtualServer,
        VirtualServerGroup,
    )
    from pykeepalived.specs.check import CheckSpec

    Describe = Callable[[ScriptCommand], ScriptLine]
    Kernel = Mapping[ServiceSpec, Sequence[DestSpec]]

_METHODS: dict[int, Method] = {0: "NAT", 2: "TUN", 3: "DR"}
_TUNNELS: dict[int, TunnelType] = {0: "ipip", 1: "gue", 2: "gre"}
_CHECKSUMS: dict[int, Checksum] = {0: "nocsum", 1: "csum", 2: "remcsum"}
_PROTOCOL_SLOT = {6: 0, 17: 1, 132: 2}


def plain_script(command: ScriptCommand) -> ScriptLine:
    """A script as written, run as root: what a host without our resolver shows."""
    return ScriptLine(cmd_str(command.argv))


def build_check_snapshot(
    config: model.Config,
    spec: CheckSpec,
    cores: Sequence[VirtualServerCore],
    *,
    wall_now: float,
    mono_now: float,
    pid: int = 0,
    files: Mapping[str, int] | None = None,
    kernel: Kernel | None = None,
    describe: Describe = plain_script,
    real_path: Callable[[str], str] = str,
) -> CheckSnapshot:
    """The checker's one call. `files`: each track_file's current value; `kernel`: the
    IPVS table read back (None: not read); `describe` and `real_path` resolve scripts and
    track files as keepalived prints them."""
    clocks = Clocks(wall_now, mono_now)
    pairs = _pairs(config, cores)
    servers = tuple(_virtual_server(core, vs, config, kernel, describe) for core, vs in pairs)
    checkers = [view for index, (core, vs) in enumerate(pairs)
                for view in capture_checkers(index, core, vs, config, clocks, describe)]
    checkers = count_regex_refs(checkers)
    queue = tuple([c for c in checkers if c.kind is not CheckerKind.FILE]
                  + [c for c in checkers if c.kind is CheckerKind.FILE])
    return CheckSnapshot(
        taken_at=wall_now, pid=pid, globals=_globals(config.global_defs, describe),
        ssl=spec.ssl, groups=tuple(_group(g, pairs) for g in config.virtual_server_groups),
        virtual_servers=servers, checkers=queue,
        track_files=_track_files(config, pairs, files or {}, real_path),
        ipvs_read=kernel is not None)


def _pairs(config: model.Config, cores: Sequence[VirtualServerCore]
           ) -> list[tuple[VirtualServerCore, VirtualServer]]:
    """Each running core with its configured virtual_server (first unused same label)."""
    unused = list(config.virtual_servers)
    pairs = []
    for core in cores:
        found = next((vs for vs in unused if vs.label == core.spec.label), None)
        if found is not None:
            unused.remove(found)
            pairs.append((core, found))
    return pairs


# ------------------------------------------------------------------ servers


def _virtual_server(core: VirtualServerCore, vs: VirtualServer, config: model.Config,
                    kernel: Kernel | None, describe: Describe) -> VirtualServerView:
    spec, group = core.spec, _group_of(config, vs)
    sorry = core.sorry
    return VirtualServerView(
        label=spec.label, kind="group" if vs.group else "fwmark" if vs.fwmark else "address",
        address=str(vs.address or ""), port=vs.port, fwmark=vs.fwmark or 0,
        services=tuple(s.text() for s in spec.services), virtualhost=vs.virtualhost,
        family=vs.family,
        group_both_families=group is not None and group.have_ipv4 and group.have_ipv6,
        connect_timeout_us=vs.connect_timeout_us, delay_loop_us=vs.delay_loop_us,
        scheduler=vs.scheduler, flags=vs.flags, persistence_timeout=vs.persistence_timeout,
        persistence_granularity=vs.persistence_granularity, protocol=vs.protocol,
        alpha=vs.alpha, omega=vs.omega, retry=vs.retry,
        delay_before_retry_us=vs.delay_before_retry_us, warmup_us=vs.warmup_us,
        inhibit=vs.inhibit_on_failure, quorum=spec.quorum, hysteresis=spec.hysteresis,
        quorum_up_script=_script(spec.quorum_up, describe),
        quorum_down_script=_script(spec.quorum_down, describe),
        ha_suspend=spec.ha_suspend, smtp_alert=spec.smtp_alert, forwarding=vs.forwarding,
        sorry=None if sorry is None else SorryView(
            sorry.text, _forwarding(sorry), sorry.inhibit, core.sorry_duplicates_rs,
            sorry.alive, sorry.set),
        alive=core.alive, quorum_up=core.quorum_up, alive_weight=core.alive_weight(),
        real_servers=tuple(
            _real_server(core, index, rs, vs, kernel, describe)
            for index, rs in enumerate(core.servers)))


def _real_server(core: VirtualServerCore, index: int, rs: RealServer, vs: VirtualServer,
                 kernel: Kernel | None, describe: Describe) -> RealServerView:
    spec = rs.spec
    cfg = vs.real_servers[index] if index < len(vs.real_servers) else None
    own = cfg if cfg is not None else vs
    files = tuple((c.spec.probe.track_file, c.spec.probe.weight, c.spec.probe.reverse)
                  for c in core.checkers
                  if c.rs == index and isinstance(c.spec.probe, FileProbe))
    return RealServerView(
        address=str(spec.address), port=spec.port, text=rs.text, forwarding=_forwarding(rs),
        alpha=spec.alpha, inhibit=rs.inhibit,
        connect_timeout_us=_first(own.connect_timeout_us, vs.connect_timeout_us) or 0,
        delay_loop_us=_first(own.delay_loop_us, vs.delay_loop_us) or 0,
        u_threshold=spec.u_threshold, l_threshold=spec.l_threshold,
        retry=_first(own.retry, vs.retry),
        delay_before_retry_us=_first(own.delay_before_retry_us, vs.delay_before_retry_us),
        warmup_us=_first(own.warmup_us, vs.warmup_us),
        notify_up=_script(spec.notify_up, describe),
        notify_down=_script(spec.notify_down, describe),
        virtualhost=cfg.virtualhost if cfg is not None else None, smtp_alert=spec.smtp_alert,
        iweight=rs.iweight, effective=rs.effective, previous=rs.previous, alive=rs.alive,
        failed=rs.failed, set=rs.set, reloaded=rs.reloaded, track_files=files,
        ipvs_weight=rs.ipvs_weight() if rs.set else 0,
        kernel_weight=_kernel_weight(core, rs, kernel))


def _kernel_weight(core: VirtualServerCore, rs: RealServer, kernel: Kernel | None
                   ) -> int | None:
    """The weight the kernel holds for this server in the first of its services that
    has it (they all hold the same one unless someone else edited IPVS)."""
    if kernel is None:
        return None
    table = {service.key: dests for service, dests in kernel.items()}
    for service in core.spec.services:
        wanted = rs.spec.dest(service, 0).key
        for dest in table.get(service.key, ()):
            if dest.key == wanted:
                return dest.weight
    return None


def _forwarding(rs: RealServer) -> Forwarding:
    spec = rs.spec
    return Forwarding(_METHODS[spec.forwarding], _TUNNELS[spec.tunnel_type],
                      spec.tunnel_port, _CHECKSUMS.get(spec.tunnel_flags, "nocsum"))


def _script(command: ScriptCommand | None, describe: Describe) -> ScriptLine | None:
    return None if command is None else describe(command)


def _first(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


# ------------------------------------------------------------------ groups


def _group_of(config: model.Config, vs: VirtualServer) -> VirtualServerGroup | None:
    return next((g for g in config.virtual_server_groups if g.name == vs.group), None)


def _group(group: VirtualServerGroup,
           pairs: Sequence[tuple[VirtualServerCore, VirtualServer]]) -> GroupView:
    """keepalived counts, per entry, the destinations added to it by each virtual server
    using the group: per protocol for addresses, per the VS's family for fwmarks."""
    users = [(vs, _destinations(core)) for core, vs in pairs if vs.group == group.name]
    entries = []
    for entry in group.addresses:
        counts = [0, 0, 0]
        for vs, count in users:
            if vs.protocol in _PROTOCOL_SLOT:
                counts[_PROTOCOL_SLOT[vs.protocol]] += count
        entries.append(GroupEntryView(first=str(entry.first), last=str(entry.last),
                                      port=entry.port, alive=tuple(counts)))
    for entry in group.fwmarks:
        marks = [0, 0]
        for vs, count in users:
            marks[0 if vs.family == 4 else 1] += count
        entries.append(GroupEntryView(fwmark=entry.fwmark, family=entry.family,
                                      alive=tuple(marks)))
    return GroupView(group.name, group.have_ipv4, group.have_ipv6, tuple(entries))


def _destinations(core: VirtualServerCore) -> int:
    sorry = core.sorry
    extra = sorry is not None and sorry.set and not core.sorry_duplicates_rs
    return sum(1 for rs in core.servers if rs.set) + int(extra)


# ------------------------------------------------------------------ track files, globals


def _track_files(config: model.Config,
                 pairs: Sequence[tuple[VirtualServerCore, VirtualServer]],
                 files: Mapping[str, int], real_path: Callable[[str], str],
                 ) -> tuple[TrackFileView, ...]:
    """keepalived forgets a track_file no FILE_CHECK uses; the others list their users."""
    users = [c for core, _ in pairs for c in core.checkers
             if isinstance(c.spec.probe, FileProbe)]
    views = []
    for tf in config.track_files:
        tracking = tuple((c.vs_text, c.rs_text, c.spec.probe.weight, c.spec.probe.reverse)
                         for c in users
                         if isinstance(c.spec.probe, FileProbe)
                         and c.spec.probe.track_file == tf.name)
        if tracking and tf.file is not None:
            views.append(TrackFileView(tf.name, real_path(tf.file), files.get(tf.name, 0),
                                       tf.weight, tf.weight_reverse, tracking))
    return tuple(views)


def _globals(g: model.GlobalDefs, describe: Describe) -> CheckGlobals:
    """The checker process resolves no VRRP defaults: an unset lower-priority GARP
    setting stays keepalived's PARAMETER_UNSET there."""
    base = replace(
        snapshot_globals(g),
        garp_lower_prio_delay_s=_unset(g.vrrp_garp_lower_prio_delay),
        garp_lower_prio_repeat=_unset(g.vrrp_garp_lower_prio_repeat))
    syncd = g.lvs_sync_daemon
    return CheckGlobals(
        base=base, smtp_alert_checker=g.smtp_alert_checker,
        log_all_failures=g.checker_log_all_failures,
        lvs_timeouts=(g.lvs_timeout_tcp, g.lvs_timeout_tcpfin, g.lvs_timeout_udp),
        syncd=None if syncd is None else SyncdView(
            syncd.interface, syncd.instance,
            syncd.sync_id if syncd.sync_id is not None
            else 0 if syncd.instance is None else PARAMETER_UNSET,
            syncd.max_len, None if syncd.group is None else str(syncd.group), syncd.port,
            syncd.ttl),
        lvs_flush=g.lvs_flush, lvs_flush_on_stop=g.lvs_flush_on_stop or "disabled",
        notify_fifo=_fifo(g.notify_fifo, g.notify_fifo_script, g, describe),
        vrrp_notify_fifo=_fifo(g.vrrp_notify_fifo, g.vrrp_notify_fifo_script, g, describe,
                               reader_gets_path=False),
        lvs_notify_fifo=_fifo(g.lvs_notify_fifo, g.lvs_notify_fifo_script, g, describe),
        rs_init_notifies=g.rs_init_notifies, no_checker_emails=g.no_checker_emails)


def _unset(value: int | None) -> int:
    return PARAMETER_UNSET if value is None else value


def _fifo(path: str | None, script: NotifyScript | None, g: model.GlobalDefs,
          describe: Describe, *, reader_gets_path: bool = True) -> FifoView | None:
    """The checker appends the FIFO's path to its own FIFOs' reader scripts (not to the
    VRRP process's), and the dump shows the command with it."""
    if path is None:
        return None
    if script is None:
        return FifoView(path)
    command = script_command(script, g)
    return FifoView(path, describe(command.with_args([path]) if reader_gets_path
                                   else command))
