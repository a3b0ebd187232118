"""The netlink watcher against a real kernel: external changes arrive as typed events."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from ipaddress import ip_interface
from typing import TYPE_CHECKING, Any

import pytest

from netlab.lab import IFNAME, async_wait_for
from pykeepalived.adapters import netlink_events, rtnetlink
from pykeepalived.adapters.netlink import Netlink
from pykeepalived.adapters.netlink_events import (
    AddressAdded,
    AddressRemoved,
    LinkChanged,
    NetlinkEvent,
    NetlinkWatcher,
)

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from netlab.lab import Lab

pytestmark = pytest.mark.netns
WAIT = 5.0


def run(scenario: Coroutine[Any, Any, None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(20):
            await scenario

    asyncio.run(bounded())


def test_external_address_delete_is_reported(lab: Lab) -> None:
    host_a = lab.host("a")
    vip = ip_interface("192.0.2.110/24")

    async def scenario() -> None:
        events: list[NetlinkEvent] = []
        async with NetlinkWatcher(events.append, netns=host_a.namespace):
            host_a.ip("addr", "add", str(vip), "dev", IFNAME)
            added = AddressAdded(IFNAME, host_a.ifindex, vip)
            await async_wait_for(lambda: added in events, WAIT, what="AddressAdded")
            host_a.ip("addr", "del", str(vip), "dev", IFNAME)
            removed = AddressRemoved(IFNAME, host_a.ifindex, vip)
            await async_wait_for(lambda: removed in events, WAIT, what="AddressRemoved")
            assert not [e for e in events if isinstance(e, LinkChanged)]

    run(scenario())


def test_ipv6_address_delete_is_reported(lab: Lab) -> None:
    host_a = lab.host("a")
    vip = ip_interface("2001:db8::110/64")

    async def scenario() -> None:
        events: list[NetlinkEvent] = []
        async with NetlinkWatcher(events.append, netns=host_a.namespace):
            host_a.ip("addr", "add", str(vip), "dev", IFNAME, "nodad")
            host_a.ip("addr", "del", str(vip), "dev", IFNAME)
            removed = AddressRemoved(IFNAME, host_a.ifindex, vip)
            await async_wait_for(lambda: removed in events, WAIT, what="AddressRemoved")

    run(scenario())


def test_carrier_loss_at_the_bridge_is_link_down_then_up(lab: Lab) -> None:
    host_a = lab.host("a")
    async def scenario() -> None:
        events: list[NetlinkEvent] = []
        async with (
            NetlinkWatcher(events.append, netns=host_a.namespace),
            await Netlink.open(netns=host_a.namespace) as netlink,
        ):
            lab.link_down("a")
            await async_wait_for(lambda: bool(events), WAIT, what="LinkChanged down")
            # The kernel's first word may be DOWN, settling on LOWERLAYERDOWN: only the
            # up/down verdict is reported, once.
            (down,) = events
            assert isinstance(down, LinkChanged)
            assert (down.ifname, down.ifindex, down.up) == (IFNAME, host_a.ifindex, False)
            state = await netlink.link(IFNAME)
            assert (state.admin_up, state.running, state.up) == (True, False, False)
            assert state.operstate in {"DOWN", "LOWERLAYERDOWN"}
            lab.link_up("a")
            await async_wait_for(lambda: len(events) == 2, WAIT, what="LinkChanged up")
            assert events[1] == LinkChanged(IFNAME, host_a.ifindex, True, "UP")

    run(scenario())


def test_a_failing_handler_does_not_stop_the_watcher(lab: Lab) -> None:
    host_a = lab.host("a")
    async def scenario() -> None:
        seen: list[NetlinkEvent] = []

        def handler(event: NetlinkEvent) -> None:
            seen.append(event)
            if len(seen) == 1:
                raise RuntimeError("handler bug")

        async with NetlinkWatcher(handler, netns=host_a.namespace):
            host_a.ip("addr", "add", "192.0.2.111/24", "dev", IFNAME)
            host_a.ip("addr", "del", "192.0.2.111/24", "dev", IFNAME)
            await async_wait_for(lambda: len(seen) >= 2, WAIT, what="second event after a failure")
            assert isinstance(seen[1], AddressRemoved)

    run(scenario())


def test_lost_notifications_are_recovered_from_a_fresh_dump(
    lab: Lab, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A real ENOBUFS: a tiny receive buffer and a burst while the loop is not reading.

    The watcher must say it lost notifications, reopen, and report every address the
    burst added, the lost ones from the fresh dump.
    """
    monkeypatch.setattr(rtnetlink, "RCVBUF", 4096)
    monkeypatch.setattr(netlink_events, "REOPEN_DELAY", 0.05)
    host_a = lab.host("a")
    vips = {ip_interface(f"198.51.100.{i}/32") for i in range(1, 151)}

    async def scenario() -> None:
        events: list[NetlinkEvent] = []
        async with NetlinkWatcher(events.append, netns=host_a.namespace) as watcher:
            batch = "".join(f"addr add {vip} dev {IFNAME}\n" for vip in sorted(vips))
            # blocking on purpose: the loop reads nothing while the kernel sends 150 events
            subprocess.run(["ip", "-n", host_a.namespace, "-batch", "-"],  # noqa: ASYNC221
                           input=batch, text=True, check=True, capture_output=True, timeout=20)
            await async_wait_for(lambda: vips <= set(watcher.addresses()), WAIT,
                                 what="every address known again")
            added = {e.address for e in events if isinstance(e, AddressAdded)}
            assert added == vips

    with caplog.at_level(logging.WARNING, logger=netlink_events.__name__):
        run(scenario())
    assert "netlink notifications lost" in caplog.text
