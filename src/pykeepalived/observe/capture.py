"""Taking a snapshot: live cores, trackers and the running config → frozen values.

The daemon calls `build_snapshot` once per signal or status query; everything after
that is pure rendering (dumps.py, dumps_json.py, status.py). Times in the core are
monotonic seconds while keepalived's dumps show wall-clock epoch seconds, so the caller
reads both clocks once and `Clocks` converts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.observe.snapshot import (
    NOTIFY_SLOTS,
    Clocks,
    DumpSnapshot,
    EpisodeSnapshot,
    GlobalSnapshot,
    InstanceSnapshot,
    NotifyEntry,
    SchedulingSnapshot,
    ScriptSnapshot,
    TrackedScript,
    cmd_str,
)
from pykeepalived.vrrp.params import State
from pykeepalived.vrrp.tracking import ScriptStatus

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pykeepalived.config import model
    from pykeepalived.vrrp.advert import IPAddress
    from pykeepalived.vrrp.instance import VrrpInstance
    from pykeepalived.vrrp.tracking import ScriptTracker


def build_snapshot(
    config: model.Config,
    cores: Mapping[str, VrrpInstance],
    trackers: Mapping[str, ScriptTracker],
    *,
    wall_now: float,
    mono_now: float,
    src_ips: Mapping[str, str] | None = None,
    socket_fds: Mapping[str, tuple[int, int]] | None = None,
    vmac_ifnames: Mapping[str, str] | None = None,
    daemon_counters: Mapping[str, int] | None = None,
    socket_counters: Mapping[str, Mapping[str, int]] | None = None,
    checker_pid: int | None = None,
    witnesses: Mapping[str, Mapping[IPAddress, bool | None]] | None = None,
    leases: Mapping[str, Mapping[str, str]] | None = None,
) -> DumpSnapshot:
    """The daemon's one call: config + running cores (by instance name) + script trackers.

    Instances without a running core (not started, or dropped by the config check) are
    left out, as keepalived's dumps only list the instances it runs. `socket_counters`
    (per instance: what its socket read, runtime.socket_counters) join its extra stats.
    """
    clocks = Clocks(wall_now, mono_now)
    gdefs = snapshot_globals(config.global_defs)
    instances = tuple(
        snapshot_instance(cfg, cores[cfg.name], config, clocks, gdefs,
                          src_ip=(src_ips or {}).get(cfg.name),
                          socket_fds=(socket_fds or {}).get(cfg.name),
                          vmac_ifname=(vmac_ifnames or {}).get(cfg.name, ""),
                          socket_counters=(socket_counters or {}).get(cfg.name, {}),
                          witnesses=(witnesses or {}).get(cfg.name, {}),
                          lease=(leases or {}).get(cfg.name, {}))
        for cfg in config.instances if cfg.name in cores
    )
    scripts = tuple(
        snapshot_script(script, trackers.get(script.name), instances)
        for script in config.vrrp_scripts
    )
    return DumpSnapshot(taken_at=wall_now, globals=gdefs, instances=instances,
                        scripts=scripts, daemon_counters=tuple((daemon_counters or {}).items()),
                        checker_pid=checker_pid)


def snapshot_globals(g: model.GlobalDefs) -> GlobalSnapshot:
    lower_delay = g.vrrp_garp_lower_prio_delay
    lower_repeat = g.vrrp_garp_lower_prio_repeat
    return GlobalSnapshot(
        router_id=g.router_id or "", default_interface=g.default_interface or "eth0",
        dynamic_interfaces=g.dynamic_interfaces, vrrp_version=g.vrrp_version,
        mcast_group4=str(g.vrrp_mcast_group4), mcast_group6=str(g.vrrp_mcast_group6),
        garp_delay_s=g.vrrp_garp_master_delay, garp_repeat=g.vrrp_garp_master_repeat,
        garp_refresh_s=g.vrrp_garp_master_refresh,
        garp_refresh_repeat=g.vrrp_garp_master_refresh_repeat,
        garp_lower_prio_delay_s=g.vrrp_garp_master_delay if lower_delay is None else lower_delay,
        garp_lower_prio_repeat=g.vrrp_garp_master_repeat if lower_repeat is None
        else lower_repeat,
        down_timer_adverts=g.vrrp_down_timer_adverts,
        lower_prio_no_advert=g.vrrp_lower_prio_no_advert,
        higher_prio_send_advert=g.vrrp_higher_prio_send_advert,
        garp_interval_us=g.vrrp_garp_interval_us, gna_interval_us=g.vrrp_gna_interval_us,
        check_unicast_src=g.vrrp_check_unicast_src,
        skip_check_adv_addr=g.vrrp_skip_check_adv_addr, strict=g.vrrp_strict,
        max_auto_priority=g.max_auto_priority or 0,
        min_auto_priority_delay_us=g.min_auto_priority_delay,
        vrrp_scheduling=SchedulingSnapshot(
            g.vrrp_process_priority, g.vrrp_no_swap, g.vrrp_realtime_priority,
            g.vrrp_cpu_affinity, g.vrrp_rlimit_rt),
        checker_scheduling=SchedulingSnapshot(
            g.checker_process_priority, g.checker_no_swap, g.checker_realtime_priority,
            g.checker_cpu_affinity, g.checker_rlimit_rt),
        smtp_alert=g.smtp_alert,
        enable_traps=g.enable_traps, script_security=g.enable_script_security,
    )


def snapshot_instance(
    cfg: model.VrrpInstanceConfig,
    core: VrrpInstance,
    config: model.Config,
    clocks: Clocks,
    gdefs: GlobalSnapshot,
    *,
    src_ip: str | None = None,
    socket_fds: tuple[int, int] | None = None,
    vmac_ifname: str = "",
    socket_counters: Mapping[str, int] | None = None,
    witnesses: Mapping[IPAddress, bool | None] | None = None,
    lease: Mapping[str, str] | None = None,
) -> InstanceSnapshot:
    p = core.params
    vipset = core.state is State.MASTER
    mcast = gdefs.mcast_group4 if p.family == 4 else gdefs.mcast_group6
    # the core records itself as master on taking over; keepalived keeps the last *heard*
    heard = None if core.master_source == p.primary_address else core.master_source
    down = core.master_down_timer
    return InstanceSnapshot(
        name=cfg.name, version=p.version, family=p.family, state=core.state,
        wantstate=core.wantstate, interface=cfg.interface, vrid=p.vrid,
        base_priority=p.priority, effective_priority=core.effective_priority,
        adver_int_cs=p.advert_int_cs, master_adver_int_cs=core.master_adver_int_cs,
        master_router=mcast if heard is None else str(heard),
        master_priority=0 if heard is None else core.master_priority,
        last_transition=clocks.to_wall(core.stats.last_transition),
        last_transition_reason=core.stats.last_transition_reason,
        read_timeout=clocks.to_wall(core.next_deadline()),
        master_down_timer_us=int(down * 1_000_000),  # keepalived truncates
        src_ip=src_ip or _text(cfg.unicast_src_ip or cfg.mcast_src_ip),
        src_from_config=(cfg.unicast_src_ip or cfg.mcast_src_ip) is not None,
        mcast_address=mcast, sync_group=cfg.sync_group,
        unicast_peers=tuple(str(peer.address) for peer in cfg.unicast_peers),
        unicast_ttl=cfg.unicast_ttl, vmac_ifname=vmac_ifname, check_unicast_src=p.check_unicast_src,
        unicast_fault_no_peer=cfg.unicast_fault_no_peer,
        garp_delay_s=round(p.garp.master_delay), garp_repeat=p.garp.master_repeat,
        garp_refresh_s=round(p.garp.master_refresh), garp_refresh_repeat=p.garp.refresh_repeat,
        garp_lower_prio_delay_s=round(p.garp.lower_prio_delay),
        garp_lower_prio_repeat=p.garp.lower_prio_repeat,
        down_timer_adverts=p.down_timer_adverts, lower_prio_no_advert=p.lower_prio_no_advert,
        higher_prio_send_advert=p.higher_prio_send_advert, accept=p.accept,
        nopreempt=not p.preempt, preempt_delay_s=p.effective_preempt_delay,
        promote_secondaries=cfg.promote_secondaries, dont_track_primary=cfg.dont_track_primary,
        skip_check_adv_addr=p.skip_check_adv_addr, strict_mode=p.strict_mode, debug=cfg.debug,
        socket_fds=socket_fds,
        any_flag=any((cfg.unicast_peers, cfg.unicast_fault_no_peer, cfg.dont_track_primary,
                      p.skip_check_adv_addr, cfg.unicast_src_ip or cfg.mcast_src_ip,
                      p.check_unicast_src, cfg.promote_secondaries, not p.preempt)),
        auth_type=int(p.auth_type), auth_data=p.auth_data.rstrip(b"\0").decode(errors="replace"),
        vipset=vipset,
        vips=tuple(format_vip(v, cfg.interface, vipset) for v in cfg.virtual_ipaddresses),
        evips=tuple(format_vip(v, cfg.interface, vipset)
                    for v in cfg.virtual_ipaddresses_excluded),
        vroutes=tuple(str(r) for r in cfg.virtual_routes),
        vrules=tuple(str(r) for r in cfg.virtual_rules),
        track_interfaces=tuple((t.name, t.weight or 0) for t in cfg.track_interfaces),
        track_scripts=_tracked_scripts(cfg, config),
        smtp_alert=bool(cfg.smtp_alert), notify_deleted=cfg.notify_deleted is not None,
        notify_scripts=_notify_entries(cfg),
        stats=tuple(core.stats.keepalived_json().items()),
        extra_stats=(("chk_err", core.stats.chk_err), ("vers_err", core.stats.vers_err),
                     ("vrid_err", core.stats.vrid_err),
                     ("uncounted_drops", core.stats.uncounted_drops),
                     ("malformed", core.stats.malformed),
                     ("split_brain_episodes", core.stats.split_brain_episodes),
                     *core.stats.rx_tally(), *(socket_counters or {}).items()),
        split_brain=_episodes(core, clocks),
        witnesses=tuple((str(a), _WITNESS_WORDS[up]) for a, up in (witnesses or {}).items()),
        refusal=core.refusal,
        lease=tuple((lease or {}).items()),
    )


_WITNESS_WORDS = {True: "up", False: "down", None: "unknown"}


def _episodes(core: VrrpInstance, clocks: Clocks) -> tuple[EpisodeSnapshot, ...]:
    wall = clocks.wall_now - clocks.mono_now
    return tuple(EpisodeSnapshot(start=e.start + wall, end=e.end + wall, side=e.side,
                                 ours=_text(e.ours) or "", our_priority=e.our_priority,
                                 peer=str(e.peer), peer_priority=e.peer_priority)
                 for e in core.split_brain.episodes)


def format_vip(vip: model.VirtualAddress, interface: str | None, is_set: bool) -> str:
    """keepalived's format_ipaddress text; ` set` marks an address currently installed."""
    text = f"{vip.address}/{vip.prefix}"
    if vip.broadcast is not None and vip.address.version == 4:
        text += f" brd {vip.broadcast}"
    text += f" dev {vip.dev or interface or '(null)'}"
    if vip.use_vmac:
        text += " use_vmac"
    text += f" scope {vip.scope or _default_scope(vip)}"
    if vip.label is not None:
        text += f" label {vip.label}"
    if vip.peer is not None:
        text += f" peer {vip.peer}/{vip.prefix}"
    if vip.no_track:
        text += " no_track"
    return text + (" set" if is_set else "")


