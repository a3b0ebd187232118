"""net-snmp's snmpd and snmptrapd in a lab host, and snmpwalk against them.

snmpd runs as AgentX master with its socket in the lab's work directory (a filesystem
path, so a daemon in the host's namespace reaches it), answers v2c on the host's
loopback and sends its traps (ours, forwarded from the subagent) to a snmptrapd on the
same loopback. Nothing reads the host's /etc/snmp: every process gets `-C -c` a private
config and a private persistent directory.

    snmp = Snmp(lab, "a").start()
    daemon config: global_defs { snmp_socket unix:<snmp.agentx_socket> ... }
    rows = snmp.walk(KEEPALIVED_VRRP)         # [(oid, type, value), ...]
    snmp.wait_trap(lambda traps: ...)
"""

from __future__ import annotations

import os
import re
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.conf import Config, GlobalDefs, Instance, Script, SyncGroup
from netlab.lab import wait_for

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from netlab.lab import Lab, Process

KEEPALIVED_MIB = ".1.3.6.1.4.1.9586.100.5"
KEEPALIVED_VRRP = ".1.3.6.1.4.1.9586.100.5.2"
KEEPALIVED_CHECK = ".1.3.6.1.4.1.9586.100.5.3"
VRRP_MIB = ".1.3.6.1.2.1.68"
VRRPV3_MIB = ".1.3.6.1.2.1.207"
#: snmpd's own trap when it starts
COLD_START = ".1.3.6.1.6.3.1.1.5.1"
SNMP_PORT = 1161
TRAP_PORT = 1162

#: the pair's VIPs: VI_1 holds the first, VI_2 (VRRPv3, tracking a script) the other two
PAIR_VIPS = ("192.0.2.171", "192.0.2.172", "192.0.2.173")


def pair_config(host: str, priority: int, agentx_socket: Path | str) -> Config:
    """The SNMP lab's node, the same text for keepalived and pykeepalived: every VRRP
    table has a row (a sync group, a VRRPv2 and a VRRPv3 instance, a tracked script)."""
    return Config(
        global_defs=GlobalDefs(router_id=f"node-{host}", extra=[
            f"snmp_socket unix:{agentx_socket}", "enable_snmp_vrrp", "enable_snmp_rfc",
            "enable_traps"]),
        scripts=[Script("chk", "/bin/true", interval=1, weight=2)],
        sync_groups=[SyncGroup("G1", ["VI_1"])],
        instances=[Instance("VI_1", vrid=71, priority=priority,
                            vips=[f"{PAIR_VIPS[0]}/24"], advert="1"),
                   Instance("VI_2", vrid=72, priority=priority,
                            vips=[f"{PAIR_VIPS[1]}/24", f"{PAIR_VIPS[2]}/24"], advert="1",
                            version=3, track_scripts=["chk"])])


_LINE = re.compile(r"^(\.[0-9.]+) = (?:([A-Za-z0-9 -]+): )?(.*)$")


@dataclass(frozen=True)
class Varbind:
    oid: str
    kind: str
    value: str


@dataclass(frozen=True)
class Trap:
    """One notification as snmptrapd printed it: its varbinds, in order."""

    varbinds: tuple[Varbind, ...]

    @property
    def trap_oid(self) -> str:
        """snmpTrapOID.0's value."""
        for vb in self.varbinds:
            if vb.oid == ".1.3.6.1.6.3.1.1.4.1.0":
                return vb.value
        return ""


def parse_walk(text: str) -> list[Varbind]:
    """`snmpwalk -On -Oe -m ''` lines (`.OID = TYPE: value`) as varbinds; a value that
    runs over several lines (a string with a newline) is joined back."""
    rows: list[Varbind] = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            if rows and line:
                last = rows[-1]
                rows[-1] = Varbind(last.oid, last.kind, f"{last.value}\n{line}")
            continue
        oid, kind, value = match.groups()
        if value.startswith(("No more variables", "No Such")):
            continue
        rows.append(Varbind(oid, (kind or "").strip(), value))
    return rows


