"""keepalived's end-of-parse work for the check module, in its order and its words.

`link_vsg_to_vs` (ipwrapper.c) ties `virtual_server group X` to its group and numbers
the virtual servers of each group; `validate_check_config` (check_data.c) then drops
virtual servers without real servers and corrects what it can: protocol, one-packet
scheduling, persistence for port-less services, the fwmark protocol, scheduler and
forwarding defaults, duplicate real servers, quorum and hysteresis, real and sorry
server ports. Scripts (security, users) are judged in resolve_check_scripts.py.
"""

from __future__ import annotations

from dataclasses import fields as dc_fields
from typing import TYPE_CHECKING, Any, TypeVar

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model_check import (
    PROTO_UDP,
    Forwarding,
    RealServer,
    SorryServer,
    VirtualServer,
    VirtualServerGroup,
    endpoint,
    vs_label,
)
from pykeepalived.config.resolve_check_scripts import (
    Users,
    check_globals,
    check_scripts,
    check_users,
)
from pykeepalived.constants import UINT_MAX

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from pykeepalived.config.host import HostFacts
    from pykeepalived.config.model import GlobalDefs
    from pykeepalived.config.schema import Ctx, Fields

__all__ = ["resolve_check"]

T = TypeVar("T", bound="DataclassInstance")

_ONEPACKET = 0x4
_PERSISTENT_DEFAULT = 360


def resolve_check(ctx: Ctx, root: Fields, gdefs: GlobalDefs, host: HostFacts
                  ) -> tuple[GlobalDefs, tuple[VirtualServerGroup, ...],
                             tuple[VirtualServer, ...]]:
    """The check module's globals, groups and validated virtual servers, with
    keepalived's complaints (its checker pass runs before the VRRP one)."""
    users = Users(ctx, gdefs, host)
    gdefs = check_globals(ctx, gdefs, root.get("global_defs", {}), root.get("instances", []),
                          users)
    servers: list[Fields] = root.get("virtual_servers", [])
    check_users(servers, users)
    groups: tuple[VirtualServerGroup, ...] = tuple(root.get("virtual_server_groups", []))
    linked = _link_groups(ctx, servers, groups)
    kept = [vs for vs in linked if _validate(ctx, vs, gdefs)]
    gdefs = check_scripts(ctx, kept, gdefs, host)
    return gdefs, groups, tuple(_freeze_vs(vs) for vs in kept)


def label(vs: Fields) -> str:
    """keepalived's FMT_VS of the virtual server as it stands now."""
    return vs_label(vs.get("group"), vs.get("group_seq", 0), vs.get("fwmark"),
                    vs.get("address"), vs.get("protocol", 0), vs.get("port", 0))


def rs_label(vs: Fields, rs: Fields) -> str:
    return endpoint(rs["address"], vs.get("protocol", 0), rs["port"])


# ------------------------------------------------------------------ link_vsg_to_vs


def _link_groups(ctx: Ctx, servers: list[Fields], groups: tuple[VirtualServerGroup, ...]
                 ) -> list[Fields]:
    """Only log_message lines here (Kind.OK): they never change `-t`'s verdict."""
    by_name: dict[str, VirtualServerGroup] = {}
    for group in groups:
        by_name.setdefault(group.name, group)
    linked, seq = [], dict.fromkeys(by_name, 0)
    for vs in servers:
        name = vs.get("group")
        if name is not None:
            found = by_name.get(name)
            if found is None:
                ctx.report(Kind.OK, f"Virtual server group {name} specified but not configured"
                           f" - ignoring virtual server {label(vs)}", None)
                continue
            if not _group_family(ctx, vs, found):
                continue
            vs["_group"], vs["group_seq"] = found, seq[name]
            seq[name] += 1
        linked.append(vs)
    return linked


def _group_family(ctx: Ctx, vs: Fields, group: VirtualServerGroup) -> bool:
    v4, v6, family = group.have_ipv4, group.have_ipv6, vs.get("family")
    if v4 and v6 and family is not None:
        why = "virtual server group with IPv4 & IPv6 doesn't match"
    elif (v4 and family == 6) or (v6 and family == 4):
        why = "address family doesn't match"
    else:
        if v4 != v6:
            vs["family"] = 4 if v4 else 6
        elif family is None and group.fwmark_no_family:
            ctx.report(Kind.OK, f"{group.name}: Virtual server {label(vs)} address family"
                       " cannot be determined, defaulting to IPv4", None)
        return True
    ctx.report(Kind.OK, f"{group.name}: {why} virtual server {label(vs)} - ignoring", None)
    return False


