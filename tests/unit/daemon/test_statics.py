"""static_ipaddress / static_routes / static_rules: build defaults, and the runtime's
order at start, stop and reload over a recording fake netlink (keepalived 2.2.7's
vrrp_daemon.c order: statics before the instances run, removed after they retire)."""

from __future__ import annotations

import asyncio
import errno
from dataclasses import dataclass, field
from ipaddress import IPv4Address, ip_interface, ip_network
from socket import AF_INET6
from typing import TYPE_CHECKING

from pykeepalived.adapters.links import InterfaceNotFound
from pykeepalived.adapters.netlink import NetlinkRequestError
from pykeepalived.adapters.netlink_events import AddressRemoved
from pykeepalived.specs.reload import plan_reload
from pykeepalived.vrrp.actions import LogLevel
from tests.unit.daemon.rt_fakes import FakeNetlink, FakeSocket
from tests.unit.daemon.rt_fakes import Harness as BaseHarness
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pykeepalived.daemon.runtime import Runtime
    from pykeepalived.specs.build import DaemonSpec

STATICS = """
static_ipaddress {
    192.0.2.150/24 dev eth0
    192.0.2.151/32
}
static_routes {
    192.0.2.128/28 via 192.0.2.1 dev eth0 table 100
}
static_rules {
    from 192.0.2.150/32 table 100 priority 150
}
"""


def config(statics: str = STATICS, globals_: str = "", instance: str = "") -> str:
    return f"global_defs {{\n{globals_}\n}}\n{statics}\n{instance or instance_text()}"


# ----------------------------------------------------------------------------- build


def test_build_applies_keepalived_defaults(tmp_path: Path) -> None:
    text = config("""
static_ipaddress {
    192.0.2.152/24
    2001:db8::152/64 dev eth0 no_track
}
static_routes {
    192.0.2.144/28 dev eth0 table main
    inet6 2001:db8:1::/64 via 2001:db8::1 table 101
    192.0.2.160/28
}
static_rules {
    to 192.0.2.144/28 table 101
}
""")
    spec = daemon_from(text, tmp_path)
    statics = spec.statics
    # no dev: keepalived's default interface, eth0
    assert [(a.ifname, str(a.address)) for a in statics.addresses] == [
        ("eth0", "192.0.2.152/24"), ("eth0", "2001:db8::152/64")]
    assert statics.tracked == {("eth0", IPv4Address("192.0.2.152"))}
    assert [(str(r.destination), r.table) for r in statics.routes] == [
        ("192.0.2.144/28", 254), ("2001:db8:1::/64", 101)]
    # a static route with neither dev nor via has no instance interface to fall back on
    assert "(static) static_route '192.0.2.160/28' skipped: " \
        "route 192.0.2.160/28 needs a gateway or a device" in spec.warnings
    # static rules take the first number of keepalived's one preference counter
    assert [(r.priority, r.table, r.destination) for r in statics.rules] == [
        (16384, 101, ip_network("192.0.2.144/28"))]


def test_default_interface_from_global_defs(tmp_path: Path) -> None:
    text = config("static_ipaddress {\n    192.0.2.153/24\n}\n",
                  globals_="    default_interface lo")
    assert [a.ifname for a in daemon_from(text, tmp_path).statics.addresses] == ["lo"]


def test_static_rule_numbering_is_shared_with_virtual_rules(tmp_path: Path) -> None:
    text = config("static_rules {\n    from 2001:db8::150 table 100\n}\n",
                  instance=instance_text(extra="virtual_rules {\n from 2001:db8::151 table 100\n}"))
    spec = daemon_from(text, tmp_path)
    assert [(r.family, r.priority) for r in spec.statics.rules] == [(AF_INET6, 16384)]
    assert [r.priority for r in spec.instances[0].rules] == [16383]


# ----------------------------------------------------------------------------- runtime


