"""The checker process's KEEPALIVED-MIB rows (virtual and real servers) and its traps.

keepalived's checker process serves the `check` subtree (KEEPALIVED-MIB ...9586.100.5.3,
keepalived/check/check_snmp.c) when `enable_snmp_checker` (or `-x`) is set: one row per
virtual server (virtualServerTable, index = its position in the config) and one per
real server of each (realServerTable, index = (virtual server, position), the sorry
server first when there is one), plus two traps: realServerStateChange and
virtualServerQuorumStateChange.

Rows come from a frozen check snapshot (observe/check_capture.py). Not served: the
IPVS statistics and rate columns (virtualServerStats*, virtualServerRate*,
realServerStats*, realServerRate*), which keepalived reads from the kernel on each
request; and the virtual server group tables.
"""

from __future__ import annotations

import re
from ipaddress import ip_address
from typing import TYPE_CHECKING

from pykeepalived.observe.snmp_agentx import (
    Oid,
    Value,
    VarBind,
    gauge,
    integer,
    object_id,
    octets,
)
from pykeepalived.observe.snmp_mib import CHECK, ROUTER_ID, SNMP_TRAP_OID, truth

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from pykeepalived.config.model_check import Forwarding
    from pykeepalived.observe.check_snapshot import (
        CheckSnapshot,
        RealServerView,
        ScriptLine,
        SorryView,
        VirtualServerView,
    )

VS_ENTRY = (*CHECK, 3, 1)
RS_ENTRY = (*CHECK, 4, 1)
TRAP_RS_STATE = (*CHECK, 5, 0, 1)
TRAP_QUORUM = (*CHECK, 5, 0, 2)

_ALGOS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf",
          "mh", "twos")
_KINDS = {"NAT": 1, "DR": 2, "TUN": 3}
_TUNNEL_TYPES = {"ipip": 1, "gue": 2, "gre": 3}
_CHECKSUMS = {"nocsum": 1, "csum": 2, "remcsum": 3}
#: IP_VS_SVC_F_* bits of the service flags
_HASHED, _ONEPACKET, _SCHED1, _SCHED2, _SCHED3 = 0x0002, 0x0004, 0x0008, 0x0010, 0x0020
_SORRY_TEXT = re.compile(r"^\[(?P<address>[^\]]+)\]:\w+:(?P<port>\d+)$")

Row = tuple[Oid, Value]


def check_rows(snapshot: CheckSnapshot, *, names: Sequence[tuple[str | None,
                                                                  tuple[str | None, ...]]] = ()
               ) -> list[Row]:
    """Every row of the checker's subtree. `names`: each virtual server's snmp_name and
    its real servers' (from the config, in the same order), when known."""
    rows: list[Row] = []
    for index, vs in enumerate(snapshot.virtual_servers, start=1):
        vs_name, rs_names = names[index - 1] if index <= len(names) else (None, ())
        rows += [((*VS_ENTRY, column, index), value)
                 for column, value in _vs_columns(vs, vs_name)]
        position = 0
        if vs.sorry is not None:
            position += 1
            rows += [((*RS_ENTRY, column, index, position), value)
                     for column, value in _sorry_columns(vs.sorry)]
        for n, rs in enumerate(vs.real_servers):
            position += 1
            rs_name = rs_names[n] if n < len(rs_names) else None
            rows += [((*RS_ENTRY, column, index, position), value)
                     for column, value in _rs_columns(rs, rs_name)]
    return rows


def _family(family: int | None) -> int:
    return 2 if family == 6 else 1


def _protocol(protocol: int) -> int:
    return {6: 1, 17: 2, 132: 3}.get(protocol, 4)


def _seconds(us: int | None) -> int:
    return 0 if us is None else us // 1_000_000


def _vs_type(vs: VirtualServerView) -> int:
    return {"group": 3, "fwmark": 1}.get(vs.kind, 2)


def _group_name(vs: VirtualServerView) -> str:
    return vs.label[1:vs.label.index("]")] if vs.label.startswith("[") else vs.label


