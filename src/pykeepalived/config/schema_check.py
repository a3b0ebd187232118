"""virtual_server_group, virtual_server, real_server and the checkers.

The checker process is not built yet: these tables make every keyword of
keepalived/check/*.c known (so real configs give no "Unknown keyword") and model the
common ones, kept raw where keepalived's semantics are not needed yet.
"""

from __future__ import annotations

from pykeepalived.config.model import Checker, RealServer, VirtualServer, VirtualServerGroup
from pykeepalived.config.schema import (
    Block,
    Ctx,
    Fields,
    Handler,
    NodeLike,
    children,
    ignore_block,
    recognise,
    to_option,
    walk,
)
from pykeepalived.config.schema_script import script

_CHECK_COMMON = (
    "connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout",
    "fwmark", "retry", "delay_before_retry", "warmup", "delay_loop", "alpha",
    "log_all_failures",
)
_CHECKER_KEYWORDS = {
    "TCP_CHECK": (),
    "HTTP_GET": ("nb_get_retry", "virtualhost", "http_protocol", "enable_sni",
                 "fast_recovery"),
    "SSL_GET": ("nb_get_retry", "virtualhost", "http_protocol", "enable_sni",
                "fast_recovery"),
    "MISC_CHECK": ("misc_timeout", "misc_dynamic", "user"),
    "SMTP_CHECK": ("helo_name",),
    "DNS_CHECK": ("type", "name"),
    "UDP_CHECK": ("payload", "require_reply", "min_reply_length", "max_reply_length"),
    "PING_CHECK": (),
    "FILE_CHECK": ("track_file", "weight"),
    "BFD_CHECK": ("name",),
}


def _checker_block(kind: str) -> Block:
    keywords: dict[str, Handler] = {"url": ignore_block, "host": ignore_block}
    if kind == "MISC_CHECK":
        keywords["misc_path"] = script("misc_path")
    return Block(keywords=keywords, recognised=recognise(*_CHECK_COMMON,
                                                          *_CHECKER_KEYWORDS[kind]),
                 sublevels={"url": None, "host": None})


_CHECKERS = {kind: _checker_block(kind) for kind in _CHECKER_KEYWORDS}


def _checker(kind: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        sub: Fields = {}
        walk(ctx, _CHECKERS[kind], children(node), sub)
        options = tuple(sub.get("options", ()))
        raw = {o.keyword: o.args for o in options}
        checker = Checker(
            kind=kind,
            location=node.location,
            connect_ip=_first(raw, "connect_ip", None),
            connect_port=_int(raw.get("connect_port")),
            connect_timeout=_first(raw, "connect_timeout", None),
            retry=_int(raw.get("retry") or raw.get("nb_get_retry")),
            delay_before_retry=_first(raw, "delay_before_retry", None),
            misc_path=sub.get("misc_path"),
            urls=tuple(o for o in options if o.keyword == "url"),
            options=options,
        )
        fields.setdefault("checkers", []).append(checker)

    return handle


def _first(raw: dict[str, tuple[str, ...]], keyword: str, default: str | None) -> str | None:
    """The first word after `keyword` (a bare keyword gives the default, never a crash)."""
    args = raw.get(keyword)
    return args[0] if args else default


def _int(args: tuple[str, ...] | None) -> int | None:
    if args and args[0].isdigit():
        return int(args[0])
    return None


_SERVER_COMMON = ("retry", "delay_before_retry", "warmup", "connect_timeout", "delay_loop",
                  "smtp_alert", "virtualhost", "snmp_name", "alpha", "inhibit_on_failure")

REAL_SERVER = Block(
    keywords={
        **{kind: _checker(kind) for kind in _CHECKER_KEYWORDS},
        "notify_up": script("notify_up"),
        "notify_down": script("notify_down"),
    },
    recognised=recognise("weight", "lvs_method", "uthreshold", "lthreshold", *_SERVER_COMMON),
    sublevels=_CHECKERS,
)


def _real_server(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    sub: Fields = {}
    walk(ctx, REAL_SERVER, children(node), sub)
    options = tuple(sub.get("options", ()))
    weight_args = next((o.args for o in options if o.keyword == "weight"), ("1",))
    server = RealServer(
        address=node.args[0] if node.args else "",
        port=_int(node.args[1:2]),
        location=node.location,
        weight=int(weight_args[0]) if weight_args and weight_args[0].isdigit() else 1,
        checkers=tuple(sub.get("checkers", ())),
        notify_up=sub.get("notify_up"),
        notify_down=sub.get("notify_down"),
        options=options,
    )
    fields.setdefault("real_servers", []).append(server)


VIRTUAL_SERVER = Block(
    keywords={"real_server": _real_server},
    recognised=recognise(
        "ip_family", "lb_algo", "lvs_sched", "hashed", "ops", "flag-1", "flag-2", "flag-3",
        "sh-port", "sh-fallback", "mh-port", "mh-fallback", "lb_kind", "lvs_method",
        "persistence_engine", "persistence_timeout", "persistence_granularity", "protocol",
        "ha_suspend", "quorum_up", "quorum_down", "quorum", "hysteresis", "weight",
        "sorry_server", "sorry_server_inhibit", "sorry_server_lvs_method", "omega",
        *_SERVER_COMMON,
    ),
    sublevels={"real_server": REAL_SERVER},
)


def virtual_server(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    sub: Fields = {}
    walk(ctx, VIRTUAL_SERVER, children(node), sub)
    options = tuple(sub.get("options", ()))
    raw = {o.keyword: o.args for o in options}
    server = VirtualServer(
        selector=node.args,
        location=node.location,
        protocol=_first(raw, "protocol", None) or "TCP",
        lvs_sched=_first(raw, "lvs_sched", None) or _first(raw, "lb_algo", None),
        lvs_method=_first(raw, "lvs_method", None) or _first(raw, "lb_kind", None),
        delay_loop=_first(raw, "delay_loop", None),
        real_servers=tuple(sub.get("real_servers", ())),
        sorry_server=raw.get("sorry_server"),
        options=options,
    )
    fields.setdefault("virtual_servers", []).append(server)


def virtual_server_group(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    group = VirtualServerGroup(
        name=node.args[0] if node.args else "",
        location=node.location,
        entries=tuple(to_option(child) for child in children(node)),
    )
    fields.setdefault("virtual_server_groups", []).append(group)


SSL_BLOCK = Block(keywords={}, recognised=recognise("password", "ca", "certificate", "key"))


def ssl(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    walk(ctx, SSL_BLOCK, children(node), {})
    fields.setdefault("options", []).append(to_option(node))
