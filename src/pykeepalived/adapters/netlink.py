"""Idempotent rtnetlink requests: VIPs, routes and rules appear and disappear, exactly once.

Spoken directly over a NETLINK_ROUTE socket (`rtnetlink.RtnlSocket`, messages built by
`rtnl_codec`): every request is awaited on the daemon's own loop, nothing blocks it and
no thread is needed. The messages are keepalived's (vrrp_ipaddress.c, vrrp_iproute.c,
vrrp_iprule.c): routes carry protocol `keepalived` and scope universe unless a scope is
given, a table above 255 goes in RTA_TABLE / FRA_TABLE.

Idempotence is the contract the daemon relies on (a reload or a repeated FAULT must not
fail): adding what exists is fine (EEXIST), deleting what is gone is fine (EADDRNOTAVAIL
for addresses, ESRCH/ENOENT for routes and rules, ENODEV for links). Each call says
whether it changed anything. Every other kernel refusal becomes a `NetlinkRequestError`
naming the object.
"""

from __future__ import annotations

import errno
import os
import socket
from ipaddress import (
    IPv4Interface,
    IPv6Interface,
)
from typing import TYPE_CHECKING, Final, Protocol

from pykeepalived.adapters import rtnl_codec as rt
from pykeepalived.adapters.links import (
    AF_INET,
    AF_INET6,
    IFA_F_NODAD,
    IFF_UP,
    InterfaceInfo,
    InterfaceNotFound,
    IPInterface,
    LinkState,
    address_entry,
    link_state,
)
from pykeepalived.adapters.rtnetlink import RtnlSocket
from pykeepalived.adapters.rtnl_codec import Message, NetlinkError
from pykeepalived.specs.addresses import (
    SCOPES,
    AddressSpec,
    IPAddress,
    RouteSpec,
    RuleSpec,
)

if TYPE_CHECKING:
    from pykeepalived.specs.addresses import IPNetwork

_ADD_TOLERATED: Final = frozenset({errno.EEXIST})
_DELETE_TOLERATED: Final = frozenset({errno.EADDRNOTAVAIL, errno.ESRCH, errno.ENOENT, errno.ENODEV})
_CREATE: Final = rt.NLM_F_CREATE | rt.NLM_F_EXCL


