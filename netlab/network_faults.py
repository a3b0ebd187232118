"""Network faults for a lab: loss, flapping links, duplicated and reordered adverts.

The host kernel has no netem (lab-notes.md), so each fault is built from what it has:

- `loss`: an nftables `bridge` table in the bridge namespace drops `percent` % of the
  frames it forwards (`numgen random`), every frame once, so each way of a conversation
  loses that share.
- `flap`: a host's own link down and up on a period; its daemon sees the carrier go
  (keepalived: FAULT for an instance on that interface).
- `Replayer`: a host that hears every VRRP advert on the LAN sends each one again at
  once (a duplicate) and once more after the next advert from the same sender (an old
  advert arriving after a newer one: reordered). Replays carry the replayer's MAC as
  source so the bridge keeps learning the real sender where it is; neither keepalived
  nor pykeepalived reads the source MAC of an advert.

`masters_overlap` turns a capture of adverts into the time two routers advertised at
once (each counts as MASTER from an advert until 1.5 intervals later).
"""

from __future__ import annotations

import contextlib
import select
import socket
import subprocess
import threading
import time
from typing import TYPE_CHECKING

from netlab.advert_log import ETH_P_ALL, attach_vrrp_filter
from netlab.lab import COMMAND_TIMEOUT

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from netlab.advert_log import Advert
    from netlab.lab import Lab

TABLE = "netfaults"


def nft(lab: Lab, script: str) -> None:
    subprocess.run(["ip", "netns", "exec", lab.bridge_namespace, "nft", "-f", "-"],
                   input=script, text=True, check=True, capture_output=True,
                   timeout=COMMAND_TIMEOUT)


@contextlib.contextmanager
def loss(lab: Lab, percent: int) -> Iterator[None]:
    """`percent` % of the frames the bridge forwards are dropped while the block runs."""
    if not 0 <= percent <= 100:
        raise ValueError("percent between 0 and 100")
    nft(lab, f"""table bridge {TABLE} {{
    chain forward {{
        type filter hook forward priority 0; policy accept;
        numgen random mod 100 < {percent} counter drop
    }}
}}
""")
    try:
        yield
    finally:
        nft(lab, f"delete table bridge {TABLE}\n")


def dropped(lab: Lab) -> int:
    """Frames the loss rule dropped so far (its counter)."""
    out = subprocess.run(["ip", "netns", "exec", lab.bridge_namespace, "nft", "list", "table",
                          "bridge", TABLE], text=True, check=True, capture_output=True,
                         timeout=COMMAND_TIMEOUT).stdout
    for line in out.splitlines():
        if "counter packets" in line:
            return int(line.split("counter packets", 1)[1].split()[0])
    return 0


def flap(lab: Lab, host: str, *, period: float, seconds: float) -> int:
    """Take `host`'s link down and up, each state held `period` s, for `seconds`; the
    link is left up. Returns how many times it went down. The period is the fault's own
    rhythm, not a wait for something."""
    ifname = lab.host(host).ifname
    downs, deadline = 0, time.monotonic() + seconds
    for _ in range(int(seconds / period) + 2):
        if time.monotonic() >= deadline:
            break
        lab.host(host).ip("link", "set", ifname, "down")
        downs += 1
        time.sleep(period)
        lab.host(host).ip("link", "set", ifname, "up")
        time.sleep(period)
    lab.host(host).ip("link", "set", ifname, "up")
    return downs


class Replayer:
    """Duplicate and reorder every advert heard on `host`'s LAN (module docstring).

    A thread reads the host's AF_PACKET socket (kernel VRRP filter) and writes the
    replays through it; `stop()` ends it (bounded) and returns (duplicates, reordered).
    """

    def __init__(self, lab: Lab, host: str) -> None:
        node = lab.host(host)
        self._mac = node.mac_bytes
        make = node.socket_factory()
        self._sock = make(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        attach_vrrp_filter(self._sock)
        self._sock.bind((node.ifname, 0))
        self._ifname = node.ifname
        self._stop = threading.Event()
        self.duplicates = 0
        self.reordered = 0
        self._thread = threading.Thread(target=self._run, name=f"replay-{host}", daemon=True)

    def start(self) -> Replayer:
        self._thread.start()
        return self

    def _run(self) -> None:
        held: dict[bytes, bytes] = {}  # sender's IPv4 source → its previous advert
        while not self._stop.is_set():
            ready, _, _ = select.select([self._sock], [], [], 0.05)
            if not ready:
                continue
            frame, address = self._sock.recvfrom(65535)
            if address[2] == socket.PACKET_OUTGOING or frame[6:12] == self._mac:
                continue  # our own replays
            replay = frame[:6] + self._mac + frame[12:]
            source = frame[26:30]
            with contextlib.suppress(OSError):
                self._sock.send(replay)
                self.duplicates += 1
                previous = held.get(source)
                if previous is not None:
                    self._sock.send(previous)  # older than the advert just heard
                    self.reordered += 1
            held[source] = replay

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self._thread.join(COMMAND_TIMEOUT)
        with contextlib.suppress(OSError):
            self._sock.close()
        return self.duplicates, self.reordered


def _spans(times_ns: Iterable[int], hold_ns: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for ns in sorted(times_ns):
        if spans and ns <= spans[-1][1]:
            spans[-1] = (spans[-1][0], ns + hold_ns)
        else:
            spans.append((ns, ns + hold_ns))
    return spans


def masters_overlap(adverts: Iterable[Advert], vrid: int, sources: tuple[str, str],
                    advert_int: float) -> float:
    """Seconds during which both `sources` advertised `vrid` (priority > 0) at once."""
    hold = int(1.5 * advert_int * 1e9)
    listed = [x for x in adverts if x.vrid == vrid and x.priority]
    first = _spans((x.ns for x in listed if x.source == sources[0]), hold)
    second = _spans((x.ns for x in listed if x.source == sources[1]), hold)
    total, i, j = 0, 0, 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if end > start:
            total += end - start
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return total / 1e9
