"""load_config: text on disk to a validated Config plus keepalived's diagnostics.

The syntax layer (`tree.parse_file`: lines, braces, quotes, include, $params, @id) is
another module; until it lands, a minimal private reader (braces, comments, double
quotes, no include) keeps the pipeline usable. Host facts are gathered here (I/O) unless
the caller passes them, so validation itself stays pure.
"""

from __future__ import annotations

import importlib
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pykeepalived.config.diagnostics import Diagnostic, Kind, Location
from pykeepalived.config.host import HostFacts, gather_host_facts
from pykeepalived.config.resolve import resolve, script_programs
from pykeepalived.config.schema import Abort, Ctx, Fields, NodeLike, walk
from pykeepalived.config.schema_static import ROOT

if TYPE_CHECKING:
    from pykeepalived.config.model import Config

#: keepalived exits with KEEPALIVED_EXIT_CONFIG (2) on a keyword missing its parameter.
EXIT_MISSING_PARAMETER = 2


@dataclass(frozen=True, slots=True)
class LoadResult:
    config: Config | None
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]
    #: keepalived stopped reading at once (missing parameter): `-t` exits 2
    aborted: bool = False


def load_config(path: str, *, config_id: str | None = None, all_config: bool = False,
                host: HostFacts | None = None) -> LoadResult:
    nodes, syntax, files = _parse(path, config_id=config_id, all_config=all_config)
    return validate(nodes, syntax, files, host=host)


def validate(nodes: tuple[NodeLike, ...], syntax: tuple[Diagnostic, ...] = (),
             files: tuple[str, ...] = (), *, host: HostFacts | None = None) -> LoadResult:
    """Schema + resolution over already-parsed nodes (what tests feed directly)."""
    ctx = Ctx(diagnostics=list(syntax))
    root: Fields = {}
    try:
        walk(ctx, ROOT, nodes, root)
    except Abort:
        return LoadResult(None, tuple(ctx.diagnostics), files, aborted=True)
    if host is None:
        smtp = root.get("global_defs", {}).get("smtp_server")
        host = gather_host_facts(script_programs(root), [smtp] if smtp else [])
    config = resolve(ctx, root, host)
    return LoadResult(config, tuple(ctx.diagnostics), files)


def _parse(path: str, *, config_id: str | None, all_config: bool
           ) -> tuple[tuple[NodeLike, ...], tuple[Diagnostic, ...], tuple[str, ...]]:
    try:
        tree: Any = importlib.import_module("pykeepalived.config.tree")
    except ImportError:
        return _fallback_parse_file(path)
    result = tree.parse_file(path, config_id=config_id, all_config=all_config)
    return tuple(result.nodes), tuple(result.diagnostics), tuple(result.files)


@dataclass(frozen=True, slots=True)
class _Node:
    keyword: str
    args: tuple[str, ...]
    location: Location
    children: tuple[NodeLike, ...] | None = None


def _fallback_parse_file(path: str
                         ) -> tuple[tuple[NodeLike, ...], tuple[Diagnostic, ...], tuple[str, ...]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError as exc:
        return (), (Diagnostic(Kind.FILE_NOT_FOUND, f"Configuration file '{path}' "
                               f"cannot be read: {exc.strerror}"),), ()
    return fallback_parse_text(text, path), (), (path,)


def fallback_parse_text(text: str, path: str = "<string>") -> tuple[NodeLike, ...]:
    """Braces, `#`/`!` comments and double quotes only: a stand-in for tree.parse_text."""
    stack: list[tuple[list[NodeLike], NodeLike | None]] = [([], None)]
    for number, line in enumerate(text.splitlines(), 1):
        lexer = shlex.shlex(line, posix=True)
        lexer.whitespace_split = True
        lexer.commenters = "#!"
        lexer.quotes = '"'
        try:
            words = list(lexer)
        except ValueError:
            words = line.split()
        for word in words:
            loc = Location(path, number)
            if word == "{":
                siblings, _ = stack[-1]
                if siblings:
                    stack.append(([], siblings.pop()))
            elif word == "}":
                if len(stack) > 1:
                    kids, parent = stack.pop()
                    assert parent is not None
                    stack[-1][0].append(_Node(parent.keyword, parent.args, parent.location,
                                              tuple(kids)))
            elif stack[-1][0] and _same_line(stack[-1][0][-1], loc):
                last = stack[-1][0].pop()
                stack[-1][0].append(_Node(last.keyword, (*last.args, word), last.location))
            else:
                stack[-1][0].append(_Node(word, (), loc))
    while len(stack) > 1:
        kids, parent = stack.pop()
        assert parent is not None
        stack[-1][0].append(_Node(parent.keyword, parent.args, parent.location, tuple(kids)))
    return tuple(stack[0][0])


def _same_line(node: NodeLike, loc: Location) -> bool:
    return node.location == loc and node.children is None
