"""SIGHUP on a pykeepalived pair while a client probes the VIP every 10 ms.

The claim under test (src/pykeepalived/daemon/reload.py): a reload, whether the config
is unchanged, changed compatibly, or broken, never costs a healthy VIP a single answer.
Hosts: a (192.0.2.131, priority 150), b (.132, 100), client c (.133); VRRPv3 at
advert_int 0.1, so a backup that missed three adverts (~0.36 s) would take over and the
client would see it. Every reload waits for the daemon's own verdict in its log before
the next one, so each SIGHUP is a separate reload, not coalesced signals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from netlab.lab import wait_for
from netlab.peers import PyNode, has_address
from netlab.reload import (
    Client,
    ProbeReport,
    VipWatch,
    WatchReport,
    reload_conf,
    sighup,
    start_echo,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VIP = "192.0.2.130"
SECOND_VIP = "192.0.2.138"
COMPLETE = "Reload complete"
FAILED = "Reload failed, keeping the running configuration"
#: start-up plus several Master_Down_Intervals
SETTLE = 10.0


@dataclass
class Pair:
    lab: Lab
    master: PyNode
    backup: PyNode
    vrid: int

    def conf(self, priority: int = 150, vips: Sequence[str] = (f"{VIP}/24",),
             script_interval: int = 1, notify: str = "/usr/bin/true") -> str:
        """The text a reload writes (tests also break it by string)."""
        return reload_conf(vrid=self.vrid, priority=priority, vips=vips,
                           script_interval=script_interval, notify=notify).text()


@dataclass(frozen=True)
class Observed:
    probes: ProbeReport
    vip: WatchReport
    #: both nodes' log lines written while the reloads ran
    master_log: str
    backup_log: str

    def entering_lines(self) -> list[str]:
        return [line for line in (self.master_log + self.backup_log).splitlines()
                if "Entering" in line]


def start_pair(make_lab: Callable[..., Lab], vrid: int) -> Pair:
    lab = make_lab(("a", "b", "c"), base=130, prefix=f"rlx{vrid}")
    master = PyNode(lab, "a", reload_conf(vrid=vrid, priority=150, vips=[f"{VIP}/24"]))
    backup = PyNode(lab, "b", reload_conf(vrid=vrid, priority=100, vips=[f"{VIP}/24"]))
    for host in ("a", "b"):
        start_echo(lab, host, VIP)
    master.start()
    backup.start()
    wait_for(lambda: has_address(lab, "a", VIP) and not has_address(lab, "b", VIP), SETTLE,
             what="the VIP on a only")
    backup.wait_for_log("(VI_R) Entering BACKUP STATE", SETTLE)
    return Pair(lab, master, backup, vrid)


def observe(pair: Pair, reloads: Callable[[], None]) -> Observed:
    """Run `reloads` with the client probing and the VIP watched, then a quiet second
    (≈ three Master_Down_Intervals) so a late takeover would still be seen."""
    marks = len(pair.master.log()), len(pair.backup.log())
    client = Client(pair.lab, "c", VIP, expect="a").start()
    watch = VipWatch(pair.lab, VIP, master="a", backup="b").start()
    try:
        reloads()
        watch_quiet(watch, seconds=1.0)
    finally:
        vip = watch.finish()
        probes = client.finish()
    return Observed(probes, vip, pair.master.log()[marks[0]:], pair.backup.log()[marks[1]:])


def watch_quiet(watch: VipWatch, seconds: float) -> None:
    """Let the watcher take its polls for `seconds` (it is the clock, not a sleep)."""
    wanted = len(watch.samples) + int(seconds / 0.05)
    wait_for(lambda: len(watch.samples) >= wanted, seconds * 4 + 5.0, interval=0.05,
             what="the VIP watcher's polls")


def assert_hitless(seen: Observed) -> None:
    """The client's and the addresses' view; the log's view is asserted per test."""
    assert seen.probes.sent > 100, seen.probes
    assert seen.probes.hitless, seen.probes
    assert seen.vip.never_moved, seen.vip


def reload_many(node: PyNode, texts: list[str]) -> None:
    for text in texts:
        reload_with(node, text)


