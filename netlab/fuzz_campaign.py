"""The fault campaign's lab: one daemon under fuzzed VRRP packets, then a foreign-VRID flood.

Used by `python -m bench.fuzz` (10^6 packets, both implementations) and by the netns
test (a small stream, pykeepalived). One lab (namespaces `fzz-*`, hosts 192.0.2.187-189):

- *d* runs the daemon under test, one keepalived.conf text for both implementations:
  VI_F3 (VRID 187, VRRPv3, IPv4, 0.1 s), VI_F2 (188, VRRPv2, 1 s) and VI_F6 (189,
  VRRPv3 over IPv6) at priority 200, alone on their VRIDs and so MASTER; VI_FB (190,
  VRRPv3 at 1 s, priority 100) BACKUP behind a master at 254 that *tx* plays (a genuine
  advert every second, the whole run: a stalled sender on a busy machine must not look
  like a dead master, so not 0.1 s). VIPs 198.51.100.187-190 and 2001:db8:186::189.
- *tx* sends the stream from a file of pre-built frames (netlab.fuzz_send) at a set
  rate, to the groups 224.0.0.18 / ff02::12 and to d's own addresses, some IPv4 packets
  claiming sources 198.51.100.191-199; nothing in it is an advert a daemon should act on
  (netlab.fuzz_packets).
- *obs* captures d's adverts with the kernel's receive times (netlab.advert_log) over a
  quiet window and a flood window (well-formed VRRPv3 adverts for VRIDs 191-199).

What a run records: the daemon alive, tracebacks in its log, transitions logged during
the run, each instance's state and VIPs before and after; keepalived's counters (its
JSON dump) and, for pykeepalived, every socket's reads against its receive tally; the
kernel's drops on the daemon's raw sockets (/proc/net/raw{,6}); the daemon's CPU; the
advert interval deviations in both windows. The figures and the verdicts on them are
netlab.fuzz_figures' (pure).
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import TYPE_CHECKING

from netlab.advert_log import READY_LINE, read_records
from netlab.conf import Config, GlobalDefs, Instance
from netlab.fuzz_figures import (
    INSTANCES,
    MASTERS,
    Phase,
    RawSocket,
    Reading,
    RunResult,
    expected_reads,
    phase_figures,
    problems,
    split_deviations,
)
from netlab.fuzz_packets import (
    FuzzPacket,
    Kind,
    Macs,
    Target,
    Wire,
    flood,
    frame,
    generate,
    ipv6_checksum_ok,
)
from netlab.fuzz_send import pack_frames
from netlab.lab import CHECKOUT, wait_for
from netlab.peers import PrivateKeepalived, PrivatePyNode, has_address, read_dump
from pykeepalived.observe.status import parse_keepalived_json, parse_status
from pykeepalived.vrrp.advert import VRRP_GROUP_V4, Advertisement
from pykeepalived.vrrp.packet import encode_message

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netlab.lab import Host, Lab
    from pykeepalived.observe.status import StatusView

PREFIX = "fzz"
#: hosts d, tx, obs are 192.0.2.187-189
LAB_BASE = 186
HOSTS = ("d", "tx", "obs")
SPOOFED = tuple(IPv4Address(f"198.51.100.{n}") for n in range(191, 200))
FOREIGN_VRIDS = tuple(range(191, 200))
FLOOD_VIP = IPv4Address("198.51.100.200")
MASTER_PRIORITY = 254
#: seconds between the sender's genuine master adverts (VI_FB's advert_int)
MASTER_EVERY = 1.0
#: Master_Down_Interval of VRRPv2 at 1 s plus a Python daemon's start-up
STARTUP = 20.0
#: after the last frame: time for the daemon to read what is queued
SETTLE = 60.0
#: the flood alternates: this long on, this long off (the quiet baseline)
FLOOD_ON, FLOOD_OFF = 1.0, 1.0


def targets() -> tuple[Target, ...]:
    return tuple(Target(vrid, version, family, priority, interval, (vip,))
                 for _, vrid, version, family, priority, interval, vip in INSTANCES)


def campaign_config() -> Config:
    def instance(name: str, vrid: int, version: int, priority: int, interval: int,
                 vip: IPv4Address | IPv6Address) -> Instance:
        suffix = "/64" if vip.version == 6 else "/32"
        return Instance(name, vrid, priority, [f"{vip}{suffix}"], state="BACKUP",
                        advert=str(interval / 100).removesuffix(".0"), version=version)
    return Config(global_defs=GlobalDefs(router_id="fzz", garp_master_delay=1),
                  instances=[instance(name, vrid, version, priority, interval, vip)
                             for name, vrid, version, _, priority, interval, vip in INSTANCES])


# ------------------------------------------------------------------------------ streams


@dataclass(frozen=True)
class Streams:
    """The frame files and what the generator knows about them."""

    fuzz: Path
    flood: Path
    master_frame: bytes
    sent: dict[str, int]
    flood_count: int


def wire_of(lab: Lab) -> tuple[Wire, Macs]:
    d, tx = lab.host("d"), lab.host("tx")
    wire = Wire(source4=tx.ipv4, source6=tx.link_local, unicast4=d.ipv4,
                unicast6=d.link_local, spoof4=SPOOFED)
    return wire, Macs(source=tx.mac_bytes, unicast=d.mac_bytes)


def master_frame(tx: Host, macs: Macs) -> bytes:
    """The genuine master VI_FB follows: priority 254 from tx, every second."""
    _, vrid, version, _, _, interval, vip = INSTANCES[3]
    advert = Advertisement(version=version, vrid=vrid, priority=MASTER_PRIORITY,
                           interval_cs=interval, addresses=(vip,))
    payload = encode_message(advert, source=tx.ipv4, destination=VRRP_GROUP_V4)
    return frame(FuzzPacket(Kind.MUTANT, True, tx.ipv4, VRRP_GROUP_V4, 255, payload), macs)


def build_streams(lab: Lab, directory: Path, *, seed: int, packets: int,
                  flood_packets: int) -> Streams:
    wire, macs = wire_of(lab)
    sent = {"v4": 0, "v6": 0, "v6_bad_checksum": 0, "random": 0, "mutant": 0,
            "resummed": 0, "unicast": 0}
    frames = []
    for packet in generate(seed, packets, targets(), wire, foreign=FOREIGN_VRIDS):
        sent[f"v{packet.family}"] += 1
        if packet.family == 4 and len(packet.payload) > 1:
            vrid_key = f"v4_vrid_{packet.payload[1]}"  # what a VRID-filtered socket reads
            sent[vrid_key] = sent.get(vrid_key, 0) + 1
        sent[packet.kind.value] += 1
        sent["resummed"] += packet.resummed
        sent["unicast"] += not packet.destination.is_multicast
        sent["v6_bad_checksum"] += packet.family == 6 and not ipv6_checksum_ok(packet)
        frames.append(frame(packet, macs))
    fuzz = directory / "fuzz.frames"
    fuzz.write_bytes(pack_frames(frames))
    floods = [frame(p, macs) for p in flood(seed + 1, flood_packets, FOREIGN_VRIDS, wire,
                                            addresses=(FLOOD_VIP,))]
    flood_path = directory / "flood.frames"
    flood_path.write_bytes(pack_frames(floods))
    return Streams(fuzz, flood_path, master_frame(lab.host("tx"), macs), sent, len(floods))


# ------------------------------------------------------------------------------ sender


class Sender:
    """netlab.fuzz_send in tx, spoken to over its stdin/stdout; stopped by its PID."""

    def __init__(self, lab: Lab, master: bytes, log: Path) -> None:
        argv = lab.exec_argv("tx", [sys.executable, "-m", "netlab.fuzz_send", "--ifname",
                                    lab.host("tx").ifname, "--master", master.hex(),
                                    "--every", str(MASTER_EVERY)])
        self._err = log.open("wb")
        self.popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._err, cwd=CHECKOUT, text=True)
        self.ask(None, timeout=10.0)

    def ask(self, command: dict[str, object] | None, timeout: float) -> dict[str, object]:
        assert self.popen.stdin is not None
        assert self.popen.stdout is not None
        if command is not None:
            self.popen.stdin.write(json.dumps(command) + "\n")
            self.popen.stdin.flush()
        ready, _, _ = select.select([self.popen.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError(f"the sender did not answer {command} in {timeout} s")
        answer: dict[str, object] = json.loads(self.popen.stdout.readline() or "{}")
        return answer

    def send(self, path: Path, rate: float, limit: float, *, on: float = 0.0,
             off: float = 0.0) -> dict[str, object]:
        return self.ask({"send": str(path), "rate": rate, "limit": limit, "on": on,
                         "off": off}, limit + 30.0)

    def master_sent(self) -> int:
        return int(str(self.ask({"stats": True}, 10.0)["master_sent"]))

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(5.0)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5.0)
        for pipe in (self.popen.stdin, self.popen.stdout):
            if pipe is not None:
                pipe.close()
        self._err.close()


# ------------------------------------------------------------------------------ readings

Node = PrivatePyNode | PrivateKeepalived


def raw_sockets(lab: Lab) -> list[RawSocket]:
    """The IP protocol 112 sockets in d: queued octets and the kernel's drops (sk_drops).

    keepalived 2.2.7 opens two per family: one bound to the group, which it reads, and
    one it sends on and never reads, whose queue fills and then drops everything; those
    drops are no loss of the daemon's (`unread`).
    """
    out: list[RawSocket] = []
    for family, table in ((4, "/proc/net/raw"), (6, "/proc/net/raw6")):
        for line in lab.run("d", ["cat", table]).stdout.splitlines()[1:]:
            words = line.split()
            if len(words) >= 13 and words[1].endswith(":0070"):
                out.append(RawSocket(family, int(words[9]), words[1].split(":")[0],
                                     int(words[4].split(":")[1], 16), int(words[-1])))
    return out


def cpu_ticks(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        try:
            words = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(words[k]) for k in (11, 12, 13, 14))  # children waited for too
    return total


def daemon_pids(node: Node) -> list[int]:
    pids = [node.daemon_pid()]
    child = node.directory / "vrrp.pid"
    if isinstance(node, PrivateKeepalived) and child.exists():
        text = child.read_text().strip()
        if text.isdigit() and int(text) != pids[0]:
            pids.append(int(text))
    return pids


def read_view(node: Node) -> StatusView:
    pid = node.daemon_pid()
    text = read_dump(node.directory, "keepalived.json", pid, timeout=10.0)
    if isinstance(node, PrivateKeepalived):
        return parse_keepalived_json(text)
    status = node.directory / "pykeepalived.status.json"
    wait_for(status.exists, 10.0, what="pykeepalived.status.json")
    return parse_status(status.read_text())


def read(lab: Lab, node: Node) -> Reading:
    view = read_view(node)
    sockets = tuple(raw_sockets(lab))
    vips = {name: has_address(lab, "d", str(vip)) for name, *_, vip in INSTANCES}
    return Reading(view, sockets, len(node.log()), cpu_ticks(daemon_pids(node)), vips)


# ------------------------------------------------------------------------------ running


@dataclass(frozen=True)
class Settings:
    """`flood_seconds` of flood, sent `FLOOD_ON` s on, `FLOOD_OFF` s off: the quiet
    periods between are the baseline, so both share whatever else loads the machine."""

    rate: float
    flood_rate: float
    flood_seconds: float


def start_daemon(lab: Lab, implementation: str) -> Node:
    config = campaign_config()
    node: Node
    if implementation == "pykeepalived":
        node = PrivatePyNode(lab, "d", config, name="pyka")
    else:
        node = PrivateKeepalived(lab, "d", config, name="keepalived")
    node.start()
    for name in MASTERS:
        node.wait_for_log(f"({name}) Entering MASTER STATE", STARTUP)
    return node


def _settle_pykeepalived(lab: Lab, node: Node, before: Reading, sent: dict[str, int],
                         master_adverts: int) -> bool:
    """Until every socket read (or the kernel dropped) all that was sent to it."""
    def done() -> bool:
        now = read_view(node)
        for inst in now.instances:
            old = next(i for i in before.view.instances if i.name == inst.name)
            seen = sum(inst.extra_counters.get(k, 0) - old.extra_counters.get(k, 0)
                       for k in ("rx_datagrams", "rx_kernel_drops"))
            if seen < expected_reads(inst.name, sent, master_adverts):
                return False
        return True
    try:
        wait_for(done, SETTLE, interval=0.5, what="the daemon to read every packet")
    except TimeoutError:
        return False
    return True


def _settle_queues(lab: Lab) -> bool:
    """Until every socket's queue is empty or, never read, stays as it is (0.3 s apart)."""
    seen: list[tuple[tuple[int, int], ...]] = []

    def done() -> bool:
        seen.append(tuple(sorted((s.inode, s.queued) for s in raw_sockets(lab))))
        return len(seen) > 1 and seen[-1] == seen[-2]
    try:
        wait_for(done, SETTLE, interval=0.3, what="the daemon's socket queues to settle")
    except TimeoutError:
        return False
    return True


