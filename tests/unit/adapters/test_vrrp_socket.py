"""VrrpSocket without root: config validation, the asyncio reader over a socketpair, fakes."""

from __future__ import annotations

import asyncio
import errno
import socket
import struct
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Any

import pytest

from pykeepalived.adapters.vrrp_socket import VrrpSocket, VrrpSocketConfig, vrid_filter
from tests.unit.adapters.packets import PAYLOAD, SRC, ipv4_packet

if TYPE_CHECKING:
    from pykeepalived.adapters.datagram import Datagram

V4 = VrrpSocketConfig(ifname="eth0", ifindex=3, family=socket.AF_INET)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"family": socket.AF_UNIX}, "family must be"),
        ({"ifindex": 0}, "index > 0"),
        ({"ifname": ""}, "needs a name"),
        ({"group": IPv6Address("ff02::12")}, "group ff02::12 is not IPv4"),
        ({"group": IPv4Address("192.0.2.1")}, "not a multicast address"),
        ({"source": IPv6Address("fe80::1")}, "source fe80::1 is not IPv4"),
        ({"unicast_ttl": 0}, "unicast TTL must be 1..255"),
        ({"unicast_ttl": 256}, "unicast TTL must be 1..255"),
        ({"protocol": 17}, "protocol must be 112 or 51"),
        ({"family": socket.AF_INET6, "header_included": True}, "IPv4 only"),
    ],
)
def test_config_rejects_bad_settings(options: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {"ifname": "eth0", "ifindex": 3, "family": socket.AF_INET}
    with pytest.raises(ValueError, match=message):
        VrrpSocketConfig(**(settings | options))


def test_config_default_groups() -> None:
    assert str(V4.multicast_group) == "224.0.0.18"
    v6 = VrrpSocketConfig(ifname="eth0", ifindex=3, family=socket.AF_INET6)
    assert str(v6.multicast_group) == "ff02::12"


def test_reader_delivers_good_datagrams_and_counts_garbage() -> None:
    """A datagram socketpair stands in for the raw socket: bytes in, datagrams out."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    vrrp = VrrpSocket(ours, V4)
    received: list[Datagram] = []
    counted: dict[str, int] = {}

    async def scenario() -> None:
        arrived = asyncio.Event()

        def on_datagram(datagram: Datagram) -> None:
            received.append(datagram)
            arrived.set()

        vrrp.start(on_datagram)
        for data in (b"garbage", ipv4_packet(protocol=6), ipv4_packet(ttl=9)):
            theirs.send(data)
        await asyncio.wait_for(arrived.wait(), timeout=5)
        vrrp.stop()
        counted.update(vrrp.counters())  # the good one came last: everything was read

    with theirs, vrrp:
        asyncio.run(scenario())
    assert [(d.payload, d.source, d.ttl, d.ifindex) for d in received] == [(PAYLOAD, SRC, 9, 3)]
    assert vrrp.drops == {"ipv4 header short": 1, "ipv4 protocol": 1}
    assert counted == {"rx_datagrams": 3, "rx_framing_drops": 2, "rx_kernel_drops": 0}


def test_kernel_drops_unknown_when_the_socket_cannot_say() -> None:
    class Mute(socket.socket):
        def getsockopt(self, *args: Any) -> Any:
            raise OSError(errno.ENOPROTOOPT, "no")

    vrrp = VrrpSocket(Mute(socket.AF_UNIX, socket.SOCK_DGRAM), V4)
    with vrrp:
        assert vrrp.kernel_drops() is None
        assert "rx_kernel_drops" not in vrrp.counters()


def test_a_failing_callback_does_not_stop_the_reader() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    vrrp = VrrpSocket(ours, V4)
    seen: list[int] = []

    def callback(datagram: Datagram) -> None:
        seen.append(datagram.ttl)
        if len(seen) == 1:
            raise RuntimeError("bug in the handler")

    with theirs, vrrp:
        theirs.send(ipv4_packet(ttl=1))
        theirs.send(ipv4_packet(ttl=2))
        vrrp._on_readable(callback)
    assert seen == [1, 2]


def test_drain_is_bounded() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with theirs, VrrpSocket(ours, V4) as vrrp:
        for ttl in range(5):
            theirs.send(ipv4_packet(ttl=ttl))
        assert [d.ttl for d in vrrp.drain(limit=3)] == [0, 1, 2]
        assert [d.ttl for d in vrrp.drain()] == [3, 4]
        assert vrrp.drain() == []


def test_start_twice_is_an_error() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)

    async def scenario(vrrp: VrrpSocket) -> None:
        vrrp.start(lambda _: None)
        with pytest.raises(RuntimeError, match="already started"):
            vrrp.start(lambda _: None)

    with theirs, VrrpSocket(ours, V4) as vrrp:
        asyncio.run(scenario(vrrp))


class RecordingSocket:
    """Stands in for a raw socket: records sendmsg calls, or fails them."""

    def __init__(self, error: int | None = None) -> None:
        self.error = error
        self.sent: list[tuple[list[bytes], list[tuple[int, int, bytes]], int, Any]] = []

    def setblocking(self, flag: bool) -> None:
        pass

    def sendmsg(self, buffers: list[bytes], ancillary: Any, flags: int, address: Any) -> int:
        if self.error is not None:
            raise OSError(self.error, "Network is down")
        self.sent.append((buffers, ancillary, flags, address))
        return sum(map(len, buffers))

    def fileno(self) -> int:
        return -1

    def close(self) -> None:
        pass


def test_send_ipv4_with_configured_source_uses_pktinfo() -> None:
    fake = RecordingSocket()
    config = VrrpSocketConfig(
        ifname="eth0", ifindex=3, family=socket.AF_INET, source=IPv4Address("192.0.2.5")
    )
    vrrp = VrrpSocket(fake, config)  # type: ignore[arg-type]
    assert vrrp.send_to_peers(PAYLOAD, [IPv4Address("192.0.2.6"), IPv4Address("192.0.2.7")]) == 2
    (buffers, ancillary, _, address), _second = fake.sent
    assert buffers == [PAYLOAD]
    assert address == ("192.0.2.6", 0)
    ((level, kind, data),) = ancillary
    assert (level, kind) == (socket.IPPROTO_IP, 8)
    assert data[4:8] == IPv4Address("192.0.2.5").packed


def test_send_ipv6_scopes_link_local_and_multicast_destinations() -> None:
    fake = RecordingSocket()
    config = VrrpSocketConfig(ifname="eth0", ifindex=3, family=socket.AF_INET6)
    vrrp = VrrpSocket(fake, config)  # type: ignore[arg-type]
    vrrp.send_to_group(PAYLOAD)
    vrrp.send(PAYLOAD, IPv6Address("fe80::2"))
    vrrp.send(PAYLOAD, IPv6Address("2001:db8::2"))
    assert [sent[3] for sent in fake.sent] == [
        ("ff02::12", 0, 0, 3),
        ("fe80::2", 0, 0, 3),
        ("2001:db8::2", 0, 0, 0),
    ]


def test_send_failure_is_counted_not_raised() -> None:
    vrrp = VrrpSocket(RecordingSocket(error=errno.ENETDOWN), V4)  # type: ignore[arg-type]
    assert vrrp.send_to_group(PAYLOAD) is False
    assert vrrp.send_errors == {"Network is down": 1}


def test_send_to_the_wrong_family_is_a_caller_error() -> None:
    vrrp = VrrpSocket(RecordingSocket(), V4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not IPv4"):
        vrrp.send(PAYLOAD, IPv6Address("ff02::12"))


class OptionSocket:
    """Stands in for a raw socket at configuration: records setsockopt calls."""

    def __init__(self, refuse: int | None = None) -> None:
        self.refuse = refuse
        self.options: list[tuple[int, int, Any]] = []

    def setsockopt(self, level: int, option: int, value: Any) -> None:
        if (level, option) == (socket.SOL_SOCKET, self.refuse):
            raise PermissionError(errno.EPERM, "Operation not permitted")
        self.options.append((level, option, value))

    def setblocking(self, flag: bool) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("refuse", "option"), [(None, 33), (33, socket.SO_RCVBUF)])
def test_receive_buffer_is_forced_as_root_else_asked_for(refuse: int | None,
                                                         option: int) -> None:
    fake = OptionSocket(refuse)
    config = VrrpSocketConfig(ifname="eth0", ifindex=3, family=socket.AF_INET,
                              receive_buffer=1 << 20)
    VrrpSocket.open(config, socket_factory=lambda *_: fake)  # type: ignore[arg-type,return-value]
    assert (socket.SOL_SOCKET, option, 1 << 20) in fake.options


def test_the_vrid_filter_reads_the_vrid_after_the_ip_header() -> None:
    """Five classic BPF instructions: X = IHL*4; A = [X+1]; A == vrid ? accept : drop."""
    code = vrid_filter(61)
    ops = [struct.unpack("HBBI", code[i:i + 8]) for i in range(0, len(code), 8)]
    assert ops == [(0xB1, 0, 0, 0), (0x50, 0, 0, 1), (0x15, 0, 1, 61),
                   (0x06, 0, 0, 0x40000), (0x06, 0, 0, 0)]
    with pytest.raises(ValueError, match="VRID 256"):
        vrid_filter(256)
