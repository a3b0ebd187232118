"""The checker's KEEPALIVED-MIB rows and traps, from a driven check snapshot.

The run is the check reference's example: 8080 up by HTTP_GET, 8081 down by TCP_CHECK,
quorum 2 lost, the sorry server in the pool. Values as keepalived's check_snmp.c
computes them (real IPVS exists only in the VM tests, so there is no live keepalived
walk of these tables here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pykeepalived.observe import snmp_agentx as ax
from pykeepalived.observe.snmp_agentx import MibView, SearchRange, ValueType
from pykeepalived.observe.snmp_check import (
    RS_ENTRY,
    TRAP_QUORUM,
    TRAP_RS_STATE,
    VS_ENTRY,
    check_rows,
    quorum_trap,
    real_server_trap,
)
from pykeepalived.observe.snmp_mib import CHECK, ROUTER_ID
from tests.unit.observe.check_cores import drive, load_text, snapshot, verdicts
from tests.unit.observe.check_reference import REFERENCE_CONF

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.observe.check_snapshot import CheckSnapshot

FWMARK_CONF = """
virtual_server fwmark 7 {
  delay_loop 10
  lvs_sched sh
  lvs_method DR
  persistence_timeout 300
  real_server 192.0.2.20 80 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
"""


@pytest.fixture
def reference(tmp_path: Path) -> CheckSnapshot:
    config = load_text(tmp_path, REFERENCE_CONF)
    spec, cores = drive(config, verdicts("HTTP_GET"))
    return snapshot(config, spec, cores)


def values(rows: list[tuple[tuple[int, ...], ax.Value]], entry: tuple[int, ...]
           ) -> dict[tuple[int, ...], object]:
    return {oid[len(entry):]: v.value for oid, v in rows if oid[:len(entry)] == entry}


def test_virtual_server_row(reference: CheckSnapshot) -> None:
    vs = values(check_rows(reference, names=[("web", ())]), VS_ENTRY)
    assert vs[(2, 1)] == 2                              # an address virtual server
    assert vs[(5, 1)] == 1
    assert vs[(6, 1)] == bytes([192, 0, 2, 100])
    assert (vs[(7, 1)], vs[(8, 1)], vs[(9, 1)], vs[(10, 1)]) == (80, 1, 2, 1)  # TCP wrr NAT
    assert (vs[(16, 1)], vs[(64, 1)]) == (3, 3_000_000)
    assert (vs[(20, 1)], vs[(21, 1)]) == (2, 1)         # two real servers, one up
    assert (vs[(22, 1)], vs[(23, 1)]) == (2, 2)         # quorum 2, down
    assert vs[(13, 1)] == 2
    assert (14, 1) not in vs                            # no persistence
    assert (3, 1) not in vs
    assert (4, 1) not in vs
    assert vs[(71, 1)] == b"web"


def test_real_servers_follow_the_sorry_server(reference: CheckSnapshot) -> None:
    rs = values(check_rows(reference), RS_ENTRY)
    assert (rs[(2, 1, 1)], rs[(5, 1, 1)]) == (2, 9999)   # the sorry server first
    assert (6, 1, 1) not in rs
    assert (7, 1, 1) not in rs
    assert (rs[(2, 1, 2)], rs[(4, 1, 2)], rs[(5, 1, 2)]) == (1, bytes([192, 0, 2, 10]), 8080)
    assert (rs[(6, 1, 2)], rs[(6, 1, 3)]) == (1, 2)     # 8080 up, 8081 down
    assert (rs[(7, 1, 2)], rs[(7, 1, 3)]) == (1, 2)     # weights
    assert (rs[(13, 1, 2)], rs[(13, 1, 3)]) == (0, 1)   # failed checkers
    assert rs[(43, 1, 3)] == 0                          # retry is the checker's, not the RS's
    assert rs[(51, 1, 2)] == 5_000_000


def test_fwmark_virtual_server_has_no_address_or_protocol(tmp_path: Path) -> None:
    config = load_text(tmp_path, FWMARK_CONF)
    spec, cores = drive(config, verdicts("TCP_CHECK"))
    vs = values(check_rows(snapshot(config, spec, cores)), VS_ENTRY)
    assert (vs[(2, 1)], vs[(4, 1)], vs[(9, 1)], vs[(10, 1)]) == (1, 7, 8, 2)
    assert not {(6, 1), (7, 1), (8, 1)} & vs.keys()
    assert (vs[(13, 1)], vs[(14, 1)]) == (1, 300)


def test_rows_walk_in_order(reference: CheckSnapshot) -> None:
    view = MibView.of(check_rows(reference))
    cursor: tuple[int, ...] = CHECK
    walked = []
    for _ in range(len(view.rows) + 1):
        step = view.next(SearchRange(cursor, ()))
        if step.value.type == ValueType.END_OF_MIB_VIEW:
            break
        walked.append(step.oid)
        cursor = step.oid
    assert walked == sorted(oid for oid, _ in view.rows)
    assert view.get((*VS_ENTRY, 21, 1)) == ax.gauge(1)


def test_traps_carry_keepalived_s_varbinds(reference: CheckSnapshot) -> None:
    vs = reference.virtual_servers[0]
    down = vs.real_servers[1]
    trap = real_server_trap(vs, down, "lab")
    assert trap[0].value.value == TRAP_RS_STATE
    assert [vb.oid for vb in trap[1:]] == [
        (*RS_ENTRY, 3), (*RS_ENTRY, 4), (*RS_ENTRY, 5), (*RS_ENTRY, 6), (*VS_ENTRY, 2),
        (*VS_ENTRY, 5), (*VS_ENTRY, 6), (*VS_ENTRY, 7), (*VS_ENTRY, 8), (*VS_ENTRY, 21),
        (*VS_ENTRY, 20), ROUTER_ID]
    assert [vb.value.value for vb in trap[1:]] == [
        1, bytes([192, 0, 2, 10]), 8081, 2, 2, 1, bytes([192, 0, 2, 100]), 80, 1, 1, 2,
        b"lab"]
    quorum = quorum_trap(vs, "lab")
    assert quorum[0].value.value == TRAP_QUORUM
    assert [(vb.oid[-1], vb.value.value) for vb in quorum[6:8]] == [(23, 2), (22, 2)]
    assert quorum_trap(vs, "lab", stopping=True)[6].value.value == 3
