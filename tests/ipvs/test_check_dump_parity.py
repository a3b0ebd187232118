"""Parity with keepalived 2.2.7's checker dump: the same config, SIGUSR1, the same file.

One virtual server with two real servers in a namespace of our own: 192.0.2.11:8080 a
real (busybox) web server, checked by HTTP_GET and up; 192.0.2.12:8081 nothing, checked
by TCP_CHECK and down. `keepalived -C` runs it first, then `pykeepalived -C` (keepalived
always writes /tmp/keepalived_check.data, ours goes to --dump-dir); each is sent SIGUSR1
until its dump shows both checkers have run (`warmup 0`, `retry 0`: they run once, a
second after start, and settle). The two dumps must match line for line once the lines
below are set aside, and the two IPVS tables they programmed must match too.

pykeepalived runs as a fork of this test process entering the namespace and calling the
command line's `main` with those flags: a fresh interpreter needs 80-100 s here just to
import the package (software emulation, a shared and busy host), while the fork has it
imported already. It is the same program from the argv on.

What differs legitimately, and is masked:
- the global lines pykeepalived does not write (NOT_MODELLED: constants of keepalived's
  build and of process settings no exporter reads; our keepalived.data omits them too);
- nothing else: this configuration has no MISC_CHECK (whose `Last ran` is a time), and
  no line of the checker dump holds a pid.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import pykeepalived.daemon.check_service
import pykeepalived.daemon.logs
import pykeepalived.daemon.real_check_ports
import pykeepalived.specs.check_build
from pykeepalived.adapters.netns import enter_namespace
from pykeepalived.cli.command import main
from tests.ipvs.ipvs_lab import Block, run, table
from tests.unit.observe.check_cores import UNMODELLED_GLOBALS, comparable

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Protocol

    class Process(Protocol):
        """What the test needs of a daemon process: a subprocess.Popen, or `Forked`."""

        pid: int

        def poll(self) -> int | None: ...
        def send_signal(self, sig: int) -> None: ...
        def wait(self, timeout: float) -> int: ...
        def kill(self) -> None: ...

pytestmark = [pytest.mark.ipvs, pytest.mark.keepalived]

NS = "pk-chkdump"
CONFIG = """global_defs {
  router_id PKPARITY
}
virtual_server 192.0.2.100 80 {
  delay_loop 3600
  warmup 0
  lvs_sched wrr
  lvs_method NAT
  protocol TCP
  real_server 192.0.2.11 8080 {
    weight 2
    HTTP_GET {
      url {
        path /index.html
      }
      connect_timeout 2
      retry 0
    }
  }
  real_server 192.0.2.12 8081 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
"""
#: what the daemon imports, imported once here so that the forked daemon has it already
PRELOADED = (pykeepalived.daemon.check_service, pykeepalived.daemon.logs,
             pykeepalived.daemon.real_check_ports, pykeepalived.specs.check_build)
#: keepalived's global lines that pykeepalived does not write, set aside before comparing
NOT_MODELLED = (
    "nftables without counters", "libnftnl version", "BFD process priority",
    "BFD don't swap", "BFD realtime priority", "BFD realtime limit", "SNMP vrrp",
    "SNMP checker", "SNMP RFCv2", "SNMP RFCv3", "SNMP socket", "DBus disabled",
    "DBus service name", "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force",
    "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs", "lvs_netlink_monitor_rcv_bufs_force",
    "rx_bufs_multiples", "umask",
)
KEEPALIVED_DUMP = Path("/tmp/keepalived_check.data")
#: bounds on start-up to a settled dump (keepalived's, ours: it loads its config in an
#: interpreter slowed by emulation), on stop, and the polling step
KEEPALIVED_LIMIT, OURS_LIMIT, STOP_LIMIT, POLL = 30.0, 90.0, 15.0, 0.5


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[Path, int]]:
    """The namespace, its addresses, the web server: a working directory, the server's
    pid."""
    run("ip", "netns", "add", NS)
    web: subprocess.Popen[bytes] | None = None
    try:
        run("ip", "-n", NS, "link", "set", "lo", "up")
        run("ip", "-n", NS, "link", "add", "d0", "type", "dummy")
        run("ip", "-n", NS, "link", "set", "d0", "up")
        run("ip", "-n", NS, "addr", "add", "192.0.2.1/24", "dev", "d0")
        for address in ("192.0.2.11/32", "192.0.2.12/32"):
            run("ip", "-n", NS, "addr", "add", address, "dev", "d0")
        with tempfile.TemporaryDirectory(prefix="pk-chkdump-") as tmp:
            work = Path(tmp)
            (work / "www").mkdir()
            (work / "www" / "index.html").write_text("parity\n")
            (work / "keepalived.conf").write_text(CONFIG)
            web = subprocess.Popen(["ip", "netns", "exec", NS, "busybox", "httpd", "-f",
                                    "-p", "192.0.2.11:8080", "-h", str(work / "www")],
                                   stdin=subprocess.DEVNULL)
            _wait_listening("192.0.2.11:8080")
            yield work, web.pid
    finally:
        if web is not None:
            _stop(web)
        run("ip", "netns", "del", NS, check=False)


def _wait_listening(endpoint: str) -> None:
    for _ in range(int(KEEPALIVED_LIMIT / 0.1)):
        if endpoint in run("ss", "-Hltn", ns=NS):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {endpoint} in {NS}")


def _stop(proc: Process) -> None:
    """SIGTERM by its PID, bounded, then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_LIMIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_LIMIT)


