"""Ask neighbour witnesses "are you there?" by ARP or NS, every interval (ours).

ARP (IPv4) and neighbour solicitation (IPv6), not ICMP echo: a gateway or a host that
filters pings still answers them, and an answer proves the layer-2 path the VIP depends
on. Each round sends one request per witness from the instance's interface (source: the
interface's MAC and the instance's primary address, the link-local for IPv6) and
collects, until the next round, every frame that shows a witness alive: an ARP frame
whose sender is the witness (a reply, or its own request), or a neighbour advertisement
for the witness's address. At the end of a round the set that answered goes to
`on_round`; the judging (loss threshold) is vrrp/witness.py's.

One AF_PACKET socket bound to the interface (ETH_P_ARP, or ETH_P_IPV6); frames are built
here (pure helpers below, unit-tested) and never through the kernel's neighbour table,
so a stale neighbour entry cannot answer for a witness that is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Final

from pykeepalived.vrrp.checksum import internet_checksum, pseudo_header_sum
from pykeepalived.vrrp.frames import (
    ETHERTYPE_IPV6,
    ICMPV6_NEIGHBOUR_ADVERT,
    ICMPV6_PROTOCOL,
    ND_HOP_LIMIT,
    ethernet_header,
    ipv6_header,
    multicast_mac,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pykeepalived.vrrp.advert import IPAddress

log = logging.getLogger(__name__)

SocketFactory = Callable[[int, int, int], socket.socket]

ETH_P_ARP: Final = 0x0806
BROADCAST: Final = b"\xff" * 6
_ARP_HEADER: Final = struct.Struct("!HHBBH6s4s6s4s")
ARP_REQUEST: Final = 1
ARP_REPLY: Final = 2
ICMPV6_NEIGHBOUR_SOLICIT: Final = 135
_ND_OPT_SOURCE_LINKADDR: Final = 1


def arp_request(mac: bytes, source: IPv4Address, target: IPv4Address) -> bytes:
    """A whole Ethernet frame: broadcast `who-has target tell source`."""
    arp = _ARP_HEADER.pack(1, 0x0800, 6, 4, ARP_REQUEST, mac, source.packed, bytes(6),
                           target.packed)
    return BROADCAST + mac + struct.pack("!H", ETH_P_ARP) + arp


def arp_sender(frame: bytes) -> IPv4Address | None:
    """The sender protocol address of an ARP frame (request or reply), else None."""
    if len(frame) < 14 + _ARP_HEADER.size or frame[12:14] != b"\x08\x06":
        return None
    htype, ptype, hlen, plen, op, _sha, spa, _tha, _tpa = _ARP_HEADER.unpack_from(frame, 14)
    if (htype, ptype, hlen, plen) != (1, 0x0800, 6, 4) or op not in (ARP_REQUEST, ARP_REPLY):
        return None
    return IPv4Address(spa)


def solicited_node(target: IPv6Address) -> IPv6Address:
    """RFC 4291 §2.7.1: ff02::1:ffXX:XXXX from the target's last 24 bits."""
    return IPv6Address(b"\xff\x02" + bytes(9) + b"\x01\xff" + target.packed[13:])


def neighbour_solicitation(mac: bytes, source: IPv6Address, target: IPv6Address) -> bytes:
    """A whole frame (RFC 4861 §4.3): NS for `target` to its solicited-node group, from
    `source` (our link-local), with our MAC as source link-layer option."""
    group = solicited_node(target)
    option = struct.pack("!BB", _ND_OPT_SOURCE_LINKADDR, 1) + mac
    body = struct.pack("!BBH4x", ICMPV6_NEIGHBOUR_SOLICIT, 0, 0) + target.packed + option
    check = internet_checksum(body, pseudo_header_sum(source, group, ICMPV6_PROTOCOL,
                                                      len(body)))
    message = body[:2] + struct.pack("!H", check) + body[4:]
    ip = ipv6_header(source=source, destination=group, next_header=ICMPV6_PROTOCOL,
                     payload_length=len(message), hop_limit=ND_HOP_LIMIT)
    return ethernet_header(multicast_mac(group), mac, ETHERTYPE_IPV6) + ip + message


