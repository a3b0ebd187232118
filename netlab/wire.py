"""What the client hears on its wire during a failover: VRRP adverts and gratuitous ARPs.

The gap alone says how long the outage was; these marks say where the time went (the
backup's timer, adding the VIP and sending GARPs, the client's ARP update). They are
taken on the client's eth0 with an AF_PACKET socket, by the same process and clock as
the probes, so the figures subtract cleanly.
"""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass, field

ETH_P_ALL = 0x0003
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
IPPROTO_VRRP = 112


@dataclass(frozen=True)
class Advert:
    source: str
    priority: int


@dataclass(frozen=True)
class Garp:
    sender_ip: str
    sender_mac: str


def parse_frame(frame: bytes) -> Advert | Garp | None:
    """A VRRP advert over IPv4, or an ARP naming its sender; anything else is None."""
    if len(frame) < 42:
        return None
    ethertype = int.from_bytes(frame[12:14], "big")
    if ethertype == ETHERTYPE_ARP:
        return Garp(socket.inet_ntoa(frame[28:32]), frame[22:28].hex(":"))
    if ethertype != ETHERTYPE_IPV4 or frame[23] != IPPROTO_VRRP:
        return None
    header = (frame[14] & 0x0F) * 4
    if len(frame) < 14 + header + 3:
        return None
    return Advert(socket.inet_ntoa(frame[26:30]), frame[14 + header + 2])


def open_sniffer(ifname: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((ifname, 0))
    sock.setblocking(False)
    return sock


@dataclass
class Marks:
    """Monotonic times of the failover's steps as the client saw them (None: not seen)."""

    old_ip: str
    new_ip: str
    vip: str
    new_mac: str
    last_old_advert: float | None = None
    old_priority_zero: float | None = None
    first_new_advert: float | None = None
    first_new_garp: float | None = None
    armed: bool = field(default=False)

    def note(self, seen: Advert | Garp, when: float) -> None:
        """Record one frame; the 'first new' marks count only once armed (after READY)."""
        if isinstance(seen, Advert):
            self._note_advert(seen, when)
        elif self.armed and self.first_new_garp is None and seen.sender_ip == self.vip \
                and seen.sender_mac == self.new_mac:
            self.first_new_garp = when

    def _note_advert(self, advert: Advert, when: float) -> None:
        if advert.source == self.old_ip:
            if advert.priority == 0:
                self.old_priority_zero = self.old_priority_zero or when
            elif self.first_new_advert is None:
                self.last_old_advert = when
        elif advert.source == self.new_ip and self.armed and self.first_new_advert is None:
            self.first_new_advert = when

    def read(self, sock: socket.socket) -> None:
        for _ in range(64):
            try:
                frame = sock.recv(2048)
            except BlockingIOError:
                return
            seen = parse_frame(frame)
            if seen is not None:
                self.note(seen, time.monotonic())

    def as_dict(self) -> dict[str, float | None]:
        return {"last_old_advert": self.last_old_advert,
                "old_priority_zero": self.old_priority_zero,
                "first_new_advert": self.first_new_advert,
                "first_new_garp": self.first_new_garp}


def await_advert(sock: socket.socket, source: str, timeout: float) -> bool:
    """Block until a priority > 0 advert from `source` arrives; False after `timeout`.

    Takes an open sniffer and leaves it open: closing an AF_PACKET socket waits for an
    RCU grace period (tens of ms), which the caller must not pay before it reports.
    """
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sock], [], [], left)
        for _ in range(64 if ready else 0):
            try:
                seen = parse_frame(sock.recv(2048))
            except BlockingIOError:
                break
            if isinstance(seen, Advert) and seen.source == source and seen.priority:
                return True
    return False
