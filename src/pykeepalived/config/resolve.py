"""From parsed fields to the frozen Config: defaults across blocks and keepalived's checks.

Mirrors the end-of-parse work of keepalived 2.2.7 (vrrp.c vrrp_complete_instance,
vrrp_sync.c, check_vrid_conflicts; the script security verdict is in resolve_scripts.py):
same conditions, same words, pure on a `HostFacts` value.
"""

from __future__ import annotations

from dataclasses import fields as dc_fields
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from pykeepalived.config import values
from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model import (
    Authentication,
    Config,
    GlobalDefs,
    SyncGroupConfig,
    TrackedRef,
    TrackFile,
    TrackProcess,
    VrrpInstanceConfig,
    VrrpScript,
)
from pykeepalived.config.resolve_check import resolve_check
from pykeepalived.config.resolve_scripts import script_security
from pykeepalived.config.values import TIMER_HZ
from pykeepalived.constants import PRIORITY_DEFAULT, PRIORITY_OWNER

T = TypeVar("T", bound="DataclassInstance")

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from pykeepalived.config.host import HostFacts
    from pykeepalived.config.schema import Ctx, Fields


def build(cls: type[T], fields: Fields) -> T:
    """Construct a model dataclass from a field dict, lists becoming tuples (the dict
    holds whatever the keyword handlers stored; the dataclass fields say what counts)."""
    names = {f.name for f in dc_fields(cls)}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items() if k in names}
    return cls(**kwargs)


def resolve(ctx: Ctx, root: Fields, host: HostFacts) -> Config:
    gdefs = _global_defs(root.get("global_defs", {}))
    gdefs, server_groups, servers = resolve_check(ctx, root, gdefs, host)
    scripts = tuple(build(VrrpScript, f) for f in root.get("vrrp_scripts", []))
    sync_of = _sync_membership(root)
    checked = len(ctx.diagnostics)
    instances: list[VrrpInstanceConfig] = []
    for fields in root.get("instances", []):
        instance = _instance(ctx, fields, gdefs, scripts, sync_of)
        if instance is not None:
            instances.append(instance)
    groups = _sync_groups(ctx, root.get("sync_groups", []), instances)
    _vrid_conflicts(ctx, instances, gdefs, host)
    if ctx.bad_interface:  # a device looked up while parsing was missing
        # keepalived's vrrp child stops here (vrrp_daemon.c), before vrrp_complete_init:
        # none of the instances' checks after parsing, nor the script security verdict,
        # is reached with a missing interface (the model is still built from what parsed)
        del ctx.diagnostics[checked:]
        ctx.report(Kind.BAD_IF, "Non-existent interface specified in configuration", None)
    elif instances:
        script_security(ctx, gdefs, scripts, instances, groups, host)
    return Config(
        global_defs=gdefs,
        static_ipaddresses=tuple(root.get("static_ipaddresses", [])),
        static_routes=tuple(root.get("static_routes", [])),
        static_rules=tuple(root.get("static_rules", [])),
        vrrp_scripts=scripts,
        track_files=tuple(build(TrackFile, f) for f in root.get("track_files", [])),
        track_processes=tuple(build(TrackProcess, f) for f in root.get("track_processes", [])),
        sync_groups=groups,
        instances=tuple(instances),
        virtual_server_groups=server_groups,
        virtual_servers=servers,
        ssl=root.get("ssl"),
        options=tuple(root.get("options", [])),
    )


def _global_defs(fields: Fields) -> GlobalDefs:
    fields = dict(fields)
    fields["notification_email"] = [" ".join(e) for e in fields.get("notification_email", [])]
    return build(GlobalDefs, fields)


def _sync_membership(root: Fields) -> dict[str, Fields]:
    owner: dict[str, Fields] = {}
    for group in root.get("sync_groups", []):
        for member in group.get("members", []):
            owner.setdefault(member[0], group)
    return owner


