"""keepalived's `-t` verdict from the kinds of problem found, and how a problem is shown."""

from __future__ import annotations

import pytest

from pykeepalived.config.diagnostics import Diagnostic, Kind, Location, exit_code

# keepalived's config_err_t order decides: up to CONFIG_FATAL it cannot run (exit 4),
# then errors it runs with (5), and the script security error last (6)
VERDICTS = [(Kind.OK, 0), (Kind.FILE_NOT_FOUND, 4), (Kind.BAD_IF, 4), (Kind.FATAL, 4),
            (Kind.MULTIPLE_FILES, 5), (Kind.MISSING_PARAMETER, 5), (Kind.DEPRECATED, 5),
            (Kind.SECURITY_ERROR, 6)]


@pytest.mark.parametrize(("kind", "code"), VERDICTS, ids=[k.name for k, _ in VERDICTS])
def test_exit_code_of_each_kind(kind: Kind, code: int) -> None:
    assert exit_code(kind) == code


def test_a_problem_on_line_one_names_its_line() -> None:
    problem = Diagnostic(Kind.WARNING, "odd", Location("/etc/k.conf", 1))
    assert problem.render() == "(/etc/k.conf: Line 1) odd"
    assert problem.render(with_file=False) == "(Line 1) odd"
    assert Diagnostic(Kind.WARNING, "odd", Location("/etc/k.conf", 0)).render() == "odd"