class Forked:
    """`pykeepalived ARGV` in our namespace, as a fork of this process (see above)."""

    def __init__(self, argv: Sequence[str], log: Path) -> None:
        self.returncode: int | None = None
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into pytest
            code = 1
            try:
                enter_namespace(NS)
                out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
                os.dup2(out, 1)
                os.dup2(out, 2)
                sys.stdout = open(1, "w", buffering=1)  # noqa: SIM115
                sys.stderr = open(2, "w", buffering=1)  # noqa: SIM115
                for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1,
                               signal.SIGALRM):
                    signal.signal(number, signal.SIG_DFL)
                code = main(list(argv))
            finally:
                os._exit(code)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float) -> int:
        for _ in range(int(timeout / 0.05) + 1):
            if (code := self.poll()) is not None:
                return code
            time.sleep(0.05)
        raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)


@contextlib.contextmanager
def stopped_at_exit(proc: Process, web: int) -> Iterator[Process]:
    """Stop a daemon we started by its PID; a checker child it left behind in our
    namespace (anything there but our web server) is stopped too."""
    try:
        yield proc
    finally:
        _stop(proc)
        for pid in (int(w) for w in run("ip", "netns", "pids", NS, check=False).split()):
            if pid != web:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def keepalived(argv: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(["ip", "netns", "exec", NS, *argv], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def dump_when_settled(proc: Process, path: Path, ready: Path | str,
                      log: Path, limit: float) -> tuple[str, list[Block]]:
    """Wait until the daemon can take SIGUSR1 (`ready`: a pid file, or a log line), then
    ask for dumps until one shows both checkers have run; the dump and the IPVS table."""
    deadline = time.monotonic() + limit
    text = ""
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(POLL)
        if isinstance(ready, Path) and not ready.exists():
            continue
        if isinstance(ready, str) and ready not in log.read_text(errors="replace"):
            continue
        proc.send_signal(signal.SIGUSR1)
        time.sleep(POLL)
        text = path.read_text() if path.exists() else ""
        if text.count("Has run = yes") == 2 and text.endswith("TCP_CHECK\n"):
            return text, table(NS)
    raise AssertionError(f"no settled dump in {limit:g} s (exit {proc.poll()}); last dump:\n"
                         f"{text}\nlog:\n{log.read_text(errors='replace')}")


def test_the_not_modelled_list_is_the_unit_tests_list() -> None:
    assert set(NOT_MODELLED) <= set(UNMODELLED_GLOBALS)


def test_sigusr1_dump_matches_keepalived_line_for_line(lab: tuple[Path, int]) -> None:
    work, web = lab
    config = str(work / "keepalived.conf")
    KEEPALIVED_DUMP.unlink(missing_ok=True)
    with stopped_at_exit(keepalived(["keepalived", "-C", "-n", "-l", "-D", "-f", config,
                                     "-p", str(work / "k.pid"), "-c", str(work / "kc.pid")],
                                    work / "keepalived.log"), web) as proc:
        theirs, their_table = dump_when_settled(proc, KEEPALIVED_DUMP, work / "kc.pid",
                                                work / "keepalived.log", KEEPALIVED_LIMIT)
    ours_dir = work / "ours"
    ours_dir.mkdir()
    with stopped_at_exit(Forked(["-C", "-n", "-l", "-D", "-f", config,
                                 "-p", str(work / "p.pid"), "-c", str(work / "pc.pid"),
                                 "--dump-dir", str(ours_dir)], work / "ours.log"), web) as proc:
        ours, our_table = dump_when_settled(proc, ours_dir / "keepalived_check.data",
                                            "Activating healthchecker", work / "ours.log",
                                            OURS_LIMIT)
    assert f"Printing checker data for process({proc.pid}) on signal" in (
        work / "ours.log").read_text()
    theirs_lines = [line for line in theirs.splitlines()
                    if not line.strip().startswith(NOT_MODELLED)]
    assert comparable(theirs) == theirs_lines  # no time or unlisted line to mask here
    diff = "\n".join(difflib.unified_diff(theirs_lines, ours.splitlines(), "keepalived",
                                          "pykeepalived", lineterm=""))
    assert ours.splitlines() == theirs_lines, diff
    assert our_table == their_table
    assert their_table == [("TCP 192.0.2.100:80 wrr", ("-> 192.0.2.11:8080 Masq 2 0 0",))]
