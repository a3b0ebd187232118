"""Link/address message interpretation and the event translator, on dict messages."""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address, IPv6Address, ip_interface
from typing import TYPE_CHECKING, Any

from pykeepalived.adapters import netlink_events
from pykeepalived.adapters import rtnl_codec as rt
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
from pykeepalived.adapters.rtnl_codec import NetlinkError

if TYPE_CHECKING:
    import pytest

UP = IFF_UP | IFF_RUNNING | IFF_LOWER_UP


def link_msg(
    flags: int, *, event: str = "RTM_NEWLINK", index: int = 2, operstate: str = "UP",
    **extra: Any
) -> dict[str, Any]:
    """A link message as rtnl_codec.decode shapes it."""
    msg: dict[str, Any] = {"event": event, "ifi_index": index, "IFLA_IFNAME": "eth0",
                           "ifi_flags": flags}
    msg.update({"IFLA_ADDRESS": "02:00:5e:ad:00:01", "IFLA_OPERSTATE": operstate}, **extra)
    return msg


def addr_msg(
    address: str, prefixlen: int, *, event: str = "RTM_NEWADDR", **extra: Any
) -> dict[str, Any]:
    msg: dict[str, Any] = {"event": event, "ifa_index": 2, "IFA_ADDRESS": address,
                           "ifa_prefixlen": prefixlen}
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
    msg = addr_msg("192.0.2.9", 32, IFA_LOCAL="192.0.2.1", IFA_FLAGS=0x100, ifa_flags=0,
                   IFA_LABEL="eth0:v")
    entry = address_entry(msg)
    assert entry == AddressEntry(2, ip_interface("192.0.2.1/32"), 0x100, "eth0:v")


def test_address_entry_without_address_is_none() -> None:
    assert address_entry({"event": "RTM_NEWADDR", "ifa_index": 2, "ifa_prefixlen": 24}) is None
    assert address_entry(addr_msg("not-an-ip", 24)) is None
    assert address_entry({"IFA_ADDRESS": "192.0.2.1"}) is None


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
    assert translator.translate(link_msg(UP, IFLA_MTU=9000)) == []
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
    unknown = dict(addr_msg("2001:db8::1", 64, event="RTM_DELADDR"), ifa_index=5)
    assert translator.translate(unknown) == [
        AddressRemoved("if5", 5, ip_interface("2001:db8::1/64"))
    ]


def test_translator_ignores_other_and_unusable_messages() -> None:
    translator = EventTranslator()
    assert translator.translate({"event": "RTM_NEWROUTE"}) == []
    assert translator.translate({}) == []
    assert translator.translate({"event": "RTM_DELADDR", "ifa_index": 2}) == []


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


class ScriptedRtnl:
    """A stand-in for RtnlSocket: fixed dumps, scripted notification reads."""

    def __init__(self, links: list[Any], addrs: list[Any], reads: list[Any]) -> None:
        self.links, self.addrs, self.reads = links, addrs, reads
        self.groups = 0
        self.closed = False

    def opened(self, groups: int) -> ScriptedRtnl:
        self.groups = groups
        return self

    async def request(self, msg_type: int, flags: int, body: bytes) -> list[Any]:
        assert flags == rt.NLM_F_DUMP
        return {rt.RTM_GETLINK: self.links, rt.RTM_GETADDR: self.addrs}[msg_type]

    async def read(self) -> list[Any]:
        if not self.reads:
            return []  # an empty read: the socket was closed
        read = self.reads.pop(0)
        if isinstance(read, Exception):
            raise read
        return list(read)

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
        watcher = NetlinkWatcher(events.append,
                                 socket_factory=lambda groups: next(sockets).opened(groups))
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