def _vs_columns(vs: VirtualServerView, name: str | None) -> Iterator[tuple[int, Value]]:
    yield 2, integer(_vs_type(vs))
    if vs.kind == "group":
        yield 3, octets(_group_name(vs))
    if vs.kind == "fwmark":
        yield 4, gauge(vs.fwmark)
    yield 5, integer(_family(vs.family))
    if vs.kind == "address":
        yield 6, octets(ip_address(vs.address).packed)
        yield 7, gauge(vs.port)
    if vs.kind != "fwmark":
        yield 8, integer(_protocol(vs.protocol))
    yield 9, integer(_ALGOS.index(vs.scheduler) + 1 if vs.scheduler in _ALGOS else 99)
    if vs.forwarding is not None and vs.forwarding.method in _KINDS:
        yield 10, integer(_KINDS[vs.forwarding.method])
    yield 11, truth(vs.alive)
    if vs.virtualhost is not None:
        yield 12, octets(vs.virtualhost)
    yield 13, truth(bool(vs.persistence_timeout))
    if vs.persistence_timeout:
        yield 14, gauge(vs.persistence_timeout)
    if vs.family != 6:
        yield 15, octets((vs.persistence_granularity or 0).to_bytes(4, "big"))
    yield 16, gauge(_seconds(vs.delay_loop_us))
    yield 17, truth(vs.ha_suspend)
    yield 18, truth(vs.alpha)
    yield 19, truth(vs.omega)
    yield 20, gauge(len(vs.real_servers))
    yield 21, gauge(sum(rs.alive for rs in vs.real_servers))
    yield 22, gauge(vs.quorum)
    yield 23, truth(vs.quorum_up)
    if vs.quorum_up_script is not None:
        yield 24, octets(_script(vs.quorum_up_script))
    if vs.quorum_down_script is not None:
        yield 25, octets(_script(vs.quorum_down_script))
    yield 26, gauge(vs.hysteresis)
    yield 37, truth(bool(vs.flags & _ONEPACKET))
    if vs.family != 4:
        yield 51, gauge(vs.persistence_granularity or 0)
    yield 52, truth(bool(vs.flags & _HASHED))
    yield 53, truth(bool(vs.flags & _SCHED1))
    yield 54, truth(bool(vs.flags & _SCHED2))
    yield 55, truth(bool(vs.flags & _SCHED3))
    yield 56, truth(not vs.inhibit)
    yield 57, gauge(vs.retry or 0)
    yield 58, gauge(_seconds(vs.delay_before_retry_us))
    yield 59, gauge(_seconds(vs.warmup_us))
    yield 60, integer(vs.alive_weight)
    yield 61, truth(vs.smtp_alert)
    yield 62, truth(bool(vs.flags & _SCHED1))
    yield 63, truth(bool(vs.flags & _SCHED2))
    yield 64, gauge(vs.delay_loop_us)
    yield 65, gauge(vs.delay_before_retry_us or 0)
    yield 66, gauge(vs.warmup_us or 0)
    yield 67, gauge(vs.connect_timeout_us)
    yield from _tunnel(vs.forwarding, 68)
    if name is not None:
        yield 71, octets(name)


def _tunnel(forwarding: Forwarding | None, first: int) -> Iterator[tuple[int, Value]]:
    if forwarding is None or forwarding.method != "TUN":
        return
    yield first, integer(_TUNNEL_TYPES.get(forwarding.tunnel_type, 1))
    if forwarding.tunnel_type == "gue":
        yield first + 1, gauge(forwarding.tunnel_port)
    if forwarding.tunnel_type != "ipip":
        yield first + 2, integer(_CHECKSUMS.get(forwarding.checksum, 0))


def _script(line: ScriptLine) -> str:
    return line.command


def _endpoint(text: str) -> tuple[bytes, int, int]:
    """(packed address, port, family) of a `[address]:proto:port` text."""
    match = _SORRY_TEXT.match(text)
    if match is None:
        return b"", 0, 1
    address = ip_address(match["address"])
    return address.packed, int(match["port"]), 1 if address.version == 4 else 2


def _sorry_columns(sorry: SorryView) -> Iterator[tuple[int, Value]]:
    packed, port, family = _endpoint(sorry.text)
    yield 2, integer(2)
    yield 3, integer(family)
    yield 4, octets(packed)
    yield 5, gauge(port)
    if sorry.forwarding.method in _KINDS:
        yield 40, integer(_KINDS[sorry.forwarding.method])
    yield from _tunnel(sorry.forwarding, 52)


