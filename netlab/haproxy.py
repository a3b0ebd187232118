"""The seed article's system in namespaces: two HAProxy nodes, one VIP, one HTTP client.

Each node runs a backend (netlab.web_backend, answers the node's name on 127.0.0.1:8080),
HAProxy on `*:80` in front of it, and a pykeepalived daemon that tracks HAProxy. A client
host runs netlab.web_probe against the VIP. Shared by tests/netns/haproxy and the demo.

All hosts share one PID namespace (`ip netns exec` only switches the network), so
`pgrep -x haproxy` on node1 would also see node2's HAProxy, and every other HAProxy on
the machine. Each node therefore runs HAProxy through a symlink with a per-node name
(its `comm`), and the check looks for exactly that name, as the seed's check does for
`haproxy` on a real host.

    lab = Lab(["node1", "node2", "client"], prefix="hap", base=220)
    site = Site(lab, SiteSpec(vrid=220, vip="192.0.2.230"))
    site.start()
    site.wait_holder("node1", timeout=10)
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from netlab.conf import Config, GlobalDefs, Instance, Script, TrackProcess
from netlab.lab import never_during, wait_for
from netlab.peers import PyNode, has_address

if TYPE_CHECKING:
    from netlab.lab import Lab, Process

HAPROXY = Path("/usr/sbin/haproxy")
NODES = ("node1", "node2")
BACKEND_PORT = 8080

#: the daemon's lines saying vrrp_track_process is not run (not wired yet; kernel refused)
TRACK_PROCESS_REFUSALS = ("track_process are not run yet", "vrrp_track_process cannot run")


@dataclass(frozen=True)
class Tracking:
    """How each daemon watches its HAProxy: a vrrp_script (pgrep) or vrrp_track_process.

    `weight None` leaves weight out (keepalived: a failed check puts the node in FAULT).
    `script` replaces the pgrep check (e.g. a flapping check script); `{comm}` in it is the
    node's HAProxy process name.
    """

    kind: Literal["script", "process"] = "script"
    weight: int | None = -60
    interval: int = 1
    fall: int = 2
    rise: int = 1
    script: str = "/usr/bin/pgrep -x {comm}"

    def tracker(self, comm: str) -> Script | TrackProcess:
        """The check of the node's HAProxy, whose process is called `comm`."""
        if self.kind == "process":
            return TrackProcess("trk_haproxy", comm, quorum=1, weight=self.weight)
        return Script("chk_haproxy", self.script.format(comm=comm), interval=self.interval,
                      fall=self.fall, rise=self.rise, weight=self.weight)


@dataclass(frozen=True)
class SiteSpec:
    vrid: int
    vip: str
    priorities: tuple[int, int] = (150, 100)
    tracking: Tracking = field(default_factory=Tracking)
    nopreempt: bool = False
    advert: str = "0.1"
    version: int = 3


def keepalived_conf(spec: SiteSpec, node: str, comm: str) -> Config:
    """One node's keepalived.conf in the seed's shape (all BACKUP; priority decides)."""
    priority = spec.priorities[NODES.index(node)]
    tracker = spec.tracking.tracker(comm)
    scripts = [tracker] if isinstance(tracker, Script) else []
    processes = [tracker] if isinstance(tracker, TrackProcess) else []
    return Config(
        global_defs=GlobalDefs(router_id=f"hap-{node}", vrrp_version=spec.version,
                               garp_master_delay=1, script_user="root", script_security=True),
        scripts=scripts, track_processes=processes,
        instances=[Instance("VI_HAP", spec.vrid, priority, [f"{spec.vip}/24"], state="BACKUP",
                            nopreempt=spec.nopreempt, advert=spec.advert,
                            track_scripts=[s.name for s in scripts],
                            track_processes=[p.name for p in processes])])


def haproxy_cfg(directory: Path) -> str:
    return f"""global
    maxconn 256
    pidfile {directory / "haproxy.pid"}
    stats socket {directory / "haproxy.sock"} mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend www
    bind *:80
    default_backend local
backend local
    server here 127.0.0.1:{BACKEND_PORT}
"""


def listening(lab: Lab, host: str, port: int) -> bool:
    shown = lab.run(host, ["ss", "-H", "-ltn", f"sport = :{port}"], check=False).stdout
    return bool(shown.strip())


class HAProxy:
    """HAProxy in master-worker mode in one node, started under the node's own name."""

    def __init__(self, lab: Lab, host: str, comm: str) -> None:
        assert lab.workdir is not None, "use the Lab as a context manager"
        self.lab = lab
        self.host = host
        self.comm = comm
        self.directory = lab.workdir / f"{host}-haproxy"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.directory / "haproxy.cfg"
        self.config_path.write_text(haproxy_cfg(self.directory))
        self.binary = self.directory / comm
        self.binary.symlink_to(HAPROXY)
        self.process: Process | None = None

    def start(self, timeout: float = 5.0) -> HAProxy:
        argv = [str(self.binary), "-W", "-db", "-f", str(self.config_path)]
        self.process = self.lab.spawn(self.host, argv, name="haproxy")
        wait_for(lambda: listening(self.lab, self.host, 80), timeout,
                 what=f"HAProxy on {self.host} to listen on :80")
        return self

    def kill(self, timeout: float = 5.0) -> None:
        """SIGKILL the workers, then the master, by PID: HAProxy crashes as a whole.

        Workers first, so their master reaps them: an orphaned worker stays a zombie until
        PID 1 reaps it, and `pgrep` (the check) counts zombies as running.
        """
        assert self.process is not None
        workers = [int(word) for word in subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True,
            check=False, timeout=5.0).stdout.split() if word.isdigit()]
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), timeout,
                 interval=0.005, what=f"HAProxy workers on {self.host} to be reaped")
        self.process.stop(signal.SIGKILL)
        wait_for(lambda: not self.running(), timeout, interval=0.01,
                 what=f"HAProxy {self.comm} on {self.host} to be gone")

    def running(self) -> bool:
        found = subprocess.run(["pgrep", "-x", self.comm], capture_output=True, check=False,
                               timeout=5.0)
        return found.returncode == 0


