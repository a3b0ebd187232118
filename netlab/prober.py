"""The client's view of a failover: a UDP echo on the VIP in each router, a 10 ms prober.

Two small programs run inside lab namespaces (`python -m netlab.prober serve|probe ...`)
and one pure function, `measure_gap`, turns the prober's record into the figure the
benchmark reports. UDP rather than ping because every answer names the router that sent
it, so "last answer from the old master" and "first answer from the new one" are facts,
not guesses from MAC addresses.

The client keeps Linux's ARP defaults (`arp_accept=0`). Its entry for the VIP exists
(it has been probing the old master), so a gratuitous ARP from the new master updates it;
until that happens its datagrams still go to the old master's MAC and are lost. That
delay is part of what a real client sees, so it is part of the measured gap.

The echo server binds the VIP with IP_FREEBIND: it can start before the daemon adds the
address, and its answers carry the VIP as source, which is what the client expects.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import select
import socket
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.wire import Marks, await_advert, open_sniffer

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Linux's IP_FREEBIND (not exported by every Python's socket module).
IP_FREEBIND = 15
PROBE_INTERVAL = 0.010
#: An answer later than this counts as a lost probe (a queued, very late answer is not
#: service). Short compared with every protocol bound measured, long compared with a LAN.
PROBE_TIMEOUT = 0.100
#: Consecutive answers from one router that count as "this router serves the VIP".
STEADY_ANSWERS = 10
READY_LINE = "READY"
ADVERT_LINE = "ADVERT"


@dataclass(frozen=True)
class Probe:
    """One datagram: when it left, and when and from whom its answer came (if it did)."""

    seq: int
    sent: float
    received: float | None = None
    host: str | None = None

    def answered_by(self, host: str) -> bool:
        return self.host == host and self.ok

    @property
    def ok(self) -> bool:
        return self.received is not None and self.received - self.sent <= PROBE_TIMEOUT


@dataclass(frozen=True)
class Gap:
    """The outage between the old master's last answer and the new master's first."""

    old: str
    new: str
    seconds: float
    last_old: Probe
    first_new: Probe
    lost: int


def measure_gap(probes: Sequence[Probe], old: str) -> Gap | None:
    """The gap, by receive times; None if no other router ever answered in time.

    Receive times measure what the client waits with no answer at all; the probe period
    (10 ms) is the resolution. Only answers within PROBE_TIMEOUT count.
    """
    ordered = sorted(probes, key=lambda probe: probe.seq)
    first_new_at = next((i for i, probe in enumerate(ordered)
                         if probe.ok and probe.host not in (None, old)), None)
    if first_new_at is None:
        return None
    last_old_at = next((i for i in range(first_new_at - 1, -1, -1)
                        if ordered[i].answered_by(old)), None)
    if last_old_at is None:
        return None
    first_new, last_old = ordered[first_new_at], ordered[last_old_at]
    assert first_new.received is not None
    assert last_old.received is not None
    assert first_new.host is not None
    lost = sum(1 for probe in ordered[last_old_at + 1:first_new_at] if not probe.ok)
    return Gap(old=old, new=first_new.host, seconds=first_new.received - last_old.received,
               last_old=last_old, first_new=first_new, lost=lost)


def probes_from_json(text: str) -> list[Probe]:
    """The prober's final line back into probes; bad input is a ValueError, not a crash."""
    try:
        rows = json.loads(text)["probes"]
        return [Probe(int(seq), float(sent), None if got is None else float(got),
                      None if host is None else str(host)) for seq, sent, got, host in rows]
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"unreadable prober output: {error}") from error


def marks_from_json(text: str) -> dict[str, float | None]:
    """The wire marks of the prober's final line (see netlab/wire.py)."""
    try:
        marks = json.loads(text).get("marks", {})
        return {str(key): None if value is None else float(value)
                for key, value in marks.items()}
    except (AttributeError, TypeError, ValueError) as error:
        raise ValueError(f"unreadable prober marks: {error}") from error


