"""bench.cost's layout, config and table, without root."""

from __future__ import annotations

import math

from bench.checkers_report import AdvertFigures
from bench.cost import cost_config, expected_vips, layout
from bench.cost_report import CostResult, Setting, ratio, table


def test_instances_fill_each_lan_before_the_next() -> None:
    assert layout(5, 2) == [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1)]
    assert layout(1000, 200)[-1] == (4, 200)
    assert len(set(layout(1000, 200))) == 1000


def test_the_config_puts_each_instance_on_its_lan_with_its_vip() -> None:
    text = cost_config(3, 2, "0.1", priority=150, state="MASTER", router_id="t").text()
    assert "vrrp_instance VI_1_1 {" in text
    assert "interface eth1" in text
    assert text.count("virtual_router_id 1\n") == 2  # VRID 1 on eth0 and on eth1
    assert "192.0.2.31/32" in text
    assert "192.0.2.32/32" in text
    assert "advert_int 0.1" in text
    assert "vrrp_version 3" in text
    assert expected_vips(3, 2) == {("eth0", "192.0.2.31"), ("eth0", "192.0.2.32"),
                                   ("eth1", "192.0.2.31")}


def adverts(p99: float) -> AdvertFigures:
    return AdvertFigures(instances_seen=2, adverts=10, intervals=8, kernel_packets=10,
                         kernel_drops=0, mean_interval_ms=100.0, p50_ms=0.5, p99_ms=p99,
                         max_ms=p99 + 1, missed=0)


def test_the_table_puts_ratios_beside_both_implementations() -> None:
    setting = Setting(2, "0.1")
    ours = CostResult("pykeepalived", setting, startup_ms=300.0, startup_cpu_ms=60.0,
                      cpu_ms_per_min=150.0, rss_mib=30.0, hwm_mib=31.0, adverts=adverts(2.0))
    theirs = CostResult("keepalived", setting, startup_ms=200.0, startup_cpu_ms=20.0,
                        cpu_ms_per_min=100.0, rss_mib=12.0, hwm_mib=12.5, adverts=adverts(1.0))
    lines = table([ours, theirs]).splitlines()
    cpu = next(line for line in lines if line.strip().startswith("CPU"))
    assert cpu.split()[-3:] == ["150", "100", "1.50"]
    startup_cpu = next(line for line in lines if "start-up CPU" in line)
    assert startup_cpu.split()[-1] == "3.00"
    assert any("2.0 / 3.0" in line and "1.0 / 2.0" in line for line in lines)


def test_an_unmeasured_side_leaves_a_dash_and_no_ratio() -> None:
    setting = Setting(2, "1", backup=True)
    failed = CostResult("keepalived", setting, error="TimeoutError: nothing")
    ours = CostResult("pykeepalived", setting, cpu_ms_per_min=10.0, adverts=adverts(1.0),
                      backup_instances=1, backup_masters=0)
    text = table([ours, failed])
    assert "FAILED keepalived N=2 advert 1 s + keepalived BACKUP" in text
    takeovers = next(line for line in text.splitlines() if "spurious" in line)
    assert takeovers.split()[-2:] == ["1", "-"]
    assert math.isnan(ratio(1.0, math.nan))
    assert math.isnan(ratio(1.0, 0.0))
