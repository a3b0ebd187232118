"""Idempotent rtnetlink requests: VIPs, routes and rules appear and disappear, exactly once.

Built on pyroute2's `AsyncIPRoute` (0.9), which speaks netlink through an asyncio
datagram endpoint: every request is awaited on the daemon's own loop, nothing blocks it
and no thread is needed. (Opening it inside another network namespace, as the tests do,
forks a short-lived helper once, at open time.)

Idempotence is the contract the daemon relies on (a reload or a repeated FAULT must not
fail): adding what exists is fine (EEXIST), deleting what is gone is fine (EADDRNOTAVAIL
for addresses, ESRCH/ENOENT for routes and rules). Each call says whether it changed
anything. Every other kernel refusal becomes a `NetlinkRequestError` naming the object.
"""

from __future__ import annotations

import errno
import os
import socket
from ipaddress import (
    IPv4Interface,
    IPv6Interface,
)
from typing import Any, Final

from pyroute2.iproute.linux import AsyncIPRoute
from pyroute2.netlink.exceptions import NetlinkError

from pykeepalived.adapters.links import (
    AF_INET,
    AF_INET6,
    IFA_F_NODAD,
    InterfaceInfo,
    InterfaceNotFound,
    IPInterface,
    LinkState,
    address_entry,
    link_state,
)
from pykeepalived.specs.addresses import (
    SCOPES,
    AddressSpec,
    IPAddress,
    RouteSpec,
    RuleSpec,
)

#: IN6_ADDR_GEN_MODE_NONE: no automatic link-local (a vmac's, RFC 5798 §7.4)
_ADDR_GEN_MODE_NONE: Final = 1

_ADD_TOLERATED: Final = frozenset({errno.EEXIST})
_DELETE_TOLERATED: Final = frozenset({errno.EADDRNOTAVAIL, errno.ESRCH, errno.ENOENT, errno.ENODEV})


class NetlinkRequestError(Exception):
    """The kernel refused a request for a reason other than "already so"."""

    def __init__(self, action: str, what: str, code: int) -> None:
        name = errno.errorcode.get(code, str(code))
        super().__init__(f"cannot {action} {what}: {name} ({os.strerror(code)})")
        self.action = action
        self.what = what
        self.code = code


