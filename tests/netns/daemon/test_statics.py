"""static_ipaddress / static_routes / static_rules on a real kernel: there from start to
SIGTERM whatever the VRRP state, and a reload touches only what it dropped.

Hosts 192.0.2.153 (a) and .154 (b); VRID 159, VIP 192.0.2.159; statics on a: address
192.0.2.155, routes to .156 and .157 via b in table 150 (not main: harmless), a rule
for 192.0.2.155 into table 150 at preference 1150.
"""

from __future__ import annotations

import signal
from dataclasses import replace
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

VIP = "192.0.2.159"
STATIC_ADDRESS = "192.0.2.155"
ROUTE_KEPT = "192.0.2.156 via 192.0.2.154 dev eth0"
ROUTE_DROPPED = "192.0.2.157 via 192.0.2.154 dev eth0"
RULE = "1150:\tfrom 192.0.2.155 lookup 150"
TAKEOVER = 5.0


def conf(priority: int, *, routes: tuple[str, ...] = (ROUTE_KEPT, ROUTE_DROPPED),
         statics: bool = True) -> Config:
    config = instance_conf(vrid=159, priority=priority, vip=f"{VIP}/24")
    if not statics:
        return config
    return replace(config, blocks=[
        Block("static_ipaddress", [f"{STATIC_ADDRESS}/32 dev eth0"]),
        Block("static_routes", [f"{route} table 150" for route in routes]),
        Block("static_rules", [f"from {STATIC_ADDRESS} table 150 priority 1150"])])


def statics_on(lab: Lab, host: str) -> tuple[bool, list[str], bool]:
    """(static address there, routes of table 150, static rule there)."""
    addresses = lab.run(host, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"]).stdout
    # a table with no route left is gone: `ip` then fails, which reads as no route
    routes = lab.run(host, ["ip", "-4", "route", "show", "table", "150"], check=False).stdout
    rules = lab.run(host, ["ip", "-4", "rule", "show"]).stdout
    return (f" {STATIC_ADDRESS}/32 " in addresses,
            sorted(line.split(" proto ")[0].strip() for line in routes.splitlines()
                   if line.strip()),
            RULE in rules)


ALL_THERE = (True, [ROUTE_KEPT, ROUTE_DROPPED], True)
NONE_THERE: tuple[bool, list[str], bool] = (False, [], False)


def test_statics_live_from_start_to_sigterm(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=152, prefix="stxlife")
    a = PyNode(lab, "a", conf(150)).start()
    wait_address(lab, "a", VIP, timeout=TAKEOVER)
    assert statics_on(lab, "a") == ALL_THERE
    # b preempts: a goes BACKUP, its VIP leaves, the statics stay
    b = PyNode(lab, "b", conf(200, statics=False)).start()
    wait_address(lab, "b", VIP, timeout=TAKEOVER)
    a.wait_for_log("(VI_T) Entering BACKUP STATE", TAKEOVER)
    wait_address(lab, "a", VIP, present=False, timeout=TAKEOVER)
    assert statics_on(lab, "a") == ALL_THERE
    # b goes away: a is MASTER again, statics still exactly once
    assert b.stop() == 0
    wait_address(lab, "a", VIP, timeout=TAKEOVER)
    assert statics_on(lab, "a") == ALL_THERE
    assert statics_on(lab, "b") == NONE_THERE
    assert a.stop() == 0
    # removed before the process exits
    assert statics_on(lab, "a") == NONE_THERE
    assert "Netlink: error" not in a.log()


def test_reload_dropping_a_route_removes_only_it(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a",), base=152, prefix="stxreld")
    a = PyNode(lab, "a", conf(150)).start()
    wait_address(lab, "a", VIP, timeout=TAKEOVER)
    assert statics_on(lab, "a") == ALL_THERE
    mark = len(a.log())
    a.config_path.write_text(conf(150, routes=(ROUTE_KEPT,)).text())
    a.send_signal(signal.SIGHUP)
    a.wait_for_log("Reload complete", TAKEOVER, after=mark)
    assert statics_on(lab, "a") == (True, [ROUTE_KEPT], True)
    wait_for(lambda: "Removing route 192.0.2.157" in a.log()[mark:] or None, TAKEOVER,
             what="the dropped route's log line")
    # the reload must not have bounced the kept ones: no "no longer exist" for the address
    assert "no longer exist" not in a.log()
    assert a.stop() == 0
    assert statics_on(lab, "a") == NONE_THERE
