"""The generic block tree of a keepalived.conf: statements nested into blocks.

keepalived decides nesting by its keyword tables, not by the braces; this layer knows
no keywords, so the caller passes `takes_block` (the schema's answer, see `nesting.py`)
and the tree then nests as keepalived does, reporting "Missing '{' at beginning of
configuration block" and "Unexpected '{' - ignoring" where keepalived does. Without it a
statement owns a block exactly when the next logical line is `{` (keepalived cuts `a {`
and `{ b }` into separate lines, so that covers both brace styles). Brace *counting*
errors are reported here, worded as keepalived words them, in the order it reports them.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

from pykeepalived.config.diagnostics import Diagnostic, Kind, Location
from pykeepalived.config.includes import IncludeCheck
from pykeepalived.config.lexer import BOB, EOB, split_words
from pykeepalived.config.preprocess import Line, Reader

__all__ = [
    "Nesting", "Node", "ParseResult", "TakesBlock", "default_config_id", "parse_file",
    "parse_text",
]

#: Our bound on block nesting (keepalived's own keywords never go past five levels).
MAX_BLOCK_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Node:
    """One statement. `args` are split as keepalived splits them for keyword handlers
    (blanks separate, only `"` quotes, no escapes). For script keywords keepalived
    (notify_script_init) re-splits the raw line with quotes and escapes and then splits
    its second word again into the command's argv: `split_script_words(raw)`, then
    `split_script_words(words[1])`; words[2:4] are the optional user and group."""

    keyword: str
    args: tuple[str, ...]
    location: Location
    children: tuple[Node, ...] | None = None  # None: not a block; (): empty block
    #: the logical line the words came from (after comments, @id, $params, brace cuts)
    raw: str = field(default="", compare=False, repr=False)
    #: where the block's `{` was, if it has one
    brace: Location | None = field(default=None, compare=False, repr=False)
    #: where the block's `}` was (keepalived reports end-of-block checks there)
    end: Location | None = field(default=None, compare=False, repr=False)


class Nesting(IntEnum):
    """What keepalived does with the lines after a keyword (a bool answer means
    STATEMENT or BLOCK)."""

    #: no block: a following `{` is "Unexpected '{' - ignoring"
    STATEMENT = 0
    #: a keyword sub-level: a missing `{` is "Missing '{' at beginning of ..."
    BLOCK = 1
    #: a block of value lines (alloc_value_block): a missing `{` is only logged
    VALUE_BLOCK = 2
    #: not known (kept raw): a block exactly when the next line is `{`
    BRACES = 3


#: (enclosing block keywords, keyword) -> does keepalived give this keyword a block?
TakesBlock = Callable[[tuple[str, ...], str], "bool | Nesting"]


@dataclass(frozen=True, slots=True)
class ParseResult:
    nodes: tuple[Node, ...]
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]


def default_config_id() -> str:
    """keepalived's `-i` default: the node name up to its first '.'."""
    return os.uname().nodename.split(".")[0]


def parse_file(
    path: str,
    *,
    config_id: str | None = None,
    all_config: bool = False,
    random_source: Callable[[], int] | None = None,
    takes_block: TakesBlock | None = None,
) -> ParseResult:
    """Read a config file (a glob, as keepalived allows) with its includes; never raises."""
    reader = _reader(config_id, all_config, random_source)
    reader.start_file(path)
    return _build(reader, takes_block)


def parse_text(
    text: str,
    *,
    path: str = "<string>",
    config_id: str | None = None,
    all_config: bool = False,
    random_source: Callable[[], int] | None = None,
    takes_block: TakesBlock | None = None,
) -> ParseResult:
    """Parse text as if read from `path` (includes resolve from its directory)."""
    reader = _reader(config_id, all_config, random_source)
    reader.start_text(text, path)
    return _build(reader, takes_block)


def _reader(
    config_id: str | None, all_config: bool, random_source: Callable[[], int] | None
) -> Reader:
    if random_source is None:
        random_source = _unseeded_random()
    return Reader(
        config_id=default_config_id() if config_id is None else config_id,
        include_check=IncludeCheck.ALL if all_config else IncludeCheck.NONE,
        random_source=random_source,
    )


def _unseeded_random() -> Callable[[], int]:
    """Like keepalived's time-seeded random(): non-negative 31-bit draws."""
    generator = random.Random()
    return lambda: generator.getrandbits(31)


