"""Probes against real servers: host `a` (192.0.2.11) probes, host `b` (.12) serves.

The probe runs in a thread that entered a's network namespace (setns moves only the
calling thread), with its own event loop, so the probe code makes its sockets exactly
as it does in the daemon. Servers are real programs started in b by the lab, which
stops them by PID and deletes the namespaces whatever the test did.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from netlab.lab import Lab, Process, wait_for
from pykeepalived.adapters.checkers import run_probe

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Awaitable, Callable

    from pykeepalived.check.params import Probe
    from pykeepalived.check.results import ProbeResult

T = TypeVar("T")
SERVERS = Path(__file__).with_name("servers.py")
CLONE_NEWNET = 0x40000000
#: generous bound on one probe run in a test (its own timeouts are 1-2 s)
RUN_LIMIT = 30.0


def in_namespace(namespace: str, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work()` on a fresh event loop in a thread inside `namespace`."""
    libc = ctypes.CDLL(None, use_errno=True)
    results: list[T] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            with open(f"/run/netns/{namespace}", "rb") as handle:
                if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {namespace}")
            results.append(asyncio.run(work()))  # type: ignore[arg-type]
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=worker, name=f"probe-{namespace}", daemon=True)
    thread.start()
    thread.join(RUN_LIMIT)
    if failures:
        raise failures[0]
    if not results:
        raise TimeoutError(f"work in {namespace} did not finish within {RUN_LIMIT} s")
    return results[0]


class ProbeLab:
    """The two-host lab plus the helpers every probe test uses."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.a = lab.host("a")
        self.b = lab.host("b")

    def probe(self, probe: Probe, **kwargs: int | bool) -> ProbeResult:
        return in_namespace(self.a.namespace, lambda: run_probe(probe, **kwargs))  # type: ignore[arg-type]

    def serve(self, kind: str, port: int, *extra: str, host: str = "b") -> Process:
        process = self.lab.spawn(host, [sys.executable, str(SERVERS), kind, str(port),
                                        *extra], name=kind)
        wait_for(lambda: "READY" in process.output() or process.popen.poll() is not None,
                 10.0, what=f"{kind} server on port {port}")
        assert "READY" in process.output(), process.output()
        return process

    def run(self, host: str, *argv: str) -> subprocess.CompletedProcess[str]:
        return self.lab.run(host, list(argv))


def events(process: Process, kind: str) -> list[str]:
    """The server's `KIND value` lines so far (PEER, REQ, SNI, DATA)."""
    return [line.split(" ", 1)[1] for line in process.output().splitlines()
            if line.startswith(f"{kind} ")]


@pytest.fixture
def probes(make_lab: Callable[..., Lab]) -> ProbeLab:
    return ProbeLab(make_lab(("a", "b")))
