"""SNMP through a real snmpd: walks and traps of pykeepalived beside keepalived 2.2.7's.

Each lab host runs Debian's snmpd as AgentX master (its socket in the lab's directory,
named by `snmp_socket`) and a snmptrapd receiving snmpd's traps. The same two-node
configuration runs first under keepalived, then under pykeepalived, in the same lab:
the walks of KEEPALIVED-MIB, VRRP-MIB and VRRPv3-MIB must show the same OIDs and value
types, the same values where they are deterministic, agree with `pykeepalived status`
and follow a failover; the failover's traps must be keepalived's, in its order.
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from netlab.advert_log import intervals, read_records
from netlab.frames import send_frames
from netlab.lab import wait_for
from netlab.peers import KeepalivedPeer, PrivatePyNode, PyNode, wait_address
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
from pykeepalived.vrrp.advert import AuthType
from tests.conftest import skip_or_fail
from tests.netns.interop.craft import Attacker

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab
    from netlab.peers import Daemon

pytestmark = [pytest.mark.netns, pytest.mark.keepalived, pytest.mark.slow]

ROOTS = (KEEPALIVED_MIB, VRRP_MIB, VRRPV3_MIB)
VIP1, VIP2, VIP3 = PAIR_VIPS
#: compared by type only: the version banner says which implementation answers; and
#: vrrpOperMasterIpAddr of the new master after a failover, which keepalived itself shows
#: as the old master's address in most runs and 0.0.0.0 in some (seen 2 runs in 8 here)
UNSTABLE = (".1.3.6.1.4.1.9586.100.5.1.1.0", ".1.3.6.1.2.1.68.1.3.1.7.")
#: counters and times move with timing: compared by type only
TIMING_TYPES = ("Counter32", "Counter64", "Timeticks")
TAKEOVER = 15.0
#: seconds of adverts watched across an snmpd restart
RESTART_WATCH = 6


@pytest.fixture(autouse=True)
def _net_snmp() -> None:
    import shutil
    for tool in ("snmpd", "snmpwalk", "snmptrapd"):
        if shutil.which(tool) is None:
            skip_or_fail(f"needs {tool} (Debian snmpd, snmp, snmptrapd: make test installs)")


class Pair:
    """Both daemons of one kind, started with the same config, a (150) to be master."""

    def __init__(self, lab: Lab, snmp: dict[str, Snmp], kind: str) -> None:
        self.lab, self.snmp = lab, snmp
        make: dict[str, type[KeepalivedPeer] | type[PyNode]] = {
            "keepalived": KeepalivedPeer, "pykeepalived": PrivatePyNode}
        self.nodes: dict[str, Daemon] = {
            host: make[kind](lab, host, pair_config(host, prio, snmp[host].agentx_socket),
                             name=f"{kind}-{host}")
            for host, prio in (("a", 150), ("b", 100))}

    def start(self) -> None:
        """a first, b once a is master: b never wins a startup race (pykeepalived starts
        slower than keepalived), so both implementations see the same history."""
        self.nodes["a"].start()
        for vip in (VIP1, VIP2, VIP3):
            wait_address(self.lab, "a", vip, timeout=TAKEOVER)
        self.nodes["b"].start()
        wait_for(lambda: _state(self.snmp["b"], 1) == "1" and _state(self.snmp["a"], 1) == "2",
                 TAKEOVER, what="both subagents registered, a MASTER and b BACKUP")
        ifindex = self.lab.host("b").ifindex
        wait_for(lambda: all(_heard(self.snmp["b"], ifindex, vrid) for vrid in (71, 72)),
                 TAKEOVER, what="b to hear a's adverts")

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()


def _state(snmp: Snmp, index: int) -> str | None:
    """vrrpInstanceState.index as snmpget shows it, None while nothing answers."""
    got = snmp.get(f"{KEEPALIVED_MIB}.2.3.1.4.{index}")
    return got[0].value if got and got[0].kind == "INTEGER" else None


def _heard(snmp: Snmp, ifindex: int, vrid: int) -> bool:
    """vrrpv3StatisticsRcvdAdvertisements of the instance is above zero."""
    got = snmp.get(f"{VRRPV3_MIB}.1.2.5.1.3.{ifindex}.{vrid}.1")
    return bool(got) and got[0].kind == "Counter64" and int(got[0].value) > 0


def walk(snmp: Snmp) -> list[Varbind]:
    return [vb for root in ROOTS for vb in snmp.walk(root)]


def comparable(rows: list[Varbind]) -> list[tuple[str, str, str]]:
    def value(vb: Varbind) -> str:
        if vb.kind in TIMING_TYPES or any(vb.oid.startswith(u) for u in UNSTABLE):
            return "*"
        return vb.value
    return [(vb.oid, vb.kind, value(vb)) for vb in rows]


def differences(ours: list[Varbind], theirs: list[Varbind]) -> str:
    mine, real = set(comparable(ours)), set(comparable(theirs))
    return (f"only pykeepalived: {sorted(mine - real)}\n"
            f"only keepalived: {sorted(real - mine)}")


def trap_shape(traps: list[Trap]) -> list[list[tuple[str, str, str]]]:
    """Every trap's varbinds but sysUpTime (a time)."""
    return [[(vb.oid, vb.kind, vb.value) for vb in trap.varbinds
             if vb.oid != ".1.3.6.1.2.1.1.3.0"] for trap in traps]


