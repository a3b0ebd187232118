"""Client-observed failover gap: pykeepalived next to keepalived 2.2.7, same run, same LAN.

    sudo .venv/bin/python -m bench.failover [--runs 10] [--only v2|v3|v3fast]
                                            [--impl pykeepalived|keepalived] [--json FILE]

from the checkout root. A lab (netlab.lab) with routers r1 (192.0.2.11, priority 150)
and r2 (.12, 100) and a client (.13). Both routers run the same keepalived.conf text, VIP
192.0.2.100, and a UDP echo bound to the VIP that answers with the router's name
(netlab.prober). For each implementation, protocol setting and event, every run waits
for r1 to serve the VIP with r2 in BACKUP, starts the 10 ms prober on the client, then
cuts r1's link at the bridge or SIGTERMs r1's daemon. The gap is the time between the
client's last answer from r1 and its first from r2. Then the link comes back or the
daemon restarts, and r1 must preempt back before the next run. Every wait has a
deadline: a run that does not converge is reported as failed. The lab is torn down at
the end, processes stopped by PID.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.failover_report import (
    EVENTS,
    IMPLEMENTATIONS,
    SETTINGS,
    RunOutcome,
    Setting,
    as_json,
    summarise,
    table,
)
from netlab.conf import instance_conf
from netlab.lab import CHECKOUT, STOP_TIMEOUT, Lab, wait_for
from netlab.peers import KeepalivedPeer, PyNode, has_address
from netlab.prober import (
    ADVERT_LINE,
    READY_LINE,
    Gap,
    marks_from_json,
    measure_gap,
    probes_from_json,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from netlab.lab import Process
    from netlab.peers import Daemon

VIP = "192.0.2.100"
VRID = 100
ECHO_PORT = 7100
MASTER, BACKUP, CLIENT = "r1", "r2", "client"
PROBER = [sys.executable, "-m", "netlab.prober"]
#: How long the client may take to see r1 answering steadily once the VIP is there.
READY_WITHIN = 5.0


def settle_timeout(setting: Setting) -> float:
    """Generous: start-up plus several Master_Down_Intervals (a preempting r1 waits one)."""
    return 5.0 + 4 * setting.master_down


class Pair:
    """r1 and r2 running one implementation with one setting."""

    def __init__(self, lab: Lab, impl: str, setting: Setting) -> None:
        self.lab = lab
        self.impl = impl
        self.setting = setting
        self.master = self._daemon(MASTER, 150)
        self.backup = self._daemon(BACKUP, 100)

    def _daemon(self, host: str, priority: int) -> Daemon:
        config = instance_conf(vrid=VRID, priority=priority, vip=f"{VIP}/24",
                               version=self.setting.version, advert=self.setting.advert)
        name = f"{self.impl}-{self.setting.name}"
        if self.impl == "pykeepalived":
            return PyNode(self.lab, host, config, name=name)
        return KeepalivedPeer(self.lab, host, config, name=name)

    def start(self) -> None:
        self.master.start()
        self.backup.start()
        self.wait_steady()

    def stop(self) -> None:
        self.master.stop()
        self.backup.stop()

    def wait_steady(self) -> None:
        """r1 holds the VIP and r2 does not (r2 is BACKUP: it was never or no more MASTER)."""
        def steady() -> bool:
            return (has_address(self.lab, MASTER, VIP)
                    and not has_address(self.lab, BACKUP, VIP))
        wait_for(steady, settle_timeout(self.setting), interval=0.1,
                 what=f"{self.impl} {self.setting.name}: VIP on {MASTER} only")

    def trigger(self, event: str) -> None:
        if event == "link-cut":
            self.lab.link_down(MASTER)
        else:
            assert self.master.process is not None
            self.master.process.popen.send_signal(signal.SIGTERM)

    def restore(self, event: str) -> None:
        """Undo the event and wait until r1 has preempted back."""
        if event == "link-cut":
            self.lab.link_up(MASTER)
        else:
            assert self.master.process is not None
            with contextlib.suppress(subprocess.TimeoutExpired):  # stop() ends it by PID
                self.master.process.popen.wait(10.0)
            self.master.stop()
            self.master.start()
        self.wait_steady()

    def recover(self) -> None:
        """After a failed run: link up, both daemons restarted, steady again (or raise)."""
        self.lab.link_up(MASTER)
        self.stop()
        self.start()


class EchoServers:
    """The UDP echo on r1 and r2; one that died is reported and restarted before a run."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.servers: dict[str, Process] = {}

    def ensure(self) -> None:
        for host in (MASTER, BACKUP):
            server = self.servers.get(host)
            if server is not None and server.popen.poll() is None:
                continue
            if server is not None:
                progress_error(f"echo server on {host} exited: {server.output()[-300:]}")
            self.servers[host] = self._start(host)

    def _start(self, host: str) -> Process:
        server = self.lab.spawn(host, [*PROBER, "serve", "--vip", VIP,
                                       "--port", str(ECHO_PORT), "--name", host],
                                name="echo")
        wait_for(lambda: READY_LINE in server.output(), 10.0, what=f"echo server on {host}")
        return server