def _instance(ctx: Ctx, f: Fields, gdefs: GlobalDefs,
              scripts: tuple[VrrpScript, ...], sync_of: dict[str, Fields],
              ) -> VrrpInstanceConfig | None:
    name = f["name"]
    iface = f.get("interface")  # its existence was checked while parsing
    f["track_interfaces"] = _track_interfaces(ctx, f)
    loc = f["location"]
    unicast = bool(f.get("unicast_peers"))
    if not f.get("virtual_router_id"):
        ctx.error(f"({name}) the virtual router id must be set", loc)
        return None
    if iface is None and not unicast:
        ctx.error(f"({name}) Unknown interface!", loc)
        return None
    family = f.get("family", 4)
    version = f.get("version") or (3 if family == 6 else gdefs.vrrp_version)
    strict = f.get("strict_mode")
    strict = gdefs.vrrp_strict if strict is None else strict
    if family == 6 and version == 2 and strict:
        ctx.error(f"({name}) cannot use IPv6 with VRRP version 2; setting version 3", loc)
        version = 3
    if not f.get("virtual_ipaddresses"):
        if version == 3 or strict:
            ctx.error(f"({name}) No VIP specified; at least one is required", loc)
            return None
        ctx.error(f"({name}) No VIP specified; at least one is sensible", loc)
    state = f.get("state")
    priority = f.get("priority") or (PRIORITY_OWNER if state == "MASTER" else PRIORITY_DEFAULT)
    state = state or ("MASTER" if priority == PRIORITY_OWNER else "BACKUP")
    f["authentication"] = _auth(ctx, f, version, family, strict, state, priority)
    if f.get("unicast_configured") and not unicast and not f.get("unicast_fault_no_peer"):
        ctx.report(Kind.DEPRECATED, f"({name}) A unicast keyword has been specified without any"
                   " unicast peers. Defaulting to multicast. This usage is deprecated - please"
                   " update your configuration.", loc)
    _preempt_checks(ctx, f, name, state, priority, strict)
    _witness_checks(ctx, f, name, family)
    _strict_checks(ctx, f, name, family=family, version=version, strict=strict,
                   priority=priority, unicast=unicast)
    f["advert_int_us"] = _advert_int(ctx, name, int(f.get("advert_int_us") or TIMER_HZ), version)
    group = sync_of.get(name)
    _owner_and_sync_weights(ctx, f, name, priority, group, scripts)
    f.update(state=state, priority=priority, version=version, family=family,
             sync_group=group["name"] if group else None)
    return build(VrrpInstanceConfig, f)


def _witness_checks(ctx: Ctx, f: Fields, name: str, family: int) -> None:
    """Witnesses are neighbours asked by ARP (IPv4) or NS (IPv6): the instance's family."""
    given = f.get("witness", [])
    kept = [a for a in given if a.version == family]
    if len(kept) != len(given):
        ctx.error(f"({name}) a witness is not an IPv{family} address like the instance's"
                  " - ignoring it", f["location"])
    f["witness"] = kept


def _strict_checks(ctx: Ctx, f: Fields, name: str, *, family: int, version: int,
                   strict: bool, priority: int, unicast: bool) -> None:
    """RFC rules keepalived enforces only in strict mode (vrrp_complete_instance)."""
    vips = f.get("virtual_ipaddresses") or []
    if (strict and family == 6 and not unicast and vips
            and not vips[0].address.is_link_local):
        ctx.error(f"({name}) the first IPv6 VIP address must be link local", f["location"])
    accept = f.get("accept")
    accept = (priority == PRIORITY_OWNER or not strict) if accept is None else accept
    if accept and priority != PRIORITY_OWNER and strict and version == 2:
        ctx.error(f"({name}) warning - accept mode for VRRP version 2 does not comply with"
                  " RFC3768 - resetting", f["location"])
        f["accept"] = False


def _track_interfaces(ctx: Ctx, f: Fields) -> list[TrackedRef]:
    kept = []
    for ref in f.get("track_interfaces", []):
        if ref.name == f.get("interface") and f.get("use_vmac") is None:
            ctx.error(f"({f['name']}) Ignoring track_interface {ref.name} since own interface",
                      None)
            continue
        kept.append(ref)
    return kept


