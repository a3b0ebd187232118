"""rtnetlink messages as bytes: the few the daemon sends, and the replies and events it reads.

Pure functions over `struct` (no socket), so every byte is tested without root. The
numbers are the kernel's (include/uapi/linux/netlink.h, rtnetlink.h, if_link.h,
if_addr.h, fib_rules.h). A decoded message is a plain dict: "event" (RTM_NEWLINK...),
the netlink header ("nlmsg_seq"...), the fixed header under the kernel's field names
("ifi_index", "ifa_prefixlen", "rtm_table"...) and each attribute the daemon reads under
its kernel name ("IFLA_IFNAME", "IFA_LOCAL"...; nested ones as dicts). Attributes the
daemon has no use for are skipped. Anything that does not add up (a length past the end,
a header shorter than its struct) raises `MalformedMessage`; parsing always moves
forward, so it cannot loop.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from ipaddress import ip_address
from typing import Any, Final

Message = dict[str, Any]

# netlink.h
NLMSG_NOOP: Final = 1
NLMSG_ERROR: Final = 2
NLMSG_DONE: Final = 3
NLMSG_OVERRUN: Final = 4
NLM_F_REQUEST: Final = 0x1
NLM_F_MULTI: Final = 0x2
NLM_F_ACK: Final = 0x4
NLM_F_DUMP_INTR: Final = 0x10
NLM_F_DUMP: Final = 0x300
NLM_F_EXCL: Final = 0x200
NLM_F_CREATE: Final = 0x400
NLA_TYPE_MASK: Final = 0x3FFF  # without NLA_F_NESTED / NLA_F_NET_BYTEORDER
NLA_F_NESTED: Final = 0x8000

# rtnetlink.h message types
RTM_NEWLINK: Final = 16
RTM_DELLINK: Final = 17
RTM_GETLINK: Final = 18
RTM_NEWADDR: Final = 20
RTM_DELADDR: Final = 21
RTM_GETADDR: Final = 22
RTM_NEWROUTE: Final = 24
RTM_DELROUTE: Final = 25
RTM_GETROUTE: Final = 26
RTM_NEWRULE: Final = 32
RTM_DELRULE: Final = 33
RTM_GETRULE: Final = 34

# multicast group bits for bind() (the legacy RTMGRP_* masks)
RTMGRP_LINK: Final = 0x1
RTMGRP_IPV4_IFADDR: Final = 0x10
RTMGRP_IPV6_IFADDR: Final = 0x100

# attribute numbers
IFLA_ADDRESS: Final = 1
IFLA_BROADCAST: Final = 2
IFLA_IFNAME: Final = 3
IFLA_MTU: Final = 4
IFLA_LINK: Final = 5
IFLA_OPERSTATE: Final = 16
IFLA_LINKINFO: Final = 18
IFLA_AF_SPEC: Final = 26
IFLA_INFO_KIND: Final = 1
IFLA_INFO_DATA: Final = 2
IFLA_MACVLAN_MODE: Final = 1
MACVLAN_MODE_PRIVATE: Final = 1
IFLA_INET6_ADDR_GEN_MODE: Final = 8
IN6_ADDR_GEN_MODE_NONE: Final = 1
IFA_ADDRESS: Final = 1
IFA_LOCAL: Final = 2
IFA_LABEL: Final = 3
IFA_BROADCAST: Final = 4
IFA_CACHEINFO: Final = 6
IFA_FLAGS: Final = 8
INFINITY_LIFE_TIME: Final = 0xFFFFFFFF
RTA_DST: Final = 1
RTA_SRC: Final = 2
RTA_OIF: Final = 4
RTA_GATEWAY: Final = 5
RTA_PRIORITY: Final = 6
RTA_PREFSRC: Final = 7
RTA_TABLE: Final = 15
RT_TABLE_UNSPEC: Final = 0
RT_SCOPE_UNIVERSE: Final = 0
RT_SCOPE_NOWHERE: Final = 255
RTN_UNICAST: Final = 1
RTPROT_KEEPALIVED: Final = 18
FRA_DST: Final = 1
FRA_SRC: Final = 2
FRA_IIFNAME: Final = 3
FRA_PRIORITY: Final = 6
FRA_FWMARK: Final = 10
FRA_TABLE: Final = 15
FRA_FWMASK: Final = 16
FRA_OIFNAME: Final = 17
FR_ACT_TO_TBL: Final = 1
AF_UNSPEC: Final = 0
AF_INET: Final = 2
AF_INET6: Final = 10

NLMSGHDR: Final = struct.Struct("=IHHII")  # len, type, flags, seq, pid
IFINFOMSG: Final = struct.Struct("=BxHiII")  # family, type, index, flags, change
IFADDRMSG: Final = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
#: family, dst_len, src_len, tos, table, protocol, scope, type, flags
RTMSG: Final = struct.Struct("=BBBBBBBBI")
RTATTR: Final = struct.Struct("=HH")  # len, type
ERRNO: Final = struct.Struct("=i")
CACHEINFO: Final = struct.Struct("=IIII")  # preferred, valid, cstamp, tstamp
_U8 = struct.Struct("=B")
_U16 = struct.Struct("=H")
_U32 = struct.Struct("=I")

OPERSTATES: Final = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT",
                     "UP")

IFINFO_FIELDS: Final = ("ifi_family", "ifi_type", "ifi_index", "ifi_flags", "ifi_change")
IFADDR_FIELDS: Final = ("ifa_family", "ifa_prefixlen", "ifa_flags", "ifa_scope", "ifa_index")
RTMSG_FIELDS: Final = ("rtm_family", "rtm_dst_len", "rtm_src_len", "rtm_tos", "rtm_table",
                       "rtm_protocol", "rtm_scope", "rtm_type", "rtm_flags")
#: fib_rule_hdr has rtmsg's layout: res1/res2 sit where rtmsg has protocol/scope
FRH_FIELDS: Final = ("family", "dst_len", "src_len", "tos", "table", "res1", "res2", "action",
                     "flags")


class MalformedMessage(ValueError):
    """Bytes that are not a well-formed netlink message (truncated, bad length)."""


class NetlinkError(OSError):
    """The kernel answered a request with NLMSG_ERROR and this errno."""

    def __init__(self, code: int) -> None:
        super().__init__(code, f"netlink error {code}")
        self.code = code


def align(length: int) -> int:
    return (length + 3) & ~3


# ---------------------------------------------------------------------------- encoding


def attr(kind: int, payload: bytes) -> bytes:
    """One rtattr: header, payload, padding to 4 octets."""
    length = RTATTR.size + len(payload)
    if length > 0xFFFF:
        raise ValueError(f"attribute {kind} too long ({len(payload)} octets)")
    return RTATTR.pack(length, kind) + payload + bytes(align(length) - length)


def attr_u8(kind: int, value: int) -> bytes:
    return attr(kind, _U8.pack(value))


def attr_u32(kind: int, value: int) -> bytes:
    return attr(kind, _U32.pack(value))


def attr_str(kind: int, value: str) -> bytes:
    """A NUL-terminated string, as iproute2 sends names."""
    return attr(kind, value.encode() + b"\0")


def attr_ip(kind: int, value: str) -> bytes:
    return attr(kind, ip_address(value).packed)


def attr_mac(kind: int, value: str) -> bytes:
    return attr(kind, bytes(int(part, 16) for part in value.split(":")))


def attr_nested(kind: int, *children: bytes) -> bytes:
    return attr(kind, b"".join(children))


def ifinfomsg(*, family: int = AF_UNSPEC, index: int = 0, flags: int = 0,
              change: int = 0) -> bytes:
    return IFINFOMSG.pack(family, 0, index, flags, change)


def ifaddrmsg(*, family: int, prefixlen: int = 0, flags: int = 0, scope: int = 0,
              index: int = 0) -> bytes:
    return IFADDRMSG.pack(family, prefixlen, flags & 0xFF, scope, index)


def rtmsg(*, family: int, dst_len: int = 0, src_len: int = 0, tos: int = 0, table: int = 0,
          protocol: int = 0, scope: int = 0, kind: int = 0, flags: int = 0) -> bytes:
    return RTMSG.pack(family, dst_len, src_len, tos, table, protocol, scope, kind, flags)


def fib_rule_hdr(*, family: int, dst_len: int = 0, src_len: int = 0, tos: int = 0,
                 table: int = 0, action: int = 0, flags: int = 0) -> bytes:
    return RTMSG.pack(family, dst_len, src_len, tos, table, 0, 0, action, flags)


def message(msg_type: int, flags: int, seq: int, body: bytes, pid: int = 0) -> bytes:
    """nlmsghdr + body (the fixed header and its attributes)."""
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), msg_type, flags, seq, pid) + body


# ---------------------------------------------------------------------------- decoding


def split_messages(data: bytes) -> Iterator[tuple[int, int, int, int, bytes]]:
    """(type, flags, seq, pid, body) for each netlink message in one datagram."""
    offset = 0
    while offset < len(data):
        if len(data) - offset < NLMSGHDR.size:
            raise MalformedMessage(f"{len(data) - offset} trailing octets, shorter than nlmsghdr")
        length, msg_type, flags, seq, pid = NLMSGHDR.unpack_from(data, offset)
        if length < NLMSGHDR.size or offset + length > len(data):
            raise MalformedMessage(
                f"nlmsg_len {length} at offset {offset} of a {len(data)}-octet datagram")
        yield msg_type, flags, seq, pid, data[offset + NLMSGHDR.size:offset + length]
        offset += align(length)


def split_attrs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(type without the NLA_F_* bits, payload) for each rtattr in `data`."""
    offset = 0
    while offset < len(data):
        if len(data) - offset < RTATTR.size:
            raise MalformedMessage(f"{len(data) - offset} trailing octets, shorter than rtattr")
        length, kind = RTATTR.unpack_from(data, offset)
        if length < RTATTR.size or offset + length > len(data):
            raise MalformedMessage(f"rta_len {length} at offset {offset} of {len(data)} octets")
        yield kind & NLA_TYPE_MASK, data[offset + RTATTR.size:offset + length]
        offset += align(length)


