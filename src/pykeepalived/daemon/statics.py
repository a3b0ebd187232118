"""static_ipaddress, static_routes and static_rules: the host's own, never moved by VRRP.

keepalived adds them once the daemon is up and before any instance runs, removes them
when it stops, and on a reload removes the ones the new configuration dropped before
the instances are reloaded and adds the new ones after (vrrp_daemon.c, 2.2.7). What it
removes is what it added: each item carries a `set` flag, so an address that was
already on the host when keepalived tried to add it is left to whoever put it there.
`Statics` keeps that flag as the set of specs it holds.

Two forced removals keep restarts clean, as keepalived's do: every static rule is
deleted before the first add (the kernel would otherwise stack a duplicate rule left by
a predecessor), and with `-V` (--dont-release-vrrp) static addresses are deleted at
start and at stop whether or not this run added them, since a `-V` predecessor left
them behind. `-V` never keeps the statics: it only keeps the VIPs.

A request the kernel refuses is logged and the daemon goes on, in keepalived's words
where it has them.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, TypeVar

from pykeepalived.adapters.links import InterfaceNotFound
from pykeepalived.adapters.netlink import NetlinkRequestError
from pykeepalived.specs.addresses import (
    AddressSpec,
    RouteSpec,
    RuleSpec,
)
from pykeepalived.specs.statics import StaticSpec
from pykeepalived.vrrp.actions import LogLevel

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pykeepalived.daemon.ports import LogSink, NetlinkPort
    from pykeepalived.vrrp.advert import IPAddress

StaticItem = AddressSpec | RouteSpec | RuleSpec
_Item = TypeVar("_Item", AddressSpec, RouteSpec, RuleSpec)

#: the rtnetlink message keepalived's "Netlink: error" line names, by (kind, adding)
_MESSAGE_TYPES = {(AddressSpec, True): ("RTM_NEWADDR", 20),
                  (AddressSpec, False): ("RTM_DELADDR", 21),
                  (RouteSpec, True): ("RTM_NEWROUTE", 24),
                  (RouteSpec, False): ("RTM_DELROUTE", 25),
                  (RuleSpec, True): ("RTM_NEWRULE", 32),
                  (RuleSpec, False): ("RTM_DELRULE", 33)}


class Statics:
    """What this run added (keepalived's `set` flags) and the requests that change it."""

    def __init__(self, netlink: NetlinkPort, log: LogSink) -> None:
        self._netlink = netlink
        self._log = log
        self.spec = StaticSpec()
        #: the items this run added: the only ones it removes (bar -V's addresses)
        self.held: set[StaticItem] = set()
        self._running = False
        self._reinstating: set[asyncio.Task[None]] = set()

    async def start(self, spec: StaticSpec, *, release_all: bool) -> None:
        """`release_all`: -V, whose predecessor may have left static addresses."""
        self.spec = spec
        if release_all:
            for address in spec.addresses:
                await self._delete(address, quiet=True)
        for rule in spec.rules:
            await self._delete(rule, quiet=True)
        await self.add_pending()
        # only now: the removals of our own forced deletes are not to be "restored"
        self._running = True

    async def add_pending(self) -> None:
        """Add every item not held yet (a failed one is tried again at the next reload)."""
        items: tuple[StaticItem, ...] = (*self.spec.addresses, *self.spec.routes,
                                         *self.spec.rules)
        for item in items:
            if item not in self.held and await self._add(item):
                self.held.add(item)

    async def drop_removed(self, new: StaticSpec) -> None:
        """Reload, before the instances: remove what we hold and `new` no longer has."""
        old, self.spec = self.spec, new
        if old.rules and not new.rules:
            self._log.log("Removing a VirtualRule block")
        for rule in self._dropped(old.rules, new.rules):
            if new.rules:
                self._log.log(f"ip rule from {_selector(rule)} removed", LogLevel.DETAIL)
            await self._release(rule)
        if old.routes and not new.routes:
            self._log.log("Removing a VirtualRoute block", LogLevel.DETAIL)
        for route in self._dropped(old.routes, new.routes):
            if new.routes:
                self._log.log(f"Removing route {_text(route.destination)}", LogLevel.DETAIL)
            await self._release(route)
        for address in self._dropped(old.addresses, new.addresses):
            self._log.log(f"ip address {address.address.ip}/{address.address.network.prefixlen}"
                          f" dev {address.ifname}, no longer exist")
            await self._release(address)

    async def stop(self, *, release_all: bool) -> None:
        """After the instances are retired: rules, routes, then addresses."""
        self._running = False
        if self._reinstating:
            await asyncio.wait(self._reinstating)
        items: tuple[StaticItem, ...] = (*self.spec.rules, *self.spec.routes,
                                         *self.spec.addresses)
        for item in items:
            if item in self.held or (release_all and isinstance(item, AddressSpec)):
                await self._release(item)

    def address_removed(self, ifname: str, ip: IPAddress) -> None:
        """The netlink watcher saw an address go: put a tracked static one back
        (keepalived's reflector does so for every static address not marked no_track)."""
        if self._running and (ifname, ip) in self.spec.tracked:
            task = asyncio.get_running_loop().create_task(self._reinstate(ifname, ip))
            self._reinstating.add(task)
            task.add_done_callback(self._reinstating.discard)

    async def _reinstate(self, ifname: str, ip: IPAddress) -> None:
        # an add that finds it present answers a stale event (our forced delete at start)
        for address in self.spec.addresses:
            if (address.ifname, address.address.ip) == (ifname, ip) \
                    and await self._add(address):
                self.held.add(address)
                self._log.log(f"Restoring deleted static address {_describe(address)}")

    def _dropped(self, old: Iterable[_Item], new: Iterable[_Item]) -> list[_Item]:
        kept = set(new)
        return [item for item in old if item in self.held and item not in kept]

    async def _release(self, item: StaticItem) -> None:
        self.held.discard(item)
        await self._delete(item, quiet=False)

    async def _add(self, item: StaticItem) -> bool:
        """True when this run added it; False when it was there already or refused."""
        try:
            added = await self._request(item, adding=True)
        except InterfaceNotFound as exc:
            self._log.log(_missing_interface(item, exc))
            return False
        except (NetlinkRequestError, LookupError, OSError) as exc:
            self._log.log(_refused(item, exc, adding=True))
            return False
        if not added:
            self._log.log(f"static {item.describe()} already present: left to its owner",
                          LogLevel.DEBUG)
        return added

    async def _delete(self, item: StaticItem, *, quiet: bool) -> None:
        try:
            await self._request(item, adding=False)
        except (NetlinkRequestError, LookupError, OSError) as exc:
            if not quiet:
                self._log.log(_refused(item, exc, adding=False))

    async def _request(self, item: StaticItem, *, adding: bool) -> bool:
        netlink = self._netlink
        if isinstance(item, AddressSpec):
            return await (netlink.add_address(item) if adding else netlink.delete_address(item))
        if isinstance(item, RouteSpec):
            return await (netlink.add_route(item) if adding else netlink.delete_route(item))
        return await (netlink.add_rule(item) if adding else netlink.delete_rule(item))


def _refused(item: StaticItem, exc: Exception, *, adding: bool) -> str:
    """keepalived's netlink_talk line, naming the object (keepalived's seq/pid are not ours)."""
    if not isinstance(exc, NetlinkRequestError):
        return f"Netlink: cannot {'add' if adding else 'delete'} static {item.describe()}: {exc}"
    name, number = _MESSAGE_TYPES[(type(item), adding)]
    return (f"Netlink: error: {os.strerror(exc.code)}({exc.code}), type={name}({number})"
            f" ({item.describe()})")


def _missing_interface(item: StaticItem, exc: InterfaceNotFound) -> str:
    if isinstance(item, AddressSpec):
        return (f"Not adding address {_text(item.address)} to {item.ifname} since interface"
                " doesn't exist")
    return f"Not adding static {item.describe()}: interface {exc.ifname} doesn't exist"


def _text(value: object) -> str:
    """keepalived's ipaddresstos: the prefix length only when not a single host."""
    text = str(value)
    return text.removesuffix("/32") if ":" not in text else text.removesuffix("/128")


def _describe(address: AddressSpec) -> str:
    return f"{_text(address.address)} dev {address.ifname}"


def _selector(rule: RuleSpec) -> str:
    source = _text(rule.source) if rule.source is not None else "all"
    return source + (f" to {_text(rule.destination)}" if rule.destination is not None else "")
