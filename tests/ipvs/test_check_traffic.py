"""pykeepalived -C carrying client traffic: a real server killed and back, then reloads.

An LVS-NAT lab (netlab/lvs.py): a client on the front LAN, the director, three real
servers behind it whose default route is the director. The VIPs are on the director's
front interface. One daemon start serves the module:

- VS A (192.0.2.100:80, rr) and VS B (192.0.2.101:80, the same with
  inhibit_on_failure) balance busybox httpd on rs1 and rs2, each answering its name;
  TCP_CHECK with delay_loop 1, connect_timeout 1, retry 0.
- VS L (192.0.2.102:7000) balances `lines` servers (netlab/nsservers.py), which keep a
  connection open and answer every line with their name: the client's long-lived
  connections, used in the reloads.

The kill test kills rs1's httpd by its PID: its destination must leave A (and go to
weight 0 in B) within delay_loop + connect_timeout + slack, measured from the kill with
the IPVS dump polled every 50 ms; the client then reaches only rs2; rs1's httpd started
again must come back as fast. The reload tests send SIGHUP with an unchanged config, a
weight change, a real server added, then removed, then a service added and one removed:
each time the table must match the new config, counters that only grow prove unchanged
entries were never deleted and re-added, and the client's long-lived connections (in
`ipvsadm -Lnc`, ESTABLISHED) keep answering throughout.
"""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING

import pytest