class Snmp:
    """snmpd (AgentX master) + snmptrapd in one lab host, on the host's loopback."""

    def __init__(self, lab: Lab, host: str, *, name: str = "snmp") -> None:
        assert lab.workdir is not None, "use the Lab as a context manager"
        self.lab = lab
        self.host = host
        self.directory: Path = lab.workdir / f"{host}-{name}"
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o755)
        self.agentx_socket = self.directory / "agentx"
        self.snmpd: Process | None = None
        self.trapd: Process | None = None

    def _snmpd_conf(self) -> Path:
        path = self.directory / "snmpd.conf"
        path.write_text("\n".join([
            f"agentaddress udp:127.0.0.1:{SNMP_PORT}",
            "master agentx",
            f"agentXSocket unix:{self.agentx_socket}",
            "agentXTimeout 2",
            "rocommunity public 127.0.0.1",
            f"trap2sink 127.0.0.1:{TRAP_PORT} public",
            "",
        ]))
        return path

    def _trapd_conf(self) -> Path:
        path = self.directory / "snmptrapd.conf"
        path.write_text("disableAuthorization yes\ndoNotLogTraps no\n")
        return path

    def _env_argv(self, argv: list[str]) -> list[str]:
        return ["env", f"SNMP_PERSISTENT_DIR={self.directory}", "MIBS=", *argv]

    def start(self) -> Snmp:
        self.start_trapd()
        self.start_snmpd()
        return self

    def start_trapd(self) -> None:
        argv = ["snmptrapd", "-f", "-Lo", "-C", "-c", str(self._trapd_conf()), "-On",
                "-m", "", "-F", "TRAP %v\n", f"udp:127.0.0.1:{TRAP_PORT}"]
        self.trapd = self.lab.spawn(self.host, self._env_argv(argv), name="snmptrapd")
        wait_for(lambda: "NET-SNMP version" in self.trapd_log(), 5.0,
                 what="snmptrapd to start")

    def start_snmpd(self) -> None:
        """Start snmpd; back once its AgentX socket is there and its coldStart trap has
        reached snmptrapd (so no caller mistakes it for one of the daemon's)."""
        cold = sum(t.trap_oid == COLD_START for t in self.traps())
        self.agentx_socket.unlink(missing_ok=True)
        argv = ["snmpd", "-f", "-Lo", "-C", "-c", str(self._snmpd_conf()),
                "-p", str(self.directory / "snmpd.pid")]
        self.snmpd = self.lab.spawn(self.host, self._env_argv(argv), name="snmpd")
        wait_for(self.agentx_socket.exists, 5.0, what="snmpd's AgentX socket")
        if self.trapd is not None:
            self.wait_traps(lambda seen: sum(t.trap_oid == COLD_START for t in seen) > cold,
                            what="snmpd's coldStart trap")

    def stop_snmpd(self) -> None:
        if self.snmpd is not None:
            self.snmpd.stop(signal.SIGTERM)
            self.snmpd = None

    def trapd_log(self) -> str:
        return self.trapd.output() if self.trapd is not None else ""

    def snmpd_log(self) -> str:
        return self.snmpd.output() if self.snmpd is not None else ""

    def walk(self, oid: str, *, bulk: bool = False) -> list[Varbind]:
        tool = "snmpbulkwalk" if bulk else "snmpwalk"
        argv = [tool, "-v2c", "-c", "public", "-On", "-Oe", "-m", "", "-t", "2", "-r", "1",
                f"127.0.0.1:{SNMP_PORT}", oid]
        done = self.lab.run(self.host, self._env_argv(argv), check=False, timeout=30)
        return parse_walk(done.stdout)

    def get(self, *oids: str) -> list[Varbind]:
        argv = ["snmpget", "-v2c", "-c", "public", "-On", "-Oe", "-m", "", "-t", "2",
                "-r", "1", f"127.0.0.1:{SNMP_PORT}", *oids]
        done = self.lab.run(self.host, self._env_argv(argv), check=False, timeout=30)
        return parse_walk(done.stdout)

    def traps(self) -> list[Trap]:
        """Every notification snmptrapd printed so far, in arrival order."""
        found: list[Trap] = []
        for line in self.trapd_log().splitlines():
            if not line.startswith("TRAP "):
                continue
            body = line[len("TRAP "):]
            parts = [p for p in body.split("\t") if p.strip()]
            found.append(Trap(tuple(_trap_varbind(p) for p in parts)))
        return found

    def wait_traps(self, predicate: Callable[[list[Trap]], bool], timeout: float = 10.0,
                   what: str = "traps") -> list[Trap]:
        def seen() -> list[Trap] | None:
            traps = self.traps()
            return traps if predicate(traps) else None
        return wait_for(seen, timeout, interval=0.1, what=what)


def _trap_varbind(text: str) -> Varbind:
    match = _LINE.match(text.strip())
    if match is None:
        return Varbind(text.strip(), "", "")
    oid, kind, value = match.groups()
    return Varbind(oid, (kind or "").strip(), value)
