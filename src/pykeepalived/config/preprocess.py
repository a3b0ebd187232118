"""keepalived's read_line(): files and includes in, logical lines with their location out.

Order of work on each line, as in lib/parser.c: strip comments, then `@id` conditions,
`$NAME=` definitions, `~SEQ`/`~LST`, `$NAME` substitution (repeated while it changes the
line), then `include`, and finally the line is cut at its first brace so that `{` and `}`
always reach the block builder as lines of their own. Lines produced by a multiline
definition, a ~SEQ or a cut carry the location of the file line they came from.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pykeepalived.config import includes, params, sequence
from pykeepalived.config.diagnostics import Diagnostic, Kind, Location
from pykeepalived.config.includes import IncludeCheck
from pykeepalived.config.lexer import decomment, split_braces, split_words

if TYPE_CHECKING:
    from collections.abc import Callable

#: Our bound on nested includes (keepalived stops only when it runs out of descriptors).
MAX_INCLUDE_DEPTH = 32
#: keepalived reads lines with fgets(1024): longer lines are split in two.
MAX_LINE_BYTES = 1023
_MAIN_FILE_CHECKS = IncludeCheck.READ | IncludeCheck.MATCH | IncludeCheck.WILDCARD


@dataclass(frozen=True, slots=True)
class Line:
    """One logical line: what keepalived hands to its keyword matcher."""

    text: str
    location: Location


@dataclass
class _File:
    path: str
    lines: list[str]
    saved_check: IncludeCheck
    index: int = 0


@dataclass
class _Glob:
    """An include being read: its matches are read one after the other."""

    pattern: str
    paths: list[str]
    checks: IncludeCheck
    origin: Location
    next: int = 0
    file: _File | None = None


@dataclass
class _Pending:
    """Lines queued by a multiline definition or a ~SEQ/~LST, read before the file."""

    location: Location
    lines: deque[str] = field(default_factory=deque)
    repeater: sequence.Repeater | None = None


class Reader:
    """Pull-based line source for one parse; collects diagnostics and the files read."""

    def __init__(
        self,
        *,
        config_id: str,
        include_check: IncludeCheck,
        random_source: Callable[[], int],
    ) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.files: list[str] = []
        self._check = include_check
        self._globs: list[_Glob] = []
        self._sources: list[_Pending] = []
        self._residue: Line | None = None
        self._multiline: params.Definition | None = None
        self._location = Location("<string>", 0)
        self._config_id = config_id
        self._nul_noted: set[str] = set()
        self.definitions = params.Definitions(
            config_id=config_id, pwd=self._pwd, random_source=random_source
        )

    # -- starting points ------------------------------------------------------------

    def start_text(self, text: str, path: str) -> None:
        self._globs.append(_Glob(path, [], IncludeCheck.NONE, Location(path, 0)))
        self._push_file(self._globs[-1], path, text)

    def start_file(self, path: str) -> None:
        origin = Location(path, 0)
        reported = len(self.diagnostics)
        found = includes.expand_pattern(path, "", self._check | _MAIN_FILE_CHECKS)
        for _check, message in found.problems:
            self._report(Kind.FILE_NOT_FOUND, message, origin)
        if len(found.paths) > 1:
            message = (
                f"WARNING, multiple configuration file matches of {path}, "
                f"starting with {found.paths[0]}"
            )
            self._report(Kind.MULTIPLE_FILES, message, origin)
        glob = _Glob(path, found.paths, _MAIN_FILE_CHECKS, origin)
        self._globs.append(glob)
        if not self._open_next(glob):
            self._globs.pop()
            if len(self.diagnostics) == reported:
                self._report(Kind.FILE_NOT_FOUND, "Failed to open configuration file", origin)

    # -- the logical line stream ----------------------------------------------------

    def next_line(self) -> Line | None:
        """The next line for the block builder, or None at the end of all input."""
        while True:
            candidate = self._next_candidate()
            if candidate is None:
                return None
            self._location = candidate.location
            text = self._process(candidate.text, candidate.location)
            if not text:
                continue
            include = includes.parse_include(text)
            if include is not None:
                self._include(include, candidate.location)
                continue
            head, residue = split_braces(text)
            if residue:
                self._residue = Line(residue, candidate.location)
            self._note_include_check(head, candidate.location)
            return Line(head, candidate.location)

    def _next_candidate(self) -> Line | None:
        if self._residue is not None:
            line, self._residue = self._residue, None
            return line
        while self._sources:
            source = self._sources[-1]
            if source.lines:
                return Line(source.lines.popleft(), source.location)
            if source.repeater is not None:
                assignments = source.repeater.next()
                if assignments is not None:
                    for name, value in assignments:
                        self.definitions.set(name, value)
                    return Line(source.repeater.text, source.location)
            self._sources.pop()
        return self._next_file_line()

    def _process(self, text: str, location: Location) -> str:
        """Conditions, definitions, repeaters and substitution; "" when nothing is left."""
        if self._multiline is not None:
            if not params.continue_multiline(self._multiline, text):
                self._multiline = None
            return ""
        budget = params.MAX_SUBSTITUTIONS
        while True:
            if text.startswith("@"):
                text = self._conditional(text)
                if not text:
                    return ""
            if text.startswith("$"):
                definition = self.definitions.define(text)
                if definition is not None:
                    if definition.multiline:
                        self._multiline = definition
                    return ""
            if text.startswith(("~SEQ", "~LST")):
                self._add_repeater(text, location)
                return ""
            if text.startswith("~") or "$" not in text:
                return text
            expansion = self.definitions.expand(text, budget)
            if expansion is None:
                return text
            budget -= expansion.used
            for kind, message in expansion.problems:
                self._report(kind, message, location)
            if expansion.more:
                self._sources.append(_Pending(location, deque(expansion.more)))
            if expansion.stop:
                return expansion.text
            text = self._decomment(expansion.text, location)
            if not (text.startswith("@") or "$" in text):
                return text

    def _conditional(self, text: str) -> str:
        """`@id rest` keeps rest only when id is the config id; `@^id` when it is not."""
        negate = text.startswith("@^")
        body = text[2:] if negate else text[1:]
        cut = min((i for i in (body.find(" "), body.find("\t")) if i >= 0), default=-1)
        if cut < 0:
            return ""
        if (body[:cut] == self._config_id) == negate:
            return ""
        return body[cut:].lstrip(" \t")

    def _add_repeater(self, text: str, location: Location) -> None:
        try:
            if text.startswith("~SEQ"):
                repeater = sequence.parse_seq(text, self._expand_seq_args)
            else:
                repeater = sequence.parse_lst(text)
        except sequence.SequenceError as error:
            self._report(Kind.GENERAL_ERROR, str(error), location)
            return
        self._sources.append(_Pending(location, repeater=repeater))

    def _expand_seq_args(self, text: str) -> str:
        expansion = self.definitions.expand(text)
        return text if expansion is None else expansion.text

    def _note_include_check(self, text: str, location: Location) -> None:
        """`include_check` changes how later includes report problems, while reading."""
        words = split_words(text).words
        if not words or words[0] != "include_check":
            return
        self._check, problems = includes.apply_include_check(words[1:], self._check)
        for message in problems:
            self._report(Kind.GENERAL_ERROR, message, location)

    # -- files ----------------------------------------------------------------------

    def _next_file_line(self) -> Line | None:
        while self._globs:
            glob = self._globs[-1]
            current = glob.file
            if current is not None and current.index < len(current.lines):
                raw = current.lines[current.index]
                current.index += 1
                line = self._physical(raw, Location(current.path, current.index))
                if line is not None:
                    return line
                continue
            if current is not None:
                self._check = current.saved_check
                glob.file = None
            if not self._open_next(glob):
                self._globs.pop()
        return None

    def _physical(self, raw: str, location: Location) -> Line | None:
        """A file line after decomment(); None when nothing is left of it."""
        raw = raw.rstrip("\r\n")
        if "\0" in raw:
            raw = raw[: raw.index("\0")]
            if location.path not in self._nul_noted:
                self._nul_noted.add(location.path)
                message = "NUL byte in line: keepalived ignores the rest of the line"
                self._report(Kind.OK, message, location)
        if not raw:
            if self._multiline is not None:
                params.end_multiline(self._multiline)
                self._multiline = None
            return None
        text = self._decomment(raw, location)
        return Line(text, location) if text else None

    def _decomment(self, text: str, location: Location) -> str:
        result = decomment(text)
        if result.unterminated is not None:
            self._report(
                Kind.GENERAL_ERROR, f"Unterminated quote '{result.unterminated}'", location
            )
        return result.text

    def _include(self, include: includes.Include, location: Location) -> None:
        active = self._check | include.checks
        base = os.path.dirname(self._current_path())
        found = includes.expand_pattern(include.pattern, base, active)
        for check, message in found.problems:
            self._report(includes.kind_for(check, active), message, location)
        if not found.paths:
            return
        glob = _Glob(include.pattern, found.paths, include.checks, location)
        self._globs.append(glob)
        if not self._open_next(glob):
            self._globs.pop()

    def _open_next(self, glob: _Glob) -> bool:
        """Open the next readable match of an include (keepalived's open_conf_file)."""
        active = self._check | glob.checks
        while glob.next < len(glob.paths):
            path = glob.paths[glob.next]
            glob.next += 1
            loop = self._loop_problem(path)
            if loop is not None:
                self._report(Kind.GENERAL_ERROR, loop, glob.origin)
                continue
            content, problem = self._read_checked(path)
            if content is None:
                kind = includes.kind_for(IncludeCheck.READ, active)
                self._report(kind, problem or path, glob.origin)
                continue
            self._push_file(glob, path, self._decode(content, path))
            return True
        return False

    @staticmethod
    def _read_checked(path: str) -> tuple[bytes | None, str | None]:
        problem = includes.check_file(path)
        if problem is not None:
            return None, problem
        return includes.read_file(path)

    def _loop_problem(self, path: str) -> str | None:
        open_files = [g.file.path for g in self._globs if g.file is not None]
        real = os.path.realpath(path)
        chain = [*open_files, path]
        if any(os.path.realpath(p) == real for p in open_files):
            return f"Include loop: {' -> '.join(chain)} - skipping '{path}'"
        if len(open_files) >= MAX_INCLUDE_DEPTH:
            return f"Include depth exceeds {MAX_INCLUDE_DEPTH} - skipping '{path}'"
        return None

    def _push_file(self, glob: _Glob, path: str, text: str) -> None:
        lines = text.split("\n")
        if lines and not lines[-1]:
            lines.pop()
        glob.file = _File(path, lines, self._check)
        if path not in self.files:
            self.files.append(path)
        self._note_long_lines(lines, path)

    def _decode(self, content: bytes, path: str) -> str:
        text = content.decode("utf-8", "surrogateescape")
        if any("\udc80" <= c <= "\udcff" for c in text):
            line = text[: next(i for i, c in enumerate(text) if "\udc80" <= c <= "\udcff")]
            message = "File is not valid UTF-8; undecodable bytes are kept as they are"
            self._report(Kind.OK, message, Location(path, line.count("\n") + 1))
        return text

    def _note_long_lines(self, lines: list[str], path: str) -> None:
        for number, line in enumerate(lines, 1):
            if len(line.encode("utf-8", "surrogatepass")) > MAX_LINE_BYTES:
                message = f"Line longer than {MAX_LINE_BYTES} bytes; keepalived splits it"
                self._report(Kind.OK, message, Location(path, number))
                return

    def _current_path(self) -> str:
        for glob in reversed(self._globs):
            if glob.file is not None:
                return glob.file.path
        return self._location.path

    def _pwd(self) -> str:
        path = self._current_path()
        if "/" in path:
            return os.path.dirname(os.path.abspath(path))
        return os.getcwd()

    def _report(self, kind: Kind, message: str, location: Location) -> None:
        self.diagnostics.append(Diagnostic(kind, message, location))