def _auth(ctx: Ctx, f: Fields, version: int, family: int, strict: bool, state: str,
          priority: int) -> Authentication | None:
    auth: Authentication | None = f.get("authentication")
    if auth is None:
        return None
    name = f["name"]
    problem = None
    if strict:
        problem = "Strict mode does not support authentication. Ignoring."
    elif version == 3:
        problem = "VRRP version 3 does not support authentication. Ignoring."
    elif not auth.auth_pass:
        problem = "Authentication specified but no password given. Ignoring"
    elif family == 6 and auth.auth_type == "AH":
        problem = "Cannot use AH authentication with IPv6. ignoring"
    elif auth.auth_type == "AH" and state == "MASTER" and priority != PRIORITY_OWNER:
        ctx.error(f"({name}) Initial state master is incompatible with AH authentication"
                  " - clearing", None)
        return auth
    if problem is not None:
        ctx.error(f"({name}) {problem}", None)
        return None
    return auth


def _preempt_checks(ctx: Ctx, f: Fields, name: str, state: str, priority: int,
                    strict: bool) -> None:
    if priority == PRIORITY_OWNER and f.get("nopreempt"):
        ctx.error(f"({name}) nopreempt is incompatible with priority 255. resetting nopreempt",
                  None)
        f["nopreempt"] = False
    if state == "MASTER":
        if f.get("nopreempt"):
            ctx.error(f"({name}) Warning - nopreempt will not work with initial state MASTER"
                      " - clearing", None)
            f["nopreempt"] = False
        if f.get("preempt_delay_us"):
            ctx.error(f"({name}) Warning - preempt delay will not work with initial state"
                      " MASTER - clearing", None)
            f["preempt_delay_us"] = 0
    if f.get("preempt_delay_us"):
        if strict:
            ctx.error(f"({name}) preempt_delay is incompatible with strict mode - resetting",
                      None)
            f["preempt_delay_us"] = 0
        elif f.get("nopreempt"):
            ctx.error(f"({name}) preempt_delay is incompatible with nopreempt mode - resetting",
                      None)
            f["preempt_delay_us"] = 0


