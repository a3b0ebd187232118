"""The IPVS messages carry exactly the attributes keepalived 2.2.7 sends (reference §5.1).

Each message is encoded as it would go to the kernel, then read two ways: attribute by
attribute from the raw bytes (type numbers, order, byte order: what the kernel parses),
and through pyroute2's own `ipvsmsg` where it decodes the field (an independent reader).
"""

from __future__ import annotations

import asyncio
import errno
import struct
from ipaddress import ip_address
from socket import AF_INET, AF_INET6

import pytest
from pyroute2.netlink.generic.ipvs import ipvsmsg

from pykeepalived.adapters import ipvs_wire as wire
from pykeepalived.adapters.ipvs import Ipvs, keepalived_errno
from pykeepalived.check.lvs import (
    FLAG_ONEPACKET,
    FLAG_SCHED1,
    FLAG_SCHED2,
    DestSpec,
    Forwarding,
    IpvsUnavailable,
    ServiceSpec,
    SyncDaemonSpec,
    TunnelType,
)

# attribute numbers of include/uapi/linux/ip_vs.h
SVC = {"AF": 1, "PROTOCOL": 2, "ADDR": 3, "PORT": 4, "FWMARK": 5, "SCHED_NAME": 6,
       "FLAGS": 7, "TIMEOUT": 8, "NETMASK": 9, "PE_NAME": 11}
DEST = {"ADDR": 1, "PORT": 2, "FWD_METHOD": 3, "WEIGHT": 4, "U_THRESH": 5, "L_THRESH": 6,
        "ADDR_FAMILY": 11, "TUN_TYPE": 13, "TUN_PORT": 14, "TUN_FLAGS": 15}
DAEMON = {"STATE": 1, "MCAST_IFN": 2, "SYNC_ID": 3, "SYNC_MAXLEN": 4, "MCAST_GROUP": 5,
          "MCAST_GROUP6": 6, "MCAST_PORT": 7, "MCAST_TTL": 8}
CMD_SERVICE, CMD_DEST, CMD_DAEMON = 1, 2, 3

TCP_80 = ServiceSpec(family=4, protocol=6, address=ip_address("192.0.2.100"), port=80)
PERSISTENT = ServiceSpec(family=4, protocol=6, address=ip_address("192.0.2.101"), port=443,
                         scheduler="mh", flags=FLAG_SCHED1, timeout=50,
                         netmask=0xFFFFFF00, pe_name="sip")
FWM_V6 = ServiceSpec(family=6, protocol=0, fwmark=7, scheduler="rr")
NAT = DestSpec(ip_address("192.0.2.11"), 8080, weight=3, u_threshold=100, l_threshold=10)


def attributes(data: bytes) -> list[tuple[int, bytes]]:
    """(type, payload) of each netlink attribute in `data`, in order."""
    found: list[tuple[int, bytes]] = []
    offset = 0
    while offset + 4 <= len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        assert length >= 4, f"malformed attribute at {offset}: {data.hex()}"
        found.append((kind & 0x3FFF, data[offset + 4:offset + length]))
        offset += (length + 3) & ~3
    return found


def encoded(msg: wire.IpvsMessage) -> bytes:
    """The message as sent (pyroute2 appends on a second encode(): encode once)."""
    msg["header"]["type"] = 0x20
    msg.encode()
    data = bytes(msg.data)
    assert struct.unpack_from("=BB", data, 16) == (msg["cmd"], 1)  # genl cmd, version 1
    return data


def top(data: bytes) -> list[tuple[int, bytes]]:
    return attributes(data[20:])  # after nlmsghdr (16) and genlmsghdr (4)


def nest(data: bytes, kind: int) -> dict[int, bytes]:
    return dict(attributes(dict(top(data))[kind]))


def order(data: bytes, kind: int, names: dict[str, int]) -> list[str]:
    by_number = {v: k for k, v in names.items()}
    return [by_number[k] for k, _ in attributes(dict(top(data))[kind])]


def pyroute2_view(data: bytes) -> ipvsmsg:
    theirs = ipvsmsg(data)
    theirs.decode()
    return theirs


