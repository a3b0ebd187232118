"""Neighbour witness: never two VIP holders where a witness exists.

a (192.0.2.81, priority 200) and b (.82, 100), VRRPv3 at 0.1 s (b's Master_Down_Interval
about 0.36 s); w (.83) is the witness (a plain host: its kernel answers ARP); c (.84) a
client probing the VIP every 10 ms. Witness asked every 0.03 s, down after 3 unanswered
rounds (about 0.1 s, well inside b's down interval). nftables in the bridge namespace
drops what the bridge forwards between chosen hosts:

- `backup-cut-off`: a<->b and b<->w cut. b hears no advert and no witness: isolated,
  FAULT, never the VIP; a keeps it. keepalived, same cut: b takes the VIP too.
- `master-cut-off`: a<->b and a<->w cut (a still reaches the client). a loses its
  witness and lets go before b's down timer expires; b takes over. Never two holders.
- `master-isolated`: a cut from everyone. Same as above, a gives up within the witness
  threshold, b takes over; on heal, exactly one master.

Also `mixed` (keepalived master without witness, pykeepalived backup with one) on the
first cut: the wire is plain VRRP, b still never takes the VIP.

Every run: both `ip addr` sampled (HolderSampler, ~10-30 ms resolution) and the client's
answers; on heal (a's adverts back) exactly one holder, within one advert interval.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.faults import first_time, vip_holders
from netlab.lab import wait_for
from netlab.partition import HolderSampler, Partition
from netlab.peers import KeepalivedPeer, PrivatePyNode
from netlab.prober import READY_LINE, probes_from_json
from tests.netns.faults.nodes import report
from tests.netns.split.status import instance_status

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VIP = "192.0.2.89"
PORT = 7989
VRID = 89
BOUND = 6.0
INTERVAL, LOSS = 0.03, 3
#: how long each cut lasts: several of b's down intervals and many witness rounds
CUT = 1.5
#: heal → a alone holds the VIP. Where a kept it, at once; where b took it, a (200) first
#: reaches its witness again, leaves FAULT, and preempts b after its own down interval
#: (0.32 s): one witness round + that + a Python daemon's latency
ONE_MASTER_WITHIN = {"a": 0.1, "b": INTERVAL * 2 + 0.32 + 0.3}

CUTS = {
    "backup-cut-off": ((("a", "b"), ("b", "w")), "a"),
    "master-cut-off": ((("a", "b"), ("a", "w")), "b"),
    "master-isolated": ((("a", "b"), ("a", "w"), ("a", "c")), "b"),
}


def config(priority: int, witness: str | None):
    extra = [] if witness is None else [f"witness {witness}", f"witness_interval {INTERVAL}",
                                        f"witness_loss {LOSS}"]
    return instance_conf(vrid=VRID, priority=priority, vip=f"{VIP}/24", extra=extra)


@pytest.mark.parametrize(("kind", "cut"), [
    pytest.param("pykeepalived", "backup-cut-off", id="pykeepalived-backup-cut-off"),
    pytest.param("pykeepalived", "master-cut-off", id="pykeepalived-master-cut-off"),
    pytest.param("pykeepalived", "master-isolated", id="pykeepalived-master-isolated"),
    pytest.param("keepalived", "backup-cut-off", id="keepalived-backup-cut-off",
                 marks=pytest.mark.keepalived),
    # keepalived master (no witness), pykeepalived backup with one: b still never holds it
    pytest.param("mixed", "backup-cut-off", id="mixed-backup-cut-off",
                 marks=pytest.mark.keepalived),
])
def test_witness_one_holder_throughout(make_lab: Callable[..., Lab], kind: str,
                                       cut: str) -> None:
    pairs, holder = CUTS[cut]
    lab = make_lab(("a", "b", "w", "c"), base=80, prefix=f"sbw{kind[:2]}{cut[:2]}")
    witness = str(lab.host("w").ipv4)
    for host in ("a", "b"):
        server = lab.spawn(host, [sys.executable, "-m", "netlab.prober", "serve", "--vip",
                                  VIP, "--port", str(PORT), "--name", host], name="echo")
        wait_for(lambda s=server: READY_LINE in s.output(), 10.0, what=f"echo on {host}")
    if kind == "pykeepalived":
        a = PrivatePyNode(lab, "a", config(200, witness))
        b = PrivatePyNode(lab, "b", config(100, witness))
    elif kind == "mixed":
        a = KeepalivedPeer(lab, "a", config(200, None))
        b = PrivatePyNode(lab, "b", config(100, witness))
    else:  # keepalived has no witness: the same pair as it can be configured
        a = KeepalivedPeer(lab, "a", config(200, None))
        b = KeepalivedPeer(lab, "b", config(100, None))
    a.start()
    wait_for(lambda: vip_holders(lab, ("a", "b"), VIP) == {"a"}, BOUND, what="a master")
    b.start()
    b.wait_for_log("(VI_T) Entering BACKUP STATE", BOUND)

    duration = 0.3 + CUT + 2.0
    client = lab.spawn("c", [sys.executable, "-m", "netlab.partition", "probe", "--vip", VIP,
                             "--port", str(PORT), "--duration", str(duration)], name="client")
    wait_for(lambda: READY_LINE in client.output(), 10.0, what="the client")
    partition = Partition(lab)
    sampler = HolderSampler(lab, ("a", "b"), VIP).start()
    try:
        time.sleep(0.3)  # the client's steady state before the cut: a window to watch
        cut_at = time.monotonic()
        partition.cut(*pairs)
        if holder == "b":
            moved = first_time(lambda: vip_holders(lab, ("a", "b"), VIP) == {"b"}, BOUND,
                               "b to hold the VIP alone")
        if kind != "keepalived":  # explained: who refused MASTER and why
            cut_off = b if holder == "a" else a
            wait_for(lambda: instance_status(cut_off)["state"] == "FAULT", BOUND,  # type: ignore[arg-type]
                     what="the cut-off node in FAULT")
            explained = instance_status(cut_off)  # type: ignore[arg-type]
        time.sleep(max(0.0, cut_at + CUT - time.monotonic()))  # the cut lasts CUT seconds
        during = sampler.holders_after(cut_at)
        heal_at = time.monotonic()
        partition.heal()
        one = first_time(lambda: vip_holders(lab, ("a", "b"), VIP) == {"a"}, BOUND,
                         "a alone to hold the VIP after heal")
        time.sleep(1.0)  # a window to watch for a flap
        sampler.stop()
        wait_for(lambda: client.popen.poll() is not None, duration + 5.0, what="the client")
    finally:
        sampler.stop()
        partition.heal()
    probes = probes_from_json(client.output().strip().splitlines()[-1])
    in_cut = [p for p in probes if cut_at <= p.sent < heal_at]
    answered = {p.host for p in in_cut if p.ok}
    figures = {
        "two_holders_ms": round(sampler.overlap() * 1000),
        "holders_during_cut": sorted("+".join(sorted(h)) or "-" for h in during),
        "moved_ms": round((moved - cut_at) * 1000) if holder == "b" else None,
        "heal_to_one_holder_ms": round((one - heal_at) * 1000),
        "client_answered_by": sorted(h for h in answered if h),
        "client_lost_in_cut": sum(1 for p in in_cut if not p.ok),
        "sampler_max_gap_ms": round(sampler.max_gap() * 1000),
    }
    report(f"witness, {cut}", kind, figures)
    # judged to within the observer's resolution (a busy machine deschedules it)
    assert one - heal_at < ONE_MASTER_WITHIN[holder] + sampler.max_gap(), figures
    assert sampler.holders_after(one) == {frozenset({"a"})}, figures
    if kind == "keepalived":
        # the reference: without a witness the cut-off backup takes the VIP as well
        assert frozenset({"a", "b"}) in during, figures
        return
    # never two holders: not in the cut, not at heal
    assert sampler.overlap() == 0.0, figures
    assert all(len(h) <= 1 for h in sampler.holders_after(cut_at)), figures
    assert explained["reason"] == "isolated: no peer, no witness", explained
    assert explained["witnesses"] == {witness: "down"}, explained
    if holder == "a":  # b refused to become MASTER (a, as MASTER, refused nothing)
        assert explained["refusal"] == "isolated: no peer, no witness", explained
    log_b, log_a = b.log(), a.log()
    if holder == "a":
        assert frozenset({"a"}) in during
        assert "isolated: no peer, no witness" in log_b or "Entering FAULT STATE" in log_b
        assert "Entering MASTER STATE" not in log_b, log_b
        assert answered <= {"a"}, figures
    else:
        assert "Entering FAULT STATE" in log_a, log_a
        assert frozenset({"b"}) in during


VIP6 = "2001:db8::89"


def test_ipv6_witness_by_neighbour_solicitation(make_lab: Callable[..., Lab]) -> None:
    """The same rule over IPv6 (VRRPv3, link-local sources): witnesses asked by NS.

    a can become MASTER at all only if its NS are answered (else it is isolated from the
    start); the master-cut-off cut then moves the VIP to b without two holders, which
    needs b's NS answered and a's verdict to turn."""
    lab = make_lab(("a", "b", "w", "c"), base=80, prefix="sbw6")
    witness = str(lab.host("w").ipv6)

    def conf6(priority: int):
        return instance_conf(vrid=VRID, priority=priority, vip=f"{VIP6}/64", extra=[
            f"witness {witness}", f"witness_interval {INTERVAL}", f"witness_loss {LOSS}"])

    a, b = PrivatePyNode(lab, "a", conf6(200)), PrivatePyNode(lab, "b", conf6(100))
    a.start()
    wait_for(lambda: vip_holders(lab, ("a", "b"), VIP6) == {"a"}, BOUND, what="a master")
    b.start()
    b.wait_for_log("(VI_T) Entering BACKUP STATE", BOUND)
    assert instance_status(a)["witnesses"] == {witness: "up"}
    partition = Partition(lab)
    sampler = HolderSampler(lab, ("a", "b"), VIP6).start()
    try:
        time.sleep(0.2)  # a window before the cut
        cut_at = time.monotonic()
        partition.cut(("a", "b"), ("a", "w"))
        moved = first_time(lambda: vip_holders(lab, ("a", "b"), VIP6) == {"b"}, BOUND,
                           "b to hold the VIP alone")
        explained = instance_status(a)
        partition.heal()
        one = first_time(lambda: vip_holders(lab, ("a", "b"), VIP6) == {"a"}, BOUND,
                         "a back as the one holder")
        time.sleep(0.5)  # a window to watch for a flap
    finally:
        sampler.stop()
        partition.heal()
    figures = {"two_holders_ms": round(sampler.overlap() * 1000),
               "moved_ms": round((moved - cut_at) * 1000),
               "sampler_max_gap_ms": round(sampler.max_gap() * 1000)}
    report("witness over IPv6, master-cut-off", "pykeepalived", figures)
    assert sampler.overlap() == 0.0, figures
    assert all(len(h) <= 1 for h in sampler.holders_after(cut_at)), figures
    assert sampler.holders_after(one) == {frozenset({"a"})}, figures
    assert explained["state"] == "FAULT", explained
    assert explained["witnesses"] == {witness: "down"}, explained
