"""kill -9 of the master daemon, then a restart: pykeepalived beside keepalived 2.2.7.

Host a (192.0.2.81, priority 150) is master, host b (.82, priority 100) backup, VRRPv3
at 0.1 s (Master_Down_Interval for b: 3 × 0.1 + 156/256 × 0.1 ≈ 0.36 s). A SIGKILLed
daemon sends no priority 0 and removes nothing: its VIP stays on a, and b takes over
after its down timer, so for a while both hosts hold the VIP (a split brain only a
restart or an operator ends). The restarted daemon finds its pid files (naming the dead
pid) and the stale VIP: it must start anyway, and clear the VIP at start as keepalived
does (vrrp_restore_interfaces_startup: an instance starts in BACKUP and does not keep
an address it does not own as master). With nopreempt the pair must end with b alone
holding the VIP; with preemption a takes it back and b lets go.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.faults import crash, first_time, steady, vip_holders
from netlab.lab import wait_for
from netlab.peers import has_address
from tests.netns.faults.nodes import IMPLEMENTATIONS, PYKA, node, report

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.conf import Config
    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VIP = "192.0.2.89"
#: several Master_Down_Intervals, plus a Python daemon's start-up on a busy machine
BOUND = 5.0
#: b's Master_Down_Interval at priority 100 (RFC 5798 §6.1)
DOWN_INTERVAL = 3 * 0.1 + (256 - 100) / 256 * 0.1


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
@pytest.mark.parametrize(("mode", "vrid"), [("nopreempt", 81), ("preempt", 82)])
def test_kill9_stale_vip_then_restart_converges(make_lab: Callable[..., Lab], kind: str,
                                                mode: str, vrid: int) -> None:
    lab = make_lab(("a", "b"), base=80, prefix=f"pfk9{kind[:2]}")
    nopreempt = mode == "nopreempt"

    def conf(priority: int) -> Config:
        return instance_conf(vrid=vrid, priority=priority, vip=f"{VIP}/24",
                             nopreempt=nopreempt)

    a = node(lab, kind, "a", conf(150))
    b = node(lab, kind, "b", conf(100))
    hosts = ("a", "b")
    a.start()
    wait_for(lambda: vip_holders(lab, hosts, VIP) == {"a"}, BOUND, what="a to be master")
    b.start()
    b.wait_for_log("(VI_T) Entering BACKUP STATE", BOUND)

    main = a.process.pid if a.process is not None else 0
    killed_at = time.monotonic()
    crash(a)
    took_over = first_time(lambda: has_address(lab, "b", VIP), BOUND, "b to take over")
    assert has_address(lab, "a", VIP), "nobody removes a crashed daemon's VIP"
    assert vip_holders(lab, hosts, VIP) == {"a", "b"}  # both hold it: a's is stale
    pid_file = a.directory / "keepalived.pid"
    assert pid_file.read_text().strip() == str(main), "the pid file outlives a kill -9"
    assert "priority 0" not in b.log()

    mark = len(b.log())
    restarted_at = time.monotonic()
    a.start()  # the same pid files, the stale VIP still on eth0
    expected = {"b"} if nopreempt else {"a"}
    converged = first_time(lambda: vip_holders(lab, hosts, VIP) == expected, BOUND,
                           f"{expected} alone to hold the VIP")
    assert steady(lambda: vip_holders(lab, hosts, VIP) == expected, 1.0), "it flapped"
    a.wait_for_log("(VI_T) Entering BACKUP STATE (init)", BOUND)
    log = a.log()
    assert "daemon is already running" not in log
    assert f"Remove a zombie pid file {pid_file}" in log  # keepalived's words, both
    # the stale VIP goes at start, before the instance's first state (both say so)
    assert log.index("(VI_T) removing VIPs.") < log.index("Entering BACKUP STATE (init)")
    if nopreempt:
        assert "Entering MASTER STATE" not in a.log()
        assert "Entering BACKUP STATE" not in b.log()[mark:]
    else:
        b.wait_for_log("(VI_T) Entering BACKUP STATE", BOUND, after=mark)
    report(f"kill -9, {mode}", kind, {
        "takeover_ms": round((took_over - killed_at) * 1000),
        "bound_ms": round(DOWN_INTERVAL * 1000),
        "restart_to_one_holder_ms": round((converged - restarted_at) * 1000),
        "holder": "".join(sorted(expected))})
    assert took_over - killed_at < 3 * DOWN_INTERVAL + 0.5


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_a_pid_file_naming_a_reused_pid_does_not_block_a_restart(
        make_lab: Callable[..., Lab], kind: str) -> None:
    """After a kill -9 and a long downtime the pid in the stale file may belong to some
    other program by now (here a `sleep` the test starts). pykeepalived sees that it is
    no keepalived and starts; keepalived 2.2.7 (kill(pid, 0) alone) says "daemon is
    already running" and exits until the file is removed by hand: a difference."""
    lab = make_lab(("a",), base=80, prefix=f"pfpid{kind[:2]}")
    other = lab.spawn("a", ["sleep", "60"], name="other")
    daemon = node(lab, kind, "a", instance_conf(vrid=83, priority=150, vip=f"{VIP}/24"))
    for name in ("keepalived.pid", "vrrp.pid"):
        (daemon.directory / name).write_text(f"{other.pid}\n")
    daemon.start()
    assert daemon.process is not None
    if kind == PYKA:
        wait_for(lambda: has_address(lab, "a", VIP), BOUND, what="the daemon to start")
        assert f"Remove a zombie pid file {daemon.directory / 'keepalived.pid'}" in daemon.log()
        assert other.popen.poll() is None  # the other program is left alone
    else:
        daemon.wait_for_log("daemon is already running", BOUND)
        daemon.process.popen.wait(BOUND)  # it exits
        assert not has_address(lab, "a", VIP)
    report("stale pid file, pid reused", kind, {
        "started": has_address(lab, "a", VIP)})