def test_service_add_carries_keepalived_attributes_in_its_order() -> None:
    msg = encoded(wire.service_command(wire.NEW_SERVICE, TCP_80))
    assert order(msg, CMD_SERVICE, SVC) == ["AF", "PROTOCOL", "ADDR", "PORT", "SCHED_NAME",
                                            "FLAGS", "TIMEOUT", "NETMASK"]
    attrs = nest(msg, CMD_SERVICE)
    assert attrs[SVC["AF"]] == struct.pack("=H", AF_INET)
    assert attrs[SVC["ADDR"]] == bytes([192, 0, 2, 100]) + bytes(12)  # nf_inet_addr, 16 bytes
    assert attrs[SVC["PORT"]] == b"\x00\x50"  # network order
    assert attrs[SVC["FLAGS"]] == struct.pack("=II", 0, 0xFFFFFFFF)
    assert attrs[SVC["NETMASK"]] == b"\xff\xff\xff\xff"
    service = pyroute2_view(msg).get_attr("IPVS_CMD_ATTR_SERVICE")
    assert (service.get_attr("IPVS_SVC_ATTR_ADDR"), service.get_attr("IPVS_SVC_ATTR_PORT"),
            service.get_attr("IPVS_SVC_ATTR_PROTOCOL"),
            service.get_attr("IPVS_SVC_ATTR_SCHED_NAME")) == ("192.0.2.100", 80, 6, "wlc")


def test_persistence_sets_the_flag_timeout_granularity_and_engine() -> None:
    msg = encoded(wire.service_command(wire.SET_SERVICE, PERSISTENT))
    assert order(msg, CMD_SERVICE, SVC) == ["AF", "PROTOCOL", "ADDR", "PORT", "SCHED_NAME",
                                            "PE_NAME", "FLAGS", "TIMEOUT", "NETMASK"]
    attrs = nest(msg, CMD_SERVICE)
    assert attrs[SVC["FLAGS"]] == struct.pack("=II", 0x9, 0xFFFFFFFF)  # mh-fallback + persistent
    assert attrs[SVC["TIMEOUT"]] == struct.pack("=I", 50)
    assert attrs[SVC["NETMASK"]] == b"\xff\xff\xff\x00"  # 255.255.255.0 as keepalived's s_addr
    assert attrs[SVC["PE_NAME"]] == b"sip\0"
    decoded = pyroute2_view(msg).get_attr("IPVS_CMD_ATTR_SERVICE")
    assert decoded.get_attr("IPVS_SVC_ATTR_NETMASK") == "255.255.255.0"


def test_fwmark_ipv6_service_has_no_address_and_a_prefix_length() -> None:
    msg = encoded(wire.service_command(wire.DEL_SERVICE, FWM_V6))
    assert order(msg, CMD_SERVICE, SVC) == ["AF", "FWMARK", "SCHED_NAME", "FLAGS", "TIMEOUT",
                                            "NETMASK"]
    attrs = nest(msg, CMD_SERVICE)
    assert attrs[SVC["AF"]] == struct.pack("=H", AF_INET6)
    assert attrs[SVC["FWMARK"]] == struct.pack("=I", 7)
    assert attrs[SVC["NETMASK"]] == struct.pack("=I", 128)


def test_dest_commands_carry_the_service_without_persistence() -> None:
    msg = encoded(wire.dest_command(wire.NEW_DEST, PERSISTENT, NAT))
    service = nest(msg, CMD_SERVICE)
    assert SVC["PE_NAME"] not in service
    assert service[SVC["FLAGS"]] == struct.pack("=II", FLAG_SCHED1, 0xFFFFFFFF)
    assert service[SVC["TIMEOUT"]] == struct.pack("=I", 0)
    assert service[SVC["NETMASK"]] == b"\xff\xff\xff\xff"
    assert order(msg, CMD_DEST, DEST) == ["ADDR_FAMILY", "ADDR", "PORT", "FWD_METHOD",
                                          "WEIGHT", "U_THRESH", "L_THRESH"]
    dest = pyroute2_view(msg).get_attr("IPVS_CMD_ATTR_DEST")
    assert (dest.get_attr("IPVS_DEST_ATTR_ADDR"), dest.get_attr("IPVS_DEST_ATTR_PORT"),
            dest.get_attr("IPVS_DEST_ATTR_FWD_METHOD"), dest.get_attr("IPVS_DEST_ATTR_WEIGHT"),
            dest.get_attr("IPVS_DEST_ATTR_U_THRESH"),
            dest.get_attr("IPVS_DEST_ATTR_L_THRESH")) == ("192.0.2.11", 8080, 0, 3, 100, 10)


