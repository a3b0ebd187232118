"""The VRRP process's MIB rows and traps, from a snapshot of real cores on a virtual clock.

The reference for every row is a walk of keepalived 2.2.7 with the same configuration
(tests/netns/snmp compares the two live); here each rule is pinned on its own.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_config
from pykeepalived.observe import snmp_agentx as ax
from pykeepalived.observe import snmp_mib as mib
from pykeepalived.observe.capture import build_snapshot
from pykeepalived.observe.snmp_agentx import SearchRange, ValueType
from pykeepalived.observe.snmp_mib import MibSelection, SnmpFacts
from pykeepalived.specs.instance import instance_params
from pykeepalived.vrrp.events import Startup, Timeout
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.params import State

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.config import model
    from pykeepalived.observe.snapshot import DumpSnapshot

CONFIG = """\
global_defs {
    router_id node-a
    enable_traps
}
vrrp_sync_group G1 {
    group {
        VI_1
    }
    notify_master "/bin/true master"
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {
        192.0.2.51/24
    }
    virtual_ipaddress_excluded {
        192.0.2.59/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    version 3
    nopreempt
    virtual_ipaddress {
        192.0.2.52/24
        192.0.2.53/24
    }
}
"""
SOURCE = IPv4Address("192.0.2.11")
FACTS = {"VI_1": SnmpFacts(ifindex=2, mac=bytes.fromhex("02000000 0a01"), primary=str(SOURCE)),
         "VI_2": SnmpFacts(ifindex=2, mac=bytes.fromhex("02000000 0a01"), primary=str(SOURCE))}
ALL = MibSelection(keepalived=True, rfcv2=True, rfcv3=True, traps=True)


def _load(tmp_path: Path) -> model.Config:
    path = tmp_path / "keepalived.conf"
    path.write_text(CONFIG)
    loaded = load_config(str(path), host=HostFacts(interfaces=frozenset({"lo", "eth0"})))
    assert loaded.config is not None
    return loaded.config


def _snapshot(config: model.Config, *, master: set[str]) -> DumpSnapshot:
    """Cores driven on a virtual clock until those in `master` are MASTER."""
    cores = {cfg.name: VrrpInstance(instance_params(config.global_defs, cfg, SOURCE))
             for cfg in config.instances}
    now = 100.0
    for core in cores.values():
        core.handle(Startup(), now=now)
    for _ in range(50):
        if {n for n, c in cores.items() if c.state is State.MASTER} >= master:
            break
        due = [c.next_deadline() for n, c in cores.items() if n in master]
        now = min(d for d in due if d is not None)
        for name in master:
            if cores[name].next_deadline() == now:
                cores[name].handle(Timeout(), now=now)
    return build_snapshot(config, cores, {}, wall_now=1.8e9, mono_now=now)


def _rows(config: model.Config, snapshot: DumpSnapshot) -> dict[tuple[int, ...], ax.Value]:
    view = mib.vrrp_view(snapshot, config, FACTS, ALL, version="v")
    return dict(view.rows)


def test_instance_table_shows_states_priorities_and_versions(tmp_path: Path) -> None:
    config = _load(tmp_path)
    rows = _rows(config, _snapshot(config, master={"VI_1"}))

    def col(column: int, index: int) -> object:
        return rows[(*mib.INSTANCE_ENTRY, column, index)].value

    assert [col(2, 1), col(2, 2)] == [b"VI_1", b"VI_2"]
    assert [col(3, 1), col(3, 2)] == [51, 52]
    assert [col(4, 1), col(4, 2)] == [2, 1]            # MASTER, BACKUP
    assert [col(5, 1), col(5, 2)] == [2, 1]            # configured state
    assert [col(7, 1), col(8, 1), col(7, 2)] == [150, 150, 100]
    assert [col(9, 1), col(9, 2)] == [1, 2]            # VIPs set only on the master
    assert [col(12, 1), col(12, 2)] == [1, 100]        # v2 seconds, v3 centiseconds
    assert [col(13, 1), col(13, 2)] == [1, 2]          # preempt / nopreempt
    assert [col(27, 1), col(27, 2)] == [0, 1]          # accept: 0 for VRRPv2
    assert [col(30, 1), col(30, 2)] == [2, 3]
    assert col(18, 1) == b"G1"
    assert (*mib.INSTANCE_ENTRY, 18, 2) not in rows
    assert col(35, 1) == bytes([224, 0, 0, 18])
    assert rows[(*mib.INSTANCE_ENTRY, 3, 1)].type == ValueType.GAUGE32


def test_address_table_numbers_vips_then_evips_and_only_the_first_advertises(
        tmp_path: Path) -> None:
    config = _load(tmp_path)
    rows = _rows(config, _snapshot(config, master={"VI_1"}))
    value = {key[-3:]: v.value for key, v in rows.items() if key[:-3] == mib.ADDRESS_ENTRY}
    assert value[(3, 1, 1)] == bytes([192, 0, 2, 51])
    assert value[(3, 1, 2)] == bytes([192, 0, 2, 59])   # the eVIP follows the VIP
    assert [value[(3, 2, 1)], value[(3, 2, 2)]] == [bytes([192, 0, 2, 52]),
                                                    bytes([192, 0, 2, 53])]
    assert [value[(11, 1, 1)], value[(11, 1, 2)], value[(11, 2, 1)]] == [1, 2, 2]
    assert [value[(10, 1, 1)], value[(10, 2, 1)]] == [1, 2]   # set on the master only
    assert value[(5, 1, 1)] == 24
    assert value[(7, 1, 1)] == 2
    assert value[(6, 1, 1)] == 14


def test_sync_group_follows_its_members(tmp_path: Path) -> None:
    config = _load(tmp_path)
    for master, state in ((set(), 1), ({"VI_1"}, 2)):
        rows = _rows(config, _snapshot(config, master=master))
        assert rows[(*mib.SYNC_GROUP_ENTRY, 2, 1)].value == b"G1"
        assert rows[(*mib.SYNC_GROUP_ENTRY, 3, 1)].value == state
        assert rows[(*mib.SYNC_GROUP_ENTRY, 5, 1)].value == 1       # a notify script
        assert rows[(*mib.SYNC_GROUP_ENTRY, 6, 1)].value == b"'/bin/true' 'master'"
        assert rows[(*mib.SYNC_MEMBER_ENTRY, 2, 1, 1)].value == b"VI_1"


def test_rfc_tables_index_by_ifindex_and_vrid(tmp_path: Path) -> None:
    config = _load(tmp_path)
    rows = _rows(config, _snapshot(config, master={"VI_1"}))
    assert rows[(*mib.RFC_OPER_ENTRY, 3, 2, 51)].value == 3             # master
    assert not any(k[:len(mib.RFC_OPER_ENTRY) + 1] == (*mib.RFC_OPER_ENTRY, 3) and k[-1] == 52
                   for k in rows)                                       # v3: not RFC 2787
    assert rows[(*mib.RFC_OPER_ENTRY, 8, 2, 51)] == ax.ip_address(SOURCE.packed)
    assert rows[(*mib.V3_OPER_ENTRY, 6, 2, 51, 1)].value == 3
    assert rows[(*mib.V3_OPER_ENTRY, 6, 2, 52, 1)].value == 2
    assert rows[(*mib.V3_OPER_ENTRY, 8, 2, 52, 1)].value == 2           # two VIPs
    assert (*mib.VRRPV3_MIB, 1, 1, 2, 1, 2, 2, 52, 1, 192, 0, 2, 53) in rows
    assert rows[(*mib.V3_STATS_ENTRY, 2, 2, 51, 1)].value == 3          # masterNoResponse
    assert rows[(*mib.V3_STATS_ENTRY, 3, 2, 51, 1)].type == ValueType.COUNTER64


def test_selection_limits_the_subtrees(tmp_path: Path) -> None:
    config = _load(tmp_path)
    snapshot = _snapshot(config, master=set())
    only_rfc = MibSelection(keepalived=False, rfcv2=True)
    view = mib.vrrp_view(snapshot, config, FACTS, only_rfc, version="v")
    assert all(oid[:len(mib.VRRP_MIB)] == mib.VRRP_MIB for oid, _ in view.rows)
    assert only_rfc.subtrees() == (mib.VRRP_MIB,)
    assert ALL.subtrees() == (mib.GLOBAL, mib.VRRP, mib.VRRP_MIB, mib.VRRPV3_MIB)


def test_a_walk_reaches_every_row_once_in_order(tmp_path: Path) -> None:
    config = _load(tmp_path)
    view = mib.vrrp_view(_snapshot(config, master={"VI_1"}), config, FACTS, ALL, version="v")
    walked: list[tuple[int, ...]] = []
    cursor: tuple[int, ...] = mib.KEEPALIVED
    for _ in range(len(view.rows) + 1):
        step = view.next(SearchRange(cursor, ()))
        if step.value.type == ValueType.END_OF_MIB_VIEW:
            break
        walked.append(step.oid)
        cursor = step.oid
    keepalived_rows = [oid for oid, _ in view.rows if oid > mib.KEEPALIVED]
    assert walked == keepalived_rows == sorted(set(keepalived_rows))


def test_entering_master_sends_keepalived_then_rfc_traps(tmp_path: Path) -> None:
    config = _load(tmp_path)
    snapshot = _snapshot(config, master={"VI_1"})
    traps = mib.transition_traps("INSTANCE", "VI_1", "MASTER", snapshot, config, FACTS, ALL)
    assert [t[0].value.value for t in traps] == [mib.TRAP_INSTANCE_STATE,
                                                 mib.RFC_TRAP_NEW_MASTER,
                                                 mib.V3_TRAP_NEW_MASTER]
    state = traps[0]
    assert [vb.oid for vb in state[1:]] == [(*mib.INSTANCE_ENTRY, 2), (*mib.INSTANCE_ENTRY, 4),
                                            (*mib.INSTANCE_ENTRY, 5), mib.ROUTER_ID]
    assert [vb.value.value for vb in state[1:]] == [b"VI_1", 2, 2, b"node-a"]
    assert traps[1][1] == ax.VarBind((*mib.RFC_OPER_ENTRY, 7, 2, 51),
                                     ax.ip_address(SOURCE.packed))
    assert traps[2][2].value.value == 3


def test_other_transitions_send_the_state_change_alone(tmp_path: Path) -> None:
    config = _load(tmp_path)
    snapshot = _snapshot(config, master=set())
    backup = mib.transition_traps("INSTANCE", "VI_2", "BACKUP", snapshot, config, FACTS, ALL)
    assert [t[0].value.value for t in backup] == [mib.TRAP_INSTANCE_STATE]
    assert [vb.value.value for vb in backup[0][1:]] == [b"VI_2", 1, 1, b"node-a"]
    stop = mib.transition_traps("GROUP", "G1", "STOP", snapshot, config, FACTS, ALL)
    assert [[vb.value.value for vb in t] for t in stop] == [
        [mib.TRAP_GROUP_STATE, b"G1", 5, b"node-a"]]
    rfc_only = MibSelection(keepalived=False, rfcv2=True)
    assert mib.transition_traps("GROUP", "G1", "MASTER", snapshot, config, FACTS,
                                rfc_only) == []


def test_error_traps_are_indexed_like_keepalived_s(tmp_path: Path) -> None:
    config = _load(tmp_path)
    snapshot = _snapshot(config, master=set())
    vi_1, vi_2 = snapshot.instances
    auth = mib.rfcv2_auth_failure_trap(vi_1, FACTS["VI_1"], "192.0.2.99", 2)
    assert auth is not None
    assert [(vb.oid, vb.value.value) for vb in auth] == [
        (mib.SNMP_TRAP_OID, mib.RFC_TRAP_AUTH_FAILURE),
        ((*mib.VRRP_MIB, 1, 5, 2, 51), bytes([192, 0, 2, 99])),
        ((*mib.VRRP_MIB, 1, 6, 2, 51), 2)]
    assert mib.rfcv2_auth_failure_trap(vi_2, FACTS["VI_2"], "192.0.2.99", 2) is None
    proto = mib.rfcv3_proto_error_trap(vi_2, FACTS["VI_2"], 1)
    assert [(vb.oid, vb.value.value) for vb in proto] == [
        (mib.SNMP_TRAP_OID, mib.V3_TRAP_PROTO_ERROR), ((*mib.V3_STATS_ENTRY, 6, 2, 52, 1), 1)]
