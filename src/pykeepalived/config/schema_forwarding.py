"""`lvs_method` / `lb_kind` / `sorry_server_lvs_method` (check_parser.c
svr_forwarding_handler): `NAT`, `DR` or `TUN [type ipip|gue|gre] [port N]
[nocsum|csum|remcsum]`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived.config import values
from pykeepalived.config.model_check import Checksum, Forwarding, Method, TunnelType

if TYPE_CHECKING:
    from pykeepalived.config.schema import Ctx, NodeLike

__all__ = ["read_forwarding"]

_METHODS: dict[str, Method] = {"NAT": "NAT", "DR": "DR", "TUN": "TUN"}
_TUNNELS: dict[str, TunnelType] = {"ipip": "ipip", "gue": "gue", "gre": "gre"}
_CHECKSUMS: dict[str, Checksum] = {"nocsum": "nocsum", "csum": "csum", "remcsum": "remcsum"}


def read_forwarding(ctx: Ctx, node: NodeLike, what: str, current: Forwarding | None
                    ) -> Forwarding | None:
    """The new forwarding of a `what` (virtual|real|sorry) server, or None when the
    method word itself is unknown. keepalived stores the method before it reads the
    tunnel options, so a bad option keeps the new method with the old tunnel values."""
    word = node.args[0]
    method = _METHODS.get(word)
    if method is None:
        ctx.error(f"PARSER : unknown [{word}] routing method for {what} server.",
                  node.location)
        return None
    base = replace(current or Forwarding(), method=method)
    tunnel = _tunnel_options(ctx, node, what)
    if tunnel is None:
        return base
    tunnel_type, port, checksum = tunnel
    problem = None
    if (tunnel_type == "gue") != (port != 0):
        problem = "gue tunnels require port, otherwise cannot have port."
    elif tunnel_type == "ipip" and checksum != "nocsum":
        problem = "ipip tunnels do not support checksum option."
    elif tunnel_type == "gre" and checksum == "remcsum":
        problem = "gre tunnels do not support remote checksum option."
    if problem is not None:
        ctx.error(problem, node.location)
        return base
    return Forwarding(method, tunnel_type, port, checksum)


def _tunnel_options(ctx: Ctx, node: NodeLike, what: str
                    ) -> tuple[TunnelType, int, Checksum] | None:
    words = node.args
    tunnel_type: TunnelType = "ipip"
    port = 0
    checksum: Checksum = "nocsum"
    index = 1
    while index < len(words):
        word = words[index]
        if word in ("type", "port"):
            if index + 1 == len(words):
                ctx.error(f"Missing tunnel type for {what} server." if word == "type" else
                          f"Missing port for {what} server gue tunnel.", node.location)
                return None
            value = words[index + 1]
            if word == "type":
                if value not in _TUNNELS:
                    ctx.error(f"Unknown tunnel type {value} for {what} server.",
                              node.location)
                    return None
                tunnel_type = _TUNNELS[value]
            else:
                read = values.read_unsigned(value, 1, 65535, ctx.reporter(node.location))
                if read is None:
                    ctx.error(f"Invalid gue tunnel port {value} for {what} server.",
                              node.location)
                    return None
                port = read
            index += 2
        elif word in _CHECKSUMS:
            checksum = _CHECKSUMS[word]
            index += 1
        else:
            ctx.error(f"Invalid tunnel option {word} for {what} server.", node.location)
            return None
    return tunnel_type, port, checksum
