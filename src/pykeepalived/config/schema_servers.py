"""real_server blocks (check_parser.c rs_*_handler) and the readers virtual_server
shares with them; keepalived words the same mistake differently per level, so each
reader takes the complaint as a template."""

from __future__ import annotations

from pykeepalived.config import check_values, values
from pykeepalived.config.schema import (
    Block,
    Ctx,
    Fields,
    Handler,
    NodeLike,
    arg,
    children,
    end_of,
    walk,
)
from pykeepalived.config.schema_checkers import CHECKER_BLOCKS, CHECKERS
from pykeepalived.config.schema_forwarding import read_forwarding
from pykeepalived.config.schema_script import make_script
from pykeepalived.constants import INT_MAX, UINT_MAX

__all__ = ["REAL_SERVER", "forwarding", "number", "once_script", "one_word", "option_bool",
           "real_server", "text_or", "timer"]


# ------------------------------------------------------------------ shared readers


def timer(name: str, low: int, high: int, invalid: str) -> Handler:
    """A TIMER keyword of a server block (`invalid` names the value as `{value}`)."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        raw = arg(ctx, node)
        value = check_values.read_timer(raw, low, high, ctx.reporter(node.location))
        if value is None:
            ctx.error(invalid.format(value=raw), node.location)
            return
        fields[name] = value

    return handle


def number(name: str, low: int, high: int, invalid: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        raw = arg(ctx, node)
        value = values.read_unsigned(raw, low, high, ctx.reporter(node.location))
        if value is None:
            ctx.error(invalid.format(value=raw), node.location)
            return
        fields[name] = value

    return handle


def option_bool(name: str, invalid: str) -> Handler:
    """`keyword [BOOL]` with keepalived's case-sensitive words."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        value = check_values.read_bool(node.args[0]) if node.args else True
        if value is None:
            ctx.error(invalid.format(value=node.args[0]), node.location)
            return
        fields[name] = value

    return handle


def text_or(name: str, missing: str) -> Handler:
    """A string keyword whose missing value keepalived reports instead of stopping."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        if not node.args:
            ctx.error(missing, node.location)
            return
        fields[name] = node.args[0]

    return handle


def one_word(name: str, complaint: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        if len(node.args) != 1:
            ctx.error(complaint, node.location)
            return
        fields[name] = node.args[0]

    return handle


def once_script(name: str, what: str) -> Handler:
    """notify_up/down, quorum_up/down: a second one is reported and ignored."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        if fields.get(name) is not None:
            group = _vs(fields).get("group") or "(null)"
            ctx.error(f"({group}) {what} script already specified - ignoring "
                      f"{arg(ctx, node)}", node.location)
            return
        arg(ctx, node)
        command = make_script(ctx, node)
        if command is not None and command.command:
            fields[name] = command

    return handle


def _vs(fields: Fields) -> Fields:
    vs: Fields = fields.get("_vs", fields)
    return vs


# ------------------------------------------------------------------ real servers


def _rs_weight(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw = arg(ctx, node)
    value = values.read_unsigned(raw, 0, INT_MAX, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"Real server weight {raw} is outside range 0-{INT_MAX}", node.location)
        return
    fields["weight"] = value


def forwarding(what: str) -> Handler:
    """lvs_method of a real server (`what` real) or the virtual server (`virtual`):
    keepalived sets the method before reading the tunnel options, so a bad option
    leaves the method changed and the tunnel settings as they were."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        arg(ctx, node)
        result = read_forwarding(ctx, node, what, fields.get("forwarding"))
        if result is not None:
            fields["forwarding"] = result

    return handle


REAL_SERVER = Block(
    keywords={
        "weight": _rs_weight,
        "lvs_method": forwarding("real"),
        "uthreshold": number("u_threshold", 0, UINT_MAX,
                             "Invalid real_server uthreshold '{value}' - ignoring"),
        "lthreshold": number("l_threshold", 0, UINT_MAX,
                             "Invalid real_server lthreshold '{value}' - ignoring"),
        "inhibit_on_failure": option_bool("inhibit_on_failure",
                                          "Invalid inhibit_on_failure parameter {value}"),
        "notify_up": once_script("notify_up", "notify_up"),
        "notify_down": once_script("notify_down", "notify_down"),
        "alpha": option_bool("alpha", "Invalid alpha parameter {value}"),
        "retry": number("retry", 1, UINT_MAX, "retry value invalid - {value}"),
        "delay_before_retry": timer("delay_before_retry_us", 0, check_values.TIMER_MAX,
                                    "real server delay_before_retry '{value}' invalid"
                                    " - ignoring"),
        "warmup": timer("warmup_us", 0, check_values.TIMER_MAX,
                        "real server warmup '{value}' invalid - ignoring"),
        "connect_timeout": timer("connect_timeout_us", 1, UINT_MAX,
                                 "real server connect_timeout {value} invalid - ignoring"),
        "delay_loop": timer("delay_loop_us", 1, check_values.TIMER_MAX,
                            "real server delay_loop '{value}' invalid - ignoring"),
        "smtp_alert": option_bool("smtp_alert", "Invalid real_server smtp_alert parameter"
                                                " {value}"),
        "virtualhost": text_or("virtualhost", "real server virtualhost missing"),
        "snmp_name": one_word("snmp_name", "real server snmp_name missing or extra"
                                           " parameters"),
        **CHECKERS,
    },
    sublevels=CHECKER_BLOCKS,
)


def real_server(ctx: Ctx, node: NodeLike, vs: Fields) -> None:
    raw = arg(ctx, node)
    port = node.args[1] if len(node.args) > 1 else None
    parsed = check_values.sockaddr(raw, check_values.no_port(port),
                                   ctx.reporter(node.location))
    if parsed is None:
        ctx.error(f"Invalid real server ip address/port {raw}/{port or '(null)'} - skipping",
                  node.location)
        return
    address, number_ = parsed
    rs: Fields = {"address": address, "port": number_, "written_port": number_,
                  "location": node.location, "forwarding": vs.get("forwarding"),
                  "checkers": [], "_vs": vs}
    walk(ctx, REAL_SERVER, children(node), rs)
    forwarding = rs.get("forwarding")
    if forwarding is None or forwarding.method != "TUN":
        family = vs.get("family")
        if family is None:
            vs["family"] = address.version
        elif family != address.version:
            ctx.error(f"Address family of virtual server and real server {address} don't"
                      " match - skipping real server.", end_of(node))
            # keepalived frees the server but leaves its checkers queued: they still
            # count for the script security verdict (while the virtual server lives)
            vs.setdefault("orphan_checkers", []).extend(rs["checkers"])
            return
    vs.setdefault("real_servers", []).append(rs)
