"""Address and route lines: one `addr[/len] [dev IF] [scope S] ...` or route per line.

Shared by vrrp_instance (virtual_ipaddress, virtual_routes ...) and the top-level
static_ipaddress/static_routes blocks, which keepalived parses with the same code
(vrrp_ipaddress.c parse_ipaddress / vrrp_iproute.c); wording follows 2.2.7.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config import schema_routes, schema_rules, values
from pykeepalived.config.model import RouteLine, VirtualAddress

if TYPE_CHECKING:
    from pykeepalived.config.schema import Ctx, NodeLike

__all__ = ["parse_address_line", "parse_route_line"]

_UINT_MAX = 2**32 - 1
_SCOPES = frozenset({"global", "site", "link", "host", "nowhere"})
_ADDR_FLAGS = frozenset({"home", "-nodad", "mngtmpaddr", "noprefixroute", "autojoin"})


def parse_address_line(ctx: Ctx, node: NodeLike, *, static: bool) -> VirtualAddress | None:
    """One `addr[/len] [brd X] [dev IF] [scope S] [label L] ...` line."""
    words = (node.keyword, *node.args)
    prefixed = values.parse_prefixed(words[0], ctx.reporter(node.location))
    if prefixed is None:
        return None
    opts: dict[str, object] = {}
    flags: list[str] = []
    muted: int | None = None
    index = 1
    while index < len(words):
        word = words[index]
        has_param = index + 1 < len(words)
        if word in ("dev", "scope", "brd", "broadcast", "label", "peer", "preferred_lft",
                    "track_group"):
            if not has_param or (word == "track_group" and not static):
                if not has_param:
                    ctx.error(f"No {word} parameter specified for {words[0]}", node.location)
                    _unmute(ctx, muted)
                    return None
                ctx.error(f"Unknown configuration entry '{word}' for ip address - ignoring",
                          node.location)
                index += 1
                continue
            param = words[index + 1]
            index += 2
            if word == "dev" and "dev" in opts:
                ctx.error(f"Cannot specify ipaddress device more than once for {words[0]}",
                          node.location)
                _unmute(ctx, muted)
                return None
            if word == "dev" and not ctx.interface_exists(param) and muted is None:
                # keepalived looks it up here and reads no further (its vrrp child then
                # stops with BAD_IF); ours runs regardless, so the address is kept, read
                # to its end without saying more
                ctx.bad_interface = True
                ctx.error(f"WARNING - interface {param} for ip address {words[0]} doesn't exist",
                          node.location)
                muted = len(ctx.diagnostics)
            if word == "scope" and param not in _SCOPES and not param.isdigit():
                ctx.error(f"Invalid scope '{param}' specified for {words[0]} - ignoring",
                          node.location)
            elif word == "label" and len(param) >= 16:
                ctx.error(f"Address label {param} is longer than maximum length 15 - removing"
                          " address", node.location)
                _unmute(ctx, muted)
                return None
            elif word == "peer":
                peer = values.parse_ip(param)
                if peer is None:
                    ctx.error(f"Invalid peer address {param}", node.location)
                else:
                    opts["peer"] = peer
            elif word == "preferred_lft":
                opts["preferred_lft"] = _preferred_lft(ctx, node, param)
            else:
                opts["broadcast" if word in ("brd", "broadcast") else word] = param
            continue
        if word in _ADDR_FLAGS:
            flags.append(word)
        elif word == "no_track":
            opts["no_track"] = True
        elif word == "use_vmac" and not static:
            opts["use_vmac"] = True
        else:
            ctx.error(f"Unknown configuration entry '{word}' for ip address - ignoring",
                      node.location)
        index += 1
    if muted is not None:
        del ctx.diagnostics[muted:]
    return VirtualAddress(
        address=prefixed.address,
        prefix=prefixed.prefix,
        location=node.location,
        broadcast=_str(opts.get("broadcast")),
        dev=_str(opts.get("dev")),
        scope=_str(opts.get("scope")),
        label=_str(opts.get("label")),
        peer=opts.get("peer"),  # type: ignore[arg-type]
        no_track=bool(opts.get("no_track", False)),
        use_vmac=bool(opts.get("use_vmac", False)),
        preferred_lft=opts.get("preferred_lft"),  # type: ignore[arg-type]
        flags=tuple(flags),
    )


def _unmute(ctx: Ctx, muted: int | None) -> None:
    """Drop what was said after a missing device (keepalived stopped reading there)."""
    if muted is not None:
        del ctx.diagnostics[muted:]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _preferred_lft(ctx: Ctx, node: NodeLike, param: str) -> int | None:
    if param == "forever":
        return 0xFFFFFFFF
    value = values.read_unsigned(param, 0, _UINT_MAX, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"preferred_lft {param} is invalid", node.location)
    return value


def parse_route_line(ctx: Ctx, node: NodeLike, kind: str, *,
                     static: bool = False) -> RouteLine | None:
    """A route or rule line, checked as keepalived reads it (schema_routes.py,
    schema_rules.py); None when keepalived drops it."""
    check = schema_routes.check_route if kind == "route" else schema_rules.check_rule
    return check(ctx, node, static=static)
