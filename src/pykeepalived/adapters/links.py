"""Interfaces as the daemon sees them: up/down, MAC, addresses, read from rtnetlink messages.

These functions only interpret messages (the dicts `rtnl_codec.decode` makes: the fixed
header under the kernel's field names, attributes under theirs), so the rules live here
and are tested without root:
"up" is keepalived's FLAGS_UP, IFF_UP and IFF_RUNNING both set (include/vrrp_if.h), so
an administratively up link without carrier is down, which is what puts an instance
into FAULT for track_interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface, ip_interface
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

IPInterface = IPv4Interface | IPv6Interface

IFF_UP: Final = 0x1
IFF_RUNNING: Final = 0x40
IFF_LOWER_UP: Final = 0x10000
IFA_F_SECONDARY: Final = 0x01
IFA_F_NODAD: Final = 0x02
IFA_F_DEPRECATED: Final = 0x20
IFA_F_TENTATIVE: Final = 0x40
AF_INET: Final = 2
AF_INET6: Final = 10


class InterfaceNotFound(LookupError):
    """Named interface does not exist (in this network namespace)."""

    def __init__(self, ifname: str) -> None:
        super().__init__(f"interface {ifname!r} not found")
        self.ifname = ifname


@dataclass(frozen=True, slots=True)
class LinkState:
    """One link's state. `operstate` is the kernel's word (UP, DOWN, LOWERLAYERDOWN...)."""

    ifname: str
    index: int
    mac: str
    admin_up: bool
    running: bool
    operstate: str

    @property
    def up(self) -> bool:
        return self.admin_up and self.running


@dataclass(frozen=True, slots=True)
class AddressEntry:
    """One address on a link as rtnetlink reports it."""

    ifindex: int
    address: IPInterface
    flags: int
    label: str | None

    @property
    def secondary(self) -> bool:
        return bool(self.flags & IFA_F_SECONDARY)


@dataclass(frozen=True, slots=True)
class InterfaceInfo:
    """What a VRRP instance needs to know about its interface to open sockets on it."""

    link: LinkState
    addresses: tuple[AddressEntry, ...]

    @property
    def primary_ipv4(self) -> IPv4Address | None:
        """The first non-secondary IPv4 address: keepalived's default advert source."""
        for entry in self.addresses:
            if isinstance(entry.address, IPv4Interface) and not entry.secondary:
                return entry.address.ip
        return None

    @property
    def ipv6_link_local(self) -> IPv6Address | None:
        """The link-local address, the source VRRPv3 over IPv6 must use (RFC 5798 §5.1.2.1)."""
        for entry in self.addresses:
            if isinstance(entry.address, IPv6Interface) and entry.address.ip.is_link_local:
                return entry.address.ip
        return None


def link_state(msg: Mapping[str, Any]) -> LinkState:
    """Read an RTM_NEWLINK/RTM_DELLINK message (deleted links read as down)."""
    flags = int(msg.get("ifi_flags") or 0)
    deleted = msg.get("event") == "RTM_DELLINK"
    return LinkState(
        ifname=str(msg.get("IFLA_IFNAME") or f"if{msg.get('ifi_index')}"),
        index=int(msg.get("ifi_index") or 0),
        mac=str(msg.get("IFLA_ADDRESS") or ""),
        admin_up=bool(flags & IFF_UP) and not deleted,
        running=bool(flags & IFF_RUNNING) and not deleted,
        operstate=str(msg.get("IFLA_OPERSTATE") or "UNKNOWN"),
    )


def address_entry(msg: Mapping[str, Any]) -> AddressEntry | None:
    """Read an RTM_NEWADDR/RTM_DELADDR message; None when it carries no usable address."""
    # IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point.
    raw = msg.get("IFA_LOCAL") or msg.get("IFA_ADDRESS")
    prefixlen = msg.get("ifa_prefixlen")
    if raw is None or prefixlen is None:
        return None
    try:
        address = ip_interface(f"{raw}/{prefixlen}")
    except ValueError:
        return None
    # IFA_FLAGS holds all 32 bits; ifa_flags only the low 8 (older kernels send only it)
    flags = msg.get("IFA_FLAGS")
    if flags is None:
        flags = msg.get("ifa_flags") or 0
    label = msg.get("IFA_LABEL")
    return AddressEntry(
        ifindex=int(msg.get("ifa_index") or 0),
        address=address,
        flags=int(flags),
        label=str(label) if label is not None else None,
    )
