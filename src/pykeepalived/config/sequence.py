"""`~SEQ(var,start,step,end)`, `~SEQx(...)` and `~LST(var,v1,...)` line repeaters.

Each turns the rest of its line into one line per value, with `$var` defined for that
line (keepalived lib/parser.c add_seq/add_lst). We bound the number of repetitions, since
`~SEQ(i,0,1,9999999999)` would otherwise read for ever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

#: Our bound on the lines one ~SEQ/~LST may produce.
MAX_REPEAT = 65536

Assignments = tuple[tuple[str, str], ...]


@dataclass
class Repeater:
    """The remaining iterations of one ~SEQ/~LST: each sets variables, then yields text."""

    text: str
    iterations: list[Assignments] = field(default_factory=list)
    done: int = 0

    def next(self) -> Assignments | None:
        if self.done >= len(self.iterations):
            return None
        self.done += 1
        return self.iterations[self.done - 1]


class SequenceError(ValueError):
    """A malformed ~SEQ/~LST; the message is keepalived's."""


_C_LONG = re.compile(r"[ \t\n\r\f\v]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?")


def parse_seq(line: str, expand: Callable[[str], str]) -> Repeater:
    """`~SEQ(var, [start,] [step,] end) text` or `~SEQx(...)`; raises SequenceError."""
    hexa = line[4:5] == "x"
    rest = line[5:] if hexa else line[4:]
    rest = rest.lstrip(" \t")
    invalid = f"Invalid ~SEQ definition '{line}'"
    if not rest.startswith("("):
        raise SequenceError(f"Invalid ~SEQ specification '{line}'")
    body = rest[1:].lstrip(" \t")
    var_end = _span_until(body, " \t,)")
    var = body[:var_end]
    after = body[var_end:].lstrip(" \t")
    if not after or after[0] == ")" or not var:
        raise SequenceError(invalid)
    args_text = after[1:].lstrip(" \t")
    close = args_text.find(")")
    if close < 0:
        raise SequenceError(invalid)
    start, step, end = _seq_numbers(expand(args_text[: close + 1]), line)
    if hexa and (start < 0 or end < 0):
        raise SequenceError(f"~SEQx is only valid for positive numbers '{line}'")
    text = args_text[close + 1 :].lstrip(" \t")
    values = range(start, end + (1 if step > 0 else -1), step)
    if len(values) > MAX_REPEAT:
        raise SequenceError(f"~SEQ produces more than {MAX_REPEAT} lines '{line}'")
    return Repeater(text, [((var, format(v, "x") if hexa else str(v)),) for v in values])


def _seq_numbers(spec: str, line: str) -> tuple[int, int, int]:
    numbers: list[int] = []
    pos = 0
    while True:
        value, pos = _strtol(spec, pos)
        numbers.append(value)
        pos += len(spec[pos:]) - len(spec[pos:].lstrip(" \t"))
        if spec[pos : pos + 1] == ")":
            break
        if spec[pos : pos + 1] != "," or len(numbers) == 3:
            raise SequenceError(f"Invalid ~SEQ definition '{line}'")
        pos += 1
    if len(numbers) == 1:
        end = numbers[0]
        return (-1 if end < 0 else 1), (-1 if end < 1 else 1), end
    if len(numbers) == 2:
        start, end = numbers
        return start, (1 if start <= end else -1), end
    start, step, end = numbers
    if not step or (start < end and step < 0) or (start > end and step > 0):
        raise SequenceError(f"Invalid ~SEQ values '{line}'")
    return start, step, end


def _strtol(text: str, pos: int) -> tuple[int, int]:
    """C strtol(base 0): (value, index after it); no digits gives (0, pos)."""
    match = _C_LONG.match(text, pos)
    if match is None or match.group(2) is None:
        return 0, pos
    digits = match.group(2)
    if digits[:2].lower() == "0x":
        value = int(digits, 16)
    else:
        value = int(digits, 8 if digits[0] == "0" else 10)
    return (-value if match.group(1) == "-" else value), match.end()


def _span_until(text: str, stops: str) -> int:
    for index, char in enumerate(text):
        if char in stops:
            return index
    return len(text)


def parse_lst(line: str) -> Repeater:
    """`~LST(var, v1, v2) text` or `~LST({a,b}, {1,2}, {3,4}) text`; raises SequenceError."""
    invalid = SequenceError(f"Invalid ~LST specification '{line}'")
    rest = line[4:].lstrip(" \t")
    if not rest.startswith("("):
        raise invalid
    names, pos = _lst_group(rest, 1, ",}")
    if names is None or pos >= len(rest) or rest[pos] != ",":
        raise invalid
    sets: list[list[str]] = []
    pos = _skip_blank(rest, pos + 1)
    while True:
        values, pos = _lst_group(rest, pos, ",})")
        if values is None:
            raise invalid
        if len(values) > len(names):
            raise SequenceError(f"~LST specification has too many values '{line}'")
        sets.append(values + [""] * (len(names) - len(values)))
        if pos < len(rest) and rest[pos] == ")":
            break
        if pos >= len(rest) or rest[pos] != ",":
            raise invalid
        pos = _skip_blank(rest, pos + 1)
    text = rest[pos + 1 :].lstrip(" \t")
    return Repeater(text, [tuple(zip(names, values, strict=True)) for values in sets])


def _lst_group(text: str, pos: int, stops: str) -> tuple[list[str] | None, int]:
    """One `{a, b}` group or a single item; returns (items, index of the char after)."""
    pos = _skip_blank(text, pos)
    braced = text[pos : pos + 1] == "{"
    if braced:
        pos = _skip_blank(text, pos + 1)
    items: list[str] = []
    while True:
        end = pos + _span_until(text[pos:], " \t" + stops)
        items.append(text[pos:end])
        pos = _skip_blank(text, end)
        if not braced:
            return items, pos
        if text[pos : pos + 1] == "}":
            return items, _skip_blank(text, pos + 1)
        if text[pos : pos + 1] != ",":
            return None, pos
        pos = _skip_blank(text, pos + 1)


def _skip_blank(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos
