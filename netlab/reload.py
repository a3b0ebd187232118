"""What a reload looks like from outside: a client's probes, the VIP's whereabouts, logs.

Shared by the reload tests and bench.reload. A reload is hitless when, from the
moment the client saw the master answer steadily until the reloads are over, every
10 ms probe was answered in time by the master, the VIP was never missing from the
master nor present on the backup, and no node logged a state change. Each of those is
measured here independently, so a failure says which one broke.

Addresses: VIPs 192.0.2.130-139, VRIDs 130-139 (the task's own range), echo port 7130.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.conf import Config, GlobalDefs, Instance, Script
from netlab.lab import COMMAND_TIMEOUT, STOP_TIMEOUT, wait_for
from netlab.prober import READY_LINE, Probe, probes_from_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netlab.lab import Lab, Process
    from netlab.peers import Daemon

ECHO_PORT = 7130
#: the client must see the master answer steadily this soon after it starts
READY_WITHIN = 10.0
#: the VIP watcher's poll period; `ip monitor` catches what falls between polls
WATCH_INTERVAL = 0.05


def reload_conf(*, vrid: int, priority: int, vips: Sequence[str], script_interval: int = 1,
                notify: str = "/usr/bin/true") -> Config:
    """One VRRPv3 instance at advert_int 0.1 tracking one always-passing script.

    The script and notify lines are there so a reload can change them; /usr/bin/true keeps
    the instance healthy whatever the change (/usr/bin: /bin is a symlink, which script
    security refuses). `skip_check_adv_addr` is what lets a VIP-set change roll out one
    node at a time: without it a backup drops adverts whose address count differs from
    its own (keepalived's vrrp_check_packet, mirrored) and takes over."""
    return Config(
        global_defs=GlobalDefs(router_id=f"rlx{vrid}", vrrp_version=3, garp_master_delay=1,
                               script_user="root", script_security=True),
        scripts=[Script("chk_rlx", "/usr/bin/true", interval=script_interval)],
        instances=[Instance("VI_R", vrid, priority, vips, state="BACKUP", advert="0.1",
                            notify={"notify": notify}, track_scripts=["chk_rlx"],
                            extra=["skip_check_adv_addr"])])


# ------------------------------------------------------------------ the client's view
@dataclass(frozen=True)
class ProbeReport:
    """Probes from the first steady answer on; `max_gap` between answers in time (s)."""

    sent: int
    lost: int
    other_host: int
    max_gap: float

    @property
    def hitless(self) -> bool:
        return self.lost == 0 and self.other_host == 0


def report_of(probes: Sequence[Probe], ready_seq: int, expect: str) -> ProbeReport:
    counted = sorted((p for p in probes if p.seq >= ready_seq), key=lambda p: p.seq)
    lost = sum(1 for p in counted if not p.ok)
    other = sum(1 for p in counted if p.ok and p.host != expect)
    answers = sorted(p.received for p in counted if p.ok and p.received is not None)
    gaps = [later - earlier for earlier, later in itertools.pairwise(answers)]
    return ProbeReport(len(counted), lost, other, max(gaps, default=0.0))


class Client:
    """The 10 ms prober on the client host, from `start()` (master steady) to `finish()`."""

    def __init__(self, lab: Lab, host: str, vip: str, expect: str) -> None:
        assert lab.workdir is not None, "use the Lab as a context manager"
        self.lab = lab
        self.host = host
        self.vip = vip
        self.expect = expect
        self.stop_file = lab.workdir / f"{host}-client-stop-{time.monotonic_ns()}"
        self.process: Process | None = None

    def start(self, limit: float = 120.0) -> Client:
        self.process = self.lab.spawn(self.host, [
            sys.executable, "-m", "netlab.reload_client", "--vip", self.vip,
            "--port", str(ECHO_PORT), "--expect", self.expect, "--stop", str(self.stop_file),
            "--limit", str(limit)], name="client")
        process = self.process
        wait_for(lambda: READY_LINE in process.output() or process.popen.poll() is not None,
                 READY_WITHIN, interval=0.02, what=f"the client to see {self.expect} steadily")
        if READY_LINE not in process.output():
            raise RuntimeError(f"client never saw {self.expect} steadily: "
                               f"{process.output()[-300:]}")
        return self

    def finish(self) -> ProbeReport:
        assert self.process is not None, "start() first"
        self.stop_file.touch()
        self.process.popen.wait(STOP_TIMEOUT)
        self.process.stop()
        last = self.process.output().strip().splitlines()[-1]
        ready_seq = json.loads(last)["ready_seq"]
        if ready_seq is None:
            raise RuntimeError("client never saw the master steadily")
        return report_of(probes_from_json(last), int(ready_seq), self.expect)


def start_echo(lab: Lab, host: str, vip: str) -> Process:
    """The UDP echo bound to the VIP on a router (answers name the router)."""
    server = lab.spawn(host, [sys.executable, "-m", "netlab.prober", "serve", "--vip", vip,
                              "--port", str(ECHO_PORT), "--name", host], name="echo")
    wait_for(lambda: READY_LINE in server.output(), COMMAND_TIMEOUT,
             what=f"echo server on {host}")
    return server


# ------------------------------------------------------------------ the VIP's whereabouts
@dataclass(frozen=True)
class WatchReport:
    polls: int
    #: polls that did not find the VIP on the master / found it on the backup
    master_missing: int
    backup_had: int
    #: `ip monitor address` lines naming the VIP (a deletion a poll could miss)
    master_events: tuple[str, ...]
    backup_events: tuple[str, ...]

    @property
    def never_moved(self) -> bool:
        deleted = any(line.startswith("Deleted") for line in self.master_events)
        return (self.polls > 0 and self.master_missing == 0 and self.backup_had == 0
                and not deleted and not self.backup_events)


def addresses(lab: Lab, host: str) -> str:
    return subprocess.run(["ip", "-n", lab.host(host).namespace, "-o", "addr", "show",
                           "dev", "eth0"], capture_output=True, text=True, check=True,
                          timeout=COMMAND_TIMEOUT).stdout


class VipWatch:
    """Polls both routers' addresses from a thread and listens to `ip monitor address`."""

    def __init__(self, lab: Lab, vip: str, master: str, backup: str,
                 limit: float = 120.0) -> None:
        self.lab = lab
        self.vip = vip
        self.master = master
        self.backup = backup
        self.limit = limit
        self.samples: list[tuple[bool, bool]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="vip-watch", daemon=True)
        self._monitors: dict[str, Process] = {}

    def _has(self, host: str) -> bool:
        return f" {self.vip}/" in addresses(self.lab, host)

    def _poll(self) -> None:
        deadline = time.monotonic() + self.limit
        for _ in range(int(self.limit / WATCH_INTERVAL) + 1):
            if self._stop.is_set() or time.monotonic() >= deadline:
                return
            self.samples.append((self._has(self.master), self._has(self.backup)))
            self._stop.wait(WATCH_INTERVAL)

    def start(self) -> VipWatch:
        for host in (self.master, self.backup):
            monitor = self.lab.spawn(host, ["ip", "monitor", "address"], name="ipmon")
            self._monitors[host] = monitor
        self._thread.start()
        # a monitor that is not yet listening would miss events: wait for the first poll
        wait_for(lambda: bool(self.samples), COMMAND_TIMEOUT, interval=0.01,
                 what="the first VIP poll")
        return self

    def _stopped_monitors(self) -> list[tuple[str, Process]]:
        for monitor in self._monitors.values():
            monitor.stop()
        return list(self._monitors.items())

    def finish(self) -> WatchReport:
        self._stop.set()
        self._thread.join(COMMAND_TIMEOUT)
        events = {host: tuple(line for line in monitor.output().splitlines()
                              if f" {self.vip}/" in line)
                  for host, monitor in self._stopped_monitors()}
        return WatchReport(
            polls=len(self.samples),
            master_missing=sum(1 for on_master, _ in self.samples if not on_master),
            backup_had=sum(1 for _, on_backup in self.samples if on_backup),
            master_events=events.get(self.master, ()),
            backup_events=events.get(self.backup, ()))


# ------------------------------------------------------------------ reloading
def sighup(node: Daemon, done: str, timeout: float = 10.0) -> str:
    """SIGHUP the daemon's main pid and wait until its log says `done` after the signal;
    returns the log written since the signal."""
    assert node.process is not None
    mark = len(node.log())
    node.process.popen.send_signal(1)
    return wait_for(lambda: node.log()[mark:] if done in node.log()[mark:] else None,
                    timeout, interval=0.01, what=f"{done!r} after SIGHUP")
