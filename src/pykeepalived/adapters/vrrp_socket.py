"""Raw IP-protocol-112 sockets: one per (interface, family), sending and receiving adverts.

One socket does both directions. It is bound to its interface (SO_BINDTODEVICE) but not
to an address: a raw socket bound to an address only sees packets addressed to it, which
would hide the multicast group. The source address is chosen per packet instead, with
IP_PKTINFO / IPV6_PKTINFO on sendmsg.

Options follow what keepalived 2.2.7 sets (keepalived/vrrp/vrrp_if.c, vrrp.c): TOS /
traffic class 0xc0 (internetwork control), multicast TTL / hop limit 255, multicast loop
off, IP(V6)_MULTICAST_ALL off so only joined groups are queued, and, for IPv6,
IPV6_CHECKSUM at offset 6. With that option the kernel fills in the VRRPv3 checksum on
send and silently drops packets whose checksum is wrong on receive, as keepalived relies
on; a codec checksum on IPv6 is overwritten, and IPv6 checksum errors never reach the
core's counters. `kernel_checksum=False` turns it off (the core then checks it).

keepalived sends IPv4 with IP_HDRINCL and writes the header itself. By default we let the
kernel write it (same TOS, TTL and addresses on the wire), which keeps IP header
construction out of the VRRP path. keepalived's AH (protocol 51) is the exception: its
HMAC covers the IP header, identification included, so the header must be known before
sending. `header_included=True` sets IP_HDRINCL and `send` then takes a whole IPv4
packet (the kernel still fills the checksum, total length, and a zero id or source).
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import logging
import socket
import struct
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Final

from pykeepalived.adapters.datagram import (
    IP_MULTICAST_ALL,
    IP_PKTINFO,
    IP_RECVTTL,
    IPV6_MULTICAST_ALL,
    SO_TIMESTAMPNS,
    Datagram,
    DroppedDatagram,
    in6_pktinfo,
    in_pktinfo,
    ip_mreqn,
    ipv6_mreq,
    ipv6_source,
    parse_ipv4,
    parse_ipv6,
)
from pykeepalived.vrrp.advert import VRRP_GROUP_V4, VRRP_GROUP_V6, VRRP_PROTOCOL, VRRP_TTL

IPAddress = IPv4Address | IPv6Address
SO_ATTACH_FILTER: Final = 26
SO_DETACH_FILTER: Final = 27
_SendArgs = tuple[list[tuple[int, int, bytes]], tuple[str, int] | tuple[str, int, int, int]]
SocketFactory = Callable[[int, int, int], socket.socket]
DatagramCallback = Callable[[Datagram], None]

log = logging.getLogger(__name__)


def vrid_filter(vrid: int) -> bytes:
    """A classic BPF program (struct sock_filter[]) accepting IPv4 packets whose VRRP
    VRID (the octet after the version/type octet) is `vrid`, dropping the rest."""
    if not 0 <= vrid <= 255:
        raise ValueError(f"VRID {vrid}")
    program = [(0xB1, 0, 0, 0),          # ldxb 4*([0]&0xf)   X = IP header length
               (0x50, 0, 0, 1),          # ldb [x+1]          A = VRID
               (0x15, 0, 1, vrid),       # jeq #vrid
               (0x06, 0, 0, 0x40000),    # ret: the whole packet
               (0x06, 0, 0, 0)]          # ret: drop
    return b"".join(struct.pack("HBBI", *op) for op in program)


def _attach(sock: socket.socket, code: bytes) -> None:
    """SO_ATTACH_FILTER with a struct sock_fprog pointing at `code` (the kernel copies
    the program during the call)."""
    buffer = array.array("B", code)  # its address without ctypes (0.4 MiB not loaded)
    fprog = struct.pack("HL", len(code) // 8, buffer.buffer_info()[0])
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    del buffer  # alive until here: the kernel has copied the program

#: keepalived's IPTOS_PREC_INTERNETCONTROL / IPv6 traffic class 0xc0 (CS6).
VRRP_TOS: Final = 0xC0
#: Offset of the checksum in a VRRP message, for IPV6_CHECKSUM.
VRRP_CHECKSUM_OFFSET: Final = 6
AH_PROTOCOL: Final = 51
#: Big enough for any IP datagram, so MSG_TRUNC means something is really wrong.
_RECV_SIZE: Final = 65535
_ANCILLARY_SIZE: Final = 256
#: Reads per readiness callback: a flood cannot starve the rest of the event loop.
MAX_READS_PER_WAKEUP: Final = 64
#: getsockopt(SOL_SOCKET, SO_MEMINFO): the kernel's u32 sk_meminfo array; its last
#: entry (SK_MEMINFO_DROPS) is sk_drops: a full receive buffer, and on IPv6 a wrong
#: checksum (IPV6_CHECKSUM), both dropped before we can read them.
SO_MEMINFO: Final = 55
#: SO_RCVBUFFORCE: as root, a receive buffer beyond net.core.rmem_max (212992 here).
SO_RCVBUFFORCE: Final = 33
_MEMINFO = struct.Struct("=9I")


@dataclass(frozen=True, slots=True)
class VrrpSocketConfig:
    """Where and how one VRRP socket talks; validated so bad settings fail before any I/O.

    `group` is the multicast group to join and send to (None: 224.0.0.18 / ff02::12);
    `join_group=False` is for unicast-only instances. `source` None lets the kernel pick
    (the interface's primary IPv4 address, or the link-local address for ff02::12).
    """

    ifname: str
    ifindex: int
    family: int
    group: IPAddress | None = None
    join_group: bool = True
    source: IPAddress | None = None
    unicast_ttl: int = VRRP_TTL
    protocol: int = VRRP_PROTOCOL
    kernel_checksum: bool = True
    receive_buffer: int = 0
    header_included: bool = False

    def __post_init__(self) -> None:
        if self.family not in (socket.AF_INET, socket.AF_INET6):
            raise ValueError(f"family must be AF_INET or AF_INET6, not {self.family}")
        if not self.ifname or self.ifindex <= 0:
            raise ValueError(f"interface needs a name and an index > 0: {self.ifname!r}")
        for name, address in (("group", self.group), ("source", self.source)):
            if address is not None and address.version != self.ip_version:
                raise ValueError(f"{name} {address} is not IPv{self.ip_version}")
        if self.group is not None and not self.group.is_multicast:
            raise ValueError(f"group {self.group} is not a multicast address")
        if not 1 <= self.unicast_ttl <= 255:
            raise ValueError(f"unicast TTL must be 1..255, not {self.unicast_ttl}")
        if self.protocol not in (VRRP_PROTOCOL, AH_PROTOCOL):
            raise ValueError(f"protocol must be {VRRP_PROTOCOL} or {AH_PROTOCOL}")
        if self.header_included and self.family != socket.AF_INET:
            raise ValueError("header_included (IP_HDRINCL) exists for IPv4 only")

    @property
    def ip_version(self) -> int:
        return 4 if self.family == socket.AF_INET else 6

    @property
    def multicast_group(self) -> IPAddress:
        if self.group is not None:
            return self.group
        return VRRP_GROUP_V4 if self.family == socket.AF_INET else VRRP_GROUP_V6


class VrrpSocket:
    """A raw VRRP socket on one interface; reads are framed into `Datagram`s.

    Garbage never raises: framing failures are counted in `drops` by reason, send
    failures in `send_errors` (a link that is down must not crash the daemon).
    `received` counts every datagram read, `unframed` those of them that were dropped.
    """

    def __init__(self, sock: socket.socket, config: VrrpSocketConfig) -> None:
        sock.setblocking(False)
        self._sock = sock
        self.config = config
        self.received = 0
        self.unframed = 0
        self.drops: Counter[str] = Counter()
        self.send_errors: Counter[str] = Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        #: sendmsg's ancillary data and address per destination (the config never
        #: changes): building them anew cost more than the send itself
        self._args: dict[IPAddress, _SendArgs] = {}

    @classmethod
    def open(
        cls, config: VrrpSocketConfig, socket_factory: SocketFactory = socket.socket
    ) -> VrrpSocket:
        """Create and configure the socket; `socket_factory` lets tests open it in a netns."""
        sock = socket_factory(config.family, socket.SOCK_RAW, config.protocol)
        try:
            _configure(sock, config)
        except BaseException:
            sock.close()
            raise
        return cls(sock, config)

    def fileno(self) -> int:
        return self._sock.fileno()

    def only_vrid(self, vrid: int | None) -> None:
        """Let the kernel hand us only adverts for `vrid` (None: every packet again).

        Every raw socket of protocol 112 gets a copy of every VRRP packet on the host;
        with one socket per instance, N instances on a link read N copies of each of the
        link's adverts, in Python. A socket filter on the VRID octet drops the others in
        the kernel. IPv4 without a header of ours only: the filter sees the IP header
        first (its length read from it); AH and IPv6 sockets keep reading everything.
        """
        if self.config.family != socket.AF_INET or self.config.header_included:
            return
        if vrid is None:
            with contextlib.suppress(OSError):
                self._sock.setsockopt(socket.SOL_SOCKET, SO_DETACH_FILTER, 0)
            return
        _attach(self._sock, vrid_filter(vrid))

    def send(self, payload: bytes, destination: IPAddress) -> bool:
        """Send one message to the group or a unicast peer; False (and counted) on failure.

        With `header_included`, `payload` is the whole IPv4 packet, header first.
        """
        args = self._args.get(destination)
        if args is None:
            if destination.version != self.config.ip_version:
                raise ValueError(f"{destination} is not IPv{self.config.ip_version}")
            args = self._args[destination] = self._send_args(destination)
        ancillary, address = args
        try:
            self._sock.sendmsg([payload], ancillary, 0, address)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.send_errors[reason] += 1
            log.debug("%s: cannot send to %s: %s", self.config.ifname, destination, reason)
            return False
        return True

    def send_to_group(self, payload: bytes) -> bool:
        return self.send(payload, self.config.multicast_group)

    def send_to_peers(self, payload: bytes, peers: Iterable[IPAddress]) -> int:
        """Unicast mode: one copy per peer; returns how many were handed to the kernel."""
        return sum(self.send(payload, peer) for peer in peers)

    def _send_args(self, destination: IPAddress) -> _SendArgs:
        config = self.config
        if isinstance(destination, IPv4Address):
            ancillary = []
            if isinstance(config.source, IPv4Address):
                pktinfo = in_pktinfo(config.ifindex, config.source)
                ancillary.append((socket.IPPROTO_IP, IP_PKTINFO, pktinfo))
            return ancillary, (str(destination), 0)
        source = config.source if isinstance(config.source, IPv6Address) else None
        pktinfo6 = in6_pktinfo(config.ifindex, source)
        scope = config.ifindex if destination.is_link_local or destination.is_multicast else 0
        return [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, pktinfo6)], (
            str(destination),
            0,
            0,
            scope,
        )

    def drain(self, limit: int = MAX_READS_PER_WAKEUP) -> list[Datagram]:
        """Read what is queued (at most `limit` reads), counting what is not a datagram."""
        received: list[Datagram] = []
        for _ in range(limit):
            try:
                data, ancillary, flags, address = self._sock.recvmsg(_RECV_SIZE, _ANCILLARY_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                self.drops[f"recv error: {exc.strerror or type(exc).__name__}"] += 1
                break
            self.received += 1
            try:
                received.append(self._frame(data, ancillary, flags, address))
            except DroppedDatagram as drop:
                self.unframed += 1
                self.drops[drop.reason] += 1
        return received

    def kernel_drops(self) -> int | None:
        """Packets the kernel dropped for this socket (sk_drops); None if it will not say."""
        try:
            info = self._sock.getsockopt(socket.SOL_SOCKET, SO_MEMINFO, _MEMINFO.size)
        except OSError:
            return None
        return int(_MEMINFO.unpack(info)[-1]) if len(info) == _MEMINFO.size else None

    def counters(self) -> dict[str, int]:
        """What this socket read, what it could not frame, what the kernel dropped."""
        out = {"rx_datagrams": self.received, "rx_framing_drops": self.unframed}
        kernel = self.kernel_drops()
        if kernel is not None:
            out["rx_kernel_drops"] = kernel
        return out

    def _frame(
        self, data: bytes, ancillary: list[tuple[int, int, bytes]], flags: int, address: object
    ) -> Datagram:
        if flags & socket.MSG_TRUNC:
            raise DroppedDatagram("truncated")
        if flags & socket.MSG_CTRUNC:
            raise DroppedDatagram("ancillary truncated")
        protocol = self.config.protocol
        if self.config.family == socket.AF_INET:
            return parse_ipv4(
                data, ancillary, protocol=protocol, default_ifindex=self.config.ifindex
            )
        return parse_ipv6(data, ancillary, ipv6_source(address), protocol=protocol)

    def start(self, callback: DatagramCallback) -> None:
        """Hand every framed datagram to `callback` from the running loop's reader."""
        if self._loop is not None:
            raise RuntimeError(f"{self.config.ifname}: socket already started")
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._sock.fileno(), self._on_readable, callback)

    def _on_readable(self, callback: DatagramCallback) -> None:
        for datagram in self.drain():
            try:
                callback(datagram)
            except Exception:
                # One bad datagram must not stop the socket; the daemon will see the log.
                log.exception("%s: datagram handler failed", self.config.ifname)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._loop = None

    def close(self) -> None:
        self.stop()
        self._sock.close()

    def __enter__(self) -> VrrpSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _configure(sock: socket.socket, config: VrrpSocketConfig) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, config.ifname.encode())
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)  # Datagram.received_ns
    if config.receive_buffer > 0:
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, config.receive_buffer)
        except PermissionError:  # not root: as much as rmem_max allows
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, config.receive_buffer)
    if config.family == socket.AF_INET:
        _configure_ipv4(sock, config)
    else:
        _configure_ipv6(sock, config)


