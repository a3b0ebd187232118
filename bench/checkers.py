"""Do 1,000 health checks delay VRRP adverts? pykeepalived next to keepalived 2.2.7.

    sudo .venv/bin/python -m bench.checkers [--seconds 30] [--servers 1000] [--instances 200]
                                            [--only pykeepalived|keepalived] [--json [FILE]]

from the checkout root. A lab (netlab.lab, namespaces `ckb-*`): a director (192.0.2.11)
runs the daemon, a servers host (192.0.2.12) runs every real server in one process
(netlab.real_servers: addresses 198.51.100.x, half for TCP_CHECK, half for HTTP_GET, a
few down), an observer (192.0.2.13) captures every advert with the kernel's receive time
(netlab.advert_log). The director runs N VRRPv3 instances at advert_int 0.1, each alone
on its VRID and so MASTER, and, for the runs with checks, virtual servers holding the
real servers (delay_loop 1, connect_timeout 1).

Runs, in this order, same lab: (a) pykeepalived, VRRP only; (b) pykeepalived with the
checks (its checker child runs; the host kernel has no IPVS, which it logs once); (c)
keepalived, VRRP only; (d) keepalived with (b)'s config: if it exits (its checker cannot
initialise IPVS on this kernel), its status and log lines are recorded and it runs again
with `-P` (VRRP only) for its VRRP figures with that config.

Each run waits for every instance to be MASTER, for the runs with checks for the first
full check cycle (a verdict logged for every real server), then one more second (the
transitions' gratuitous ARPs are over), then measures for `--seconds`: advert interval
deviation from 100 ms over all instances (p50/p99/max), CPU of each daemon process from
/proc (utime+stime, per minute), its VmRSS and VmHWM at the window's end, and, with
checks, the connections each real server accepted in the window (check cycles). Every
wait has a deadline; processes are stopped by the PIDs we started; the lab is torn down.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.checkers_report import (
    AdvertFigures,
    CheckFigures,
    Exit,
    HostLoad,
    ProcessFigures,
    RunResult,
    RunSpec,
    advert_figures,
    as_json,
    cpu_per_minute,
    table,
    window_cycles,
)
from bench.failover import about_machine
from bench.procfs import CLOCK_TICKS, cpu_ticks, host_ticks, memory_kib, parent_of
from netlab.advert_log import READY_LINE as CAPTURE_READY
from netlab.advert_log import intervals, read_records
from netlab.conf import Block, Config, GlobalDefs, Instance
from netlab.lab import Lab, wait_for
from netlab.peers import KeepalivedPeer, PyNode
from netlab.real_servers import READY_LINE as FARM_READY
from netlab.real_servers import RealServer, farm_addresses, layout

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

DIRECTOR, SERVERS, OBSERVER = "director", "servers", "observer"
ADVERT_INT = 0.1
ADVERT = "0.1"
MAX_INSTANCES = 200
#: instance n (1-based) has VRID n and VIP 192.0.2.(VIP_BASE + n)
VIP_BASE = 29
VS_ADDRESS = "192.0.2.250"
VS_BASE_PORT = 8000
SERVERS_PER_VS = 100
FARM_NET = "198.51.100.0/24"
#: after the last instance became MASTER (and the first check cycle), before measuring
SETTLE = 1.0
STOP_GRACE = 30.0
MASTER_LINE = "Entering MASTER STATE"
RS = r"(\[[^\]]+\]:tcp:\d+)"
UP_VERDICT = re.compile(rf"TCP connection to {RS} success\.|Remote Web server {RS} succeed")
DOWN_VERDICT = re.compile(rf"TCP_CHECK on service {RS} failed|HTTP_CHECK on service {RS} "
                          "failed")
#: keepalived's lines worth keeping when it ends on its own (its shutdown of each real
#: server is counted, not listed)
EXIT_WORDS = ("IPVS", "ipvs", "Healthcheck", "exited", "Terminat", "Stopp", "fatal",
              "FATAL", "child process")
SHUTDOWN_LINE = "Shutting down service"


# ---------------------------------------------------------------------------- the config

def real_server_block(rs: RealServer) -> Block:
    if rs.kind == "TCP":
        check = Block("TCP_CHECK", ["connect_timeout 1"])
    else:
        check = Block("HTTP_GET", [Block("url", ["path /health", "status_code 200"]),
                                   "connect_timeout 1"])
    return Block(f"real_server {rs.address} {rs.port}", ["weight 1", check])


def bench_config(instances: int, servers: int, checks: bool) -> Config:
    """N lone MASTER instances; with `checks`, the farm's real servers in virtual servers
    of SERVERS_PER_VS each. The same text for both implementations."""
    vrrp = [Instance(f"VI_{n}", n, 150, [f"192.0.2.{VIP_BASE + n}/32"], state="MASTER",
                     advert=ADVERT) for n in range(1, instances + 1)]
    farm = layout(servers)
    blocks = [Block(f"virtual_server {VS_ADDRESS} {VS_BASE_PORT + j}",
                    ["delay_loop 1", "lb_algo rr", "lb_kind NAT", "protocol TCP",
                     *(real_server_block(rs) for rs in farm[start:start + SERVERS_PER_VS])])
              for j, start in enumerate(range(0, servers, SERVERS_PER_VS))] if checks else []
    return Config(global_defs=GlobalDefs(router_id="ckbench", vrrp_version=3,
                                         garp_master_delay=0),
                  instances=vrrp, blocks=blocks)


def vips(instances: int) -> list[str]:
    return [f"192.0.2.{VIP_BASE + n}" for n in range(1, instances + 1)]


# ---------------------------------------------------------------------------- processes

class FlaggedKeepalived(KeepalivedPeer):
    """keepalived with extra flags (`-P`: the VRRP subsystem only)."""

    def __init__(self, lab: Lab, host: str, config: Config, *, name: str,
                 flags: Sequence[str]) -> None:
        super().__init__(lab, host, config, name=name)
        self.flags = list(flags)

    def argv(self) -> list[str]:
        return [*super().argv(), *self.flags]


Node = PyNode | KeepalivedPeer


def make_daemon(lab: Lab, spec: RunSpec, config: Config) -> Node:
    name = f"run-{spec.key}{''.join(spec.flags)}"
    if spec.impl == "pykeepalived":
        return PyNode(lab, DIRECTOR, config, name=name)
    return FlaggedKeepalived(lab, DIRECTOR, config, name=name, flags=spec.flags)


def pid_file(node: Node, name: str, parent: int, timeout: float = 30.0) -> int:
    """A child's pid from its pid file, once it names a live child of `parent`; a daemon
    that exits meanwhile ends the wait at once (Stopped), as keepalived does when its
    checker cannot initialise IPVS after its VRRP instances became MASTER."""
    path = node.directory / name
    found: list[int] = []

    def written() -> bool:
        with contextlib.suppress(OSError, ValueError):
            pid = int(path.read_text().strip())
            if parent_of(pid) == parent:
                found.append(pid)
                return True
        return False
    wait_alive(node, written, timeout, f"a live pid in {path}")
    return found[-1]


def daemon_pids(spec: RunSpec, node: Node) -> dict[str, int]:
    """The processes to measure, by role: pykeepalived's main (its VRRP process) and
    checker child; keepalived's parent, VRRP child and checker child."""
    assert node.process is not None
    main = node.process.pid
    checker = spec.checks and "-P" not in spec.flags
    if spec.impl == "pykeepalived":
        pids = {"main": main}
        if checker:
            pids["checker"] = pid_file(node, "checkers.pid", main)
        return pids
    pids = {"parent": main, "vrrp": pid_file(node, "vrrp.pid", main)}
    if checker:
        pids["checker"] = pid_file(node, "checkers.pid", main)
    return pids


