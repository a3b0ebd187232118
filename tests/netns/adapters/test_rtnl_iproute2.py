"""Our rtnetlink messages make exactly what iproute2 makes: compared through `ip -j -d`.

Each object is made twice in the same namespace, once by our adapter and once by `ip`
with the arguments keepalived's messages amount to (routes: `proto keepalived`, scope
global unless given), and `ip -j -d ... show` must print the same for both; each is then
deleted by the other side, so either can remove what the other made. IPv4 and IPv6, a
table above 255 (RTA_TABLE / FRA_TABLE), a macvlan vmac with addrgenmode none.

It also reads a real kernel's dumps through our own socket and checks the codec decodes
them (the unit tests decode a saved copy, tests/unit/adapters/rtnl_captured.json;
PYKEEPALIVED_CAPTURE_RTNL=path writes a fresh one).
"""

from __future__ import annotations

import json
import os
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Network, ip_interface
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from netlab.lab import IFNAME
from pykeepalived.adapters import rtnl_codec as rt
from pykeepalived.adapters.rtnetlink import create_socket
from pykeepalived.specs.addresses import AddressSpec, RouteSpec, RuleSpec
from tests.netns.adapters.netlink_scenario import run
from tests.unit.adapters.rtnl_fixtures import check_captured

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Host, Lab
    from pykeepalived.adapters.netlink import Netlink

pytestmark = pytest.mark.netns

VMAC = "vrrp.51"
VMAC_MAC = "00:00:5e:00:01:33"
#: differ between two makings of the same object, or move by themselves
VOLATILE = frozenset({"ifindex", "stats64", "stats"})


def shown(host: Host, *args: str) -> list[dict[str, Any]]:
    return [strip(entry) for entry in json.loads(host.ip("-j", "-d", *args) or "[]")]


def strip(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: strip(v) if isinstance(v, dict) else v
            for k, v in entry.items() if k not in VOLATILE}


def addr_of(host: Host, local: str) -> dict[str, Any] | None:
    for link in json.loads(host.ip("-j", "-d", "addr", "show", "dev", IFNAME)):
        for entry in link["addr_info"]:
            if entry["local"] == local:
                return strip(entry)
    return None


def test_addresses_match_iproute2(make_lab: Callable[..., Lab]) -> None:
    host = make_lab(("a",)).host("a")
    # another subnet than eth0's own: a secondary must have its primary's scope (6.x says
    # "Invalid scope value")
    vip = AddressSpec(IFNAME, ip_interface("198.51.100.100/24"),
                      broadcast=IPv4Address("198.51.100.255"), scope="link", label=f"{IFNAME}:vip")
    vip6 = AddressSpec(IFNAME, ip_interface("2001:db8::100/128"), nodad=True, preferred_lft=0)
    ip_args = {
        "198.51.100.100": ("198.51.100.100/24", "brd", "198.51.100.255", "scope", "link",
                           "label", f"{IFNAME}:vip"),
        "2001:db8::100": ("2001:db8::100/128", "nodad", "preferred_lft", "0"),
    }

    async def body(netlink: Netlink) -> None:
        for spec in (vip, vip6):
            local = str(spec.address.ip)
            assert await netlink.add_address(spec) is True
            ours = addr_of(host, local)
            host.ip("addr", "del", str(spec.address), "dev", IFNAME)
            assert addr_of(host, local) is None
            host.ip("addr", "add", *ip_args[local], "dev", IFNAME)
            theirs = addr_of(host, local)
            assert ours is not None
            assert ours == theirs
            assert await netlink.delete_address(spec) is True
            assert addr_of(host, local) is None

    run(host, body)


