"""What the IPVS adapter is asked to hold: virtual services and their destinations.

These are the kernel's own objects (include/uapi/linux/ip_vs.h), one `ServiceSpec` per
IPVS service (a virtual_server_group expands to several) and one `DestSpec` per real
server in it. Two specs compare equal exactly when the kernel entry would be the same,
which is what lets a reload touch only what changed, and what lets the IPVS adapter's
`dump()` read back a spec equal to the one programmed: the constructors normalise the
fields the kernel would hold differently (see `ServiceSpec` and `DestSpec`). `text()`
gives keepalived's `[ip]:proto:port` / `FWM n` forms, which its log lines and dumps use.

The errors of IPVS programming live here too, beside the values, so that the adapter
(which may not import the daemon) raises what the check driver catches.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Final, Literal

IPAddress = IPv4Address | IPv6Address

#: IPPROTO_* numbers as IPVS carries them; 0 for a fwmark service.
PROTOCOLS: Final = {"TCP": 6, "UDP": 17, "SCTP": 132}
PROTOCOL_NAMES: Final = {6: "tcp", 17: "udp", 132: "sctp", 0: "none"}

#: Service flags (IP_VS_SVC_F_*); keepalived never sets HASHED.
FLAG_PERSISTENT: Final = 0x1
FLAG_ONEPACKET: Final = 0x4
FLAG_SCHED1: Final = 0x8
FLAG_SCHED2: Final = 0x10
FLAG_SCHED3: Final = 0x20
#: IPv4 persistence netmask of a service without persistence_granularity
NETMASK_ALL: Final = 0xFFFFFFFF
#: the same for IPv6: a prefix length
PREFIX_ALL: Final = 128

#: the sync daemon's two roles (IP_VS_STATE_MASTER 1, IP_VS_STATE_BACKUP 2)
SyncState = Literal["master", "backup"]


class IpvsError(Exception):
    """The kernel refused an IPVS command; `code` is the errno keepalived reports."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message or f"IPVS error {code}")
        self.code = code


class IpvsUnavailable(Exception):
    """This kernel has no IPVS (no generic netlink family "IPVS", even after modprobe).

    keepalived says so once and keeps running VRRP; `reason` is that one line.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forwarding(IntEnum):
    """IP_VS_CONN_F_* forwarding methods (keepalived's `lvs_method`)."""

    NAT = 0  # masquerading
    TUN = 2  # tunnel
    DR = 3  # direct routing


class TunnelType(IntEnum):
    IPIP = 0
    GUE = 1
    GRE = 2


def endpoint_text(address: IPAddress | None, protocol: int, port: int) -> str:
    """keepalived's FMT_RS / address FMT_VS: `[192.0.2.1]:tcp:80`."""
    return f"[{address}]:{PROTOCOL_NAMES.get(protocol, '?')}:{port}"


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One IPVS virtual service: an address+protocol+port, or a firewall mark."""

    family: int  # 4 or 6
    protocol: int  # PROTOCOLS value; 0 with a fwmark
    address: IPAddress | None = None
    port: int = 0
    fwmark: int = 0
    scheduler: str = "wlc"
    flags: int = 0
    #: persistence timeout in seconds (0: not persistent)
    timeout: int = 0
    #: persistence_granularity: an IPv4 netmask as an int, or an IPv6 prefix length
    netmask: int = 0xFFFFFFFF
    #: persistence_engine (e.g. "sip"), "" for none
    pe_name: str = ""

    def __post_init__(self) -> None:
        """Normalise to what the kernel holds, as keepalived programs it (ipvs_set_srule).

        A persistent service (timeout > 0) always carries IP_VS_SVC_F_PERSISTENT; one
        without persistence has no persistence engine and the all-ones netmask; an IPv6
        service's all-ones netmask is the prefix length 128.
        """
        flags, netmask, pe_name = self.flags, self.netmask, self.pe_name
        if self.timeout > 0:
            flags |= FLAG_PERSISTENT
        else:
            netmask, pe_name = NETMASK_ALL, ""
        if self.family == 6 and netmask == NETMASK_ALL:
            netmask = PREFIX_ALL
        object.__setattr__(self, "flags", flags)
        object.__setattr__(self, "netmask", netmask)
        object.__setattr__(self, "pe_name", pe_name)

    @property
    def key(self) -> tuple[int, int, IPAddress | None, int, int]:
        """What identifies the service to the kernel."""
        return (self.family, self.protocol, self.address, self.port, self.fwmark)

    def text(self) -> str:
        if self.fwmark:
            return f"FWM {self.fwmark}"
        return endpoint_text(self.address, self.protocol, self.port)


@dataclass(frozen=True, slots=True)
class DestSpec:
    """One real server inside a service, as the kernel holds it."""

    address: IPAddress
    port: int
    forwarding: Forwarding = Forwarding.NAT
    weight: int = 1
    u_threshold: int = 0
    l_threshold: int = 0
    tunnel_type: TunnelType = TunnelType.IPIP
    tunnel_port: int = 0
    #: 0 nocsum, 1 csum, 2 remcsum
    tunnel_flags: int = 0

    def __post_init__(self) -> None:
        """Tunnel fields only where keepalived sends them (libipvs: TUN only, the port for
        GUE, the checksum flags for GUE and GRE); elsewhere the kernel holds zeros."""
        kind, port, flags = TunnelType(self.tunnel_type), self.tunnel_port, self.tunnel_flags
        object.__setattr__(self, "forwarding", Forwarding(self.forwarding))
        if self.forwarding != Forwarding.TUN:
            kind, port, flags = TunnelType.IPIP, 0, 0
        if kind != TunnelType.GUE:
            port = 0
        if kind == TunnelType.IPIP:
            flags = 0
        object.__setattr__(self, "tunnel_type", kind)
        object.__setattr__(self, "tunnel_port", port)
        object.__setattr__(self, "tunnel_flags", flags)

    @property
    def key(self) -> tuple[IPAddress, int]:
        return (self.address, self.port)


@dataclass(frozen=True, slots=True)
class SyncDaemonSpec:
    """lvs_sync_daemon: IPVS connection synchronisation between directors.

    `instance` names the vrrp_instance whose state decides master or backup (None: the
    checker runs both for its whole life, as keepalived does without an instance).
    `sync_id` None is keepalived's unset syncid: the instance's VRID, or 0 without one
    (`check.syncd.resolved` fills it in; the adapter sends 0 for None).
    """

    interface: str
    instance: str | None = None
    sync_id: int | None = None
    max_len: int | None = None
    port: int | None = None
    ttl: int | None = None
    group: IPAddress | None = None


@dataclass(frozen=True, slots=True)
class Timeouts:
    """lvs_timeouts in seconds; None keeps the kernel's value."""

    tcp: int | None = None
    tcp_fin: int | None = None
    udp: int | None = None
