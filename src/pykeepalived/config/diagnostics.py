"""Config diagnostics: where (file, line), how bad, and keepalived's `-t` verdict.

keepalived keeps one running config status and, for each reported problem, replaces it
with the new kind when the new kind comes *later* in its enum (lib/parser.c). The enum is
ordered "cannot run" kinds first, then "errors but will run" kinds, then the script
security error. So the status is simply the maximum kind seen, and `-t` exits 0 for OK,
4 for a cannot-run kind, 6 for script security and 5 for everything else. A fatal error
followed by a mere warning therefore exits 5 in keepalived; we mirror it so `-t` verdicts
agree, and keep every diagnostic so our message can say more than keepalived's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Kind(IntEnum):
    """keepalived's config_err_t, in its order (the order is the semantics)."""

    OK = 0
    # keepalived cannot run the config
    FILE_NOT_FOUND = 1
    BAD_IF = 2
    FATAL = 3
    # configuration errors, but keepalived will still run
    MULTIPLE_FILES = 4
    UNKNOWN_KEYWORD = 5
    UNEXPECTED_BOB = 6
    MISSING_BOB = 7
    UNEXPECTED_EOB = 8
    MISSING_EOB = 9
    UNMATCHED_QUOTE = 10
    MISSING_PARAMETER = 11
    INVALID_NUMBER = 12
    GENERAL_ERROR = 13
    WARNING = 14
    DEPRECATED = 15
    # scripts are executed but enable_script_security is not set
    SECURITY_ERROR = 16


#: `keepalived -t` exit codes (lib/scheduler.h KEEPALIVED_CHK_EXIT_*; observed in the lab).
EXIT_OK = 0
EXIT_CANNOT_RUN = 4
EXIT_ERRORS = 5
EXIT_SECURITY = 6


@dataclass(frozen=True, slots=True)
class Location:
    """Where a token came from. `line` is 1-based; 0 means "not from a file line"."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    kind: Kind
    message: str
    location: Location | None = None

    def render(self, *, with_file: bool = True) -> str:
        """keepalived's form: `(FILE: Line N) msg`, or `(Line N) msg` for a single file."""
        if self.location is None or self.location.line == 0:
            return self.message
        if with_file:
            return f"({self.location.path}: Line {self.location.line}) {self.message}"
        return f"(Line {self.location.line}) {self.message}"


def config_status(diagnostics: list[Diagnostic]) -> Kind:
    """The status keepalived would end with: the latest-in-enum kind reported."""
    return max((d.kind for d in diagnostics), default=Kind.OK)


def exit_code(status: Kind) -> int:
    if status is Kind.OK:
        return EXIT_OK
    if status <= Kind.FATAL:
        return EXIT_CANNOT_RUN
    if status is Kind.SECURITY_ERROR:
        return EXIT_SECURITY
    return EXIT_ERRORS

