"""Two pykeepalived nodes: a sync group moves together, a process tracker moves the VIP,
and `pykeepalived status` reads a running daemon.

Lab base 183: hosts a (192.0.2.184, priority 150) and b (.185, priority 100); VRIDs
183-185, VIPs 192.0.2.193-195. VRRPv3 at 0.1 s keeps Master_Down_Interval near 0.35 s.
"""

from __future__ import annotations

import shutil
import signal
import sys
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Config, GlobalDefs, Instance, SyncGroup, TrackProcess
from netlab.lab import wait_for
from netlab.peers import PyNode, has_address, wait_address

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

TAKEOVER = 5.0
GLOBALS = GlobalDefs(vrrp_version=3, garp_master_delay=1)


def instance(name: str, vrid: int, priority: int, vip: str, *,
             track_interfaces: Sequence[str] = (),
             track_processes: Sequence[str] = ()) -> Instance:
    return Instance(name, vrid, priority, [f"{vip}/24"], advert="0.1",
                    track_interfaces=track_interfaces, track_processes=track_processes)


def conf(*instances: Instance, track_processes: Sequence[TrackProcess] = (),
         sync_groups: Sequence[SyncGroup] = ()) -> Config:
    return Config(instances, GLOBALS, track_processes=track_processes,
                  sync_groups=sync_groups)


def grouped(priority: int) -> Config:
    return conf(instance("VI_GA", 183, priority, "192.0.2.193", track_interfaces=["trk0"]),
                instance("VI_GB", 184, priority, "192.0.2.194"),
                sync_groups=[SyncGroup("G183", ["VI_GA", "VI_GB"])])


def test_a_tracked_link_down_moves_the_whole_sync_group(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=183)
    for host in ("a", "b"):
        # no dummy module on every kernel: a veth pair inside the host is as good
        lab.run(host, ["ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk1"])
        lab.run(host, ["ip", "link", "set", "trk1", "up"])
        lab.run(host, ["ip", "link", "set", "trk0", "up"])
    a = PyNode(lab, "a", grouped(150)).start()
    b = PyNode(lab, "b", grouped(100)).start()
    for vip in ("192.0.2.193", "192.0.2.194"):
        wait_address(lab, "a", vip, timeout=TAKEOVER)
    mark = len(a.log())
    lab.run("a", ["ip", "link", "set", "trk0", "down"])
    for vip in ("192.0.2.193", "192.0.2.194"):
        wait_address(lab, "b", vip, timeout=TAKEOVER)
        wait_address(lab, "a", vip, present=False, timeout=TAKEOVER)
    a.wait_for_log("VRRP_Group(G183) Syncing instances to FAULT state", after=mark)
    b.wait_for_log("(VI_GB) Entering MASTER STATE")
    assert a.stop() == 0
    assert b.stop() == 0


def test_a_killed_tracked_process_moves_the_vip(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=183)
    assert lab.workdir is not None
    program = lab.workdir / "pyka185sleep"  # a comm nobody else on the machine runs
    shutil.copy("/bin/sleep", program)
    tracked = lab.spawn("a", [str(program), "600"], name="tracked")
    a = PyNode(lab, "a", conf(instance("VI_P", 185, 150, "192.0.2.195",
                                       track_processes=["p185"]),
                              track_processes=[TrackProcess("p185", "pyka185sleep", weight=0)]))
    a.start()
    b = PyNode(lab, "b", conf(instance("VI_P", 185, 100, "192.0.2.195"))).start()
    wait_address(lab, "a", "192.0.2.195", timeout=TAKEOVER)
    tracked.stop(signal.SIGKILL)
    # in a netns the connector is refused (initial namespace only): /proc is polled every
    # 0.5 s, then b takes over after Master_Down_Interval (~0.35 s)
    wait_for(lambda: has_address(lab, "b", "192.0.2.195"), 0.5 + 0.35 + 1.5,
             what=f"b to take over; a logged:\n{a.log()[-3000:]}")
    assert not has_address(lab, "a", "192.0.2.195")
    assert a.stop() == 0
    assert b.stop() == 0


def private_tmp_node(lab: Lab, host: str, config: Config) -> tuple[PyNode, str]:
    """A node whose dumps go to its own directory (`--dump-dir`), not the shared /tmp."""
    node = PyNode(lab, host, config, name="status")
    d = node.directory
    node.process = lab.spawn(host, [*node.argv(), "--dump-dir", str(d)], name="pykeepalived")
    return node, str(d)


def test_status_command_shows_state_and_last_reason(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=183)
    a, a_dir = private_tmp_node(lab, "a", conf(instance("VI_S", 186, 150, "192.0.2.196")))
    b, b_dir = private_tmp_node(lab, "b", conf(instance("VI_S", 186, 100, "192.0.2.196")))
    wait_for(lambda: has_address(lab, "a", "192.0.2.196"), TAKEOVER,
             what=f"a to take over; a logged:\n{a.log()[-3000:]}")
    b.wait_for_log("(VI_S) Entering BACKUP STATE")

    def status(directory: str, *extra: str) -> str:
        done = lab.run("a", [sys.executable, "-m", "pykeepalived", "status", "--pid",
                             f"{directory}/keepalived.pid", "--dir", directory, *extra],
                       check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    table = status(a_dir)
    row = next(line for line in table.splitlines() if line.startswith("VI_S"))
    assert "MASTER" in row.split()
    assert row.split()[-1] != "-"
    metrics = status(b_dir, "--metrics")
    state = next(line for line in metrics.splitlines()
                 if line.startswith('keepalived_vrrp_state{iname="VI_S"'))
    assert state.endswith(" 1")  # BACKUP
    assert 'pykeepalived_last_transition_info{iname="VI_S",reason="' in metrics
    assert a.stop() == 0
    assert b.stop() == 0
