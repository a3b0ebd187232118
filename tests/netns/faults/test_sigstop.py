"""SIGSTOP of the master for longer than Master_Down_Interval, then SIGCONT.

Host a (192.0.2.41) is master, host b (.42) backup, host c (.43) only listens: every
advert it hears is kept with the kernel's receive time (netlab.faults.AdvertWatch).
VRRPv3 at 0.1 s. While a is stopped, b takes over after its down timer and both hosts
hold the VIP (a cannot remove it). At SIGCONT every timer of a is overdue at once and
its socket holds the adverts b sent meanwhile. The pair must have exactly one master,
the right one, within one advert interval plus a small deadline, and then stay so:

- preempt: a 150, b 100. a has the higher priority and preempts, so it legitimately
  takes the VIP back (RFC 5798 §6.4.3: b, as master, yields to a higher priority).
- equal: a 100, b 100; a was master because it started first. b's primary address is
  the higher, so a must step down at b's first advert (§6.4.3), and a's stale advert
  must not make b step down.
- nopreempt: a 100, b 150 with nopreempt; a was master because it started first. At
  SIGCONT a hears b's higher priority and steps down; b stays master.

Figures: b's takeover after SIGSTOP, the time from SIGCONT to one VIP holder (polled)
and to the loser's last advert on the wire, and how many adverts a sent in its first
advert interval after SIGCONT (the stale burst, if any).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.faults import AdvertWatch, first_time, freeze, steady, thaw, vip_holders
from netlab.lab import wait_for
from netlab.peers import has_address
from tests.netns.faults.nodes import IMPLEMENTATIONS, PYKA, node, report

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VIP = "192.0.2.49"
A, B = "192.0.2.41", "192.0.2.42"
ADVERT = 0.1
#: start-up and takeover bounds: several Master_Down_Intervals plus a daemon's start
BOUND = 5.0
#: how long a stays stopped: several of b's Master_Down_Intervals (≈ 0.36 s)
FROZEN = 1.2
#: "one advert interval plus a small deadline" for one master after SIGCONT
AFTER_CONT = ADVERT + 0.4

#: mode → (priority of a, priority of b, nopreempt, VRID, who holds the VIP at the end)
MODES = {
    "preempt": (150, 100, False, 85, "a"),
    "equal": (100, 100, False, 86, "b"),
    "nopreempt": (100, 150, True, 87, "b"),
}


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
@pytest.mark.parametrize("mode", list(MODES))
def test_sigstop_longer_than_down_interval_then_sigcont(
        make_lab: Callable[..., Lab], kind: str, mode: str) -> None:
    prio_a, prio_b, nopreempt, vrid, winner = MODES[mode]
    lab = make_lab(("a", "b", "c"), base=40, prefix=f"pfst{kind[:2]}")
    hosts = ("a", "b")

    a = node(lab, kind, "a", instance_conf(vrid=vrid, priority=prio_a, vip=f"{VIP}/24",
                                           nopreempt=nopreempt))
    b = node(lab, kind, "b", instance_conf(vrid=vrid, priority=prio_b, vip=f"{VIP}/24",
                                           nopreempt=nopreempt))
    a.start()
    wait_for(lambda: vip_holders(lab, hosts, VIP) == {"a"}, BOUND, what="a to be master")
    b.start()
    b.wait_for_log("(VI_T) Entering BACKUP STATE", BOUND)
    assert steady(lambda: vip_holders(lab, hosts, VIP) == {"a"}, 0.5)
    watch = AdvertWatch.start(lab, "c")
    try:
        stopped_at = time.monotonic()
        pid = freeze(a)
        took_over = first_time(lambda: has_address(lab, "b", VIP), BOUND, "b to take over")
        b.wait_for_log("(VI_T) Entering MASTER STATE", BOUND)
        left = FROZEN - (time.monotonic() - stopped_at)
        # a, stopped, cannot let go: both hold the VIP for the rest of the stop
        assert steady(lambda: vip_holders(lab, hosts, VIP) == {"a", "b"}, max(left, 0.0))
        mark_a, mark_b = len(a.log()), len(b.log())
        cont_ns, cont_at = time.time_ns(), time.monotonic()
        thaw(pid)
        converged = first_time(lambda: vip_holders(lab, hosts, VIP) == {winner},
                               BOUND, f"{winner} alone to hold the VIP")
        assert steady(lambda: vip_holders(lab, hosts, VIP) == {winner}, 1.0), "it flapped"
        adverts = [x for x in watch.adverts() if x.vrid == vrid and x.ns >= cont_ns]
    finally:
        watch.close()

    loser = "b" if winner == "a" else "a"
    logs = {"a": a.log()[mark_a:], "b": b.log()[mark_b:]}
    # the loser steps down once, the winner never: no flap on either side
    assert logs[loser].count("Entering BACKUP STATE") == 1, logs[loser]
    assert "Entering BACKUP STATE" not in logs[winner], logs[winner]
    assert "Entering MASTER STATE" not in logs[winner], logs[winner]  # master throughout

    address = {"a": A, "b": B}
    from_loser = [x.ns for x in adverts if x.source == address[loser] and x.priority]
    from_a = [x.ns for x in adverts if x.source == A]
    burst = sum(1 for ns in from_a if ns - cont_ns < ADVERT * 1e9)
    last_loser_ms = (max(from_loser) - cont_ns) / 1e6 if from_loser else 0.0
    figures = {
        "takeover_ms": round((took_over - stopped_at) * 1000),
        "frozen_s": round(cont_at - stopped_at, 2),
        "cont_to_one_holder_ms": round((converged - cont_at) * 1000),
        "cont_to_loser_last_advert_ms": round(last_loser_ms),
        "a_adverts_first_interval": burst,
        "winner": winner}
    report(f"SIGSTOP, {mode}", kind, figures)
    assert converged - cont_at < AFTER_CONT
    if kind == PYKA and winner == "b":
        assert burst == 0, "a stale advert went out before the peer's were read"
    assert last_loser_ms < AFTER_CONT * 1000
    # after the loser's last advert only the winner speaks, at its rhythm
    winner_after = [x.ns for x in adverts if x.source == address[winner]]
    assert len(winner_after) >= 5


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_sigstop_of_the_backup_then_sigcont(make_lab: Callable[..., Lab], kind: str) -> None:
    """The backup (b, 100) is stopped for several of its Master_Down_Intervals while the
    master (a, 150) goes on advertising. At SIGCONT b's down timer is long overdue, but
    its socket holds a's adverts, all received before that deadline would have passed
    in real time: b must read them as what they are and stay BACKUP, never claim the
    VIP, never send an advert. A backup that fired its overdue timer first would become
    MASTER, send adverts and gratuitous ARPs for the VIP, and be pushed back at once: a
    flap that points the clients at the wrong host."""
    vrid = 88
    lab = make_lab(("a", "b", "c"), base=40, prefix=f"pfsb{kind[:2]}")
    hosts = ("a", "b")
    a = node(lab, kind, "a", instance_conf(vrid=vrid, priority=150, vip=f"{VIP}/24"))
    b = node(lab, kind, "b", instance_conf(vrid=vrid, priority=100, vip=f"{VIP}/24"))
    a.start()
    wait_for(lambda: vip_holders(lab, hosts, VIP) == {"a"}, BOUND, what="a to be master")
    b.start()
    b.wait_for_log("(VI_T) Entering BACKUP STATE", BOUND)
    assert steady(lambda: vip_holders(lab, hosts, VIP) == {"a"}, 0.5)
    watch = AdvertWatch.start(lab, "c")
    try:
        pid = freeze(b)
        assert steady(lambda: vip_holders(lab, hosts, VIP) == {"a"}, FROZEN)
        mark = len(b.log())
        cont_ns = time.time_ns()
        thaw(pid)
        stayed = steady(lambda: vip_holders(lab, hosts, VIP) == {"a"}, 1.5)
        adverts = [x for x in watch.adverts() if x.vrid == vrid and x.ns >= cont_ns]
    finally:
        watch.close()
    from_b = [x for x in adverts if x.source == B]
    after = b.log()[mark:]
    report("SIGSTOP of the backup", kind, {
        "frozen_s": FROZEN, "b_adverts_after_cont": len(from_b),
        "b_became_master": "Entering MASTER STATE" in after})
    assert "Entering MASTER STATE" not in after, after
    assert not from_b, f"the resumed backup advertised: {from_b[:3]}"
    assert stayed, "the VIP moved"
    assert len([x for x in adverts if x.source == A]) >= 10