def reload_with(node: PyNode, text: str, done: str = COMPLETE) -> str:
    node.config_path.write_text(text)
    return sighup(node, done)


@pytest.fixture
def make_pair(make_lab: Callable[..., Lab]) -> Callable[[int], Pair]:
    return lambda vrid: start_pair(make_lab, vrid)


def compatible_changes(pair: Pair) -> list[str]:
    """Priority 150→140→150, a second VIP, a vrrp_script interval, a notify script."""
    both = [f"{VIP}/24", f"{SECOND_VIP}/24"]
    return [
        pair.conf(priority=140),
        pair.conf(priority=150),
        pair.conf(vips=both),
        pair.conf(vips=both, script_interval=2),
        pair.conf(vips=both, script_interval=2, notify="/usr/bin/echo"),
    ]


def test_unchanged_then_compatible_changes_on_the_master(
        make_pair: Callable[[int], Pair]) -> None:
    pair = make_pair(130)
    unchanged = observe(pair, lambda: reload_many(pair.master, [pair.conf()] * 10))
    assert unchanged.master_log.count(COMPLETE) == 10
    assert_hitless(unchanged)
    assert unchanged.entering_lines() == []

    def changes() -> None:
        for text in compatible_changes(pair):
            reload_with(pair.master, text)
        # the VIP set is rolled out to the backup too, as an operator would
        reload_with(pair.backup, pair.conf(priority=100, vips=[f"{VIP}/24", f"{SECOND_VIP}/24"]))

    changed = observe(pair, changes)
    assert changed.master_log.count(COMPLETE) == 5
    assert_hitless(changed)
    # the master never left MASTER
    assert "Entering BACKUP" not in changed.master_log
    assert "Entering FAULT" not in changed.master_log
    assert "Entering MASTER" not in changed.backup_log
    assert has_address(pair.lab, "a", SECOND_VIP)
    assert not has_address(pair.lab, "b", SECOND_VIP)


def test_changed_reload_logs_no_state_entry(make_pair: Callable[[int], Pair]) -> None:
    """A changed instance resumes its state: no "Entering" line, no notify (keepalived)."""
    pair = make_pair(133)

    def reloads() -> None:
        reload_with(pair.master, pair.conf(priority=140))
        reload_with(pair.backup, pair.conf(priority=110))

    seen = observe(pair, reloads)
    assert_hitless(seen)
    assert seen.entering_lines() == []


@pytest.mark.parametrize(("case", "broken"), [
    ("vrid-351", lambda good: good.replace("virtual_router_id 131", "virtual_router_id 351")),
    ("half-written", lambda good: good[:good.index("    virtual_router_id")]),
    ("file-missing", None),
])
def test_failed_reload_keeps_the_running_config(
        make_pair: Callable[[int], Pair], case: str,
        broken: Callable[[str], str] | None) -> None:
    pair = make_pair(131)
    good = pair.conf()

    def reloads() -> None:
        if broken is None:
            pair.master.config_path.unlink()
            log = sighup(pair.master, FAILED)
        else:
            log = reload_with(pair.master, broken(good), FAILED)
        assert "Reloading ..." in log
        assert COMPLETE not in log
        reload_with(pair.master, pair.conf(priority=140))

    seen = observe(pair, reloads)
    assert_hitless(seen)
    assert "Entering" not in seen.backup_log
    assert pair.master.process is not None
    assert pair.master.process.popen.poll() is None
    assert seen.master_log.count(FAILED) == 1
    assert seen.master_log.count(COMPLETE) == 1  # the later valid reload went through


def test_reload_on_the_backup_keeps_the_master(make_pair: Callable[[int], Pair]) -> None:
    pair = make_pair(132)
    unchanged = observe(pair, lambda: reload_many(pair.backup, [pair.conf(priority=100)] * 5))
    assert unchanged.backup_log.count(COMPLETE) == 5
    assert_hitless(unchanged)
    assert unchanged.entering_lines() == []
    changed = observe(pair, lambda: reload_many(pair.backup, [
        pair.conf(priority=110), pair.conf(priority=100, script_interval=2)]))
    assert changed.backup_log.count(COMPLETE) == 2
    assert_hitless(changed)
    assert "Entering MASTER" not in changed.master_log + changed.backup_log
