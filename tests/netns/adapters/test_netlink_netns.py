"""Netlink requests against a real kernel: VIPs, routes and rules, each exactly once."""

from __future__ import annotations

import json
import re
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Network, ip_interface
from typing import TYPE_CHECKING, Any

import pytest

from netlab.lab import IFNAME
from pykeepalived.adapters.links import InterfaceNotFound
from pykeepalived.adapters.netlink import Netlink, NetlinkRequestError
from pykeepalived.specs.addresses import AddressSpec, RouteSpec, RuleSpec
from tests.netns.adapters.netlink_scenario import run

if TYPE_CHECKING:

    from netlab.lab import Host, Lab

pytestmark = pytest.mark.netns


def addresses(host: Host) -> list[dict[str, Any]]:
    shown = json.loads(host.ip("-j", "addr", "show", "dev", IFNAME))
    return list(shown[0]["addr_info"])


def find(host: Host, local: str) -> dict[str, Any] | None:
    return next((a for a in addresses(host) if a["local"] == local), None)


def test_ipv4_vip_add_twice_delete_twice(lab: Lab) -> None:
    host_a = lab.host("a")
    vip = AddressSpec(
        IFNAME,
        ip_interface("192.0.2.100/24"),
        broadcast=IPv4Address("192.0.2.255"),
        label=f"{IFNAME}:vip",
    )

    async def body(netlink: Netlink) -> None:
        assert await netlink.add_address(vip) is True
        shown = find(host_a, "192.0.2.100")
        assert shown is not None
        assert (shown["prefixlen"], shown["broadcast"], shown["scope"]) == (
            24,
            "192.0.2.255",
            "global",
        )
        assert shown["label"] == f"{IFNAME}:vip"
        assert await netlink.has_address(IFNAME, vip.address) is True
        assert await netlink.add_address(vip) is False
        assert await netlink.delete_address(vip) is True
        assert find(host_a, "192.0.2.100") is None
        assert await netlink.delete_address(vip) is False
        assert await netlink.has_address(IFNAME, vip.address) is False

    run(host_a, body)


def test_ipv6_vip_nodad_and_deprecated(lab: Lab) -> None:
    host_a = lab.host("a")
    vip = AddressSpec(IFNAME, ip_interface("2001:db8::100/128"), nodad=True, preferred_lft=0)

    async def body(netlink: Netlink) -> None:
        assert await netlink.add_address(vip) is True
        shown = find(host_a, "2001:db8::100")
        assert shown is not None
        assert shown.get("nodad") is True
        assert shown.get("deprecated") is True
        assert shown["preferred_life_time"] == 0
        assert await netlink.delete_address(vip) is True

    run(host_a, body)


def test_scope_is_applied(lab: Lab) -> None:
    host_a = lab.host("a")
    vip = AddressSpec(IFNAME, ip_interface("192.0.2.101/32"), scope="host")

    async def body(netlink: Netlink) -> None:
        await netlink.add_address(vip)
        shown = find(host_a, "192.0.2.101")
        assert shown is not None
        assert shown["scope"] == "host"

    run(host_a, body)


def test_interface_info_and_link_state(lab: Lab) -> None:
    host_a = lab.host("a")
    async def body(netlink: Netlink) -> None:
        info = await netlink.interface(IFNAME)
        assert info.link.index == host_a.ifindex
        assert info.link.mac == host_a.mac
        assert info.link.up
        assert info.primary_ipv4 == host_a.ipv4
        assert info.ipv6_link_local == host_a.link_local
        with pytest.raises(InterfaceNotFound, match="nosuch0"):
            await netlink.interface("nosuch0")

    run(host_a, body)


def routes(host: Host, table: int, family: str = "-4") -> list[dict[str, Any]]:
    return list(json.loads(host.ip(family, "-j", "route", "show", "table", str(table))))


def test_route_add_twice_delete_twice(lab: Lab) -> None:
    host_a = lab.host("a")
    route = RouteSpec(
        IPv4Network("192.0.2.128/25"),
        via=IPv4Address("192.0.2.254"),
        ifname=IFNAME,
        source=host_a.ipv4,
        metric=50,
        table=100,
    )

    async def body(netlink: Netlink) -> None:
        assert await netlink.add_route(route) is True
        (shown,) = routes(host_a, 100)
        assert (shown["dst"], shown["gateway"], shown["dev"]) == (
            "192.0.2.128/25",
            "192.0.2.254",
            IFNAME,
        )
        assert (shown["prefsrc"], shown["metric"]) == (str(host_a.ipv4), 50)
        assert await netlink.add_route(route) is False
        assert await netlink.delete_route(route) is True
        assert routes(host_a, 100) == []
        assert await netlink.delete_route(route) is False

    run(host_a, body)


def test_ipv6_route_and_refused_route(lab: Lab) -> None:
    host_a = lab.host("a")
    route = RouteSpec(IPv6Network("2001:db8:1::/64"), ifname=IFNAME, table=101)
    unreachable = RouteSpec(
        IPv4Network("192.0.2.0/28"), via=IPv4Address("192.0.2.250"), ifname="lo", table=102
    )

    async def body(netlink: Netlink) -> None:
        assert await netlink.add_route(route) is True
        assert [r["dst"] for r in routes(host_a, 101, "-6")] == ["2001:db8:1::/64"]
        assert await netlink.delete_route(route) is True
        with pytest.raises(NetlinkRequestError) as refused:
            await netlink.add_route(unreachable)
        assert re.fullmatch(
            r"cannot add route 192\.0\.2\.0/28 table 102: E[A-Z]+ \(.+\)", str(refused.value)
        ), str(refused.value)

    run(host_a, body)


def rules(host: Host) -> list[dict[str, Any]]:
    return [r for r in json.loads(host.ip("-j", "rule", "show")) if r["priority"] == 1000]


def test_rule_add_twice_delete_twice(lab: Lab) -> None:
    host_a = lab.host("a")
    rule = RuleSpec(
        family=socket.AF_INET,
        table=100,
        priority=1000,
        source=IPv4Network("192.0.2.100/32"),
        fwmark=7,
    )

    async def body(netlink: Netlink) -> None:
        assert await netlink.add_rule(rule) is True
        (shown,) = rules(host_a)
        assert (shown["src"], shown["table"], shown["fwmark"]) == ("192.0.2.100", "100", "0x7")
        assert await netlink.add_rule(rule) is False
        assert await netlink.delete_rule(rule) is True
        assert rules(host_a) == []
        assert await netlink.delete_rule(rule) is False

    run(host_a, body)
