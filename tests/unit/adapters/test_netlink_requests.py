"""Netlink request building and idempotence rules, against a recording fake of AsyncIPRoute."""

from __future__ import annotations

import asyncio
import errno
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_interface
from typing import Any

import pytest
from pyroute2.netlink.exceptions import NetlinkError

from pykeepalived.adapters.links import IFA_F_NODAD, InterfaceNotFound
from pykeepalived.adapters.netlink import Netlink, NetlinkRequestError
from pykeepalived.specs.addresses import AddressSpec, RouteSpec, RuleSpec


class FakeIPRoute:
    """Records requests; raises the queued netlink error codes in order."""

    def __init__(self, *errors: int) -> None:
        self.errors = list(errors)
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def link_lookup(self, ifname: str) -> list[int]:
        return [4] if ifname == "eth0" else []

    async def _record(self, kind: str, command: str, args: dict[str, Any]) -> list[Any]:
        self.calls.append((kind, command, args))
        if self.errors:
            raise NetlinkError(self.errors.pop(0))
        return []

    async def addr(self, command: str, **args: Any) -> list[Any]:
        return await self._record("addr", command, args)

    async def route(self, command: str, **args: Any) -> list[Any]:
        return await self._record("route", command, args)

    async def rule(self, command: str, **args: Any) -> list[Any]:
        return await self._record("rule", command, args)


def run(fake: FakeIPRoute, coroutine_factory: Any) -> Any:
    return asyncio.run(coroutine_factory(Netlink(fake)))


def test_address_add_sends_every_keepalived_option() -> None:
    fake = FakeIPRoute()
    spec = AddressSpec(
        "eth0",
        ip_interface("192.0.2.100/24"),
        broadcast=IPv4Address("192.0.2.255"),
        scope="link",
        label="eth0:vip",
    )
    assert run(fake, lambda nl: nl.add_address(spec)) is True
    assert fake.calls == [
        (
            "addr",
            "add",
            {
                "index": 4,
                "address": "192.0.2.100",
                "prefixlen": 24,
                "family": socket.AF_INET,
                "scope": 253,
                "broadcast": "192.0.2.255",
                "label": "eth0:vip",
            },
        )
    ]


def test_ipv6_address_nodad_and_preferred_lft() -> None:
    fake = FakeIPRoute()
    spec = AddressSpec("eth0", ip_interface("2001:db8::1/128"), nodad=True, preferred_lft=0)
    run(fake, lambda nl: nl.add_address(spec))
    ((_, _, args),) = fake.calls
    assert (args["flags"], args["preferred_lft"], args["family"]) == (
        IFA_F_NODAD,
        0,
        socket.AF_INET6,
    )


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ("add_address", errno.EEXIST),
        ("delete_address", errno.EADDRNOTAVAIL),
    ],
)
def test_already_done_is_not_an_error(method: str, code: int) -> None:
    spec = AddressSpec("eth0", ip_interface("192.0.2.100/24"))
    assert run(FakeIPRoute(code), lambda nl: getattr(nl, method)(spec)) is False


def test_route_and_rule_tolerate_their_missing_codes() -> None:
    route = RouteSpec(IPv4Network("192.0.2.0/25"), ifname="eth0")
    rule = RuleSpec(family=socket.AF_INET, table=100, priority=10)
    assert run(FakeIPRoute(errno.ESRCH), lambda nl: nl.delete_route(route)) is False
    assert run(FakeIPRoute(errno.EEXIST), lambda nl: nl.add_route(route)) is False
    assert run(FakeIPRoute(errno.ENOENT), lambda nl: nl.delete_rule(rule)) is False
    assert run(FakeIPRoute(errno.EEXIST), lambda nl: nl.add_rule(rule)) is False


def test_other_refusals_name_the_object() -> None:
    spec = AddressSpec("eth0", ip_interface("192.0.2.100/24"))
    with pytest.raises(
        NetlinkRequestError, match=r"cannot add address 192\.0\.2\.100/24 on eth0: EPERM"
    ):
        run(FakeIPRoute(errno.EPERM), lambda nl: nl.add_address(spec))
    with pytest.raises(NetlinkRequestError, match=r"cannot delete .*: EEXIST"):
        run(FakeIPRoute(errno.EEXIST), lambda nl: nl.delete_address(spec))


