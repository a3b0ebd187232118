"""virtual_rules on a real kernel: the `ip rule` exists exactly while the node is MASTER.

VRID 245, VIP 192.0.2.245; hosts 192.0.2.231 (a, priority 150) and .232 (b, 100).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netlab.conf import Block, instance_conf
from netlab.lab import wait_for
from netlab.peers import PyNode, wait_address

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.conf import Config
    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VIP = "192.0.2.245"
RULES = Block("virtual_rules", ["from 192.0.2.245 table 145 priority 1145",
                                 "to 192.0.2.240/29 iif eth0 lookup 146 preference 1146"])
TAKEOVER = 5.0


def rules_shown(lab: Lab, host: str) -> str:
    return lab.run(host, ["ip", "-4", "rule", "show"]).stdout


def has_rules(lab: Lab, host: str) -> bool:
    shown = rules_shown(lab, host)
    return ("1145:\tfrom 192.0.2.245 lookup 145" in shown
            and "1146:\tfrom all to 192.0.2.240/29 iif eth0 lookup 146" in shown)


def has_no_rules(lab: Lab, host: str) -> bool:
    shown = rules_shown(lab, host)
    return "1145:" not in shown and "1146:" not in shown


def test_virtual_rules_follow_mastership(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=230, prefix="ahxrule")

    def conf(priority: int) -> Config:
        return instance_conf(vrid=245, priority=priority, vip=f"{VIP}/24", extra=[RULES])

    a = PyNode(lab, "a", conf(150)).start()
    b = PyNode(lab, "b", conf(100)).start()
    wait_address(lab, "a", VIP, timeout=TAKEOVER)
    wait_for(lambda: has_rules(lab, "a"), TAKEOVER, what="rules on master a")
    b.wait_for_log("(VI_T) Entering BACKUP STATE", TAKEOVER)
    assert has_no_rules(lab, "b")
    assert a.stop() == 0
    assert has_no_rules(lab, "a")  # removed at stop, before the process exits
    wait_address(lab, "b", VIP, timeout=TAKEOVER)
    wait_for(lambda: has_rules(lab, "b"), TAKEOVER, what="rules on the new master b")
    assert "virtual_rule" not in b.log()
