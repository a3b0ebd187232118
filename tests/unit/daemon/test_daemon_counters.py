"""The small gaps: vmac_ifname in the JSON dump, and the runtime's daemon-wide counters
(unknown VRIDs apart from datagrams too short to carry a VRID) in status and metrics."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from pykeepalived.adapters.datagram import Datagram
from pykeepalived.observe.dumps import render_json
from pykeepalived.observe.metrics import format_metrics
from pykeepalived.observe.status import StatusError, encode_status, format_table, parse_status
from tests.unit.daemon.dump_snapshot import capture_snapshot
from tests.unit.daemon.rt_fakes import GROUP, PEER, Harness, datagram
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.observe.snapshot import DumpSnapshot


@pytest.fixture(scope="module")
def snapshot() -> DumpSnapshot:
    return capture_snapshot()


def test_json_dump_names_the_vmac_the_instance_runs_on(snapshot: DumpSnapshot) -> None:
    a, b = snapshot.instances
    with_vmac = replace(snapshot, instances=(replace(a, vmac_ifname="vrrp.161"), b))
    dumped = json.loads(render_json(with_vmac))
    assert [d["data"]["vmac_ifname"] for d in dumped] == ["vrrp.161", ""]


def test_short_datagram_is_not_an_unknown_vrid(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> dict[str, int]:
        runtime = await harness.runtime(daemon_from(instance_text(), tmp_path))
        deliver = harness.sockets[0].callback
        assert deliver is not None
        deliver(Datagram(payload=b"\x21", source=PEER, destination=GROUP, ttl=255,
                         ifindex=2, protocol=112))
        deliver(datagram(vrid=99))
        deliver(datagram(vrid=98))
        counters = runtime.counters()
        await runtime.stop()
        return counters

    assert asyncio.run(scenario()) == {"unknown_vrid": 2, "short_datagrams": 1,
                                       "unexpected_errors": 0}


def test_daemon_counters_reach_status_table_and_metrics(snapshot: DumpSnapshot) -> None:
    counted = replace(snapshot, daemon_counters=(("unknown_vrid", 4), ("short_datagrams", 0)))
    view = parse_status(encode_status(counted))
    assert view.daemon_counters == {"unknown_vrid": 4, "short_datagrams": 0}
    assert "daemon: unknown_vrid=4\n" in format_table(view)
    metrics = format_metrics(view).splitlines()
    assert 'pykeepalived_extra_errors_total{kind="unknown_vrid"} 4' in metrics
    assert 'pykeepalived_extra_errors_total{kind="short_datagrams"} 0' in metrics


def test_status_file_without_daemon_counters_still_reads(snapshot: DumpSnapshot) -> None:
    document = json.loads(encode_status(snapshot))
    del document["daemon_stats"]
    view = parse_status(json.dumps(document))
    assert (view.daemon_counters, len(view.instances)) == ({}, 2)
    assert "daemon:" not in format_table(view)


def test_malformed_daemon_counters_are_a_clear_error(snapshot: DumpSnapshot) -> None:
    document = json.loads(encode_status(snapshot))
    document["daemon_stats"] = ["not", "a", "mapping"]
    with pytest.raises(StatusError, match="is not a status document"):
        parse_status(json.dumps(document))


def test_every_datagram_an_instance_socket_read_is_accounted_for(tmp_path: Path) -> None:
    """reads = another VRID + too short + unexpected + the core's accepted + dropped."""
    harness = Harness()

    async def scenario() -> tuple[dict[str, int], dict[str, int]]:
        runtime = await harness.runtime(daemon_from(instance_text(vrid=171), tmp_path))
        deliver = harness.sockets[0].callback
        assert deliver is not None
        garbage = bytearray(datagram().payload)
        garbage[7] ^= 0xFF  # our VRID, wrong checksum
        for sent in (Datagram(payload=b"\x21", source=PEER, destination=GROUP, ttl=255,
                              ifindex=2, protocol=112),
                     datagram(vrid=99), datagram(vrid=171, priority=50),
                     datagram(payload=bytes(garbage)), datagram(vrid=171, priority=50)):
            deliver(sent)
        sockets = runtime.socket_counters()["VI_T"]
        stats = runtime.cores()["VI_T"].stats
        await runtime.stop()
        return sockets, {"accepted": stats.rx_accepted, **stats.rx_dropped}

    sockets, tally = asyncio.run(scenario())
    assert sockets == {"rx_datagrams": 0, "rx_other_vrid": 1, "rx_short": 1,
                       "rx_unexpected": 0}  # the fake socket reads nothing itself
    assert tally == {"accepted": 2, "checksum": 1}


def test_socket_counters_join_the_instance_extra_stats() -> None:
    rebuilt = capture_snapshot(socket_counters={"DUMP_A": {"rx_datagrams": 7}})
    first = rebuilt.instances[0]
    assert ("rx_datagrams", 7) in first.extra_stats
    assert ("rx_accepted", 0) in first.extra_stats
    view = parse_status(encode_status(rebuilt))
    assert view.instances[0].extra_counters["rx_datagrams"] == 7
    metrics = format_metrics(view).splitlines()
    assert 'pykeepalived_extra_errors_total{iname="DUMP_A",kind="rx_datagrams"} 7' in metrics