from tests.ipvs.check_lab import render, settle, wait_until
from tests.ipvs.ipvs_lab import table
from tests.ipvs.traffic_lab import (
    CONNECT_TIMEOUT,
    DELAY_LOOP,
    REALS,
    VIP_A,
    VIP_B,
    VIP_C,
    VIP_L,
    Director,
    LongLived,
    ask_http,
    ask_line,
    connections_of,
    director_config,
    expected_rows,
    stats,
    without_counters,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from netlab.conf import Config

pytestmark = pytest.mark.ipvs

#: pykeepalived's start: imports alone take 15-70 s in the emulated VM, by host load
START_LIMIT = 150.0
#: scheduling and a Python probe in a slow emulated VM
SLACK = 3.0
BOUND = DELAY_LOOP + CONNECT_TIMEOUT + SLACK
#: a reload reads and builds the whole config again, in the slow VM
RELOAD_LIMIT = 60.0


@pytest.fixture(scope="module")
def director(traffic_director: Director) -> Director:
    """The session's traffic director (tests/ipvs/conftest.py; the parity module may have
    started it already), once pykeepalived has programmed its three services."""
    wait_until(traffic_director.rows,
               lambda rows: rows == expected_rows(traffic_director.config),
               timeout=START_LIMIT, interval=0.5,
               what="pykeepalived to program the three services")
    return traffic_director


def answers(director: Director, vip: str, count: int = 4) -> list[str]:
    return [ask_http(director.client, vip) for _ in range(count)]


def test_killed_real_server_leaves_ipvs_and_comes_back(director: Director) -> None:
    print(f"before: ipvsadm -Ln\n{render(table(director.ns))}")
    assert set(answers(director, VIP_A)) == {"rs1", "rs2"}
    assert set(answers(director, VIP_B)) == {"rs1", "rs2"}

    killed = time.monotonic()
    director.httpd["rs1"].stop(signal.SIGKILL)
    seen: dict[str, float] = {}
    for _ in range(int(3 * BOUND / 0.05)):
        now = time.monotonic() - killed
        if "rs1" not in director.weights(VIP_A):
            seen.setdefault("A", now)
        if director.weights(VIP_B).get("rs1") == 0:
            seen.setdefault("B", now)
        if len(seen) == 2 or now > 3 * BOUND:
            break
        time.sleep(0.05)
    print(f"rs1 killed: out of A after {seen.get('A', -1):.2f} s, weight 0 in B after"
          f" {seen.get('B', -1):.2f} s (bound {BOUND:g} s)\n"
          f"after: ipvsadm -Ln\n{render(table(director.ns))}")
    assert director.weights(VIP_A) == {"rs2": 1}
    assert director.weights(VIP_B) == {"rs1": 0, "rs2": 1}
    assert seen["A"] <= BOUND
    assert seen["B"] <= BOUND
    assert set(answers(director, VIP_A, 6)) == {"rs2"}
    assert set(answers(director, VIP_B, 6)) == {"rs2"}

    restarted = time.monotonic()
    director.start_httpd("rs1")
    _, back = wait_until(lambda: (director.weights(VIP_A), director.weights(VIP_B)),
                         lambda w: w[0].get("rs1") == 1 and w[1].get("rs1") == 1,
                         timeout=3 * BOUND, interval=0.05, what="rs1 back in A and B")
    print(f"rs1 restarted: back in A and B {time.monotonic() - restarted:.2f} s after its"
          f" start ({back:.2f} s after it listened)\nback: ipvsadm -Ln\n"
          f"{render(table(director.ns))}")
    assert back <= BOUND
    assert set(answers(director, VIP_A)) == {"rs1", "rs2"}
    assert set(answers(director, VIP_B)) == {"rs1", "rs2"}


@pytest.fixture(scope="module")
def long_lived(director: Director) -> Iterator[LongLived]:
    with LongLived(director.client, VIP_L, 2) as client:
        assert sorted(client.names) == ["rs1", "rs2"]
        yield client


def reload_to(director: Director, client: LongLived, config: Config, *,
              kept: tuple[str, ...]) -> None:
    """SIGHUP with `config`; then the table must be the new config's, the counters of
    the `kept` entries (service rows and `service -> dest`) must only have grown, the
    client's connections must still be there and keep answering."""
    before, conns = stats(director.ns), connections_of(director.ns, client.sources)
    assert len(conns) == 2, conns
    progress, log_at = client.progress(), len(director.daemon.log())
    director.daemon.reload(config)
    checkers = sum(len(vs.real_servers) for vs in config.virtual_servers)
    wait_until(director.daemon.log,
               lambda text: text[log_at:].count("Activating healthchecker") >= checkers,
               timeout=RELOAD_LIMIT, interval=0.5, what="the reload to re-activate the checkers")
    rows, settled = settle(director.rows, until=lambda r: r == expected_rows(config),
                           timeout=10.0, interval=0.5)
    print(f"after the reload: ipvsadm -Ln\n{render(table(director.ns))}")
    assert settled, f"the table is not the new config's:\n{render(rows)}"
    after = stats(director.ns)
    for entry in kept:
        assert after[entry] >= before[entry], f"{entry}: counters {before[entry]} -> {after[entry]}"
    assert connections_of(director.ns, client.sources) == conns
    assert all("ESTABLISHED" in row for row in conns), conns
    wait_until(client.progress, lambda now: all(n > p + 2 for n, p in zip(now, progress,
                                                                            strict=True)),
               timeout=10.0, what="the long-lived connections to answer after the reload")
    assert client.failures == []
    director.config = config


def entries(director: Director, *vips: str) -> tuple[str, ...]:
    """The current stats keys (services and their dests) of these VIPs."""
    return tuple(k for k in stats(director.ns) if any(f" {vip}:" in k for vip in vips))


def test_reload_unchanged_config_changes_nothing(director: Director,
                                                 long_lived: LongLived) -> None:
    before = table(director.ns)
    reload_to(director, long_lived, director.config,
              kept=entries(director, VIP_A, VIP_B, VIP_L))
    assert without_counters(table(director.ns)) == without_counters(before)


def test_reload_weight_change(director: Director, long_lived: LongLived) -> None:
    reload_to(director, long_lived, director_config({"rs1": 2, "rs2": 1}),
              kept=entries(director, VIP_A, VIP_B, VIP_L))


def test_reload_real_server_added(director: Director, long_lived: LongLived) -> None:
    reload_to(director, long_lived, director_config({"rs1": 2, "rs2": 1, "rs3": 1}),
              kept=entries(director, VIP_A, VIP_B, VIP_L))
    assert "rs3" in {ask_line(director.client, VIP_L) for _ in range(4)}


def test_reload_real_server_removed(director: Director, long_lived: LongLived) -> None:
    kept = tuple(k for k in entries(director, VIP_A, VIP_B, VIP_L) if REALS["rs3"] not in k)
    reload_to(director, long_lived, director_config({"rs1": 2, "rs2": 1}), kept=kept)
    assert "rs3" not in {ask_line(director.client, VIP_L) for _ in range(4)}


def test_reload_service_added_and_one_removed(director: Director,
                                              long_lived: LongLived) -> None:
    reload_to(director, long_lived, director_config({"rs1": 2, "rs2": 1}, with_b=False,
                                                    with_c=True),
              kept=entries(director, VIP_A, VIP_L))
    assert {ask_line(director.client, VIP_C) for _ in range(4)} == {"rs1", "rs2"}
    assert ask_http(director.client, VIP_B).startswith("error")
