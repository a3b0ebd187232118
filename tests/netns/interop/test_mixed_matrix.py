"""pykeepalived and real keepalived 2.2.7 in one cluster, each in each role.

Roles {pykeepalived master, keepalived master} × {v3 multicast, v3 unicast, v2 PASS,
v3 IPv6}: the higher priority wins as in a pure cluster; a link cut at the bridge hands
the VIP to the other implementation (a client can reach it there); the link's return
preempts back; SIGTERM hands over at Skew_Time through a priority-0 advert; and neither
daemon ever logs a refusal of the other's packets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netlab.lab import never_during, wait_for
from netlab.peers import KeepalivedPeer, PyNode, has_address, wait_address
from tests.netns.interop.cluster import (
    LAB_BASE,
    PREFIX,
    V2_PASS,
    V3_IPV6,
    V3_MULTICAST,
    V3_UNICAST,
    Variant,
    packet_errors,
    variant_conf,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.keepalived, pytest.mark.slow]

VARIANTS = (V3_MULTICAST, V3_UNICAST, V2_PASS, V3_IPV6)
#: (VRID, variant, pykeepalived is the master); VRIDs 200-207, one per case
CASES = [(200 + 2 * v + py_master, variant, bool(py_master))
         for v, variant in enumerate(VARIANTS) for py_master in (1, 0)]

Daemon = PyNode | KeepalivedPeer


def start_pair(lab: Lab, variant: Variant, vrid: int, py_master: bool) -> tuple[Daemon, Daemon]:
    """Master candidate on host m (priority 150), backup on s (100); started together."""
    m, s = lab.host("m"), lab.host("s")
    master_conf = variant_conf(variant, vrid=vrid, priority=150, me=m, peers=[s])
    backup_conf = variant_conf(variant, vrid=vrid, priority=100, me=s, peers=[m])
    master: Daemon
    backup: Daemon
    if py_master:
        master, backup = PyNode(lab, "m", master_conf), KeepalivedPeer(lab, "s", backup_conf)
    else:
        master, backup = KeepalivedPeer(lab, "m", master_conf), PyNode(lab, "s", backup_conf)
    master.start()
    backup.start()
    return master, backup


def wait_log(daemon: Daemon, text: str, timeout: float, *, after: int = 0) -> None:
    wait_for(lambda: text in daemon.log()[after:], timeout,
             what=f"{type(daemon).__name__} on {daemon.host} to log {text!r}")


@pytest.mark.parametrize(("vrid", "variant", "py_master"), CASES,
                         ids=[f"{v.name}-{'py' if p else 'ka'}-master" for _, v, p in CASES])
def test_mixed_cluster_elects_fails_over_preempts_and_hands_over(
        make_lab: Callable[..., Lab], vrid: int, variant: Variant, py_master: bool) -> None:
    lab = make_lab(("m", "s", "c"), prefix=PREFIX, base=LAB_BASE)
    vip, bound = variant.vip(vrid), variant.takeover
    master, backup = start_pair(lab, variant, vrid, py_master)

    # election: the higher priority holds the VIP, as a pure cluster would elect
    wait_address(lab, "m", vip, timeout=bound)
    wait_address(lab, "s", vip, present=False, timeout=bound)
    wait_log(backup, "(VI_T) Entering BACKUP STATE", bound)
    assert never_during(lambda: has_address(lab, "s", vip), 0.5)

    # the master's link is cut at the bridge: the other implementation takes over
    lab.link_down("m")
    wait_address(lab, "s", vip, timeout=bound)
    wait_for(lambda: lab.pings("c", vip), bound, what=f"client c to reach {vip} on s")
    wait_log(master, "(VI_T) Entering FAULT STATE", bound)

    # the link returns: the higher priority preempts back
    lab.link_up("m")
    wait_address(lab, "m", vip, timeout=bound)
    wait_address(lab, "s", vip, present=False, timeout=bound)
    wait_for(lambda: lab.pings("c", vip), bound, what=f"client c to reach {vip} on m")

    # SIGTERM: priority 0 on the wire, the backup takes over after Skew_Time
    mark = len(backup.log())
    assert master.stop() == 0
    wait_address(lab, "s", vip, timeout=bound)
    wait_log(backup, "(VI_T) Backup received priority 0 advertisement", bound, after=mark)
    wait_log(backup, "(VI_T) Entering MASTER STATE", bound, after=mark)

    assert packet_errors(master.log()) == []
    assert packet_errors(backup.log()) == []