@dataclass
class Netlink(FakeNetlink):
    """FakeNetlink that can hold pre-existing items and refuse requests."""

    present: set[str] = field(default_factory=set)
    refuse: dict[str, Exception] = field(default_factory=dict)

    async def add_address(self, spec: object) -> bool:
        key = str(getattr(spec, "address", spec))
        if key in self.refuse:
            self.rec.calls.append(("refused", key))
            raise self.refuse[key]
        await super().add_address(spec)
        return key not in self.present


@dataclass
class Harness(BaseHarness):
    """Silent sockets, and a Netlink that `setup` can prime before the runtime starts."""

    netlink: Netlink | None = None
    setup: Callable[[Netlink], None] | None = None

    def make_netlink(self) -> Netlink:
        self.netlink = Netlink(self.rec)
        if self.setup is not None:
            self.setup(self.netlink)
        return self.netlink

    def make_socket(self) -> FakeSocket:
        return FakeSocket(self.rec, record=False)

    async def runtime(self, daemon: DaemonSpec, *, release_vips: bool = True,
                      setup: Callable[[Netlink], None] | None = None) -> Runtime:
        self.setup = setup
        return await super().runtime(daemon, release_vips=release_vips)

    def netlink_calls(self) -> list[tuple[object, ...]]:
        return [c for c in self.rec.calls if c[0] not in ("advert", "frame", "drain", "close")]


STATIC_ADDS = [("add", "192.0.2.150/24"), ("add", "192.0.2.151/32"),
               ("add_route", "192.0.2.128/28"), ("add_rule", "150")]
STATIC_DELETES = [("delete_rule", "150"), ("delete_route", "192.0.2.128/28"),
                  ("delete", "192.0.2.150/24"), ("delete", "192.0.2.151/32")]


def test_start_adds_statics_before_instances_and_stop_removes_them_after(
        tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(config(), tmp_path))
        await runtime.stop()

    asyncio.run(scenario())
    calls = harness.netlink_calls()
    # start: the rule is cleared first (no duplicate rule), then addresses, routes, rules;
    # the instance's own BACKUP clean-up of its VIP comes after
    assert calls[:6] == [("delete_rule", "150"), *STATIC_ADDS, ("delete", "192.0.2.171/24")]
    # stop: the instance retires first (notify STOP), then rules, routes, addresses
    assert calls[6:] == [("notify", "VI_T", "BACKUP", 100), ("notify", "VI_T", "STOP", 100),
                         *STATIC_DELETES]