def start_prober(lab: Lab, window: float) -> Process:
    old, new = lab.host(MASTER), lab.host(BACKUP)
    return lab.spawn(CLIENT, [*PROBER, "probe", "--vip", VIP,
                              "--port", str(ECHO_PORT), "--expect", MASTER,
                              "--ready-within", str(READY_WITHIN), "--window", str(window),
                              "--old-ip", str(old.ipv4), "--new-ip", str(new.ipv4),
                              "--new-mac", new.mac], name="prober")


@contextlib.contextmanager
def master_advert_waiter(lab: Lab, setting: Setting) -> Iterator[Callable[[], bool]]:
    """Yields a call that returns just after r1's next advert reaches the client, so every
    trigger lands at the same phase of r1's advert cycle (else a link cut's gap varies by
    up to one interval). The helper reports on a pipe, read at once; it is reaped (by PID)
    only after the block, since its exit is slow (see netlab.wire.await_advert)."""
    timeout = 2 * setting.interval + 2.0
    argv = lab.exec_argv(CLIENT, [*PROBER, "await-advert", "--source",
                                  str(lab.host(MASTER).ipv4), "--timeout", str(timeout)])
    waiter = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, cwd=CHECKOUT)
    assert waiter.stdout is not None
    pipe = waiter.stdout

    def heard() -> bool:
        ready, _, _ = select.select([pipe], [], [], timeout + 5.0)
        return bool(ready) and pipe.readline().strip() == ADVERT_LINE.encode()
    try:
        yield heard
    finally:
        try:
            waiter.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            waiter.kill()
            waiter.wait(STOP_TIMEOUT)
        pipe.close()


def steps(event: str, gap: Gap, marks: dict[str, float | None],
          triggered: float) -> dict[str, float | None]:
    """The gap's parts from the wire marks (bench/failover_report.STEPS), and the phase:
    how long after r1's last advert the trigger came."""
    start = marks.get("last_old_advert" if event == "link-cut" else "old_priority_zero")
    advert, garp = marks.get("first_new_advert"), marks.get("first_new_garp")

    def span(first: float | None, last: float | None) -> float | None:
        return None if first is None or last is None else round((last - first) * 1000, 1)
    return {"timer": span(start, advert), "garp": span(advert, garp),
            "client": span(garp, gap.first_new.received),
            "phase": span(marks.get("last_old_advert"), triggered)}


def measure_once(lab: Lab, pair: Pair, event: str) -> RunOutcome:
    """One trigger with the prober running; the pair is left in the event's aftermath."""
    def failed(error: str) -> RunOutcome:
        return RunOutcome(pair.impl, pair.setting.name, event, None, error=error)

    window = 3 * pair.setting.master_down + 3.0
    prober = start_prober(lab, window)
    try:
        wait_for(lambda: READY_LINE in prober.output() or prober.popen.poll() is not None,
                 READY_WITHIN + 5.0, interval=0.01, what="the prober to see r1 steadily")
        if READY_LINE not in prober.output():
            return failed(f"the client never got steady answers from {MASTER}")
        with master_advert_waiter(lab, pair.setting) as heard_advert:
            if not heard_advert():
                return failed(f"the client heard no advert from {MASTER}")
            triggered = time.monotonic()
            pair.trigger(event)
        prober.popen.wait(window + 5.0)
    except (TimeoutError, subprocess.TimeoutExpired) as error:
        return failed(f"prober: {error}")
    finally:
        prober.stop()
    lines = prober.output().strip().splitlines()
    gap = measure_gap(probes_from_json(lines[-1]) if lines else [], MASTER)
    if gap is None:
        return failed(f"{BACKUP} never answered within {window:.1f} s")
    assert gap.first_new.received is not None
    return RunOutcome(pair.impl, pair.setting.name, event, round(gap.seconds * 1000, 1),
                      trigger_to_new_ms=round((gap.first_new.received - triggered) * 1000, 1),
                      lost=gap.lost,
                      steps_ms=steps(event, gap, marks_from_json(lines[-1]), triggered))


