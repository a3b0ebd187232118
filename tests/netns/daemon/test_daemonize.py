"""Without `-n` the daemon goes to the background, as keepalived does.

The command returns 0 at once; the daemon's PID is the one in its pid file (not the
command's), it holds the VIP, and SIGTERM to that PID stops it and removes the file.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.lab import wait_for
from netlab.peers import PyNode, wait_address

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns]

VIP = "192.0.2.178"


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_without_dont_fork_the_daemon_detaches_and_obeys_its_pid_file(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a",), base=176)
    node = PyNode(lab, "a", instance_conf(vrid=178, priority=150, vip=f"{VIP}/24"))
    argv = [a for a in node.argv() if a != "-n"]
    assert argv[:3] == [sys.executable, "-m", "pykeepalived"]
    launcher = lab.run("a", argv, check=False)
    assert launcher.returncode == 0
    pid_file = node.directory / "keepalived.pid"
    pid = wait_for(lambda: read_pid(pid_file), 10.0, what="the daemon's pid file")
    try:
        assert alive(pid)
        wait_address(lab, "a", VIP)  # the lone node becomes MASTER
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGTERM)
    wait_for(lambda: (not alive(pid) and not pid_file.exists()) or None, 10.0,
             what="the daemon to stop and remove its pid file")
    wait_address(lab, "a", VIP, present=False)
