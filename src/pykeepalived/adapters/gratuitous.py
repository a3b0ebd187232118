"""Put prebuilt Ethernet frames (gratuitous ARP, unsolicited NA) on an interface.

`vrrp/frames.py` builds the bytes; this module only owns the AF_PACKET socket, as
keepalived does for both ARP and NA: a whole frame lets us choose the source MAC and the
broadcast / all-nodes destination without the kernel's neighbour machinery in the way.
The socket is opened with protocol 0, so it receives nothing and never needs reading.
Repeats and delays (vrrp_garp_master_repeat / _delay) are the core's timers, not ours.
"""

from __future__ import annotations

import logging
import socket
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Final

log = logging.getLogger(__name__)

SocketFactory = Callable[[int, int, int], socket.socket]

ETHERNET_HEADER: Final = 14
#: Largest frame we accept: a standard MTU plus the Ethernet header.
MAX_FRAME: Final = 1514


class FrameSender:
    """One AF_PACKET socket bound to one interface; sends count failures, never raise."""

    def __init__(self, sock: socket.socket, ifname: str) -> None:
        sock.setblocking(False)
        self._sock = sock
        self.ifname = ifname
        self.sent = 0
        self.send_errors: Counter[str] = Counter()

    @classmethod
    def open(cls, ifname: str, socket_factory: SocketFactory = socket.socket) -> FrameSender:
        """Bind to `ifname`; raises OSError (ENODEV) at once if the interface is missing."""
        sock = socket_factory(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            sock.bind((ifname, 0))
        except BaseException:
            sock.close()
            raise
        return cls(sock, ifname)

    def send(self, frame: bytes) -> bool:
        """Send one whole frame (destination MAC first); False and counted on failure."""
        if not ETHERNET_HEADER <= len(frame) <= MAX_FRAME:
            raise ValueError(f"frame of {len(frame)} bytes is not an Ethernet frame")
        try:
            self._sock.send(frame)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.send_errors[reason] += 1
            log.debug("%s: cannot send gratuitous frame: %s", self.ifname, reason)
            return False
        self.sent += 1
        return True

    def send_burst(self, frames: Iterable[bytes]) -> int:
        """One burst (e.g. one frame per VIP); returns how many left successfully."""
        return sum(self.send(frame) for frame in frames)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> FrameSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
