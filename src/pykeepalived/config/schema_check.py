"""virtual_server blocks, as keepalived/check/check_parser.c reads them.

Handlers fill plain field dicts (the validation pass in resolve_check.py still corrects
them); real servers are in schema_servers.py, their checkers in schema_checkers.py,
virtual_server_group and SSL in schema_check_top.py. keepalived resolves some things
while it reads (a real server copies the forwarding method the virtual server has *so
far*; `sh-port` counts only after `lvs_sched sh`), so the handlers keep that order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config import check_values, values
from pykeepalived.config.model_check import PROTO_SCTP, PROTO_TCP, PROTO_UDP, Forwarding
from pykeepalived.config.schema import (
    Block,
    Ctx,
    Fields,
    NodeLike,
    arg,
    children,
    end_of,
    flag,
    walk,
)
from pykeepalived.config.schema_forwarding import read_forwarding
from pykeepalived.config.schema_lvs import LVS_MAX_TIMEOUT
from pykeepalived.config.schema_servers import (
    REAL_SERVER,
    forwarding,
    number,
    once_script,
    one_word,
    option_bool,
    real_server,
    text_or,
    timer,
)
from pykeepalived.constants import INT_MAX, UINT_MAX

if TYPE_CHECKING:
    from pykeepalived.config.diagnostics import Location

__all__ = ["VIRTUAL_SERVER", "virtual_server"]

_SCHEDULERS = frozenset({"rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf",
                         "lblcr", "sed", "nq", "twos"})
#: IP_VS_SVC_F_*: ONEPACKET, SCHED1 (flag-1, sh/mh-fallback), SCHED2 (flag-2, sh/mh-port)
_FLAGS = {"ops": 0x4, "flag-1": 0x8, "flag-2": 0x10, "flag-3": 0x20}
_HASH_FLAGS = {"sh": {"sh-port": 0x10, "sh-fallback": 0x8},
               "mh": {"mh-port": 0x10, "mh-fallback": 0x8}}
_PROTOCOLS = {"tcp": PROTO_TCP, "udp": PROTO_UDP, "sctp": PROTO_SCTP}
_PERSISTENT_DEFAULT = 360
#: IP_VS_PENAME_MAXLEN: keepalived keeps 16 characters (pe_name[16 + 1])
_PE_NAME_MAX = 16


# ------------------------------------------------------------------ virtual servers


def _ip_family(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    word = arg(ctx, node)
    families = {"inet": 4, "inet6": 6}
    if word not in families:
        ctx.error(f"unknown address family {word}", node.location)
        return
    current = fields.get("family")
    if current is not None and current != families[word]:
        ctx.error(f"Virtual server specified family {word} conflicts with server family",
                  node.location)
        return
    fields["family"] = families[word]


def _scheduler(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    word = arg(ctx, node)
    if word not in _SCHEDULERS:
        ctx.error(f"Invalid lvs_scheduler '{word}' - ignoring", node.location)
        return
    fields["scheduler"] = word


def _service_flag(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """ops, flag-N always; sh-*/mh-* only after the matching `lvs_sched`; `hashed` never
    sets anything (keepalived complains unless the scheduler is sh or mh)."""
    word = node.keyword
    sched = fields.get("scheduler", "")
    if word in _FLAGS:
        fields["flags"] = fields.get("flags", 0) | _FLAGS[word]
    elif sched in _HASH_FLAGS:
        fields["flags"] = fields.get("flags", 0) | _HASH_FLAGS[sched].get(word, 0)
    else:
        ctx.error(f"{word} only applies to sh scheduler - ignoring", node.location)


def _persistence_timeout(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        fields["persistence_timeout"] = _PERSISTENT_DEFAULT
        return
    value = values.read_unsigned(node.args[0], 1, LVS_MAX_TIMEOUT, ctx.reporter(node.location))
    if value is None:
        ctx.error("persistence_timeout invalid", node.location)
        return
    fields["persistence_timeout"] = value


def _persistence_engine(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    word = arg(ctx, node)
    if len(word) > _PE_NAME_MAX:
        ctx.error(f"persistence_name too long, truncating - {word}", node.location)
    fields["persistence_engine"] = word[:_PE_NAME_MAX]


def _granularity(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    word = arg(ctx, node)
    family = fields.get("family") or (4 if "." in word else 6)
    if family == 6:
        value = values.read_unsigned(word, 1, 128, ctx.reporter(node.location))
        if value is None:
            ctx.error(f"Invalid IPv6 persistence_granularity specified - {word}", node.location)
            return
    else:
        mask = _inet_aton(word)
        if mask is None:
            ctx.error(f"Invalid IPv4 persistence_granularity specified - {word}", node.location)
            return
        value = mask
    fields["persistence_granularity"] = value
    fields.setdefault("family", family)
    if not fields.get("persistence_timeout"):
        fields["persistence_timeout"] = _PERSISTENT_DEFAULT


def _inet_aton(text: str) -> int | None:
    """getaddrinfo(AI_NUMERICHOST, AF_INET) accepts inet_aton's forms (`255.255.0.0`,
    `0xffff0000`, `255.65535` ...): 1 to 4 parts, each C-style decimal, octal or hex."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or any(not p for p in parts):
        return None
    numbers = []
    for part in parts:
        base = 16 if part[:2].lower() == "0x" else 8 if part[:1] == "0" and len(part) > 1 else 10
        digits = part[2:] if base == 16 else part
        try:
            numbers.append(int(digits, base) if digits else -1)
        except ValueError:
            return None
    *heads, last = numbers
    if min(numbers) < 0 or any(n > 255 for n in heads) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, head in enumerate(heads):
        value |= head << (24 - 8 * index)
    return value


