"""Ask neighbour witnesses "are you there?" by ARP, every interval (pykeepalived's own).

ARP, not ICMP: a gateway or a host that filters pings still answers ARP, and a reply
proves the layer-2 path the VIP depends on. Each round sends one broadcast ARP request
per witness from the instance's interface (source: the interface's MAC and the
instance's primary address) and collects, until the next round, every ARP frame whose
sender address is a witness (a reply, or the witness's own request: alive either way).
At the end of a round the set that answered goes to `on_round`; the judging (loss
threshold) is vrrp/witness.py's.

One AF_PACKET socket bound to the interface with ETH_P_ARP; frames are built here (pure
helpers below, unit-tested) and never through the kernel's neighbour table, so a stale
neighbour entry cannot answer for a witness that is gone. IPv6 (neighbour
solicitation) is not done yet: the config accepts IPv4 witnesses of IPv4 instances only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Final

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


class WitnessProber:
    """Rounds of ARP requests on one interface; `close()` stops it (idempotent)."""

    def __init__(self, sock: socket.socket, *, mac: bytes, source: IPv4Address,
                 witnesses: Iterable[IPAddress], interval: float,
                 on_round: Callable[[frozenset[IPAddress]], None]) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._frames = [arp_request(mac, source, w) for w in witnesses
                        if isinstance(w, IPv4Address)]
        self._witnesses = frozenset(w for w in witnesses if isinstance(w, IPv4Address))
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
        if not isinstance(source, IPv4Address):
            raise ValueError(f"{ifname}: witnesses are asked by ARP, which needs an IPv4 "
                             f"source address, not {source}")
        sock = socket_factory(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        try:
            sock.bind((ifname, ETH_P_ARP))
        except BaseException:
            sock.close()
            raise
        return cls(sock, mac=mac, source=source, witnesses=witnesses, interval=interval,
                   on_round=on_round)

    def _send(self) -> None:
        for frame in self._frames:
            try:
                self._sock.send(frame)
            except OSError as exc:  # link down: the round is simply unanswered
                self.send_errors += 1
                log.debug("witness ARP not sent: %s", exc.strerror or exc)
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
                frame = self._sock.recv(128)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sender = arp_sender(frame)
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
