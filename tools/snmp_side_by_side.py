"""A walk of each MIB and a failover's traps, keepalived 2.2.7 beside pykeepalived.

The same two-node configuration (a sync group with a VRRPv2 instance, a VRRPv3
instance; enable_snmp_vrrp, enable_snmp_rfc, enable_traps) runs under keepalived, then
under pykeepalived, in one lab with Debian's snmpd and snmptrapd (netlab.snmp). Prints
master a's walk of KEEPALIVED-MIB, VRRP-MIB and VRRPv3-MIB side by side (`=` same
value, `~` same type, `!` different), how long each walk took, and the traps b's
snmptrapd received when a stopped. Needs root; about 30 s.

    sudo .venv/bin/python -m tools.snmp_side_by_side

(from the checkout root).
"""

from __future__ import annotations

import time

from netlab.lab import Lab, wait_for
from netlab.peers import KeepalivedPeer, PrivatePyNode, wait_address
from netlab.snmp import (
    KEEPALIVED_MIB,
    PAIR_VIPS,
    VRRP_MIB,
    VRRPV3_MIB,
    Snmp,
    Trap,
    Varbind,
    pair_config,
)

VIPS = PAIR_VIPS


def run(lab: Lab, snmp: dict[str, Snmp], kind: str
        ) -> tuple[dict[str, list[Varbind]], dict[str, float], list[Trap]]:
    make = KeepalivedPeer if kind == "keepalived" else PrivatePyNode
    a = make(lab, "a", pair_config("a", 150, snmp["a"].agentx_socket), name=f"{kind}-a")
    b = make(lab, "b", pair_config("b", 100, snmp["b"].agentx_socket), name=f"{kind}-b")
    a.start()
    for vip in VIPS:
        wait_address(lab, "a", vip, timeout=15)
    b.start()
    wait_for(lambda: [vb.value for vb in snmp["b"].get(f"{KEEPALIVED_MIB}.2.3.1.4.1")]
             == ["1"], 15, what=f"{kind} b registered and BACKUP")
    time.sleep(2)  # a tool, not a test: let b hear a few adverts before the walk
    walks: dict[str, list[Varbind]] = {}
    took: dict[str, float] = {}
    for root in (KEEPALIVED_MIB, VRRP_MIB, VRRPV3_MIB):
        start = time.monotonic()
        walks[root] = snmp["a"].walk(root)
        took[root] = time.monotonic() - start
    before = len(snmp["b"].traps())
    a.stop()
    traps = snmp["b"].wait_traps(lambda seen: len(seen) - before >= 6, what="traps")
    time.sleep(1)
    traps = snmp["b"].traps()[before:]
    b.stop()
    return walks, took, traps


def side_by_side(theirs: list[Varbind], ours: list[Varbind]) -> list[str]:
    mine = {vb.oid: vb for vb in ours}
    real = {vb.oid: vb for vb in theirs}
    lines = []
    for oid in sorted(mine.keys() | real.keys(),
                      key=lambda o: tuple(int(p) for p in o.strip(".").split("."))):
        k, p = real.get(oid), mine.get(oid)
        mark = "!" if k is None or p is None or k.kind != p.kind else (
            "=" if k.value == p.value else "~")
        show = [f"{v.kind} {v.value}" if v is not None else "(absent)" for v in (k, p)]
        lines.append(f"{mark} {oid:<44} {show[0]:<40} {show[1]}")
    return lines


def main() -> int:
    with Lab(["a", "b"], prefix="snmpsbs", base=70) as lab:
        snmp = {host: Snmp(lab, host).start() for host in ("a", "b")}
        k_walks, k_took, k_traps = run(lab, snmp, "keepalived")
        p_walks, p_took, p_traps = run(lab, snmp, "pykeepalived")
    for root in (KEEPALIVED_MIB, VRRP_MIB, VRRPV3_MIB):
        print(f"\n## walk of {root} on master a: keepalived ({len(k_walks[root])} rows, "
              f"{k_took[root] * 1000:.0f} ms) | pykeepalived ({len(p_walks[root])} rows, "
              f"{p_took[root] * 1000:.0f} ms)")
        print("\n".join(side_by_side(k_walks[root], p_walks[root])))
    for kind, traps in (("keepalived", k_traps), ("pykeepalived", p_traps)):
        print(f"\n## traps at b's snmptrapd when a stopped: {kind}")
        for trap in traps:
            print("  " + "  ".join(f"{vb.oid}={vb.value}" for vb in trap.varbinds
                                   if vb.oid != ".1.3.6.1.2.1.1.3.0"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
