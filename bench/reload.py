"""What a client sees while the master reloads: pykeepalived next to keepalived 2.2.7.

    sudo .venv/bin/python -m bench.reload [--reloads 20] [--impl pykeepalived|keepalived]

from the checkout root. A lab (netlab.lab, namespaces `rlxb-*`) with routers r1
(192.0.2.136, priority 150) and r2 (.137, 100) and a client (.138); VRRPv3, advert_int
0.1, VIP 192.0.2.139, VRID 139, the same keepalived.conf text for both implementations
(netlab.reload.reload_conf). For each implementation and each kind of reload, the client
probes the VIP every 10 ms (UDP echo, netlab.prober) while r1 gets N SIGHUPs in a row,
each sent once the previous one logged "Reload complete" (both implementations log it),
then one quiet second. "unchanged" rewrites the same text; "priority" alternates 140 and
150. Reported: probes lost (no answer within 100 ms), probes answered by r2, the longest
silence between two answers, and whether the VIP ever left r1 or appeared on r2 (polled
every 50 ms plus `ip monitor address`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.lab import Lab, wait_for
from netlab.peers import KeepalivedPeer, PyNode, has_address
from netlab.reload import (
    Client,
    ProbeReport,
    VipWatch,
    WatchReport,
    reload_conf,
    sighup,
    start_echo,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netlab.peers import Daemon

IMPLEMENTATIONS = ("pykeepalived", "keepalived")
KINDS = ("unchanged", "priority")
VIP = "192.0.2.139"
VRID = 139
MASTER, BACKUP, CLIENT = "r1", "r2", "client"


@dataclass(frozen=True)
class Row:
    impl: str
    kind: str
    reloads: int
    completed: int
    probes: ProbeReport
    vip: WatchReport


def configs(kind: str, count: int) -> list[str]:
    if kind == "unchanged":
        return [reload_conf(vrid=VRID, priority=150, vips=[f"{VIP}/24"]).text()] * count
    return [reload_conf(vrid=VRID, priority=140 if n % 2 == 0 else 150,
                        vips=[f"{VIP}/24"]).text() for n in range(count)]


def daemon(lab: Lab, impl: str, host: str, priority: int) -> Daemon:
    config = reload_conf(vrid=VRID, priority=priority, vips=[f"{VIP}/24"])
    if impl == "pykeepalived":
        return PyNode(lab, host, config, name=impl).start()
    return KeepalivedPeer(lab, host, config, name=impl).start()


def measure(lab: Lab, impl: str, kind: str, count: int) -> Row:
    master = daemon(lab, impl, MASTER, 150)
    backup = daemon(lab, impl, BACKUP, 100)
    try:
        wait_for(lambda: has_address(lab, MASTER, VIP) and not has_address(lab, BACKUP, VIP),
                 15.0, interval=0.1, what=f"{impl}: VIP on {MASTER} only")
        client = Client(lab, CLIENT, VIP, expect=MASTER).start()
        watch = VipWatch(lab, VIP, master=MASTER, backup=BACKUP).start()
        completed = 0
        try:
            for text in configs(kind, count):
                master.config_path.write_text(text)
                sighup(master, "Reload complete")
                completed += 1
            wanted = len(watch.samples) + 20  # one quiet second of polls
            wait_for(lambda: len(watch.samples) >= wanted, 10.0, what="quiet polls")
        except TimeoutError as error:
            print(f"{impl} {kind}: {error}", file=sys.stderr)
        finally:
            vip = watch.finish()
            probes = client.finish()
    finally:
        for node in (master, backup):
            if node.process is not None:
                node.process.stop()
    return Row(impl, kind, count, completed, probes, vip)


def table(rows: Sequence[Row]) -> str:
    lines = [f"{'reload':10} {'impl':13} {'done':>6} {'probes':>6} {'lost':>5} "
             f"{'by r2':>5} {'max gap ms':>10} {'VIP moved':>9}", "-" * 72]
    for row in rows:
        moved = "no" if row.vip.never_moved else "YES"
        lines.append(f"{row.kind:10} {row.impl:13} {row.completed:>3}/{row.reloads:<2} "
                     f"{row.probes.sent:>6} {row.probes.lost:>5} {row.probes.other_host:>5} "
                     f"{row.probes.max_gap * 1000:>10.1f} {moved:>9}")
    for kind in KINDS:
        py = next((r for r in rows if r.kind == kind and r.impl == "pykeepalived"), None)
        ka = next((r for r in rows if r.kind == kind and r.impl == "keepalived"), None)
        if py and ka and ka.probes.max_gap > 0:
            lines.append(f"{kind:10} ratio py/ka   max gap "
                         f"{py.probes.max_gap / ka.probes.max_gap:.2f}, lost "
                         f"{py.probes.lost} vs {ka.probes.lost}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reload",
                                     description="client view of reloads (root)")
    parser.add_argument("--reloads", type=int, default=20, help="SIGHUPs per kind (1-200)")
    parser.add_argument("--impl", choices=IMPLEMENTATIONS, help="one implementation")
    args = parser.parse_args(argv)
    if not 1 <= args.reloads <= 200:
        parser.error("--reloads must be between 1 and 200")
    impls = [args.impl] if args.impl else list(IMPLEMENTATIONS)
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("bench.reload: needs root and iproute2", file=sys.stderr)
        return 2
    if "keepalived" in impls and shutil.which("keepalived") is None:
        print("bench.reload: needs keepalived, or --impl pykeepalived", file=sys.stderr)
        return 2
    rows: list[Row] = []
    with Lab([MASTER, BACKUP, CLIENT], prefix="rlxb", base=135) as lab:
        for host in (MASTER, BACKUP):
            start_echo(lab, host, VIP)
        for kind in KINDS:
            for impl in impls:
                rows.append(measure(lab, impl, kind, args.reloads))
    print(table(rows))
    clean = all(r.completed == r.reloads and r.probes.hitless and r.vip.never_moved
                for r in rows)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
