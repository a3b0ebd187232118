"""The IPVS adapter against the VM's real IPVS: what it programs is what ipvsadm lists.

Every shape keepalived programs (TCP, UDP, SCTP, fwmark v4 and v6, IPv6 addresses, each
scheduler and its flags, persistence with granularity and engine, NAT/DR/TUN with ipip,
gue and gre, weights and thresholds) is added through the adapter, then checked twice:
`ipvsadm -Ln` (the kernel's view through another program) lists the expected rows, and
the adapter's own `dump()` reads back exactly the specs programmed. The error paths are
keepalived's (EEXIST, ENOENT, EDIT_DEST retried as ADD_DEST), then timeouts, flush and
the sync daemon. All in one namespace of its own, with one adapter for the module.
"""

from __future__ import annotations

import errno
from ipaddress import ip_address
from typing import TYPE_CHECKING

import pytest

from pykeepalived.check import syncd
from pykeepalived.check.lvs import (
    FLAG_ONEPACKET,
    FLAG_SCHED1,
    FLAG_SCHED2,
    PROTOCOLS,
    DestSpec,
    Forwarding,
    IpvsError,
    ServiceSpec,
    SyncDaemonSpec,
    Timeouts,
    TunnelType,
)
from tests.ipvs.ipvs_lab import AdapterLoop, blocks, run, table

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.ipvs

NS = "pk-ipvs-adapter"
TCP, UDP, SCTP = PROTOCOLS["TCP"], PROTOCOLS["UDP"], PROTOCOLS["SCTP"]
NAT, DR, TUN = Forwarding.NAT, Forwarding.DR, Forwarding.TUN
VIP = ip_address("192.0.2.100")
VIP6 = ip_address("2001:db8::100")
#: every scheduler of Debian's 6.1 kernel (`ip_vs_*.ko`); twos came with 6.5
SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf",
              "mh")


def real(last: int, port: int, forwarding: Forwarding = NAT, weight: int = 1,
         **more: int) -> DestSpec:
    return DestSpec(ip_address(f"192.0.2.{last}"), port, forwarding, weight, **more)


def real6(last: int, port: int, forwarding: Forwarding = NAT, weight: int = 1) -> DestSpec:
    return DestSpec(ip_address(f"2001:db8::{last}"), port, forwarding, weight)


@pytest.fixture(scope="module")
def lab() -> Iterator[AdapterLoop]:
    """Our own namespace, with a veth pair for the sync daemon, and one adapter in it."""
    run("ip", "netns", "add", NS)
    try:
        run("ip", "-n", NS, "link", "add", "sync0", "type", "veth", "peer", "name", "sync1")
        for link in ("lo", "sync0", "sync1"):
            run("ip", "-n", NS, "link", "set", link, "up")
        loop = AdapterLoop(NS)
        try:
            yield loop
        finally:
            loop.close()
    finally:
        run("ip", "netns", "del", NS, check=False)


@pytest.fixture
def ipvs(lab: AdapterLoop) -> Iterator[AdapterLoop]:
    """An empty table for each test, and empty again after it."""
    assert table(NS) == [], "the namespace's IPVS table was not empty at the start"
    try:
        yield lab
    finally:
        lab.run(lab.ipvs.flush())


def program(lab: AdapterLoop, entries: list[tuple[ServiceSpec, list[DestSpec]]]) -> None:
    for service, dests in entries:
        lab.run(lab.ipvs.add_service(service))
        for dest in dests:
            lab.run(lab.ipvs.add_dest(service, dest))


def dumped(lab: AdapterLoop) -> dict[ServiceSpec, set[DestSpec]]:
    return {service: set(dests) for service, dests in lab.run(lab.ipvs.dump()).items()}


def programmed(entries: list[tuple[ServiceSpec, list[DestSpec]]]
               ) -> dict[ServiceSpec, set[DestSpec]]:
    return {service: set(dests) for service, dests in entries}


Case = tuple[list[tuple[ServiceSpec, list[DestSpec]]], tuple[str, ...], list[tuple[str, list[str]]]]