def _protocol(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    word = arg(ctx, node)
    if word.lower() not in _PROTOCOLS:
        ctx.error(f"Unknown protocol {word} - ignoring", node.location)
        return
    fields["protocol"] = _PROTOCOLS[word.lower()]


def _vs_weight(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw = arg(ctx, node)
    value = values.read_unsigned(raw, 1, INT_MAX, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"Virtual server weight {raw} is outside range 1-{INT_MAX}", node.location)
        return
    fields["weight"] = value


def _quorum(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw = arg(ctx, node)
    value = values.read_unsigned(raw, 1, UINT_MAX, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"Quorum {raw} must be in [1, {UINT_MAX}]. Setting to 1.", node.location)
        value = 1
    fields["quorum"] = value


def _sorry_server(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw = arg(ctx, node)
    port = node.args[1] if len(node.args) > 1 else None
    parsed = check_values.sockaddr(raw, check_values.no_port(port),
                                   ctx.reporter(node.location))
    if parsed is None:
        ctx.error(f"Invalid sorry server IP address {raw} - skipping", node.location)
        return
    fields["sorry_server"] = {"address": parsed[0], "port": parsed[1], "written_port": parsed[1],
                              "location": node.location, "forwarding": fields.get("forwarding"),
                              "inhibit": False}


def _sorry_inhibit(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    sorry = fields.get("sorry_server")
    if sorry is None:
        ctx.error("Ignoring sorry_server inhibit used before or without sorry_server",
                  node.location)
        return
    sorry["inhibit"] = True


def _sorry_forwarding(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    sorry = fields.get("sorry_server")
    if sorry is None:
        ctx.error("sorry_server forwarding used without sorry_server", node.location)
        return
    arg(ctx, node)
    result = read_forwarding(ctx, node, "sorry", sorry.get("forwarding"))
    if result is not None:
        sorry["forwarding"] = result


VIRTUAL_SERVER = Block(
    keywords={
        "ip_family": _ip_family,
        "retry": number("retry", 1, UINT_MAX, "retry value invalid - {value}"),
        "delay_before_retry": timer("delay_before_retry_us", 0, check_values.TIMER_MAX,
                                    "virtual server delay before retry '{value}' invalid"
                                    " - ignoring"),
        "warmup": timer("warmup_us", 0, check_values.TIMER_MAX,
                        "virtual server warmup '{value}' invalid - ignoring"),
        "connect_timeout": timer("connect_timeout_us", 1, UINT_MAX,
                                 "virtual server connect_timeout {value} invalid - ignoring"),
        "delay_loop": timer("delay_loop_us", 1, check_values.TIMER_MAX,
                            "virtual server delay loop '{value}' invalid - ignoring"),
        "inhibit_on_failure": flag("inhibit_on_failure"),
        "lb_algo": _scheduler,
        "lvs_sched": _scheduler,
        **dict.fromkeys(("hashed", "ops", "flag-1", "flag-2", "flag-3", "sh-port",
                         "sh-fallback", "mh-port", "mh-fallback"), _service_flag),
        "lb_kind": forwarding("virtual"),
        "lvs_method": forwarding("virtual"),
        "persistence_engine": _persistence_engine,
        "persistence_timeout": _persistence_timeout,
        "persistence_granularity": _granularity,
        "protocol": _protocol,
        "ha_suspend": flag("ha_suspend"),
        "smtp_alert": option_bool("smtp_alert", "Invalid virtual_server smtp_alert parameter"
                                                " {value}"),
        "virtualhost": text_or("virtualhost", "virtual server virtualhost missing"),
        "snmp_name": one_word("snmp_name", "virtual server snmp_name missing or extra"
                                           " parameters"),
        "alpha": flag("alpha"),
        "omega": flag("omega"),
        "quorum_up": once_script("quorum_up", "quorum_up"),
        "quorum_down": once_script("quorum_down", "quorum_down"),
        "quorum": _quorum,
        "hysteresis": number("hysteresis", 0, UINT_MAX,
                             "Hysteresis {value} must be in [0, " + str(UINT_MAX)
                             + "] - ignoring"),
        "weight": _vs_weight,
        "sorry_server": _sorry_server,
        "sorry_server_inhibit": _sorry_inhibit,
        "sorry_server_lvs_method": _sorry_forwarding,
        "real_server": real_server,
    },
    sublevels={"real_server": REAL_SERVER},
)


def virtual_server(ctx: Ctx, node: NodeLike, root: Fields) -> None:
    """`virtual_server IP [PORT] | fwmark N | group NAME { ... }`; an invalid address or
    fwmark skips the whole block, as keepalived does."""
    first = arg(ctx, node)
    vs: Fields = {"location": node.location, "_root": root}
    if first in ("group", "fwmark"):
        second = arg(ctx, node, 1)  # keepalived 2.2.7 crashes without it
        if first == "group":
            vs["group"] = second
        else:
            mark = values.read_unsigned(second, 0, UINT_MAX, ctx.reporter(node.location))
            if mark is None:
                ctx.error(f"virtual server fwmark '{second}' must be in [0, {UINT_MAX}]"
                          " - ignoring", node.location)
                return
            vs["fwmark"] = mark
    elif not _address_header(ctx, node, first, vs):
        return
    walk(ctx, VIRTUAL_SERVER, children(node), vs)
    _vs_end(ctx, vs, end_of(node))
    root.setdefault("virtual_servers", []).append(vs)


def _address_header(ctx: Ctx, node: NodeLike, first: str, vs: Fields) -> bool:
    port = check_values.no_port(node.args[1] if len(node.args) > 1 else None)
    parsed = check_values.sockaddr(first, port, ctx.reporter(node.location))
    if parsed is None:
        shown = f"/port {first}/{port}" if port is not None else f" {first}"
        ctx.error(f"Invalid virtual server IP address{shown} - skipping", node.location)
        return False
    vs["address"], vs["port"] = parsed
    vs["family"] = parsed[0].version
    return True


def _vs_end(ctx: Ctx, vs: Fields, end: Location) -> None:
    """keepalived's vs_end_handler: the sorry server's family, and a family for a fwmark
    virtual server whose servers are all tunnelled."""
    sorry = vs.get("sorry_server")
    if sorry is not None and not _tunnelled(sorry):
        family = vs.get("family")
        if family is None:
            vs["family"] = sorry["address"].version
        elif family != sorry["address"].version:
            ctx.error(f"Address family of virtual server and sorry server {sorry['address']}"
                      " don't match - skipping sorry server.", end)
            vs["sorry_server"] = None
    if vs.get("family") is None and vs.get("group") is None:
        families = {s["address"].version for s in (vs.get("sorry_server"), *vs.get(
            "real_servers", [])) if s is not None}
        vs["family"] = families.pop() if len(families) == 1 else 4


def _tunnelled(server: Fields) -> bool:
    forwarding: Forwarding | None = server.get("forwarding")
    return forwarding is not None and forwarding.method == "TUN"