def advertised_target(frame: bytes) -> IPv6Address | None:
    """The target of a neighbour advertisement (no extension headers), else None."""
    if len(frame) < 14 + 40 + 24 or frame[12:14] != b"\x86\xdd":
        return None
    if frame[14 + 6] != ICMPV6_PROTOCOL or frame[14 + 40] != ICMPV6_NEIGHBOUR_ADVERT:
        return None
    return IPv6Address(frame[14 + 40 + 8:14 + 40 + 24])


def request_frame(mac: bytes, source: IPAddress, witness: IPAddress) -> bytes:
    """The question for one witness: ARP for IPv4, NS for IPv6."""
    if isinstance(source, IPv4Address) and isinstance(witness, IPv4Address):
        return arp_request(mac, source, witness)
    if isinstance(source, IPv6Address) and isinstance(witness, IPv6Address):
        return neighbour_solicitation(mac, source, witness)
    raise ValueError(f"witness {witness} and source {source} are not of one family")


def answering(frame: bytes) -> IPAddress | None:
    """The address a frame shows alive: an ARP sender or an NA target, else None."""
    return arp_sender(frame) if frame[12:14] == b"\x08\x06" else advertised_target(frame)


class WitnessProber:
    """Rounds of requests on one interface; `close()` stops it (idempotent)."""

    def __init__(self, sock: socket.socket, *, mac: bytes, source: IPAddress,
                 witnesses: Iterable[IPAddress], interval: float,
                 on_round: Callable[[frozenset[IPAddress]], None]) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._witnesses = frozenset(witnesses)
        self._frames = [request_frame(mac, source, w)
                        for w in sorted(self._witnesses, key=str)]
        self._interval = interval
        self._on_round = on_round
        self._answered: set[IPAddress] = set()
        self._loop = asyncio.get_running_loop()
        self._handle: asyncio.TimerHandle | None = None
        self._closed = False
        self.rounds = 0
        self.send_errors = 0
        self._loop.add_reader(sock.fileno(), self._readable)
        self._send()

    @classmethod
    def open(cls, ifname: str, *, mac: bytes, source: IPAddress | None,
             witnesses: Iterable[IPAddress], interval: float,
             on_round: Callable[[frozenset[IPAddress]], None],
             socket_factory: SocketFactory = socket.socket) -> WitnessProber:
        if source is None:
            raise ValueError(f"{ifname}: no source address to ask the witnesses from")
        kind = ETH_P_ARP if isinstance(source, IPv4Address) else ETHERTYPE_IPV6
        sock = socket_factory(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(kind))
        try:
            sock.bind((ifname, kind))
            return cls(sock, mac=mac, source=source, witnesses=witnesses, interval=interval,
                       on_round=on_round)
        except BaseException:
            sock.close()
            raise

    def _send(self) -> None:
        for frame in self._frames:
            try:
                self._sock.send(frame)
            except OSError as exc:  # link down: the round is simply unanswered
                self.send_errors += 1
                log.debug("witness request not sent: %s", exc.strerror or exc)
        self._handle = self._loop.call_later(self._interval, self._end_round)

    def _end_round(self) -> None:
        self._handle = None
        if self._closed:
            return
        answered, self._answered = frozenset(self._answered), set()
        self.rounds += 1
        try:
            self._on_round(answered)
        finally:
            if not self._closed:
                self._send()

    def _readable(self) -> None:
        for _ in range(64):  # bounded: the rest waits for the next wake-up
            try:
                frame = self._sock.recv(256)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sender = answering(frame) if len(frame) >= 14 else None
            if sender is not None and sender in self._witnesses:
                self._answered.add(sender)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