CASES: dict[str, Case] = {
    "tcp-nat-wlc": (
        [(ServiceSpec(4, TCP, VIP, 80), [real(11, 8080), real(12, 8080, weight=2)])], (),
        [("TCP 192.0.2.100:80 wlc", ["-> 192.0.2.11:8080 Masq 1 0 0",
                                      "-> 192.0.2.12:8080 Masq 2 0 0"])]),
    "udp-dr-rr-ops-inhibited": (
        [(ServiceSpec(4, UDP, VIP, 53, scheduler="rr", flags=FLAG_ONEPACKET),
          [real(11, 53, DR), real(12, 53, DR, weight=0)])], (),
        [("UDP 192.0.2.100:53 rr ops", ["-> 192.0.2.11:53 Route 1 0 0",
                                         "-> 192.0.2.12:53 Route 0 0 0"])]),
    "sctp-nat-lc": (
        [(ServiceSpec(4, SCTP, VIP, 3868, scheduler="lc"), [real(11, 3868, weight=5)])], (),
        [("SCTP 192.0.2.100:3868 lc", ["-> 192.0.2.11:3868 Masq 5 0 0"])]),
    "fwmark-v4-persistent": (  # keepalived's fwmark sample: port-less reals
        [(ServiceSpec(4, 0, fwmark=1, scheduler="wrr", timeout=900),
          [real(11, 0), real(12, 0)])], (),
        [("FWM 1 wrr persistent 900", ["-> 192.0.2.11:0 Masq 1 0 0",
                                        "-> 192.0.2.12:0 Masq 1 0 0"])]),
    "fwmark-v6-dr": (
        [(ServiceSpec(6, 0, fwmark=2, scheduler="rr"), [real6(11, 0, DR)])], (),
        [("FWM 2 IPv6 rr", ["-> [2001:db8::11]:0 Route 1 0 0"])]),
    "ipv6-tcp-sh-flags-persistent-prefix": (
        [(ServiceSpec(6, TCP, VIP6, 443, scheduler="sh", flags=FLAG_SCHED1 | FLAG_SCHED2,
                      timeout=300, netmask=64), [real6(11, 443, weight=3), real6(12, 443)])],
        (), [("TCP [2001:db8::100]:443 sh (sh-fallback,sh-port) persistent 300 mask 64",
              ["-> [2001:db8::11]:443 Masq 3 0 0", "-> [2001:db8::12]:443 Masq 1 0 0"])]),
    "mh-fallback-persistent-granularity": (  # keepalived observed: flags 0x9
        [(ServiceSpec(4, TCP, ip_address("192.0.2.101"), 80, scheduler="mh",
                      flags=FLAG_SCHED1, timeout=360, netmask=0xFFFFFF00), [real(11, 80)])],
        (), [("TCP 192.0.2.101:80 mh (mh-fallback) persistent 360 mask 255.255.255.0",
              ["-> 192.0.2.11:80 Masq 1 0 0"])]),
    "persistence-engine-sip": (
        [(ServiceSpec(4, UDP, VIP, 5060, scheduler="rr", timeout=60, pe_name="sip"),
          [real(11, 5060)])], ("--persistent-conn",),
        [("UDP 192.0.2.100:5060 rr persistent 60 pe sip", ["-> 192.0.2.11:5060 1 0 0 0"])]),
    "tunnels-ipip-gue-gre": (
        [(ServiceSpec(4, TCP, VIP, 80, scheduler="rr"), [
            real(11, 80, TUN),
            real(12, 80, TUN, tunnel_type=TunnelType.GUE, tunnel_port=6080, tunnel_flags=1),
            real(13, 80, TUN, tunnel_type=TunnelType.GUE, tunnel_port=6081, tunnel_flags=2),
            real(14, 80, TUN, tunnel_type=TunnelType.GRE),
            real(15, 80, TUN, tunnel_type=TunnelType.GRE, tunnel_flags=1),
        ])], ("--tun-info",),
        [("TCP 192.0.2.100:80 rr", ["-> 192.0.2.11:80 Tunnel ipip 1 0 0",
                                     "-> 192.0.2.12:80 Tunnel gue:6080:+c 1 0 0",
                                     "-> 192.0.2.13:80 Tunnel gue:6081:r+c 1 0 0",
                                     "-> 192.0.2.14:80 Tunnel gre:-c 1 0 0",
                                     "-> 192.0.2.15:80 Tunnel gre:+c 1 0 0"])]),
    "weights-and-thresholds": (
        [(ServiceSpec(4, TCP, VIP, 25), [real(11, 25, weight=10, u_threshold=100,
                                               l_threshold=10),
                                          real(12, 25, DR, weight=65535)])], (),
        [("TCP 192.0.2.100:25 wlc", ["-> 192.0.2.11:25 Masq 10 0 0",
                                      "-> 192.0.2.12:25 Route 65535 0 0"])]),
    "thresholds-listed": (  # --thresholds: Uthreshold Lthreshold ActiveConn InActConn
        [(ServiceSpec(4, TCP, VIP, 25), [real(11, 25, u_threshold=100, l_threshold=10),
                                          real(12, 25, u_threshold=7)])], ("--thresholds",),
        [("TCP 192.0.2.100:25 wlc", ["-> 192.0.2.11:25 100 10 0 0",
                                      "-> 192.0.2.12:25 7 0 0 0"])]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_shape_lists_in_ipvsadm_and_dumps_back(ipvs: AdapterLoop, name: str) -> None:
    entries, options, expected = CASES[name]
    program(ipvs, entries)
    assert table(NS, *options) == blocks(*expected)
    assert dumped(ipvs) == programmed(entries)


def test_every_scheduler_of_the_kernel(ipvs: AdapterLoop) -> None:
    entries = [(ServiceSpec(4, TCP, VIP, 1000 + i, scheduler=name), [real(11, 80)])
               for i, name in enumerate(SCHEDULERS)]
    program(ipvs, entries)
    assert table(NS) == blocks(*(
        (f"TCP 192.0.2.100:{1000 + i} {name}", ["-> 192.0.2.11:80 Masq 1 0 0"])
        for i, name in enumerate(SCHEDULERS)))
    assert dumped(ipvs) == programmed(entries)


def test_edits_change_the_kernel_entry(ipvs: AdapterLoop) -> None:
    service = ServiceSpec(4, TCP, VIP, 80, scheduler="rr")
    program(ipvs, [(service, [real(11, 80)])])
    edited = ServiceSpec(4, TCP, VIP, 80, scheduler="wrr", timeout=120)
    ipvs.run(ipvs.ipvs.edit_service(edited))
    ipvs.run(ipvs.ipvs.edit_dest(edited, real(11, 80, weight=0)))
    assert table(NS) == blocks(("TCP 192.0.2.100:80 wrr persistent 120",
                                ["-> 192.0.2.11:80 Masq 0 0 0"]))
    assert dumped(ipvs) == {edited: {real(11, 80, weight=0)}}


def refused(ipvs: AdapterLoop, call: object) -> int:
    with pytest.raises(IpvsError) as caught:
        ipvs.run(call)  # type: ignore[arg-type]
    return caught.value.code


def test_keepalived_error_paths(ipvs: AdapterLoop) -> None:
    service = ServiceSpec(4, TCP, VIP, 80)
    missing = ServiceSpec(4, TCP, VIP, 81)
    program(ipvs, [(service, [real(11, 80)])])
    adapter = ipvs.ipvs
    assert refused(ipvs, adapter.add_service(service)) == errno.EEXIST
    assert refused(ipvs, adapter.add_dest(service, real(11, 80))) == errno.EEXIST
    assert refused(ipvs, adapter.del_dest(service, real(12, 80))) == errno.ENOENT
    # the kernel says ESRCH for a missing service; keepalived sees ENOENT through libnl
    assert refused(ipvs, adapter.del_service(missing)) == errno.ENOENT
    assert refused(ipvs, adapter.add_dest(missing, real(11, 80))) == errno.ENOENT
    assert refused(ipvs, adapter.add_service(
        ServiceSpec(4, TCP, VIP, 82, scheduler="nosuch"))) == errno.ENOENT
    # EDIT_DEST of a destination the kernel lacks: retried as ADD_DEST (ipvs_talk)
    ipvs.run(adapter.edit_dest(service, real(12, 80, weight=4)))
    assert dumped(ipvs) == {service: {real(11, 80), real(12, 80, weight=4)}}


def test_timeouts_read_set_and_restored(ipvs: AdapterLoop) -> None:
    adapter = ipvs.ipvs
    before = ipvs.run(adapter.timeouts())
    assert run("ipvsadm", "-L", "--timeout", ns=NS).split(":")[1].split() == [
        str(before.tcp), str(before.tcp_fin), str(before.udp)]
    ipvs.run(adapter.set_timeouts(Timeouts(tcp=100, udp=50)))
    assert ipvs.run(adapter.timeouts()) == Timeouts(100, before.tcp_fin, 50)
    ipvs.run(adapter.set_timeouts(Timeouts(tcp_fin=30)))  # the others back to the originals
    assert ipvs.run(adapter.timeouts()) == Timeouts(before.tcp, 30, before.udp)
    ipvs.run(adapter.set_timeouts(Timeouts()))  # keepalived's restore at exit
    assert ipvs.run(adapter.timeouts()) == before


def test_flush_empties_the_table(ipvs: AdapterLoop) -> None:
    program(ipvs, [(ServiceSpec(4, TCP, VIP, 80), [real(11, 80)]),
                   (ServiceSpec(6, 0, fwmark=3), [real6(11, 0, DR)])])
    assert len(table(NS)) == 2
    ipvs.run(ipvs.ipvs.flush())
    assert table(NS) == []
    assert ipvs.run(ipvs.ipvs.dump()) == {}


def test_sync_daemon_master_and_backup(ipvs: AdapterLoop) -> None:
    adapter = ipvs.ipvs
    master = SyncDaemonSpec("sync0", sync_id=51, max_len=1400, port=8849, ttl=2,
                            group=ip_address("239.0.2.81"))
    backup = SyncDaemonSpec("sync1", sync_id=51)
    ipvs.run(adapter.start_daemon("master", master))
    ipvs.run(adapter.start_daemon("backup", backup))
    try:
        listed = sorted(run("ipvsadm", "-L", "--daemon", ns=NS).splitlines())
        assert listed == [
            "backup sync daemon (mcast=sync1, syncid=51, maxlen=1472, group=224.0.0.81,"
            " port=8848, ttl=1)",
            "master sync daemon (mcast=sync0, syncid=51, maxlen=1400, group=239.0.2.81,"
            " port=8849, ttl=2)",
        ]
        running = ipvs.run(adapter.daemons())
        assert running["master"] == master
        assert (running["backup"].interface, running["backup"].sync_id) == ("sync1", 51)
        assert refused(ipvs, adapter.start_daemon("backup", backup)) == errno.EEXIST
    finally:
        ipvs.run(adapter.stop_daemon("master", master))
        ipvs.run(adapter.stop_daemon("backup", backup))
    assert run("ipvsadm", "-L", "--daemon", ns=NS).strip() == ""
    assert ipvs.run(adapter.daemons()) == {}
    # stopping a role that is not running: ESRCH, ENOENT to keepalived (its ignore_error)
    assert refused(ipvs, adapter.stop_daemon("master", master)) == errno.ENOENT
    assert refused(ipvs, adapter.start_daemon("master", SyncDaemonSpec("nosuch0"))) == (
        errno.ENODEV)


def daemon_roles() -> dict[str, str]:
    """role -> interface, from `ipvsadm -L --daemon`."""
    listed = run("ipvsadm", "-L", "--daemon", ns=NS).splitlines()
    return {line.split()[0]: line.split("mcast=")[1].split(",")[0] for line in listed}


def test_sync_daemon_follows_an_instances_life(ipvs: AdapterLoop) -> None:
    """check.syncd's decisions for start, failover, failback, reload and stop, sent for real:
    one role at a time runs, and the expected refusals (quiet commands) never surface."""
    adapter = ipvs.ipvs
    sync = syncd.resolved(SyncDaemonSpec("sync0", instance="VI_1"), vrid=51)
    moved = syncd.resolved(SyncDaemonSpec("sync1", instance="VI_1"), vrid=51)
    try:
        steps = [
            (syncd.at_start(sync, master=False), {"backup": "sync0"}),
            (syncd.become_master(sync), {"master": "sync0"}),
            (syncd.on_reload(sync, sync, master=True), {"master": "sync0"}),
            (syncd.on_reload(sync, moved, master=True), {"master": "sync1"}),
            (syncd.leave_master(moved, vips_set=True), {"backup": "sync1"}),
            (syncd.at_shutdown(moved, master=False), {}),
        ]
        for commands, roles in steps:
            assert ipvs.run(adapter.apply_sync(commands)) == []
            assert daemon_roles() == roles, commands
        assert ipvs.run(adapter.daemons()) == {}
        for commands, roles in [(syncd.checker_start(sync), {"master": "sync0",
                                                             "backup": "sync0"}),
                                (syncd.checker_stop(sync), {})]:
            assert ipvs.run(adapter.apply_sync(commands)) == []
            assert daemon_roles() == roles
    finally:
        ipvs.run(adapter.apply_sync(syncd.checker_stop(sync)))
