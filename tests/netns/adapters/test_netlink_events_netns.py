"""The netlink watcher against a real kernel: external changes arrive as typed events."""

from __future__ import annotations

import asyncio
from ipaddress import ip_interface
from typing import TYPE_CHECKING, Any

import pytest

from pykeepalived.adapters.netlink import Netlink
from pykeepalived.adapters.netlink_events import (
    AddressAdded,
    AddressRemoved,
    LinkChanged,
    NetlinkEvent,
    NetlinkWatcher,
)
from tests.netns.adapters.netlab import IFNAME, Lan, wait_until

if TYPE_CHECKING:
    from collections.abc import Coroutine

pytestmark = pytest.mark.netns
WAIT = 5.0


def run(scenario: Coroutine[Any, Any, None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(20):
            await scenario

    asyncio.run(bounded())


def test_external_address_delete_is_reported(lan: Lan) -> None:
    vip = ip_interface("192.0.2.110/24")

    async def scenario() -> None:
        events: list[NetlinkEvent] = []
        async with NetlinkWatcher(events.append, netns=lan.a.namespace):
            lan.a.run("addr", "add", str(vip), "dev", IFNAME)
            added = AddressAdded(IFNAME, lan.a.ifindex, vip)
            await wait_until(lambda: added in events, WAIT, "AddressAdded")
            lan.a.run("addr", "del", str(vip), "dev", IFNAME)
            removed = AddressRemoved(IFNAME, lan.a.ifindex, vip)
            await wait_until(lambda: removed in events, WAIT, "AddressRemoved")
            assert not [e for e in events if isinstance(e, LinkChanged)]

    run(scenario())


def test_ipv6_address_delete_is_reported(lan: Lan) -> None:
    vip = ip_interface("2001:db8::110/64")

    async def scenario() -> None:
        events: list[NetlinkEvent] = []
        async with NetlinkWatcher(events.append, netns=lan.a.namespace):
            lan.a.run("addr", "add", str(vip), "dev", IFNAME, "nodad")
            lan.a.run("addr", "del", str(vip), "dev", IFNAME)
            removed = AddressRemoved(IFNAME, lan.a.ifindex, vip)
            await wait_until(lambda: removed in events, WAIT, "AddressRemoved")

    run(scenario())


def test_carrier_loss_at_the_bridge_is_link_down_then_up(lan: Lan) -> None:
    async def scenario() -> None:
        events: list[NetlinkEvent] = []
        async with (
            NetlinkWatcher(events.append, netns=lan.a.namespace),
            await Netlink.open(netns=lan.a.namespace) as netlink,
        ):
            lan.port_down(lan.a)
            await wait_until(lambda: bool(events), WAIT, "LinkChanged down")
            # The kernel's first word may be DOWN, settling on LOWERLAYERDOWN: only the
            # up/down verdict is reported, once.
            (down,) = events
            assert isinstance(down, LinkChanged)
            assert (down.ifname, down.ifindex, down.up) == (IFNAME, lan.a.ifindex, False)
            state = await netlink.link(IFNAME)
            assert (state.admin_up, state.running, state.up) == (True, False, False)
            assert state.operstate in {"DOWN", "LOWERLAYERDOWN"}
            lan.port_up(lan.a)
            await wait_until(lambda: len(events) == 2, WAIT, "LinkChanged up")
            assert events[1] == LinkChanged(IFNAME, lan.a.ifindex, True, "UP")

    run(scenario())


def test_a_failing_handler_does_not_stop_the_watcher(lan: Lan) -> None:
    async def scenario() -> None:
        seen: list[NetlinkEvent] = []

        def handler(event: NetlinkEvent) -> None:
            seen.append(event)
            if len(seen) == 1:
                raise RuntimeError("handler bug")

        async with NetlinkWatcher(handler, netns=lan.a.namespace):
            lan.a.run("addr", "add", "192.0.2.111/24", "dev", IFNAME)
            lan.a.run("addr", "del", "192.0.2.111/24", "dev", IFNAME)
            await wait_until(lambda: len(seen) >= 2, WAIT, "second event after a failure")
            assert isinstance(seen[1], AddressRemoved)

    run(scenario())
