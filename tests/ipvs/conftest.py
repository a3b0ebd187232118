"""Real-IPVS tests: their bodies run inside a VM; on the host each reports the VM's verdict.

The host kernel has no IPVS, so the tests in this folder (marker `ipvs`) only make sense
in the VM of netlab/vm.py. Two modes, chosen by PYKEEPALIVED_IN_VM:

- Inside the VM (set to 1 by the command below) the tests just run.
- On the host each collected test is replaced by a `VmVerdictItem` with the same node id.
  The first one to run boots ONE VM for the session and runs the inner pytest on exactly
  the selected node ids (so `pytest tests/ipvs/test_x.py::test_y` runs only that test in
  the VM); every item then reports its inner verdict: passed, failed with the inner
  traceback, skipped (a failure under PYKEEPALIVED_REQUIRE_REAL=1) or xfailed. What the
  inner test printed is printed again by its stand-in (`pytest -rP` or `-s` shows it).
  The host runs none of the tests' fixtures or bodies, and no other test of the suite
  is touched.

Before booting, the host compiles the checkout's modules: the guest sees the checkout
read-only, and importing pykeepalived from source alone costs tens of seconds there.

When the VM cannot run here (not root, no qemu, no kernel: `python -m netlab.vm --check`),
every test of the folder goes through `skip_or_fail`.
"""

from __future__ import annotations

import compileall
import os
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from netlab import vm
from tests.conftest import skip_or_fail
from tests.ipvs import traffic_lab
from tests.ipvs.verdicts import JunitKey, Verdict, junit_key, read_verdicts

if TYPE_CHECKING:
    from _pytest.terminal import TerminalReporter

#: The traffic tests' director (traffic_lab.py) lives for the session so that the
#: parity module can start its daemon early, beside its own two: a daemon's start is
#: the long pole in the emulated VM. (On the host, no fixture ever runs.)
traffic_director = pytest.fixture(scope="session")(traffic_lab.traffic_director)

IN_VM_ENV = "PYKEEPALIVED_IN_VM"
IN_VM = os.environ.get(IN_VM_ENV) == "1"
HERE = Path(__file__).resolve().parent
JUNIT = "ipvs.xml"

# The whole VM run: boot (15-50 s here) and the inner suite under software emulation,
# 4.5-5.5 minutes on an idle 2-core machine; others' load on the host can slow it by
# half again, hence twice that. The item that triggers the run gets a pytest-timeout a
# little longer, so the VM's own deadline fires first and the VM is killed by us.
VM_TIMEOUT = 900.0
ITEM_TIMEOUT = VM_TIMEOUT + 60.0

# Markers that decide whether and how a test runs: the inner run applies them, the host
# must not apply them a second time (a skipif condition means nothing on the host).
_INNER_ONLY_MARKS = {"skip", "skipif", "xfail", "parametrize", "usefixtures", "timeout"}


@dataclass
class VmRun:
    """The session's one VM run: verdicts by JUnit key, or why there are none."""

    verdicts: dict[JunitKey, Verdict] = field(default_factory=dict)
    unavailable: str | None = None  # the VM cannot run here: skip_or_fail
    broken: str | None = None  # it ran but gave no verdict for some tests: fail
    result: vm.VmResult | None = None
    rwdir: Path | None = None

    def report(self, nodeid: str) -> None:
        """Raise the host-side outcome of the inner test `nodeid`; return if it passed."""
        if self.unavailable is not None:
            skip_or_fail(f"the IPVS VM cannot run here: {self.unavailable}")
        verdict = self.verdicts.get(junit_key(nodeid))
        if verdict is None:
            pytest.fail(self.broken or "the VM run gave no verdict for this test", pytrace=False)
        if verdict.output:
            sys.stdout.write(verdict.output)
        _raise_verdict(verdict)


RUN_KEY = pytest.StashKey[VmRun]()


def _raise_verdict(verdict: Verdict) -> None:
    if verdict.outcome == "failed":
        pytest.fail(f"inside the VM: {verdict.message}\n\n{verdict.details}", pytrace=False)
    if verdict.outcome == "skipped":
        skip_or_fail(f"inside the VM: {verdict.message}")
    if verdict.outcome == "xfailed":
        pytest.xfail(f"inside the VM: {verdict.message}")


