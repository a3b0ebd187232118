"""The Prometheus endpoint scraped by a real HTTP client (curl) in a two-node lab: its
values follow a failover, it binds loopback unless an address is configured (flag or
global_defs extension), and the state endpoint answers 200 only on the master. Then what
a scrape costs a daemon running 200 instances."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.cost import cost_config
from netlab.lab import wait_for
from netlab.peers import PyNode, has_address
from tests.netns.ops.lab import TAKEOVER, VIP, start_node

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

PORT = 9650


def curl(lab: Lab, host: str, url: str) -> tuple[int, str]:
    """(HTTP status, body); status 0 when nothing answered."""
    done = lab.run(host, ["curl", "-s", "-m", "3", "-w", "\n%{http_code}", url], check=False)
    body, _, code = done.stdout.rpartition("\n")
    return int(code or 0), body


def scrape(lab: Lab, host: str, where: str = f"127.0.0.1:{PORT}") -> dict[tuple[str, str], float]:
    """Every sample as {(name, sorted labels): value}, parsed by prometheus_client."""
    status, body = curl(lab, host, f"http://{where}/metrics")
    assert status == 200, body
    return {(s.name, ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def value(samples: dict[tuple[str, str], float], metric: str, /, **labels: str) -> float:
    wanted = [v for (n, shown), v in samples.items()
              if n == metric and all(f"{k}={x}" in shown.split(",") for k, x in labels.items())]
    assert len(wanted) == 1, (metric, labels, [k for k in samples if k[0] == metric])
    return wanted[0]


def vrrp_state(lab: Lab, host: str, where: str = f"127.0.0.1:{PORT}") -> float:
    return value(scrape(lab, host, where), "keepalived_vrrp_state", iname="VI_OPS")


def test_metrics_follow_a_failover_and_state_answers_200_on_the_master_only(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=240)
    # a: the flag, a bare port (loopback); b: the global_defs extension with an address
    a = start_node(lab, "a", 150, tracked=True, daemon_args=("--metrics-address", str(PORT)))
    b = start_node(lab, "b", 100, tracked=False,
                   extra=(f"pykeepalived_metrics_address 0.0.0.0:{PORT}",))
    wait_for(lambda: has_address(lab, "a", VIP), TAKEOVER,
             what=f"a to take over; a logged:\n{a.node.log()[-3000:]}")
    b.node.wait_for_log("(VI_OPS) Entering BACKUP STATE")
    a.node.wait_for_log(f"pykeepalived: metrics on http://127.0.0.1:{PORT}/metrics")

    # loopback unless told otherwise: b cannot reach a's endpoint, a reaches b's
    assert curl(lab, "b", f"http://192.0.2.241:{PORT}/metrics")[0] == 0
    assert curl(lab, "a", f"http://192.0.2.242:{PORT}/metrics")[0] == 200

    before = scrape(lab, "a")
    assert value(before, "keepalived_vrrp_state", iname="VI_OPS") == 2
    assert value(before, "keepalived_become_master_total", iname="VI_OPS") == 1
    assert value(before, "pykeepalived_transitions_total", iname="VI_OPS",
                 state="MASTER") == 1
    assert value(before, "pykeepalived_gratuitous_sent_total", kind="garp") > 0
    assert value(before, "keepalived_script_status", name="chk_flag") == 1
    assert value(before, "pykeepalived_track_script_runs_total") >= 1
    assert value(before, "pykeepalived_track_script_failures_total") == 0
    b_before = scrape(lab, "b")
    assert value(b_before, "keepalived_vrrp_state", iname="VI_OPS") == 1
    assert curl(lab, "a", f"http://127.0.0.1:{PORT}/state/VI_OPS") == (200, "MASTER\n")
    assert curl(lab, "b", f"http://127.0.0.1:{PORT}/state/VI_OPS") == (503, "BACKUP\n")
    assert curl(lab, "a", f"http://127.0.0.1:{PORT}/state/VI_NONE")[0] == 404

    # the tracker fails on a: FAULT there, MASTER on b, and the scrapes say so
    assert a.flag is not None
    a.flag.unlink()
    wait_for(lambda: vrrp_state(lab, "a") == 3 or None, 4.0, what="a FAULT in its metrics")
    wait_for(lambda: vrrp_state(lab, "b") == 2 or None, TAKEOVER, what="b MASTER in metrics")
    after = scrape(lab, "b")
    # b may have been MASTER a moment at start, before a's first advert: count from then
    became = "keepalived_become_master_total"
    assert value(after, became, iname="VI_OPS") == value(b_before, became, iname="VI_OPS") + 1
    moves = [(shown, v) for (n, shown), v in after.items()
             if n == "pykeepalived_transitions_total" and "state=MASTER" in shown
             and "reason=priority 0 advert from 192.0.2.241" in shown]
    assert [v for _, v in moves] == [1], moves
    faulted = scrape(lab, "a")
    assert value(faulted, "keepalived_script_status", name="chk_flag") == 0
    assert value(faulted, "pykeepalived_track_script_failures_total") >= 1
    assert value(faulted, "pykeepalived_track_script_seconds_total") > 0
    assert value(faulted, "pykeepalived_transitions_total", iname="VI_OPS", state="FAULT") == 1
    assert value(faulted, "keepalived_release_master_total", iname="VI_OPS") == 1
    assert curl(lab, "b", f"http://127.0.0.1:{PORT}/state/VI_OPS")[0] == 200
    assert curl(lab, "a", f"http://127.0.0.1:{PORT}/state/VI_OPS") == (503, "FAULT\n")
    assert a.node.stop() == 0
    assert b.node.stop() == 0


INSTANCES = 200
SCRAPES = 20


def daemon_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, USER_HZ 100


def test_scrape_cost_with_200_instances(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a",), base=20)
    node = PyNode(lab, "a", cost_config(INSTANCES, INSTANCES, "1", priority=150,
                                        state="BACKUP", router_id="a"), name="cost")
    node.process = lab.spawn("a", [*node.argv(), "--metrics-address", str(PORT)],
                             name="pykeepalived")
    wait_for(lambda: node.log().count("Entering MASTER STATE") >= INSTANCES or None, 30.0,
             what="200 instances MASTER")
    samples = scrape(lab, "a")
    states = [v for (n, _), v in samples.items() if n == "keepalived_vrrp_state"]
    assert states == [2.0] * INSTANCES
    pid = node.process.pid
    cpu_before, started = daemon_cpu_seconds(pid), time.monotonic()
    sizes = []
    for _ in range(SCRAPES):
        status, body = curl(lab, "a", f"http://127.0.0.1:{PORT}/metrics")
        assert status == 200
        sizes.append(len(body))
    wall = (time.monotonic() - started) / SCRAPES
    cpu = (daemon_cpu_seconds(pid) - cpu_before) / SCRAPES
    print(f"\nscrape of {INSTANCES} instances: {sizes[-1]} bytes, {wall * 1000:.1f} ms per"
          f" scrape (curl, wall), daemon CPU {cpu * 1000:.1f} ms per scrape"
          f" (adverts included)")
    # generous bounds (a shared 2-core machine): the figures are in the report above
    assert cpu < 0.25
    assert wall < 1.0
    assert node.stop() == 0