@dataclass
class Node:
    name: str
    haproxy: HAProxy
    daemon: PyNode
    backend: Process | None = None


@dataclass(frozen=True)
class Reply:
    """One client request: when it started (CLOCK_MONOTONIC) and who answered, if anyone."""

    at: float
    server: str | None
    reason: str = ""


def parse_replies(text: str) -> list[Reply]:
    replies = []
    for line in text.splitlines():
        words = line.split()
        if len(words) != 3:
            continue
        at, verdict, detail = words
        ok = verdict == "ok"
        replies.append(Reply(float(at), detail if ok else None, "" if ok else detail))
    return replies


def outage(replies: list[Reply], since: float, old: str, new: str) -> float:
    """Seconds the client had no answer: last answer from `old` to first from `new`."""
    first_new = next(r.at for r in replies if r.at >= since and r.server == new)
    last_old = max((r.at for r in replies if r.at <= first_new and r.server == old),
                   default=since)
    return first_new - last_old


class Site:
    """Both nodes and the client of one lab; everything stops with the lab (by PID)."""

    def __init__(self, lab: Lab, spec: SiteSpec, *, comm_prefix: str | None = None) -> None:
        self.lab = lab
        self.spec = spec
        prefix = comm_prefix or f"hap{secrets.token_hex(2)}"
        self.nodes: dict[str, Node] = {}
        for name in NODES:
            comm = f"{prefix}{name[-1]}" if comm_prefix is None else f"{prefix}_{name}"
            self.nodes[name] = Node(name, HAProxy(lab, name, comm),
                                    PyNode(lab, name, keepalived_conf(spec, name, comm)))
        self.client: Process | None = None

    def node(self, name: str) -> Node:
        return self.nodes[name]

    def start(self, *, daemons: bool = True) -> None:
        for node in self.nodes.values():
            node.backend = self.lab.spawn(node.name, [sys.executable, "-m", "netlab.web_backend",
                                                      node.name, str(BACKEND_PORT)],
                                          name="backend")
        for node in self.nodes.values():
            self._wait_backend(node.name)
            node.haproxy.start()
        if daemons:
            for node in self.nodes.values():
                node.daemon.start()

    def start_in_order(self, timeout: float = 10.0) -> None:
        """node1 first, master before node2 starts: deterministic even with nopreempt.

        (With nopreempt, whichever node's down timer expires first keeps the VIP.)
        """
        self.start(daemons=False)
        self.node("node1").daemon.start()
        self.wait_holder("node1", timeout)
        self.node("node2").daemon.start()
        # "(init)", or without it when a weightless check held it in FAULT until its first run
        self.node("node2").daemon.wait_for_log("(VI_HAP) Entering BACKUP STATE", timeout)

    def _wait_backend(self, name: str) -> None:
        wait_for(lambda: listening(self.lab, name, BACKEND_PORT), 5.0,
                 what=f"backend on {name}")

    def holder(self) -> str | None:
        """The node that has the VIP; None if none does (or, wrongly, both)."""
        holders = [n for n in self.nodes if has_address(self.lab, n, self.spec.vip)]
        return holders[0] if len(holders) == 1 else None

    def wait_holder(self, name: str, timeout: float) -> float:
        """Wait until exactly `name` has the VIP; returns the CLOCK_MONOTONIC it was seen."""
        wait_for(lambda: self.holder() == name, timeout, interval=0.02,
                 what=f"the VIP {self.spec.vip} on {name} only")
        return time.monotonic()

    def start_client(self, seconds: float, *, interval: float = 0.02,
                     timeout: float = 0.2) -> Process:
        self.client = self.lab.spawn("client", [sys.executable, "-m", "netlab.web_probe",
                                                self.spec.vip, "80", str(interval),
                                                str(timeout), str(seconds)], name="probe")
        return self.client

    def replies(self) -> list[Reply]:
        return parse_replies(self.client.output()) if self.client is not None else []

    def wait_served_by(self, name: str, timeout: float, *, since: float = 0.0) -> Reply:
        def served() -> Reply | None:
            return next((r for r in self.replies() if r.at >= since and r.server == name),
                        None)
        return wait_for(served, timeout, what=f"the client to be served by {name}")

    def track_process_refusal(self) -> str | None:
        """The daemon's line saying it does not run vrrp_track_process, if it logged one.

        Two such lines exist: the startup warning while the feature is not wired into the
        daemon, and the process connector refusing a daemon outside the initial network
        namespace (the kernel answers ECONNREFUSED there, as it does to keepalived).
        """
        first = self.node("node1").daemon
        first.wait_for_log("Startup complete", timeout=10.0)
        return next((line for line in first.log().splitlines()
                     if any(words in line for words in TRACK_PROCESS_REFUSALS)), None)


def holds_throughout(site: Site, name: str, seconds: float) -> bool:
    """True if exactly `name` held the VIP at every poll for `seconds` (bounded)."""
    return never_during(lambda: site.holder() != name, seconds)
