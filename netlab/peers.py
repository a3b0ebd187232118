"""keepalived 2.2.7 and pykeepalived daemons as processes in lab hosts, and their VIPs.

Each daemon gets its own directory in the lab's work directory (config, pid files) and
runs in the foreground inside `ip netns exec`; the lab stops it by PID. Both kinds offer
the same calls (`Daemon`), so a scenario can be played against either implementation.

Daemons whose dump files a test reads run in a private mount namespace with their own
directory bind-mounted on /tmp (`Private*`): keepalived always writes /tmp/keepalived.*,
and other tests on this machine do too.

A director runs only the check module: `checker_daemon()` gives `keepalived -C` or
`pykeepalived -C` with the same config text (a `Config` or the text of a sample);
`reload()` rewrites it and sends SIGHUP.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from netlab.lab import STOP_TIMEOUT, wait_for

if TYPE_CHECKING:
    from netlab.conf import Config
    from netlab.lab import Lab, Process

DUMP_SIGNALS = {"keepalived.data": signal.SIGUSR1, "keepalived.stats": signal.SIGUSR2,
                "keepalived.json": signal.SIGRTMIN + 2,
                "keepalived_check.data": signal.SIGUSR1}


class Daemon(Protocol):
    """What PyNode and KeepalivedPeer have in common."""

    process: Process | None
    config_path: Path

    def start(self) -> object: ...

    def stop(self) -> int: ...

    def log(self) -> str: ...


class _Node:
    """A daemon with its own directory holding its config and pid files."""

    kind = "daemon"

    def __init__(self, lab: Lab, host: str, config: Config | str, *, name: str) -> None:
        assert lab.workdir is not None, "use the Lab as a context manager"
        self.lab = lab
        self.host = host
        self.directory: Path = lab.workdir / f"{host}-{name}"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.directory / "keepalived.conf"
        self.config_path.write_text(config if isinstance(config, str) else config.text())
        self.process: Process | None = None

    def reload(self, config: Config | str) -> None:
        """Rewrite the config and send SIGHUP (keepalived's parent passes it on)."""
        self.config_path.write_text(config if isinstance(config, str) else config.text())
        assert self.process is not None, "start it first"
        self.process.popen.send_signal(signal.SIGHUP)

    def argv(self) -> list[str]:
        raise NotImplementedError

    def log(self) -> str:
        return self.process.output() if self.process is not None else ""

    def wait_for_log(self, substring: str, timeout: float = 10.0, *, after: int = 0) -> str:
        """Wait for `substring` in the log past character `after`; returns the whole log."""
        def found() -> str | None:
            text = self.log()
            return text if substring in text[after:] else None
        return wait_for(found, timeout, what=f"{self.kind} on {self.host} to log {substring!r}")


class KeepalivedPeer(_Node):
    """Real keepalived 2.2.7 in a lab host, with its own pid files and a console log."""

    kind = "keepalived"

    def __init__(self, lab: Lab, host: str, config: Config | str, *,
                 name: str = "keepalived") -> None:
        super().__init__(lab, host, config, name=name)

    def argv(self) -> list[str]:
        pid = self.directory
        return ["keepalived", "-n", "-l", "-D", "-f", str(self.config_path),
                "-p", str(pid / "keepalived.pid"), "-r", str(pid / "vrrp.pid"),
                "-c", str(pid / "checkers.pid")]

    def start(self) -> KeepalivedPeer:
        self.process = self.lab.spawn(self.host, self.argv(), name="keepalived")
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM (keepalived sends priority 0 adverts and removes VIPs), then wait."""
        if self.process is None:
            return 0
        return self.process.stop(signal.SIGTERM, timeout)


class PyNode(_Node):
    """One pykeepalived daemon in a lab host (`python -m pykeepalived -n -l -D -G`)."""

    kind = "pykeepalived"

    def __init__(self, lab: Lab, host: str, config: Config | str, *,
                 name: str = "pyka") -> None:
        super().__init__(lab, host, config, name=name)

    def argv(self) -> list[str]:
        d = self.directory
        return [sys.executable, "-m", "pykeepalived", "-n", "-l", "-D", "-G",
                "-f", str(self.config_path), "-p", str(d / "keepalived.pid"),
                "-r", str(d / "vrrp.pid"), "-c", str(d / "checkers.pid")]

    def start(self) -> PyNode:
        self.process = self.lab.spawn(self.host, self.argv(), name="pykeepalived")
        return self

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


# ------------------------------------------------------------ directors: the checker alone
class KeepalivedChecker(KeepalivedPeer):
    """`keepalived -C`: its checker process alone (IPVS and health checks)."""

    def argv(self) -> list[str]:
        return ["keepalived", "-C", *super().argv()[1:]]

    def check_dump(self, timeout: float = 10.0) -> str:
        """SIGUSR1: the checker writes /tmp/keepalived_check.data. That path is fixed, so
        only where no other keepalived runs (the IPVS VM: its /tmp is its own)."""
        assert self.process is not None, "start it first"
        return read_dump(Path("/tmp"), "keepalived_check.data", self.process.pid, timeout)


class PyChecker(PyNode):
    """`pykeepalived -C`: the checker alone, in this one process."""

    def argv(self) -> list[str]:
        return [*super().argv()[:3], "-C", *super().argv()[3:]]


def checker_daemon(lab: Lab, host: str, kind: str, config: Config | str, *,
                   name: str | None = None) -> KeepalivedChecker | PyChecker:
    """`kind` "keepalived" or "pykeepalived", `-C`, in `host` (not started yet)."""
    if kind == "keepalived":
        return KeepalivedChecker(lab, host, config, name=name or "keepalived")
    if kind == "pykeepalived":
        return PyChecker(lab, host, config, name=name or "pyka")
    raise ValueError(f"no such daemon kind: {kind}")
