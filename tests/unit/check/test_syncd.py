"""lvs_sync_daemon decisions: keepalived 2.2.7's start/stop order for each VRRP event."""

from __future__ import annotations

from ipaddress import ip_address
from typing import TYPE_CHECKING

import pytest

from pykeepalived.check import syncd
from pykeepalived.check.lvs import SyncDaemonSpec

if TYPE_CHECKING:
    from pykeepalived.check.syncd import SyncCommand

SYNC = SyncDaemonSpec(interface="eth1", instance="VI_1", sync_id=51)


def steps(commands: tuple[SyncCommand, ...]) -> list[tuple[str, str, bool]]:
    return [(c.verb, c.state, c.quiet) for c in commands]


def test_sync_id_defaults_to_the_instances_vrid_or_zero() -> None:
    unset = SyncDaemonSpec(interface="eth1", instance="VI_1")
    assert syncd.resolved(unset, 51).sync_id == 51
    assert syncd.resolved(unset, None).sync_id == 0
    assert syncd.resolved(SYNC, 7).sync_id == 51  # an explicit id wins


@pytest.mark.parametrize(("master", "role"), [(False, "backup"), (True, "master")])
def test_start_runs_the_role_of_the_instances_state(master: bool, role: str) -> None:
    assert steps(syncd.at_start(SYNC, master=master)) == [("start", role, False)]


def test_becoming_master_stops_backup_then_starts_master() -> None:
    commands = syncd.become_master(SYNC)
    assert steps(commands) == [("stop", "backup", False), ("start", "master", False)]
    assert all(c.sync == SYNC for c in commands)


def test_leaving_master_swaps_back_only_if_the_vips_were_set() -> None:
    assert steps(syncd.leave_master(SYNC, vips_set=True)) == [
        ("stop", "master", False), ("start", "backup", False)]
    assert syncd.leave_master(SYNC, vips_set=False) == ()


@pytest.mark.parametrize(("master", "role"), [(False, "backup"), (True, "master")])
def test_shutdown_stops_the_current_role(master: bool, role: str) -> None:
    assert steps(syncd.at_shutdown(SYNC, master=master)) == [("stop", role, False)]


def test_a_whole_life_keeps_exactly_one_role_running() -> None:
    """Replaying the commands of start, failover and back, shutdown on a model kernel."""
    running: dict[str, SyncDaemonSpec] = {}
    refused: list[str] = []

    def apply(commands: tuple[SyncCommand, ...]) -> None:
        for c in commands:
            if (c.state in running) == c.start:
                refused.append(f"{c.verb} {c.state}")
            elif c.start:
                running[c.state] = c.sync
            else:
                del running[c.state]

    apply(syncd.at_start(SYNC, master=False))
    assert set(running) == {"backup"}
    apply(syncd.become_master(SYNC))
    assert set(running) == {"master"}
    apply(syncd.leave_master(SYNC, vips_set=True))
    assert set(running) == {"backup"}
    apply(syncd.at_shutdown(SYNC, master=False))
    assert running == {}
    assert refused == []


def test_reload_with_changed_values_restarts_the_wanted_role_with_them() -> None:
    new = SyncDaemonSpec(interface="eth2", instance="VI_1", sync_id=51, ttl=3)
    commands = syncd.on_reload(SYNC, new, master=True)
    assert steps(commands) == [("stop", "master", True), ("start", "master", False),
                               ("stop", "backup", True)]
    assert commands[1].sync == new
    assert commands[0].sync == commands[2].sync == SYNC  # the old roles stop as they ran


def test_reload_with_the_same_values_only_makes_sure() -> None:
    renamed = SyncDaemonSpec(interface="eth1", instance="VI_2", sync_id=51)
    assert not syncd.changed(SYNC, renamed)  # keepalived compares kernel values only
    commands = syncd.on_reload(SYNC, renamed, master=False)
    assert steps(commands) == [("start", "backup", True), ("stop", "master", True)]
    assert all(c.sync == renamed for c in commands)


def test_reload_adding_or_removing_the_sync_daemon() -> None:
    assert steps(syncd.on_reload(None, SYNC, master=False)) == [("start", "backup", False)]
    assert steps(syncd.on_reload(SYNC, None, master=True)) == [
        ("stop", "master", True), ("stop", "backup", True)]
    assert syncd.on_reload(None, None, master=True) == ()


@pytest.mark.parametrize("field", ["sync_id", "interface", "max_len", "port", "ttl", "group"])
def test_every_kernel_value_counts_as_a_change(field: str) -> None:
    values = {"sync_id": 9, "interface": "eth9", "max_len": 1400, "port": 8849, "ttl": 2,
              "group": ip_address("239.1.1.1")}
    base = SyncDaemonSpec(interface="eth1")
    assert syncd.changed(base, SyncDaemonSpec(**{"interface": "eth1", field: values[field]}))


def test_checker_runs_both_roles_with_sync_id_zero() -> None:
    unset = SyncDaemonSpec(interface="eth1")
    commands = syncd.checker_start(unset)
    assert steps(commands) == [("stop", "master", True), ("stop", "backup", True),
                               ("start", "master", False), ("start", "backup", False)]
    assert {c.sync.sync_id for c in commands} == {0}
    assert steps(syncd.checker_stop(unset)) == [("stop", "master", True),
                                                ("stop", "backup", True)]


def test_checker_reload_touches_the_daemons_only_when_values_changed() -> None:
    unset = SyncDaemonSpec(interface="eth1")
    assert syncd.checker_start(unset, previous=SyncDaemonSpec(interface="eth1", sync_id=0)) == ()
    moved = syncd.checker_start(SyncDaemonSpec(interface="eth2"), previous=unset)
    assert [c.sync.interface for c in moved] == ["eth1", "eth1", "eth2", "eth2"]
