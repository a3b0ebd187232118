"""Network faults on a VRRPv3 pair at 0.1 s: loss, a flapping link, duplicated and
reordered adverts, each played against pykeepalived and keepalived 2.2.7.

Host a (192.0.2.51, priority 150) is master, b (.52, 100) backup; c hears the LAN and,
for the replay test, replays it; d only listens (netlab.faults.AdvertWatch, kernel
receive times). Figures go to `FIGURES` lines (bench/faults_process.py collects them):

- 20 % loss each way (nftables in the bridge): a backup that misses three adverts in a
  row takes over, which VRRP cannot avoid (about 0.8 % of the intervals at 20 %); the
  figures are those takeovers and the time both advertised, keepalived beside; both
  must heal at once and be back to one master when the loss ends.
- the master's link flapping (down and up every 0.5 s): the figures are how often each
  moved; when it stops, a alone holds the VIP.
- every advert duplicated at once and replayed late, after a newer one: nothing may
  move at all (b never MASTER, a never leaves MASTER, the VIP stays on a).

The windows are short in CI; PYKA_NETFAULT_SECONDS (bench: 120) sets the loss and
replay windows, half of it the flapping one.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.faults import AdvertWatch, steady, vip_holders
from netlab.lab import wait_for
from netlab.network_faults import Replayer, dropped, flap, loss, masters_overlap
from tests.netns.faults.nodes import IMPLEMENTATIONS, node, report

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab
    from netlab.peers import KeepalivedPeer, PyNode

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VIP = "192.0.2.59"
A, B = "192.0.2.51", "192.0.2.52"
ADVERT = 0.1
BOUND = 5.0
WINDOW = float(os.environ.get("PYKA_NETFAULT_SECONDS", "8"))


def pair(lab: Lab, kind: str, vrid: int) -> tuple[PyNode | KeepalivedPeer,
                                                  PyNode | KeepalivedPeer]:
    """a master, b backup, settled."""
    a = node(lab, kind, "a", instance_conf(vrid=vrid, priority=150, vip=f"{VIP}/24"))
    b = node(lab, kind, "b", instance_conf(vrid=vrid, priority=100, vip=f"{VIP}/24"))
    a.start()
    wait_for(lambda: vip_holders(lab, ("a", "b"), VIP) == {"a"}, BOUND, what="a master")
    b.start()
    b.wait_for_log("(VI_T) Entering BACKUP STATE", BOUND)
    assert steady(lambda: vip_holders(lab, ("a", "b"), VIP) == {"a"}, 0.5)
    return a, b


def healed(lab: Lab, a: PyNode | KeepalivedPeer, b: PyNode | KeepalivedPeer) -> float:
    """Seconds until a alone holds the VIP again (and stays so); both still running."""
    start = time.monotonic()
    wait_for(lambda: vip_holders(lab, ("a", "b"), VIP) == {"a"}, BOUND,
             what="a alone to hold the VIP after the fault")
    took = time.monotonic() - start
    assert steady(lambda: vip_holders(lab, ("a", "b"), VIP) == {"a"}, 1.0), "it flapped"
    for daemon in (a, b):
        assert daemon.process is not None
        assert daemon.process.popen.poll() is None, f"{daemon.kind} exited"
        assert "Traceback" not in daemon.log()
    return took


def lab_for(make_lab: Callable[..., Lab], kind: str, name: str) -> Lab:
    return make_lab(("a", "b", "c", "d"), base=50, prefix=f"nf{name}{kind[:2]}")


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_twenty_percent_loss_each_way(make_lab: Callable[..., Lab], kind: str) -> None:
    vrid = 91
    lab = lab_for(make_lab, kind, "loss")
    a, b = pair(lab, kind, vrid)
    watch = AdvertWatch.start(lab, "d")
    try:
        mark_a, mark_b = len(a.log()), len(b.log())
        with loss(lab, 20):
            time.sleep(WINDOW)  # the fault's window, nothing to wait for
            lost = dropped(lab)
        adverts = watch.adverts()
        heal = healed(lab, a, b)
    finally:
        watch.close()
    takeovers = b.log()[mark_b:].count("Entering MASTER STATE")
    from_a = sum(1 for x in adverts if x.vrid == vrid and x.source == A)
    report("20 % loss", kind, {
        "seconds": WINDOW, "frames_dropped": lost, "adverts_from_a_heard": from_a,
        "b_takeovers": takeovers,
        "a_stepped_down": a.log()[mark_a:].count("Entering BACKUP STATE"),
        "both_advertising_s": round(masters_overlap(adverts, vrid, (A, B), ADVERT), 2),
        "heal_ms": round(heal * 1000)})
    assert lost > 0, "the loss rule dropped nothing"
    # about a fifth of a's adverts lost on the way to d as well
    assert from_a < WINDOW / ADVERT * 0.95
    assert "Entering BACKUP STATE" not in a.log()[mark_a:], "a (150) yielded to b (100)"


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_the_masters_link_flapping(make_lab: Callable[..., Lab], kind: str) -> None:
    vrid = 92
    lab = lab_for(make_lab, kind, "flap")
    a, b = pair(lab, kind, vrid)
    watch = AdvertWatch.start(lab, "d")
    try:
        mark_a, mark_b = len(a.log()), len(b.log())
        downs = flap(lab, "a", period=0.5, seconds=WINDOW / 2)
        heal = healed(lab, a, b)
        adverts = watch.adverts()
    finally:
        watch.close()
    faults = a.log()[mark_a:].count("Entering FAULT STATE")
    report("link flapping, 0.5 s", kind, {
        "seconds": WINDOW / 2, "link_downs": downs, "a_faults": faults,
        "a_masters": a.log()[mark_a:].count("Entering MASTER STATE"),
        "b_takeovers": b.log()[mark_b:].count("Entering MASTER STATE"),
        "both_advertising_s": round(masters_overlap(adverts, vrid, (A, B), ADVERT), 2),
        "heal_ms": round(heal * 1000)})
    assert faults == downs, "each link loss is one FAULT"


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_duplicated_and_reordered_adverts_move_nothing(make_lab: Callable[..., Lab],
                                                       kind: str) -> None:
    vrid = 93
    lab = lab_for(make_lab, kind, "dup")
    a, b = pair(lab, kind, vrid)
    watch = AdvertWatch.start(lab, "d")
    replayer = Replayer(lab, "c").start()
    try:
        mark_a, mark_b = len(a.log()), len(b.log())
        time.sleep(WINDOW)  # the fault's window, nothing to wait for
        duplicates, reordered = replayer.stop()
        adverts = watch.adverts()
    finally:
        replayer.stop()
        watch.close()
    after_a, after_b = a.log()[mark_a:], b.log()[mark_b:]
    from_b = [x for x in adverts if x.vrid == vrid and x.source == B]
    report("duplicated + reordered adverts", kind, {
        "seconds": WINDOW, "duplicates": duplicates, "reordered": reordered,
        "b_takeovers": after_b.count("Entering MASTER STATE"),
        "a_left_master": after_a.count("Entering BACKUP STATE")
        + after_a.count("Entering FAULT STATE"),
        "adverts_from_b": len(from_b)})
    assert duplicates >= WINDOW / ADVERT * 0.8, "the replayer did not keep up"
    assert reordered >= duplicates * 0.9  # each advert but a sender's first
    assert "Entering MASTER STATE" not in after_b
    assert "Entering BACKUP STATE" not in after_a
    assert not from_b
    assert vip_holders(lab, ("a", "b"), VIP) == {"a"}