#: which instance a trap is about: KEEPALIVED-MIB names it, the RFC MIBs index its VRID
VRIDS = {"71": "VI_1", "72": "VI_2"}


def subject(trap: Trap) -> str:
    data = [vb for vb in trap.varbinds if vb.oid not in (".1.3.6.1.2.1.1.3.0",
                                                         ".1.3.6.1.6.3.1.1.4.1.0")]
    if trap.trap_oid.startswith(KEEPALIVED_MIB):
        return data[0].value.strip('"')
    index = data[0].oid.split(".")
    return VRIDS[index[-1] if trap.trap_oid.startswith(VRRP_MIB) else index[-2]]


def by_subject(traps: list[Trap]) -> dict[str, list[list[tuple[str, str, str]]]]:
    found: dict[str, list[list[tuple[str, str, str]]]] = {}
    for trap, shape in zip(traps, trap_shape(traps), strict=True):
        found.setdefault(subject(trap), []).append(shape)
    return found


def failover(pair: Pair) -> tuple[list[Varbind], list[Trap]]:
    """Stop a: b takes every VIP; b's walk and the traps b sent meanwhile."""
    before = len(pair.snmp["b"].traps())
    pair.nodes["a"].stop()
    for vip in (VIP1, VIP2, VIP3):
        wait_address(pair.lab, "b", vip, timeout=TAKEOVER)
    traps = pair.snmp["b"].wait_traps(
        lambda seen: sum(t.trap_oid.endswith(".100.5.2.10.0.1") for t in seen[before:]) >= 1
        and len(seen) - before >= 6, what="b's failover traps")
    return walk(pair.snmp["b"]), traps[before:]


def inject_errors(lab: Lab, snmp: dict[str, Snmp]) -> dict[str, list[Trap]]:
    """From x: a VRRPv2 advert with a password (VI_1 has none: authTypeMismatch) and a
    VRRPv3 advert with TTL 64 (VI_2: ipTtlError); the traps each host's snmpd forwarded
    (multicast: both daemons judge them)."""
    before = {host: len(snmp[host].traps()) for host in snmp}
    attacker = Attacker(lab.host("x"))
    frames = [attacker.frame(attacker.message(71, (VIP1,), version=2, auth=AuthType.PASS,
                                              password=b"secret")),
              attacker.wrong_ttl(72, (VIP2, VIP3))]
    send_frames(lab, "x", frames)
    return {host: snmp[host].wait_traps(lambda seen, h=host: len(seen) - before[h]
                                        >= len(frames), what=f"{host}'s error traps"
                                        )[before[host]:]
            for host in snmp}


