"""pykeepalived daemons in lab hosts, next to `tests.netns.lab.KeepalivedPeer`.

Each node gets its own config and pid files in the lab's work directory and runs as
`python -m pykeepalived -n -l -D ...` inside `ip netns exec`; the lab stops it by PID.
Addresses used here: VIPs 192.0.2.170-179 and 2001:db8::170-179, VRIDs 170-179, so
these tests never meet another engineer's instances.
"""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING

from tests.netns.lab import Lab, Process, wait_for

if TYPE_CHECKING:
    from pathlib import Path


class PyNode:
    """One pykeepalived daemon in a lab host."""

    def __init__(self, lab: Lab, host: str, config: str, *, name: str = "pyka") -> None:
        assert lab.workdir is not None, "use the Lab as a context manager"
        self.lab = lab
        self.host = host
        self.directory: Path = lab.workdir / f"{host}-{name}"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.directory / "keepalived.conf"
        self.config_path.write_text(config)
        self.process: Process | None = None

    def argv(self) -> list[str]:
        d = self.directory
        return [sys.executable, "-m", "pykeepalived", "-n", "-l", "-D", "-G",
                "-f", str(self.config_path), "-p", str(d / "keepalived.pid"),
                "-r", str(d / "vrrp.pid"), "-c", str(d / "checkers.pid")]

    def start(self) -> PyNode:
        self.process = self.lab.spawn(self.host, self.argv(), name="pykeepalived")
        return self

    def log(self) -> str:
        return self.process.output() if self.process is not None else ""

    def wait_for_log(self, substring: str, timeout: float = 10.0, *, after: int = 0) -> str:
        """Wait for `substring` in the log past character `after`; returns the whole log."""
        def found() -> str | None:
            text = self.log()
            return text if substring in text[after:] else None
        return wait_for(found, timeout, what=f"pykeepalived on {self.host} to log {substring!r}")

    def send_signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.popen.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process is None:
            return 0
        return self.process.stop(sig)

    def kill(self) -> None:
        """SIGKILL: no priority 0, VIPs left behind (a crashed daemon)."""
        assert self.process is not None
        self.process.popen.kill()
        self.process.popen.wait(5.0)


def has_address(lab: Lab, host: str, address: str) -> bool:
    shown = lab.run(host, ["ip", "-o", "addr", "show", "dev", "eth0"]).stdout
    return f" {address}/" in shown


def wait_address(lab: Lab, host: str, address: str, present: bool = True,
                 timeout: float = 10.0) -> None:
    state = "on" if present else "gone from"
    wait_for(lambda: has_address(lab, host, address) == present, timeout,
             what=f"{address} {state} {host}")


def instance_conf(*, vrid: int, priority: int, vip: str, version: int = 3,
                  advert: str = "0.1", interface: str = "eth0", extra: str = "",
                  global_extra: str = "") -> str:
    """One vrrp_instance VI_T (plus global_defs), in keepalived.conf syntax."""
    return f"""global_defs {{
    router_id pyka{vrid}
    vrrp_version {version}
    vrrp_garp_master_delay 1
    {global_extra}
}}
vrrp_instance VI_T {{
    state BACKUP
    interface {interface}
    virtual_router_id {vrid}
    priority {priority}
    advert_int {advert}
    {extra}
    virtual_ipaddress {{
        {vip}
    }}
}}
"""