# ------------------------------------------------------------------ validate_check_config


def _validate(ctx: Ctx, vs: Fields, gdefs: GlobalDefs) -> bool:
    if not vs.get("real_servers"):
        ctx.error(f"Virtual server {label(vs)} has no real servers - ignoring", None)
        return False
    group: VirtualServerGroup | None = vs.get("_group")
    fwmark = bool(vs.get("fwmark"))
    if vs.get("ha_suspend") and (fwmark or (group is not None and group.fwmarks)):
        ctx.error(f"Virtual server {label(vs)}: cannot use ha_suspend with fwmarks - clearing"
                  " ha_suspend", None)
        vs["ha_suspend"] = False
    if (group is not None and group.addresses) or (group is None and not fwmark):
        _address_service(ctx, vs, group is None and not fwmark)
    if not vs.get("persistence_timeout") and group is not None and any(
            not entry.port for entry in group.addresses):
        _persistent(ctx, vs)
    fwmark_only = group.fwmarks and not group.addresses if group is not None else fwmark
    if vs.get("protocol") and fwmark_only:
        ctx.error(f"Warning: Virtual server {label(vs)}: protocol specified for fwmark"
                  " - protocol will be ignored", None)
        vs["protocol"] = 0
    if not vs.get("scheduler"):
        ctx.error(f"Virtual server {label(vs)}: no scheduler set, setting default 'wlc'", None)
        vs["scheduler"] = "wlc"
    if vs.get("smtp_alert") is None:
        vs["smtp_alert"] = _smtp_default(gdefs, False)
    weights = _real_servers(ctx, vs, gdefs)
    _quorum(ctx, vs, weights)
    if group is not None:
        _group_ports(ctx, vs, group)
    else:
        _ports(ctx, vs, fwmark)
    return True


def _address_service(ctx: Ctx, vs: Fields, plain_address: bool) -> None:
    if not vs.get("protocol"):
        ctx.error(f"Virtual server {label(vs)}: no protocol set - defaulting to UDP", None)
        vs["protocol"] = PROTO_UDP
    if vs.get("flags", 0) & _ONEPACKET and vs["protocol"] != PROTO_UDP:
        ctx.error(f"Virtual server {label(vs)}: one packet scheduling requires UDP"
                  " - resetting", None)
        vs["flags"] &= ~_ONEPACKET
    if plain_address and not vs.get("persistence_timeout") and not vs.get("port"):
        _persistent(ctx, vs)


def _persistent(ctx: Ctx, vs: Fields) -> None:
    ctx.error(f"Virtual server {label(vs)}: zero port only valid for persistent services"
              " - setting", None)
    vs["persistence_timeout"] = _PERSISTENT_DEFAULT


def _smtp_default(gdefs: GlobalDefs, fallback: bool) -> bool:
    if gdefs.smtp_alert_checker is not None:
        return gdefs.smtp_alert_checker
    return fallback if gdefs.smtp_alert is None else gdefs.smtp_alert


def _same(a: Fields, b: Fields) -> bool:
    return bool(a["address"] == b["address"] and a["port"] == b["port"])


def _default_forwarding(ctx: Ctx, vs: Fields) -> Forwarding:
    forwarding: Forwarding | None = vs.get("forwarding")
    if forwarding is None:
        ctx.error(f"Virtual server {label(vs)}: no forwarding method set, setting default NAT",
                  None)
        forwarding = vs["forwarding"] = Forwarding()
    return forwarding


def _real_servers(ctx: Ctx, vs: Fields, gdefs: GlobalDefs) -> int:
    """Duplicates removed, forwarding defaulted, the sorry server's inhibit matched to a
    real server it duplicates; returns keepalived's (32-bit) sum of weights."""
    kept: list[Fields] = []
    weight_sum = 0
    sorry: Fields | None = vs.get("sorry_server")
    for rs in vs["real_servers"]:
        if any(_same(rs, other) for other in kept):
            ctx.error(f"VS {label(vs)}: real server {rs_label(vs, rs)} is duplicated"
                      " - removing second rs", None)
            continue
        if rs.get("forwarding") is None:
            rs["forwarding"] = _default_forwarding(ctx, vs)
        if rs.get("smtp_alert") is None:
            rs["smtp_alert"] = _smtp_default(gdefs, True)
        weight = rs["weight"] if rs.get("weight") is not None else vs.get("weight", 1)
        weight_sum = (weight_sum + weight) & UINT_MAX
        if sorry is not None and _same(sorry, rs):
            inhibit = rs.get("inhibit_on_failure")
            inhibit = bool(vs.get("inhibit_on_failure")) if inhibit is None else inhibit
            if sorry["inhibit"] != inhibit:
                ctx.error(f"Virtual server {label(vs)}: real server {rs_label(vs, rs)} matches"
                          " sorry server, but inhibit setting differs, "
                          f"{'sett' if inhibit else 'clear'}ing on sorry server", None)
                sorry["inhibit"] = inhibit
        kept.append(rs)
    vs["real_servers"] = kept
    if sorry is not None and sorry.get("forwarding") is None:
        sorry["forwarding"] = _default_forwarding(ctx, vs)
    return weight_sum