def test_unknown_interface_is_a_lookup_error_on_add() -> None:
    spec = AddressSpec("nosuch0", ip_interface("192.0.2.100/24"))
    with pytest.raises(InterfaceNotFound, match="'nosuch0' not found"):
        run(FakeIPRoute(), lambda nl: nl.add_address(spec))


def test_deleting_from_a_vanished_interface_is_already_done() -> None:
    fake = FakeIPRoute()
    vip = AddressSpec("nosuch0", ip_interface("192.0.2.100/24"))
    route = RouteSpec(IPv4Network("192.0.2.0/25"), ifname="nosuch0")
    assert run(fake, lambda nl: nl.delete_address(vip)) is False
    assert run(fake, lambda nl: nl.delete_route(route)) is False
    assert fake.calls == []


def test_route_arguments() -> None:
    fake = FakeIPRoute()
    spec = RouteSpec(
        IPv6Network("2001:db8:1::/64"),
        via=IPv6Address("fe80::1"),
        ifname="eth0",
        source=IPv6Address("2001:db8::1"),
        scope="global",
        metric=5,
        table=300,
    )
    run(fake, lambda nl: nl.add_route(spec))
    assert fake.calls[0][2] == {
        "dst": "2001:db8:1::/64",
        "family": socket.AF_INET6,
        "table": 300,
        "gateway": "fe80::1",
        "oif": 4,
        "prefsrc": "2001:db8::1",
        "scope": 0,
        "priority": 5,
    }


def test_rule_arguments() -> None:
    fake = FakeIPRoute()
    spec = RuleSpec(
        family=socket.AF_INET,
        table=100,
        priority=1000,
        source=IPv4Network("192.0.2.0/24"),
        destination=IPv4Network("192.0.2.128/25"),
        iifname="eth0",
        oifname="eth1",
        fwmark=3,
    )
    run(fake, lambda nl: nl.delete_rule(spec))
    assert fake.calls == [
        (
            "rule",
            "del",
            {
                "family": socket.AF_INET,
                "table": 100,
                "priority": 1000,
                "src": "192.0.2.0",
                "src_len": 24,
                "dst": "192.0.2.128",
                "dst_len": 25,
                "iifname": "eth0",
                "oifname": "eth1",
                "fwmark": 3,
            },
        )
    ]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: AddressSpec("eth0", ip_interface("192.0.2.1/24"), scope="galaxy"),
            "unknown scope",
        ),
        (
            lambda: AddressSpec(
                "eth0", ip_interface("2001:db8::1/64"), broadcast=IPv4Address("192.0.2.255")
            ),
            "broadcast given",
        ),
        (lambda: AddressSpec("eth0", ip_interface("192.0.2.1/24"), label="x" * 16), "at most 15"),
        (
            lambda: RouteSpec(IPv4Network("192.0.2.0/24"), via=IPv6Address("fe80::1")),
            "another address family",
        ),
        (lambda: RouteSpec(IPv4Network("192.0.2.0/24")), "needs a gateway or a device"),
        (
            lambda: RouteSpec(IPv4Network("192.0.2.0/24"), ifname="eth0", scope="galaxy"),
            "unknown scope",
        ),
        (lambda: RuleSpec(family=socket.AF_PACKET, table=1, priority=1), "rule family"),
        (
            lambda: RuleSpec(
                family=socket.AF_INET, table=1, priority=1, source=IPv6Network("2001:db8::/32")
            ),
            "not IPv4",
        ),
        (lambda: RuleSpec(family=socket.AF_INET, table=0, priority=1), "out of range"),
    ],
)
def test_specs_reject_bad_settings(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_own_namespace_finds_an_index_without_asking_pyroute2() -> None:
    """The daemon's own namespace: if_nametoindex, no link dump (FakeIPRoute says 4)."""
    netlink = Netlink(FakeIPRoute(), own_namespace=True)
    assert asyncio.run(netlink.ifindex("lo")) == socket.if_nametoindex("lo")
    with pytest.raises(InterfaceNotFound):
        asyncio.run(netlink.ifindex("no-such-if0"))


def test_own_namespace_delete_on_a_missing_interface_is_already_gone() -> None:
    fake = FakeIPRoute()
    netlink = Netlink(fake, own_namespace=True)
    spec = AddressSpec("no-such-if0", ip_interface("192.0.2.100/24"))
    assert asyncio.run(netlink.delete_address(spec)) is False
    assert fake.calls == []
