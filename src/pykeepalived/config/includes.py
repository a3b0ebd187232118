"""`include` and its variants: glob expansion with csh braces, and keepalived's checks.

keepalived (lib/parser.c) reports every include problem, but as an *error* only when the
matching `include_check` bit is set (by `-e`, `include_check`, or `includer/m/w/b/a`);
otherwise the message is informational and the include is skipped. We return each
problem with the bit that makes it an error; the reader turns that into a Kind.
"""

from __future__ import annotations

import glob
import itertools
import os
import stat
from dataclasses import dataclass, field
from enum import IntFlag

from pykeepalived.config.diagnostics import Kind


class IncludeCheck(IntFlag):
    """keepalived's include_t bits."""

    NONE = 0
    READ = 0x01  # a match is a directory, unreadable, not a regular non-executable file
    MATCH = 0x02  # nothing matches a name without wildcards
    WILDCARD = 0x04  # nothing matches, even with wildcards
    BRACE = 0x08  # some alternative of a {a,b} brace expression matches nothing
    ALL = 0x0F


_VARIANTS = {
    "": IncludeCheck.NONE,
    "r": IncludeCheck.READ,
    "m": IncludeCheck.READ | IncludeCheck.MATCH,
    "w": IncludeCheck.READ | IncludeCheck.MATCH | IncludeCheck.WILDCARD,
    "b": IncludeCheck.READ | IncludeCheck.BRACE,
    "a": IncludeCheck.ALL,
}

_CHECK_NAMES = {
    "read": IncludeCheck.READ,
    "match": IncludeCheck.MATCH,
    "wildcard_match": IncludeCheck.WILDCARD,
    "brace_match": IncludeCheck.BRACE,
}


@dataclass(frozen=True, slots=True)
class Include:
    checks: IncludeCheck
    pattern: str


def parse_include(text: str) -> Include | None:
    """`include FILE`, `includer FILE`, ...; the pattern is the raw rest of the line."""
    if not text.startswith("include") or len(text) < 8:
        return None
    if text[7].isspace():
        return Include(IncludeCheck.NONE, text[8:].lstrip(" \t"))
    if text[7] in "rmwba" and len(text) > 8 and text[8].isspace():
        return Include(_VARIANTS[text[7]], text[9:].lstrip(" \t"))
    return None


def apply_include_check(
    words: tuple[str, ...], current: IncludeCheck
) -> tuple[IncludeCheck, list[str]]:
    """global_defs `include_check [+|-]TYPE...` (no TYPE: all); returns (new, problems)."""
    if not words:
        return IncludeCheck.ALL, []
    checks, problems = current, []
    for index, word in enumerate(words):
        sign = word[:1] if word[:1] in ("+", "-") else ""
        name = word[len(sign) :]
        if not sign:
            if index:
                problems.append(f"Duplicate include_check '{word}' specified - ignoring")
                continue
            checks = IncludeCheck.NONE
        flag = _CHECK_NAMES.get(name)
        if flag is None:
            problems.append(f"Unknown include_check type '{name}' - ignoring")
        elif sign == "+":
            checks |= flag
        elif sign == "-":
            checks &= ~flag
        else:
            checks = IncludeCheck.READ | flag
    return checks, problems


@dataclass
class GlobResult:
    """What a pattern matched, in glob(3) order; directories end in '/' (GLOB_MARK)."""

    paths: list[str] = field(default_factory=list)
    problems: list[tuple[IncludeCheck, str]] = field(default_factory=list)


def expand_pattern(pattern: str, base_dir: str, checks: IncludeCheck) -> GlobResult:
    """Expand an include pattern relative to the including file's directory."""
    result = GlobResult()
    full = pattern if os.path.isabs(pattern) or not base_dir else os.path.join(base_dir, pattern)
    missing = 0
    wildcards = False
    for alternative in expand_braces(full):
        if glob.has_magic(alternative):
            wildcards = True
            if not os.path.isdir(_literal_prefix(alternative)):
                missing += 1
            matches = sorted(glob.glob(alternative))
        elif os.path.lexists(alternative):
            matches = [alternative]
        else:
            missing += 1
            matches = []
        result.paths.extend(m + "/" if os.path.isdir(m) else m for m in matches)
    if not result.paths:
        if missing:
            check = IncludeCheck.BRACE if "{" in pattern else IncludeCheck.MATCH
            result.problems.append((check, f"Config files missing '{pattern}'."))
        elif wildcards and checks & IncludeCheck.WILDCARD:
            result.problems.append(
                (IncludeCheck.WILDCARD, f"No config files matched '{pattern}'.")
            )
    elif missing:
        result.problems.append((IncludeCheck.BRACE, f'Some config files missing: "{pattern}".'))
        if checks & IncludeCheck.BRACE:
            result.paths = []
    return result


def _literal_prefix(pattern: str) -> str:
    """The directory glob(3) opens first: the path up to the first wildcard component."""
    parts = pattern.split("/")
    literal: list[str] = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        literal.append(part)
    prefix = "/".join(literal)
    if pattern.startswith("/") and not prefix:
        return "/"
    return prefix or "."


def check_file(path: str) -> str | None:
    """keepalived's check_glob_file(): why this match must be skipped, or None."""
    if path.endswith("/"):
        return f"Configuration file '{path}' is a directory - skipping"
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    if not stat.S_ISREG(mode) or mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
        return f"Configuration file '{path}' is not a regular non-executable file - skipping"
    return None


def read_file(path: str) -> tuple[bytes | None, str | None]:
    """(content, None) or (None, keepalived's open-problem message)."""
    try:
        with open(path, "rb") as stream:
            return stream.read(), None
    except OSError as error:
        reason = error.strerror or str(error)
        return None, f"Configuration file '{path}' open problem ({reason}) - skipping"


def kind_for(check: IncludeCheck, active: IncludeCheck) -> Kind:
    """An include problem is FILE_NOT_FOUND when its check is on, else only logged."""
    return Kind.FILE_NOT_FOUND if check & active else Kind.OK


def expand_braces(pattern: str) -> list[str]:
    """csh brace expansion as glibc's GLOB_BRACE does it: `a{b,c{d,e}}f` -> abf acdf acef.

    A `\\` protects the next character; an unbalanced `{` is literal.
    """
    open_at = _find_unescaped(pattern, "{", 0)
    if open_at < 0:
        return [pattern]
    close_at, commas = _brace_span(pattern, open_at)
    if close_at < 0:
        return [pattern]
    head, tail = pattern[:open_at], pattern[close_at + 1 :]
    bounds = [open_at, *commas, close_at]
    out: list[str] = []
    for start, stop in itertools.pairwise(bounds):
        out.extend(expand_braces(head + pattern[start + 1 : stop] + tail))
    return out


def _find_unescaped(text: str, char: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def _brace_span(text: str, open_at: int) -> tuple[int, list[int]]:
    """Index of the `}` closing text[open_at], and the top-level commas inside."""
    depth = 0
    commas: list[int] = []
    i = open_at
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i, commas
        elif c == "," and depth == 1:
            commas.append(i)
        i += 1
    return -1, commas