# ---------------------------------------------------------------------------- the farm

class Farm:
    """The real servers' process on the servers host, and their connection counts."""

    def __init__(self, lab: Lab, servers: int) -> None:
        self.lab = lab
        self.servers = layout(servers)
        for address in farm_addresses(servers):
            lab.host(SERVERS).ip("addr", "add", f"{address}/32", "dev", "eth0")
        lab.host(DIRECTOR).ip("route", "add", FARM_NET, "dev", "eth0")
        self.process = lab.spawn(SERVERS, [sys.executable, "-m", "netlab.real_servers",
                                           "--servers", str(servers)], name="farm")
        wait_for(lambda: FARM_READY in self.process.output()
                 or self.process.popen.poll() is not None, 60.0, what="the real servers")
        if FARM_READY not in self.process.output():
            raise RuntimeError(f"real servers did not start: {self.process.output()[-500:]}")
        first = self.servers[0].address
        if not lab.pings(DIRECTOR, first):
            raise RuntimeError(f"the director cannot reach the real servers ({first})")

    @property
    def healthy(self) -> list[str]:
        """The servers checked once per delay_loop (a failing one is on retry timing)."""
        return [rs.key for rs in self.servers if rs.up]

    def counts(self) -> dict[str, int]:
        """Ask the farm (SIGUSR1) for its counts; the fresh JSON line it prints."""
        marker = '{"counts"'
        before = self.process.output().count(marker)
        os.kill(self.process.pid, signal.SIGUSR1)
        wait_for(lambda: self.process.output().count(marker) > before, 10.0, interval=0.02,
                 what="the real servers' counts")
        line = [ln for ln in self.process.output().splitlines() if ln.startswith(marker)][-1]
        counts: dict[str, int] = json.loads(line)["counts"]
        return counts