def run_scenario(lab: Lab, snmp: dict[str, Snmp], kind: str) -> Scenario:
    marks = {host: len(snmp[host].traps()) for host in ("a", "b")}
    pair = Pair(lab, snmp, kind)
    pair.start()
    # a: 3 BACKUP state changes, then VI_1's three new-master traps, G1's and VI_2's two;
    # b: its 3 BACKUP state changes
    startup = {host: snmp[host].wait_traps(lambda seen, h=host, n=count: len(seen) - marks[h]
                                           >= n, what=f"{host}'s startup traps ({kind}): "
                                           f"{trap_shape(snmp[host].traps()[marks[host]:])}"
                                           )[marks[host]:]
               for host, count in (("a", 9), ("b", 3))}
    walk_a, walk_b = walk(snmp["a"]), walk(snmp["b"])
    errors = inject_errors(lab, snmp)
    mark_a = len(snmp["a"].traps())
    after, traps = failover(pair)
    stopped = snmp["a"].wait_traps(lambda seen: len(seen) - mark_a >= 3,
                                   what="a's stop traps")[mark_a:]
    return Scenario(walk_a, walk_b, after, traps, errors, pair, startup, stopped)


@dataclass
class Scenario:
    walk_a: list[Varbind]
    walk_b: list[Varbind]
    after: list[Varbind]
    traps: list[Trap]
    errors: dict[str, list[Trap]]
    pair: Pair
    #: each host's traps from its daemon's start, and a's when it stopped
    startup: dict[str, list[Trap]]
    stopped: list[Trap]


def status_json(lab: Lab, node: PrivatePyNode) -> list[dict[str, object]]:
    d = node.directory
    done = lab.run(node.host, [sys.executable, "-m", "pykeepalived", "status", "--json",
                               "--pid", str(d / "keepalived.pid"), "--dir", str(d)],
                   check=False)
    assert done.returncode == 0, done.stderr
    instances = json.loads(done.stdout)["instances"]
    assert isinstance(instances, list)
    return instances


def column(rows: list[Varbind], prefix: str) -> dict[str, str]:
    """The rows of one KEEPALIVED-MIB vrrpInstanceTable column, by instance index."""
    return {vb.oid[len(prefix):]: vb.value for vb in rows if vb.oid.startswith(prefix)}