ROUTES = [
    (RouteSpec(IPv4Network("192.0.2.128/25"), via=IPv4Address("192.0.2.254"), ifname=IFNAME,
               metric=50, table=100),
     ("-4", "192.0.2.128/25", "via", "192.0.2.254", "dev", IFNAME, "metric", "50",
      "table", "100", "proto", "18")),
    (RouteSpec(IPv4Network("198.51.100.0/24"), ifname=IFNAME, scope="link", table=1000),
     ("-4", "198.51.100.0/24", "dev", IFNAME, "scope", "link", "table", "1000",
      "proto", "18")),
    (RouteSpec(IPv4Network("198.51.100.0/25"), ifname=IFNAME, table=1001),
     ("-4", "198.51.100.0/25", "dev", IFNAME, "scope", "global", "table", "1001",
      "proto", "18")),
    (RouteSpec(IPv6Network("2001:db8:1::/64"), ifname=IFNAME, metric=7, table=1000),
     ("-6", "2001:db8:1::/64", "dev", IFNAME, "metric", "7", "table", "1000", "proto", "18")),
]


@pytest.mark.parametrize(("spec", "ip_args"), ROUTES, ids=["v4-gw", "v4-link-1000",
                                                           "v4-global-1001", "v6-1000"])
def test_routes_match_iproute2(
    make_lab: Callable[..., Lab], spec: RouteSpec, ip_args: tuple[str, ...]
) -> None:
    host = make_lab(("a",)).host("a")
    family, table = ip_args[0], str(spec.table)

    def table_now() -> list[dict[str, Any]]:
        return shown(host, family, "route", "show", "table", table)

    async def body(netlink: Netlink) -> None:
        assert await netlink.add_route(spec) is True
        ours = table_now()
        host.ip(family, "route", "del", *ip_args[1:])
        assert table_now() == []
        host.ip(family, "route", "add", *ip_args[1:])
        theirs = table_now()
        assert len(ours) == 1
        assert ours == theirs
        assert await netlink.delete_route(spec) is True
        assert table_now() == []

    run(host, body)


RULES = [
    (RuleSpec(family=socket.AF_INET, table=300, priority=1000,
              source=IPv4Network("192.0.2.0/24"), destination=IPv4Network("198.51.100.0/25"),
              iifname=IFNAME, oifname="lo", fwmark=3),
     ("-4", "priority", "1000", "from", "192.0.2.0/24", "to", "198.51.100.0/25",
      "iif", IFNAME, "oif", "lo", "fwmark", "3", "table", "300")),
    (RuleSpec(family=socket.AF_INET6, table=100, priority=1001,
              destination=IPv6Network("2001:db8:2::/48")),
     ("-6", "priority", "1001", "to", "2001:db8:2::/48", "table", "100")),
]


@pytest.mark.parametrize(("spec", "ip_args"), RULES, ids=["v4-300", "v6-100"])
def test_rules_match_iproute2(
    make_lab: Callable[..., Lab], spec: RuleSpec, ip_args: tuple[str, ...]
) -> None:
    host = make_lab(("a",)).host("a")
    family = ip_args[0]

    def rule_now() -> list[dict[str, Any]]:
        return [r for r in shown(host, family, "rule", "show") if r["priority"] == spec.priority]

    async def body(netlink: Netlink) -> None:
        assert await netlink.add_rule(spec) is True
        ours = rule_now()
        host.ip(family, "rule", "del", *ip_args[1:])
        assert rule_now() == []
        host.ip(family, "rule", "add", *ip_args[1:])
        theirs = rule_now()
        assert len(ours) == 1
        assert ours == theirs
        assert await netlink.delete_rule(spec) is True
        assert rule_now() == []

    run(host, body)


