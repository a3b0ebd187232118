"""What one daemon costs with 1, 200 and 1,000 instances: pykeepalived beside keepalived.

    sudo .venv/bin/python -m bench.cost [--instances 1,200,1000] [--adverts 1,0.1]
                                        [--seconds 60] [--only pykeepalived|keepalived]
                                        [--no-backup | --backup-only] [--busy]
                                        [--rt-priority N] [--json [FILE]] [--logs DIR]

from the checkout root. A lab (netlab.lab, namespaces `cst-*`): a *director* runs the
daemon under test, a *backup* runs keepalived 2.2.7 as the BACKUP peer for the runs that
have one, an *observer* captures every advert with the kernel's receive time
(netlab.advert_log on all its interfaces). One interface carries at most 255 VRIDs, so
the instances are spread over LANs of `--per-interface` (200) each: eth0, then eth1, ...
(netlab.segments); instance `VI_s_v` has VRID v on eth{s} and VIP 192.0.2.(30 + v)/32
(the same VIPs on every LAN: there are not 1,000 documentation addresses).

For each N and advert interval (VRRPv3, `state MASTER`, priority 150, every instance
alone on its VRID, `vrrp_garp_master_delay 0`), each implementation in turn, quiet logging
(`-n -l`, no `-D`):
- *start-up*: from starting the daemon to every VIP on the director's interfaces (polled
  every 50 ms), and the CPU its processes had used by then (/proc);
- *steady state*, for `--seconds` after one more second: CPU of all its processes (ms per
  minute), VmRSS and VmHWM (summed), advert interval deviation over all instances
  (p99/max, intervals off by more than half an interval, the capture's drops);
- *with a BACKUP peer* (unless `--no-backup`): the same N instances in keepalived at
  priority 100 on the backup host, started once the director holds every VIP; over the
  window, every advert the backup sends and every MASTER transition it logs is a
  spurious takeover (must be 0);
- `--busy`: a CPU-bound process keeps one core busy during each window (issue 15's fast
  adverts: 0.01 s with the other core busy);
- `--rt-priority N`: `vrrp_rt_priority N` and `vrrp_rlimit_rttime 1000000` in every
  daemon's global_defs (the BACKUP's too), as a keepalived user sets them for fast adverts.
Every wait has a deadline; processes are stopped by the PIDs we started; the lab is torn
down at the end, exceptions included.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.checkers import Stopped, hold, uptime, wait_alive
from bench.checkers_report import HostLoad, advert_figures
from bench.cost_report import IMPLS, CostResult, Setting, as_json, table
from bench.failover import about_machine
from bench.procfs import CLOCK_TICKS, cpu_ticks, host_ticks, memory_kib
from netlab.advert_log import ANY, READY_LINE, intervals, read_records
from netlab.conf import Config, GlobalDefs, Instance
from netlab.lab import Lab
from netlab.peers import KeepalivedPeer, PyNode
from netlab.segments import add_segment

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netlab.advert_log import Advert

DIRECTOR, BACKUP, OBSERVER = "director", "backup", "observer"
PER_INTERFACE = 200
#: instance v of a LAN has VIP 192.0.2.(VIP_BASE + v)
VIP_BASE = 30
MASTER_LINE = "Entering MASTER STATE"
BACKUP_LINE = "Entering BACKUP STATE"
POLL = 0.05
STOP_GRACE = 60.0


# ---------------------------------------------------------------------------- the config

def layout(instances: int, per_interface: int) -> list[tuple[int, int]]:
    """(LAN, VRID) of each instance: LAN 0 first, `per_interface` VRIDs per LAN."""
    return [(n // per_interface, n % per_interface + 1) for n in range(instances)]


def vip_of(vrid: int) -> str:
    return f"192.0.2.{VIP_BASE + vrid}"


def cost_config(instances: int, per_interface: int, advert: str, *, priority: int,
                state: str, router_id: str, rt_priority: int | None = None) -> Config:
    """The same text for both implementations (and, at priority 100, the backup's);
    `rt_priority`: `vrrp_rt_priority` (with a 1 s realtime limit) for every daemon."""
    realtime = () if rt_priority is None else (f"vrrp_rt_priority {rt_priority}",
                                               "vrrp_rlimit_rttime 1000000")
    return Config(
        global_defs=GlobalDefs(router_id=router_id, vrrp_version=3, garp_master_delay=0,
                               extra=realtime),
        instances=[Instance(f"VI_{lan}_{vrid}", vrid, priority, [f"{vip_of(vrid)}/32"],
                            state=state, advert=advert, interface=f"eth{lan}")
                   for lan, vrid in layout(instances, per_interface)])


def expected_vips(instances: int, per_interface: int) -> set[tuple[str, str]]:
    return {(f"eth{lan}", vip_of(vrid)) for lan, vrid in layout(instances, per_interface)}


# ---------------------------------------------------------------------------- daemons

class QuietPy(PyNode):
    """pykeepalived logging as an operator runs it: no `-D`."""

    def argv(self) -> list[str]:
        return [arg for arg in super().argv() if arg != "-D"]


class QuietKeepalived(KeepalivedPeer):
    def argv(self) -> list[str]:
        return [arg for arg in super().argv() if arg != "-D"]


Node = PyNode | KeepalivedPeer


def make_daemon(lab: Lab, impl: str, host: str, config: Config, name: str) -> Node:
    if impl == "pykeepalived":
        return QuietPy(lab, host, config, name=name)
    return QuietKeepalived(lab, host, config, name=name)


def descendants(pid: int) -> list[int]:
    """The process and every live descendant (keepalived's VRRP child, a checker child)."""
    found: list[int] = []
    todo = [pid]
    while todo and len(found) < 64:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_ms(pids: Sequence[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += cpu_ticks(pid)
    return total * 1000 / CLOCK_TICKS


def all_present(lab: Lab, host: str, wanted: set[tuple[str, str]]) -> bool:
    """Every wanted pair is there; False too when `ip` cannot answer in time (a daemon
    adding 1,000 addresses holds the kernel's rtnl lock for seconds): ask again later."""
    try:
        return present_vips(lab, host, wanted) == wanted
    except subprocess.TimeoutExpired:
        return False


def present_vips(lab: Lab, host: str, wanted: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The wanted (interface, VIP) pairs the host has now."""
    shown = lab.host(host).ip("-o", "-4", "addr", "show")
    pairs = set()
    for line in shown.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] == "inet":
            pairs.add((fields[1], fields[3].split("/")[0]))
    return pairs & wanted


def clean_vips(lab: Lab, host: str, wanted: set[tuple[str, str]]) -> int:
    """After a stop: wait (bounded) for the VIPs to go; remove and count any left."""
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        with contextlib.suppress(subprocess.TimeoutExpired):
            if not (left := present_vips(lab, host, wanted)):
                break
        time.sleep(0.1)
    left = present_vips(lab, host, wanted)
    for ifname, vip in sorted(left):
        lab.host(host).ip("addr", "del", f"{vip}/32", "dev", ifname)
    return len(left)


# ---------------------------------------------------------------------------- one run

class Runner:
    def __init__(self, lab: Lab, args: argparse.Namespace,
                 backup_sources: set[str]) -> None:
        self.lab = lab
        self.args = args
        self.backup_sources = backup_sources
        self.count = 0

    def measure(self, impl: str, setting: Setting) -> CostResult:
        args = self.args
        result = CostResult(impl, setting)
        wanted = expected_vips(setting.instances, args.per_interface)
        self.count += 1
        config = cost_config(setting.instances, args.per_interface, setting.advert,
                             priority=150, state="MASTER", router_id="cost",
                             rt_priority=args.rt_priority)
        node = make_daemon(self.lab, impl, DIRECTOR, config, f"run{self.count}-{impl}")
        peer: BackupPeer | None = None
        try:
            started = time.monotonic()
            node.start()
            assert node.process is not None
            main = node.process.pid
            startup_limit = 30.0 + 0.06 * setting.instances + 4 * setting.advert_s
            wait_alive(node, lambda: all_present(self.lab, DIRECTOR, wanted),
                       startup_limit, f"{len(wanted)} VIPs on the director")
            result.startup_cpu_ms = round(cpu_ms(descendants(main)), 1)
            result.startup_ms = round((time.monotonic() - started) * 1000, 1)
            if setting.backup:
                peer = self.start_backup(setting)
            hold(node, 1.0)
            self.window(node, main, result)
            if peer is not None:
                result.backup_masters = peer.log().count(MASTER_LINE) - peer.masters_before
        except Stopped as stopped:
            result.error = str(stopped)
        except (TimeoutError, RuntimeError, OSError, ValueError,
                subprocess.SubprocessError) as error:
            result.error = f"{type(error).__name__}: {error}"
        finally:
            if peer is not None:
                peer.stop()
            assert node.process is not None
            status = node.process.stop(timeout=STOP_GRACE)
            if status != 0 and result.error is None:
                result.notes.append(f"exit status {status} after SIGTERM")
            for host in (DIRECTOR, BACKUP):
                left = clean_vips(self.lab, host, wanted)
                if left:
                    result.notes.append(f"{left} VIPs left on {host} after the stop")
        progress(f"{impl} {setting.label}: {result.error or summary(result)}")
        return result

    def start_backup(self, setting: Setting) -> BackupPeer:
        config = cost_config(setting.instances, self.args.per_interface, setting.advert,
                             priority=100, state="BACKUP", router_id="costbackup",
                             rt_priority=self.args.rt_priority)
        peer = BackupPeer(self.lab, BACKUP, config, name=f"run{self.count}-backup")
        peer.start()
        wait_alive(peer, lambda: peer.log().count(BACKUP_LINE) >= setting.instances,
                   30.0 + 0.06 * setting.instances, "the BACKUP's instances")
        # its first Master_Down_Interval (3 adverts + skew) passes while it hears us
        hold(peer, 4 * setting.advert_s)
        peer.masters_before = peer.log().count(MASTER_LINE)
        return peer

    def window(self, node: Node, main: int, result: CostResult) -> None:
        seconds = self.args.seconds
        assert self.lab.workdir is not None
        out = self.lab.workdir / f"adverts-{self.count}.bin"
        observer = self.lab.spawn(OBSERVER, [sys.executable, "-m", "netlab.advert_log",
                                             "--seconds", str(seconds), "--out", str(out),
                                             "--ifname", ANY], name="adverts")
        wait_alive(node, lambda: READY_LINE in observer.output()
                   or observer.popen.poll() is not None, 30.0, "the advert capture")
        if READY_LINE not in observer.output():
            raise RuntimeError(f"advert capture failed: {observer.output()[-500:]}")
        pids = descendants(main)
        burner = busy_core() if self.args.busy else None
        try:
            first, host_first, load1 = cpu_ms(pids), host_ticks(), os.getloadavg()[0]
            t0 = time.monotonic()
            try:
                observer.popen.wait(seconds + 30.0)
            except subprocess.TimeoutExpired as error:
                raise RuntimeError("the advert capture did not finish") from error
            t1 = time.monotonic()
        finally:
            if burner is not None:
                burner.kill()
                burner.wait(5.0)
        if pids != descendants(main):
            result.notes.append(f"processes changed during the window: {pids} -> "
                                f"{descendants(main)}")
        last, host_last = cpu_ms(pids), host_ticks()
        if node.process is not None and node.process.popen.poll() is not None:
            raise Stopped(f"the daemon exited during the window "
                          f"(status {node.process.popen.returncode})")
        memory = [memory_kib(pid) for pid in pids]
        result.window_s = round(t1 - t0, 2)
        result.cpu_ms_per_min = round((last - first) / (t1 - t0) * 60, 1)
        result.rss_mib = round(sum(rss for rss, _ in memory) / 1024, 1)
        result.hwm_mib = round(sum(hwm for _, hwm in memory) / 1024, 1)
        result.processes = {str(pid): round(rss / 1024, 1) for pid, (rss, _) in
                            zip(pids, memory, strict=True)}
        busy, steal, total = (b - a for b, a in zip(host_last, host_first, strict=True))
        result.host = HostLoad(round(100 * busy / total, 1) if total else 0.0,
                               round(100 * steal / total, 1) if total else 0.0,
                               round(load1, 2))
        if observer.popen.returncode != 0:
            raise RuntimeError(f"advert capture failed: {observer.output()[-500:]}")
        captured: dict[str, int] = json.loads(observer.output().strip().splitlines()[-1])
        self.count_adverts(result, read_records(out), captured)

    def count_adverts(self, result: CostResult, records: list[Advert],
                      captured: dict[str, int]) -> None:
        ours = [a for a in records if a.source not in self.backup_sources]
        theirs = [a for a in records if a.source in self.backup_sources and a.priority]
        result.backup_adverts = len(theirs)
        result.backup_instances = len({(a.source, a.vrid) for a in theirs})
        result.adverts = advert_figures(intervals(ours), result.setting.advert_s, len(ours),
                                        captured["kernel_packets"], captured["kernel_drops"])
        if result.adverts.instances_seen != result.setting.instances:
            result.notes.append(f"adverts seen from {result.adverts.instances_seen} of "
                                f"{result.setting.instances} instances")


class BackupPeer(QuietKeepalived):
    """The keepalived BACKUP; `masters_before`: its MASTER lines when the window opens."""

    masters_before = 0


def summary(result: CostResult) -> str:
    a = result.adverts
    assert a is not None
    backup = (f", spurious takeovers {result.spurious_takeovers}"
              if result.setting.backup else "")
    return (f"start-up {result.startup_ms:.0f} ms / {result.startup_cpu_ms:.0f} ms CPU; "
            f"CPU {result.cpu_ms_per_min:.0f} ms/min; RSS {result.rss_mib:.1f} MiB; "
            f"p99 {a.p99_ms:.2f} max {a.max_ms:.2f} ms, missed {a.missed}, "
            f"drops {a.kernel_drops}{backup}")


def busy_core() -> subprocess.Popen[bytes]:
    """A process that keeps one core busy for the window (`--busy`): the daemons share
    the machine with a CPU-bound neighbour. Ended by the caller, by its PID."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def progress(message: str) -> None:
    print(f"[bench.cost] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- main

def settings(args: argparse.Namespace) -> list[Setting]:
    grid = [] if args.backup_only else [Setting(n, advert) for n in args.instances
                                        for advert in args.adverts]
    if args.backup:
        grid += [Setting(n, advert, backup=True) for n in args.instances
                 for advert in args.adverts]
    return grid


def run_all(args: argparse.Namespace) -> list[CostResult]:
    impls = [args.only] if args.only else list(IMPLS)
    lans = math.ceil(max(args.instances) / args.per_interface)
    results = []
    with Lab([DIRECTOR, BACKUP, OBSERVER], prefix="cst", workdir=args.logs) as lab:
        backup_sources = {str(lab.host(BACKUP).ipv4)}
        for lan in range(1, lans):
            backup_sources.add(str(add_segment(lab, lan, [DIRECTOR, BACKUP, OBSERVER])[BACKUP]))
        runner = Runner(lab, args, backup_sources)
        for setting in settings(args):
            results += [runner.measure(impl, setting) for impl in impls]
    return results


def _numbers(text: str, kind: type[float] | type[int]) -> list[float]:
    return [kind(part) for part in text.split(",") if part]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cost",
                                     description="CPU, memory, start-up and advert timing "
                                     "with N instances, pykeepalived vs keepalived (root)")
    parser.add_argument("--instances", default="1,200,1000",
                        help="instance counts, comma-separated (1-1000 each)")
    parser.add_argument("--adverts", default="1,0.1",
                        help="advert intervals in seconds, comma-separated (0.01-40)")
    parser.add_argument("--seconds", type=float, default=60.0, help="window (1-600)")
    parser.add_argument("--per-interface", type=int, default=PER_INTERFACE,
                        help=f"instances per LAN (1-{PER_INTERFACE})")
    parser.add_argument("--only", choices=IMPLS, help="one implementation")
    parser.add_argument("--no-backup", dest="backup", action="store_false",
                        help="skip the runs with a keepalived BACKUP peer")
    parser.add_argument("--backup-only", action="store_true",
                        help="only the runs with a keepalived BACKUP peer")
    parser.add_argument("--busy", action="store_true",
                        help="keep one core busy with a CPU-bound process in each window")
    parser.add_argument("--rt-priority", type=int, metavar="N",
                        help="vrrp_rt_priority N (and a 1 s vrrp_rlimit_rttime) for the "
                             "daemons and the BACKUP, as a keepalived user with fast "
                             "adverts sets it")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="JSON on stdout instead of the table, or (FILE) also to FILE")
    parser.add_argument("--logs", metavar="DIR", type=Path,
                        help="keep daemon logs, configs and captures in DIR")
    args = parser.parse_args(argv)
    try:
        args.instances = [int(n) for n in _numbers(args.instances, int)]
        args.adverts = [part for part in args.adverts.split(",") if part]
        seconds = [float(a) for a in args.adverts]
    except ValueError:
        parser.error("--instances and --adverts take comma-separated numbers")
    if not args.instances or not all(1 <= n <= 1000 for n in args.instances):
        parser.error("--instances: each between 1 and 1000")
    if not seconds or not all(0.01 <= a <= 40 for a in seconds):
        parser.error("--adverts: each between 0.01 and 40 seconds")
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be between 1 and 600")
    if args.backup_only and not args.backup:
        parser.error("--backup-only and --no-backup exclude each other")
    if not 1 <= args.per_interface <= PER_INTERFACE:
        parser.error(f"--per-interface must be between 1 and {PER_INTERFACE}")
    if math.ceil(max(args.instances) / args.per_interface) > 14:
        parser.error("at most 14 LANs: raise --per-interface")
    return args


def preflight(args: argparse.Namespace) -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if shutil.which("ip") is None:
        return "needs iproute2 (`ip`)"
    if (args.only != "pykeepalived" or args.backup) and shutil.which("keepalived") is None:
        return "needs the keepalived binary (Debian package keepalived)"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    problem = preflight(args)
    if problem:
        print(f"bench.cost: {problem}", file=sys.stderr)
        return 2
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    about: dict[str, object] = {**about_machine(), "load_before": uptime(),
                                "seconds": args.seconds, "per_interface": args.per_interface,
                                "rt_priority": args.rt_priority}
    results = run_all(args)
    about["load_after"] = uptime()
    figures = as_json(results, about)
    if args.json == "-":
        print(json.dumps(figures, indent=2))
    else:
        print(f"{about['date']}; {about['machine']}; Python {about['python']}; "
              f"{about['keepalived']}")
        print(f"load before: {about['load_before']}\nload after:  {about['load_after']}")
        print(f"VRRPv3, every instance MASTER alone on its VRID, {args.per_interface} per "
              f"LAN; window {args.seconds:g} s; quiet logging (no -D)\n")
        print(table(results))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if any(not r.measured for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
