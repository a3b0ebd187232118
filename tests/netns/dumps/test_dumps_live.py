"""Real keepalived 2.2.7 writes its three dumps; ours, from an equivalent snapshot, match.

keepalived writes to the fixed /tmp/keepalived.*, so it runs in a private mount namespace
with a per-test directory bind-mounted on /tmp: concurrent runs never share the files.
Config, scripts and pid file live in that directory too (seen as /tmp/... inside).
The same run also checks `pykeepalived status` against the real daemon's JSON dump.
"""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING

import pytest

from netlab.lab import Lab, Process, wait_for
from pykeepalived.cli.status import main_status
from pykeepalived.observe.dumps import render_data, render_json, render_stats
from tests.unit.daemon.dump_snapshot import (
    FIXTURES,
    capture_snapshot,
    json_pairs,
    line_key,
    mask_json_times,
    mask_times,
    sections,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = [pytest.mark.netns, pytest.mark.keepalived]

DUMPS = ("keepalived.data", "keepalived.stats", "keepalived.json")
#: SIGUSR1 (data), SIGUSR2 (stats), SIGRTMIN+2 (json), as keepalived --signum reports
DUMP_SIGNALS = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGRTMIN + 2)


def start_private_keepalived(lab: Lab, host: str, directory: Path) -> Process:
    inner = (f"mount --bind {directory} /tmp && exec keepalived -n -l -D "
             "-f /tmp/keepalived.conf -p /tmp/keepalived.pid -r /tmp/vrrp.pid "
             "-c /tmp/checkers.pid")
    return lab.spawn(host, ["unshare", "--mount", "--propagation", "private",
                            "sh", "-c", inner], name="keepalived")


def prepare(directory: Path) -> None:
    directory.mkdir()
    (directory / "keepalived.conf").write_text((FIXTURES / "keepalived.conf").read_text())
    for script in ("chk.sh", "notify.sh"):
        (directory / script).write_text("#!/bin/sh\nexit 0\n")
        (directory / script).chmod(0o755)


def capture(directory: Path, pid: int) -> dict[str, str]:
    for signum in DUMP_SIGNALS:
        os.kill(pid, signum)

    def complete() -> dict[str, str] | None:
        texts = {n: (directory / n).read_text() for n in DUMPS if (directory / n).exists()}
        done = len(texts) == 3 and texts["keepalived.json"].endswith("]\n")
        return texts if done and "VRRP Scripts" in texts["keepalived.data"] else None

    return wait_for(complete, 5.0, what="keepalived to write its three dumps")


def test_real_keepalived_dumps_match_our_renderers(make_lab: Callable[..., Lab],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    lab = make_lab(("a",), base=150)
    assert lab.workdir is not None
    directory = lab.workdir / "private-tmp"
    prepare(directory)
    process = start_private_keepalived(lab, "a", directory)
    wait_for(lambda: "(DUMP_A) Entering MASTER STATE" in process.output(), 10.0,
             what="DUMP_A to become MASTER")
    time.sleep(2.5)  # not a race fix: the fixture's moment is "master for 2.5 s"
    pid = int((directory / "keepalived.pid").read_text())
    real = capture(directory, pid)
    ours = capture_snapshot(directory / "keepalived.conf")

    assert render_stats(ours).splitlines()[:1] == real["keepalived.stats"].splitlines()[:1]
    assert [line.split(":")[0] for line in render_stats(ours).splitlines()] == [
        line.split(":")[0] for line in real["keepalived.stats"].splitlines()]
    assert json_keys(render_json(ours)) == json_keys(real["keepalived.json"])
    assert mask_json_times(render_json(ours)).count(",") == mask_json_times(
        real["keepalived.json"]).count(",")
    for title in ("VRRP Topology", "VRRP Scripts"):
        assert [line_key(x) for x in mask_times(sections(render_data(ours))[title])] == [
            line_key(x) for x in mask_times(sections(real["keepalived.data"])[title])], title

    # `pykeepalived status` against the real daemon: it falls back to keepalived.json
    capsys.readouterr()
    (directory / "keepalived.json").unlink()
    assert main_status(["--pid", str(directory / "keepalived.pid"), "--dir", str(directory),
                        "--metrics"]) == 0
    metrics = capsys.readouterr().out
    assert ('keepalived_vrrp_state{iname="DUMP_A",intf="eth0",vrid="161",'
            'ip_address="192.0.2.161/24"} 2') in metrics
    assert 'keepalived_become_master_total{iname="DUMP_A",intf="eth0",vrid="161",' \
           'state="MASTER"} 1' in metrics


def json_keys(text: str) -> list[object]:
    doc = json_pairs(text)
    assert isinstance(doc, list)
    return [[(k, [kk for kk, _ in v]) for k, v in obj] for obj in doc]