# ---------------------------------------------------------------------------- one run

class Stopped(Exception):
    """The daemon ended on its own while we waited for it."""


def wait_alive(node: Node, predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """wait_for, but a daemon that exits ends the wait at once (Stopped)."""
    assert node.process is not None
    popen = node.process.popen

    def done() -> bool:
        if popen.poll() is not None:
            raise Stopped(f"{what}: the daemon exited with status {popen.returncode}")
        return predicate()
    wait_for(done, timeout, interval=0.05, what=what)


def hold(node: Node, seconds: float) -> None:
    """Let `seconds` pass, watching that the daemon stays up (a deliberate pause before
    measuring, not a wait for anything)."""
    deadline = time.monotonic() + seconds
    wait_alive(node, lambda: time.monotonic() >= deadline, seconds + 1.0, "the settle time")


def verdicts(log: str) -> tuple[set[str], set[str]]:
    """Real servers with a first verdict in the log: (up, down)."""
    up = {next(g for g in m.groups() if g) for m in UP_VERDICT.finditer(log)}
    down = {next(g for g in m.groups() if g) for m in DOWN_VERDICT.finditer(log)}
    return up, down


def exit_record(lab: Lab, node: Node, started: float, instances: int) -> Exit:
    assert node.process is not None
    status = node.process.popen.poll()
    log = node.log()
    shutdowns = log.count(SHUTDOWN_LINE)
    lines = [line for line in log.splitlines()
             if any(w in line for w in EXIT_WORDS) and SHUTDOWN_LINE not in line]
    if shutdowns:
        lines.append(f"({shutdowns} lines 'Shutting down service [...] from VS [...]')")
    left = [vip for vip in vips(instances) if f" {vip}/" in director_addresses(lab)]
    return Exit(status, round(time.monotonic() - started, 1), tuple(lines[-30:]),
                log.count(MASTER_LINE), len(left))


def director_addresses(lab: Lab) -> str:
    return lab.host(DIRECTOR).ip("-o", "addr", "show", "dev", "eth0")


def clean_vips(lab: Lab, instances: int) -> int:
    """After a stop: wait (bounded) for the VIPs to go; remove and count any left."""
    wanted = vips(instances)

    def left() -> list[str]:
        shown = director_addresses(lab)
        return [vip for vip in wanted if f" {vip}/" in shown]
    with contextlib.suppress(TimeoutError):
        wait_for(lambda: not left(), 10.0, interval=0.1, what="the VIPs to go")
    remaining = left()
    for vip in remaining:
        lab.host(DIRECTOR).ip("addr", "del", f"{vip}/32", "dev", "eth0")
    return len(remaining)


def capture_window(lab: Lab, node: Node, pids: dict[str, int], seconds: float,
                   out: Path) -> tuple[dict[str, object], float, list[ProcessFigures],
                                       HostLoad]:
    """Capture adverts for `seconds` with /proc samples at both ends."""
    observer = lab.spawn(OBSERVER, [sys.executable, "-m", "netlab.advert_log", "--seconds",
                                    str(seconds), "--out", str(out)], name="adverts")
    wait_alive(node, lambda: CAPTURE_READY in observer.output()
               or observer.popen.poll() is not None, 30.0, "the advert capture to start")
    if CAPTURE_READY not in observer.output():
        raise RuntimeError(f"advert capture failed: {observer.output()[-500:]}")
    first = {role: cpu_ticks(pid) for role, pid in pids.items()}
    host_first = host_ticks()
    load1 = os.getloadavg()[0]
    t0 = time.monotonic()
    try:
        observer.popen.wait(seconds + 30.0)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError("the advert capture did not finish") from error
    t1 = time.monotonic()
    host_last = host_ticks()
    assert node.process is not None
    if node.process.popen.poll() is not None:
        raise Stopped(f"the daemon exited during the window (status "
                      f"{node.process.popen.returncode})")
    figures = []
    for role, pid in pids.items():
        rss, hwm = memory_kib(pid)
        figures.append(ProcessFigures(role, pid, cpu_per_minute(cpu_ticks(pid) - first[role],
                                                                 t1 - t0, CLOCK_TICKS),
                                      rss, hwm))
    if observer.popen.returncode != 0:
        raise RuntimeError(f"advert capture failed: {observer.output()[-500:]}")
    summary: dict[str, object] = json.loads(observer.output().strip().splitlines()[-1])
    busy, steal, total = (last - first for last, first in zip(host_last, host_first,
                                                                  strict=True))
    host = HostLoad(round(100 * busy / total, 1) if total else 0.0,
                    round(100 * steal / total, 1) if total else 0.0, round(load1, 2))
    return summary, t1 - t0, figures, host


def measure(lab: Lab, farm: Farm, spec: RunSpec, args: argparse.Namespace) -> RunResult:
    result = RunResult(spec)
    node = make_daemon(lab, spec, bench_config(args.instances, args.servers, spec.checks))
    started = time.monotonic()
    node.start()
    progress(f"{spec.label}: started")
    try:
        wait_alive(node, lambda: node.log().count(MASTER_LINE) >= args.instances,
                   30.0 + 0.1 * args.instances, f"{args.instances} instances MASTER")
        checker_pids = daemon_pids(spec, node)
        checks_run = spec.checks and "-P" not in spec.flags
        up: set[str] = set()
        down: set[str] = set()
        if checks_run:
            def first_cycle() -> bool:
                nonlocal up, down
                up, down = verdicts(node.log())
                return len(up | down) >= int(args.servers)
            wait_alive(node, first_cycle, 60.0 + 0.05 * args.servers,
                       "a first verdict for every real server")
        first_cycle_s = time.monotonic() - started
        hold(node, SETTLE)
        progress(f"{spec.label}: measuring {args.seconds:g} s")
        before = farm.counts() if checks_run else {}
        assert lab.workdir is not None
        out = lab.workdir / f"adverts-{spec.key}{''.join(spec.flags)}.bin"
        summary, window, processes, result.host = capture_window(lab, node, checker_pids,
                                                                 args.seconds, out)
        after = farm.counts() if checks_run else {}
        result.window_s = round(window, 2)
        result.processes = processes
        result.adverts = adverts_of(summary, out)
        if result.adverts.kernel_drops:
            result.notes.append(f"the capture dropped {result.adverts.kernel_drops} frames: "
                                "intervals around them are wrong")
        if result.adverts.instances_seen != args.instances:
            result.notes.append(f"adverts seen from {result.adverts.instances_seen} of "
                                f"{args.instances} instances")
        if checks_run:
            low, median, high, total = window_cycles(before, after, farm.healthy)
            result.checks = CheckFigures(args.servers, len(up), len(down),
                                         round(first_cycle_s, 1), low, median, high, total)
            if "checker" in checker_pids and checker_pids["checker"] != pid_file(
                    node, "checkers.pid", checker_pids["main" if spec.impl == "pykeepalived"
                                                       else "parent"]):
                result.notes.append("the checker child was replaced during the run")
    except Stopped as stopped:
        result.exit = exit_record(lab, node, started, args.instances)
        if not spec.expect_exit:
            result.error = str(stopped)
    except (TimeoutError, RuntimeError, OSError, ValueError) as error:
        result.error = f"{type(error).__name__}: {error}"
    finally:
        assert node.process is not None
        status = node.process.stop(signal.SIGTERM, STOP_GRACE)
        if result.exit is None and status != 0:
            result.notes.append(f"exit status {status} after SIGTERM")
        left = clean_vips(lab, args.instances)
        if left:
            result.notes.append(f"{left} VIPs were left on the director after it stopped")
    progress(f"{spec.label}: " + (result.error or ("exited on its own" if result.exit else
                                                   summary_line(result))))
    return result


def adverts_of(summary: dict[str, object], out: Path) -> AdvertFigures:
    adverts = int(str(summary["adverts"]))
    return advert_figures(intervals(read_records(out)), ADVERT_INT, adverts,
                          int(str(summary["kernel_packets"])),
                          int(str(summary["kernel_drops"])))


def summary_line(result: RunResult) -> str:
    a = result.adverts
    assert a is not None
    cpu = ", ".join(f"{p.role} {p.cpu_s_per_min:.1f}" for p in result.processes)
    return (f"p50 {a.p50_ms:.2f} p99 {a.p99_ms:.2f} max {a.max_ms:.2f} ms, "
            f"{a.kernel_drops} dropped; CPU s/min {cpu}")


def progress(message: str) -> None:
    print(f"[bench.checkers] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- main

PY_RUNS = (RunSpec("a", "pykeepalived", False), RunSpec("b", "pykeepalived", True))
KA_RUNS = (RunSpec("c", "keepalived", False), RunSpec("d", "keepalived", True,
                                                      expect_exit=True))
KA_VRRP_ONLY = RunSpec("d", "keepalived", True, flags=("-P",))


def run_all(args: argparse.Namespace) -> list[RunResult]:
    results: list[RunResult] = []
    specs = [*(PY_RUNS if args.only != "keepalived" else ()),
             *(KA_RUNS if args.only != "pykeepalived" else ())]
    with Lab([DIRECTOR, SERVERS, OBSERVER], prefix="ckb", workdir=args.logs) as lab:
        farm = Farm(lab, args.servers)
        for spec in specs:
            result = measure(lab, farm, spec, args)
            results.append(result)
            if spec.expect_exit and result.exit is not None:
                results.append(measure(lab, farm, KA_VRRP_ONLY, args))
    return results


def uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True, timeout=10, check=False)
    return done.stdout.strip() or "load average: {:.2f}, {:.2f}, {:.2f}".format(
        *os.getloadavg())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.checkers",
                                     description="VRRP advert timing beside 1,000 health "
                                     "checks, pykeepalived vs keepalived (root)")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="measuring window per run (1-600)")
    parser.add_argument("--servers", type=int, default=1000, help="real servers (1-10000)")
    parser.add_argument("--instances", type=int, default=MAX_INSTANCES,
                        help=f"VRRP instances (1-{MAX_INSTANCES})")
    parser.add_argument("--only", choices=("pykeepalived", "keepalived"),
                        help="one implementation")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="JSON on stdout instead of the table, or (FILE) also to FILE")
    parser.add_argument("--logs", metavar="DIR", type=Path,
                        help="keep daemon, farm and capture files in DIR")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be between 1 and 600")
    if not 1 <= args.servers <= 10000:
        parser.error("--servers must be between 1 and 10000")
    if not 1 <= args.instances <= MAX_INSTANCES:
        parser.error(f"--instances must be between 1 and {MAX_INSTANCES}")
    return args


