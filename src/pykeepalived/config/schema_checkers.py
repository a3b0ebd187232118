"""The checker blocks of a real_server (keepalived/check/check_*.c install_*_keyword).

A checker is read into a field dict: its timing keywords, a `conn` dict for the
connection keywords, and its own keywords; at the block's `}` keepalived's end handler
runs (reported on that line) and the checker becomes a frozen `Checker` on its real
server, unless that handler drops it. HTTP_GET/SSL_GET are in schema_http.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config import check_values, values
from pykeepalived.config.model_check import (
    SMTP_DEFAULT_HELO,
    BfdParams,
    DnsParams,
    DnsType,
    FileParams,
    MiscParams,
    SmtpParams,
    UdpParams,
    endpoint,
)
from pykeepalived.config.schema import (
    Block,
    Ctx,
    Fields,
    Handler,
    NodeLike,
    arg,
    children,
    end_of,
    flag,
    walk,
)
from pykeepalived.config.schema_checker_common import (
    CONNECTION,
    TIMING,
    conn_ok,
    finish_checker,
    flag_of,
    new_conn,
)
from pykeepalived.config.schema_http import HTTP_BLOCK, http_end
from pykeepalived.config.schema_script import make_script
from pykeepalived.constants import INT_MAX, UINT_MAX

if TYPE_CHECKING:
    from pykeepalived.config.diagnostics import Location
    from pykeepalived.config.schema_checker_common import Ender

__all__ = ["CHECKERS", "CHECKER_BLOCKS"]

_BFD_NAME_MAX = 31
_DNS_TYPES: tuple[DnsType, ...] = ("A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG",
                                   "DNSKEY")


def _plain_end(ctx: Ctx, chk: Fields, end: Location) -> None:
    if conn_ok(ctx, chk["_rs"], chk["conn"], end):
        finish_checker(chk)


# ------------------------------------------------------------------ UDP, DNS


def _payload(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        ctx.error("UDP_CHECK payload requires a payload", node.location)
        return
    read = check_values.read_hex(" ".join(node.args))
    if read is None:
        ctx.error("Invalid hex string for UDP_CHECK payload", node.location)
        fields.pop("payload", None)
        return
    fields["payload"] = read[0]


def _require_reply(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    fields["require_reply"] = True
    if not node.args:
        return
    read = check_values.read_hex(" ".join(node.args), wildcard=True)
    if read is None:
        ctx.error("Invalid hex string for UDP_CHECK reply", node.location)
        fields.pop("reply", None)
        return
    fields["reply"], fields["reply_wildcards"] = read


def _reply_length(name: str, what: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        raw = arg(ctx, node)
        value = values.read_unsigned(raw, 0, 65535, ctx.reporter(node.location))
        if value is None:
            ctx.error(f"UDP_CHECK {what} length {raw} not valid - must be between 0 & 65535",
                      node.location)
            return
        fields[name] = value

    return handle


def _udp_end(ctx: Ctx, chk: Fields, end: Location) -> None:
    if not conn_ok(ctx, chk["_rs"], chk["conn"], end):
        return
    low, high = chk.get("min_reply_length", 0), chk.get("max_reply_length", 255)
    if low > high:
        ctx.error(f"UDP_CHECK min_reply length {low} > max_reply_length {high} - will always"
                  " fail", end)
    finish_checker(chk, UdpParams(chk.get("payload"), chk.get("require_reply", False),
                                  chk.get("reply"), chk.get("reply_wildcards"), low, high))


def _dns_type(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    word = arg(ctx, node)
    found = next((t for t in _DNS_TYPES if t.lower() == word.lower()), None)
    if found is None:
        ctx.error(f"Unknown DNS check type {word} - ignoring", node.location)
        return
    fields["query_type"] = found


def _dns_name(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if "name" in fields:
        ctx.error("DNS_CHECK name already specified - ignoring", node.location)
        return
    name = arg(ctx, node)
    if _empty_label(name):
        ctx.error(f"DNS_CHECK name '{name}' has empty label - ignoring", node.location)
        return
    fields["name"] = name


def _empty_label(name: str) -> bool:
    """keepalived's test, kept exactly: a '.' right after the first character or after
    any '.' (so a one-letter first label, as in `a.b`, counts as empty too)."""
    if name[:1] == "." and name[1:2]:
        return True
    dot: int | None = 0
    while dot is not None:
        if name[dot + 1:dot + 2] == ".":
            return True
        found = name.find(".", dot + 1)
        dot = found if found >= 0 else None
    return False


def _dns_end(ctx: Ctx, chk: Fields, end: Location) -> None:
    if conn_ok(ctx, chk["_rs"], chk["conn"], end):
        finish_checker(chk, DnsParams(chk.get("query_type", "SOA"), chk.get("name", "")))


# ------------------------------------------------------------------ MISC, SMTP


def _misc(handler: Handler) -> Handler:
    """keepalived forgets the MISC_CHECK whose user it could not set: its own keywords
    after that line do nothing (the common ones still read their value, for whichever
    checker keepalived then holds; here they change nothing that is kept)."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        if not fields.get("dropped"):
            handler(ctx, node, fields)

    return handle


