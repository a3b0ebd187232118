"""daemon/script_scheduler.py: one run at a time, skips logged, verdicts through the tracker."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from pathlib import Path

import pytest

from pykeepalived.commands import ScriptCommand
from pykeepalived.config.diagnostics import Location
from pykeepalived.config.model import GlobalDefs, NotifyScript, VrrpScript
from pykeepalived.daemon.script_scheduler import ScheduledScript, ScriptScheduler, next_slot
from pykeepalived.specs.tracks import script_spec
from pykeepalived.vrrp.tracking import ScriptResult, ScriptStatus, ScriptTracker, ScriptVerdict

HERE = Location("test.conf", 1)


def job(name: str = "chk", interval: float = 1.0, rise: int = 1, fall: int = 1,
        argv: tuple[str, ...] = ("/bin/true",), time_limit: float = 5.0) -> ScheduledScript:
    return ScheduledScript(name, ScriptCommand(argv), interval, time_limit,
                           ScriptTracker(name, rise=rise, fall=fall))


class GatedRunner:
    """A runner whose runs end only when the test says so, with the result it says."""

    def __init__(self) -> None:
        self.started: list[ScriptCommand] = []
        self.gates: list[asyncio.Future[ScriptResult]] = []

    async def __call__(self, command: ScriptCommand, time_limit: float) -> ScriptResult:
        self.started.append(command)
        gate: asyncio.Future[ScriptResult] = asyncio.get_running_loop().create_future()
        self.gates.append(gate)
        return await gate


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_overlapping_run_is_skipped_with_keepalived_line(caplog: pytest.LogCaptureFixture,
                                                         ) -> None:
    verdicts: list[tuple[str, ScriptVerdict]] = []

    async def scenario() -> list[bool]:
        runner = GatedRunner()
        sched = ScriptScheduler([job()], lambda n, v: verdicts.append((n, v)), runner=runner)
        started = [sched.tick("chk")]
        await settle()
        started.append(sched.tick("chk"))  # first run still going
        runner.gates[0].set_result(ScriptResult.exited(0))
        await settle()
        started.append(sched.tick("chk"))  # idle again
        await settle()
        assert len(runner.started) == 2
        runner.gates[1].set_result(ScriptResult.exited(1))
        await settle()
        await sched.stop()
        return started

    with caplog.at_level(logging.INFO, logger="pykeepalived.daemon.script_scheduler"):
        assert asyncio.run(scenario()) == [True, False, True]
    assert caplog.messages.count(
        "Track script chk is already running, expect idle - skipping run") == 1
    assert [(n, v.status, v.changed) for n, v in verdicts] == [
        ("chk", ScriptStatus.GOOD, True), ("chk", ScriptStatus.BAD, True)]
    assert "VRRP_Script(chk) failed (exited with status 1)" in caplog.messages


def test_rise_and_fall_with_real_scripts(tmp_path: Path) -> None:
    """A real script whose exit code the test controls through a file."""
    code_file = tmp_path / "code"
    argv = ("/bin/sh", "-c", f'exit "$(cat {code_file})"')
    seen: list[ScriptStatus] = []

    async def scenario() -> None:
        sched = ScriptScheduler([job(rise=2, fall=2, argv=argv)],
                                lambda n, v: seen.append(v.status))
        for code in (0, 1, 1, 0, 0):
            code_file.write_text(str(code))
            assert sched.tick("chk")
            await sched.wait_idle("chk")
        await sched.stop()

    asyncio.run(scenario())
    good, bad = ScriptStatus.GOOD, ScriptStatus.BAD
    assert seen == [good, good, bad, bad, good]


def test_periodic_runs_follow_the_interval_grid() -> None:
    """First run at once, then one per interval, on the loop's clock."""
    starts: list[float] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()

        async def runner(command: ScriptCommand, time_limit: float) -> ScriptResult:
            starts.append(loop.time())
            if len(starts) == 4:
                done.set()
            return ScriptResult.exited(0)

        sched = ScriptScheduler([job(interval=0.05)], lambda n, v: None, runner=runner)
        begin = loop.time()
        sched.start()
        await asyncio.wait_for(done.wait(), 5)
        await sched.stop()
        starts[:] = [t - begin for t in starts]

    asyncio.run(scenario())
    assert len(starts) == 4
    # never early: run N starts no sooner than N intervals after start (a fixed grid, so
    # lateness does not accumulate); how late a busy machine makes it is not asserted
    for index, at in enumerate(starts):
        assert index * 0.05 <= at + 1e-3
    assert starts[-1] < 3 * 0.05 + 1.0


def test_one_script_shared_by_many_instances_runs_once_per_tick() -> None:
    async def scenario() -> int:
        runner = GatedRunner()
        sched = ScriptScheduler([job("a"), job("b")], lambda n, v: None, runner=runner)
        sched.tick("a")
        sched.tick("b")
        await settle()
        count = len(runner.started)
        for gate in runner.gates:
            gate.set_result(ScriptResult.exited(0))
        await sched.stop()
        return count

    assert asyncio.run(scenario()) == 2
    with pytest.raises(ValueError, match=r"VRRP_Script\(a\) scheduled twice"):
        ScriptScheduler([job("a"), job("a")], lambda n, v: None)