def _rs_columns(rs: RealServerView, name: str | None) -> Iterator[tuple[int, Value]]:
    address = ip_address(rs.address)
    yield 2, integer(1)
    yield 3, integer(1 if address.version == 4 else 2)
    yield 4, octets(address.packed)
    yield 5, gauge(rs.port)
    yield 6, truth(rs.alive)
    yield 7, integer(rs.weight)
    if rs.u_threshold:
        yield 8, gauge(rs.u_threshold)
    if rs.l_threshold:
        yield 9, gauge(rs.l_threshold)
    yield 10, truth(not rs.inhibit)
    if rs.notify_up is not None:
        yield 11, octets(_script(rs.notify_up))
    if rs.notify_down is not None:
        yield 12, octets(_script(rs.notify_down))
    yield 13, gauge(rs.failed)
    if rs.forwarding.method in _KINDS:
        yield 40, integer(_KINDS[rs.forwarding.method])
    if rs.virtualhost is not None:
        yield 41, octets(rs.virtualhost)
    yield 42, truth(rs.alpha)
    yield 43, gauge(rs.retry or 0)
    yield 44, gauge(_seconds(rs.delay_before_retry_us))
    yield 45, gauge(_seconds(rs.warmup_us))
    yield 46, gauge(_seconds(rs.delay_loop_us))
    yield 47, truth(rs.smtp_alert)
    yield 48, gauge(rs.delay_before_retry_us or 0)
    yield 49, gauge(rs.warmup_us or 0)
    yield 50, gauge(rs.delay_loop_us)
    yield 51, gauge(rs.connect_timeout_us)
    yield from _tunnel(rs.forwarding, 52)
    if name is not None:
        yield 55, octets(name)


# ------------------------------------------------------------------ traps
def real_server_trap(vs: VirtualServerView, rs: RealServerView, router_id: str
                     ) -> list[VarBind]:
    """realServerStateChange, keepalived's varbinds (columns without an index)."""
    address = ip_address(rs.address)
    return [VarBind(SNMP_TRAP_OID, object_id(TRAP_RS_STATE)),
            VarBind((*RS_ENTRY, 3), integer(1 if address.version == 4 else 2)),
            VarBind((*RS_ENTRY, 4), octets(address.packed)),
            VarBind((*RS_ENTRY, 5), gauge(rs.port)),
            VarBind((*RS_ENTRY, 6), truth(rs.alive)),
            *_vs_trap_tail(vs, router_id, quorum=None)]


def quorum_trap(vs: VirtualServerView, router_id: str, *, stopping: bool = False
                ) -> list[VarBind]:
    """virtualServerQuorumStateChange: quorum status up(1), down(2), stopping(3)."""
    status = 3 if stopping else (1 if vs.quorum_up else 2)
    return [VarBind(SNMP_TRAP_OID, object_id(TRAP_QUORUM)),
            *_vs_trap_tail(vs, router_id, quorum=status)]


def _vs_trap_tail(vs: VirtualServerView, router_id: str, *, quorum: int | None
                  ) -> list[VarBind]:
    out = [VarBind((*VS_ENTRY, 2), integer(_vs_type(vs)))]
    if vs.kind == "group":
        out.append(VarBind((*VS_ENTRY, 3), octets(_group_name(vs))))
    elif vs.kind == "fwmark":
        out.append(VarBind((*VS_ENTRY, 4), gauge(vs.fwmark)))
    else:
        out += [VarBind((*VS_ENTRY, 5), integer(_family(vs.family))),
                VarBind((*VS_ENTRY, 6), octets(ip_address(vs.address).packed)),
                VarBind((*VS_ENTRY, 7), gauge(vs.port))]
    # keepalived sends TruthValue(tcp) here, not the protocol enum
    out.append(VarBind((*VS_ENTRY, 8), truth(vs.protocol == 6)))
    if quorum is not None:
        out += [VarBind((*VS_ENTRY, 23), integer(quorum)),
                VarBind((*VS_ENTRY, 22), gauge(vs.quorum))]
    out += [VarBind((*VS_ENTRY, 21), gauge(sum(rs.alive for rs in vs.real_servers))),
            VarBind((*VS_ENTRY, 20), gauge(len(vs.real_servers))),
            VarBind(ROUTER_ID, octets(router_id))]
    return out