@pytest.mark.parametrize(("tunnel", "present"), [
    (TunnelType.IPIP, ["TUN_TYPE"]),
    (TunnelType.GUE, ["TUN_TYPE", "TUN_PORT", "TUN_FLAGS"]),
    (TunnelType.GRE, ["TUN_TYPE", "TUN_FLAGS"]),
])
def test_tunnel_attributes_only_where_keepalived_sends_them(tunnel: TunnelType,
                                                            present: list[str]) -> None:
    dest = DestSpec(ip_address("2001:db8::11"), 80, Forwarding.TUN, tunnel_type=tunnel,
                    tunnel_port=6080, tunnel_flags=1)
    msg = encoded(wire.dest_command(wire.SET_DEST, FWM_V6, dest))
    assert order(msg, CMD_DEST, DEST) == ["ADDR_FAMILY", "ADDR", "PORT", "FWD_METHOD",
                                          "WEIGHT", *present, "U_THRESH", "L_THRESH"]
    attrs = nest(msg, CMD_DEST)
    assert attrs[DEST["ADDR"]] == ip_address("2001:db8::11").packed
    assert attrs[DEST["FWD_METHOD"]] == struct.pack("=I", 2)
    assert attrs[DEST["TUN_TYPE"]] == bytes([tunnel])
    if "TUN_PORT" in present:
        assert attrs[DEST["TUN_PORT"]] == struct.pack(">H", 6080)  # be16, as the kernel reads it
    if "TUN_FLAGS" in present:
        assert attrs[DEST["TUN_FLAGS"]] == struct.pack("=H", 1)


def test_sync_daemon_start_and_stop() -> None:
    sync = SyncDaemonSpec(interface="eth1", sync_id=51, max_len=1400, port=8849, ttl=2,
                          group=ip_address("239.0.0.81"))
    start = encoded(wire.daemon_command(wire.NEW_DAEMON, "backup", sync))
    assert order(start, CMD_DAEMON, DAEMON) == ["STATE", "MCAST_IFN", "SYNC_ID", "SYNC_MAXLEN",
                                                "MCAST_PORT", "MCAST_TTL", "MCAST_GROUP"]
    attrs = nest(start, CMD_DAEMON)
    assert attrs[DAEMON["STATE"]] == struct.pack("=i", 2)
    assert attrs[DAEMON["MCAST_IFN"]] == b"eth1\0"
    assert attrs[DAEMON["SYNC_ID"]] == struct.pack("=i", 51)
    assert attrs[DAEMON["SYNC_MAXLEN"]] == struct.pack("=H", 1400)
    assert attrs[DAEMON["MCAST_PORT"]] == struct.pack("=H", 8849)  # host order, as keepalived
    assert attrs[DAEMON["MCAST_TTL"]] == b"\x02"
    assert attrs[DAEMON["MCAST_GROUP"]] == bytes([239, 0, 0, 81])
    minimal = encoded(wire.daemon_command(wire.NEW_DAEMON, "master",
                                          SyncDaemonSpec(interface="eth1")))
    assert order(minimal, CMD_DAEMON, DAEMON) == ["STATE", "MCAST_IFN", "SYNC_ID"]
    v6 = encoded(wire.daemon_command(wire.NEW_DAEMON, "master", SyncDaemonSpec(
        interface="eth1", group=ip_address("ff02::81"))))
    assert nest(v6, CMD_DAEMON)[DAEMON["MCAST_GROUP6"]] == ip_address("ff02::81").packed
    stop = encoded(wire.daemon_command(wire.DEL_DAEMON, "master", sync))
    assert order(stop, CMD_DAEMON, DAEMON) == ["STATE", "SYNC_ID"]


