"""Kernel link and address changes, as typed events for track_interface and VIP tracking.

The watcher listens on RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR. The
kernel sends RTM_NEWLINK for many reasons (MTU, stats, promiscuity), so the translator
remembers each link's last up/down state and reports only real changes. It is plain
Python over message objects, testable without a netlink socket.

If the kernel drops notifications (ENOBUFS under a burst), the watcher opens a fresh
socket, re-reads every link and reports whatever changed meanwhile, instead of trusting a
stale picture; addresses are diffed against a fresh dump the same way, so a VIP removed
during the gap is still reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pykeepalived.adapters import rtnl_codec as rt
from pykeepalived.adapters.links import IPInterface, LinkState, address_entry, link_state
from pykeepalived.adapters.rtnetlink import RtnlSocket

if TYPE_CHECKING:
    from pykeepalived.adapters.rtnl_codec import Message

log = logging.getLogger(__name__)

WATCH_GROUPS = rt.RTMGRP_LINK | rt.RTMGRP_IPV4_IFADDR | rt.RTMGRP_IPV6_IFADDR
#: Seconds between attempts to reopen the socket after losing notifications.
REOPEN_DELAY = 0.5


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """A link went up or down (IFF_UP and IFF_RUNNING, as keepalived judges it)."""

    ifname: str
    ifindex: int
    up: bool
    operstate: str


@dataclass(frozen=True, slots=True)
class AddressAdded:
    ifname: str
    ifindex: int
    address: IPInterface


@dataclass(frozen=True, slots=True)
class AddressRemoved:
    """An address disappeared: a VIP removed behind our back means leaving MASTER."""

    ifname: str
    ifindex: int
    address: IPInterface


NetlinkEvent = LinkChanged | AddressAdded | AddressRemoved
EventCallback = Callable[[NetlinkEvent], None]


class EventTranslator:
    """rtnetlink messages in, `NetlinkEvent`s out; remembers links and addresses so that
    it reports only changes, and can diff a fresh dump against what it knew."""

    def __init__(self) -> None:
        self._links: dict[int, LinkState] = {}
        self._addresses: set[tuple[int, IPInterface]] = set()

    def seed(self, msg: Message) -> None:
        """Record a link or address from a dump without reporting it: the starting picture."""
        if msg.get("event") == "RTM_NEWLINK":
            state = link_state(msg)
            self._links[state.index] = state
        elif (entry := address_entry(msg)) is not None:
            self._addresses.add((entry.ifindex, entry.address))

    def ifname(self, ifindex: int) -> str:
        known = self._links.get(ifindex)
        return known.ifname if known is not None else f"if{ifindex}"

    def addresses(self) -> list[IPInterface]:
        """Every address the host has now, one entry per interface holding it."""
        return [address for _index, address in sorted(self._addresses, key=_address_order)]

    def translate(self, msg: Message) -> list[NetlinkEvent]:
        kind = msg.get("event")
        if kind in ("RTM_NEWLINK", "RTM_DELLINK"):
            return self._link(msg, deleted=kind == "RTM_DELLINK")
        if kind in ("RTM_NEWADDR", "RTM_DELADDR"):
            return self._address(msg, removed=kind == "RTM_DELADDR")
        return []

    def reconcile_addresses(self, dump: list[Message]) -> list[NetlinkEvent]:
        """After lost notifications: report what a full address dump says changed."""
        now = {(e.ifindex, e.address) for msg in dump if (e := address_entry(msg)) is not None}
        gone, new = self._addresses - now, now - self._addresses
        self._addresses = now
        events: list[NetlinkEvent] = []
        for index, address in sorted(gone, key=_address_order):
            events.append(AddressRemoved(self.ifname(index), index, address))
        for index, address in sorted(new, key=_address_order):
            events.append(AddressAdded(self.ifname(index), index, address))
        return events

    def _link(self, msg: Message, *, deleted: bool) -> list[NetlinkEvent]:
        state = link_state(msg)
        before = self._links.pop(state.index, None) if deleted else self._links.get(state.index)
        if not deleted:
            self._links[state.index] = state
        if before is not None and before.up == state.up:
            return []
        return [LinkChanged(state.ifname, state.index, state.up, state.operstate)]

    def _address(self, msg: Message, *, removed: bool) -> list[NetlinkEvent]:
        entry = address_entry(msg)
        if entry is None:
            return []
        name = self.ifname(entry.ifindex)
        key = (entry.ifindex, entry.address)
        if removed:
            self._addresses.discard(key)
            return [AddressRemoved(name, entry.ifindex, entry.address)]
        self._addresses.add(key)
        return [AddressAdded(name, entry.ifindex, entry.address)]


def _address_order(item: tuple[int, IPInterface]) -> tuple[int, int, str]:
    return (item[0], item[1].version, str(item[1]))


class EventSource(Protocol):
    """What the watcher needs of its socket (`RtnlSocket`; a scripted fake in unit tests)."""

    async def request(self, msg_type: int, flags: int, body: bytes) -> list[Message]: ...

    async def read(self) -> list[Message]: ...

    def close(self) -> None: ...


class NetlinkWatcher:
    """Runs the translator on a netlink socket subscribed to link and address groups.

    `socket_factory(groups)` opens the subscribed socket (tests inject fakes); by default
    an `RtnlSocket` in `netns`, or in the daemon's own namespace.
    """

    def __init__(
        self,
        callback: EventCallback,
        *,
        netns: str | None = None,
        socket_factory: Callable[[int], EventSource] | None = None,
    ) -> None:
        self._callback = callback
        self._factory: Callable[[int], EventSource] = socket_factory or (
            lambda groups: RtnlSocket.open(groups=groups, netns=netns))
        self._translator = EventTranslator()
        self._rtnl: EventSource | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("netlink watcher already started")
        await self._open(report=False)
        self._task = asyncio.create_task(self._run(), name="netlink-watcher")

    async def _open(self, *, report: bool) -> None:
        """Subscribe first, then read the links, so nothing can change unseen in between.

        On a reopen (`report`), differences from what we knew are reported as events.
        """
        self._rtnl = rtnl = self._factory(WATCH_GROUPS)
        links = await rtnl.request(rt.RTM_GETLINK, rt.NLM_F_DUMP, rt.ifinfomsg())
        addresses = await rtnl.request(rt.RTM_GETADDR, rt.NLM_F_DUMP,
                                       rt.ifaddrmsg(family=rt.AF_UNSPEC))
        if not report:
            for msg in links + addresses:
                self._translator.seed(msg)
            return
        for msg in links:
            self._deliver(self._translator.translate(msg))
        self._deliver(self._translator.reconcile_addresses(addresses))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._close_socket()

    def _close_socket(self) -> None:
        if self._rtnl is not None:
            with contextlib.suppress(Exception):
                self._rtnl.close()
            self._rtnl = None

    async def __aenter__(self) -> NetlinkWatcher:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def ifname(self, ifindex: int) -> str:
        return self._translator.ifname(ifindex)

    def addresses(self) -> list[IPInterface]:
        """The host's addresses as the watcher knows them (from its start-up dump on)."""
        return self._translator.addresses()

    async def _run(self) -> None:
        while True:
            try:
                if not await self._pump():
                    log.debug("netlink watcher socket closed")
                    return
            except Exception as exc:
                # Typically ENOBUFS: notifications were lost, so what we know may be
                # stale. Wait a moment (no spinning if the kernel keeps refusing), then
                # start over on a fresh socket and re-read everything.
                log.warning("netlink notifications lost (%s); re-reading links", exc)
                self._close_socket()
                await asyncio.sleep(REOPEN_DELAY)
                await self._reopen()

    async def _pump(self) -> bool:
        """Deliver one read's events; False when the socket has been closed."""
        if self._rtnl is None:
            raise ConnectionError("netlink watcher socket not open")
        batch = await self._rtnl.read()  # empty only once the socket is closed
        for msg in batch:
            self._deliver(self._translator.translate(msg))
        return bool(batch)

    async def _reopen(self) -> None:
        try:
            await self._open(report=True)
        except Exception:
            log.exception("cannot reopen the netlink watcher socket")

    def _deliver(self, events: list[NetlinkEvent]) -> None:
        for event in events:
            try:
                self._callback(event)
            except Exception:
                log.exception("netlink event handler failed on %s", event)
