"""Keyword tables: how each keyword of a block turns its words into a field.

A block is a table from keyword to handler; a handler reads the node's words with
keepalived's converters, reports what keepalived reports (same words, same line) and
stores the value into the block's field dict, from which `resolve.py` builds the frozen
model. Keywords keepalived knows but we do not interpret yet are kept as `Option`s so
they never produce "Unknown keyword". A missing parameter makes keepalived exit at once
(`*** Configuration line starting ...`), which `Abort` mirrors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pykeepalived.config import values
from pykeepalived.config.diagnostics import Diagnostic, Kind, Location
from pykeepalived.config.model import Option


class NodeLike(Protocol):
    """What the syntax layer's `tree.Node` provides (structural, so tests can fake it)."""

    @property
    def keyword(self) -> str: ...
    @property
    def args(self) -> tuple[str, ...]: ...
    @property
    def location(self) -> Location: ...
    @property
    def children(self) -> tuple[NodeLike, ...] | None: ...
    @property
    def raw(self) -> str: ...


class Abort(Exception):
    """keepalived exits immediately (exit code 2) on a keyword missing its parameter."""


Fields = dict[str, Any]


@dataclass
class Ctx:
    """Where handlers report; collects diagnostics in the order keepalived emits them."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: trackers defined so far, by kind ("script", "file", "process"): keepalived
    #: resolves a reference while parsing, so only earlier definitions count.
    known: dict[str, set[str]] = field(default_factory=dict)
    #: does this user (and group) exist? keepalived looks a script's user up while
    #: parsing (host facts when the caller gave them, else the host's own accounts)
    account: Callable[[str, str | None], bool] = lambda user, group: True
    #: online CPUs, for `*_cpu_affinity` (keepalived checks ids against sysconf while
    #: parsing); None: not known, any id is taken
    cpus: int | None = None
    #: does getaddrinfo know this host name? keepalived resolves smtp_server while
    #: parsing (host facts when the caller gave them, else the host's resolver)
    resolves: Callable[[str], bool] = lambda name: True
    #: does this interface exist? keepalived looks a route's or rule's device up while
    #: parsing (host facts when the caller gave them, else the host's interfaces)
    interfaces: frozenset[str] | None = None
    #: loopback interfaces (keepalived refuses one as a vrrp_instance's interface)
    loopbacks: frozenset[str] = frozenset({"lo"})
    #: /etc/protocols names for a rule's `ipproto`; None: the usual ones
    protocols: frozenset[str] | None = None
    #: VRF devices (a route's `vrf NAME` must name one)
    vrfs: frozenset[str] = frozenset()
    #: global_defs' dynamic_interfaces, once read (any interface name is then taken)
    dynamic_interfaces: bool = False
    #: a device was missing: keepalived's vrrp child then stops with BAD_IF
    bad_interface: bool = False
    #: /etc/iproute2 entries (id, name) by file (rt_tables, rt_protos ...), as read;
    #: keepalived adds its own defaults for ids a file does not name
    rt_names: Mapping[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    #: the preference the next rule without one gets, per family (4, 6)
    rule_priority: dict[int, int] = field(default_factory=dict)

    def interface_exists(self, name: str) -> bool:
        return self.dynamic_interfaces or self.interfaces is None or name in self.interfaces

    def report(self, kind: Kind, message: str, location: Location | None) -> None:
        self.diagnostics.append(Diagnostic(kind, message, location))

    def error(self, message: str, location: Location | None) -> None:
        self.report(Kind.GENERAL_ERROR, message, location)

    def reporter(self, location: Location | None) -> values.Report:
        return lambda kind, message: self.report(kind, message, location)


Handler = Callable[[Ctx, NodeLike, Fields], None]
Reader = Callable[[str, int, int, values.Report], int | None]


@dataclass(frozen=True, eq=False)
class Block:
    """One block's keywords; `recognised` ones are kept verbatim as options.

    The nesting fields say which keywords keepalived gives a block, because keepalived
    decides block-vs-statement by keyword, not by the braces (see `nesting.py`).
    """

    keywords: Mapping[str, Handler]
    recognised: frozenset[str] = frozenset()
    #: keywords that open a keyword sub-level (install_sublevel / install_keyword_root
    #: with keywords under it), with the table of that level; None: kept raw, nested
    #: by its braces
    sublevels: Mapping[str, Block | None] = field(default_factory=dict)
    #: keywords whose handler reads a block of value lines (alloc_value_block)
    value_blocks: frozenset[str] = frozenset()


def walk(ctx: Ctx, block: Block, nodes: Iterable[NodeLike], fields: Fields) -> None:
    for node in nodes:
        handler = block.keywords.get(node.keyword)
        if handler is not None:
            handler(ctx, node, fields)
        elif node.keyword in block.recognised:
            fields.setdefault("options", []).append(to_option(node))
        else:
            ctx.report(Kind.UNKNOWN_KEYWORD, f"Unknown keyword '{node.keyword}'", node.location)


def to_option(node: NodeLike) -> Option:
    kids = tuple(to_option(child) for child in node.children or ())
    return Option(node.keyword, node.args, node.location, kids)


def children(node: NodeLike) -> tuple[NodeLike, ...]:
    return node.children or ()


def end_of(node: NodeLike) -> Location:
    """Where keepalived reports a block's end-of-block checks: the line of its `}` (the
    last line read when the file ends first)."""
    end: Location | None = getattr(node, "end", None)
    if end is not None:
        return end
    kids = children(node)
    return end_of(kids[-1]) if kids else node.location


def arg(ctx: Ctx, node: NodeLike, index: int = 0) -> str:
    """The index-th word after the keyword; keepalived aborts when it is missing."""
    if index < len(node.args):
        return node.args[index]
    words = (node.keyword, *node.args)
    position = index + 2
    if position >= 2:
        message = (f"*** Configuration line starting `{node.keyword}` is missing a parameter "
                   f"after keyword `{words[-1]}` at word position {position}")
    else:  # pragma: no cover - the keyword itself is always present
        message = f"*** Configuration line starting `{node.keyword}` is missing a parameter"
    ctx.report(Kind.MISSING_PARAMETER, message, node.location)
    raise Abort(message)


def fmt(template: str | None, fields: Fields, value: str) -> str | None:
    if template is None:
        return None
    return template.format(name=fields.get("name", ""), value=value)


# --- handler factories -------------------------------------------------------------


def _number(name: str, read: Reader, lo: int, hi: int, invalid: str | None) -> Handler:
    """One keyword taking one number: keepalived's reader reports range/syntax errors,
    `invalid` (a template) adds the keyword's own complaint, and the field is left unset."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        text = arg(ctx, node)
        value = read(text, lo, hi, ctx.reporter(node.location))
        if value is None:
            message = fmt(invalid, fields, text)
            if message:
                ctx.error(message, node.location)
            return
        fields[name] = value

    return handle


