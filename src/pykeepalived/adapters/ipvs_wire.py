"""IPVS generic-netlink messages: specs in, the attributes keepalived 2.2.7 sends out.

pyroute2's own `ipvsmsg` leaves the sync-daemon nest and the timeouts undecoded, reads a
service netmask as an IPv4 address (an IPv6 service's is a prefix length) and a tunnel
port in host order (the kernel's is big-endian), so the IPVS adapter speaks through this
message class instead; it is built on pyroute2's nla machinery and its attribute numbers
are the kernel's (include/uapi/linux/ip_vs.h). Building and parsing are pure functions,
so the host-side tests check every attribute without a kernel.

What goes in each nest, and in which order, is keepalived's (check/libipvs.c):

- service: AF, then FWMARK or PROTOCOL + ADDR (16 bytes) + PORT, SCHED_NAME, PE_NAME if
  set, FLAGS {flags, mask all-ones}, TIMEOUT, NETMASK. Destination commands carry the
  service without its persistence (timeout 0, no PERSISTENT flag, all-ones netmask, no
  engine), as keepalived's ipvs_set_srule fills it only for service commands.
- destination: ADDR_FAMILY, ADDR, PORT, FWD_METHOD, WEIGHT, for TUN the TUN_TYPE (and
  TUN_PORT for GUE, TUN_FLAGS for GUE and GRE), U_THRESH, L_THRESH.
- sync daemon: STATE, MCAST_IFN, SYNC_ID and, only when set, SYNC_MAXLEN, MCAST_PORT,
  MCAST_TTL, MCAST_GROUP(6); stopping one sends STATE and SYNC_ID only.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address, IPv6Address, ip_address
from socket import AF_INET, AF_INET6
from typing import Any, Final

from pyroute2.netlink import genlmsg, nla
from pyroute2.netlink.generic.ipvs import ipvsstats

from pykeepalived.check.lvs import (
    FLAG_PERSISTENT,
    NETMASK_ALL,
    PREFIX_ALL,
    DestSpec,
    Forwarding,
    IPAddress,
    ServiceSpec,
    SyncDaemonSpec,
    SyncState,
    Timeouts,
    TunnelType,
)

GENL_NAME: Final = "IPVS"
GENL_VERSION: Final = 1

# IPVS_CMD_* (the ones keepalived uses, and the dumps)
NEW_SERVICE: Final = 1
SET_SERVICE: Final = 2
DEL_SERVICE: Final = 3
GET_SERVICE: Final = 4
NEW_DEST: Final = 5
SET_DEST: Final = 6
DEL_DEST: Final = 7
GET_DEST: Final = 8
NEW_DAEMON: Final = 9
DEL_DAEMON: Final = 10
GET_DAEMON: Final = 11
SET_CONFIG: Final = 12
GET_CONFIG: Final = 13
FLUSH: Final = 17

COMMAND_NAMES: Final = {
    NEW_SERVICE: "NEW_SERVICE", SET_SERVICE: "SET_SERVICE", DEL_SERVICE: "DEL_SERVICE",
    GET_SERVICE: "GET_SERVICE", NEW_DEST: "NEW_DEST", SET_DEST: "SET_DEST",
    DEL_DEST: "DEL_DEST", GET_DEST: "GET_DEST", NEW_DAEMON: "NEW_DAEMON",
    DEL_DAEMON: "DEL_DAEMON", GET_DAEMON: "GET_DAEMON", SET_CONFIG: "SET_CONFIG",
    GET_CONFIG: "GET_CONFIG", FLUSH: "FLUSH",
}

#: IP_VS_SVC_F_HASHED: the kernel's own bookkeeping, in every dump, never programmed
FLAG_HASHED: Final = 0x2
_ALL_ONES: Final = 0xFFFFFFFF
_STATES: Final[dict[SyncState, int]] = {"master": 1, "backup": 2}
_STATE_NAMES: Final[dict[int, SyncState]] = {1: "master", 2: "backup"}

Nest = dict[str, list[tuple[str, Any]]]


class IpvsMessage(genlmsg):  # type: ignore[misc]
    """One IPVS generic-netlink message, every nest decoded."""

    prefix = "IPVS_CMD_ATTR_"
    nla_map = (
        ("IPVS_CMD_ATTR_UNSPEC", "none"),
        ("IPVS_CMD_ATTR_SERVICE", "service"),
        ("IPVS_CMD_ATTR_DEST", "dest"),
        ("IPVS_CMD_ATTR_DAEMON", "daemon"),
        ("IPVS_CMD_ATTR_TIMEOUT_TCP", "uint32"),
        ("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", "uint32"),
        ("IPVS_CMD_ATTR_TIMEOUT_UDP", "uint32"),
    )

    class service(nla, ipvsstats):  # type: ignore[misc]
        prefix = "IPVS_SVC_ATTR_"
        nla_map = (
            ("IPVS_SVC_ATTR_UNSPEC", "none"),
            ("IPVS_SVC_ATTR_AF", "uint16"),
            ("IPVS_SVC_ATTR_PROTOCOL", "uint16"),
            ("IPVS_SVC_ATTR_ADDR", "cdata"),
            ("IPVS_SVC_ATTR_PORT", "be16"),
            ("IPVS_SVC_ATTR_FWMARK", "uint32"),
            ("IPVS_SVC_ATTR_SCHED_NAME", "asciiz"),
            ("IPVS_SVC_ATTR_FLAGS", "flags"),
            ("IPVS_SVC_ATTR_TIMEOUT", "uint32"),
            # an IPv4 mask (big-endian) or an IPv6 prefix length (host order)
            ("IPVS_SVC_ATTR_NETMASK", "cdata"),
            ("IPVS_SVC_ATTR_STATS", "stats"),
            ("IPVS_SVC_ATTR_PE_NAME", "asciiz"),
            ("IPVS_SVC_ATTR_STATS64", "stats64"),
        )

        class flags(nla):  # type: ignore[misc]
            fields = (("flags", "I"), ("mask", "I"))

    class dest(nla, ipvsstats):  # type: ignore[misc]
        prefix = "IPVS_DEST_ATTR_"
        nla_map = (
            ("IPVS_DEST_ATTR_UNSPEC", "none"),
            ("IPVS_DEST_ATTR_ADDR", "cdata"),
            ("IPVS_DEST_ATTR_PORT", "be16"),
            ("IPVS_DEST_ATTR_FWD_METHOD", "uint32"),
            ("IPVS_DEST_ATTR_WEIGHT", "uint32"),
            ("IPVS_DEST_ATTR_U_THRESH", "uint32"),
            ("IPVS_DEST_ATTR_L_THRESH", "uint32"),
            ("IPVS_DEST_ATTR_ACTIVE_CONNS", "uint32"),
            ("IPVS_DEST_ATTR_INACT_CONNS", "uint32"),
            ("IPVS_DEST_ATTR_PERSIST_CONNS", "uint32"),
            ("IPVS_DEST_ATTR_STATS", "stats"),
            ("IPVS_DEST_ATTR_ADDR_FAMILY", "uint16"),
            ("IPVS_DEST_ATTR_STATS64", "stats64"),
            ("IPVS_DEST_ATTR_TUN_TYPE", "uint8"),
            ("IPVS_DEST_ATTR_TUN_PORT", "be16"),
            ("IPVS_DEST_ATTR_TUN_FLAGS", "uint16"),
        )

    class daemon(nla):  # type: ignore[misc]
        prefix = "IPVS_DAEMON_ATTR_"
        nla_map = (
            ("IPVS_DAEMON_ATTR_UNSPEC", "none"),
            ("IPVS_DAEMON_ATTR_STATE", "int32"),
            ("IPVS_DAEMON_ATTR_MCAST_IFN", "asciiz"),
            ("IPVS_DAEMON_ATTR_SYNC_ID", "int32"),
            ("IPVS_DAEMON_ATTR_SYNC_MAXLEN", "uint16"),
            ("IPVS_DAEMON_ATTR_MCAST_GROUP", "cdata"),
            ("IPVS_DAEMON_ATTR_MCAST_GROUP6", "cdata"),
            ("IPVS_DAEMON_ATTR_MCAST_PORT", "uint16"),
            ("IPVS_DAEMON_ATTR_MCAST_TTL", "uint8"),
        )


def request(command: int, attrs: list[tuple[str, Any]] | None = None) -> IpvsMessage:
    """A message for `command`; the socket fills in the header."""
    msg = IpvsMessage()
    msg["cmd"] = command
    msg["version"] = GENL_VERSION
    msg["attrs"] = attrs or []
    return msg


# ---------------------------------------------------------------------- building

def _family(version: int) -> int:
    return AF_INET6 if version == 6 else AF_INET


def _address_bytes(address: IPAddress) -> bytes:
    """union nf_inet_addr: 16 bytes whatever the family, as keepalived sends it."""
    return address.packed.ljust(16, b"\0")


def _netmask_bytes(family: int, netmask: int) -> bytes:
    return struct.pack("=I" if family == 6 else ">I", netmask)


def service_key(service: ServiceSpec) -> list[tuple[str, Any]]:
    """What identifies the service to the kernel: AF and fwmark, or protocol+addr+port."""
    attrs: list[tuple[str, Any]] = [("IPVS_SVC_ATTR_AF", _family(service.family))]
    if service.fwmark:
        attrs.append(("IPVS_SVC_ATTR_FWMARK", service.fwmark))
    elif service.address is None:
        raise ValueError(f"service {service} has neither an address nor a fwmark")
    else:
        attrs += [("IPVS_SVC_ATTR_PROTOCOL", service.protocol),
                  ("IPVS_SVC_ATTR_ADDR", _address_bytes(service.address)),
                  ("IPVS_SVC_ATTR_PORT", service.port)]
    return attrs


def service_nest(service: ServiceSpec, *, persistence: bool = True) -> Nest:
    """The service nest of a command; `persistence` False for destination commands."""
    flags, timeout, netmask = service.flags, service.timeout, service.netmask
    if not persistence:
        flags &= ~FLAG_PERSISTENT
        timeout = 0
        netmask = PREFIX_ALL if service.family == 6 else NETMASK_ALL
    attrs = service_key(service)
    attrs.append(("IPVS_SVC_ATTR_SCHED_NAME", service.scheduler))
    if persistence and service.pe_name:
        attrs.append(("IPVS_SVC_ATTR_PE_NAME", service.pe_name))
    attrs += [("IPVS_SVC_ATTR_FLAGS", {"flags": flags, "mask": _ALL_ONES}),
              ("IPVS_SVC_ATTR_TIMEOUT", timeout),
              ("IPVS_SVC_ATTR_NETMASK", _netmask_bytes(service.family, netmask))]
    return {"attrs": attrs}


def dest_nest(dest: DestSpec) -> Nest:
    attrs: list[tuple[str, Any]] = [
        ("IPVS_DEST_ATTR_ADDR_FAMILY", _family(dest.address.version)),
        ("IPVS_DEST_ATTR_ADDR", _address_bytes(dest.address)),
        ("IPVS_DEST_ATTR_PORT", dest.port),
        ("IPVS_DEST_ATTR_FWD_METHOD", int(dest.forwarding)),
        ("IPVS_DEST_ATTR_WEIGHT", dest.weight),
    ]
    if dest.forwarding == Forwarding.TUN:
        attrs.append(("IPVS_DEST_ATTR_TUN_TYPE", int(dest.tunnel_type)))
        if dest.tunnel_type == TunnelType.GUE:
            attrs.append(("IPVS_DEST_ATTR_TUN_PORT", dest.tunnel_port))
        if dest.tunnel_type != TunnelType.IPIP:
            attrs.append(("IPVS_DEST_ATTR_TUN_FLAGS", dest.tunnel_flags))
    attrs += [("IPVS_DEST_ATTR_U_THRESH", dest.u_threshold),
              ("IPVS_DEST_ATTR_L_THRESH", dest.l_threshold)]
    return {"attrs": attrs}


def service_command(command: int, service: ServiceSpec) -> IpvsMessage:
    return request(command, [("IPVS_CMD_ATTR_SERVICE", service_nest(service))])


def dest_command(command: int, service: ServiceSpec, dest: DestSpec) -> IpvsMessage:
    return request(command, [
        ("IPVS_CMD_ATTR_SERVICE", service_nest(service, persistence=False)),
        ("IPVS_CMD_ATTR_DEST", dest_nest(dest)),
    ])


def dest_dump(service: ServiceSpec) -> IpvsMessage:
    return request(GET_DEST, [("IPVS_CMD_ATTR_SERVICE", {"attrs": service_key(service)})])


def daemon_command(command: int, state: SyncState, sync: SyncDaemonSpec) -> IpvsMessage:
    """NEW_DAEMON (command NEW_DAEMON) or DEL_DAEMON for one role of the sync daemon."""
    attrs: list[tuple[str, Any]] = [("IPVS_DAEMON_ATTR_STATE", _STATES[state])]
    if command == NEW_DAEMON:
        attrs.append(("IPVS_DAEMON_ATTR_MCAST_IFN", sync.interface))
    attrs.append(("IPVS_DAEMON_ATTR_SYNC_ID", sync.sync_id or 0))
    if command == NEW_DAEMON:
        if sync.max_len:
            attrs.append(("IPVS_DAEMON_ATTR_SYNC_MAXLEN", sync.max_len))
        if sync.port:
            attrs.append(("IPVS_DAEMON_ATTR_MCAST_PORT", sync.port))
        if sync.ttl:
            attrs.append(("IPVS_DAEMON_ATTR_MCAST_TTL", sync.ttl))
        if isinstance(sync.group, IPv6Address):
            attrs.append(("IPVS_DAEMON_ATTR_MCAST_GROUP6", sync.group.packed))
        elif isinstance(sync.group, IPv4Address):
            attrs.append(("IPVS_DAEMON_ATTR_MCAST_GROUP", sync.group.packed))
    return request(command, [("IPVS_CMD_ATTR_DAEMON", {"attrs": attrs})])


def set_config(tcp: int, tcp_fin: int, udp: int) -> IpvsMessage:
    """SET_CONFIG: keepalived always sends all three timeouts."""
    return request(SET_CONFIG, [("IPVS_CMD_ATTR_TIMEOUT_TCP", tcp),
                                ("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", tcp_fin),
                                ("IPVS_CMD_ATTR_TIMEOUT_UDP", udp)])


# ---------------------------------------------------------------------- parsing

def _address(family: int, raw: bytes) -> IPAddress:
    return ip_address(raw[:16] if family == AF_INET6 else raw[:4])


def parse_service(msg: Any) -> ServiceSpec:
    """A dumped service as the spec that programs it (HASHED dropped)."""
    nest = msg.get_attr("IPVS_CMD_ATTR_SERVICE")
    get = nest.get_attr
    family = 6 if get("IPVS_SVC_ATTR_AF") == AF_INET6 else 4
    fwmark = get("IPVS_SVC_ATTR_FWMARK") or 0
    raw_mask = get("IPVS_SVC_ATTR_NETMASK")
    netmask = (struct.unpack("=I" if family == 6 else ">I", raw_mask[:4])[0]
               if raw_mask else NETMASK_ALL)
    flags = get("IPVS_SVC_ATTR_FLAGS")
    return ServiceSpec(
        family=family,
        protocol=0 if fwmark else get("IPVS_SVC_ATTR_PROTOCOL"),
        address=None if fwmark else _address(_family(family), get("IPVS_SVC_ATTR_ADDR")),
        port=0 if fwmark else get("IPVS_SVC_ATTR_PORT"),
        fwmark=fwmark,
        scheduler=get("IPVS_SVC_ATTR_SCHED_NAME") or "",
        flags=(flags["flags"] if flags else 0) & ~FLAG_HASHED,
        timeout=get("IPVS_SVC_ATTR_TIMEOUT") or 0,
        netmask=netmask,
        pe_name=get("IPVS_SVC_ATTR_PE_NAME") or "",
    )


def parse_dest(msg: Any) -> DestSpec:
    get = msg.get_attr("IPVS_CMD_ATTR_DEST").get_attr
    return DestSpec(
        address=_address(get("IPVS_DEST_ATTR_ADDR_FAMILY") or AF_INET,
                         get("IPVS_DEST_ATTR_ADDR")),
        port=get("IPVS_DEST_ATTR_PORT"),
        forwarding=Forwarding(get("IPVS_DEST_ATTR_FWD_METHOD") & 0x7),
        weight=get("IPVS_DEST_ATTR_WEIGHT"),
        u_threshold=get("IPVS_DEST_ATTR_U_THRESH") or 0,
        l_threshold=get("IPVS_DEST_ATTR_L_THRESH") or 0,
        tunnel_type=TunnelType(get("IPVS_DEST_ATTR_TUN_TYPE") or 0),
        tunnel_port=get("IPVS_DEST_ATTR_TUN_PORT") or 0,
        tunnel_flags=get("IPVS_DEST_ATTR_TUN_FLAGS") or 0,
    )


def parse_daemon(msg: Any) -> tuple[SyncState, SyncDaemonSpec]:
    """A running sync daemon with every value the kernel holds (its defaults included)."""
    get = msg.get_attr("IPVS_CMD_ATTR_DAEMON").get_attr
    group4, group6 = get("IPVS_DAEMON_ATTR_MCAST_GROUP"), get("IPVS_DAEMON_ATTR_MCAST_GROUP6")
    group = (IPv6Address(group6[:16]) if group6 else
             IPv4Address(group4[:4]) if group4 else None)
    return _STATE_NAMES[get("IPVS_DAEMON_ATTR_STATE")], SyncDaemonSpec(
        interface=get("IPVS_DAEMON_ATTR_MCAST_IFN") or "",
        sync_id=get("IPVS_DAEMON_ATTR_SYNC_ID"),
        max_len=get("IPVS_DAEMON_ATTR_SYNC_MAXLEN"),
        port=get("IPVS_DAEMON_ATTR_MCAST_PORT"),
        ttl=get("IPVS_DAEMON_ATTR_MCAST_TTL"),
        group=group,
    )


def parse_timeouts(msg: Any) -> Timeouts:
    return Timeouts(tcp=msg.get_attr("IPVS_CMD_ATTR_TIMEOUT_TCP"),
                    tcp_fin=msg.get_attr("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN"),
                    udp=msg.get_attr("IPVS_CMD_ATTR_TIMEOUT_UDP"))
