"""Real processes through adapters/scripts.py: exit codes, signals, timeouts, users, zombies."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pykeepalived.adapters.scripts import EXIT_NOT_FOUND, ScriptRefused, run_script
from pykeepalived.adapters.scripts_security import (
    PathFact,
    keepalived_path,
    path_components,
    script_security_problem,
    unsafe_component,
)
from pykeepalived.commands import ScriptCommand
from pykeepalived.vrrp.tracking import ScriptResult, ScriptStatus, ScriptTracker
from tests.conftest import skip_or_fail

SH = "/bin/sh"


def sh(code: str, user: str | None = None) -> ScriptCommand:
    return ScriptCommand((SH, "-c", code), user=user)


def run(command: ScriptCommand, time_limit: float = 5.0, grace: float = 2.0,
        **kw: bool) -> ScriptResult:
    return asyncio.run(run_script(command, time_limit=time_limit, grace=grace, **kw))


def alive(pid: int) -> bool:
    """Running (a zombie re-parented to a non-reaping init counts as dead)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"


def dies_soon(pid: int, budget: float = 2.0) -> bool:
    """SIGKILL is delivered asynchronously: give the kernel a bounded moment."""
    deadline = time.monotonic() + budget
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.005)
    return not alive(pid)


def our_children() -> list[int]:
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == me:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("code", [0, 1, 7, 255])
def test_exit_status_is_reported(code: int) -> None:
    assert run(sh(f"exit {code}")) == ScriptResult.exited(code)


def test_argv_is_execed_directly_without_a_shell(tmp_path: Path) -> None:
    out = tmp_path / "argv"
    command = ScriptCommand(("/usr/bin/printf", "%s|", "a b", "$HOME", ">x"))
    script = ScriptCommand((SH, "-c", f'{" ".join(map(repr, command.argv))} > {out}'))
    assert run(script).success
    # the same argv execed directly: no word splitting, no expansion, no redirection
    direct = ScriptCommand((SH, "-c", 'printf "%s|" "$@" > "$0"', str(out), "a b", "$HOME", ">x"))
    assert run(direct).success
    assert out.read_text() == "a b|$HOME|>x|"


def test_killed_by_signal_is_a_signal_failure() -> None:
    result = run(sh("kill -USR1 $$"))
    assert result == ScriptResult.killed(signal.SIGUSR1)
    assert result.verdict_words() == f"failed (due to signal {int(signal.SIGUSR1)})"


def test_missing_program_fails_without_traceback() -> None:
    assert run(ScriptCommand(("/nonexistent/pyka-script",))) == ScriptResult.exited(
        EXIT_NOT_FOUND)


def test_unknown_user_is_refused_with_keepalived_words() -> None:
    with pytest.raises(ScriptRefused, match="Script user 'pyka-no-such-user' does not exist"):
        run(sh("exit 0", user="pyka-no-such-user"))