def _u8(data: bytes) -> int:
    return int(_fixed(_U8, data)[0])


def _u32(data: bytes) -> int:
    return int(_fixed(_U32, data)[0])


def _fixed(layout: struct.Struct, data: bytes) -> tuple[Any, ...]:
    if len(data) < layout.size:
        raise MalformedMessage(f"{len(data)} octets where {layout.size} are needed")
    return layout.unpack_from(data)


def _string(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode(errors="replace")


def _ip(data: bytes) -> str:
    if len(data) not in (4, 16):
        raise MalformedMessage(f"a {len(data)}-octet address")
    return str(ip_address(data))


def _mac(data: bytes) -> str:
    return ":".join(f"{octet:02x}" for octet in data)


def _operstate(data: bytes) -> str:
    value = _u8(data)
    return OPERSTATES[value] if value < len(OPERSTATES) else str(value)


def _cacheinfo(data: bytes) -> dict[str, int]:
    preferred, valid, cstamp, tstamp = _fixed(CACHEINFO, data)
    return {"ifa_preferred": preferred, "ifa_valid": valid, "cstamp": cstamp, "tstamp": tstamp}


Decoder = Callable[[bytes], Any]
Table = dict[int, tuple[str, Decoder]]


def _nested(table: Table) -> Decoder:
    return lambda data: decode_attrs(data, table)


_INET6_ATTRS: Final[Table] = {IFLA_INET6_ADDR_GEN_MODE: ("IFLA_INET6_ADDR_GEN_MODE", _u8)}
_AF_SPEC: Final[Table] = {AF_INET6: ("AF_INET6", _nested(_INET6_ATTRS))}
_MACVLAN_ATTRS: Final[Table] = {IFLA_MACVLAN_MODE: ("IFLA_MACVLAN_MODE", _u32)}


def _linkinfo(data: bytes) -> dict[str, Any]:
    """IFLA_LINKINFO: the kind, and IFLA_INFO_DATA decoded when the kind is macvlan."""
    info: dict[str, Any] = {}
    for kind, payload in split_attrs(data):
        if kind == IFLA_INFO_KIND:
            info["IFLA_INFO_KIND"] = _string(payload)
        elif kind == IFLA_INFO_DATA:
            info["IFLA_INFO_DATA"] = payload
    if info.get("IFLA_INFO_KIND") == "macvlan" and "IFLA_INFO_DATA" in info:
        info["IFLA_INFO_DATA"] = decode_attrs(info["IFLA_INFO_DATA"], _MACVLAN_ATTRS)
    return info


LINK_ATTRS: Final[Table] = {
    IFLA_ADDRESS: ("IFLA_ADDRESS", _mac),
    IFLA_BROADCAST: ("IFLA_BROADCAST", _mac),
    IFLA_IFNAME: ("IFLA_IFNAME", _string),
    IFLA_MTU: ("IFLA_MTU", _u32),
    IFLA_LINK: ("IFLA_LINK", _u32),
    IFLA_OPERSTATE: ("IFLA_OPERSTATE", _operstate),
    IFLA_LINKINFO: ("IFLA_LINKINFO", _linkinfo),
    IFLA_AF_SPEC: ("IFLA_AF_SPEC", _nested(_AF_SPEC)),
}
ADDR_ATTRS: Final[Table] = {
    IFA_ADDRESS: ("IFA_ADDRESS", _ip),
    IFA_LOCAL: ("IFA_LOCAL", _ip),
    IFA_LABEL: ("IFA_LABEL", _string),
    IFA_BROADCAST: ("IFA_BROADCAST", _ip),
    IFA_CACHEINFO: ("IFA_CACHEINFO", _cacheinfo),
    IFA_FLAGS: ("IFA_FLAGS", _u32),
}
ROUTE_ATTRS: Final[Table] = {
    RTA_DST: ("RTA_DST", _ip),
    RTA_SRC: ("RTA_SRC", _ip),
    RTA_OIF: ("RTA_OIF", _u32),
    RTA_GATEWAY: ("RTA_GATEWAY", _ip),
    RTA_PRIORITY: ("RTA_PRIORITY", _u32),
    RTA_PREFSRC: ("RTA_PREFSRC", _ip),
    RTA_TABLE: ("RTA_TABLE", _u32),
}
RULE_ATTRS: Final[Table] = {
    FRA_DST: ("FRA_DST", _ip),
    FRA_SRC: ("FRA_SRC", _ip),
    FRA_IIFNAME: ("FRA_IIFNAME", _string),
    FRA_PRIORITY: ("FRA_PRIORITY", _u32),
    FRA_FWMARK: ("FRA_FWMARK", _u32),
    FRA_TABLE: ("FRA_TABLE", _u32),
    FRA_FWMASK: ("FRA_FWMASK", _u32),
    FRA_OIFNAME: ("FRA_OIFNAME", _string),
}


def decode_attrs(data: bytes, table: Table) -> dict[str, Any]:
    """The attributes `table` names; others are skipped (a later duplicate wins)."""
    decoded: dict[str, Any] = {}
    for kind, payload in split_attrs(data):
        known = table.get(kind)
        if known is not None:
            name, decode = known
            decoded[name] = decode(payload)
    return decoded


#: message type -> (event name, fixed header, its field names, attribute table)
_KINDS: Final[dict[int, tuple[str, struct.Struct, tuple[str, ...], Table]]] = {
    RTM_NEWLINK: ("RTM_NEWLINK", IFINFOMSG, IFINFO_FIELDS, LINK_ATTRS),
    RTM_DELLINK: ("RTM_DELLINK", IFINFOMSG, IFINFO_FIELDS, LINK_ATTRS),
    RTM_GETLINK: ("RTM_GETLINK", IFINFOMSG, IFINFO_FIELDS, LINK_ATTRS),
    RTM_NEWADDR: ("RTM_NEWADDR", IFADDRMSG, IFADDR_FIELDS, ADDR_ATTRS),
    RTM_DELADDR: ("RTM_DELADDR", IFADDRMSG, IFADDR_FIELDS, ADDR_ATTRS),
    RTM_GETADDR: ("RTM_GETADDR", IFADDRMSG, IFADDR_FIELDS, ADDR_ATTRS),
    RTM_NEWROUTE: ("RTM_NEWROUTE", RTMSG, RTMSG_FIELDS, ROUTE_ATTRS),
    RTM_DELROUTE: ("RTM_DELROUTE", RTMSG, RTMSG_FIELDS, ROUTE_ATTRS),
    RTM_GETROUTE: ("RTM_GETROUTE", RTMSG, RTMSG_FIELDS, ROUTE_ATTRS),
    RTM_NEWRULE: ("RTM_NEWRULE", RTMSG, FRH_FIELDS, RULE_ATTRS),
    RTM_DELRULE: ("RTM_DELRULE", RTMSG, FRH_FIELDS, RULE_ATTRS),
    RTM_GETRULE: ("RTM_GETRULE", RTMSG, FRH_FIELDS, RULE_ATTRS),
}


def decode_body(msg_type: int, body: bytes) -> Message:
    """One rtnetlink message's body (fixed header + attributes) as a dict."""
    if msg_type == NLMSG_ERROR:  # -errno (0: an ACK), then the request's own header
        return {"event": "NLMSG_ERROR", "error": -int(_fixed(ERRNO, body)[0])}
    if msg_type == NLMSG_DONE:  # a dump's end; its status is negative if the dump failed
        status = int(_fixed(ERRNO, body)[0]) if body else 0
        return {"event": "NLMSG_DONE", "error": -status}
    known = _KINDS.get(msg_type)
    if known is None:
        return {"event": f"NLMSG_{msg_type}"}
    name, layout, fields, table = known
    decoded: Message = {"event": name}
    decoded.update(zip(fields, _fixed(layout, body), strict=True))
    decoded.update(decode_attrs(body[layout.size:], table))
    return decoded


def decode(data: bytes) -> list[Message]:
    """Every message in one datagram, each with its netlink header fields."""
    messages = []
    for msg_type, flags, seq, pid, body in split_messages(data):
        decoded = decode_body(msg_type, body)
        decoded.update(nlmsg_type=msg_type, nlmsg_flags=flags, nlmsg_seq=seq, nlmsg_pid=pid)
        messages.append(decoded)
    return messages