def test_walks_and_failover_traps_match_keepalived(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b", "x"), base=70)
    snmp = {host: Snmp(lab, host).start() for host in ("a", "b")}

    theirs = run_scenario(lab, snmp, "keepalived")
    theirs.pair.stop()
    ours = run_scenario(lab, snmp, "pykeepalived")
    k_a, k_b, k_after, k_traps = theirs.walk_a, theirs.walk_b, theirs.after, theirs.traps
    p_a, p_b, p_after, p_traps, p_pair = (ours.walk_a, ours.walk_b, ours.after, ours.traps,
                                          ours.pair)

    # the walks: keepalived's OIDs, types and deterministic values, master and backup
    assert len(k_a) > 150
    for which, mine, real in (("a", p_a, k_a), ("b", p_b, k_b), ("b after", p_after, k_after)):
        assert comparable(mine) == comparable(real), f"{which}: {differences(mine, real)}"

    # `pykeepalived status` says what the walk says, before and after the failover
    b_node = p_pair.nodes["b"]
    assert isinstance(b_node, PrivatePyNode)
    status = status_json(lab, b_node)
    states = {"BACKUP": "1", "MASTER": "2", "FAULT": "3"}
    entry = f"{KEEPALIVED_MIB}.2.3.1."
    assert column(p_after, entry + "2.") == {
        str(i): f'"{s["name"]}"' for i, s in enumerate(status, start=1)}
    assert column(p_after, entry + "4.") == {
        str(i): states[str(s["state"])] for i, s in enumerate(status, start=1)}
    assert column(p_after, entry + "8.") == {
        str(i): str(s["effective_priority"]) for i, s in enumerate(status, start=1)}
    assert set(column(p_b, entry + "4.").values()) == {"1"}
    assert set(column(p_after, entry + "4.").values()) == {"2"}

    # the failover's traps: keepalived's, with the same varbinds, in the same order for
    # each instance and group (VI_2 is independent of G1: which of their traps comes
    # first is a race in both daemons), and a group's after its member's
    assert sorted(trap_shape(p_traps)) == sorted(trap_shape(k_traps))
    assert by_subject(p_traps) == by_subject(k_traps)
    order = [subject(t) for t in p_traps]
    assert order.index("G1") > max(i for i, s in enumerate(order) if s == "VI_1")

    # a bad password and a bad TTL: RFC 2787's auth failure and RFC 6527's protocol error
    for host in ("a", "b"):
        assert [t.trap_oid for t in theirs.errors[host]] == [".1.3.6.1.2.1.68.0.2",
                                                             ".1.3.6.1.2.1.207.0.2"]
        assert trap_shape(ours.errors[host]) == trap_shape(theirs.errors[host]), host

    # at startup and at stop the same traps; their order follows our notify order
    # (solo instances before sync groups), which is not keepalived's
    for host in ("a", "b"):
        assert sorted(trap_shape(ours.startup[host])) == sorted(
            trap_shape(theirs.startup[host])), host
    assert sorted(trap_shape(ours.stopped)) == sorted(trap_shape(theirs.stopped))
    assert len(theirs.stopped) == 3
    p_pair.stop()


def test_snmpd_restart_reregisters_and_traps_resume(make_lab: Callable[..., Lab]) -> None:
    """snmpd stopped and started again under running daemons: each subagent says so
    once, registers again, answers and traps again, and a's adverts keep their rhythm."""
    lab = make_lab(("a", "b", "watch"), base=80)
    assert lab.workdir is not None
    snmp = {host: Snmp(lab, host).start() for host in ("a", "b")}
    pair = Pair(lab, snmp, "pykeepalived")
    pair.start()
    records = lab.workdir / "adverts.bin"
    watcher = lab.spawn("watch", [sys.executable, "-m", "netlab.advert_log", "--seconds",
                                  str(RESTART_WATCH), "--out", str(records)], name="advert-log")
    wait_for(lambda: "READY" in watcher.output(), 5.0, what="the advert log")

    for host in ("a", "b"):
        snmp[host].stop_snmpd()
    for node in pair.nodes.values():
        node_log = node.wait_for_log("Lost the agentx master agent")
        assert node_log.count("Lost the agentx master agent") == 1
    for host in ("a", "b"):
        snmp[host].start_snmpd()
    wait_for(lambda: _state(snmp["a"], 1) == "2" and _state(snmp["b"], 1) == "1", 15.0,
             what="both subagents registered again")
    for node in pair.nodes.values():
        assert node.log().count("Starting SNMP subagent") == 1
        assert "Connected to the agentx master agent" in node.log()
    wait_for(lambda: watcher.popen.poll() is not None, RESTART_WATCH + 10,
             what="the advert log to end")
    assert _state(snmp["b"], 1) == "1"  # b never took over meanwhile

    before = len(snmp["b"].traps())
    pair.nodes["a"].stop()
    traps = snmp["b"].wait_traps(lambda seen: any(
        t.trap_oid.endswith(".100.5.2.10.0.1") for t in seen[before:]), what="traps again")
    assert any(t.trap_oid == ".1.3.6.1.2.1.68.0.1" for t in traps[before:])

    gaps = intervals(read_records(records))
    a_gaps = gaps.get((str(lab.host("a").ipv4), 71), [])
    assert len(a_gaps) >= RESTART_WATCH - 2, f"adverts from a: {gaps}"
    # the rhythm holds (1 s adverts); on this shared 2-core machine one gap of 2.2 s
    # was seen once in 8 runs, under a load average of 3.5 from other tests, so the
    # bound is b's down interval: no advert late enough for b to take over
    assert 0.9 < statistics.median(a_gaps) < 1.1, a_gaps
    assert max(a_gaps) < 3.0, f"a late advert during the snmpd restart: {max(a_gaps):.3f} s"
    pair.stop()


def test_missing_snmpd_is_said_once_and_vrrp_runs_on(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a",), base=90)
    socket = lab.workdir / "no-snmpd" if lab.workdir else None
    assert socket is not None
    node = PyNode(lab, "a", pair_config("a", 150, socket), name="alone").start()
    for vip in (VIP1, VIP2, VIP3):
        wait_address(lab, "a", vip, timeout=TAKEOVER)
    wait_for(lambda: node.log().count("Failed to connect to the agentx master agent") >= 1,
             5.0, what="the missing snmpd logged")
    text = node.wait_for_log("Entering MASTER STATE")
    assert text.count("Failed to connect to the agentx master agent") == 1
    assert node.stop() == 0
