"""Netlink request building and idempotence rules: the bytes sent, decoded, and the errnos."""

from __future__ import annotations

import asyncio
import errno
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_interface
from typing import Any

import pytest

from pykeepalived.adapters import rtnl_codec as rt
from pykeepalived.adapters.links import IFA_F_NODAD, InterfaceNotFound
from pykeepalived.adapters.netlink import Netlink, NetlinkRequestError
from pykeepalived.adapters.rtnl_codec import Message, NetlinkError
from pykeepalived.specs.addresses import AddressSpec, RouteSpec, RuleSpec


class FakeRtnl:
    """Records each request, decoded by our own codec; raises the queued errnos in order.

    Looking a link up by name answers index 4 for eth0 and ENODEV for anything else, as
    the kernel does.
    """

    def __init__(self, *errors: int) -> None:
        self.errors = list(errors)
        self.calls: list[tuple[str, int, dict[str, Any]]] = []
        self.closed = False

    async def request(self, msg_type: int, flags: int, body: bytes) -> list[Message]:
        decoded = rt.decode_body(msg_type, body)
        if msg_type == rt.RTM_GETLINK:
            name = decoded.get("IFLA_IFNAME")
            if name is not None and name != "eth0":
                raise NetlinkError(errno.ENODEV)
            return [{"event": "RTM_NEWLINK", "ifi_index": 4, "IFLA_IFNAME": "eth0"}]
        self.calls.append((decoded.pop("event"), flags, decoded))
        if self.errors:
            raise NetlinkError(self.errors.pop(0))
        return []

    def close(self) -> None:
        self.closed = True


CREATE = rt.NLM_F_CREATE | rt.NLM_F_EXCL


def run(fake: FakeRtnl, coroutine_factory: Any) -> Any:
    return asyncio.run(coroutine_factory(Netlink(fake)))


def test_address_add_sends_every_keepalived_option() -> None:
    fake = FakeRtnl()
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
            "RTM_NEWADDR",
            CREATE,
            {
                "ifa_index": 4,
                "ifa_family": socket.AF_INET,
                "ifa_prefixlen": 24,
                "ifa_flags": 0,
                "ifa_scope": 253,
                "IFA_LOCAL": "192.0.2.100",
                "IFA_ADDRESS": "192.0.2.100",
                "IFA_BROADCAST": "192.0.2.255",
                "IFA_LABEL": "eth0:vip",
            },
        )
    ]


def test_ipv6_address_nodad_and_preferred_lft() -> None:
    fake = FakeRtnl()
    spec = AddressSpec("eth0", ip_interface("2001:db8::1/128"), nodad=True, preferred_lft=0)
    run(fake, lambda nl: nl.add_address(spec))
    ((_, _, args),) = fake.calls
    assert (args["ifa_flags"], args["IFA_FLAGS"], args["ifa_family"]) == (
        IFA_F_NODAD,
        IFA_F_NODAD,
        socket.AF_INET6,
    )
    assert args["IFA_CACHEINFO"]["ifa_preferred"] == 0
    assert args["IFA_CACHEINFO"]["ifa_valid"] == rt.INFINITY_LIFE_TIME


@pytest.mark.parametrize(
    ("method", "code"),
    [
        ("add_address", errno.EEXIST),
        ("delete_address", errno.EADDRNOTAVAIL),
    ],
)
def test_already_done_is_not_an_error(method: str, code: int) -> None:
    spec = AddressSpec("eth0", ip_interface("192.0.2.100/24"))
    assert run(FakeRtnl(code), lambda nl: getattr(nl, method)(spec)) is False


def test_route_and_rule_tolerate_their_missing_codes() -> None:
    route = RouteSpec(IPv4Network("192.0.2.0/25"), ifname="eth0")
    rule = RuleSpec(family=socket.AF_INET, table=100, priority=10)
    assert run(FakeRtnl(errno.ESRCH), lambda nl: nl.delete_route(route)) is False
    assert run(FakeRtnl(errno.EEXIST), lambda nl: nl.add_route(route)) is False
    assert run(FakeRtnl(errno.ENOENT), lambda nl: nl.delete_rule(rule)) is False
    assert run(FakeRtnl(errno.EEXIST), lambda nl: nl.add_rule(rule)) is False


def test_other_refusals_name_the_object() -> None:
    spec = AddressSpec("eth0", ip_interface("192.0.2.100/24"))
    with pytest.raises(
        NetlinkRequestError, match=r"cannot add address 192\.0\.2\.100/24 on eth0: EPERM"
    ):
        run(FakeRtnl(errno.EPERM), lambda nl: nl.add_address(spec))
    with pytest.raises(NetlinkRequestError, match=r"cannot delete .*: EEXIST"):
        run(FakeRtnl(errno.EEXIST), lambda nl: nl.delete_address(spec))


def test_unknown_interface_is_a_lookup_error_on_add() -> None:
    spec = AddressSpec("nosuch0", ip_interface("192.0.2.100/24"))
    with pytest.raises(InterfaceNotFound, match="'nosuch0' not found"):
        run(FakeRtnl(), lambda nl: nl.add_address(spec))


def test_deleting_from_a_vanished_interface_is_already_done() -> None:
    fake = FakeRtnl()
    vip = AddressSpec("nosuch0", ip_interface("192.0.2.100/24"))
    route = RouteSpec(IPv4Network("192.0.2.0/25"), ifname="nosuch0")
    assert run(fake, lambda nl: nl.delete_address(vip)) is False
    assert run(fake, lambda nl: nl.delete_route(route)) is False
    assert fake.calls == []


