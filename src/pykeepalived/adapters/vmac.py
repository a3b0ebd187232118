"""keepalived's `use_vmac`: a private-mode macvlan carrying the VRRP virtual MAC.

RFC 5798 §7.3 wants the master to answer for its VIPs with 00-00-5E-00-01-{VRID}
(00-00-5E-00-02-{VRID} for IPv6). keepalived 2.2.7 does it with one macvlan per instance
(vrrp_vmac.c): mode private, so frames carrying its own MAC are still received; IPv6 off
on it unless needed and no EUI-64 link-local (RFC 5798 §7.4); then up. For IPv4 it also
sets sysctls (vrrp_if_config.c): on the vmac arp_ignore=1, accept_local=1, rp_filter=0,
promote_secondaries=1 (it has no address of its own); on the parent arp_ignore=1 and
arp_filter=1 (the parent must not answer ARP for the VIP with the NIC MAC), restored
when the parent's last vmac goes. rp_filter on a vmac only works with conf.all.rp_filter
at 0, so a non-zero value is first pushed down to `default` and every interface, then
cleared, and put back at the end (keepalived's clear_rp_filter / restore_rp_filter).

Which name and MAC a vmac gets is specs/vmac.py's business; this module makes the link.
The sysctls are plain files, reached through `Sysctls` so the bookkeeping is tested
without root; link operations through `LinkOps` (adapters/netlink.Netlink).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from ipaddress import IPv6Interface
from typing import TYPE_CHECKING, Final, Protocol

from pykeepalived.specs.addresses import AddressSpec
from pykeepalived.specs.vmac import VmacSpec, mac_text

if TYPE_CHECKING:
    from collections.abc import Callable

#: net/ipv4/conf/<if>/... set on the vmac itself (vrrp_if_config.c vmac_sysctl)
VMAC_SYSCTLS: Final = (("arp_ignore", 1), ("accept_local", 1), ("rp_filter", 0),
                       ("promote_secondaries", 1))
#: and on its parent (parent_sysctl), restored when the parent's last vmac goes
PARENT_SYSCTLS: Final = (("arp_ignore", 1), ("arp_filter", 1))
IPV4_CONF: Final = "net/ipv4/conf"


class VmacError(OSError):
    """The vmac cannot be made (a non-macvlan has its name, or the kernel refused)."""


class LinkOps(Protocol):
    async def link_kind(self, ifname: str) -> str | None: ...
    async def add_macvlan(self, ifname: str, base_ifname: str, mac: str) -> int: ...
    async def link_up(self, ifname: str, *, addr_gen_none: bool) -> None: ...
    async def delete_link(self, ifname: str) -> bool: ...
    async def add_address(self, spec: AddressSpec) -> bool: ...


class Sysctls(Protocol):
    def read(self, path: str) -> int | None: ...
    def write(self, path: str, value: int) -> bool: ...
    def interfaces(self) -> list[str]: ...


class ProcSysctls:
    """/proc/sys, as keepalived's get_sysctl / set_sysctl read and write it."""

    def __init__(self, root: str = "/proc/sys") -> None:
        self.root = root

    def read(self, path: str) -> int | None:
        try:
            with open(os.path.join(self.root, path)) as handle:
                return int(handle.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def write(self, path: str, value: int) -> bool:
        try:
            with open(os.path.join(self.root, path), "w") as handle:
                handle.write(str(value))
        except OSError:
            return False
        return True

    def interfaces(self) -> list[str]:
        try:
            names = os.listdir(os.path.join(self.root, IPV4_CONF))
        except OSError:
            return []
        return sorted(n for n in names if n not in ("all", "default"))


@dataclass
class _Parent:
    """A parent interface's ARP settings before our first vmac on it, and who uses it."""

    users: int = 0
    saved: dict[str, int] = field(default_factory=dict)


@dataclass
class _RpFilter:
    """What clear_rp_filter changed, so that restore puts exactly that back."""

    all_value: int
    default_value: int | None = None
    interfaces: dict[str, int] = field(default_factory=dict)


class VmacManager:
    """Creates and deletes vmacs and owns every sysctl change made for them."""

    def __init__(self, links: LinkOps, log: Callable[[str], None],
                 sysctls: Sysctls | None = None) -> None:
        self._links = links
        self._log = log
        self._sysctls: Sysctls = sysctls if sysctls is not None else ProcSysctls()
        self._parents: dict[str, _Parent] = {}
        self._rp_filter: _RpFilter | None = None
        self._ours: dict[str, VmacSpec] = {}

    async def create(self, spec: VmacSpec, instance: str) -> int:
        """The vmac up with its MAC and sysctls; returns its ifindex."""
        kind = await self._links.link_kind(spec.ifname)
        if kind is not None and kind != "macvlan":
            raise VmacError(f"VMAC {spec.ifname} conflicts with existing interface")
        if kind is not None:
            self._log(f"({instance}) Removing old VMAC interface {spec.ifname} due to "
                      "conflicting interface")
            await self._links.delete_link(spec.ifname)
        try:
            index = await self._links.add_macvlan(spec.ifname, spec.base_ifname,
                                                  mac_text(spec.mac))
        except (OSError, LookupError) as exc:
            raise VmacError(f"({instance}): Unable to create VMAC interface "
                            f"{spec.ifname}: {exc}") from None
        self._ours[spec.ifname] = spec
        if spec.family == 4:
            self._configure_ipv4(spec)
        self._write(f"net/ipv6/conf/{spec.ifname}/disable_ipv6", 0 if spec.ipv6 else 1)
        await self._links.link_up(spec.ifname, addr_gen_none=True)
        if spec.family == 6 and not spec.xmit_base and spec.link_local is not None:
            await self._links.add_address(AddressSpec(
                ifname=spec.ifname, address=IPv6Interface(f"{spec.link_local}/64"),
                scope="link", nodad=True))
        return index

    async def delete(self, spec: VmacSpec) -> None:
        """Parent's ARP settings back (if it was the last vmac there), then the link."""
        if self._ours.pop(spec.ifname, None) is None:
            return
        if spec.family == 4:
            self._release_parent(spec.base_ifname)
        await self._links.delete_link(spec.ifname)

    def restore(self) -> None:
        """At stop: conf.all/default/interface rp_filter as they were, where unchanged."""
        saved, self._rp_filter = self._rp_filter, None
        if saved is None:
            return
        if self._sysctls.read(f"{IPV4_CONF}/all/rp_filter") == 0:
            self._log(f"NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to "
                      f"{saved.all_value}")
            self._write(f"{IPV4_CONF}/all/rp_filter", saved.all_value)
        if saved.default_value is not None and \
                self._sysctls.read(f"{IPV4_CONF}/default/rp_filter") == saved.all_value:
            self._log(f"NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to "
                      f"{saved.default_value}")
            self._write(f"{IPV4_CONF}/default/rp_filter", saved.default_value)
        for ifname, value in saved.interfaces.items():
            path = f"{IPV4_CONF}/{ifname}/rp_filter"
            if self._sysctls.read(path) == saved.all_value:
                self._write(path, value)

    def _configure_ipv4(self, spec: VmacSpec) -> None:
        if self._rp_filter is None:
            self._clear_rp_filter()
        for name, value in VMAC_SYSCTLS:
            self._write(f"{IPV4_CONF}/{spec.ifname}/{name}", value)
        parent = self._parents.setdefault(spec.base_ifname, _Parent())
        parent.users += 1
        if parent.users > 1:
            return
        for name, value in PARENT_SYSCTLS:
            path = f"{IPV4_CONF}/{spec.base_ifname}/{name}"
            old = self._sysctls.read(path)
            if old is not None and old != value:
                parent.saved[name] = old
                self._write(path, value)

    def _release_parent(self, base_ifname: str) -> None:
        parent = self._parents.get(base_ifname)
        if parent is None:
            return
        parent.users -= 1
        if parent.users > 0:
            return
        del self._parents[base_ifname]
        for name, old in parent.saved.items():
            self._write(f"{IPV4_CONF}/{base_ifname}/{name}", old)

    def _clear_rp_filter(self) -> None:
        all_value = self._sysctls.read(f"{IPV4_CONF}/all/rp_filter")
        if all_value is None:
            self._log("Unable to read sysctl net.ipv4.conf.all.rp_filter")
            return
        if all_value == 0:
            return
        saved = _RpFilter(all_value)
        default = self._sysctls.read(f"{IPV4_CONF}/default/rp_filter")
        if default is not None and default < all_value:
            self._log(f"NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from "
                      f"{default} to {all_value}")
            self._write(f"{IPV4_CONF}/default/rp_filter", all_value)
            saved.default_value = default
        for ifname in self._sysctls.interfaces():
            path = f"{IPV4_CONF}/{ifname}/rp_filter"
            value = self._sysctls.read(path)
            if value is not None and value < all_value:
                self._write(path, all_value)
                saved.interfaces[ifname] = value
        self._log(f"NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from {all_value} to 0")
        self._write(f"{IPV4_CONF}/all/rp_filter", 0)
        self._rp_filter = saved

    def _write(self, path: str, value: int) -> None:
        if not self._sysctls.write(path, value):
            self._log(f"Unable to set sysctl {path.replace('/', '.')} to {value}")
