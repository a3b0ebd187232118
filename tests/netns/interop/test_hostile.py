"""Hostile packets into a running pykeepalived pair: dropped, counted, harmless.

Host a (priority 150) and b (100) run three instances each: VI_M (VRRPv3 multicast),
VI_P (VRRPv2 with a PASS password) and VI_U (VRRPv3 unicast, `vrrp_check_unicast_src`).
Host x injects one flawed packet at a time, every one claiming priority 254 so that
accepting it would move a master. Each case then sends a marker (a TTL-64 advert, which
both daemons count as ip_ttl_err) and reads both JSON dumps once the marker is counted:
packets are read in order, so every error counter must by then have moved by exactly
what keepalived 2.2.7 would count, and nothing else may have changed — both daemons
alive, a still MASTER of all three, b still BACKUP, no "Entering" logged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Auth, Config, GlobalDefs, Instance, Unicast
from netlab.frames import send_frames
from netlab.lab import Lab, wait_for
from netlab.peers import PrivatePyNode, has_address, wait_address
from pykeepalived.observe.metrics import format_metrics
from pykeepalived.observe.status import parse_status
from pykeepalived.vrrp.advert import AuthType
from tests.netns.interop.cluster import LAB_BASE, PREFIX, V2_TAKEOVER, Counters, read_counters
from tests.netns.interop.craft import Attacker

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from netlab.lab import Host

pytestmark = [pytest.mark.netns, pytest.mark.slow]

M, P, U = "VI_M", "VI_P", "VI_U"
VIPS = {M: ("192.0.2.213",), P: ("192.0.2.214",), U: ("192.0.2.215",)}
VRIDS = {M: 213, P: 214, U: 215}
PASSWORD = b"iop-214"
MASTER, BACKUP = 2, 1
#: counters that legitimately move while nothing is wrong
TRAFFIC = ("advert_rcvd", "advert_sent")
#: the receive tally and socket counters (rx_accepted, rx_dropped_<reason>, rx_datagrams,
#: ...) move with every packet, the marker's too; tests/netns/daemon/test_fuzz_campaign.py
#: checks their sums
TALLY_PREFIX = "rx_"
GARBAGE_COUNT = 1000
GARBAGE_CHUNK = 100
#: Ethernet (14) + IPv4 (20) + VRRP octet 1
VRID_OFFSET = 14 + 20 + 1

Expected = dict[tuple[str, str, str], int]


def cluster_conf(me: Host, peer: Host, priority: int) -> Config:
    return Config(
        global_defs=GlobalDefs(router_id=f"iop-{me.name}", garp_master_delay=1,
                               extra=["vrrp_check_unicast_src"]),
        instances=[
            Instance(M, VRIDS[M], priority, [f"{VIPS[M][0]}/24"], version=3, advert="0.1"),
            Instance(P, VRIDS[P], priority, [f"{VIPS[P][0]}/24"], version=2, advert="1",
                     auth=Auth("PASS", PASSWORD.decode())),
            Instance(U, VRIDS[U], priority, [f"{VIPS[U][0]}/24"], version=3, advert="0.1",
                     unicast=Unicast(str(me.ipv4), [str(peer.ipv4)])),
        ])


@dataclass
class Cluster:
    lab: Lab
    nodes: dict[str, PrivatePyNode]
    attacker: Attacker


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """One converged pair for the whole module: a master of all three, b backup."""
    with Lab(("a", "b", "x"), prefix=PREFIX, base=LAB_BASE) as lab:
        a, b = lab.host("a"), lab.host("b")
        nodes = {"a": PrivatePyNode(lab, "a", cluster_conf(a, b, 150), name="hostile"),
                 "b": PrivatePyNode(lab, "b", cluster_conf(b, a, 100), name="hostile")}
        for node in nodes.values():
            node.start()
        for vips in VIPS.values():
            wait_address(lab, "a", vips[0], timeout=V2_TAKEOVER)
            wait_address(lab, "b", vips[0], present=False, timeout=V2_TAKEOVER)
        for name in VIPS:
            nodes["b"].wait_for_log(f"({name}) Entering BACKUP STATE", V2_TAKEOVER)
        yield Cluster(lab, nodes, Attacker(lab.host("x")))


def on_both(instance: str, counter: str, count: int = 1) -> Expected:
    return {(host, instance, counter): count for host in ("a", "b")}


def password_advert(k: Attacker, auth: AuthType, password: bytes) -> bytes:
    return k.frame(k.message(VRIDS[P], VIPS[P], version=2, auth=auth, password=password))


#: case -> (frames from the attacker, counters expected to move, by how much)
CASES: dict[str, tuple[Callable[[Attacker, Cluster], list[bytes]], Expected]] = {
    "wrong-ttl-64": (lambda k, c: [k.wrong_ttl(VRIDS[M], VIPS[M])],
                     on_both(M, "ip_ttl_err")),
    "bad-checksum": (lambda k, c: [k.bad_checksum(VRIDS[M], VIPS[M])], on_both(M, "chk_err")),
    # a v3 instance listens to protocol 112 only: AH never reaches it, so nothing counts
    "ah-on-v3": (lambda k, c: [k.ah_on_v3(VRIDS[M], VIPS[M])], {}),
    "pass-on-v3": (lambda k, c: [k.pass_on_v3(VRIDS[M], VIPS[M])],
                   on_both(M, "packet_len_err")),
    "v2-wrong-password": (lambda k, c: [password_advert(k, AuthType.PASS, b"intruder")],
                          on_both(P, "auth_failure")),
    "v2-no-auth-on-pass": (lambda k, c: [password_advert(k, AuthType.NONE, b"")],
                           on_both(P, "authtype_mismatch")),
    "v2-auth-type-7": (lambda k, c: [k.patched(VRIDS[P], VIPS[P], 4, 7, version=2,
                                               auth=AuthType.PASS, password=PASSWORD)],
                       on_both(P, "invalid_authtype")),
    "truncated": (lambda k, c: [k.truncated(VRIDS[M], VIPS[M])],
                  on_both(M, "packet_len_err")),
    "count-beyond-length": (lambda k, c: [k.count_beyond_length(VRIDS[M], VIPS[M])],
                            on_both(M, "packet_len_err")),
    "address-count-mismatch": (
        lambda k, c: [k.frame(k.message(VRIDS[M], (*VIPS[M], "192.0.2.219")))],
        on_both(M, "addr_list_err")),
    "v2-advert-to-v3": (lambda k, c: [k.frame(k.message(VRIDS[M], VIPS[M], version=2))],
                        on_both(M, "vers_err")),
    "version-7": (lambda k, c: [k.patched(VRIDS[M], VIPS[M], 0, 0x71)],
                  on_both(M, "vers_err")),
    "type-2": (lambda k, c: [k.patched(VRIDS[M], VIPS[M], 0, 0x32)],
               on_both(M, "invalid_type_rcvd")),
    # keepalived ignores a VRID nobody runs on the link (no instance counter to bump)
    "unknown-vrid": (lambda k, c: [k.frame(k.message(219, VIPS[M]))], {}),
    # keepalived drops a non-peer source under check_unicast_src without a counter
    "higher-priority-unicast-from-stranger": (
        lambda k, c: [k.unicast_from_stranger(VRIDS[U], VIPS[U], c.lab.host("a"))],
        {("a", U, "uncounted_drops"): 1}),
    # shorter than a VRRP header: keepalived stops reading it before any instance sees it
    "zero-length-payload": (lambda k, c: [k.zero_length()], {}),
}


def marker(k: Attacker) -> bytes:
    return k.wrong_ttl(VRIDS[M], VIPS[M])


def snapshot(c: Cluster) -> dict[str, Counters]:
    return {host: read_counters(node) for host, node in c.nodes.items()}


def after_marker(c: Cluster, before: dict[str, Counters], expected_ttl: int) -> dict[
        str, Counters]:
    """Dumps taken once both daemons have counted the marker (so every case packet too)."""
    def counted() -> dict[str, Counters] | None:
        now = snapshot(c)
        done = all(now[h].counts[M]["ip_ttl_err"] - before[h].counts[M]["ip_ttl_err"]
                   >= expected_ttl for h in now)
        return now if done else None

    return wait_for(counted, 10.0, interval=0.1, what="both daemons to count the marker")


def deltas(before: dict[str, Counters], after: dict[str, Counters]) -> Expected:
    """Every non-zero change of a counter that is not ordinary traffic."""
    moved: Expected = {}
    for host, counters in after.items():
        for instance, counts in counters.counts.items():
            for name, value in counts.items():
                change = value - before[host].counts[instance].get(name, 0)
                if change and name not in TRAFFIC and not name.startswith(TALLY_PREFIX):
                    moved[(host, instance, name)] = change
    return moved


def assert_nothing_moved(c: Cluster, after: dict[str, Counters], marks: dict[str, int]) -> None:
    for host, node in c.nodes.items():
        assert node.process is not None
        assert node.process.popen.poll() is None, f"pykeepalived on {host} died"
        assert "Entering" not in node.log()[marks[host]:], node.log()[marks[host]:]
        assert "Traceback" not in node.log()
    assert after["a"].states == {M: MASTER, P: MASTER, U: MASTER}
    assert after["b"].states == {M: BACKUP, P: BACKUP, U: BACKUP}
    for vips in VIPS.values():
        assert has_address(c.lab, "a", vips[0])
        assert not has_address(c.lab, "b", vips[0])


def run_case(c: Cluster, frames: list[bytes]) -> tuple[dict[str, Counters], Expected]:
    marks = {host: len(node.log()) for host, node in c.nodes.items()}
    before = snapshot(c)
    send_frames(c.lab, "x", [*frames, marker(c.attacker)])
    after = after_marker(c, before, 1 + sum(1 for f in frames if f == marker(c.attacker)))
    assert_nothing_moved(c, after, marks)
    return after, deltas(before, after)


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_packet_is_dropped_counted_and_harmless(cluster: Cluster, case: str) -> None:
    build, expected = CASES[case]
    after, moved = run_case(cluster, build(cluster.attacker, cluster))
    with_marker = Counter(expected) + Counter(on_both(M, "ip_ttl_err"))
    assert moved == dict(with_marker)
    if case == "bad-checksum":
        metrics = format_metrics(parse_status(after["a"].status_text))
        assert f'kind="chk_err"}} {after["a"].counts[M]["chk_err"]}' in metrics


def test_thousand_garbage_packets_each_counted_once(cluster: Cluster) -> None:
    """Sent in chunks, each closed by the marker: a burst of 1000 overflows the socket's
    receive buffer in the kernel, and a packet the daemon never read cannot be counted."""
    vrids = {M: VRIDS[M], P: VRIDS[P]}
    frames = cluster.attacker.garbage(GARBAGE_COUNT, tuple(vrids.values()), seed=213)
    sent = {name: sum(1 for f in frames if f[VRID_OFFSET] == vrid)
            for name, vrid in vrids.items()}
    counted: dict[tuple[str, str], int] = {}
    for start in range(0, GARBAGE_COUNT, GARBAGE_CHUNK):
        _, moved = run_case(cluster, frames[start:start + GARBAGE_CHUNK])
        for (host, instance, _), count in moved.items():
            counted[(host, instance)] = counted.get((host, instance), 0) + count
    chunks = GARBAGE_COUNT // GARBAGE_CHUNK
    assert counted == {("a", M): sent[M] + chunks, ("b", M): sent[M] + chunks,
                       ("a", P): sent[P], ("b", P): sent[P]}
