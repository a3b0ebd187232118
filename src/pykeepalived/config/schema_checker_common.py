"""What every checker block shares: the timing and connection keywords of
keepalived/check/check_api.c (install_checker_common_keywords), the connection's
link-local check, and freezing a checker onto its real server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config import check_values, values
from pykeepalived.config.model_check import Checker, Connection, Params
from pykeepalived.config.schema import Ctx, Fields, Handler, NodeLike, arg
from pykeepalived.constants import UINT_MAX

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.config.diagnostics import Location

    #: a checker's end-of-block handler (keepalived's install_sublevel_end_handler)
    Ender = Callable[[Ctx, Fields, Location], None]

__all__ = ["CONNECTION", "TIMING", "conn_ok", "finish_checker", "flag_of", "new_conn"]

_IFNAME_MAX = 15


def _owner(fields: Fields) -> Fields:
    """The checker a keyword sets: an SMTP `host {}` block's timing goes to its checker."""
    owner: Fields = fields.get("_checker", fields)
    return owner


# ------------------------------------------------------------------ common keywords


def _timing(name: str, low: int, invalid: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        raw = arg(ctx, node)
        value = check_values.read_timer(raw, low, check_values.TIMER_MAX,
                                        ctx.reporter(node.location))
        if value is None:
            ctx.error(invalid.format(raw), node.location)
            return
        _owner(fields)[name] = value

    return handle


def _retry(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw = arg(ctx, node)
    value = values.read_unsigned(raw, 0, UINT_MAX, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"Invalid retry connection value '{raw}'", node.location)
        return
    _owner(fields)["retry"] = value


def flag_of(name: str, what: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        value = check_values.read_bool(node.args[0]) if node.args else True
        if value is None:
            ctx.error(f"Invalid {what} parameter {node.args[0]}", node.location)
            return
        _owner(fields)[name] = value

    return handle


def _connect_ip(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw, conn = arg(ctx, node), fields["conn"]
    parsed = check_values.sockaddr(raw, None, ctx.reporter(node.location))
    if parsed is None:
        ctx.error(f"Invalid connect_ip address {raw} - ignoring", node.location)
        conn.update(family=0, address=None)  # keepalived's address is now AF_UNSPEC
    elif conn.get("bind_family") and conn["bind_family"] != parsed[0].version:
        ctx.error(f"connect_ip address {raw} does not match address family of bindto"
                  " - skipping", node.location)
        conn.update(family=0, address=None)
    else:
        conn.update(family=parsed[0].version, address=parsed[0])


def _bindto(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw, conn = arg(ctx, node), fields["conn"]
    parsed = check_values.sockaddr(raw, None, ctx.reporter(node.location))
    if parsed is None:
        ctx.error(f"Invalid bindto address {raw} - ignoring", node.location)
        conn.update(bind_family=0, bind_address=None)
    elif conn.get("family") and conn["family"] != parsed[0].version:
        ctx.error(f"bindto address {raw} does not match address family of connect_ip"
                  " - skipping", node.location)
        conn.update(bind_family=0, bind_address=None)
    else:
        conn.update(bind_family=parsed[0].version, bind_address=parsed[0])


def _conn_number(name: str, low: int, high: int, invalid: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        raw = arg(ctx, node)
        value = values.read_unsigned(raw, low, high, ctx.reporter(node.location))
        if value is None:
            ctx.error(invalid.format(raw), node.location)
            return
        fields["conn"][name] = value

    return handle


def _bind_if(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    name = arg(ctx, node)
    if len(name) > _IFNAME_MAX:
        ctx.error(f"Interface name {name} is too long - ignoring", node.location)
        return
    fields["conn"]["bind_if"] = name


def _connect_timeout(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw = arg(ctx, node)
    value = check_values.read_timer(raw, 1, UINT_MAX, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"connect_timeout {raw} invalid - ignoring", node.location)
        return
    fields["conn"]["timeout_us"] = value


TIMING: dict[str, Handler] = {
    "retry": _retry,
    "delay_before_retry": _timing("delay_before_retry_us", 0,
                                  "Invalid delay_before_retry connection value '{}'"),
    "warmup": _timing("warmup_us", 0, "Invalid warmup connection value '{}'"),
    "delay_loop": _timing("delay_loop_us", 1, "delay_loop '{}' is invalid - ignoring"),
    "alpha": flag_of("alpha", "alpha"),
    "log_all_failures": flag_of("log_all_failures", "log_all_failures"),
}
CONNECTION: dict[str, Handler] = {
    "connect_ip": _connect_ip,
    "connect_port": _conn_number("port", 1, 65535, "Invalid checker connect_port '{}'"),
    "bindto": _bindto,
    "bind_port": _conn_number("bind_port", 1, 65535, "Invalid checker bind_port '{}'"),
    "bind_if": _bind_if,
    "connect_timeout": _connect_timeout,
    "fwmark": _conn_number("fwmark", 0, UINT_MAX, "Invalid fwmark connection value '{}'"),
}


# ------------------------------------------------------------------ start and finish


def new_conn(rs: Fields) -> Fields:
    """keepalived's CHECKER_NEW_CO: the destination is the real server as written."""
    return {"family": rs["address"].version}


def _connection(conn: Fields) -> Connection:
    return Connection(address=conn.get("address"), port=conn.get("port"),
                      bind_address=conn.get("bind_address") if conn.get("bind_family") else None,
                      bind_port=conn.get("bind_port"), bind_if=conn.get("bind_if"),
                      timeout_us=conn.get("timeout_us"), fwmark=conn.get("fwmark"))


def conn_ok(ctx: Ctx, rs: Fields, conn: Fields, end: Location) -> bool:
    """keepalived's check_conn_opts: an IPv6 link-local destination needs bind_if."""
    if conn.get("family") != 6:
        return True
    dst = rs["address"] if conn.get("address") is None else conn["address"]
    if dst.version == 6 and dst.is_link_local and not conn.get("bind_if"):
        ctx.error(f"Checker link local address {dst} requires a bind_if", end)
        return False
    return True


def finish_checker(chk: Fields, params: Params | None = None,
                   conn: Fields | None = None) -> None:
    """Freeze the checker onto its real server (an SMTP `host {}` connection makes a
    checker of its own, remembered at the host block's line)."""
    connection: Fields | None = chk.get("conn") if conn is None else conn
    where: Location = chk["location"]
    if connection is not None and "_location" in connection:
        where = connection["_location"]
    chk["_rs"]["checkers"].append(Checker(
        kind=chk["kind"], location=where, params=params,
        connection=None if connection is None else _connection(connection),
        retry=chk.get("retry"), delay_before_retry_us=chk.get("delay_before_retry_us"),
        warmup_us=chk.get("warmup_us"), delay_loop_us=chk.get("delay_loop_us"),
        alpha=chk.get("alpha"), log_all_failures=chk.get("log_all_failures", False)))
