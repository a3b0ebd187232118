"""Link/address message interpretation and the event translator, on dict messages."""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address, IPv6Address, ip_interface
from typing import TYPE_CHECKING, Any

from pyroute2.netlink.exceptions import NetlinkError

from pykeepalived.adapters import netlink_events
from pykeepalived.adapters.links import (
    IFA_F_SECONDARY,
    IFF_LOWER_UP,
    IFF_RUNNING,
    IFF_UP,
    AddressEntry,
    InterfaceInfo,
    address_entry,
    link_state,
)
from pykeepalived.adapters.netlink_events import (
    AddressAdded,
    AddressRemoved,
    EventTranslator,
    LinkChanged,
    NetlinkEvent,
    NetlinkWatcher,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import pytest

UP = IFF_UP | IFF_RUNNING | IFF_LOWER_UP


def link_msg(
    flags: int, *, event: str = "RTM_NEWLINK", index: int = 2, **extra: Any
) -> dict[str, Any]:
    msg = {"event": event, "index": index, "ifname": "eth0", "flags": flags}
    msg.update({"address": "02:00:5e:ad:00:01", "operstate": "UP"}, **extra)
    return msg


def addr_msg(
    address: str, prefixlen: int, *, event: str = "RTM_NEWADDR", **extra: Any
) -> dict[str, Any]:
    msg: dict[str, Any] = {"event": event, "index": 2, "address": address, "prefixlen": prefixlen}
    msg.update(extra)
    return msg


def test_up_means_admin_up_and_running() -> None:
    assert link_state(link_msg(UP)).up
    no_carrier = link_state(link_msg(IFF_UP, operstate="LOWERLAYERDOWN"))
    assert (no_carrier.admin_up, no_carrier.running, no_carrier.up) == (True, False, False)
    assert not link_state(link_msg(IFF_RUNNING)).up
    assert not link_state(link_msg(UP, event="RTM_DELLINK")).up


def test_link_state_fields() -> None:
    state = link_state(link_msg(UP, index=7))
    assert (state.ifname, state.index, state.mac, state.operstate) == (
        "eth0",
        7,
        "02:00:5e:ad:00:01",
        "UP",
    )


def test_address_entry_prefers_ifa_local_and_ifa_flags() -> None:
    msg = addr_msg("192.0.2.9", 32, local="192.0.2.1", IFA_FLAGS=0x100, flags=0, label="eth0:v")
    entry = address_entry(msg)
    assert entry == AddressEntry(2, ip_interface("192.0.2.1/32"), 0x100, "eth0:v")


def test_address_entry_without_address_is_none() -> None:
    assert address_entry({"event": "RTM_NEWADDR", "index": 2, "prefixlen": 24}) is None
    assert address_entry(addr_msg("not-an-ip", 24)) is None
    assert address_entry({"address": "192.0.2.1"}) is None


def test_primary_ipv4_skips_secondaries_and_link_local_is_found() -> None:
    entries = (
        AddressEntry(2, ip_interface("2001:db8::1/64"), 0, None),
        AddressEntry(2, ip_interface("192.0.2.50/24"), IFA_F_SECONDARY, None),
        AddressEntry(2, ip_interface("192.0.2.1/24"), 0, None),
        AddressEntry(2, ip_interface("fe80::1/64"), 0, None),
    )
    info = InterfaceInfo(link_state(link_msg(UP)), entries)
    assert info.primary_ipv4 == IPv4Address("192.0.2.1")
    assert info.ipv6_link_local == IPv6Address("fe80::1")
    empty = InterfaceInfo(link_state(link_msg(UP)), ())
    assert (empty.primary_ipv4, empty.ipv6_link_local) == (None, None)


def test_translator_reports_only_up_down_changes() -> None:
    translator = EventTranslator()
    translator.seed(link_msg(UP))
    assert translator.translate(link_msg(UP, mtu=9000)) == []
    assert translator.translate(link_msg(IFF_UP, operstate="DOWN")) == [
        LinkChanged("eth0", 2, False, "DOWN")
    ]
    assert translator.translate(link_msg(IFF_UP, operstate="LOWERLAYERDOWN")) == []
    assert translator.translate(link_msg(UP)) == [LinkChanged("eth0", 2, True, "UP")]


def test_translator_reports_new_and_deleted_links() -> None:
    translator = EventTranslator()
    assert translator.translate(link_msg(UP, index=9)) == [LinkChanged("eth0", 9, True, "UP")]
    assert translator.translate(link_msg(UP, index=9, event="RTM_DELLINK")) == [
        LinkChanged("eth0", 9, False, "UP")
    ]
    assert translator.ifname(9) == "if9"


def test_translator_names_addresses_by_their_link() -> None:
    translator = EventTranslator()
    translator.seed(link_msg(UP))
    vip = ip_interface("192.0.2.100/24")
    assert translator.translate(addr_msg("192.0.2.100", 24)) == [AddressAdded("eth0", 2, vip)]
    assert translator.translate(addr_msg("192.0.2.100", 24, event="RTM_DELADDR")) == [
        AddressRemoved("eth0", 2, vip)
    ]
    unknown = dict(addr_msg("2001:db8::1", 64, event="RTM_DELADDR"), index=5)
    assert translator.translate(unknown) == [
        AddressRemoved("if5", 5, ip_interface("2001:db8::1/64"))
    ]


def test_translator_ignores_other_and_unusable_messages() -> None:
    translator = EventTranslator()
    assert translator.translate({"event": "RTM_NEWROUTE"}) == []
    assert translator.translate({}) == []
    assert translator.translate({"event": "RTM_DELADDR", "index": 2}) == []


def test_reconcile_reports_addresses_changed_while_deaf() -> None:
    translator = EventTranslator()
    translator.seed(link_msg(UP))
    translator.seed(addr_msg("192.0.2.100", 24))
    translator.seed(addr_msg("192.0.2.1", 24))
    dump = [addr_msg("192.0.2.1", 24), addr_msg("fe80::1", 64)]
    events = translator.reconcile_addresses(dump)
    assert events == [
        AddressRemoved("eth0", 2, ip_interface("192.0.2.100/24")),
        AddressAdded("eth0", 2, ip_interface("fe80::1/64")),
    ]
    assert (
        translator.reconcile_addresses([addr_msg("192.0.2.1", 24), addr_msg("fe80::1", 64)]) == []
    )


async def _aiter(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


class ScriptedRtnl:
    """A stand-in for pyroute2's AsyncIPRoute: fixed dumps, scripted notification reads."""

    def __init__(self, links: list[Any], addrs: list[Any], reads: list[Any]) -> None:
        self.links, self.addrs, self.reads = links, addrs, reads
        self.groups = 0
        self.closed = False

    async def bind(self, groups: int) -> None:
        self.groups = groups

    async def link(self, command: str) -> AsyncIterator[Any]:
        return _aiter(self.links)

    async def addr(self, command: str) -> AsyncIterator[Any]:
        return _aiter(self.addrs)

    async def get(self) -> AsyncIterator[Any]:
        if not self.reads:
            return  # an empty read: the socket was closed
        read = self.reads.pop(0)
        if isinstance(read, Exception):
            raise read
        for msg in read:
            yield msg

    def close(self) -> None:
        self.closed = True


def test_watcher_reopens_and_reports_what_it_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netlink_events, "REOPEN_DELAY", 0)
    vip = addr_msg("192.0.2.100", 24)
    first = ScriptedRtnl([link_msg(UP)], [vip], [[addr_msg("192.0.2.7", 24)], NetlinkError(105)])
    second = ScriptedRtnl([link_msg(IFF_UP, operstate="DOWN")], [addr_msg("192.0.2.7", 24)], [])
    sockets = iter([first, second])
    events: list[NetlinkEvent] = []

    async def scenario() -> None:
        watcher = NetlinkWatcher(events.append, socket_factory=lambda: next(sockets))
        await watcher.start()
        assert watcher._task is not None
        await asyncio.wait_for(watcher._task, timeout=5)  # ends when `second` reads empty
        await watcher.stop()

    asyncio.run(scenario())
    assert events == [
        AddressAdded("eth0", 2, ip_interface("192.0.2.7/24")),
        LinkChanged("eth0", 2, False, "DOWN"),
        AddressRemoved("eth0", 2, ip_interface("192.0.2.100/24")),
    ]
    assert first.closed
    assert second.closed
    assert first.groups == second.groups == netlink_events.WATCH_GROUPS
