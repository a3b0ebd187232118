"""Reload-safe notifier targets, script verdicts across a reload, and `pykeepalived status`."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from pykeepalived.adapters.notifier import Notifier
from pykeepalived.cli import main
from pykeepalived.commands import ScriptCommand
from pykeepalived.daemon.script_scheduler import ScheduledScript, ScriptScheduler
from pykeepalived.specs.notify import FifoSpec, NotifyTarget
from pykeepalived.vrrp.tracking import ScriptResult, ScriptStatus, ScriptTracker

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def recorder(out: Path, tag: str) -> ScriptCommand:
    return ScriptCommand(("/bin/sh", "-c", f'echo "{tag} $*" >> {out}', "sh"))


def test_set_targets_keeps_fifos_and_drains_a_removed_instances_queue(tmp_path: Path) -> None:
    out = tmp_path / "log"
    fifo = FifoSpec(str(tmp_path / "fifo"))
    one = NotifyTarget("INSTANCE", "VI_1", generic=recorder(out, "one"))
    two = NotifyTarget("INSTANCE", "VI_2", generic=recorder(out, "two"))

    async def scenario() -> tuple[bool, bytes]:
        notifier = Notifier()
        notifier.set_targets([one], fifos=[fifo])
        reader = os.open(fifo.path, os.O_RDONLY | os.O_NONBLOCK)
        fd_before = notifier._fifos[0].fd
        notifier.notify("INSTANCE", "VI_1", "DELETED", 100)  # queued, then VI_1 goes
        notifier.set_targets([two], fifos=[fifo])
        same_fifo = notifier._fifos[0].fd == fd_before
        notifier.notify("INSTANCE", "VI_2", "MASTER", 90)
        assert await notifier.drain(budget=5)
        lines = os.read(reader, 4096)
        os.close(reader)
        await notifier.close()
        return same_fifo, lines

    same_fifo, fifo_lines = asyncio.run(scenario())
    assert same_fifo
    assert fifo_lines == b'INSTANCE "VI_1" FAULT 100\nINSTANCE "VI_2" MASTER 90\n'
    assert sorted(out.read_text().splitlines()) == ["one INSTANCE VI_1 FAULT 100",
                                                    "two INSTANCE VI_2 MASTER 90"]


def job(name: str, rise: int = 1, fall: int = 1) -> ScheduledScript:
    return ScheduledScript(name, ScriptCommand(("/bin/true",)), 1.0, 1.0,
                           ScriptTracker(name, rise=rise, fall=fall))


def test_a_kept_script_keeps_its_verdict_and_a_new_one_holds_nothing_down() -> None:
    lines: list[str] = []

    async def ok(command: ScriptCommand, limit: float) -> ScriptResult:
        return ScriptResult.exited(0)

    async def scenario() -> tuple[ScriptStatus, ScriptStatus, int]:
        sched = ScriptScheduler([job("chk")], lambda n, v: None, runner=ok,
                                log_line=lambda line, _level: lines.append(line))
        sched.tick("chk")
        await sched.wait_idle("chk")
        await sched.reload([job("chk", rise=2, fall=3), job("new")])
        result = (sched.tracker("chk").status, sched.tracker("new").status,
                  sched.tracker("chk").result)
        await sched.stop()
        return result

    kept, added, counter = asyncio.run(scenario())
    assert (kept, added) == (ScriptStatus.GOOD, ScriptStatus.INIT_RELOAD)
    assert counter == 2 + 3 - 1  # keepalived's counter at the top: steady GOOD
    assert "VRRP_Script(chk) considered successful on reload" in lines


def test_status_subcommand_reports_a_missing_daemon_clearly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["status", "--pid", str(tmp_path / "none.pid"), "--dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot read pid file" in err
    assert "Traceback" not in err