class Netlink:
    """One rtnetlink request socket for the daemon's address, route and rule changes."""

    def __init__(self, ipr: Any, *, own_namespace: bool = False) -> None:
        self._ipr = ipr
        #: the socket talks to this process's own namespace: an interface's index is one
        #: ioctl away (if_nametoindex), not a dump of every link through pyroute2, which
        #: was a fifth of the CPU of starting 200 instances (each VIP names its interface)
        self._own_namespace = own_namespace

    @classmethod
    async def open(cls, netns: str | None = None) -> Netlink:
        """`netns` names a network namespace (tests); None is the daemon's own.

        groups=0: a request socket must not join notification groups, or unread events
        would pile up in pyroute2's queue for the life of the daemon.
        """
        return cls(AsyncIPRoute(netns=netns, groups=0), own_namespace=netns is None)

    async def close(self) -> None:
        self._ipr.close()

    async def __aenter__(self) -> Netlink:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def ifindex(self, ifname: str) -> int:
        if self._own_namespace:
            try:
                return socket.if_nametoindex(ifname)
            except OSError:
                raise InterfaceNotFound(ifname) from None
        found = await self._ipr.link_lookup(ifname=ifname)
        if not found:
            raise InterfaceNotFound(ifname)
        return int(found[0])

    async def link(self, ifname: str) -> LinkState:
        """Carrier and admin state now, for track_interface and the initial FAULT check."""
        index = await self.ifindex(ifname)
        messages = [m async for m in await self._ipr.link("dump", index=index)]
        if not messages:
            raise InterfaceNotFound(ifname)
        return link_state(messages[0])

    async def interface(self, ifname: str) -> InterfaceInfo:
        """Index, MAC and addresses: what the sockets need to pick a source address."""
        state = await self.link(ifname)
        dump = await self._ipr.addr("dump", index=state.index)
        entries = [entry async for msg in dump if (entry := address_entry(msg)) is not None]
        return InterfaceInfo(link=state, addresses=tuple(entries))

    async def has_address(self, ifname: str, address: IPInterface | IPAddress) -> bool:
        """Is this IP on the interface, whatever its prefix length (VIP tracking's question)."""
        ip = address.ip if isinstance(address, IPv4Interface | IPv6Interface) else address
        info = await self.interface(ifname)
        return any(entry.address.ip == ip for entry in info.addresses)

    async def link_kind(self, ifname: str) -> str | None:
        """The link's IFLA_INFO_KIND (`macvlan`, `veth`...); "" for none, None if absent."""
        try:
            index = await self.ifindex(ifname)
        except InterfaceNotFound:
            return None
        messages = [m async for m in await self._ipr.link("dump", index=index)]
        info = messages[0].get("IFLA_LINKINFO") if messages else None
        return str(info.get("IFLA_INFO_KIND") or "") if info is not None else ""

    async def add_macvlan(self, ifname: str, base_ifname: str, mac: str) -> int:
        """A private-mode macvlan on `base_ifname` (use_vmac); returns its index."""
        base = await self.ifindex(base_ifname)
        await self._request("add", f"macvlan {ifname} on {base_ifname}", self._ipr.link,
                            {"ifname": ifname, "kind": "macvlan", "link": base,
                             "macvlan_mode": "private", "address": mac})
        return await self.ifindex(ifname)

    async def link_up(self, ifname: str, *, addr_gen_none: bool = False) -> None:
        """Up; `addr_gen_none` first stops the kernel adding an EUI-64 link-local."""
        index = await self.ifindex(ifname)
        if addr_gen_none:
            spec = {"attrs": [["AF_INET6", {"attrs": [["IFLA_INET6_ADDR_GEN_MODE",
                                                       _ADDR_GEN_MODE_NONE]]}]]}
            await self._request("set", f"addrgenmode of {ifname}", self._ipr.link,
                                {"index": index, "IFLA_AF_SPEC": spec})
        await self._request("set", f"link {ifname} up", self._ipr.link,
                            {"index": index, "state": "up"})

    async def delete_link(self, ifname: str) -> bool:
        """Remove an interface we made; False when it was already gone."""
        try:
            index = await self.ifindex(ifname)
        except InterfaceNotFound:
            return False
        return await self._request("delete", f"link {ifname}", self._ipr.link,
                                   {"index": index})

    async def add_address(self, spec: AddressSpec) -> bool:
        """Add a VIP; False when it was already there."""
        args = await self._address_args(spec)
        args.update(scope=SCOPES[spec.scope])
        if spec.broadcast is not None:
            args["broadcast"] = str(spec.broadcast)
        if spec.label is not None:
            args["label"] = spec.label
        if spec.nodad:
            args["flags"] = IFA_F_NODAD
        if spec.preferred_lft is not None:
            args["preferred_lft"] = spec.preferred_lft
        return await self._request("add", spec.describe(), self._ipr.addr, args)

    async def delete_address(self, spec: AddressSpec) -> bool:
        """Remove a VIP; False when it was already gone, its interface included."""
        try:
            args = await self._address_args(spec)
        except InterfaceNotFound:
            return False
        return await self._request("delete", spec.describe(), self._ipr.addr, args)

    async def _address_args(self, spec: AddressSpec) -> dict[str, Any]:
        return {
            "index": await self.ifindex(spec.ifname),
            "address": str(spec.address.ip),
            "prefixlen": spec.address.network.prefixlen,
            "family": AF_INET if spec.address.version == 4 else AF_INET6,
        }

    async def add_route(self, spec: RouteSpec) -> bool:
        args = await self._route_args(spec)
        return await self._request("add", spec.describe(), self._ipr.route, args)

    async def delete_route(self, spec: RouteSpec) -> bool:
        """False when the route was already gone, its device included."""
        try:
            args = await self._route_args(spec)
        except InterfaceNotFound:
            return False
        return await self._request("delete", spec.describe(), self._ipr.route, args)

    async def _route_args(self, spec: RouteSpec) -> dict[str, Any]:
        args: dict[str, Any] = {
            "dst": str(spec.destination),
            "family": AF_INET if spec.destination.version == 4 else AF_INET6,
            "table": spec.table,
        }
        if spec.via is not None:
            args["gateway"] = str(spec.via)
        if spec.ifname is not None:
            args["oif"] = await self.ifindex(spec.ifname)
        if spec.source is not None:
            args["prefsrc"] = str(spec.source)
        if spec.scope is not None:
            args["scope"] = SCOPES[spec.scope]
        if spec.metric is not None:
            args["priority"] = spec.metric
        return args

    async def add_rule(self, spec: RuleSpec) -> bool:
        return await self._request("add", spec.describe(), self._ipr.rule, _rule_args(spec))

    async def delete_rule(self, spec: RuleSpec) -> bool:
        return await self._request("delete", spec.describe(), self._ipr.rule, _rule_args(spec))

    async def _request(self, action: str, what: str, method: Any, args: dict[str, Any]) -> bool:
        command = {"add": "add", "set": "set"}.get(action, "del")
        tolerated = _ADD_TOLERATED if action == "add" else _DELETE_TOLERATED
        try:
            await method(command, **args)
        except NetlinkError as exc:
            if exc.code in tolerated:
                return False
            raise NetlinkRequestError(action, what, exc.code) from None
        return True


def _rule_args(spec: RuleSpec) -> dict[str, Any]:
    args: dict[str, Any] = {
        "family": spec.family,
        "table": spec.table,
        "priority": spec.priority,
    }
    for key, net in (("src", spec.source), ("dst", spec.destination)):
        if net is not None:
            args[key] = str(net.network_address)
            args[f"{key}_len"] = net.prefixlen
    if spec.iifname is not None:
        args["iifname"] = spec.iifname
    if spec.oifname is not None:
        args["oifname"] = spec.oifname
    if spec.fwmark is not None:
        args["fwmark"] = spec.fwmark
    return args
