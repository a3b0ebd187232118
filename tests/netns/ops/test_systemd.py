"""systemd: the shipped unit file passes `systemd-analyze verify`, and the daemon talks to
a (fake) systemd's notify socket as Type=notify + WatchdogSec expect: READY=1, WATCHDOG=1
every half period while it runs, none while it is stopped, RELOADING=1 then READY=1 for
a SIGHUP, STOPPING=1 at the end."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from netlab.lab import CHECKOUT, wait_for
from netlab.peers import PyNode, has_address
from tests.conftest import skip_or_fail
from tests.netns.ops.lab import TAKEOVER, VIP, check_config, config
from tests.unit.daemon.fake_systemd import FakeSystemd

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

UNIT = CHECKOUT / "packaging" / "systemd" / "pykeepalived.service"
INSTALLED_AT = "/usr/local/bin/pykeepalived"


def test_the_unit_file_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        skip_or_fail("needs systemd-analyze (the Debian package systemd; make test installs it)")
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure",
                 "ExecReload=/bin/kill -HUP $MAINPID", "CapabilityBoundingSet=",
                 f"ExecStart={INSTALLED_AT} --dont-fork $DAEMON_ARGS"):
        assert line in text, line
    # verify checks that ExecStart's program exists: point it at this checkout's
    program = Path(sys.executable).with_name("pykeepalived")
    assert program.exists()
    here = tmp_path / UNIT.name
    here.write_text(text.replace(INSTALLED_AT, str(program)))
    done = subprocess.run(["systemd-analyze", "verify", str(here)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    # a setting systemd cannot parse is only a warning: none is allowed either
    assert done.stderr.strip() == "", done.stderr
    broken = tmp_path / "broken.service"
    broken.write_text(here.read_text().replace("Type=notify", "Type=notifyy"))
    complaint = subprocess.run(["systemd-analyze", "verify", str(broken)],
                               capture_output=True, text=True, timeout=60, check=False)
    assert "Failed to parse service type" in complaint.stderr  # the check above can fail


def messages(systemd: FakeSystemd, text: str) -> list[float]:
    return [at for at, said in systemd.received if text in said.split("\n")]


@pytest.mark.netns
@pytest.mark.slow
def test_the_daemon_notifies_and_keeps_the_watchdog_only_while_running(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a",), base=240)
    assert lab.workdir is not None
    systemd = FakeSystemd(lab.workdir / "notify")
    try:
        node = PyNode(lab, "a", config(150, None), name="sd")
        # WatchdogSec=0.4s: WATCHDOG=1 every 0.2 s
        node.process = lab.spawn("a", ["env", f"NOTIFY_SOCKET={lab.workdir / 'notify'}",
                                       "WATCHDOG_USEC=400000", *node.argv()],
                                 name="pykeepalived")
        wait_for(lambda: messages(systemd, "READY=1") or None, TAKEOVER,
                 what=f"READY=1; the daemon logged:\n{node.log()[-3000:]}")
        ready = next(said for _, said in systemd.received if "READY=1" in said)
        assert f"MAINPID={node.process.pid}" in ready
        wait_for(lambda: has_address(lab, "a", VIP), TAKEOVER, what="a MASTER")
        wait_for(lambda: len(messages(systemd, "WATCHDOG=1")) >= 4 or None, 2.0,
                 what="WATCHDOG=1 while running")

        node.send_signal(signal.SIGSTOP)  # the daemon stalled: no more WATCHDOG=1
        time.sleep(0.1)
        stopped_at = time.monotonic()
        time.sleep(1.0)
        silent = [t for t in messages(systemd, "WATCHDOG=1") if t > stopped_at]
        node.send_signal(signal.SIGCONT)
        assert silent == []
        resumed = time.monotonic()
        wait_for(lambda: len([t for t in messages(systemd, "WATCHDOG=1")
                              if t > resumed]) >= 2 or None, 2.0, what="WATCHDOG=1 again")

        sent = len(systemd.received)
        node.send_signal(signal.SIGHUP)
        wait_for(lambda: any("READY=1" in said for _, said in systemd.received[sent:])
                 or None, 5.0, what="READY=1 after the reload")
        after_hup = [said for _, said in systemd.received[sent:] if "WATCHDOG" not in said]
        assert after_hup[0] == "RELOADING=1", after_hup
        assert node.stop() == 0
        assert messages(systemd, "STOPPING=1")
    finally:
        systemd.close()


@pytest.mark.netns
@pytest.mark.slow
def test_a_checker_running_alone_notifies_and_keeps_the_watchdog(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("d",))
    assert lab.workdir is not None
    systemd = FakeSystemd(lab.workdir / "notify")
    try:
        node = PyNode(lab, "d", check_config(), name="sdc")
        node.process = lab.spawn("d", ["env", f"NOTIFY_SOCKET={lab.workdir / 'notify'}",
                                       "WATCHDOG_USEC=400000", *node.argv(), "-C"],
                                 name="pykeepalived")
        wait_for(lambda: messages(systemd, "READY=1") or None, TAKEOVER,
                 what=f"READY=1 from -C; it logged:\n{node.log()[-3000:]}")
        wait_for(lambda: len(messages(systemd, "WATCHDOG=1")) >= 3 or None, 2.0,
                 what="WATCHDOG=1 from -C")
        assert node.stop() == 0
        assert messages(systemd, "STOPPING=1")
    finally:
        systemd.close()
