"""The VRRP side's MIBs as (OID, value) rows, from one frozen snapshot; and its traps.

What keepalived 2.2.7's VRRP process serves through snmpd (keepalived/vrrp/vrrp_snmp.c,
keepalived/core/snmp.c; the MIBs are doc/KEEPALIVED-MIB.txt, VRRP-MIB.txt (RFC 2787)
and VRRPv3-MIB.txt (RFC 6527)): the same OIDs, value types and values, including its
quirks, since an NMS was set up against keepalived's walk:

- trap varbinds name the column without an instance index (`vrrpInstanceName`, not
  `vrrpInstanceName.1`);
- in vrrpAddressTable only the first instance's VIPs read "advertised";
- in the VRRPv3 association table the address follows its type without a length;
- vrrpInstanceAccept reads 0 for a VRRPv2 instance.

Pure: the daemon takes the snapshot (observe/capture.py) and the per-instance interface
facts, this module only arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TYPE_CHECKING

from pykeepalived.observe.snapshot import cmd_str
from pykeepalived.observe.snmp_agentx import (
    MibView,
    Oid,
    Value,
    VarBind,
    counter,
    counter64,
    gauge,
    integer,
    object_id,
    octets,
    ticks,
)
from pykeepalived.observe.snmp_agentx import ip_address as ip_value
from pykeepalived.vrrp.params import State

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from pykeepalived.config import model
    from pykeepalived.config.model_check import LvsSyncDaemon
    from pykeepalived.observe.snapshot import DumpSnapshot, InstanceSnapshot, ScriptSnapshot

KEEPALIVED = (1, 3, 6, 1, 4, 1, 9586, 100, 5)
GLOBAL = (*KEEPALIVED, 1)
VRRP = (*KEEPALIVED, 2)
CHECK = (*KEEPALIVED, 3)
ROUTER_ID = (*GLOBAL, 2, 0)
VRRP_MIB = (1, 3, 6, 1, 2, 1, 68)
VRRPV3_MIB = (1, 3, 6, 1, 2, 1, 207)
SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
#: the subagent's identity in its Open PDU (keepalived's: its global subtree)
AGENT_OID = GLOBAL

SYNC_GROUP_ENTRY = (*VRRP, 1, 1)
SYNC_MEMBER_ENTRY = (*VRRP, 2, 1)
INSTANCE_ENTRY = (*VRRP, 3, 1)
SCRIPT_ENTRY = (*VRRP, 9, 1)  # keepalived serves it here; its MIB file says 5
ADDRESS_ENTRY = (*VRRP, 6, 1)
TRACKED_SCRIPT_ENTRY = (*VRRP, 5, 1)  # and this one at 5, the MIB file 9
TRAP_GROUP_STATE = (*VRRP, 10, 0, 1)
TRAP_INSTANCE_STATE = (*VRRP, 10, 0, 2)
RFC_OPER_ENTRY = (*VRRP_MIB, 1, 3, 1)
RFC_TRAP_NEW_MASTER = (*VRRP_MIB, 0, 1)
RFC_TRAP_AUTH_FAILURE = (*VRRP_MIB, 0, 2)
V3_OPER_ENTRY = (*VRRPV3_MIB, 1, 1, 1, 1)
V3_STATS_ENTRY = (*VRRPV3_MIB, 1, 2, 5, 1)
V3_TRAP_NEW_MASTER = (*VRRPV3_MIB, 0, 1)
V3_TRAP_PROTO_ERROR = (*VRRPV3_MIB, 0, 2)

#: KEEPALIVED-MIB's VrrpState
VRRP_STATE = {"INIT": 0, "BACKUP": 1, "MASTER": 2, "FAULT": 3, "STOP": 5, "DELETED": 6}
#: RFC 2787 vrrpOperState / RFC 6527 vrrpv3OperationsStatus
_RFC_STATE = {State.INIT: 1, State.BACKUP: 2, State.MASTER: 3, State.FAULT: 1}
_AUTH = {"PASS": 1, "AH": 2}
_RFC_AUTH = {"PASS": 2, "AH": 3}
#: notify slot word (observe/snapshot.py NOTIFY_SLOTS) → vrrpInstanceTable column
_INSTANCE_SCRIPTS = {"Master": 22, "Backup": 23, "Fault": 24, "Stop": 25, "Generic": 26,
                     "Master rx lower pri": 31, "Deleted": 32}
_ZERO4 = bytes(4)


def truth(flag: bool) -> Value:
    """SNMP TruthValue (and keepalived's enabled(1)/disabled(2) enums)."""
    return integer(1 if flag else 2)


@dataclass(frozen=True, slots=True)
class SnmpFacts:
    """What the daemon knows of one running instance that the snapshot does not carry."""

    ifindex: int
    mac: bytes
    #: the interface's primary address of the instance's family (its adverts' source)
    primary: str | None
    #: the last master heard (keepalived's master_saddr), None before any
    heard_master: str | None = None
    #: vrrpv3StatisticsProtoErrReason: the last protocol error seen (0: none)
    proto_err_reason: int = 0


@dataclass(frozen=True, slots=True)
class MibSelection:
    """Which subtrees the VRRP process serves (global_defs enable_snmp_*, or -x)."""

    keepalived: bool = True
    rfcv2: bool = False
    rfcv3: bool = False
    traps: bool = False

    def subtrees(self) -> tuple[Oid, ...]:
        found: list[Oid] = []
        if self.keepalived:
            found += [GLOBAL, VRRP]
        if self.rfcv2:
            found.append(VRRP_MIB)
        if self.rfcv3:
            found.append(VRRPV3_MIB)
        return tuple(found)


Row = tuple[Oid, Value]


def vrrp_view(snapshot: DumpSnapshot, config: model.Config, facts: Mapping[str, SnmpFacts],
              selection: MibSelection, *, version: str, uptime_cs: int = 0) -> MibView:
    """Every row the VRRP process serves, for GET/GETNEXT/GETBULK."""
    rows: list[Row] = []
    if selection.keepalived:
        rows += global_rows(config.global_defs, version=version)
        rows += sync_group_rows(snapshot, config)
        rows += instance_rows(snapshot, config)
        rows += address_rows(snapshot, config, facts)
        rows += script_rows(snapshot)
        rows += tracked_script_rows(snapshot)
    if selection.rfcv2:
        rows += rfcv2_rows(snapshot, config, facts)
    if selection.rfcv3:
        rows += rfcv3_rows(snapshot, config, facts, uptime_cs=uptime_cs)
    return MibView.of(rows)


# ------------------------------------------------------------------ KEEPALIVED-MIB global
def global_rows(g: model.GlobalDefs, *, version: str) -> list[Row]:
    rows: list[Row] = [((*GLOBAL, 1, 0), octets(version))]
    if g.router_id is not None:
        rows.append((ROUTER_ID, octets(g.router_id)))
    rows += _mail_rows(g)
    smtp = {None: 3, True: 1, False: 2}
    rows += [
        ((*GLOBAL, 3, 8, 0), integer(smtp[g.smtp_alert])),
        ((*GLOBAL, 3, 9, 0), integer(3)),   # smtp_alert_vrrp: recognised, never modelled
        ((*GLOBAL, 3, 10, 0), integer(smtp[g.smtp_alert_checker])),
        ((*GLOBAL, 4, 0), truth(g.enable_traps)),
        ((*GLOBAL, 5, 0), integer(1)),       # linkbeat: netlink
        ((*GLOBAL, 6, 0), truth(g.lvs_flush)),
        ((*GLOBAL, 7, 0), integer(1)),       # 64-bit IPVS counters
        ((*GLOBAL, 8, 0), octets("")),       # no net_namespace
        ((*GLOBAL, 9, 0), integer(2)),       # no DBus
        ((*GLOBAL, 10, 0), truth(g.dynamic_interfaces)),
        ((*GLOBAL, 11, 0), integer({"full": 1, "VS": 3, None: 2}[g.lvs_flush_on_stop])),
    ]
    return rows


def _mail_rows(g: model.GlobalDefs) -> list[Row]:
    mail = (*GLOBAL, 3)
    server = None if g.smtp_server is None else _parsed(g.smtp_server)
    packed = _ZERO4 if server is None else server.packed
    rows: list[Row] = [
        ((*mail, 1, 0), integer(1 if server is not None and server.version == 4 else 2)),
        ((*mail, 2, 0), octets(packed)),
        ((*mail, 3, 0), gauge(g.smtp_connect_timeout if server is not None else 0)),
    ]
    if g.notification_email_from is not None:
        rows.append(((*mail, 4, 0), octets(g.notification_email_from)))
    for index, address in enumerate(g.notification_email, start=1):
        rows.append(((*mail, 5, 1, 2, index), octets(address)))
    rows += [((*mail, 6, 0), gauge(g.smtp_port if server is not None else 0)),
             ((*mail, 7, 0), integer(1))]
    return rows


def _parsed(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


# ------------------------------------------------------------------ sync groups
def group_state(snapshot: DumpSnapshot, members: tuple[str, ...]) -> int:
    """A sync group's VrrpState, read off its members (the runtime moves them together)."""
    states = {i.state for i in snapshot.instances if i.name in members}
    if not states:
        return VRRP_STATE["INIT"]
    if State.FAULT in states:
        return VRRP_STATE["FAULT"]
    if states == {State.MASTER}:
        return VRRP_STATE["MASTER"]
    if State.BACKUP in states:
        return VRRP_STATE["BACKUP"]
    return VRRP_STATE["INIT"]


def sync_group_rows(snapshot: DumpSnapshot, config: model.Config) -> list[Row]:
    rows: list[Row] = []
    for index, group in enumerate(config.sync_groups, start=1):
        members = tuple(m.name for m in group.members)
        scripts = ((6, group.notify_master), (7, group.notify_backup), (8, group.notify_fault),
                   (9, group.notify), (11, group.notify_stop))
        rows += [((*SYNC_GROUP_ENTRY, 2, index), octets(group.name)),
                 ((*SYNC_GROUP_ENTRY, 3, index), integer(group_state(snapshot, members))),
                 ((*SYNC_GROUP_ENTRY, 4, index), truth(bool(group.smtp_alert))),
                 ((*SYNC_GROUP_ENTRY, 5, index),
                  truth(any(script is not None for _, script in scripts))),
                 ((*SYNC_GROUP_ENTRY, 10, index), truth(group.sync_group_tracking_weight))]
        rows += [((*SYNC_GROUP_ENTRY, column, index), octets(cmd_str(script.command)))
                 for column, script in scripts if script is not None]
        rows += [((*SYNC_MEMBER_ENTRY, 2, index, n), octets(name))
                 for n, name in enumerate(members, start=1)]
    return rows


# ------------------------------------------------------------------ instances
def _configs(config: model.Config) -> dict[str, model.VrrpInstanceConfig]:
    return {i.name: i for i in config.instances}


def instance_rows(snapshot: DumpSnapshot, config: model.Config) -> list[Row]:
    rows: list[Row] = []
    cfgs = _configs(config)
    lvs = config.global_defs.lvs_sync_daemon
    for index, inst in enumerate(snapshot.instances, start=1):
        cfg = cfgs.get(inst.name)
        rows += [((*INSTANCE_ENTRY, column, index), value)
                 for column, value in _instance_columns(inst, cfg, lvs)]
    return rows


def _instance_columns(inst: InstanceSnapshot, cfg: model.VrrpInstanceConfig | None,
                      lvs: LvsSyncDaemon | None) -> Iterator[tuple[int, Value]]:
    v2 = inst.version == 2
    yield 2, octets(inst.name)
    yield 3, gauge(inst.vrid)
    yield 4, integer(VRRP_STATE[inst.state.value])
    yield 5, integer(VRRP_STATE[cfg.state if cfg is not None else "BACKUP"])
    yield 6, integer(VRRP_STATE[inst.wantstate.value])
    yield 7, integer(inst.base_priority)
    yield 8, integer(inst.effective_priority)
    yield 9, truth(inst.vipset)
    if inst.interface:
        yield 10, octets(inst.interface)
    yield 11, truth(cfg is not None and bool(cfg.track_interfaces))
    yield 12, gauge(inst.adver_int_cs // 100 if v2 else inst.adver_int_cs)
    yield 13, truth(not inst.nopreempt)
    yield 14, gauge(int(inst.preempt_delay_s))
    yield 15, integer(_AUTH.get(_auth_type(cfg), 0) if v2 else 0)
    syncd = lvs is not None and lvs.instance == inst.name
    yield 16, truth(syncd)
    if syncd and lvs is not None:
        yield 17, octets(lvs.interface)
    if inst.sync_group:
        yield 18, octets(inst.sync_group)
    yield 19, gauge(inst.garp_delay_s)
    yield 20, truth(inst.smtp_alert)
    yield 21, truth(bool(inst.notify_scripts))
    for entry in inst.notify_scripts:
        column = _INSTANCE_SCRIPTS.get(entry.word)
        if column is not None:
            yield column, octets(entry.command)
    yield 27, integer(0 if v2 else (1 if inst.accept else 2))
    yield 28, truth(inst.promote_secondaries)
    yield 29, integer(2)   # linkbeat_use_polling: not offered
    yield 30, integer(inst.version)
    yield 33, truth(inst.notify_deleted)
    if not inst.unicast_peers:
        group = ip_address(inst.mcast_address)
        yield 34, integer(1 if group.version == 4 else 2)
        yield 35, octets(group.packed)


def _auth_type(cfg: model.VrrpInstanceConfig | None) -> str:
    if cfg is None or cfg.authentication is None:
        return ""
    return cfg.authentication.auth_type


def address_rows(snapshot: DumpSnapshot, config: model.Config,
                 facts: Mapping[str, SnmpFacts]) -> list[Row]:
    """vrrpAddressTable: per instance its VIPs then its eVIPs, numbered on together."""
    rows: list[Row] = []
    cfgs = _configs(config)
    for index, inst in enumerate(snapshot.instances, start=1):
        cfg = cfgs.get(inst.name)
        if cfg is None:
            continue
        fact = facts.get(inst.name)
        entries = [(vip, index == 1) for vip in cfg.virtual_ipaddresses]
        entries += [(vip, False) for vip in cfg.virtual_ipaddresses_excluded]
        for n, (vip, advertised) in enumerate(entries, start=1):
            rows += [((*ADDRESS_ENTRY, column, index, n), value)
                     for column, value in _address_columns(vip, cfg, inst, fact, advertised)]
    return rows


def _address_columns(vip: model.VirtualAddress, cfg: model.VrrpInstanceConfig,
                     inst: InstanceSnapshot, fact: SnmpFacts | None, advertised: bool
                     ) -> Iterator[tuple[int, Value]]:
    v4 = vip.address.version == 4
    yield 2, integer(1 if v4 else 2)
    yield 3, octets(vip.address.packed)
    if v4:
        brd = _parsed(vip.broadcast) if vip.broadcast else None
        yield 4, octets(brd.packed if brd is not None else _ZERO4)
    yield 5, gauge(vip.prefix)
    yield 6, integer(_scope(vip))
    ifname = vip.dev or cfg.interface or ""
    if fact is not None:
        yield 7, integer(fact.ifindex)
    yield 8, octets(ifname)
    if vip.label:
        yield 9, octets(vip.label)
    yield 10, truth(inst.vipset)
    yield 11, truth(advertised)
    if vip.peer is not None:
        yield 12, octets(vip.peer.packed)


#: keepalived's snmp_scope(): rtnetlink scope → the MIB's InetScopeType
_SCOPES = {"global": 14, "site": 5, "link": 2, "host": 1, "nowhere": 0}


def _scope(vip: model.VirtualAddress) -> int:
    if vip.scope is not None:
        return _SCOPES.get(vip.scope, 14)
    if vip.address.version == 6 and vip.address.is_link_local:
        return 2
    return 14


# ------------------------------------------------------------------ scripts
def _script_result(script: ScriptSnapshot) -> int:
    """vrrpScriptResult: init(1) before any result, else good(3) / bad(2)."""
    if script.tracker_state in ("init", "init-reload"):
        return 1
    return 3 if script.status == "GOOD" else 2


def script_rows(snapshot: DumpSnapshot) -> list[Row]:
    """vrrpScriptTable: every vrrp_script, in the configuration's order."""
    rows: list[Row] = []
    for index, script in enumerate(snapshot.scripts, start=1):
        columns: list[tuple[int, Value]] = [
            (2, octets(script.name)), (3, octets(script.command)),
            (4, integer(script.interval_s)), (5, integer(script.weight)),
            (6, integer(_script_result(script))), (7, gauge(script.rise)),
            (8, gauge(script.fall)), (9, truth(script.weight_reverse))]
        rows += [((*SCRIPT_ENTRY, column, index), value) for column, value in columns]
    return rows


def tracked_script_rows(snapshot: DumpSnapshot) -> list[Row]:
    """vrrpTrackedScriptTable: each instance's track_script entries and their weights."""
    rows: list[Row] = []
    for index, inst in enumerate(snapshot.instances, start=1):
        for n, tracked in enumerate(inst.track_scripts, start=1):
            rows += [((*TRACKED_SCRIPT_ENTRY, 2, index, n), octets(tracked.name)),
                     ((*TRACKED_SCRIPT_ENTRY, 3, index, n), integer(tracked.weight)),
                     ((*TRACKED_SCRIPT_ENTRY, 4, index, n), truth(tracked.reverse))]
    return rows


# ------------------------------------------------------------------ RFC 2787 VRRP-MIB
_RFC2_STATS = ("become_master", "advert_rcvd", "advert_interval_err", "auth_failure",
               "ip_ttl_err", "pri_zero_rcvd", "pri_zero_sent", "invalid_type_rcvd",
               "addr_list_err", "invalid_authtype", "authtype_mismatch", "packet_len_err")


def _master_ip(inst: InstanceSnapshot, fact: SnmpFacts) -> str:
    """keepalived's master_saddr: the last master heard, 0.0.0.0 before any."""
    if fact.heard_master is not None:
        return fact.heard_master
    return "0.0.0.0" if inst.family == 4 else "::"


def rfcv2_rows(snapshot: DumpSnapshot, config: model.Config,
               facts: Mapping[str, SnmpFacts]) -> list[Row]:
    rows: list[Row] = [((*VRRP_MIB, 1, 1, 0), integer(2)),
                       ((*VRRP_MIB, 1, 2, 0), truth(config.global_defs.enable_traps))]
    cfgs = _configs(config)
    eligible = [(i, facts[i.name]) for i in snapshot.instances
                if i.version == 2 and i.family == 4 and i.name in facts]
    eligible.sort(key=lambda pair: (pair[1].ifindex, pair[0].vrid))
    for inst, fact in eligible:
        key = (fact.ifindex, inst.vrid)
        cfg = cfgs.get(inst.name)
        vips = cfg.virtual_ipaddresses if cfg is not None else ()
        columns: list[tuple[int, Value]] = [
            (2, octets(fact.mac)), (3, integer(_RFC_STATE[inst.state])), (4, integer(1)),
            (5, integer(inst.base_priority)), (6, integer(len(vips))),
            (7, ip_value(ip_address(_master_ip(inst, fact)).packed)),
            (8, ip_value(ip_address(fact.primary or "0.0.0.0").packed)),
            (9, integer(_RFC_AUTH.get(_auth_type(cfg), 1))),
            (11, integer(inst.adver_int_cs // 100)), (12, truth(not inst.nopreempt)),
            (13, ticks(0)), (14, integer(1)), (15, integer(1))]
        rows += [((*RFC_OPER_ENTRY, column, *key), value) for column, value in columns]
        rows += [((*VRRP_MIB, 1, 4, 1, 2, *key, *vip.address.packed), integer(1))
                 for vip in vips if vip.address.version == 4]
        rows += [((*VRRP_MIB, 2, 4, 1, column, *key), counter(inst.stat(name)))
                 for column, name in enumerate(_RFC2_STATS, start=1)]
    rows += [((*VRRP_MIB, 2, 1, 0), counter(_sum(snapshot, "chk_err"))),
             ((*VRRP_MIB, 2, 2, 0), counter(_sum(snapshot, "vers_err"))),
             ((*VRRP_MIB, 2, 3, 0), counter(_sum(snapshot, "vrid_err")))]
    return rows


def _sum(snapshot: DumpSnapshot, key: str) -> int:
    return sum(dict(i.stats + i.extra_stats).get(key, 0) for i in snapshot.instances)


# ------------------------------------------------------------------ RFC 6527 VRRPv3-MIB
_V3_STATS = ((3, "advert_rcvd"), (4, "advert_interval_err"), (5, "ip_ttl_err"),
             (7, "pri_zero_rcvd"), (8, "pri_zero_sent"), (9, "invalid_type_rcvd"),
             (10, "addr_list_err"), (11, "packet_len_err"))


def new_master_reason(inst: InstanceSnapshot) -> int:
    """vrrpv3StatisticsNewMasterReason: notMaster(0), priority(1), preempted(2),
    masterNoResponse(3), read off the last transition's reason."""
    if inst.state is not State.MASTER and inst.stat("become_master") == 0:
        return 0
    reason = inst.last_transition_reason
    if "priority 0" in reason:
        return 1
    if "lower priority" in reason:
        return 2
    return 3


def rfcv3_rows(snapshot: DumpSnapshot, config: model.Config,
               facts: Mapping[str, SnmpFacts], *, uptime_cs: int = 0) -> list[Row]:
    rows: list[Row] = []
    cfgs = _configs(config)
    eligible = [(i, facts[i.name]) for i in snapshot.instances if i.name in facts]
    eligible.sort(key=lambda pair: (pair[1].ifindex, pair[0].vrid, pair[0].family))
    for inst, fact in eligible:
        key = (fact.ifindex, inst.vrid, 1 if inst.family == 4 else 2)
        cfg = cfgs.get(inst.name)
        vips = cfg.virtual_ipaddresses if cfg is not None else ()
        own = ip_address(fact.primary or ("0.0.0.0" if inst.family == 4 else "::")).packed
        master = own if inst.state is State.MASTER else ip_address(
            _master_ip(inst, fact)).packed
        columns: list[tuple[int, Value]] = [
            (3, octets(master)), (4, octets(own)), (5, octets(fact.mac)),
            (6, integer(_RFC_STATE[inst.state])), (7, gauge(inst.base_priority)),
            (8, integer(len(vips))), (9, integer(inst.adver_int_cs)),
            (10, truth(not inst.nopreempt)), (11, truth(inst.accept)),
            (12, ticks(uptime_cs)), (13, integer(1))]
        rows += [((*V3_OPER_ENTRY, column, *key), value) for column, value in columns]
        rows += [((*VRRPV3_MIB, 1, 1, 2, 1, 2, *key, *vip.address.packed), integer(1))
                 for vip in vips]
        stats: list[tuple[int, Value]] = [
            (1, counter(inst.stat("become_master"))), (2, integer(new_master_reason(inst))),
            *((column, counter64(inst.stat(name))) for column, name in _V3_STATS),
            (6, integer(fact.proto_err_reason)), (12, ticks(0)),
            (13, gauge(inst.adver_int_cs * 10))]
        rows += [((*V3_STATS_ENTRY, column, *key), value) for column, value in stats]
    rows += [((*VRRPV3_MIB, 1, 2, 1, 0), counter64(_sum(snapshot, "chk_err"))),
             ((*VRRPV3_MIB, 1, 2, 2, 0), counter64(_sum(snapshot, "vers_err"))),
             ((*VRRPV3_MIB, 1, 2, 3, 0), counter64(_sum(snapshot, "vrid_err"))),
             ((*VRRPV3_MIB, 1, 2, 4, 0), ticks(0))]
    return rows


# ------------------------------------------------------------------ traps
def _trap(oid: Oid, *varbinds: VarBind) -> list[VarBind]:
    return [VarBind(SNMP_TRAP_OID, object_id(oid)), *varbinds]


def instance_state_trap(name: str, state: str, initial: str, router_id: str
                        ) -> list[VarBind]:
    """vrrpInstanceStateChange: name, state, initial state, router id."""
    return _trap(TRAP_INSTANCE_STATE,
                 VarBind((*INSTANCE_ENTRY, 2), octets(name)),
                 VarBind((*INSTANCE_ENTRY, 4), integer(VRRP_STATE.get(state, 4))),
                 VarBind((*INSTANCE_ENTRY, 5), integer(VRRP_STATE.get(initial, 4))),
                 VarBind(ROUTER_ID, octets(router_id)))


def group_state_trap(name: str, state: str, router_id: str) -> list[VarBind]:
    """vrrpSyncGroupStateChange: name, state, router id."""
    return _trap(TRAP_GROUP_STATE,
                 VarBind((*SYNC_GROUP_ENTRY, 2), octets(name)),
                 VarBind((*SYNC_GROUP_ENTRY, 3), integer(VRRP_STATE.get(state, 4))),
                 VarBind(ROUTER_ID, octets(router_id)))


def rfcv2_new_master_trap(inst: InstanceSnapshot, fact: SnmpFacts) -> list[VarBind] | None:
    """vrrpTrapNewMaster: vrrpOperMasterIpAddr (our own address), VRRPv2 IPv4 only."""
    if inst.version != 2 or inst.family != 4:
        return None
    own = ip_address(fact.primary or "0.0.0.0").packed
    return _trap(RFC_TRAP_NEW_MASTER,
                 VarBind((*RFC_OPER_ENTRY, 7, fact.ifindex, inst.vrid), ip_value(own)))


#: RFC 2787 VrrpTrapAuthErrorType, by keepalived's counter
AUTH_ERRORS = (("invalid_authtype", 1), ("authtype_mismatch", 2), ("auth_failure", 3))
#: RFC 6527 vrrpv3StatisticsProtoErrReason, by keepalived's counter
PROTO_ERRORS = (("ip_ttl_err", 1), ("vers_err", 2), ("chk_err", 3), ("vrid_err", 4))


def rfcv2_auth_failure_trap(inst: InstanceSnapshot, fact: SnmpFacts, source: str,
                            error: int) -> list[VarBind] | None:
    """vrrpTrapAuthFailure: vrrpTrapPacketSrc and vrrpTrapAuthErrorType, indexed by
    ifindex and VRID as keepalived sends them; VRRPv2 IPv4 instances only."""
    if inst.version != 2 or inst.family != 4:
        return None
    key = (fact.ifindex, inst.vrid)
    return _trap(RFC_TRAP_AUTH_FAILURE,
                 VarBind((*VRRP_MIB, 1, 5, *key), ip_value(ip_address(source).packed)),
                 VarBind((*VRRP_MIB, 1, 6, *key), integer(error)))


def rfcv3_new_master_trap(inst: InstanceSnapshot, fact: SnmpFacts) -> list[VarBind]:
    """vrrpv3NewMaster: vrrpv3OperationsMasterIpAddr, vrrpv3StatisticsNewMasterReason."""
    key = (fact.ifindex, inst.vrid, 1 if inst.family == 4 else 2)
    own = ip_address(fact.primary or ("0.0.0.0" if inst.family == 4 else "::")).packed
    return _trap(V3_TRAP_NEW_MASTER,
                 VarBind((*V3_OPER_ENTRY, 3, *key), octets(own)),
                 VarBind((*V3_STATS_ENTRY, 2, *key), integer(new_master_reason(inst))))


def rfcv3_proto_error_trap(inst: InstanceSnapshot, fact: SnmpFacts, reason: int
                           ) -> list[VarBind]:
    """vrrpv3ProtoError: vrrpv3StatisticsProtoErrReason."""
    key = (fact.ifindex, inst.vrid, 1 if inst.family == 4 else 2)
    return _trap(V3_TRAP_PROTO_ERROR, VarBind((*V3_STATS_ENTRY, 6, *key), integer(reason)))


def transition_traps(kind: str, name: str, state: str, snapshot: DumpSnapshot,
                     config: model.Config, facts: Mapping[str, SnmpFacts],
                     selection: MibSelection) -> list[list[VarBind]]:
    """The notifications keepalived sends for one notify event, in its order: the
    KEEPALIVED-MIB state change, then (entering MASTER) RFC 2787's and RFC 6527's."""
    router_id = config.global_defs.router_id or ""
    if kind == "GROUP":
        return [group_state_trap(name, state, router_id)] if selection.keepalived else []
    cfg = _configs(config).get(name)
    traps: list[list[VarBind]] = []
    if selection.keepalived:
        traps.append(instance_state_trap(name, state, cfg.state if cfg else "BACKUP",
                                         router_id))
    inst = next((i for i in snapshot.instances if i.name == name), None)
    fact = facts.get(name)
    if state != "MASTER" or inst is None or fact is None:
        return traps
    if selection.rfcv2:
        rfc = rfcv2_new_master_trap(inst, fact)
        if rfc is not None:
            traps.append(rfc)
    if selection.rfcv3:
        traps.append(rfcv3_new_master_trap(inst, fact))
    return traps