class VmVerdictItem(pytest.Item):
    """Stands on the host for one test of this folder and reports its verdict from the VM."""

    def __init__(self, *, original: pytest.Item, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._original_info = original.reportinfo()
        # Its own marks only: the parents' (a module's pytestmark) are shared already.
        for mark in original.own_markers:
            if mark.name not in _INNER_ONLY_MARKS:
                self.own_markers.append(mark)  # what add_marker does with a decorator
                self.keywords[mark.name] = mark
        self.add_marker(pytest.mark.timeout(ITEM_TIMEOUT))

    @classmethod
    def standing_for(cls, original: pytest.Item) -> VmVerdictItem:
        """A stand-in with the same parent, name, node id and selection markers."""
        assert original.parent is not None, "a collected test always has a parent"
        item: VmVerdictItem = cls.from_parent(
            original.parent, name=original.name, original=original
        )
        return item

    def runtest(self) -> None:
        _session_run(self).report(self.nodeid)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        return self._original_info


def _session_run(item: pytest.Item) -> VmRun:
    """The session's VM run, made on first use with every selected test of this folder."""
    stash = item.config.stash
    if RUN_KEY not in stash:
        # Stored before the run: if it is interrupted (Ctrl-C, a timeout), the next tests
        # fail at once instead of booting the VM again.
        stash[RUN_KEY] = VmRun(broken="the VM run was interrupted")
        nodeids = [i.nodeid for i in item.session.items if isinstance(i, VmVerdictItem)]
        stash[RUN_KEY] = _run_in_vm(nodeids, item.config.rootpath)
    return stash[RUN_KEY]


def _inner_command(nodeids: list[str], rootdir: Path, rwdir: Path) -> str:
    """The inner pytest: only the selected tests, every write under the rwdir or /tmp."""
    args = [
        sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider",
        f"--junitxml={rwdir / JUNIT}", "-o", "junit_logging=system-out",
        "-o", "console_output_style=times", "--", *nodeids,
    ]
    return f"cd {shlex.quote(str(rootdir))} && {IN_VM_ENV}=1 {shlex.join(args)}"


def _run_in_vm(nodeids: list[str], rootdir: Path) -> VmRun:
    reasons = vm.unavailable_reasons()
    if reasons:
        return VmRun(unavailable="; ".join(reasons))
    for tree in ("src", "netlab", "tests"):
        compileall.compile_dir(rootdir / tree, quiet=1)
    rwdir = Path(tempfile.mkdtemp(prefix="pykeepalived-ipvs-"))
    result = vm.run_in_vm(_inner_command(nodeids, rootdir, rwdir), rwdir=rwdir, timeout=VM_TIMEOUT)
    junit = rwdir / JUNIT
    verdicts = read_verdicts(junit.read_text()) if junit.exists() else {}
    return VmRun(verdicts=verdicts, broken=_why_broken(result, junit), result=result, rwdir=rwdir)


def _why_broken(result: vm.VmResult, junit: Path) -> str:
    """What to tell for a test the VM gave no verdict for: how the run ended, where to look."""
    if result.timed_out:
        how = f"the VM run was killed after {VM_TIMEOUT:.0f} s"
    elif result.status is None:
        how = "the VM stopped before the inner pytest ended"
    else:
        how = f"the inner pytest exited {result.status} without a verdict for this test"
    tail = "\n".join(result.output.splitlines()[-40:])
    return (
        f"{how} (JUnit XML {'present' if junit.exists() else 'missing'}); guest console:"
        f" {result.console_log}\n--- inner output, last lines ---\n{tail}"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark this folder's tests `ipvs`; on the host, put stand-ins in their place.

    tryfirst: before -m/-k deselection, which then sees the marker and the stand-ins.
    """
    for index, item in enumerate(items):
        if HERE not in item.path.parents:
            continue
        item.add_marker(pytest.mark.ipvs)
        if not IN_VM:
            items[index] = VmVerdictItem.standing_for(item)


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """Times of the VM run (they vary with the machine's load), and where its files are."""
    run = terminalreporter.config.stash.get(RUN_KEY, None)
    if run is None or run.result is None:
        return
    result = run.result
    boot = "never" if result.boot_seconds is None else f"{result.boot_seconds:.1f} s"
    terminalreporter.write_line(
        f"ipvs VM: boot {boot}, total {result.total_seconds:.1f} s, "
        f"inner pytest exit {result.status}, {len(run.verdicts)} inner results"
        + ("" if result.ok else f"; files kept in {run.rwdir}")
    )
    modules: dict[str, float] = {}
    for (classname, _), verdict in run.verdicts.items():
        module = classname.split(".")[2] if classname.count(".") >= 2 else classname
        modules[module] = modules.get(module, 0.0) + verdict.seconds
    if modules:
        terminalreporter.write_line("ipvs VM, seconds per module (fixtures included): " + ", ".join(
            f"{name} {seconds:.0f}" for name, seconds in sorted(modules.items())))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the VM's files after a clean run; keep them to look at otherwise."""
    run = session.config.stash.get(RUN_KEY, None)
    if run is not None and run.rwdir is not None and run.result is not None and run.result.ok:
        shutil.rmtree(run.rwdir, ignore_errors=True)
