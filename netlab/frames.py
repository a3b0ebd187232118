"""Ethernet frames in and out of the lab: pcap files (tcpdump's, tshark's) and injection.

Tests read what a host saw from `Lab.capture` (a classic libpcap file), hand frames they
built to tshark as a pcap, and put hostile frames on a host's wire with `send_frames`.
"""

from __future__ import annotations

import struct
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from netlab.lab import Lab

#: what send_frames may spend on one injection (a bounded `ip netns exec` run)
INJECT_TIMEOUT = 10.0


def read_pcap(path: Path) -> list[bytes]:
    """Frames of a classic libpcap file (what `tcpdump -w` writes), link type Ethernet."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = data[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
             b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if order is None:
        raise ValueError(f"{path} is not a libpcap file")
    frames: list[bytes] = []
    offset = 24
    while offset + 16 <= len(data):
        _sec, _frac, captured, _orig = struct.unpack_from(f"{order}IIII", data, offset)
        offset += 16
        frames.append(data[offset:offset + captured])
        offset += captured
    return frames


def write_pcap(path: Path, frames: Sequence[bytes]) -> None:
    """A classic libpcap file of Ethernet frames (for tshark), timestamps one ms apart."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for number, frame in enumerate(frames):
        out.append(struct.pack("<IIII", 0, number * 1000, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))


#: Sends hex-encoded Ethernet frames on an interface; run inside a host namespace.
SEND_FRAMES = """
import socket, sys, time
ifname, count, gap, *frames = sys.argv[1:]
with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
    sock.bind((ifname, 0))
    for _ in range(int(count)):
        for frame in frames:
            sock.send(bytes.fromhex(frame))
        time.sleep(float(gap))
"""


def send_frames(lab: Lab, host: str, frames: Sequence[bytes], *, count: int = 1,
                gap: float = 0.0) -> None:
    """Put raw frames on the host's eth0 `count` times, `gap` seconds apart (bounded)."""
    if count * gap > INJECT_TIMEOUT / 2:
        raise ValueError("keep injections short: count * gap under 5 s")
    lab.run(host, [sys.executable, "-c", SEND_FRAMES, lab.host(host).ifname, str(count),
                   str(gap), *(frame.hex() for frame in frames)])
