"""The scheduling adapter's decisions that need no privilege: keepalived's late-timer
line, when the priority is raised, and the spec read from global_defs."""

from __future__ import annotations

import asyncio

import pytest

from pykeepalived.adapters.scheduling import ProcessScheduling
from pykeepalived.config.load import load_text
from pykeepalived.daemon.timers import Timers
from pykeepalived.specs.scheduling import SchedulingSpec, scheduling_spec

CONFIG = """
global_defs {
    vrrp_rt_priority 50
    vrrp_rlimit_rttime 500000
    vrrp_cpu_affinity 0
    checker_priority -5
    checker_no_swap
    max_auto_priority 60
    min_auto_priority_delay 50000
}
"""


def test_spec_from_global_defs() -> None:
    config = load_text(CONFIG).config
    assert config is not None
    g = config.global_defs
    assert scheduling_spec(g, "vrrp") == SchedulingSpec(
        "VRRP", 0, 50, 500000, False, (0,), 60, 0.05)
    assert scheduling_spec(g, "checker") == SchedulingSpec(
        "Checker", -5, 0, 10000, True, (), 60, 0.05)
    defaults = load_text("").config
    assert defaults is not None
    assert not scheduling_spec(defaults.global_defs, "vrrp").changes_anything


@pytest.mark.parametrize(("late", "line"), [
    (1.5, "A thread timer expired 1.500000 seconds ago"),
    (2.0000004, "A thread timer expired 2.000000 seconds ago"),
    (1.0000015, "A thread timer expired 1.000002 seconds ago"),
])
def test_late_timer_line_is_keepalived_s(late: float, line: str) -> None:
    logged: list[str] = []
    ProcessScheduling(SchedulingSpec("VRRP"), logged.append).timer_late(late)
    assert logged == [line]  # max_auto_priority 0: logged, never raised


def test_a_timer_within_the_delay_is_not_logged() -> None:
    logged: list[str] = []
    scheduling = ProcessScheduling(SchedulingSpec("VRRP", min_auto_priority_delay=0.2),
                                   logged.append)
    scheduling.timer_late(0.2)
    scheduling.timer_late(0.05)
    assert logged == []


def test_the_timer_heap_reports_how_late_it_woke() -> None:
    async def run() -> list[float]:
        timers = Timers()
        reported: list[float] = []
        timers.on_late = reported.append
        loop = asyncio.get_running_loop()
        fired = loop.create_future()
        timers.call_at(loop.time() - 0.25, lambda _: fired.set_result(True), None)
        await fired
        return reported

    reported = asyncio.run(run())
    assert len(reported) == 1
    assert 0.25 <= reported[0] < 1.0