def test_stop_kills_a_running_script(tmp_path: Path) -> None:
    marker = tmp_path / "pid"

    async def scenario() -> None:
        argv = ("/bin/sh", "-c", f"echo $$ > {marker}; exec sleep 30")
        sched = ScriptScheduler([job(argv=argv, time_limit=30)], lambda n, v: None)
        sched.tick("chk")
        for _ in range(400):
            if marker.exists() and marker.read_text().strip():
                break
            await asyncio.sleep(0.005)
        await sched.stop()
        assert not sched.is_running("chk")

    asyncio.run(scenario())
    pid = int(marker.read_text())
    assert not Path(f"/proc/{pid}/cmdline").exists() or Path(
        f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_refused_script_is_disabled(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> list[bool]:
        bad = ScheduledScript("chk", ScriptCommand(("/bin/true",), user="pyka-no-such-user"),
                              1.0, 1.0, ScriptTracker("chk"))
        sched = ScriptScheduler([bad], lambda n, v: None)
        first = sched.tick("chk")
        await sched.wait_idle("chk")
        return [first, sched.tick("chk")]

    with caplog.at_level(logging.ERROR):
        assert asyncio.run(scenario()) == [True, False]
    assert "VRRP_Script(chk): Script user 'pyka-no-such-user' does not exist" in caplog.messages


def test_the_one_translation_applies_keepalived_defaults() -> None:
    script = VrrpScript("chk", HERE, script=NotifyScript(("/bin/true", "x"), HERE),
                        interval=3, rise=2, fall=4, user="nobody")
    scheduled = ScheduledScript.from_spec(script_spec(script, GlobalDefs()))
    assert scheduled.interval == 3.0
    assert scheduled.time_limit == 3.0  # timeout defaults to the interval
    assert scheduled.command == ScriptCommand(("/bin/true", "x"), "nobody", None)
    assert (scheduled.tracker.rise, scheduled.tracker.fall) == (2, 4)


def test_next_slot_skips_the_slots_a_frozen_process_missed() -> None:
    assert next_slot(10.0, 1.0, 10.2) == 11.0  # on time: the next slot
    assert next_slot(10.0, 1.0, 11.0) == 12.0  # exactly on a slot: the one after
    assert next_slot(10.0, 1.0, 15.5) == 16.0  # stopped 5 s: four slots skipped
    assert next_slot(10.0, 0.5, 13.25) == 13.5


def test_a_frozen_loop_resumes_with_one_late_run_not_a_burst(
        caplog: pytest.LogCaptureFixture) -> None:
    """SIGSTOP freezes the loop; at SIGCONT every missed slot is overdue at once.

    The loop is frozen here for 12 intervals by a callback that blocks it (the fault
    under test). keepalived re-arms from each run, so it runs once, late; a fixed grid
    that caught up would start runs back to back or log a burst of skip lines."""
    interval, frozen = 0.05, 0.6
    starts: list[float] = []

    async def scenario() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()

        async def runner(command: ScriptCommand, time_limit: float) -> ScriptResult:
            starts.append(loop.time())
            if len(starts) == 1:
                loop.call_soon(time.sleep, frozen)  # the process is stopped
            if len(starts) == 4:
                done.set()
            return ScriptResult.exited(0)

        sched = ScriptScheduler([job(interval=interval)], lambda n, v: None, runner=runner)
        sched.start()
        await asyncio.wait_for(done.wait(), 5 + frozen)
        await sched.stop()
        return starts[0], starts[1]

    with caplog.at_level(logging.INFO, logger="pykeepalived.daemon.script_scheduler"):
        first, resumed = asyncio.run(scenario())
    assert resumed - first >= frozen  # the run after the freeze...
    gaps = [b - a for a, b in itertools.pairwise(starts[1:])]
    assert all(gap >= interval / 2 for gap in gaps), gaps  # ...then the grid, no burst
    assert not [m for m in caplog.messages if "skipping run" in m]


def test_a_run_past_its_time_limit_is_being_timed_out(caplog: pytest.LogCaptureFixture,
                                                      ) -> None:
    """keepalived says which: still within its timeout, or being killed for it."""
    async def scenario() -> None:
        runner = GatedRunner()
        sched = ScriptScheduler([job(time_limit=0.05)], lambda n, v: None, runner=runner)
        sched.tick("chk")
        await settle()
        sched.tick("chk")  # within the limit
        await asyncio.sleep(0.06)
        sched.tick("chk")  # past it: the runner is killing it
        runner.gates[0].set_result(ScriptResult.timeout())
        await sched.stop()

    with caplog.at_level(logging.INFO, logger="pykeepalived.daemon.script_scheduler"):
        asyncio.run(scenario())
    assert [m for m in caplog.messages if "skipping run" in m] == [
        "Track script chk is already running, expect idle - skipping run",
        "Track script chk is being timed out, expect idle - skipping run"]
