"""daemon/notifier.py with real scripts: order, serialisation, argv, FIFO lines, timeouts."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
from typing import TYPE_CHECKING

from pykeepalived.adapters.notifier import Notifier
from pykeepalived.commands import ScriptCommand
from pykeepalived.config.diagnostics import Location
from pykeepalived.config.model import GlobalDefs, NotifyScript, SyncGroupConfig, VrrpInstanceConfig
from pykeepalived.specs.notify import FifoSpec, NotifyTarget, fifo_specs
from pykeepalived.vrrp.actions import NotifyState

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

HERE = Location("test.conf", 1)
SH = "/bin/sh"


def recorder(log_file: Path, tag: str, pause: float = 0.0) -> ScriptCommand:
    """A script that logs its start and end (and its arguments) to log_file."""
    code = (f'echo "start {tag} $*" >> {log_file}; sleep {pause}; '
            f'echo "end {tag} $*" >> {log_file}')
    return ScriptCommand((SH, "-c", code, "sh"))


def write_script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_scripts_run_in_order_one_at_a_time_and_the_caller_never_waits(tmp_path: Path) -> None:
    out = tmp_path / "log"
    target = NotifyTarget("INSTANCE", "VI_1", scripts={
        "BACKUP": recorder(out, "backup", 0.15), "MASTER": recorder(out, "master", 0.15),
        "FAULT": recorder(out, "fault", 0.15)}, generic=recorder(out, "notify", 0.05))

    async def scenario() -> list[str]:
        notifier = Notifier([target])
        await notifier.start()
        notifier.notify("INSTANCE", "VI_1", NotifyState.BACKUP, 100)
        notifier.notify("INSTANCE", "VI_1", NotifyState.MASTER, 150)
        notifier.notify("INSTANCE", "VI_1", NotifyState.FAULT, 150)
        # notify() is synchronous and only enqueues: not one script has started yet, so
        # the protocol (the caller) never waits on a script
        before_yielding = lines(out)
        assert await notifier.drain(budget=10)
        await notifier.close()
        return before_yielding

    assert asyncio.run(scenario()) == []
    assert lines(out) == [
        "start backup ", "end backup ",
        "start notify INSTANCE VI_1 BACKUP 100", "end notify INSTANCE VI_1 BACKUP 100",
        "start master ", "end master ",
        "start notify INSTANCE VI_1 MASTER 150", "end notify INSTANCE VI_1 MASTER 150",
        "start fault ", "end fault ",
        "start notify INSTANCE VI_1 FAULT 150", "end notify INSTANCE VI_1 FAULT 150",
    ]


def test_generic_notify_gets_exactly_keepalived_argv(tmp_path: Path) -> None:
    out = tmp_path / "argv"
    script = write_script(tmp_path / "notify.sh", f"printf '%s\\n' \"$0\" \"$@\" > {out}")
    inst = VrrpInstanceConfig("VI_1", HERE, notify=NotifyScript((str(script), "my arg"), HERE))

    async def scenario() -> None:
        notifier = Notifier([NotifyTarget.for_instance(inst)])
        await notifier.start()
        notifier.notify("INSTANCE", "VI_1", NotifyState.MASTER, 150)
        assert await notifier.drain(budget=5)
        await notifier.close()

    asyncio.run(scenario())
    assert lines(out) == [str(script), "my arg", "INSTANCE", "VI_1", "MASTER", "150"]


def test_group_generic_notify_priority_is_zero(tmp_path: Path) -> None:
    out = tmp_path / "log"
    target = NotifyTarget("GROUP", "G1", generic=recorder(out, "g"))

    async def scenario() -> None:
        notifier = Notifier([target])
        await notifier.start()
        notifier.notify("GROUP", "G1", NotifyState.BACKUP, 0)
        assert await notifier.drain(budget=5)
        await notifier.close()

    asyncio.run(scenario())
    assert lines(out) == ["start g GROUP G1 BACKUP 0", "end g GROUP G1 BACKUP 0"]


def test_fifo_lines_in_order_read_by_the_fifo_script(tmp_path: Path) -> None:
    fifo = tmp_path / "notify.fifo"
    out = tmp_path / "fifo-read"
    ready = tmp_path / "ready"
    # the reader says when it holds the FIFO open: lines written before that are kept by
    # our read-write descriptor, but closing ours before it opens would discard them
    reader = ScriptCommand((SH, "-c", f'exec 3<"$1"; : > {ready}; exec cat <&3 > {out}', "sh"))

    async def scenario() -> bool:
        notifier = Notifier([NotifyTarget("INSTANCE", "VI_1"), NotifyTarget("GROUP", "G")],
                            fifos=[FifoSpec(str(fifo), reader)])
        await notifier.start()
        created = stat.S_ISFIFO(os.stat(fifo).st_mode)
        notifier.notify("INSTANCE", "VI_1", NotifyState.BACKUP, 100)
        notifier.notify("GROUP", "G", NotifyState.MASTER, 0)
        notifier.notify("INSTANCE", "VI_1", NotifyState.MASTER, 100)
        notifier.notify("INSTANCE", "VI_1", "MASTER_RX_LOWER_PRI", 100)
        notifier.notify("INSTANCE", "VI_1", NotifyState.STOP, 100)
        for _ in range(500):
            if ready.exists():
                break
            await asyncio.sleep(0.01)
        await notifier.close()  # closing our end gives cat its EOF
        return created

    assert asyncio.run(scenario())
    assert lines(out) == ['INSTANCE "VI_1" BACKUP 100', 'GROUP "G" MASTER 0',
                          'INSTANCE "VI_1" MASTER 100', 'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100',
                          'INSTANCE "VI_1" STOP 100']
    assert not fifo.exists()  # we created it, we remove it


def test_timed_out_notify_is_killed_and_the_next_one_runs(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "log"
    slow = ScriptCommand((SH, "-c", "sleep 30"))
    target = NotifyTarget("INSTANCE", "VI_1",
                          scripts={"MASTER": slow, "BACKUP": recorder(out, "backup")})

    async def scenario() -> float:
        notifier = Notifier([target], script_timeout=0.2)
        await notifier.start()
        began = time.monotonic()
        notifier.notify("INSTANCE", "VI_1", NotifyState.MASTER, 100)
        notifier.notify("INSTANCE", "VI_1", NotifyState.BACKUP, 100)
        assert await notifier.drain(budget=10)
        await notifier.close()
        return time.monotonic() - began

    with caplog.at_level(logging.INFO, logger="pykeepalived.adapters.notifier"):
        elapsed = asyncio.run(scenario())
    assert elapsed < 5  # SIGTERM worked: no 2 s grace needed, certainly not 30 s
    assert "(VI_1) notify_master script /bin/sh timed out after 0.2s and was killed" in (
        caplog.messages)
    assert "(VI_1) notify_backup script /bin/sh exited with status 0" in caplog.messages
    assert lines(out) == ["start backup ", "end backup "]


def test_exit_status_logged_and_stop_uses_the_stop_budget(
        caplog: pytest.LogCaptureFixture) -> None:
    target = NotifyTarget("INSTANCE", "VI_1", scripts={
        "FAULT": ScriptCommand((SH, "-c", "exit 3")),
        "STOP": ScriptCommand((SH, "-c", "sleep 30"))})

    async def scenario() -> None:
        notifier = Notifier([target], script_timeout=30, stop_timeout=0.2)
        await notifier.start()
        notifier.notify("INSTANCE", "VI_1", NotifyState.FAULT, 100)
        notifier.notify("INSTANCE", "VI_1", NotifyState.STOP, 100)
        assert await notifier.drain(budget=10)
        await notifier.close()

    with caplog.at_level(logging.INFO, logger="pykeepalived.adapters.notifier"):
        asyncio.run(scenario())
    assert "(VI_1) notify_fault script /bin/sh exited with status 3" in caplog.messages
    assert "(VI_1) notify_stop script /bin/sh timed out after 0.2s and was killed" in (
        caplog.messages)


def test_deleted_reports_fault_without_notify_deleted(tmp_path: Path) -> None:
    out = tmp_path / "log"
    target = NotifyTarget("INSTANCE", "VI_1", scripts={"FAULT": recorder(out, "fault")},
                          generic=recorder(out, "n"))

    async def scenario() -> None:
        notifier = Notifier([target])
        await notifier.start()
        notifier.notify("INSTANCE", "VI_1", "DELETED", 90)
        assert await notifier.drain(budget=5)
        await notifier.close()

    asyncio.run(scenario())
    assert lines(out) == ["start fault ", "end fault ", "start n INSTANCE VI_1 FAULT 90",
                          "end n INSTANCE VI_1 FAULT 90"]


def test_targets_and_fifos_from_config() -> None:
    defs = GlobalDefs(notify_fifo="/run/a.fifo", vrrp_notify_fifo="/run/a.fifo",
                      smtp_alert=True, script_user="nobody")
    assert [s.path for s in fifo_specs(defs)] == ["/run/a.fifo"]
    inst = VrrpInstanceConfig("VI_1", HERE, notify_master=NotifyScript(("/bin/m",), HERE),
                        smtp_alert=False)
    target = NotifyTarget.for_instance(inst, defs)
    assert target.scripts == {"MASTER": ScriptCommand(("/bin/m",), "nobody", None)}
    assert target.smtp_alert is False
    assert NotifyTarget.for_group(SyncGroupConfig("G", HERE), defs).smtp_alert is True
    assert NotifyTarget.for_group(SyncGroupConfig("G", HERE), defs).label == "VRRP_Group(G)"