def test_route_arguments() -> None:
    fake = FakeRtnl()
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
    assert fake.calls == [
        (
            "RTM_NEWROUTE",
            CREATE,
            {
                "rtm_family": socket.AF_INET6,
                "rtm_dst_len": 64,
                "rtm_src_len": 0,
                "rtm_tos": 0,
                "rtm_table": 0,  # above 255: RTA_TABLE carries it
                "rtm_protocol": rt.RTPROT_KEEPALIVED,
                "rtm_scope": 0,
                "rtm_type": rt.RTN_UNICAST,
                "rtm_flags": 0,
                "RTA_TABLE": 300,
                "RTA_DST": "2001:db8:1::",
                "RTA_GATEWAY": "fe80::1",
                "RTA_OIF": 4,
                "RTA_PREFSRC": "2001:db8::1",
                "RTA_PRIORITY": 5,
            },
        )
    ]


def test_route_in_a_small_table_and_its_delete() -> None:
    """Table 100 fits rtm_table; a delete matches any scope and type (keepalived's)."""
    fake = FakeRtnl()
    spec = RouteSpec(IPv4Network("192.0.2.0/25"), ifname="eth0", table=100)
    run(fake, lambda nl: nl.delete_route(spec))
    ((event, flags, args),) = fake.calls
    assert (event, flags) == ("RTM_DELROUTE", 0)
    assert (args["rtm_table"], args["rtm_scope"], args["rtm_type"]) == (100, 255, 0)
    assert "RTA_TABLE" not in args
    assert (args["RTA_DST"], args["rtm_dst_len"], args["RTA_OIF"]) == ("192.0.2.0", 25, 4)


def test_rule_arguments() -> None:
    fake = FakeRtnl()
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
            "RTM_DELRULE",
            0,
            {
                "family": socket.AF_INET,
                "dst_len": 25,
                "src_len": 24,
                "tos": 0,
                "table": 100,
                "res1": 0,
                "res2": 0,
                "action": rt.FR_ACT_TO_TBL,
                "flags": 0,
                "FRA_PRIORITY": 1000,
                "FRA_SRC": "192.0.2.0",
                "FRA_DST": "192.0.2.128",
                "FRA_IIFNAME": "eth0",
                "FRA_OIFNAME": "eth1",
                "FRA_FWMARK": 3,
            },
        )
    ]


def test_rule_in_a_large_table() -> None:
    fake = FakeRtnl()
    spec = RuleSpec(family=socket.AF_INET6, table=1000, priority=7)
    run(fake, lambda nl: nl.add_rule(spec))
    ((event, flags, args),) = fake.calls
    assert (event, flags) == ("RTM_NEWRULE", CREATE)
    assert (args["family"], args["table"], args["FRA_TABLE"]) == (socket.AF_INET6, 0, 1000)


def test_link_requests() -> None:
    """macvlan in private mode with its MAC, addrgenmode none, up, delete."""
    fake = FakeRtnl()

    async def body(netlink: Netlink) -> None:
        await netlink.add_macvlan("eth0", "eth0", "00:00:5e:00:01:07")
        await netlink.link_up("eth0", addr_gen_none=True)
        assert await netlink.delete_link("eth0") is True
        assert await netlink.delete_link("nosuch0") is False

    run(fake, body)
    assert [(event, flags) for event, flags, _ in fake.calls] == [
        ("RTM_NEWLINK", CREATE), ("RTM_NEWLINK", 0), ("RTM_NEWLINK", 0), ("RTM_DELLINK", 0),
    ]
    macvlan, addrgen, up, delete = (args for _, _, args in fake.calls)
    assert (macvlan["IFLA_IFNAME"], macvlan["IFLA_LINK"], macvlan["IFLA_ADDRESS"]) == (
        "eth0", 4, "00:00:5e:00:01:07")
    assert macvlan["IFLA_LINKINFO"] == {
        "IFLA_INFO_KIND": "macvlan",
        "IFLA_INFO_DATA": {"IFLA_MACVLAN_MODE": rt.MACVLAN_MODE_PRIVATE},
    }
    assert addrgen["ifi_index"] == 4
    assert addrgen["IFLA_AF_SPEC"] == {"AF_INET6": {"IFLA_INET6_ADDR_GEN_MODE": 1}}
    assert (up["ifi_index"], up["ifi_flags"], up["ifi_change"]) == (4, 1, 1)
    assert delete["ifi_index"] == 4


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


def test_own_namespace_finds_an_index_without_asking_netlink() -> None:
    """The daemon's own namespace: if_nametoindex, no netlink round trip (FakeRtnl says 4)."""
    netlink = Netlink(FakeRtnl(), own_namespace=True)
    assert asyncio.run(netlink.ifindex("lo")) == socket.if_nametoindex("lo")
    with pytest.raises(InterfaceNotFound):
        asyncio.run(netlink.ifindex("no-such-if0"))


def test_own_namespace_delete_on_a_missing_interface_is_already_gone() -> None:
    fake = FakeRtnl()
    netlink = Netlink(fake, own_namespace=True)
    spec = AddressSpec("no-such-if0", ip_interface("192.0.2.100/24"))
    assert asyncio.run(netlink.delete_address(spec)) is False
    assert fake.calls == []