def test_set_config_always_sends_all_three_timeouts() -> None:
    attrs = top(encoded(wire.set_config(900, 120, 300)))
    assert attrs == [(4, struct.pack("=I", 900)), (5, struct.pack("=I", 120)),
                     (6, struct.pack("=I", 300))]


def as_reply(msg: wire.IpvsMessage) -> wire.IpvsMessage:
    """The same attributes as the kernel would send them back in a dump."""
    reply = wire.IpvsMessage(encoded(msg))
    reply.decode()
    return reply


@pytest.mark.parametrize("service", [TCP_80, PERSISTENT, FWM_V6, ServiceSpec(
    family=6, protocol=132, address=ip_address("2001:db8::100"), port=3868, scheduler="sh",
    flags=FLAG_SCHED2 | FLAG_ONEPACKET, timeout=300, netmask=64)])
def test_a_dumped_service_parses_back_to_its_spec(service: ServiceSpec) -> None:
    msg = wire.service_command(wire.NEW_SERVICE, service)
    flags = msg["attrs"][0][1]["attrs"]
    for index, (name, value) in enumerate(flags):
        if name == "IPVS_SVC_ATTR_FLAGS":  # the kernel adds HASHED to what it lists
            flags[index] = (name, {"flags": value["flags"] | wire.FLAG_HASHED, "mask": 0})
    assert wire.parse_service(as_reply(msg)) == service


@pytest.mark.parametrize("dest", [NAT, DestSpec(ip_address("2001:db8::11"), 80, Forwarding.DR),
                                  DestSpec(ip_address("192.0.2.12"), 80, Forwarding.TUN, 0,
                                           tunnel_type=TunnelType.GUE, tunnel_port=6080,
                                           tunnel_flags=2)])
def test_a_dumped_dest_parses_back_to_its_spec(dest: DestSpec) -> None:
    assert wire.parse_dest(as_reply(wire.dest_command(wire.NEW_DEST, TCP_80, dest))) == dest


def test_a_dumped_daemon_parses_back() -> None:
    sync = SyncDaemonSpec(interface="eth1", sync_id=5, max_len=1400, port=8848, ttl=1,
                          group=ip_address("224.0.0.81"))
    assert wire.parse_daemon(as_reply(wire.daemon_command(wire.NEW_DAEMON, "master", sync))) == (
        "master", sync)


def test_a_kernel_without_ipvs_raises_unavailable_with_one_line() -> None:
    async def attempt() -> str:
        try:
            await Ipvs.open(family="PYKA_NO_SUCH", modprobe=("/nonexistent/modprobe", "ip_vs"))
        except IpvsUnavailable as exc:
            return exc.reason
        return "opened"

    reason = asyncio.run(attempt())
    assert reason.startswith("IPVS: Can't initialize ipvs: Protocol not available")
    assert "no generic netlink family PYKA_NO_SUCH" in reason
    assert "/nonexistent/modprobe ip_vs: No such file or directory" in reason
    assert "\n" not in reason


@pytest.mark.parametrize(("kernel", "keepalived"), [
    (errno.EEXIST, errno.EEXIST), (errno.ENOENT, errno.ENOENT),
    (errno.ESRCH, errno.ENOENT),  # a missing service, or no such sync daemon
    (errno.ENODEV, errno.ENODEV), (errno.EINVAL, errno.EINVAL), (errno.ENOBUFS, errno.ENOMEM),
    (errno.EMSGSIZE, 1),  # NLE_FAILURE, passed on as 1
])
def test_errors_are_the_ones_keepalived_sees_through_libnl(kernel: int, keepalived: int) -> None:
    assert keepalived_errno(kernel) == keepalived
    assert keepalived_errno(-kernel) == keepalived
