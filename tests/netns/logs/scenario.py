"""One failover scenario driven identically against either implementation.

The scenario is the unit of comparison: the same config text, the same topology and the
same sequence of stimuli, with each step waiting on what the *node's own log* says, so
the driver never assumes which implementation it is driving. Between steps it waits for
the logs to go quiet (bounded), because keepalived's second GARP burst arrives
`vrrp_garp_master_delay` after the first and must land inside the step that caused it.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.conf import Config, GlobalDefs, Instance, Script
from netlab.lab import Lab, wait_for

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from netlab.peers import Daemon

VRID = 120
VIP = "192.0.2.120"
PRIORITIES = {"a": 150, "b": 100}
#: Longer than vrrp_garp_master_delay (1 s) so the delayed GARP burst falls in its step.
QUIET_FOR = 1.6
STEP_TIMEOUT = 12.0


def node_config(workdir: Path, host: str) -> Config:
    """keepalived.conf for one host; the flag file makes the check script fail."""
    script = workdir / f"{host}-chk.sh"
    script.write_text(f"#!/bin/sh\ntest ! -e {flag_path(workdir, host)}\n")
    script.chmod(0o755)
    return Config(
        global_defs=GlobalDefs(router_id=f"lgx-{host}", vrrp_version=3, garp_master_delay=1,
                               script_user="root"),
        scripts=[Script("chk", str(script), interval=1, fall=1, rise=1, weight=-60)],
        instances=[Instance("VI_L", VRID, PRIORITIES[host], [f"{VIP}/24"], state="BACKUP",
                            advert="0.1", track_scripts=["chk"])])


def flag_path(workdir: Path, host: str) -> Path:
    return workdir / f"{host}-fail.flag"


@dataclass
class Scenario:
    """Drives nodes `a` (150) and `b` (100) of one lab through the failover story."""

    lab: Lab
    nodes: dict[str, Daemon]

    def wait_log(self, host: str, text: str, after: int) -> int:
        """Wait for `text` in the host's log past offset `after`; returns the new offset."""
        node = self.nodes[host]
        wait_for(lambda: text in node.log()[after:], STEP_TIMEOUT,
                 what=f"{host} to log {text!r}")
        return len(node.log())

    def settle(self) -> None:
        """Wait (bounded) until no node's log has grown for QUIET_FOR seconds."""
        deadline = time.monotonic() + STEP_TIMEOUT
        sizes = self._sizes()
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now_sizes = self._sizes()
            if now_sizes != sizes:
                sizes, quiet_since = now_sizes, time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_FOR:
                return
        raise TimeoutError("logs never went quiet")

    def _sizes(self) -> tuple[int, ...]:
        return tuple(len(node.log()) for node in self.nodes.values())

    def offsets(self) -> dict[str, int]:
        return {host: len(node.log()) for host, node in self.nodes.items()}

    def run(self) -> None:
        workdir = self.lab.workdir
        assert workdir is not None
        self.nodes["a"].start()
        self.wait_log("a", "Entering MASTER STATE", 0)
        self.settle()
        self.nodes["b"].start()
        self.wait_log("b", "Entering BACKUP STATE", 0)
        self.settle()
        self._step(lambda: flag_path(workdir, "a").touch(), "b", "Entering MASTER STATE")
        self._step(lambda: flag_path(workdir, "a").unlink(), "a", "Entering MASTER STATE")
        self._step(lambda: self.lab.link_down("a"), "b", "Entering MASTER STATE")
        self._step(lambda: self.lab.link_up("a"), "b", "Entering BACKUP STATE")
        self._step(lambda: self._signal("b", signal.SIGHUP), "b", "Reload")
        for host in ("b", "a"):
            process = self.nodes[host].process
            assert process is not None
            process.stop(signal.SIGTERM)

    def _step(self, stimulus: Callable[[], object], host: str, text: str) -> None:
        after = self.offsets()[host]
        stimulus()
        self.wait_log(host, text, after)
        self.settle()

    def _signal(self, host: str, sig: int) -> None:
        process = self.nodes[host].process
        assert process is not None
        process.popen.send_signal(sig)
