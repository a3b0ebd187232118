"""`$NAME=value` definitions and their substitution, as keepalived's lib/parser.c does them.

Substitution happens when a line is read, not when a name is defined, and rescans the
text it just inserted, so values may refer to names defined later. keepalived can loop
forever on `$A=$A` and caps line growth at 1024 bytes; we keep the cap (same message) and
add a bound on the number of substitutions per line so a recursive definition ends with a
clear error instead of a hang.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.lexer import BLANK

#: keepalived's MAXBUF: a substituted line must stay shorter than this.
MAX_LINE = 1024
#: Our bound on substitutions for one line (keepalived has none and can hang). Large
#: enough that a line which keeps growing meets keepalived's own MAX_LINE limit first.
MAX_SUBSTITUTIONS = 2048
_RANDOM_MAX = 32767
_ULONG = 1 << 64

Problem = tuple[Kind, str]
#: A computed definition: params text (or None) -> (value, problem to report or None).
Compute = Callable[[str | None], tuple[str, str | None]]


@dataclass
class Definition:
    name: str
    value: str = ""
    multiline: bool = False
    compute: Compute | None = None
    max_params: int = 0


@dataclass
class Expansion:
    """One line after substitution; `more` are the further lines of multiline definitions,
    in reading order. `stop` means keepalived gave up on the line (left as it is)."""

    text: str
    more: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    used: int = 0
    stop: bool = False


def _is_name_start(c: str) -> bool:
    return c.isascii() and (c.isalpha() or c == "_")


def _is_name_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "_")


class Definitions:
    """The parameter table of one parse, with keepalived's predefined names."""

    def __init__(
        self, *, config_id: str, pwd: Callable[[], str], random_source: Callable[[], int]
    ) -> None:
        self._random = random_source
        self._defs: dict[str, Definition] = {}
        self._add_computed("_PWD", lambda _params: (pwd(), None))
        self._add_computed("_INSTANCE", lambda _params: (config_id, None))
        self._add_computed("_RANDOM", self._random_value, max_params=2)
        self._defs["_HASH"] = Definition("_HASH", "#")
        self._defs["_BANG"] = Definition("_BANG", "!")

    def _add_computed(self, name: str, compute: Compute, max_params: int = 0) -> None:
        self._defs[name] = Definition(name, compute=compute, max_params=max_params)

    def set(self, name: str, value: str) -> None:
        """Define or redefine a single-line name (used by ~SEQ/~LST variables)."""
        self._defs[name] = Definition(name, value)

    def define(self, text: str) -> Definition | None:
        """`$NAME=value` at line start defines NAME; anything else is not a definition."""
        if len(text) < 2 or text[0] != "$" or not _is_name_start(text[1]):
            return None
        eq = 2
        while eq < len(text) and text[eq] != "=":
            if not _is_name_char(text[eq]):
                return None
            eq += 1
        if eq >= len(text):
            return None
        name = text[1:eq]
        raw = text[eq + 1 :].lstrip(BLANK)
        definition = Definition(name, *_definition_value(raw))
        self._defs[name] = definition
        return definition

    def expand(self, text: str, budget: int = MAX_SUBSTITUTIONS) -> Expansion | None:
        """Substitute every defined `$NAME`, `${NAME}`, `${NAME params}`; None if none was."""
        result = Expansion(text)
        pos = 0
        while True:
            dollar = result.text.find("$", pos)
            if dollar < 0 or dollar + 1 >= len(result.text):
                break
            match = self._match(result.text, dollar + 1)
            if match is None:
                pos = dollar + 1
                continue
            if result.used >= budget:
                result.problems.append((Kind.GENERAL_ERROR, _recursion_message(text)))
                result.stop = True
                break
            result.used += 1
            definition, end, params = match
            value = self._value_of(definition, params, result)
            if not self._replace(result, dollar, end, definition, value):
                break
            if value.lstrip(BLANK).startswith("~"):
                break
            pos = dollar
        return result if result.used or result.stop else None

    def _value_of(self, definition: Definition, params: str | None, out: Expansion) -> str:
        if definition.compute is None:
            return definition.value
        value, problem = definition.compute(params)
        if problem is not None:
            out.problems.append((Kind.OK, problem))
        return value

    def _replace(
        self, out: Expansion, start: int, end: int, definition: Definition, value: str
    ) -> bool:
        replacement = value
        rest: list[str] = []
        if definition.multiline:
            replacement, newline, tail = value.partition("\n")
            rest = tail.split("\n") if newline else []
        if len(out.text) - (end - start) + len(replacement) >= MAX_LINE:
            message = (
                f"Parameter substitution on line '{out.text}' would exceed maximum line length"
            )
            out.problems.append((Kind.OK, message))
            out.stop = True
            return False
        out.text = out.text[:start] + replacement + out.text[end:]
        out.more[:0] = rest
        return True

    def _match(self, text: str, start: int) -> tuple[Definition, int, str | None] | None:
        """The definition referenced at text[start:] (just after `$`), its end, its params."""
        braces = text[start] == "{"
        first = start + 1 if braces else start
        if first >= len(text) or not _is_name_start(text[first]):
            return None
        stop = first + 1
        while stop < len(text) and _is_name_char(text[stop]):
            stop += 1
        name = text[first:stop]
        params: str | None = None
        if braces:
            found = _brace_params(text, stop)
            if found is None:
                return None
            end, params = found
        else:
            if stop < len(text) and text[stop] not in " \t,)":
                return None
            end = stop
        definition = self._defs.get(name)
        at_line_end = end == len(text) and params is None
        if definition is None or (definition.multiline and not at_line_end):
            return None
        if params is not None and not definition.max_params:
            return None
        return definition, end, params

    def _random_value(self, params: str | None) -> tuple[str, str | None]:
        low, high, problem = 0, _RANDOM_MAX, None
        if params is not None:
            numbers = [min(int(n), _ULONG - 1) for n in params.split()]
            low = numbers[0]
            if len(numbers) > 1:
                high = numbers[1]
            if len(numbers) > 2:
                problem = f"Too many parameters or extra text for ${{_RANDOM {params}}}"
        return _c_random_text(self._random(), low, high), problem


