"""The fault campaign's sender: pre-built Ethernet frames onto a host's wire, paced.

    python -m netlab.fuzz_send --ifname eth0 [--master HEX --every 0.1]

run inside the sending host. It reads one JSON command per line on stdin and answers
each with one JSON line on stdout:

- `{"send": PATH, "rate": R, "limit": S[, "on": A, "off": B]}`: the frames in PATH
  (`pack_frames`'s format) at R per second (0: as fast as it can), for at most S
  seconds, and with A/B only A seconds of every A + B; answers how many went out, how
  many the kernel refused, and the wall-clock start, end and loud periods (ns since the
  epoch, the clock an AF_PACKET capture stamps frames with);
- `{"stats": true}`: how many master adverts went out so far;
- `{"quit": true}`.

`--master` is a genuine advert (a whole frame) repeated every `--every` seconds the whole
time, between commands and in the middle of a stream: the master a backup instance under
test follows, so the backup has a reason to stay BACKUP.

One AF_PACKET socket and `send` of slices of one buffer: unpaced, 220,000-250,000 fuzz
frames a second into the lab's bridge here (2026-12-07, the 2-core VM, 200,000 frames),
some 50 times the rate a daemon reads, so the pacing decides the rate.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

#: frames sent per pacing step at most, so the master's adverts stay on time
BURST = 64
#: the longest a paced sender sleeps before looking at the clock again
NAP = 0.0005


def pack_frames(frames: Iterable[bytes]) -> bytes:
    """Frames as one buffer: a 2-octet big-endian length before each."""
    return b"".join(len(f).to_bytes(2, "big") + f for f in frames)


def unpack_frames(data: bytes) -> Iterator[bytes]:
    offset = 0
    while offset + 2 <= len(data):
        length = int.from_bytes(data[offset:offset + 2], "big")
        yield data[offset + 2:offset + 2 + length]
        offset += 2 + length


@dataclass
class Master:
    """A genuine advert sent every `every` seconds; late ticks are not made up for."""

    sock: socket.socket
    frame: bytes
    every: float
    next_at: float = 0.0
    sent: int = 0

    def tick(self, now: float) -> float:
        """Send if due; returns when the next one is due."""
        if not self.frame:
            return now + 3600.0
        if now >= self.next_at:
            try:
                self.sock.send(self.frame)
                self.sent += 1
            except OSError:
                pass
            self.next_at = max(self.next_at + self.every, now + self.every / 2)
        return self.next_at


def send_stream(sock: socket.socket, data: bytes, rate: float, master: Master,
                limit: float, *, on: float = 0.0, off: float = 0.0) -> dict[str, object]:
    """Every frame of `data` at `rate` per second (0: unpaced), bounded by `limit` s.

    With `on` and `off`, frames go out only `on` seconds of every `on + off` (the rate
    holds within those), so a measurement can interleave quiet and loud periods that
    share the machine's other load; `segments` are the loud periods (ns since the epoch).
    """
    view = memoryview(data)
    offset = sent = errors = 0
    start = time.monotonic()
    start_ns = time.time_ns()
    segments: list[tuple[int, int]] = []
    loud_since: int | None = start_ns
    while offset < len(data):
        now = time.monotonic()
        if now - start > limit:
            break
        master.tick(now)
        elapsed = now - start
        if on > 0 and off > 0:
            cycles, into = divmod(elapsed, on + off)
            if into >= on:
                if loud_since is not None:
                    segments.append((loud_since, time.time_ns()))
                    loud_since = None
                time.sleep(min(NAP * 10, on + off - into))
                continue
            if loud_since is None:
                loud_since = time.time_ns()
            elapsed = cycles * on + into
        due = BURST if rate <= 0 else min(BURST, int(elapsed * rate) - sent)
        if due <= 0:
            time.sleep(min(NAP, max(0.0, (sent + 1) / rate - elapsed)))
            continue
        for _ in range(due):
            if offset + 2 > len(data):
                break
            length = int.from_bytes(view[offset:offset + 2], "big")
            try:
                sock.send(view[offset + 2:offset + 2 + length])
            except OSError:
                errors += 1
            offset += 2 + length
            sent += 1
    end_ns = time.time_ns()
    if loud_since is not None:
        segments.append((loud_since, end_ns))
    return {"sent": sent, "errors": errors, "seconds": time.monotonic() - start,
            "start_ns": start_ns, "end_ns": end_ns, "complete": offset >= len(data),
            "segments": segments}


def serve(sock: socket.socket, master: Master) -> int:
    """Answer commands until quit or end of input; the master ticks all the while."""
    print(json.dumps({"ready": True}), flush=True)
    while True:
        wait = max(0.0, master.tick(time.monotonic()) - time.monotonic())
        ready, _, _ = select.select([sys.stdin], [], [], min(wait, 1.0))
        if not ready:
            continue
        line = sys.stdin.readline()
        if not line:
            return 0
        command = json.loads(line)
        if command.get("quit"):
            return 0
        if "send" in command:
            data = Path(command["send"]).read_bytes()
            answer: dict[str, object] = send_stream(
                sock, data, float(command.get("rate", 0)), master,
                float(command.get("limit", 600)), on=float(command.get("on", 0)),
                off=float(command.get("off", 0)))
        else:
            answer = {}
        answer["master_sent"] = master.sent
        print(json.dumps(answer), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netlab.fuzz_send",
                                     description="paced frames for the fault campaign")
    parser.add_argument("--ifname", default="eth0")
    parser.add_argument("--master", default="", help="hex of a frame to repeat")
    parser.add_argument("--every", type=float, default=0.1)
    args = parser.parse_args(argv)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((args.ifname, 0))
        master = Master(sock, bytes.fromhex(args.master), args.every)
        return serve(sock, master)


if __name__ == "__main__":
    sys.exit(main())
