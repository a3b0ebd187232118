"""Check snapshots built the way the checker builds them, and how dumps are compared.

A configuration goes through the config loader and the spec builder into real
`VirtualServerCore`s, which are driven on a virtual clock: start, register (no warmup
spread), then every checker due at the end of keepalived's one-second bootstrap probes
once with the verdict the test gives. That is the state keepalived's own dumps were
captured in (tests/data/dumps/check/README.md): every checker has run once.

Shared by the unit tests and the real-IPVS parity test (tests/ipvs), which also needs
the list of keepalived's global lines we do not model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pykeepalived.check.actions import RunProbe
from pykeepalived.check.pool import VirtualServerCore
from pykeepalived.check.results import ProbeResult
from pykeepalived.config.host import HostFacts, ScriptFacts
from pykeepalived.config.load import load_config
from pykeepalived.observe.check_capture import build_check_snapshot
from pykeepalived.observe.check_snapshot import ScriptLine
from pykeepalived.observe.snapshot import cmd_str
from pykeepalived.specs.check_build import check_spec

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pykeepalived.check.checkers import Checker
    from pykeepalived.check.lvs import DestSpec, ServiceSpec
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.config.model import Config
    from pykeepalived.observe.check_snapshot import CheckSnapshot
    from pykeepalived.specs.check import CheckSpec

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "dumps" / "check"
#: the core's clock at start, and the wall clock we pretend the dump was taken at
MONO_START, WALL_NOW = 1000.0, 1796656105.0
#: keepalived's BOOTSTRAP_DELAY: with no warmup spread every checker runs then
FIRST_RUN = MONO_START + 1.0
PROBE_TIME = 0.01

#: dump_global_data lines pykeepalived does not write: constants of keepalived's build
#: and of the host's process settings (nftables/libnftnl, the BFD process's scheduling (no
#: BFD here), SNMP and DBus, netlink buffer sizes, VRRP receive buffers,
#: umask), which no exporter reads; the VRRP process's keepalived.data omits them too
UNMODELLED_GLOBALS = (
    "nftables without counters", "nftables with counters", "libnftnl version",
    "BFD process priority", "BFD don't swap", "BFD realtime priority", "BFD realtime limit",
    "SNMP vrrp", "SNMP checker", "SNMP RFCv2", "SNMP RFCv3", "SNMP socket",
    "DBus disabled", "DBus enabled", "DBus service name",
    "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force",
    "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs", "lvs_netlink_monitor_rcv_bufs_force",
    "rx_bufs_multiples", "umask",
)
#: MISC_CHECK's `Last ran`: when the script ran, a time of the capture run
_LAST_RAN = re.compile(r"^(   Last ran = ).*$")


def comparable(text: str) -> list[str]:
    """A checker dump's lines without the unmodelled global lines, times masked."""
    lines, in_globals = [], False
    for line in text.splitlines():
        if line.startswith("------<"):
            in_globals = line == "------< Global definitions >------"
        elif in_globals and line.strip().startswith(UNMODELLED_GLOBALS):
            continue
        lines.append(_LAST_RAN.sub(r"\1<time>", line))
    return lines


def keepalived_paths(command: ScriptCommand) -> ScriptLine:
    """Scripts as keepalived showed them on the capture host: /bin is a link to
    /usr/bin there (merged /usr), and they ran as root."""
    program, *args = command.argv
    if program.startswith("/bin/"):
        program = "/usr" + program
    return ScriptLine(cmd_str((program, *args)))


#: the programs the test configurations name, as present and executable
SCRIPTS = {path: ScriptFacts(exists=True, executable=True)
           for path in ("/bin/true", "/bin/false", "/bin/reader")}


def load(path: Path) -> Config:
    host = HostFacts(interfaces=frozenset({"lo", "d0", "eth0"}), scripts=SCRIPTS)
    loaded = load_config(str(path), host=host)
    assert loaded.config is not None, loaded.diagnostics
    return loaded.config


def load_text(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "keepalived.conf"
    path.write_text(text)
    return load(path)


def drive(config: Config, verdict: Callable[[Checker, int], ProbeResult],
          files: Mapping[str, int] | None = None) -> tuple[CheckSpec, list[VirtualServerCore]]:
    """Start every virtual server and give each checker due at the first run one probe."""
    spec = check_spec(config)
    options = {"log_all_failures": spec.log_all_failures,
               "no_checker_emails": spec.no_checker_emails,
               "rs_init_notifies": spec.rs_init_notifies}
    cores = [VirtualServerCore(vs, **options) for vs in spec.virtual_servers]
    for core in cores:
        core.start(dict(files or {}))
    for core in cores:
        core.register(MONO_START, lambda: 0.0)
    for core in cores:
        for action in core.due(FIRST_RUN):
            if isinstance(action, RunProbe):
                result = verdict(core.checkers[action.checker], action.url)
                core.probe_done(action.checker, result, FIRST_RUN + PROBE_TIME)
    return spec, cores


def snapshot(config: Config, spec: CheckSpec, cores: list[VirtualServerCore],
             files: Mapping[str, int] | None = None,
             kernel: Mapping[ServiceSpec, tuple[DestSpec, ...]] | None = None,
             ) -> CheckSnapshot:
    return build_check_snapshot(
        config, spec, cores, wall_now=WALL_NOW, mono_now=FIRST_RUN + 2 * PROBE_TIME,
        pid=4242, files=files, kernel=kernel, describe=keepalived_paths)


def verdicts(*up: str) -> Callable[[Checker, int], ProbeResult]:
    """Checkers of the kinds named succeed, all others fail (MISC with exit status 1)."""
    def verdict(checker: Checker, url: int) -> ProbeResult:
        ok = checker.kind.value in up
        status = None if checker.kind.value != "MISC_CHECK" else 0 if ok else 1
        return ProbeResult(ok, "" if ok else "Connection failed", PROBE_TIME, url=url,
                           exit_status=status, detail="" if ok else "refused")
    return verdict