def unsigned(name: str, lo: int, hi: int, invalid: str | None = None) -> Handler:
    return _number(name, values.read_unsigned, lo, hi, invalid)


def signed(name: str, lo: int, hi: int, invalid: str | None = None) -> Handler:
    return _number(name, values.read_int, lo, hi, invalid)


def decimal(name: str, lo_us: int, hi_us: int, invalid: str | None = None) -> Handler:
    """A TIMER value in seconds with up to 6 decimals, stored in microseconds."""
    return _number(name, values.read_decimal, lo_us, hi_us, invalid)


def flag(name: str, value: object = True) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        fields[name] = value

    return handle


def boolean(name: str, invalid: str | None = None) -> Handler:
    """An optional BOOL word; the bare keyword means true."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        if not node.args:
            fields[name] = True
            return
        value = values.read_bool(node.args[0])
        if value is None:
            template = invalid or "Invalid value '{value}' for " + node.keyword
            ctx.error(template.format(name=fields.get("name", ""), value=node.args[0]),
                      node.location)
            return
        fields[name] = value

    return handle


def text(name: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        fields[name] = arg(ctx, node)

    return handle


def words(name: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        fields[name] = node.args

    return handle


def lines(name: str) -> Handler:
    """A block of bare words, one entry per line (notification_email, group ...)."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        entries = fields.setdefault(name, [])
        for child in children(node):
            entries.append((child.keyword, *child.args))

    return handle


def nested(name: str, block: Block, *, many: bool = False,
           head: Callable[[Ctx, NodeLike, Fields], None] | None = None) -> Handler:
    """A sub-block whose fields become one dict (or one dict per occurrence)."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        sub: Fields = {"location": node.location}
        if head is not None:
            head(ctx, node, sub)
        walk(ctx, block, children(node), sub)
        if many:
            fields.setdefault(name, []).append(sub)
        else:
            fields[name] = sub

    return handle


def ignore_block(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """A keyword whose contents we keep verbatim, sub-blocks and all."""
    fields.setdefault("options", []).append(to_option(node))


def recognise(*names: str) -> frozenset[str]:
    return frozenset(names)