def test_timeout_kills_the_whole_group_after_grace(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    code = f'trap "" TERM; sleep 30 & echo $$ $! > {pids}; wait; wait'
    started = time.monotonic()
    result = run(sh(code), time_limit=0.3, grace=0.4)
    elapsed = time.monotonic() - started
    assert result == ScriptResult.timeout()
    assert result.verdict_words() == "timed_out"
    assert 0.7 <= elapsed < 3.0  # SIGTERM ignored by both: SIGKILL came after the grace
    leader, child = map(int, pids.read_text().split())
    assert dies_soon(leader)
    assert dies_soon(child)


def test_leader_dying_on_sigterm_takes_children_that_ignore_it(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    code = f'(trap "" TERM; exec sleep 30) & echo $! > {pids}; wait'
    started = time.monotonic()
    result = run(sh(code), time_limit=0.3, grace=5.0)
    assert result == ScriptResult.timeout()
    assert time.monotonic() - started < 3.0  # no need to wait the grace out
    assert dies_soon(int(pids.read_text()))


def test_cancelling_a_run_kills_its_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"

    async def scenario() -> None:
        task = asyncio.create_task(run_script(sh(f"sleep 30 & echo $! > {pids}; wait"),
                                              time_limit=30))
        for _ in range(200):
            if pids.exists() and pids.read_text().strip():
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    deadline = time.monotonic() + 2
    while alive(int(pids.read_text())) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dies_soon(int(pids.read_text()))


@pytest.mark.slow
def test_no_zombies_after_a_thousand_short_runs() -> None:
    async def many() -> list[ScriptResult]:
        results: list[ScriptResult] = []
        for _ in range(20):
            batch = [run_script(ScriptCommand(("/bin/true",)), time_limit=5) for _ in range(50)]
            results.extend(await asyncio.gather(*batch))
        return results

    results = asyncio.run(many())
    assert len(results) == 1000
    assert all(r.success for r in results)
    assert our_children() == []


def test_runs_as_another_user() -> None:
    if os.geteuid() != 0:
        skip_or_fail("needs root to switch to nobody")
    nobody = pwd.getpwnam("nobody")
    shared = Path(tempfile.mkdtemp(prefix="pyka-scripts-", dir="/tmp"))
    shared.chmod(0o777)
    out = shared / "ids"
    try:
        assert run(sh(f"echo $(id -u) $(id -g) $(id -G) > {out}", user="nobody")).success
        ids = out.read_text().split()
    finally:
        shutil.rmtree(shared)
    assert ids == [str(nobody.pw_uid), str(nobody.pw_gid), str(nobody.pw_gid)]


def test_rise_and_fall_through_the_real_tracker() -> None:
    tracker = ScriptTracker("chk", rise=2, fall=2)
    statuses, logs = [], []
    for code in (0, 1, 1, 0, 0, 3):
        verdict = tracker.record(run(sh(f"exit {code}")))
        statuses.append(verdict.status)
        logs.extend(verdict.logs)
    good, bad = ScriptStatus.GOOD, ScriptStatus.BAD
    assert statuses == [good, good, bad, bad, good, good]
    assert logs == [
        "VRRP_Script(chk) succeeded", "Script `chk` now returning 1",
        "VRRP_Script(chk) failed (exited with status 1)", "Script `chk` now returning 0",
        "VRRP_Script(chk) succeeded", "Script `chk` now returning 3",
    ]


# --- script security -------------------------------------------------------------------

DIR, FILE = stat.S_IFDIR, stat.S_IFREG


def test_path_components() -> None:
    assert path_components("/etc/keepalived/chk") == ["/", "/etc", "/etc/keepalived",
                                                      "/etc/keepalived/chk"]


@pytest.mark.parametrize(("facts", "expected"), [
    ([PathFact("/", 0, 0, DIR | 0o755), PathFact("/s", 0, 0, FILE | 0o755)], None),
    ([PathFact("/", 0, 0, DIR | 0o755), PathFact("/d", 0, 0, DIR | 0o1777),
      PathFact("/d/s", 0, 0, FILE | 0o755)], None),  # sticky dir: like /tmp
    ([PathFact("/", 0, 0, DIR | 0o755), PathFact("/d", 0, 0, DIR | 0o775),
      PathFact("/d/s", 0, 0, FILE | 0o755)], None),  # group root may write
    ([PathFact("/", 0, 0, DIR | 0o755), PathFact("/d", 0, 1000, DIR | 0o775),
      PathFact("/d/s", 0, 0, FILE | 0o755)], ("/d", "chmod g-w /d")),
    ([PathFact("/", 0, 0, DIR | 0o755), PathFact("/d", 0, 1000, DIR | 0o777),
      PathFact("/d/s", 0, 0, FILE | 0o755)], ("/d", "chmod go-w /d")),
    ([PathFact("/", 0, 0, DIR | 0o755), PathFact("/s", 0, 0, FILE | 0o757)],
     ("/s", "chmod o-w /s")),
    ([PathFact("/", 0, 0, DIR | 0o755), PathFact("/s", 33, 0, FILE | 0o755)],
     ("/s", "chown root /s")),
])
def test_unsafe_component_decision(facts: list[PathFact],
                                   expected: tuple[str, str] | None) -> None:
    found = unsafe_component(facts)
    assert (None if found is None else (found.path, found.fix)) == expected


def make_script(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "chk.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    return script


@pytest.fixture
def root_only() -> None:
    if os.geteuid() != 0:
        skip_or_fail("needs root to own the script path")


@pytest.mark.usefixtures("root_only")
def test_security_refuses_a_group_writable_directory_and_says_how_to_fix(
        tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    script = make_script(bindir)
    os.chown(bindir, 0, 1000)
    bindir.chmod(0o775)
    problem = script_security_problem(str(script), uid=0, gid=0)
    assert problem is not None
    assert f"{bindir} is writable by group 1000" in problem
    assert f"`chmod g-w {bindir}`" in problem
    with pytest.raises(ScriptRefused, match="Unsafe permissions found for script"):
        run(ScriptCommand((str(script),)), enforce_security=True)


@pytest.mark.usefixtures("root_only")
def test_security_refuses_a_script_not_owned_by_root(tmp_path: Path) -> None:
    script = make_script(tmp_path / "bin")
    os.chown(script, 65534, 0)
    problem = script_security_problem(str(script), uid=0, gid=0)
    assert problem is not None
    assert f"`chown root {script}`" in problem


@pytest.mark.usefixtures("root_only")
def test_security_checks_the_symlink_target_too(tmp_path: Path) -> None:
    real = make_script(tmp_path / "unsafe")
    (tmp_path / "unsafe").chmod(0o777)
    safe = tmp_path / "safe"
    safe.mkdir()
    (safe / "chk.sh").symlink_to(real)
    problem = script_security_problem(str(safe / "chk.sh"), uid=0, gid=0)
    assert problem is not None
    assert f"`chmod o-w {tmp_path / 'unsafe'}`" in problem


@pytest.mark.usefixtures("root_only")
def test_security_allows_safe_root_scripts_and_unsafe_non_root_ones(tmp_path: Path) -> None:
    script = make_script(tmp_path / "bin")
    assert script_security_problem(str(script), uid=0, gid=0) is None
    assert run(ScriptCommand((str(script),)), enforce_security=True).success
    (tmp_path / "bin").chmod(0o777)
    nobody = pwd.getpwnam("nobody")
    assert script_security_problem(str(script), uid=nobody.pw_uid, gid=nobody.pw_gid) is None


def test_security_reports_a_missing_script() -> None:
    problem = script_security_problem("pyka-no-such-script", uid=0, gid=0)
    assert problem == "Cannot find script pyka-no-such-script in path - disabling"


# ------------------------------------------------------------------ keepalived's path
def test_keepalived_path_resolves_links_but_keeps_the_name_of_the_same_file(
        tmp_path: Path) -> None:
    """lib/notify.c check_script_secure: the dumps show the path keepalived runs."""
    real_dir = tmp_path / "usr" / "bin"
    real_dir.mkdir(parents=True)
    (real_dir / "dash").write_text("#!/bin/sh\n")
    (real_dir / "sh").symlink_to("dash")
    (tmp_path / "bin").symlink_to(real_dir)
    (tmp_path / "other").symlink_to(real_dir / "dash")
    assert keepalived_path(str(tmp_path / "bin" / "dash")) == str(real_dir / "dash")
    assert keepalived_path(str(tmp_path / "bin" / "sh")) == str(real_dir / "sh")
    assert keepalived_path(str(tmp_path / "other")) == str(real_dir / "dash")
    assert keepalived_path("/no/such/program") == "/no/such/program"
    assert keepalived_path("</dev/tcp/192.0.2.1/80") == "</dev/tcp/192.0.2.1/80"


def test_a_script_hears_sigterm_when_the_daemon_is_killed(tmp_path: Path) -> None:
    """kill -9 of the daemon: its hung script gets SIGTERM (keepalived's
    PR_SET_PDEATHSIG) instead of running on with nobody left to time it out."""
    pids, heard = tmp_path / "pids", tmp_path / "heard"
    script = f'trap "echo TERM > {heard}; exit 0" TERM; echo $$ > {pids}; sleep 30 & wait'
    daemon = subprocess.Popen([sys.executable, "-c", (
        "import asyncio, sys\n"
        "from pykeepalived.adapters.scripts import run_script\n"
        "from pykeepalived.commands import ScriptCommand\n"
        f"asyncio.run(run_script(ScriptCommand(('/bin/sh', '-c', {script!r})), "
        "time_limit=60))\n")])
    try:
        for _ in range(1000):  # 10 s at most
            if pids.exists() and pids.read_text().strip():
                break
            assert daemon.poll() is None
            time.sleep(0.01)
        leader = int(pids.read_text())
        assert alive(leader)
    finally:
        daemon.kill()
        daemon.wait(5)
    assert dies_soon(leader, budget=5.0)
    assert heard.read_text().strip() == "TERM"
