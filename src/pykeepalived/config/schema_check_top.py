"""The check module's other top-level blocks: virtual_server_group (check_data.c
alloc_vsg_entry), SSL, and bfd_instance as the checker process sees it (a name a
later BFD_CHECK may refer to)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

from pykeepalived.config import check_values, values
from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model_check import GroupEntry, SslConfig, VirtualServerGroup
from pykeepalived.config.schema import (
    Block,
    Ctx,
    Fields,
    Handler,
    NodeLike,
    arg,
    children,
    end_of,
    ignore_block,
    walk,
)
from pykeepalived.constants import UINT_MAX

if TYPE_CHECKING:
    from pykeepalived.config.model_base import IPAddress

__all__ = ["SSL_BLOCK", "bfd_instance", "ssl", "virtual_server_group"]


# ------------------------------------------------------------------ virtual_server_group


def virtual_server_group(ctx: Ctx, node: NodeLike, root: Fields) -> None:
    name = arg(ctx, node)
    entries = tuple(e for e in (_entry(ctx, child, name) for child in children(node)) if e)
    group = VirtualServerGroup(name, node.location, entries)
    if not entries:
        ctx.error(f"virtual server group {name} has no entries - removing", end_of(node))
        return
    if group.have_ipv4 and group.have_ipv6 and group.fwmark_no_family:
        ctx.error(f"virtual server group {name} cannot have IPv4, IPv6 and fwmark without"
                  " family - removing", end_of(node))
        return
    root.setdefault("virtual_server_groups", []).append(group)


def _entry(ctx: Ctx, line: NodeLike, group: str) -> GroupEntry | None:
    if line.keyword == "fwmark":
        return _fwmark(ctx, line, group)
    text, report = line.keyword, ctx.reporter(line.location)
    port = check_values.no_port(line.args[0] if line.args else None)
    parsed = check_values.sockaddr(text, port, report)
    if parsed is None:
        shown = f"/port/{port}" if port is not None else ""
        ctx.error(f"Invalid virtual server group IP address {text} {shown} - skipping",
                  line.location)
        return None
    first, number = parsed
    if "/" in text:
        last = _cidr_end(ctx, line, text, first)
    elif "-" in text and _full_range(text, first.version):
        last = _range_end(ctx, line, text, first, port)
    else:
        last = _short_range_end(ctx, line, text, first)
    if last is None:
        return None
    return GroupEntry(line.location, first, last, number)


def _fwmark(ctx: Ctx, line: NodeLike, group: str) -> GroupEntry | None:
    raw = arg(ctx, line)
    mark = values.read_unsigned(raw, 0, UINT_MAX, ctx.reporter(line.location))
    if mark is None:
        ctx.error(f"({group}): fwmark '{raw}' must be in [0, {UINT_MAX}] - ignoring",
                  line.location)
        return None
    family = None
    if len(line.args) > 1:
        family = {"inet": 4, "inet6": 6}.get(line.args[1])
        if family is None:
            ctx.error(f"({group}): fwmark '{mark}' family {line.args[1]} unknown - ignoring",
                      line.location)
            return None
    return GroupEntry(line.location, fwmark=mark, family=family)


def _cidr_end(ctx: Ctx, line: NodeLike, text: str, first: IPAddress) -> IPAddress | None:
    """`ADDR/LEN`: every address of the block; host bits must be zero."""
    bits = first.max_prefixlen
    mask_text = text[text.index("/") + 1:]
    length, end, _ = check_values.strtoul(mask_text)
    if end != len(mask_text) or not 0 < length <= bits:
        ctx.error(f"Invalid netmask - {text} - skipping", line.location)
        return None
    host = (1 << (bits - length)) - 1
    if int(first) & host:
        ctx.error(f"Address mask bits not empty - {text} - skipping", line.location)
        return None
    return _same_family(first, int(first) | host)


def _full_range(text: str, version: int) -> bool:
    """keepalived takes `A-B` as a full start-end range when B looks like an address."""
    rest = text[text.index("-") + 1:]
    return ("." if version == 4 else ":") in rest


def _range_end(ctx: Ctx, line: NodeLike, text: str, first: IPAddress, port: str | None
               ) -> IPAddress | None:
    parsed = check_values.sockaddr(text[text.index("-") + 1:], port,
                                   ctx.reporter(line.location))
    if parsed is None:
        ctx.error(f"Invalid range end {text} - skipping", line.location)
        return None
    last = parsed[0]
    if last.version != first.version:
        ctx.error(f"Range address families do not match {text} - skipping", line.location)
        return None
    if int(last) < int(first):
        ctx.error(f"Address range end is less than address range start - {text} - skipping",
                  line.location)
        return None
    return last


def _short_range_end(ctx: Ctx, line: NodeLike, text: str, first: IPAddress
                     ) -> IPAddress | None:
    """`A.B.C.D-E` (last octet) or `X::Y-Z` (last 16-bit group, hex): keepalived's
    inet_stor, then the end must be above the start."""
    if "-" not in text:
        return first
    tail = text[text.index("-") + 1:]
    v6 = first.version == 6
    value, end, overflow = check_values.strtoul(tail, 16 if v6 else 10)
    if end != len(tail):
        ctx.report(Kind.INVALID_NUMBER, f"Virtual server group range '{text}' has extra"
                   f" characters at end '{tail[end:]}'", line.location)
        return None
    if overflow or value > (0xFFFF if v6 else 0xFF):
        ctx.report(Kind.INVALID_NUMBER, f"Virtual server group range '{text}' end '{tail}'"
                   " too large", line.location)
        return None
    low_bits = 0xFFFF if v6 else 0xFF
    if (int(first) & low_bits) >= value:
        ctx.error(f"Address range end is not greater than address range start - {text}"
                  " - skipping", line.location)
        return None
    return _same_family(first, (int(first) & ~low_bits) | value)


def _same_family(like: IPAddress, value: int) -> IPAddress:
    return IPv4Address(value) if like.version == 4 else IPv6Address(value)


# ------------------------------------------------------------------ SSL


def _ssl_file(name: str, what: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        if not node.args:
            ctx.error(f"SSL {what} missing", node.location)
            return
        if name in fields:
            ctx.error(f"SSL {what} already specified - replacing", node.location)
        fields[name] = node.args[0]

    return handle


SSL_BLOCK = Block(keywords={
    "password": _ssl_file("password", "password"),
    "ca": _ssl_file("ca", "cafile"),
    "certificate": _ssl_file("certificate", "certfile"),
    "key": _ssl_file("key", "keyfile"),
})


def ssl(ctx: Ctx, node: NodeLike, root: Fields) -> None:
    if root.get("ssl") is not None:
        ctx.error("SSL context already specified - replacing", node.location)
    sub: Fields = {"location": node.location}
    walk(ctx, SSL_BLOCK, children(node), sub)
    root["ssl"] = SslConfig(**sub)


# ------------------------------------------------------------------ bfd_instance


def bfd_instance(ctx: Ctx, node: NodeLike, root: Fields) -> None:
    """Kept verbatim (BFD is not built); the checker process remembers the name for
    BFD_CHECK unless the block names only other processes (`vrrp` without `checker`),
    and complains about a name it has already seen."""
    ignore_block(ctx, node, root)
    if not node.args:
        return
    name, known = node.args[0], ctx.known.setdefault("bfd_seen", set())
    if name in known:
        ctx.error(f"BFD {name} already specified", node.location)
        return
    known.add(name)
    processes = {child.keyword for child in children(node)} & {"vrrp", "checker"}
    if not processes or "checker" in processes:
        ctx.known.setdefault("bfd", set()).add(name)
