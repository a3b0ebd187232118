"""bench.checkers' arithmetic and config, without root: intervals, percentiles, the farm."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from bench.checkers import bench_config, verdicts
from bench.checkers_report import (
    RunResult,
    RunSpec,
    advert_figures,
    key_figures,
    percentile,
    window_cycles,
)
from netlab.advert_log import Advert, intervals, read_records, write_records
from netlab.real_servers import farm_addresses, layout

if TYPE_CHECKING:
    from pathlib import Path


def test_records_round_trip_and_give_intervals_per_instance(tmp_path: Path) -> None:
    ms = 1_000_000
    adverts = [Advert(1000 * ms, "192.0.2.11", 1, 150), Advert(1000 * ms, "192.0.2.11", 2, 150),
               Advert(1100 * ms, "192.0.2.11", 1, 150), Advert(1103 * ms, "192.0.2.11", 2, 150),
               Advert(1199 * ms, "192.0.2.11", 1, 150),
               Advert(1250 * ms, "192.0.2.11", 2, 0)]  # a resignation: not in the rhythm
    path = tmp_path / "adverts.bin"
    write_records(path, adverts)
    assert read_records(path) == adverts
    gaps = intervals(read_records(path))
    assert gaps[("192.0.2.11", 1)] == pytest.approx([0.100, 0.099])
    assert gaps[("192.0.2.11", 2)] == pytest.approx([0.103])


def test_deviations_are_absolute_and_missed_adverts_counted() -> None:
    gaps = {("192.0.2.11", 1): [0.100, 0.101, 0.099, 0.200], ("192.0.2.11", 2): [0.102]}
    figures = advert_figures(gaps, 0.1, adverts=7, kernel_packets=7, kernel_drops=0)
    assert figures.instances_seen == 2
    assert figures.intervals == 5
    assert figures.p50_ms == pytest.approx(1.0)
    assert figures.max_ms == pytest.approx(100.0)
    assert figures.missed == 1


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.50) == 50.0
    assert math.isnan(percentile([], 0.5))


def test_window_cycles_count_healthy_servers_only() -> None:
    before = {"a": 1, "b": 2, "down": 5}
    after = {"a": 4, "b": 6, "down": 6}
    assert window_cycles(before, after, ["a", "b"]) == (3, 3.5, 4, 8)


def test_key_figure_is_p99_with_checks_minus_without() -> None:
    gaps = {("192.0.2.11", 1): [0.101] * 99 + [0.104]}
    slower = {("192.0.2.11", 1): [0.101] * 98 + [0.106, 0.106]}
    a = RunResult(RunSpec("a", "pykeepalived", False),
                  adverts=advert_figures(gaps, 0.1, 101, 101, 0))
    b = RunResult(RunSpec("b", "pykeepalived", True),
                  adverts=advert_figures(slower, 0.1, 101, 101, 0))
    keys = key_figures([a, b])
    assert keys["pykeepalived_p99_delta_ms"] == pytest.approx(5.0)
    assert keys["keepalived_p99_delta_ms"] is None


def test_farm_layout_half_tcp_half_http_a_few_down() -> None:
    farm = layout(1000)
    assert sum(rs.kind == "TCP" for rs in farm) == 500
    assert sum(not rs.up for rs in farm) == 40
    assert len({(rs.address, rs.port) for rs in farm}) == 1000
    assert farm_addresses(1000) == [f"198.51.100.{n}" for n in range(1, 11)]
    assert [rs.index for rs in layout(20) if not rs.up] == [7]


def test_config_has_every_server_once_and_only_with_checks() -> None:
    text = bench_config(3, 250, checks=True).text()
    assert text.count("vrrp_instance VI_") == 3
    assert text.count("state MASTER") == 3
    assert text.count("real_server 198.51.100.") == 250
    assert text.count("TCP_CHECK") == 125
    assert text.count("HTTP_GET") == 125
    assert text.count("virtual_server ") == 3
    assert "virtual_server" not in bench_config(3, 250, checks=False).text()


def test_verdicts_read_keepalived_first_cycle_lines() -> None:
    log = "\n".join([
        "TCP connection to [198.51.100.1]:tcp:20000 success.",
        "Remote Web server [198.51.100.1]:tcp:20001 succeed on service.",
        "TCP_CHECK on service [198.51.100.1]:tcp:20024 failed.",
        "HTTP_CHECK on service [198.51.100.1]:tcp:20007 failed after 1 retries.",
        "Removing service [198.51.100.1]:tcp:20007 from VS [192.0.2.250]:tcp:8000"])
    up, down = verdicts(log)
    assert up == {"[198.51.100.1]:tcp:20000", "[198.51.100.1]:tcp:20001"}
    assert down == {"[198.51.100.1]:tcp:20024", "[198.51.100.1]:tcp:20007"}