def _definition_value(raw: str) -> tuple[str, bool]:
    """keepalived's check_definition() value rules: a trailing `\\` starts a multiline value
    whose first line ends in a newline (blanks before the `\\` dropped)."""
    if not raw.endswith("\\"):
        return raw, False
    length = len(raw)
    while length >= 2 and raw[length - 2] in BLANK:
        length -= 1
    if length < 2:
        return "", True
    return raw[: length - 1] + "\n", True


def continue_multiline(definition: Definition, text: str) -> bool:
    """Add one more line to a multiline definition; False when this line was its last."""
    more = text.endswith("\\")
    if more:
        piece = text[:-1].rstrip(BLANK) + "\n"
    else:
        piece = text
        if not definition.value:
            definition.multiline = False
    if len(piece) >= 2 or (piece and not more):
        definition.value += piece
    return more


def end_multiline(definition: Definition) -> None:
    """A blank line ends a multiline definition; an empty one becomes single-line."""
    if not definition.value:
        definition.multiline = False


def _brace_params(text: str, stop: int) -> tuple[int, str | None] | None:
    """After `${NAME`: optional digits-and-spaces params, then `}`; (end, params)."""
    pos = stop
    first: int | None = None
    last = stop
    while pos < len(text) and (text[pos] == " " or (text[pos].isascii() and text[pos].isdigit())):
        if text[pos] != " ":
            first = pos if first is None else first
            last = pos
        pos += 1
    if first is not None and last + 1 != pos:
        return None
    if pos >= len(text) or text[pos] != "}":
        return None
    return pos + 1, (text[first : last + 1] if first is not None else None)


def _c_random_text(draw: int, low: int, high: int) -> str:
    """`random() % (max - min + 1) + min` with C's unsigned wrap-around, printed into a
    buffer as wide as max's digits (keepalived truncates, so do we)."""
    modulus = (high - low + 1) % _ULONG
    value = ((draw % modulus) if modulus else draw) + low
    value %= _ULONG
    signed = value - _ULONG if value >= _ULONG // 2 else value
    signed_high = high - _ULONG if high >= _ULONG // 2 else high
    width = len(str(abs(signed_high)))
    return str(signed)[:width]


def _recursion_message(text: str) -> str:
    return (
        f"Parameter substitution on line '{text}' does not end after "
        f"{MAX_SUBSTITUTIONS} substitutions (recursive definition?) - line left as is"
    )