def test_vmac_matches_iproute2(make_lab: Callable[..., Lab]) -> None:
    host = make_lab(("a",)).host("a")

    def link_now() -> list[dict[str, Any]]:
        if VMAC not in host.ip("-o", "link", "show"):
            return []
        return shown(host, "link", "show", "dev", VMAC)

    async def body(netlink: Netlink) -> None:
        await netlink.add_macvlan(VMAC, IFNAME, VMAC_MAC)
        await netlink.link_up(VMAC, addr_gen_none=True)
        ours = link_now()
        assert await netlink.link_kind(VMAC) == "macvlan"
        host.ip("link", "del", VMAC)
        assert link_now() == []
        host.ip("link", "add", "link", IFNAME, "name", VMAC, "address", VMAC_MAC,
                "type", "macvlan", "mode", "private")
        host.ip("link", "set", "dev", VMAC, "addrgenmode", "none")
        host.ip("link", "set", "dev", VMAC, "up")
        theirs = link_now()
        assert len(ours) == 1
        assert ours == theirs
        assert ours[0]["linkinfo"]["info_data"]["mode"] == "private"
        assert ours[0]["inet6_addr_gen_mode"] == "none"
        assert await netlink.delete_link(VMAC) is True
        assert link_now() == []
        assert await netlink.delete_link(VMAC) is False

    run(host, body)


def raw_dump(namespace: str, msg_type: int, body: bytes) -> list[str]:
    """One dump through a bare socket of ours: every datagram, as hex, up to NLMSG_DONE."""
    with create_socket(namespace) as sock:
        sock.setblocking(True)
        sock.settimeout(5)
        sock.bind((0, 0))
        sock.send(rt.message(msg_type, rt.NLM_F_REQUEST | rt.NLM_F_DUMP, 1, body))
        datagrams: list[str] = []
        for _ in range(1000):
            data = sock.recv(65536)
            datagrams.append(data.hex())
            if any(m["event"] == "NLMSG_DONE" for m in rt.decode(data)):
                return datagrams
    raise AssertionError("no NLMSG_DONE in 1000 datagrams")


def test_real_kernel_dumps_decode(make_lab: Callable[..., Lab]) -> None:
    """Set up one of everything with our adapter, then decode what the kernel dumps."""
    host = make_lab(("a",)).host("a")
    facts: dict[str, Any] = {
        "vmac": {"ifname": VMAC, "mac": VMAC_MAC},
        "vip": {"address": "192.0.2.100", "prefixlen": 24, "label": f"{IFNAME}:vip",
                "broadcast": "192.0.2.255"},
        "vip6": {"address": "2001:db8::100"},
        "route": {"dst": "198.51.100.0", "dst_len": 24, "gateway": "192.0.2.254",
                  "table": 1000},
        "rule": {"priority": 1000, "table": 300, "fwmark": 5},
    }

    async def body(netlink: Netlink) -> None:
        await netlink.add_macvlan(VMAC, IFNAME, VMAC_MAC)
        await netlink.link_up(VMAC, addr_gen_none=True)
        await netlink.add_address(AddressSpec(
            IFNAME, ip_interface("192.0.2.100/24"), broadcast=IPv4Address("192.0.2.255"),
            label=f"{IFNAME}:vip"))
        await netlink.add_address(AddressSpec(IFNAME, ip_interface("2001:db8::100/128"),
                                              nodad=True, preferred_lft=0))
        await netlink.add_route(RouteSpec(IPv4Network("198.51.100.0/24"),
                                          via=IPv4Address("192.0.2.254"), table=1000))
        await netlink.add_rule(RuleSpec(family=socket.AF_INET, table=300, priority=1000,
                                        fwmark=5))

    run(host, body)
    facts["links"] = raw_dump(host.namespace, rt.RTM_GETLINK, rt.ifinfomsg())
    facts["addresses"] = raw_dump(host.namespace, rt.RTM_GETADDR, rt.ifaddrmsg(family=0))
    facts["routes"] = raw_dump(host.namespace, rt.RTM_GETROUTE, rt.rtmsg(family=rt.AF_INET))
    facts["rules"] = raw_dump(host.namespace, rt.RTM_GETRULE, rt.fib_rule_hdr(family=rt.AF_INET))
    check_captured(facts)
    target = os.environ.get("PYKEEPALIVED_CAPTURE_RTNL")
    if target:
        Path(target).write_text(json.dumps(facts, indent=1) + "\n")