class Requester(Protocol):
    """What `Netlink` needs of its socket (`RtnlSocket`; a recording fake in unit tests)."""

    async def request(self, msg_type: int, flags: int, body: bytes) -> list[Message]: ...

    def close(self) -> None: ...


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

    def __init__(self, rtnl: Requester, *, own_namespace: bool = False) -> None:
        self._rtnl = rtnl
        #: the socket talks to this process's own namespace: an interface's index is one
        #: ioctl away (if_nametoindex), not a netlink round trip per lookup
        self._own_namespace = own_namespace

    @classmethod
    async def open(cls, netns: str | None = None) -> Netlink:
        """`netns` names a network namespace (tests); None is the daemon's own.

        groups=0: a request socket joins no notification group, so nothing unread can
        pile up in it for the life of the daemon.
        """
        return cls(RtnlSocket.open(groups=0, netns=netns), own_namespace=netns is None)

    async def close(self) -> None:
        self._rtnl.close()

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
        return int((await self._link_message(ifname))["ifi_index"])

    async def _get_link(self, ifname: str, body: bytes) -> Message:
        try:
            found = await self._rtnl.request(rt.RTM_GETLINK, 0, body)
        except NetlinkError as exc:
            if exc.code in (errno.ENODEV, errno.ENOENT):
                raise InterfaceNotFound(ifname) from None
            raise NetlinkRequestError("read", f"link {ifname}", exc.code) from None
        if not found:
            raise InterfaceNotFound(ifname)
        return found[0]

    async def _link_message(self, ifname: str) -> Message:
        """RTM_GETLINK by name: one round trip, and ENODEV when there is no such link."""
        return await self._get_link(ifname, rt.ifinfomsg() + rt.attr_str(rt.IFLA_IFNAME, ifname))

    async def link(self, ifname: str) -> LinkState:
        """Carrier and admin state now, for track_interface and the initial FAULT check."""
        return link_state(await self._link_message(ifname))

    async def interface(self, ifname: str) -> InterfaceInfo:
        """Index, MAC and addresses: what the sockets need to pick a source address."""
        state = await self.link(ifname)
        # the kernel filters by index on a strict socket; older kernels send every address
        dump = await self._rtnl.request(rt.RTM_GETADDR, rt.NLM_F_DUMP,
                                        rt.ifaddrmsg(family=rt.AF_UNSPEC, index=state.index))
        entries = [entry for msg in dump
                   if (entry := address_entry(msg)) is not None and entry.ifindex == state.index]
        return InterfaceInfo(link=state, addresses=tuple(entries))

    async def has_address(self, ifname: str, address: IPInterface | IPAddress) -> bool:
        """Is this IP on the interface, whatever its prefix length (VIP tracking's question)."""
        ip = address.ip if isinstance(address, IPv4Interface | IPv6Interface) else address
        info = await self.interface(ifname)
        return any(entry.address.ip == ip for entry in info.addresses)

    async def link_kind(self, ifname: str) -> str | None:
        """The link's IFLA_INFO_KIND (`macvlan`, `veth`...); "" for none, None if absent."""
        try:
            msg = await self._link_message(ifname)
        except InterfaceNotFound:
            return None
        info = msg.get("IFLA_LINKINFO")
        return str(info.get("IFLA_INFO_KIND") or "") if info is not None else ""

    async def add_macvlan(self, ifname: str, base_ifname: str, mac: str) -> int:
        """A private-mode macvlan on `base_ifname` (use_vmac); returns its index."""
        base = await self.ifindex(base_ifname)
        body = (rt.ifinfomsg()
                + rt.attr_str(rt.IFLA_IFNAME, ifname)
                + rt.attr_u32(rt.IFLA_LINK, base)
                + rt.attr_mac(rt.IFLA_ADDRESS, mac)
                + rt.attr_nested(rt.IFLA_LINKINFO,
                                 rt.attr(rt.IFLA_INFO_KIND, b"macvlan"),
                                 rt.attr_nested(rt.IFLA_INFO_DATA,
                                                rt.attr_u32(rt.IFLA_MACVLAN_MODE,
                                                            rt.MACVLAN_MODE_PRIVATE))))
        await self._request("add", f"macvlan {ifname} on {base_ifname}",
                            rt.RTM_NEWLINK, _CREATE, body)
        return await self.ifindex(ifname)

    async def link_up(self, ifname: str, *, addr_gen_none: bool = False) -> None:
        """Up; `addr_gen_none` first stops the kernel adding an EUI-64 link-local."""
        index = await self.ifindex(ifname)
        if addr_gen_none:
            mode = rt.attr_u8(rt.IFLA_INET6_ADDR_GEN_MODE, rt.IN6_ADDR_GEN_MODE_NONE)
            body = rt.ifinfomsg(index=index) + rt.attr_nested(
                rt.IFLA_AF_SPEC, rt.attr_nested(rt.AF_INET6, mode))
            await self._request("set", f"addrgenmode of {ifname}", rt.RTM_NEWLINK, 0, body)
        await self._request("set", f"link {ifname} up", rt.RTM_NEWLINK, 0,
                            rt.ifinfomsg(index=index, flags=IFF_UP, change=IFF_UP))

    async def delete_link(self, ifname: str) -> bool:
        """Remove an interface we made; False when it was already gone."""
        try:
            index = await self.ifindex(ifname)
        except InterfaceNotFound:
            return False
        return await self._request("delete", f"link {ifname}", rt.RTM_DELLINK, 0,
                                   rt.ifinfomsg(index=index))

    async def add_address(self, spec: AddressSpec) -> bool:
        """Add a VIP; False when it was already there."""
        flags = IFA_F_NODAD if spec.nodad else 0
        body = await self._address_body(spec, flags=flags, scope=SCOPES[spec.scope])
        if spec.broadcast is not None:
            body += rt.attr_ip(rt.IFA_BROADCAST, str(spec.broadcast))
        if spec.label is not None:
            body += rt.attr_str(rt.IFA_LABEL, spec.label)
        if flags:
            body += rt.attr_u32(rt.IFA_FLAGS, flags)
        if spec.preferred_lft is not None:
            body += rt.attr(rt.IFA_CACHEINFO, rt.CACHEINFO.pack(
                spec.preferred_lft, rt.INFINITY_LIFE_TIME, 0, 0))
        return await self._request("add", spec.describe(), rt.RTM_NEWADDR, _CREATE, body)

    async def delete_address(self, spec: AddressSpec) -> bool:
        """Remove a VIP; False when it was already gone, its interface included."""
        try:
            body = await self._address_body(spec)
        except InterfaceNotFound:
            return False
        return await self._request("delete", spec.describe(), rt.RTM_DELADDR, 0, body)

    async def _address_body(self, spec: AddressSpec, *, flags: int = 0, scope: int = 0) -> bytes:
        address = str(spec.address.ip)
        header = rt.ifaddrmsg(
            family=AF_INET if spec.address.version == 4 else AF_INET6,
            prefixlen=spec.address.network.prefixlen, flags=flags, scope=scope,
            index=await self.ifindex(spec.ifname))
        return header + rt.attr_ip(rt.IFA_LOCAL, address) + rt.attr_ip(rt.IFA_ADDRESS, address)

    async def add_route(self, spec: RouteSpec) -> bool:
        body = await self._route_body(spec, add=True)
        return await self._request("add", spec.describe(), rt.RTM_NEWROUTE, _CREATE, body)

    async def delete_route(self, spec: RouteSpec) -> bool:
        """False when the route was already gone, its device included."""
        try:
            body = await self._route_body(spec, add=False)
        except InterfaceNotFound:
            return False
        return await self._request("delete", spec.describe(), rt.RTM_DELROUTE, 0, body)

    async def _route_body(self, spec: RouteSpec, *, add: bool) -> bytes:
        """keepalived's netlink_route: scope universe on add, nowhere (any) on delete."""
        if spec.scope is not None:
            scope = SCOPES[spec.scope]
        else:
            scope = rt.RT_SCOPE_UNIVERSE if add else rt.RT_SCOPE_NOWHERE
        destination = spec.destination
        body = rt.rtmsg(
            family=AF_INET if destination.version == 4 else AF_INET6,
            dst_len=destination.prefixlen,
            table=spec.table if spec.table < 256 else rt.RT_TABLE_UNSPEC,
            protocol=rt.RTPROT_KEEPALIVED, scope=scope, kind=rt.RTN_UNICAST if add else 0)
        if spec.table >= 256:
            body += rt.attr_u32(rt.RTA_TABLE, spec.table)
        body += rt.attr_ip(rt.RTA_DST, str(destination.network_address))
        if spec.source is not None:
            body += rt.attr_ip(rt.RTA_PREFSRC, str(spec.source))
        if spec.via is not None:
            body += rt.attr_ip(rt.RTA_GATEWAY, str(spec.via))
        if spec.ifname is not None:
            body += rt.attr_u32(rt.RTA_OIF, await self.ifindex(spec.ifname))
        if spec.metric is not None:
            body += rt.attr_u32(rt.RTA_PRIORITY, spec.metric)
        return body

    async def add_rule(self, spec: RuleSpec) -> bool:
        return await self._request("add", spec.describe(), rt.RTM_NEWRULE, _CREATE,
                                   _rule_body(spec))

    async def delete_rule(self, spec: RuleSpec) -> bool:
        return await self._request("delete", spec.describe(), rt.RTM_DELRULE, 0,
                                   _rule_body(spec))

    async def _request(self, action: str, what: str, msg_type: int, flags: int,
                       body: bytes) -> bool:
        tolerated = _ADD_TOLERATED if action == "add" else _DELETE_TOLERATED
        try:
            await self._rtnl.request(msg_type, flags, body)
        except NetlinkError as exc:
            if exc.code in tolerated:
                return False
            raise NetlinkRequestError(action, what, exc.code) from None
        return True


def _rule_body(spec: RuleSpec) -> bytes:
    """keepalived's netlink_rule: action to-table, selectors as given."""
    def length(net: IPNetwork | None) -> int:
        return net.prefixlen if net is not None else 0

    body = rt.fib_rule_hdr(
        family=spec.family, dst_len=length(spec.destination), src_len=length(spec.source),
        table=spec.table if spec.table < 256 else rt.RT_TABLE_UNSPEC, action=rt.FR_ACT_TO_TBL)
    if spec.table >= 256:
        body += rt.attr_u32(rt.FRA_TABLE, spec.table)
    if spec.source is not None:
        body += rt.attr_ip(rt.FRA_SRC, str(spec.source.network_address))
    if spec.destination is not None:
        body += rt.attr_ip(rt.FRA_DST, str(spec.destination.network_address))
    body += rt.attr_u32(rt.FRA_PRIORITY, spec.priority)
    if spec.fwmark is not None:
        body += rt.attr_u32(rt.FRA_FWMARK, spec.fwmark)
    if spec.iifname is not None:
        body += rt.attr_str(rt.FRA_IIFNAME, spec.iifname)
    if spec.oifname is not None:
        body += rt.attr_str(rt.FRA_OIFNAME, spec.oifname)
    return body