# ------------------------------------------------------------------ in the namespaces
def serve(vip: str, port: int, name: str) -> None:
    """Answer every datagram with `<payload> <name>`, forever (stopped by PID)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
        sock.bind((vip, port))
        print(READY_LINE, flush=True)
        while True:
            payload, peer = sock.recvfrom(256)
            # ENETUNREACH and the like while the VIP or the link goes away: not our answer
            with contextlib.suppress(OSError):
                sock.sendto(payload + b" " + name.encode(), peer)


class Prober:
    """Sends one numbered datagram per PROBE_INTERVAL; collects the answers and, from the
    wire, the marks of the failover's steps."""

    def __init__(self, vip: str, port: int, marks: Marks, ifname: str) -> None:
        self.target = (vip, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sniffer = open_sniffer(ifname)
        self.marks = marks
        self.probes: list[Probe] = []

    def send_next(self) -> None:
        seq = len(self.probes)
        self.probes.append(Probe(seq, time.monotonic()))
        # e.g. EHOSTUNREACH after a failed ARP: a lost probe; keep going
        with contextlib.suppress(OSError):
            self.sock.sendto(str(seq).encode(), self.target)

    def receive_until(self, moment: float) -> None:
        """Record answers until `moment` (monotonic); bounded by the clock."""
        while (left := moment - time.monotonic()) > 0:
            ready, _, _ = select.select([self.sock, self.sniffer], [], [], left)
            if self.sniffer in ready:
                self.marks.read(self.sniffer)
            if self.sock in ready:
                self._read_answers()

    def _read_answers(self) -> None:
        for _ in range(64):
            try:
                payload = self.sock.recv(256)
            except (BlockingIOError, ConnectionRefusedError):
                return
            words = payload.decode(errors="replace").split()
            if len(words) == 2 and words[0].isdigit() and int(words[0]) < len(self.probes):
                seq = int(words[0])
                if self.probes[seq].received is None:
                    self.probes[seq] = Probe(seq, self.probes[seq].sent, time.monotonic(),
                                             words[1])

    def steady_host(self) -> str | None:
        """The router that answered the last STEADY_ANSWERS probes that are due, if one."""
        tail = self.probes[-(STEADY_ANSWERS + int(PROBE_TIMEOUT / PROBE_INTERVAL) + 2):]
        due = [p for p in tail if time.monotonic() - p.sent > PROBE_TIMEOUT]
        recent = due[-STEADY_ANSWERS:]
        hosts = {p.host if p.ok else None for p in recent}
        if len(recent) == STEADY_ANSWERS and len(hosts) == 1:
            return hosts.pop()
        return None


def probe(vip: str, port: int, expect: str, ready_within: float, window: float,
          marks: Marks, ifname: str) -> int:
    """Probe until `expect` answers steadily (print READY), then until another router
    answers steadily or `window` seconds pass; print probes and marks as one JSON line."""
    prober = Prober(vip, port, marks, ifname)
    start = time.monotonic()
    ready_at: float | None = None
    limit = start + ready_within
    for tick in range(1, int((ready_within + window) / PROBE_INTERVAL) + 2):
        if time.monotonic() >= limit:
            break
        prober.send_next()
        prober.receive_until(start + tick * PROBE_INTERVAL)
        steady = prober.steady_host()
        if ready_at is None and steady == expect:
            ready_at = time.monotonic()
            limit = ready_at + window
            marks.armed = True
            print(READY_LINE, flush=True)
        elif ready_at is not None and steady not in (None, expect):
            break
    prober.receive_until(time.monotonic() + PROBE_TIMEOUT)
    rows = [[p.seq, p.sent, p.received, p.host] for p in prober.probes]
    print(json.dumps({"ready": ready_at is not None, "probes": rows,
                      "marks": marks.as_dict()}), flush=True)
    return 0 if ready_at is not None else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    sub = parser.add_subparsers(dest="command", required=True)
    server = sub.add_parser("serve")
    server.add_argument("--vip", required=True)
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--name", required=True)
    client = sub.add_parser("probe")
    client.add_argument("--vip", required=True)
    client.add_argument("--port", type=int, required=True)
    client.add_argument("--expect", required=True)
    client.add_argument("--ready-within", type=float, required=True)
    client.add_argument("--window", type=float, required=True)
    client.add_argument("--ifname", default="eth0")
    client.add_argument("--old-ip", required=True)
    client.add_argument("--new-ip", required=True)
    client.add_argument("--new-mac", required=True)
    waiter = sub.add_parser("await-advert")
    waiter.add_argument("--ifname", default="eth0")
    waiter.add_argument("--source", required=True)
    waiter.add_argument("--timeout", type=float, required=True)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.vip, args.port, args.name)
        return 0
    if args.command == "await-advert":
        heard = await_advert(open_sniffer(args.ifname), args.source, args.timeout)
        print(ADVERT_LINE if heard else "TIMEOUT", flush=True)
        return 0 if heard else 1
    marks = Marks(old_ip=args.old_ip, new_ip=args.new_ip, vip=args.vip,
                  new_mac=args.new_mac.lower())
    return probe(args.vip, args.port, args.expect, args.ready_within, args.window, marks,
                 args.ifname)


if __name__ == "__main__":
    sys.exit(main())
