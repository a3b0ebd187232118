"""Mixed pykeepalived/keepalived clusters for the interop tests: configs, daemons, dumps.

One keepalived.conf text per variant runs on both implementations (only priority and the
unicast addresses differ), so any difference seen on the wire is the implementation's.
Daemons whose dump files we read run in a private mount namespace with their own
directory bind-mounted on /tmp: keepalived always writes /tmp/keepalived.*, and other
tests on this machine do too.

Numbers owned here: namespace prefix `iop`, VRIDs 200-219, VIPs 192.0.2.200-219 and
2001:db8::200-219; lab hosts get 192.0.2.221+ (Lab base 220).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.netns.daemon.nodes import PyNode, instance_conf
from tests.netns.lab import KeepalivedPeer, wait_for

if TYPE_CHECKING:
    from pathlib import Path

    from tests.netns.lab import Host

PREFIX = "iop"
#: hosts are 192.0.2.221.. and 2001:db8::221..: clear of the VIPs 200-219
LAB_BASE = 220
#: several Master_Down_Intervals at 0.1 s adverts, plus a Python daemon's start-up
TAKEOVER = 6.0
#: VRRPv2 at 1 s adverts: Master_Down_Interval is 3.6 s for priority 100
V2_TAKEOVER = 10.0

#: keepalived's words for a packet it refused (vrrp.c vrrp_check_packet and friends),
#: plus pykeepalived's own "dropped packet" line
PACKET_ERROR_WORDS = ("invalid", "checksum", "wrong version", "unexpected", "ttl",
                      "mismatch", "not present in master advert", "discarding",
                      "dropped packet", "error")
#: the refusals a healthy election produces on purpose
EXPECTED_REFUSALS = ("received lower priority", "forcing new election")

DUMP_SIGNALS = {"keepalived.data": signal.SIGUSR1, "keepalived.stats": signal.SIGUSR2,
                "keepalived.json": signal.SIGRTMIN + 2}


@dataclass(frozen=True)
class Variant:
    """One way to run a cluster: VRRP version, family, multicast or unicast, auth."""

    name: str
    version: int = 3
    ipv6: bool = False
    unicast: bool = False
    password: str = ""

    @property
    def advert(self) -> str:
        return "1" if self.version == 2 else "0.1"

    @property
    def takeover(self) -> float:
        return V2_TAKEOVER if self.version == 2 else TAKEOVER

    def vip(self, number: int) -> str:
        return f"2001:db8::{number}" if self.ipv6 else f"192.0.2.{number}"

    def vip_spec(self, number: int) -> str:
        return f"{self.vip(number)}/64" if self.ipv6 else f"{self.vip(number)}/24"


V3_MULTICAST = Variant("v3-multicast")
V3_UNICAST = Variant("v3-unicast", unicast=True)
V2_PASS = Variant("v2-pass", version=2, password="iop-pass")
V3_IPV6 = Variant("v3-ipv6", ipv6=True)


def variant_conf(variant: Variant, *, vrid: int, priority: int, me: Host, peers: list[Host],
                 global_extra: str = "") -> str:
    """keepalived.conf for one node of a `variant` cluster with VIP .`vrid` (VI_T)."""
    extra = ""
    if variant.unicast:
        listed = "\n".join(f"        {peer.ipv4}" for peer in peers)
        extra += f"unicast_src_ip {me.ipv4}\n    unicast_peer {{\n{listed}\n    }}\n"
    if variant.password:
        extra += (f"authentication {{\n        auth_type PASS\n"
                  f"        auth_pass {variant.password}\n    }}\n")
    return instance_conf(vrid=vrid, priority=priority, vip=variant.vip_spec(vrid),
                         version=variant.version, advert=variant.advert, extra=extra,
                         global_extra=global_extra)


def packet_errors(log: str) -> list[str]:
    """Log lines where a daemon refused a packet, but for the refusals elections make."""
    lines = log.splitlines()
    return [line for line in lines
            if any(word in line.lower() for word in PACKET_ERROR_WORDS)
            and not any(ok in line.lower() for ok in EXPECTED_REFUSALS)]


# ------------------------------------------------------------ daemons with a private /tmp
def _private_argv(command: list[str], directory: Path) -> list[str]:
    inner = f"mount --bind {directory} /tmp && exec {' '.join(command)}"
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner]


_PID_FLAGS = ["-p", "/tmp/keepalived.pid", "-r", "/tmp/vrrp.pid", "-c", "/tmp/checkers.pid"]


class PrivatePyNode(PyNode):
    """pykeepalived whose config, pid files and dumps are in `self.directory`.

    Not a /tmp bind mount like keepalived's: the interpreter and the checkout may live
    under /tmp themselves (a CI clone), so `--dump-dir` points the dumps there instead."""

    def argv(self) -> list[str]:
        d = self.directory
        return [sys.executable, "-m", "pykeepalived", "-n", "-l", "-D", "-G",
                "-f", str(d / "keepalived.conf"), "-p", str(d / "keepalived.pid"),
                "-r", str(d / "vrrp.pid"), "-c", str(d / "checkers.pid"),
                "--dump-dir", str(d)]

    def daemon_pid(self) -> int:
        return pid_from_file(self.directory)


class PrivateKeepalived(KeepalivedPeer):
    """Real keepalived whose /tmp (config, pid files, dumps) is `self.directory`."""

    def argv(self) -> list[str]:
        return _private_argv(["keepalived", "-n", "-l", "-D", "-f", "/tmp/keepalived.conf",
                              *_PID_FLAGS], self.directory)

    def daemon_pid(self) -> int:
        """The parent, from its pid file: it relays dump signals to its VRRP child."""
        return pid_from_file(self.directory)


def pid_from_file(directory: Path) -> int:
    """The main pid a daemon wrote to (its private) /tmp/keepalived.pid."""
    path = directory / "keepalived.pid"

    def written() -> str | None:
        return path.read_text().strip() or None if path.exists() else None

    return int(wait_for(written, 5.0, what=f"a pid in {path}"))


def read_dump(directory: Path, name: str, pid: int, timeout: float = 5.0) -> str:
    """Signal `pid` for dump `name` and return the file once written in full.

    The old file is removed first, so whatever appears is fresh; keepalived writes in
    place, so the text must also read the same twice in a row before we trust it.
    """
    path = directory / name
    path.unlink(missing_ok=True)
    (directory / "pykeepalived.status.json").unlink(missing_ok=True)
    os.kill(pid, DUMP_SIGNALS[name])
    seen: list[str] = []

    def settled() -> str | None:
        text = path.read_text() if path.exists() else ""
        stable = bool(text) and seen[-1:] == [text]
        seen.append(text)
        return text if stable else None

    return wait_for(settled, timeout, interval=0.05, what=f"{name} from pid {pid}")



@dataclass(frozen=True)
class Counters:
    """One JSON dump of a pykeepalived daemon: per instance, its state and every counter.

    `states` and keepalived's fourteen counters come from keepalived.json; the counters
    keepalived keeps for SNMP only (chk_err, vers_err...) from our status file beside it.
    """

    states: dict[str, int]
    counts: dict[str, dict[str, int]]
    status_text: str


def read_counters(node: PrivatePyNode, timeout: float = 5.0) -> Counters:
    """SIGRTMIN+2, then both files it writes (atomically: present means complete)."""
    directory = node.directory
    json_path = directory / "keepalived.json"
    status_path = directory / "pykeepalived.status.json"
    json_path.unlink(missing_ok=True)
    status_path.unlink(missing_ok=True)
    os.kill(node.daemon_pid(), DUMP_SIGNALS["keepalived.json"])
    wait_for(lambda: json_path.exists() and status_path.exists(), timeout,
             what=f"the JSON dumps of pykeepalived on {node.host}")
    dump = json.loads(json_path.read_text())
    status_text = status_path.read_text()
    extras = {i["name"]: i["extra_stats"] for i in json.loads(status_text)["instances"]}
    states = {entry["data"]["iname"]: entry["data"]["state"] for entry in dump}
    counts = {entry["data"]["iname"]: {**entry["stats"], **extras[entry["data"]["iname"]]}
              for entry in dump}
    return Counters(states, counts, status_text)