def _build(reader: Reader, takes_block: TakesBlock | None) -> ParseResult:
    builder = _Builder(reader.diagnostics, takes_block)
    while (line := reader.next_line()) is not None:
        builder.feed(line)
    builder.finish()
    return ParseResult(builder.nodes(), tuple(reader.diagnostics), tuple(reader.files))


@dataclass
class _Draft:
    keyword: str
    args: tuple[str, ...]
    location: Location
    raw: str
    children: list[_Draft] | None = None
    brace: Location | None = None
    end: Location | None = None

    def freeze(self) -> Node:
        children = None if self.children is None else tuple(c.freeze() for c in self.children)
        return Node(self.keyword, self.args, self.location, children, self.raw, self.brace,
                    self.end)


class _Builder:
    """Nests statements by braces and keeps keepalived's separate brace count
    (read_line's block_depth), whose errors differ from the nesting's.

    With `takes_block` it nests as keepalived's process_stream() does instead: a block
    keyword opens its block even without `{` (reporting it), other keywords never do.
    """

    def __init__(self, diagnostics: list[Diagnostic], takes_block: TakesBlock | None) -> None:
        self._diagnostics = diagnostics
        self._takes_block = takes_block
        self._root: list[_Draft] = []
        self._open: list[_Draft] = []
        self._braces: list[Location] = []
        self._last: _Draft | None = None
        self._awaiting: _Draft | None = None
        self._awaiting_reports = False

    def feed(self, line: Line) -> None:
        self._count_braces(line)
        split = split_words(line.text)
        if split.unmatched:
            self._report(Kind.UNMATCHED_QUOTE, f"Unmatched quote: '{line.text}'", line.location)
        if not split.words:
            return
        first = split.words[0]
        if self._awaited(first, line.location):
            return
        last, self._last = self._last, None
        if first == BOB:
            self._open_block(last, line.location)
        elif first == EOB:
            self._close_block(line.location)
        else:
            self._statement(first, split.words[1:], line)

    def _awaited(self, first: str, location: Location) -> bool:
        """keepalived mode: is this the `{` a block keyword waits for?"""
        awaiting, self._awaiting = self._awaiting, None
        if awaiting is None:
            return False
        if first == BOB:
            awaiting.brace = location
            return True
        if self._awaiting_reports:
            message = "Missing '{' at beginning of configuration block"
            self._report(Kind.MISSING_BOB, message, location)
        return False

    def _count_braces(self, line: Line) -> None:
        if line.text == BOB:
            self._braces.append(line.location)
        elif line.text == EOB:
            if self._braces:
                self._braces.pop()
            else:
                self._report(Kind.UNEXPECTED_EOB, "Extra '}' found", line.location)

    def _open_block(self, last: _Draft | None, location: Location) -> None:
        if last is None:
            self._report(Kind.UNEXPECTED_BOB, "Unexpected '{' - ignoring", location)
            return
        if len(self._open) >= MAX_BLOCK_DEPTH:
            message = f"Blocks nested deeper than {MAX_BLOCK_DEPTH} - ignoring '{{'"
            self._report(Kind.GENERAL_ERROR, message, location)
            return
        last.children = []
        last.brace = location
        self._open.append(last)

    def _close_block(self, location: Location) -> None:
        if self._open:
            self._open.pop().end = location
        else:
            self._report(Kind.UNKNOWN_KEYWORD, "Unknown keyword '}'", location)

    def _statement(self, keyword: str, args: tuple[str, ...], line: Line) -> None:
        draft = _Draft(keyword, args, line.location, line.text)
        siblings = self._open[-1].children if self._open else self._root
        assert siblings is not None  # an open block always has a children list
        siblings.append(draft)
        if self._takes_block is None:
            self._last = draft
            return
        parents = tuple(block.keyword for block in self._open)
        nesting = Nesting(int(self._takes_block(parents, keyword)))
        if nesting is Nesting.BRACES:
            self._last = draft
        elif nesting is not Nesting.STATEMENT and len(self._open) < MAX_BLOCK_DEPTH:
            draft.children = []
            self._open.append(draft)
            self._awaiting = draft
            self._awaiting_reports = nesting is Nesting.BLOCK

    def finish(self) -> None:
        if self._braces:
            message = f"There are {len(self._braces)} missing '}}'s or extra '{{'s"
            self._report(Kind.MISSING_EOB, message, self._braces[-1])

    def nodes(self) -> tuple[Node, ...]:
        return tuple(draft.freeze() for draft in self._root)

    def _report(self, kind: Kind, message: str, location: Location) -> None:
        self._diagnostics.append(Diagnostic(kind, message, location))