#: per version: unit (µs), exclusive limit in units, and keepalived's words for both fixes
_INTERVAL_RULES = {
    2: (TIMER_HZ, 256, "256s", "255s", "must be an integer. rounding"),
    3: (TIMER_HZ // 100, 4096, "40.96s", "40.95s", "must be in units of 10ms - rounding"),
}


def _advert_int(ctx: Ctx, name: str, micros: int, version: int) -> int:
    """keepalived's range clamp and rounding: whole seconds for v2, centiseconds for v3."""
    unit, limit, less_than, setting, rounding = _INTERVAL_RULES[version]
    seconds = micros / TIMER_HZ
    if micros >= limit * unit:
        ctx.error(f"({name}) VRRPv{version} advertisement interval {seconds:.2f}s is out of"
                  f" range. Must be less than {less_than}. Setting to {setting}", None)
        return (limit - 1) * unit
    if micros % unit:
        ctx.error(f"({name}) VRRPv{version} advertisement interval {seconds:f}s {rounding}",
                  None)
        rounded = micros + unit // 2
        return max(rounded - rounded % unit, unit)
    return micros


def _owner_and_sync_weights(ctx: Ctx, f: Fields, name: str, priority: int,
                            group: Fields | None, scripts: tuple[VrrpScript, ...]) -> None:
    """Sync-group members and address owners may not use weighted trackers."""
    in_sync = group is not None and not group.get("sync_group_tracking_weight")
    if not in_sync and priority != PRIORITY_OWNER:
        return
    why = "SYNC group" if in_sync else "address_owner"
    kept_ifs = []
    for ref in f.get("track_interfaces", []):
        if ref.weight:
            ctx.error(f"({name}) ignoring {ref.name} tracked interface "
                      f"{'weight ' if in_sync else ''}due to "
                      f"{'SYNC group' if in_sync else 'address owner'}", None)
            if not in_sync:
                continue
            ref = replace(ref, weight=0)
        kept_ifs.append(ref)
    f["track_interfaces"] = kept_ifs
    weights = {s.name: s.weight for s in scripts}
    kept_scripts = []
    for ref in f.get("track_scripts", []):
        weight = ref.weight if ref.weight is not None else weights.get(ref.name, 0)
        if weight:
            ctx.error(f"({name}) ignoring tracked script {ref.name} with weights due to {why}",
                      None)
            continue
        kept_scripts.append(ref)
    f["track_scripts"] = kept_scripts


def _sync_groups(ctx: Ctx, groups: list[Fields], instances: list[VrrpInstanceConfig]
                 ) -> tuple[SyncGroupConfig, ...]:
    names = {i.name for i in instances}
    claimed: set[str] = set()
    result = []
    for fields in groups:
        gname, members = fields["name"], []
        for member in fields.get("members", []):
            iname = member[0]
            if iname not in names:
                ctx.error(f"Virtual router {iname} specified in sync group {gname} doesn't"
                          " exist - ignoring", fields["location"])
            elif iname in claimed:
                ctx.error(f"Virtual router {iname} cannot exist in more than one sync group;"
                          f" ignoring {gname}", fields["location"])
            else:
                claimed.add(iname)
                members.append(TrackedRef(iname, fields["location"]))
        if not members:
            ctx.error(f"Sync group {gname}, no matching virtual router found in group"
                      " declaration - removing", None)
            continue
        if len(members) == 1:
            ctx.error(f"Sync group {gname} has only 1 virtual router(s) - this probably isn't"
                      " what you want", None)
        result.append(build(SyncGroupConfig, {**fields, "members": members}))
    return tuple(result)


def _vrid_conflicts(ctx: Ctx, instances: list[VrrpInstanceConfig], gdefs: GlobalDefs,
                    host: HostFacts) -> None:
    """check_vrid_conflicts: one VRID per family and interface, multicast and unicast
    apart; unicast ones clash only from the same source address to a shared peer,
    multicast ones only on the same group."""
    for index, first in enumerate(instances):
        for second in instances[index + 1:]:
            if (first.virtual_router_id, first.family, first.unicast) != (
                    second.virtual_router_id, second.family, second.unicast):
                continue
            if first.interface != second.interface and first.interface and second.interface:
                continue
            if first.unicast:
                if not _same_source(first, second, host):
                    continue
                mine = {p.address for p in first.unicast_peers}
                if not mine & {p.address for p in second.unicast_peers}:
                    continue
                ctx.error(f"({first.name}) duplicate VRID conflict with {second.name} VRID "
                          f"{first.virtual_router_id}", None)
                continue
            if _mcast_group(first, gdefs) != _mcast_group(second, gdefs):
                continue
            ctx.error(f"{first.name} and {second.name} both use VRID {first.virtual_router_id}"
                      f" with IPv{first.family} on interface {first.interface}", None)


def _mcast_group(inst: VrrpInstanceConfig, gdefs: GlobalDefs) -> str:
    """The group an instance advertises to: its mcast_dst_ip, else the global one."""
    given = [o.args[0] for o in inst.options if o.keyword == "mcast_dst_ip" and o.args]
    if given:
        return str(values.inet_address(given[-1]))
    return str(gdefs.vrrp_mcast_group4 if inst.family == 4 else gdefs.vrrp_mcast_group6)


def _same_source(first: VrrpInstanceConfig, second: VrrpInstanceConfig,
                 host: HostFacts) -> bool:
    """Do two unicast instances send from the same address? keepalived compares the
    configured source, else the interface's address, and sees no clash while either is
    unknown. Interface addresses are host facts: when not gathered, a source that is not
    configured is taken to be the same."""
    def source(inst: VrrpInstanceConfig) -> values.IPAddress | None:
        return inst.unicast_src_ip or inst.mcast_src_ip

    mine, theirs = source(first), source(second)
    if mine is not None and theirs is not None:
        return mine == theirs
    if host.addresses is None:
        return True
    ours = {a for a in host.addresses.get(first.interface or "", frozenset())
            if a.version == first.family}
    if mine is None and theirs is None:
        return bool(ours)
    return (mine or theirs) in ours