def _configure_ipv4(sock: socket.socket, config: VrrpSocketConfig) -> None:
    group = config.multicast_group
    assert isinstance(group, IPv4Address)
    options = (
        (IP_MULTICAST_ALL, 0),
        (socket.IP_MULTICAST_LOOP, 0),
        (socket.IP_MULTICAST_TTL, VRRP_TTL),
        (socket.IP_TTL, config.unicast_ttl),
        (socket.IP_TOS, VRRP_TOS),
        (IP_PKTINFO, 1),
        (IP_RECVTTL, 1),
        (socket.IP_HDRINCL, int(config.header_included)),
    )
    for option, value in options:
        sock.setsockopt(socket.IPPROTO_IP, option, value)
    mreqn = ip_mreqn(group, config.ifindex)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
    if config.join_group:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)


def _configure_ipv6(sock: socket.socket, config: VrrpSocketConfig) -> None:
    group = config.multicast_group
    assert isinstance(group, IPv6Address)
    options = [
        (IPV6_MULTICAST_ALL, 0),
        (socket.IPV6_MULTICAST_LOOP, 0),
        (socket.IPV6_MULTICAST_HOPS, VRRP_TTL),
        (socket.IPV6_UNICAST_HOPS, config.unicast_ttl),
        (socket.IPV6_TCLASS, VRRP_TOS),
        (socket.IPV6_MULTICAST_IF, config.ifindex),
        (socket.IPV6_RECVPKTINFO, 1),
        (socket.IPV6_RECVHOPLIMIT, 1),
    ]
    if config.kernel_checksum and config.protocol == VRRP_PROTOCOL:
        options.append((socket.IPV6_CHECKSUM, VRRP_CHECKSUM_OFFSET))
    for option, value in options:
        sock.setsockopt(socket.IPPROTO_IPV6, option, value)
    if config.join_group:
        mreq = ipv6_mreq(group, config.ifindex)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
