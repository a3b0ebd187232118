"""The seed article's two weight rules, on real daemons with HAProxy killed on the master.

Positive weight (both nodes get +W while their check is OK): the master whose check fails
loses the VIP only if master_prio < backup_prio + W. Negative weight: only if
master_prio - |W| < backup_prio. Each rule has a case where the VIP moves and one where
it stays; a last case shows why the seed's all-BACKUP + nopreempt advice needs a
weightless (FAULT) check: a nopreempt backup accepts a lowered master's adverts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netlab.haproxy import Site, SiteSpec, Tracking, holds_throughout
from pykeepalived.vrrp.timing import master_down_interval

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

MASTER, BACKUP = 150, 100
SLACK = 1.0


@pytest.mark.parametrize(("vrid", "weight", "nopreempt", "moves"), [
    pytest.param(225, 60, False, True, id="positive-150<100+60-moves"),
    pytest.param(226, 40, False, False, id="positive-150>100+40-stays"),
    pytest.param(227, -60, False, True, id="negative-150-60<100-moves"),
    pytest.param(228, -40, False, False, id="negative-150-40>100-stays"),
    pytest.param(229, -60, True, False, id="negative-nopreempt-stays"),
])
def test_weight_rule_decides_whether_a_failed_check_moves_the_vip(
        make_lab: Callable[..., Lab], vrid: int, weight: int, nopreempt: bool,
        moves: bool) -> None:
    lab = make_lab(("node1", "node2", "client"), prefix="hap", base=220)
    site = Site(lab, SiteSpec(vrid=vrid, vip="192.0.2.231", nopreempt=nopreempt,
                              tracking=Tracking(weight=weight, interval=1, fall=1, rise=1)))
    site.start_in_order()
    node1, node2 = site.node("node1"), site.node("node2")
    for node in (node1, node2):
        node.daemon.wait_for_log("VRRP_Script(chk_haproxy) succeeded", 5.0)
    ok, failed = (MASTER + weight, MASTER) if weight > 0 else (MASTER, MASTER + weight)
    backup = BACKUP + max(weight, 0)
    assert (failed < backup) is (moves or nopreempt)  # the seed's rule, as parametrised

    mark = len(node1.daemon.log())
    node1.haproxy.kill()
    node1.daemon.wait_for_log(f"(VI_HAP) Changing effective priority from {ok} to {failed}",
                              1 + SLACK, after=mark)
    down = master_down_interval(backup, 10, version=3)
    if moves:
        site.wait_holder("node2", down + SLACK)
        node2.daemon.wait_for_log(f"received lower priority ({failed}) advert", 1.0)
    else:
        assert holds_throughout(site, "node1", 3 * down + 1.0)
        assert "Entering MASTER STATE" not in node2.daemon.log()