def _misc_path(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    command = make_script(ctx, node, with_user=False)
    if command is not None and command.command:
        fields["command"] = command


def _misc_user(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    command = fields.get("command")
    shown = " ".join(f"'{a}'" for a in command.command) if command else ""
    if not node.args:
        ctx.error(f"No user specified for misc checker script {shown}", node.location)
        return
    user, group = node.args[0], node.args[1] if len(node.args) > 1 else None
    if not ctx.account(user, group):
        ctx.error(f"Failed to set uid/gid for misc checker script {shown} - removing",
                  node.location)
        fields["dropped"] = True
        return
    fields.update(user=user, group=group, user_location=node.location)


def _misc_timeout(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw = arg(ctx, node)
    value = values.read_unsigned(raw, 0, UINT_MAX // 10**6, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"Invalid misc_timeout value '{raw}'", node.location)
        return
    fields["timeout_s"] = value or None


def _misc_end(ctx: Ctx, chk: Fields, end: Location) -> None:
    if chk.get("dropped"):
        return
    if "command" not in chk:
        ctx.error("No script path has been specified for MISC_CHECKER - skipping", end)
        return
    finish_checker(chk, MiscParams(chk["command"], chk.get("timeout_s"),
                                   chk.get("dynamic", False), chk.get("user"),
                                   chk.get("group"), chk.get("user_location", end)))


def _helo(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        ctx.error("SMTP_CHECK helo name missing", node.location)
        return
    fields["helo_name"] = node.args[0]


HOST_BLOCK = Block(keywords={**CONNECTION, **TIMING})


def _smtp_host(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """A deprecated `host {}`: its connection keywords make one more checker (with a
    connect timeout of 0 unless it sets one, as keepalived allocates it); its timing
    keywords are the checker's own."""
    host: Fields = {"_checker": fields, "conn": {**new_conn(fields["_rs"]), "timeout_us": 0,
                                                 "_location": node.location}}
    walk(ctx, HOST_BLOCK, children(node), host)
    if conn_ok(ctx, fields["_rs"], host["conn"], end_of(node)):
        fields.setdefault("hosts", []).append(host["conn"])


def _smtp_end(ctx: Ctx, chk: Fields, end: Location) -> None:
    """keepalived's smtp_check_end_handler: the checker's own connection is kept when
    anything of it was set or there is no host; its timeout is resolved here, from the
    real server (as read so far) or the virtual server."""
    rs, conn, hosts = chk["_rs"], chk["conn"], list(chk.get("hosts", []))
    params = SmtpParams(chk.get("helo_name", SMTP_DEFAULT_HELO))
    if any(conn.get(k) for k in ("family", "port", "bind_family", "bind_port", "bind_if",
                                 "fwmark")) or "timeout_us" in conn or not hosts:
        if not conn.get("family"):
            conn.update(family=rs["address"].version, address=None)
        if not conn_ok(ctx, rs, conn, end):
            return
    else:
        conn = hosts.pop(0)
    timeout = rs.get("connect_timeout_us", rs["_vs"].get("connect_timeout_us", 5_000_000))
    for one in (conn, *hosts):
        one.setdefault("timeout_us", timeout)
        finish_checker(chk, params, one)


# ------------------------------------------------------------------ FILE, BFD


def _track_file(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    name = arg(ctx, node)
    if name not in ctx.known.get("file", set()):
        ctx.error(f"track_file {name} not found", node.location)
        return
    fields["track_file"] = name


def _file_weight(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        ctx.error("track file weight missing", node.location)
        return
    weight = values.read_int(node.args[0], -INT_MAX, INT_MAX, ctx.reporter(node.location))
    if weight is None:
        ctx.error(f"weight for track file must be in [{-INT_MAX}..{INT_MAX}] inclusive."
                  " Ignoring...", node.location)
        return
    option = node.args[1] if len(node.args) > 1 else "noreverse"
    if option not in ("reverse", "noreverse"):
        ctx.error(f"unknown track file weight option {option} - ignoring", node.location)
        return
    fields["weight"], fields["reverse"] = weight, option == "reverse"


def _file_end(ctx: Ctx, chk: Fields, end: Location) -> None:
    if "track_file" not in chk:
        ctx.error("FILE_CHECK has no track_file specified - ignoring", end)
        return
    finish_checker(chk, FileParams(chk["track_file"], chk.get("weight"),
                                   chk.get("reverse", False)))


def _rs_label(chk: Fields) -> str:
    rs = chk["_rs"]
    return endpoint(rs["address"], rs["_vs"].get("protocol", 0), rs["written_port"])


def _bfd_name(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if fields.get("dropped"):
        return
    who, name = _rs_label(fields), node.args[0] if node.args else ""
    rs = fields["_rs"]
    if len(node.args) != 1:
        problem = "BFD_CHECK - No or too many names specified - skipping checker"
    elif name not in ctx.known.get("bfd", set()):
        problem = f"BFD_CHECK - BFD {name} not configured"
    elif "name" in fields:
        problem = f"BFD_CHECK - BFD {name} already specified as {fields['name']}"
    elif len(name) > _BFD_NAME_MAX:
        problem = f"BFD_CHECK - BFD name {name} too long"
    elif name in rs.setdefault("_bfds", set()):
        problem = f"BFD_CHECK - RS already monitoring {name}"
    else:
        fields["name"] = name
        return
    ctx.error(f"({who}) {problem}", node.location)
    fields["dropped"] = True


def _bfd_alpha(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not fields.get("dropped"):
        flag_of("alpha", "alpha")(ctx, node, fields)


def _bfd_end(ctx: Ctx, chk: Fields, end: Location) -> None:
    if chk.get("dropped"):
        return
    if "name" not in chk:
        ctx.error(f"({_rs_label(chk)}) No name has been specified for BFD_CHECKER - skipping",
                  end)
        return
    chk["_rs"].setdefault("_bfds", set()).add(chk["name"])
    finish_checker(chk, BfdParams(chk["name"]))


# ------------------------------------------------------------------ the tables

#: kind -> (keywords, connection: True the real server's / None SMTP's unset / False none,
#: end handler)
_KINDS: dict[str, tuple[Block, bool | None, Ender]] = {
    "TCP_CHECK": (Block(keywords={**CONNECTION, **TIMING}), True, _plain_end),
    "PING_CHECK": (Block(keywords={**CONNECTION, **TIMING}), True, _plain_end),
    "UDP_CHECK": (Block(keywords={
        **CONNECTION, **TIMING, "payload": _payload, "require_reply": _require_reply,
        "min_reply_length": _reply_length("min_reply_length", "min"),
        "max_reply_length": _reply_length("max_reply_length", "max")}), True, _udp_end),
    "DNS_CHECK": (Block(keywords={**CONNECTION, **TIMING, "type": _dns_type,
                                  "name": _dns_name}), True, _dns_end),
    "HTTP_GET": (HTTP_BLOCK, True, http_end),
    "SSL_GET": (HTTP_BLOCK, True, http_end),
    "MISC_CHECK": (Block(keywords={
        **TIMING, "misc_path": _misc(_misc_path), "misc_timeout": _misc(_misc_timeout),
        "misc_dynamic": _misc(flag("dynamic")), "user": _misc(_misc_user)}), False, _misc_end),
    "SMTP_CHECK": (Block(keywords={**CONNECTION, **TIMING, "helo_name": _helo,
                                   "host": _smtp_host},
                         sublevels={"host": HOST_BLOCK}), None, _smtp_end),
    "FILE_CHECK": (Block(keywords={"track_file": _track_file, "weight": _file_weight}),
                   False, _file_end),
    "BFD_CHECK": (Block(keywords={"name": _bfd_name, "alpha": _bfd_alpha}), False, _bfd_end),
}


def _checker(kind: str) -> Handler:
    block, connected, ender = _KINDS[kind]

    def handle(ctx: Ctx, node: NodeLike, rs: Fields) -> None:
        chk: Fields = {"kind": kind, "location": node.location, "_rs": rs}
        if connected:
            chk["conn"] = new_conn(rs)
        elif connected is None:  # SMTP: "is anything set?" needs an empty start
            chk["conn"] = {}
        walk(ctx, block, children(node), chk)
        ender(ctx, chk, end_of(node))

    return handle


CHECKERS: dict[str, Handler] = {kind: _checker(kind) for kind in _KINDS}
CHECKER_BLOCKS: dict[str, Block | None] = {kind: entry[0] for kind, entry in _KINDS.items()}