def measure_block(lab: Lab, echo: EchoServers, impl: str, setting: Setting, runs: int,
                  report: list[RunOutcome]) -> None:
    """All runs of one implementation with one setting; appends to `report` as it goes."""
    pair = Pair(lab, impl, setting)
    try:
        pair.start()
        for event in EVENTS:
            for number in range(1, runs + 1):
                echo.ensure()
                outcome = measure_once(lab, pair, event)
                report.append(outcome)
                progress(outcome, number, runs)
                try:
                    pair.restore(event)
                except TimeoutError:
                    pair.recover()
    except (TimeoutError, subprocess.CalledProcessError, OSError) as error:
        progress_error(f"{impl} {setting.name}: block aborted: {error}")
        for event in EVENTS:
            done = sum(1 for o in report if (o.impl, o.setting, o.event)
                       == (impl, setting.name, event))
            report.extend(RunOutcome(impl, setting.name, event, None,
                                     error=f"block aborted: {error}")
                          for _ in range(runs - done))
    finally:
        lab.link_up(MASTER)
        pair.stop()


def progress(outcome: RunOutcome, number: int, runs: int) -> None:
    parts = ", ".join(f"{step} {value:.0f}" for step, value in outcome.steps_ms.items()
                      if value is not None)
    shown = outcome.error if outcome.gap_ms is None else (
        f"gap {outcome.gap_ms:.0f} ms, trigger to r2 {outcome.trigger_to_new_ms:.0f} ms, "
        f"{outcome.lost} probes lost; {parts} ms")
    print(f"[{outcome.impl} {outcome.setting} {outcome.event} {number}/{runs}] {shown}",
          file=sys.stderr, flush=True)


def progress_error(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def about_machine() -> dict[str, str]:
    version = subprocess.run(["keepalived", "--version"], capture_output=True, text=True,
                             timeout=10, check=False) if shutil.which("keepalived") else None
    first = (version.stderr or version.stdout).splitlines()[0] if version else "absent"
    model = next((line.split(":", 1)[1].strip() for line
                  in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.machine())
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{os.cpu_count()} cores, {model}, Linux {platform.release()}",
            "python": platform.python_version(), "keepalived": first}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.failover",
                                     description="client-observed failover gap, "
                                     "pykeepalived vs keepalived (root)")
    parser.add_argument("--runs", type=int, default=10, help="runs per event (1-100)")
    parser.add_argument("--only", choices=sorted(SETTINGS), help="one protocol setting")
    parser.add_argument("--impl", choices=IMPLEMENTATIONS, help="one implementation")
    parser.add_argument("--json", metavar="FILE", help="also write figures as JSON ('-': "
                        "stdout, instead of the table)")
    parser.add_argument("--logs", metavar="DIR", type=Path,
                        help="keep daemon and prober logs in DIR (default: discarded)")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 100:
        parser.error("--runs must be between 1 and 100")
    return args


def preflight(impls: Sequence[str]) -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if shutil.which("ip") is None:
        return "needs iproute2 (`ip`)"
    if "keepalived" in impls and shutil.which("keepalived") is None:
        return "needs the keepalived binary (Debian package keepalived), or --impl pykeepalived"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    impls = [args.impl] if args.impl else list(IMPLEMENTATIONS)
    settings = [SETTINGS[args.only]] if args.only else list(SETTINGS.values())
    problem = preflight(impls)
    if problem:
        print(f"bench.failover: {problem}", file=sys.stderr)
        return 2
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    about = about_machine()
    outcomes: list[RunOutcome] = []
    with Lab([MASTER, BACKUP, CLIENT], prefix="bench", workdir=args.logs) as lab:
        echo = EchoServers(lab)
        for setting in settings:
            for impl in impls:
                measure_block(lab, echo, impl, setting, args.runs, outcomes)
    summaries = summarise(outcomes)
    figures = as_json(outcomes, summaries, about)
    if args.json == "-":
        print(json.dumps(figures, indent=2))
    else:
        print(f"{about['date']}; {about['machine']}; {about['keepalived']}")
        print(table(summaries))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if all(s.failed == 0 for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