def _quorum(ctx: Ctx, vs: Fields, weight_sum: int) -> None:
    quorum = vs.get("quorum", 1)
    if quorum > weight_sum:
        ctx.error(f"Warning - quorum {quorum} for {label(vs)} exceeds total weight of real"
                  f" servers {weight_sum}, reducing quorum to {weight_sum}", None)
        quorum = vs["quorum"] = weight_sum
    hysteresis = vs.get("hysteresis", 0)
    if hysteresis >= quorum:
        lower = (quorum - 1) & UINT_MAX
        ctx.error(f"Virtual server {label(vs)}: hysteresis {hysteresis} >= quorum {quorum};"
                  f" setting hysteresis to {lower}", None)
        vs["hysteresis"] = lower


def _nat(server: Fields) -> bool:
    return bool(server["forwarding"].method == "NAT")


def _group_ports(ctx: Ctx, vs: Fields, group: VirtualServerGroup) -> None:
    """A group keeps every port; keepalived only warns."""
    sorry: Fields | None = vs.get("sorry_server")
    name = label(vs)
    if group.fwmarks:
        for rs in vs["real_servers"]:
            if not _nat(rs) and rs["port"]:
                ctx.error(f"WARNING - fwmark virtual server {name}, real server"
                          f" {rs_label(vs, rs)} has port specified - port will be ignored", None)
        if sorry is not None and not _nat(sorry) and sorry["port"]:
            ctx.error(f"WARNING - fwmark virtual server {name}, sorry server has port"
                      " specified - port will be ignored", None)
    for entry in group.addresses:
        for rs in vs["real_servers"]:
            if not _nat(rs) and rs["port"] and entry.port != rs["port"]:
                ctx.error(f"virtual server {name}:[{entry.text()}] and real server"
                          f" {rs_label(vs, rs)} ports don't match", None)
        if sorry is not None and not _nat(sorry) and sorry["port"] and (
                entry.port != sorry["port"]):
            ctx.error(f"WARNING - virtual server {name}, sorry server has port specified"
                      " - port will be ignored", None)


def _ports(ctx: Ctx, vs: Fields, fwmark: bool) -> None:
    """Address and fwmark services: non-NAT servers take the service's port."""
    name, port = label(vs), vs.get("port", 0)
    for rs in vs["real_servers"]:
        if _nat(rs):
            if not fwmark and not rs["port"]:
                rs["port"] = port
        elif fwmark and rs["port"]:
            ctx.error(f"WARNING - fwmark virtual server {name}, real server {rs_label(vs, rs)}"
                      " has port specified - clearing", None)
            rs["port"] = 0
        elif not fwmark and rs["port"] != port:
            if rs["port"]:
                ctx.error(f"WARNING - virtual server {name} and real server"
                          f" {rs_label(vs, rs)} ports don't match - resetting", None)
            rs["port"] = port
    sorry: Fields | None = vs.get("sorry_server")
    if sorry is None or _nat(sorry):
        return
    if fwmark and sorry["port"]:
        ctx.error(f"WARNING - virtual server {name}, sorry server has port specified"
                  " - clearing", None)
        sorry["port"] = 0
    elif not fwmark and sorry["port"] != port:
        if sorry["port"]:
            ctx.error(f"WARNING - virtual server {name} and sorry server ports don't match"
                      " - resetting", None)
        sorry["port"] = port


# ------------------------------------------------------------------ freezing


def _build(cls: type[T], values: dict[str, Any]) -> T:
    names = {f.name for f in dc_fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()
                  if k in names})


def _freeze_vs(vs: Fields) -> VirtualServer:
    sorry = vs.get("sorry_server")
    return _build(VirtualServer, {
        **vs, "real_servers": [_build(RealServer, rs) for rs in vs["real_servers"]],
        "sorry_server": None if sorry is None else _build(SorryServer, sorry)})