def test_dont_release_vrrp_keeps_vips_but_not_statics(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> None:
        runtime = await harness.runtime(
            daemon_from(config(), tmp_path), release_vips=False,
            setup=lambda nl: nl.present.add("192.0.2.151/32"))
        await runtime.stop()

    asyncio.run(scenario())
    calls = harness.netlink_calls()
    # -V: a predecessor's static addresses are cleared before they are added
    assert calls[:7] == [("delete", "192.0.2.150/24"), ("delete", "192.0.2.151/32"),
                         ("delete_rule", "150"), *STATIC_ADDS]
    # and at stop every static address goes, even one this run found already there
    assert calls[-4:] == STATIC_DELETES


def test_an_address_already_there_is_left_to_its_owner(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(config(), tmp_path),
                                        setup=lambda nl: nl.present.add("192.0.2.151/32"))
        await runtime.stop()

    asyncio.run(scenario())
    assert harness.netlink_calls()[-3:] == STATIC_DELETES[:3]
    assert ("delete", "192.0.2.151/32") not in harness.rec.calls
    assert ("static address 192.0.2.151/32 on eth0 already present: left to its owner",
            LogLevel.DEBUG) in harness.log.lines


def test_a_refused_static_is_logged_and_the_daemon_goes_on(tmp_path: Path) -> None:
    harness = Harness()

    def refuse(netlink: Netlink) -> None:
        netlink.refuse["192.0.2.150/24"] = NetlinkRequestError(
            "add", "address 192.0.2.150/24 on eth0", errno.EPERM)
        netlink.refuse["192.0.2.151/32"] = InterfaceNotFound("eth0")

    async def scenario() -> str:
        runtime = await harness.runtime(daemon_from(config(), tmp_path), setup=refuse)
        state = runtime.nodes["VI_T"].instance.state.value
        await runtime.stop()
        return state

    assert asyncio.run(scenario()) == "BACKUP"
    text = harness.log.text()
    assert "Netlink: error: Operation not permitted(1), type=RTM_NEWADDR(20) " \
        "(address 192.0.2.150/24 on eth0)" in text
    assert "Not adding address 192.0.2.151 to eth0 since interface doesn't exist" in text
    # the route and rule still went in, and only what went in comes out
    assert ("add_route", "192.0.2.128/28") in harness.rec.calls
    assert harness.netlink_calls()[-2:] == STATIC_DELETES[:2]


def test_reload_removes_only_what_was_dropped_and_adds_only_what_is_new(
        tmp_path: Path) -> None:
    harness = Harness()
    new_statics = STATICS.replace(
        "    192.0.2.128/28 via 192.0.2.1 dev eth0 table 100\n", "").replace(
        "    192.0.2.151/32\n", "    192.0.2.152/32\n")

    async def scenario() -> None:
        old = daemon_from(config(), tmp_path)
        runtime = await harness.runtime(old)
        new = daemon_from(config(new_statics), tmp_path, "new.conf")
        mark = len(harness.rec.calls)
        await runtime.apply_reload(new, plan_reload({s.name: s for s in old.instances},
                                                    new.instances))
        await runtime.settle()
        harness.rec.calls[:] = harness.rec.calls[mark:]
        # a second reload to the same statics changes nothing
        await runtime.apply_reload(new, plan_reload({s.name: s for s in new.instances},
                                                    new.instances))
        assert harness.netlink_calls() == [("delete_route", "192.0.2.128/28"),
                                           ("delete", "192.0.2.151/32"),
                                           ("add", "192.0.2.152/32")]
        harness.rec.calls.clear()
        await runtime.stop()

    asyncio.run(scenario())
    assert harness.netlink_calls()[-3:] == [("delete_rule", "150"),
                                            ("delete", "192.0.2.150/24"),
                                            ("delete", "192.0.2.152/32")]
    assert "Removing a VirtualRoute block" in harness.log.text()
    assert "ip address 192.0.2.151/32 dev eth0, no longer exist" in harness.log.text()


def test_reload_dropping_one_of_two_rules_logs_it_at_detail(tmp_path: Path) -> None:
    two = STATICS.replace("priority 150\n",
                          "priority 150\n    to 192.0.2.159 table 100 priority 151\n")
    harness = Harness()

    async def scenario() -> None:
        old = daemon_from(config(two), tmp_path)
        runtime = await harness.runtime(old)
        new = daemon_from(config(), tmp_path, "new.conf")
        harness.rec.calls.clear()
        await runtime.apply_reload(new, plan_reload({s.name: s for s in old.instances},
                                                    new.instances))
        assert harness.netlink_calls() == [("delete_rule", "151")]
        await runtime.stop()

    asyncio.run(scenario())
    assert ("ip rule from all to 192.0.2.159 removed", LogLevel.DETAIL) in harness.log.lines


def test_a_static_address_removed_behind_our_back_is_restored(tmp_path: Path) -> None:
    text = config(STATICS.replace("192.0.2.151/32", "192.0.2.151/32 no_track"))
    harness = Harness()

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(text, tmp_path))
        assert harness.watcher is not None
        harness.rec.calls.clear()
        for address in ("192.0.2.150/24", "192.0.2.151/32"):
            harness.watcher.callback(AddressRemoved("eth0", 2, ip_interface(address)))
        await runtime.stop()

    asyncio.run(scenario())
    assert harness.rec.calls[0] == ("add", "192.0.2.150/24")
    assert ("add", "192.0.2.151/32") not in harness.rec.calls
    assert "Restoring deleted static address 192.0.2.150/24 dev eth0" in harness.log.text()
