"""FIFO lines and notify_master_rx_lower_pri, read back by the operator's own scripts.

`vrrp_notify_fifo_script` copies every line of the FIFO to a file; keepalived's format is
`INSTANCE "VI_1" MASTER 100` / `GROUP "G" MASTER 0`, written in event order. Hosts a
(192.0.2.161, priority 150) and b (.162, 100); VRIDs 161-164, VIPs 192.0.2.166-169.
"""

from __future__ import annotations

import re
import subprocess
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Config, GlobalDefs, Instance, Line, SyncGroup, instance_conf
from netlab.lab import COMMAND_TIMEOUT, wait_for
from netlab.peers import PyNode
from tests.netns.notify.scripts import (
    BASE,
    PREFIX,
    TAKEOVER,
    calls,
    read_lines,
    wait_lines,
    write_fifo_reader,
    write_hook,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]


def node_directory(lab: Lab, host: str) -> Path:
    assert lab.workdir is not None
    directory = lab.workdir / f"{host}-pyka"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


def fifo_globals(directory: Path, out: Path) -> list[Line]:
    """The FIFO and its reader (a script: needs script security on)."""
    reader = write_fifo_reader(directory, out)
    return [f"vrrp_notify_fifo {directory / 'notify.fifo'}",
            f"vrrp_notify_fifo_script {reader}"]


def synced_conf(priority: int, fifo: Sequence[Line] = ()) -> Config:
    """Two instances (VRIDs 161, 162) in sync group G; `fifo`: fifo_globals()."""
    return Config(
        global_defs=GlobalDefs(router_id=f"ntf{priority}", vrrp_version=3,
                               garp_master_delay=1, script_user="root" if fifo else None,
                               script_security=bool(fifo), extra=fifo),
        sync_groups=[SyncGroup("G", ["VI_T", "VI_U"])],
        instances=[Instance(name, vrid, priority, [f"{vip}/24"], state="BACKUP", advert="0.1")
                   for name, vrid, vip in (("VI_T", 161, "192.0.2.166"),
                                           ("VI_U", 162, "192.0.2.167"))])


def phases(lines: list[str], stop_at: str) -> tuple[list[str], list[str]]:
    """Lines before the first `stop_at`-state line, and the rest."""
    cut = next((i for i, line in enumerate(lines) if f" {stop_at} " in line), len(lines))
    return lines[:cut], lines[cut:]


def synced_pair_lines(lab: Lab) -> list[str]:
    """FIFO lines of host a from start-up, through the group's MASTER, to SIGTERM."""
    directory = node_directory(lab, "a")
    out = directory / "fifo.out"
    a = PyNode(lab, "a", synced_conf(150, fifo_globals(directory, out))).start()
    PyNode(lab, "b", synced_conf(100)).start()
    for line in ('GROUP "G" MASTER 0', 'INSTANCE "VI_U" MASTER 150',
                 'INSTANCE "VI_T" MASTER 150'):
        wait_lines(lambda: read_lines(out), line)
    a.stop()
    return read_lines(out)


def without_lower_pri(lines: list[str]) -> list[str]:
    """Drop MASTER_RX_LOWER_PRI lines: b (started second) may still win the start-up race.

    When b's Master_Down timer fires before a's, b is MASTER for a moment; a preempts it
    and, as keepalived, reports b's next advert (lower priority) on the FIFO. That line is
    correct, but whether it appears depends on which daemon finished starting first.
    """
    return [line for line in lines if " MASTER_RX_LOWER_PRI " not in line]


def test_fifo_lines_by_phase_with_sync_group(make_lab: Callable[..., Lab]) -> None:
    lines = synced_pair_lines(make_lab(("a", "b"), base=BASE, prefix=PREFIX))
    starting, rest = phases(lines, "MASTER")
    assert sorted(starting) == sorted(['GROUP "G" BACKUP 0', 'INSTANCE "VI_T" BACKUP 150',
                                       'INSTANCE "VI_U" BACKUP 150'])
    mastering, stopping = phases(rest, "STOP")
    assert sorted(without_lower_pri(mastering)) == sorted(
        ['GROUP "G" MASTER 0', 'INSTANCE "VI_T" MASTER 150', 'INSTANCE "VI_U" MASTER 150'])
    assert sorted(stopping) == sorted(['INSTANCE "VI_T" STOP 150', 'INSTANCE "VI_U" STOP 150',
                                       'GROUP "G" STOP 0'])


def test_fifo_stop_lines_in_keepalived_order(make_lab: Callable[..., Lab]) -> None:
    """keepalived's notify_shutdown: every instance first, then the groups."""
    lines = synced_pair_lines(make_lab(("a", "b"), base=BASE, prefix=PREFIX))
    assert lines[-3:] == ['INSTANCE "VI_T" STOP 150', 'INSTANCE "VI_U" STOP 150',
                          'GROUP "G" STOP 0']


def last_entered(log: str) -> str | None:
    """The state of the last `Entering ... STATE` line of a daemon log."""
    states = re.findall(r"\(VI_T\) Entering (\w+) STATE", log)
    return states[-1] if states else None


def partition(lab: Lab, host: str, *, healed: bool) -> None:
    """Detach (or re-attach) the host's bridge port: its carrier stays up, no FAULT."""
    port = lab.host(host).bridge_port
    where = ["master", "br0"] if healed else ["nomaster"]
    subprocess.run(["ip", "-n", lab.bridge_namespace, "link", "set", port, *where],
                   check=True, capture_output=True, timeout=COMMAND_TIMEOUT)


def test_rx_lower_pri_after_partition_heals(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=BASE, prefix=PREFIX)
    directory = node_directory(lab, "a")
    out, trace = directory / "fifo.out", directory / "trace"
    hook = write_hook(directory, "rx_lower.sh", trace)
    a = PyNode(lab, "a", instance_conf(
        vrid=163, priority=150, vip="192.0.2.168/24",
        notify={"notify_master_rx_lower_pri": str(hook)}, script_security=True,
        global_extra=fifo_globals(directory, out))).start()
    # b's parting advert on yielding is what a, still MASTER, hears after the heal
    b = PyNode(lab, "b", instance_conf(vrid=163, priority=100, vip="192.0.2.168/24",
                                       extra=["higher_prio_send_advert"])).start()
    wait_lines(lambda: read_lines(out), 'INSTANCE "VI_T" MASTER 150')
    wait_for(lambda: last_entered(b.log()) == "BACKUP", TAKEOVER, what="b to settle as BACKUP")
    partition(lab, "b", healed=False)
    mark = len(b.log())
    b.wait_for_log("(VI_T) Entering MASTER STATE", after=mark)
    partition(lab, "b", healed=True)
    wait_lines(lambda: read_lines(out), 'INSTANCE "VI_T" MASTER_RX_LOWER_PRI 150')
    wait_lines(lambda: calls(trace), "rx_lower.sh")
    b.wait_for_log("(VI_T) Entering BACKUP STATE", after=mark)
    a.stop()
    assert read_lines(out)[:2] == ['INSTANCE "VI_T" BACKUP 150', 'INSTANCE "VI_T" MASTER 150']
    assert 'INSTANCE "VI_T" BACKUP 150' not in read_lines(out)[2:], "a never left MASTER"
    assert set(calls(trace)) == {"rx_lower.sh"}, "run with no arguments, as keepalived does"