def _default_scope(vip: model.VirtualAddress) -> str:
    return "link" if vip.address.is_link_local else "global"


def _tracked_scripts(cfg: model.VrrpInstanceConfig,
                     config: model.Config) -> tuple[TrackedScript, ...]:
    out: list[TrackedScript] = []
    for ref in cfg.track_scripts:
        script = config.script(ref.name)
        if script is None:
            continue
        weight = script.weight if ref.weight is None else ref.weight
        reverse = script.weight_reverse if ref.reverse is None else ref.reverse
        command = cmd_str(script.script.command) if script.script is not None else ""
        out.append(TrackedScript(ref.name, command, weight, reverse))
    return tuple(out)


def _notify_entries(cfg: model.VrrpInstanceConfig) -> tuple[NotifyEntry, ...]:
    entries: list[NotifyEntry] = []
    for attr, word, json_key in NOTIFY_SLOTS:
        script: model.NotifyScript | None = getattr(cfg, attr)
        if script is not None:
            entries.append(NotifyEntry(word, json_key, cmd_str(script.command)))
    return tuple(entries)


_INIT_WORDS = {ScriptStatus.INIT: "INIT", ScriptStatus.INIT_RELOAD: "INIT/RELOAD"}


def snapshot_script(
    script: model.VrrpScript,
    tracker: ScriptTracker | None,
    instances: tuple[InstanceSnapshot, ...],
) -> ScriptSnapshot:
    """`Result` is the tracker's own rise/fall counter; a script nobody runs (not tracked)
    shows keepalived's starting value."""
    status = tracker.status if tracker is not None else ScriptStatus.INIT
    initial = 0 if script.init_fail else script.rise - 1
    result = tracker.result if tracker is not None else initial
    tracking = tuple(
        (inst.name, ts.weight) for inst in instances for ts in inst.track_scripts
        if ts.name == script.name
    )
    return ScriptSnapshot(
        name=script.name,
        command=cmd_str(script.script.command) if script.script is not None else "",
        interval_s=script.interval, timeout_s=script.timeout or 0, weight=script.weight,
        weight_reverse=script.weight_reverse, rise=script.rise, fall=script.fall,
        result=result, init_state=_INIT_WORDS.get(status, "unknown"),
        status="GOOD" if result >= script.rise else "BAD", tracker_state=status.value,
        tracking=tracking,
    )


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)