def preflight(only: str | None) -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if shutil.which("ip") is None:
        return "needs iproute2 (`ip`)"
    if only != "pykeepalived" and shutil.which("keepalived") is None:
        return "needs the keepalived binary (Debian package keepalived), or --only pykeepalived"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    problem = preflight(args.only)
    if problem:
        print(f"bench.checkers: {problem}", file=sys.stderr)
        return 2
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    about: dict[str, object] = {**about_machine(), "load_before": uptime(),
                                "seconds": args.seconds, "servers": args.servers,
                                "instances": args.instances}
    results = run_all(args)
    about["load_after"] = uptime()
    figures = as_json(results, about)
    if args.json == "-":
        print(json.dumps(figures, indent=2))
    else:
        farm = layout(args.servers)
        down = sum(1 for rs in farm if not rs.up)
        print(f"{about['date']}; {about['machine']}; {about['keepalived']}")
        print(f"load before: {about['load_before']}")
        print(f"load after:  {about['load_after']}")
        print(f"{args.instances} VRRPv3 instances at advert_int {ADVERT}, each MASTER alone; "
              f"{args.servers} real servers ({sum(rs.kind == 'TCP' for rs in farm)} TCP_CHECK, "
              f"{sum(rs.kind == 'HTTP' for rs in farm)} HTTP_GET, {down} down), delay_loop 1; "
              f"window {args.seconds:g} s per run")
        print()
        print(table(results, interval=ADVERT_INT))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    failed = [r for r in results if r.error is not None]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