def run_phase(lab: Lab, node: Node, sender: Sender, name: str, path: Path, rate: float,
              count: int, sent: dict[str, int], *, on: float = 0.0,
              off: float = 0.0) -> Phase:
    phase = Phase(name)
    before = read(lab, node)
    master_before = sender.master_sent()
    duty = (on + off) / on if on > 0 and off > 0 else 1.0
    answer = sender.send(path, rate, limit=max(30.0, 3 * duty * count / max(rate, 1.0)),
                         on=on, off=off)
    phase.sent, phase.seconds = int(str(answer["sent"])), float(str(answer["seconds"]))
    master_adverts = int(str(answer["master_sent"])) - master_before
    if isinstance(node, PrivatePyNode):
        phase.settled = _settle_pykeepalived(lab, node, before, sent, master_adverts)
    phase.settled = _settle_queues(lab) and phase.settled
    phase.master_adverts = sender.master_sent() - master_before  # the daemon may read one more
    after = read(lab, node)
    phase_figures(phase, before, after, node.log())
    phase.window_ns = (int(str(answer["start_ns"])), int(str(answer["end_ns"])))
    segments = answer.get("segments", [])
    assert isinstance(segments, list)
    phase.segments = [(int(a), int(b)) for a, b in segments]
    return phase


def run_flood(lab: Lab, node: Node, sender: Sender, streams: Streams, settings: Settings,
              result: RunResult) -> None:
    """The flood, on and off, under the observer's capture; quiet periods are the baseline."""
    assert lab.workdir is not None
    out = lab.workdir / f"adverts-{result.implementation}.bin"
    seconds = settings.flood_seconds * (FLOOD_ON + FLOOD_OFF) / FLOOD_ON + 8
    capture = lab.spawn("obs", [sys.executable, "-m", "netlab.advert_log", "--seconds",
                                f"{seconds}", "--out", str(out)], name="adverts")
    wait_for(lambda: READY_LINE in capture.output(), 10.0, what="the capture")
    counts = {"v4": streams.flood_count, "v6": 0}
    result.flood = run_phase(lab, node, sender, "flood", streams.flood, settings.flood_rate,
                             streams.flood_count, counts, on=FLOOD_ON, off=FLOOD_OFF)
    wait_for(lambda: capture.popen.poll() is not None, seconds + 15.0, what="the capture")
    summary = json.loads(capture.output().strip().splitlines()[-1])
    result.capture_drops = int(summary["kernel_drops"])
    result.baseline_deviations_ms, result.flood_deviations_ms = split_deviations(
        read_records(out), str(lab.host("d").ipv4), result.flood.window_ns,
        result.flood.segments)


def run_implementation(lab: Lab, implementation: str, streams: Streams,
                       settings: Settings) -> RunResult:
    assert lab.workdir is not None
    sender = Sender(lab, streams.master_frame, lab.workdir / f"sender-{implementation}.log")
    try:
        node = start_daemon(lab, implementation)
        result = RunResult(implementation, Phase("fuzz"), Phase("flood"))
        result.fuzz = run_phase(lab, node, sender, "fuzz", streams.fuzz, settings.rate,
                                sum(streams.sent[f] for f in ("v4", "v6")), streams.sent)
        run_flood(lab, node, sender, streams, settings, result)
        assert node.process is not None
        result.alive = node.process.popen.poll() is None
        log = node.log()
        result.tracebacks = log.count("Traceback")
        result.exit_status = node.stop()
        result.problems = problems(result)
        return result
    finally:
        sender.stop()


