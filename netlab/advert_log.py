"""Every VRRP advert on a host's wire for a while, with the kernel's receive time.

    python -m netlab.advert_log --seconds 30 --out adverts.bin [--ifname eth0|any]

run inside an observer host on the LAN. An AF_PACKET socket with a socket filter (IPv4,
protocol 112, so nothing else reaches us), a large receive buffer and SO_TIMESTAMPNS:
each advert's time is when the kernel received it, not when this process got round to
it, so our own scheduling (on a shared machine) does not show up as advert jitter.
Prints `READY` once capturing, then captures for `--seconds` and writes one record per
advert to `--out` (`RECORD`: receive time in ns since the epoch, IPv4 source, VRID,
priority), then one JSON line: adverts recorded, and the kernel's PACKET_STATISTICS
(frames that passed the filter, frames dropped because our buffer was full). A capture
with drops has holes: its intervals are not to be trusted, and the caller says so.

`read_records` and `intervals` are the pure half, for the benchmark.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import select
import socket
import struct
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

READY_LINE = "READY"
#: --ifname any: every interface of the host (one LAN per interface: each advert once)
ANY = "any"
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
SO_TIMESTAMPNS = 35
IPPROTO_VRRP = 112
RECEIVE_BUFFER = 16 * 1024 * 1024
RECORD = struct.Struct("<qIBB")
TIMESPEC = struct.Struct("@qq")
#: frames read per wake-up before looking at the clock again
BATCH = 256

#: cBPF: accept IPv4 frames carrying protocol 112, drop everything else
_FILTER = [(0x28, 0, 0, 12),         # ldh [12]         ethertype
           (0x15, 0, 3, 0x0800),     # jeq #IPv4        else drop
           (0x30, 0, 0, 23),         # ldb [23]         IP protocol
           (0x15, 0, 1, IPPROTO_VRRP),
           (0x06, 0, 0, 0x40000),    # ret: whole frame
           (0x06, 0, 0, 0)]          # ret: drop


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter))]


@dataclass(frozen=True)
class Advert:
    ns: int
    source: str
    vrid: int
    priority: int


def attach_vrrp_filter(sock: socket.socket) -> None:
    program = (_SockFilter * len(_FILTER))(*(_SockFilter(*op) for op in _FILTER))
    fprog = _SockFprog(len(_FILTER), ctypes.cast(program, ctypes.POINTER(_SockFilter)))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER,
                    ctypes.string_at(ctypes.addressof(fprog), ctypes.sizeof(fprog)))


def open_capture(ifname: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    attach_vrrp_filter(sock)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    if ifname != ANY:
        sock.bind((ifname, 0))
    sock.setblocking(False)
    statistics(sock)  # read-and-reset: count from here
    return sock


def statistics(sock: socket.socket) -> tuple[int, int]:
    """(frames passed to us, frames dropped) since the last call (the kernel resets)."""
    packets, drops = struct.unpack("II", sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
    return packets, drops


def parse(frame: bytes, ns: int) -> Advert | None:
    if len(frame) < 14 + 20 + 3 or frame[12:14] != b"\x08\x00" or frame[23] != IPPROTO_VRRP:
        return None
    header = (frame[14] & 0x0F) * 4
    if len(frame) < 14 + header + 3:
        return None
    return Advert(ns, socket.inet_ntoa(frame[26:30]), frame[14 + header + 1],
                  frame[14 + header + 2])


def capture(sock: socket.socket, seconds: float) -> tuple[list[Advert], int, int]:
    """Adverts for `seconds` (bounded by the clock), then the kernel's counts."""
    adverts: list[Advert] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sock], [], [], min(left, 0.5))
        if ready:
            adverts += drain(sock, BATCH)
    packets, drops = statistics(sock)
    return adverts, packets, drops


def drain(sock: socket.socket, limit: int) -> list[Advert]:
    """The adverts queued on the non-blocking capture socket now (at most `limit` reads),
    each with the kernel's receive time."""
    found: list[Advert] = []
    control = socket.CMSG_SPACE(TIMESPEC.size)
    for _ in range(limit):
        try:
            frame, ancillary, _, _ = sock.recvmsg(2048, control)
        except BlockingIOError:
            break
        ns = next((_ns(data) for level, kind, data in ancillary
                   if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS), None)
        advert = parse(frame, ns if ns is not None else time.time_ns())
        if advert is not None:
            found.append(advert)
    return found


def _ns(data: bytes) -> int:
    seconds, nanoseconds = TIMESPEC.unpack(data[:TIMESPEC.size])
    return int(seconds) * 1_000_000_000 + int(nanoseconds)


def write_records(path: Path, adverts: Iterable[Advert]) -> None:
    path.write_bytes(b"".join(RECORD.pack(a.ns, int.from_bytes(socket.inet_aton(a.source),
                                                                "big"), a.vrid, a.priority)
                              for a in adverts))


def read_records(path: Path) -> list[Advert]:
    data = path.read_bytes()
    return [Advert(ns, socket.inet_ntoa(source.to_bytes(4, "big")), vrid, priority)
            for ns, source, vrid, priority in RECORD.iter_unpack(data)]


def intervals(adverts: Sequence[Advert]) -> dict[tuple[str, int], list[float]]:
    """Seconds between consecutive adverts of each (source, VRID), in receive order;
    priority 0 adverts (a master resigning) are not part of the rhythm and left out."""
    times: dict[tuple[str, int], list[int]] = defaultdict(list)
    for advert in adverts:
        if advert.priority:
            times[(advert.source, advert.vrid)].append(advert.ns)
    gaps: dict[tuple[str, int], list[float]] = {}
    for key, stamps in times.items():
        ordered = sorted(stamps)
        gaps[key] = [(later - earlier) / 1e9
                     for earlier, later in pairwise(ordered)]
    return gaps


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.advert_log",
                                     description="VRRP adverts with kernel receive times")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--ifname", default="eth0")
    args = parser.parse_args(argv)
    sock = open_capture(args.ifname)
    print(READY_LINE, flush=True)
    adverts, packets, drops = capture(sock, args.seconds)
    write_records(args.out, adverts)
    print(json.dumps({"adverts": len(adverts), "kernel_packets": packets,
                      "kernel_drops": drops}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
