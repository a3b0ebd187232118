"""Partitions in the lab and what they do to a VIP: cut links at the bridge, watch holders.

- `Partition`: nftables drop rules in the bridge namespace (a `bridge` family table,
  forward hook), matched on the bridge ports, so chosen pairs of hosts stop hearing each
  other while every host keeps its link and its other neighbours. `heal()` deletes the
  table. Nothing else in the lab is touched.
- `HolderSampler`: a thread that reads `ip addr` on each host as fast as it can (a few
  ms per host) and keeps (monotonic time, holders). From it: how long two hosts held the
  VIP at once, and when one alone held it again.
- `client(...)`: the client's view, `python -m netlab.partition probe` in a lab host: a
  numbered UDP datagram to the VIP every 10 ms, answered by netlab.prober's echo server
  with the name of the router that answered.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import select
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netlab.lab import COMMAND_TIMEOUT
from netlab.prober import PROBE_INTERVAL, Probe

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netlab.lab import Lab

TABLE = "pykapart"


@dataclass
class Partition:
    """Drop everything the bridge forwards between the given pairs of hosts, both ways."""

    lab: Lab
    active: bool = False

    def cut(self, *pairs: tuple[str, str]) -> None:
        rules = []
        for x, y in pairs:
            px, py = self.lab.host(x).bridge_port, self.lab.host(y).bridge_port
            rules += [f'  iifname "{px}" oifname "{py}" drop',
                      f'  iifname "{py}" oifname "{px}" drop']
        text = "\n".join([f"table bridge {TABLE} {{", " chain cut {",
                          "  type filter hook forward priority 0;", *rules, " }", "}", ""])
        self._nft(["-f", "-"], text)
        self.active = True

    def heal(self) -> None:
        if self.active:
            self._nft(["delete", "table", "bridge", TABLE])
            self.active = False

    def _nft(self, args: list[str], stdin: str | None = None) -> None:
        subprocess.run(["ip", "netns", "exec", self.lab.bridge_namespace, "nft", *args],
                       input=stdin, text=True, check=True, capture_output=True,
                       timeout=COMMAND_TIMEOUT)


@dataclass
class HolderSampler:
    """Who holds `vip`, sampled on `hosts` until stopped (at most `limit` seconds)."""

    lab: Lab
    hosts: tuple[str, ...]
    vip: str
    limit: float = 60.0
    samples: list[tuple[float, frozenset[str]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> HolderSampler:
        self._thread = threading.Thread(target=self._run, name="holders", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(COMMAND_TIMEOUT)

    def _run(self) -> None:
        deadline = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < deadline:
            held = frozenset(h for h in self.hosts
                             if f" {self.vip}/" in self.lab.host(h).ip(
                                 "-o", "addr", "show", "dev", "eth0"))
            self.samples.append((time.monotonic(), held))
            self._stop.wait(0.002)

    def overlap(self, since: float = 0.0) -> float:
        """Seconds during which two or more hosts held the VIP (sample to sample)."""
        total = 0.0
        rows = [s for s in self.samples if s[0] >= since]
        for (t, held), (t_next, _) in itertools.pairwise(rows):
            if len(held) > 1:
                total += t_next - t
        return total

    def last_overlap_end(self) -> float | None:
        """The first sample after the last one with two holders."""
        for (_, held), (t_next, held_next) in zip(reversed(self.samples[:-1]),
                                                  reversed(self.samples[1:]), strict=True):
            if len(held) > 1 and len(held_next) <= 1:
                return t_next
        return None

    def holders_after(self, moment: float) -> set[frozenset[str]]:
        return {held for t, held in self.samples if t >= moment}

    def max_gap(self) -> float:
        """The longest time between two samples: the resolution actually achieved."""
        times = [t for t, _ in self.samples]
        return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


# ------------------------------------------------------------------ the client program
def probe(vip: str, port: int, duration: float) -> list[Probe]:
    """One datagram every 10 ms for `duration` seconds; answers kept by sequence."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    probes: list[Probe] = []
    start = time.monotonic()
    for tick in range(int(duration / PROBE_INTERVAL) + 1):
        probes.append(Probe(tick, time.monotonic()))
        with contextlib.suppress(OSError):  # EHOSTUNREACH after a failed ARP: lost
            sock.sendto(str(tick).encode(), (vip, port))
        until = start + (tick + 1) * PROBE_INTERVAL
        while (left := until - time.monotonic()) > 0:
            ready, _, _ = select.select([sock], [], [], left)
            if ready:
                _read(sock, probes)
    settle = time.monotonic() + 0.1
    while (left := settle - time.monotonic()) > 0:
        if select.select([sock], [], [], left)[0]:
            _read(sock, probes)
    sock.close()
    return probes


def _read(sock: socket.socket, probes: list[Probe]) -> None:
    for _ in range(64):
        try:
            payload = sock.recv(256)
        except (BlockingIOError, ConnectionRefusedError):
            return
        words = payload.decode(errors="replace").split()
        if len(words) == 2 and words[0].isdigit() and int(words[0]) < len(probes):
            seq = int(words[0])
            if probes[seq].received is None:
                probes[seq] = Probe(seq, probes[seq].sent, time.monotonic(), words[1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a 10 ms UDP prober of a VIP")
    parser.add_argument("command", choices=["probe"])
    parser.add_argument("--vip", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    args = parser.parse_args(argv)
    print("READY", flush=True)
    probes = probe(args.vip, args.port, args.duration)
    rows = [[p.seq, p.sent, p.received, p.host] for p in probes]
    print(json.dumps({"probes": rows}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
