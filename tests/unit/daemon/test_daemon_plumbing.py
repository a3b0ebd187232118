"""Signals → controls, keepalived's log format, pid files and sd_notify (no root needed)."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import socket
import subprocess
import syslog
import time
from typing import TYPE_CHECKING

import pytest

from pykeepalived.cli.command import SIGNUMS
from pykeepalived.daemon import pidfile, sdnotify
from pykeepalived.daemon.logs import DaemonLog, LogSettings, console_line, facility_from_flag
from pykeepalived.daemon.signals import Control, install, signal_controls
from pykeepalived.vrrp.actions import LogLevel

if TYPE_CHECKING:
    from pathlib import Path


# --- signals ---------------------------------------------------------------------------


def test_every_keepalived_signal_number_maps_to_its_control() -> None:
    controls = signal_controls()
    for name, number in SIGNUMS.items():
        assert controls[number] is Control[name]
    assert controls[signal.SIGINT] is Control.STOP


def test_a_signal_only_enqueues_its_control() -> None:
    async def scenario() -> list[Control]:
        queue: asyncio.Queue[Control] = asyncio.Queue()
        remove = install(asyncio.get_running_loop(), queue.put_nowait)
        try:
            os.kill(os.getpid(), signal.SIGUSR2)
            os.kill(os.getpid(), signal.SIGRTMIN + 2)
            got = [await asyncio.wait_for(queue.get(), 2.0) for _ in range(2)]
        finally:
            remove()
        return got

    assert asyncio.run(scenario()) == [Control.STATS, Control.JSON]


# --- logs ------------------------------------------------------------------------------


def test_console_line_is_keepalived_strftime_c(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        when = 1795570363.0  # Wed Nov 25 01:32:43 2026 UTC
        assert console_line("(VI_1) Entering MASTER STATE", when) == (
            "Wed Nov 25 01:32:43 2026: (VI_1) Entering MASTER STATE")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def make_log(**settings: object) -> tuple[DaemonLog, io.StringIO, list[tuple[int, str]]]:
    stream, sent = io.StringIO(), []
    log = DaemonLog(LogSettings(**settings), stream=stream, clock=lambda: 0.0,  # type: ignore[arg-type]
                    syslog_write=lambda prio, text: sent.append((prio, text)))
    return log, stream, sent


def test_detail_lines_need_dash_d_and_debug_never_shows_by_default() -> None:
    log, stream, sent = make_log(console=True, detail=False)
    log.log("(VI_1) Entering MASTER STATE")
    log.log("(VI_1) sent 0 priority", LogLevel.DETAIL)
    log.log("internal", LogLevel.DEBUG)
    assert [line.split(": ", 1)[1] for line in stream.getvalue().splitlines()] == [
        "(VI_1) Entering MASTER STATE"]
    assert sent == [(syslog.LOG_INFO, "(VI_1) Entering MASTER STATE")]
    detailed, stream, _ = make_log(console=True, detail=True)
    detailed.log("(VI_1) sent 0 priority", LogLevel.DETAIL)
    assert stream.getvalue().endswith(": (VI_1) sent 0 priority\n")


def test_console_needs_both_l_and_n_and_g_silences_syslog() -> None:
    settings = LogSettings.from_flags(log_console=True, dont_fork=False, no_syslog=True,
                                      log_detail=False, facility=None)
    assert (settings.console, settings.use_syslog) == (False, False)
    log, stream, sent = make_log(console=False, use_syslog=False)
    log.log("x")
    assert (stream.getvalue(), sent) == ("", [])


@pytest.mark.parametrize(("flag", "facility"), [
    (None, syslog.LOG_DAEMON), ("0", syslog.LOG_LOCAL0), ("7", syslog.LOG_LOCAL7),
    ("8", syslog.LOG_DAEMON), ("x", syslog.LOG_DAEMON)])
def test_dash_s_picks_local_facility(flag: str | None, facility: int) -> None:
    assert facility_from_flag(flag) == facility


# --- pid files -------------------------------------------------------------------------


def test_pid_files_are_written_and_removed(tmp_path: Path) -> None:
    paths = [str(tmp_path / "keepalived.pid"), str(tmp_path / "vrrp.pid")]
    files = pidfile.acquire(paths, pid=4242, alive=lambda pid: False)
    assert [pidfile.read_pid(p) for p in paths] == [4242, 4242]
    files.release()
    assert not any(os.path.exists(p) for p in paths)


def test_a_live_daemon_in_the_pid_file_refuses_start(tmp_path: Path) -> None:
    path = tmp_path / "keepalived.pid"
    path.write_text("777\n")
    with pytest.raises(pidfile.PidFileError, match=r"already running \(pid 777"):
        pidfile.acquire([str(path)], pid=4242, alive=lambda pid: pid == 777)
    assert path.read_text() == "777\n"


def test_a_stale_pid_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "keepalived.pid"
    path.write_text("777\n")
    pidfile.acquire([str(path)], pid=4242, alive=lambda pid: False)
    assert pidfile.read_pid(str(path)) == 4242


def test_release_leaves_a_pid_file_someone_else_rewrote(tmp_path: Path) -> None:
    path = tmp_path / "keepalived.pid"
    files = pidfile.acquire([str(path)], pid=4242, alive=lambda pid: False)
    path.write_text("999\n")
    files.release()
    assert path.read_text() == "999\n"


def test_unwritable_pid_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(pidfile.PidFileError, match="cannot write pid file"):
        pidfile.acquire([str(tmp_path / "missing-dir" / "k.pid")], pid=1)


# --- sd_notify -------------------------------------------------------------------------


def test_sd_notify_sends_ready_to_the_socket(tmp_path: Path) -> None:
    address = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(address)
        assert sdnotify.ready({"NOTIFY_SOCKET": address})
        assert server.recv(256).decode().startswith("READY=1\nMAINPID=")
        assert sdnotify.stopping({"NOTIFY_SOCKET": address})
        assert server.recv(256) == b"STOPPING=1"


def test_sd_notify_outside_systemd_is_a_no_op() -> None:
    assert sdnotify.notify("READY=1", {}) is False
    assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": "relative"}) is False


def test_a_stale_pid_file_is_reported_with_keepalived_line(tmp_path: Path) -> None:
    path = tmp_path / "keepalived.pid"
    path.write_text("777\n")
    files = pidfile.acquire([str(path)], pid=4242, alive=lambda pid: False)
    assert files.replaced == [f"Remove a zombie pid file {path}"]


def exec_done(pid: int) -> None:
    """Right after fork and exec the kernel shows an empty command line for a moment."""
    for _ in range(500):
        if pidfile.command_line(pid):
            return
        time.sleep(0.002)
    raise AssertionError(f"pid {pid} shows no command line")


def test_a_pid_reused_by_another_program_does_not_block_the_start(tmp_path: Path) -> None:
    """After a SIGKILL and a long downtime the dead daemon's pid may be someone else's:
    a live process that is no keepalived leaves the file stale (keepalived 2.2.7 would
    refuse to start until the file is removed by hand)."""
    path = tmp_path / "keepalived.pid"
    other = subprocess.Popen(["sleep", "30"])
    try:
        exec_done(other.pid)
        path.write_text(f"{other.pid}\n")
        assert not pidfile.daemon_alive(other.pid)
        files = pidfile.acquire([str(path)], pid=4242)
        assert pidfile.read_pid(str(path)) == 4242
        assert files.replaced == [f"Remove a zombie pid file {path}"]
    finally:
        other.kill()
        other.wait(5)


def test_a_live_keepalived_is_recognised_by_its_command_line(tmp_path: Path) -> None:
    named = tmp_path / "keepalived"
    named.symlink_to("/bin/sleep")
    daemon = subprocess.Popen([str(named), "30"])
    try:
        assert pidfile.daemon_alive(daemon.pid)  # mid-exec, no command line yet: maybe
        exec_done(daemon.pid)
        assert pidfile.daemon_alive(daemon.pid)
        (tmp_path / "k.pid").write_text(f"{daemon.pid}\n")
        with pytest.raises(pidfile.PidFileError, match="already running"):
            pidfile.acquire([str(tmp_path / "k.pid")], pid=4242)
    finally:
        daemon.kill()
        daemon.wait(5)
    assert not pidfile.daemon_alive(daemon.pid)
