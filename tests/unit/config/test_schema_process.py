"""The process-scheduling keywords (config/schema_process.py) in the fast suite: values,
fallbacks and keepalived 2.2.7's words. The same fixtures are compared with the real
`keepalived -t` in tests/integration/test_config_vs_keepalived.py; these literals are
what it printed on a 2-CPU host."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.load import load_config, load_text
from tests.unit.config.checks import HOST

if TYPE_CHECKING:
    from pykeepalived.config.host import HostFacts
    from pykeepalived.config.model import GlobalDefs

DATA = Path(__file__).parent.parent.parent / "data" / "configs"
TWO_CPUS = replace(HOST, cpus=2)

BAD_MESSAGES = [
    "(Line 3) number '-25' outside range [-20, 19]",
    "(Line 3) Invalid vrrp process priority specified",
    "(Line 4) vrrp process real-time priority 0 less than minimum 1 - setting to minimum",
    "(Line 5) checker process real-time priority 250 greater than maximum 99 - setting to "
    "maximum",
    "(Line 6) invalid number 'x'",
    "(Line 6) checker process real-time priority 'x' invalid",
    "(Line 7) number '4096' outside range [0, 1]",
    "(Line 7) Invalid cpu_id:4096 specified for vrrp process",
    "(Line 8) No checker cpu_id set specified",
    "(Line 9) negative number '-3'",
    "(Line 9) Invalid vrrp real-time limit - -3",
    "(Line 10) number '0' outside range [1, 4294967295]",
    "(Line 10) Invalid checker real-time limit - 0",
    "(Line 11) number '0' outside range [1, 10000000]",
    "(Line 11) min_auto_priority_delay '0' must be in [1, 10000000] - ignoring",
    "(Line 12) number '100' outside range [-1, 99]",
    "(Line 12) max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring",
]


def _global(text: str, host: HostFacts = TWO_CPUS) -> tuple[GlobalDefs, list[str]]:
    result = load_text(f"global_defs {{\n{text}\n}}\n", path="k.conf", host=host)
    assert result.config is not None
    messages = [d.render(with_file=False) for d in result.diagnostics if d.kind is not Kind.OK]
    return result.config.global_defs, messages


def test_every_complaint_in_keepalived_s_words_and_fallbacks() -> None:
    result = load_config(str(DATA / "bad_process_scheduling.conf"), host=TWO_CPUS)
    assert [d.render(with_file=False) for d in result.diagnostics
            if d.kind is not Kind.OK] == BAD_MESSAGES
    assert all(d.kind is Kind.GENERAL_ERROR or d.kind is Kind.INVALID_NUMBER
               for d in result.diagnostics)
    assert result.config is not None
    g = result.config.global_defs
    # a bad nice value is 0, out-of-range realtime priorities are clamped, one bad CPU id
    # empties the set, a bad rlimit is 0 (none set), a bad delay or maximum is ignored
    assert (g.vrrp_process_priority, g.vrrp_realtime_priority, g.checker_realtime_priority,
            g.vrrp_cpu_affinity, g.checker_cpu_affinity, g.vrrp_rlimit_rt,
            g.checker_rlimit_rt, g.min_auto_priority_delay, g.max_auto_priority) == (
        0, 1, 99, (), (), 0, 0, 1_000_000, None)


def test_good_values_are_kept() -> None:
    result = load_config(str(DATA / "good_process_scheduling.conf"), host=TWO_CPUS)
    assert [d for d in result.diagnostics if d.kind is not Kind.OK] == []
    assert result.config is not None
    g = result.config.global_defs
    assert (g.vrrp_realtime_priority, g.vrrp_rlimit_rt, g.vrrp_no_swap, g.vrrp_cpu_affinity,
            g.checker_process_priority, g.checker_no_swap, g.checker_rlimit_rt,
            g.max_auto_priority, g.min_auto_priority_delay) == (
        50, 500000, True, (0,), -5, True, 10000, 60, 50000)


def test_defaults_are_keepalived_s() -> None:
    g, messages = _global("")
    assert messages == []
    assert (g.vrrp_process_priority, g.vrrp_no_swap, g.vrrp_realtime_priority,
            g.vrrp_cpu_affinity, g.vrrp_rlimit_rt, g.checker_process_priority,
            g.checker_no_swap, g.checker_realtime_priority, g.checker_cpu_affinity,
            g.checker_rlimit_rt, g.min_auto_priority_delay) == (
        0, False, 0, (), 10000, 0, False, 0, (), 10000, 1_000_000)


@pytest.mark.parametrize(("line", "field", "value"), [
    ("vrrp_priority -20", "vrrp_process_priority", -20),
    ("vrrp_priority 19", "vrrp_process_priority", 19),
    ("checker_priority 7", "checker_process_priority", 7),
    ("vrrp_rt_priority 1", "vrrp_realtime_priority", 1),
    ("vrrp_rt_priority 99", "vrrp_realtime_priority", 99),
    ("checker_rt_priority 42", "checker_realtime_priority", 42),
    ("vrrp_cpu_affinity 1 0 1", "vrrp_cpu_affinity", (0, 1)),
    ("checker_cpu_affinity 1", "checker_cpu_affinity", (1,)),
    ("vrrp_rlimit_rttime 1", "vrrp_rlimit_rt", 2),  # halved for the soft limit: never 0
    ("vrrp_rlimit_rttime 2", "vrrp_rlimit_rt", 2),
    ("vrrp_rlimit_rtime 4294967295", "vrrp_rlimit_rt", 4294967295),
    ("checker_rlimit_rttime 30000", "checker_rlimit_rt", 30000),
    ("vrrp_no_swap", "vrrp_no_swap", True),
    ("checker_no_swap", "checker_no_swap", True),
    ("min_auto_priority_delay 1", "min_auto_priority_delay", 1),
    ("min_auto_priority_delay 10000000", "min_auto_priority_delay", 10_000_000),
])
def test_bounds_are_taken(line: str, field: str, value: object) -> None:
    g, messages = _global(line)
    assert messages == []
    assert getattr(g, field) == value


@pytest.mark.parametrize(("line", "messages"), [
    ("vrrp_priority", ["(Line 2) No vrrp process priority specified"]),
    ("checker_rt_priority", ["(Line 2) No checker process real-time priority specified"]),
    ("vrrp_cpu_affinity", ["(Line 2) No vrrp cpu_id set specified"]),
    ("min_auto_priority_delay", ["(Line 2) min_auto_priority_delay requires delay time"]),
    ("vrrp_cpu_affinity 0 x", ["(Line 2) invalid number 'x'",
                               "(Line 2) Invalid cpu_id:0 specified for vrrp process"]),
    ("checker_cpu_affinity 2", ["(Line 2) number '2' outside range [0, 1]",
                                "(Line 2) Invalid cpu_id:2 specified for checker process"]),
    ("checker_priority 20", ["(Line 2) number '20' outside range [-20, 19]",
                             "(Line 2) Invalid checker process priority specified"]),
    ("vrrp_rt_priority -4", ["(Line 2) vrrp process real-time priority -4 less than "
                             "minimum 1 - setting to minimum"]),
])
def test_missing_and_wrong_words(line: str, messages: list[str]) -> None:
    _, got = _global(line)
    assert got == messages


def test_a_realtime_limit_without_its_value_aborts_as_keepalived() -> None:
    result = load_text("global_defs {\nvrrp_rlimit_rttime\n}\n", path="k.conf", host=HOST)
    assert result.aborted
    assert [d.render(with_file=False) for d in result.diagnostics] == [
        "(Line 2) *** Configuration line starting `vrrp_rlimit_rttime` is missing a "
        "parameter after keyword `vrrp_rlimit_rttime` at word position 2"]


def test_cpu_ids_unchecked_without_a_cpu_count() -> None:
    g, messages = _global("vrrp_cpu_affinity 63", host=replace(HOST, cpus=None))
    assert (g.vrrp_cpu_affinity, messages) == ((63,), [])
