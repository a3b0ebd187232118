"""Run one script the way keepalived does, and always account for every process it made.

keepalived execs the configured argv directly (no shell), as the script's user/group
(setgid, setgroups to that one group, setuid), in a new process group, with its own
environment inherited. A script that outlives its timeout gets SIGTERM to the whole
process group, then SIGKILL after a grace period (keepalived: 2 s), and counts as
"timed_out". A leader that dies of our SIGTERM still gets its group SIGKILLed, so
children that ignore SIGTERM go too. Like keepalived (PR_SET_PDEATHSIG), a script gets
SIGTERM if the daemon dies under it (SIGKILL, a crash), so a hung script is not left
running forever without the daemon that would have timed it out. A script that exits
normally is not followed further: children it left behind (`cmd &`) keep running, as
with keepalived (notify scripts legitimately start background work), re-parented away
from the daemon, so they never become its zombies.

Public API (asyncio-native):

    command = script_command(notify_script, global_defs)            # specs/notify.py
    result = await run_script(command, time_limit=5.0)          # -> vrrp.tracking.ScriptResult
    result = await run_script(command, time_limit=5.0, enforce_security=True)  # may raise

`ScriptRefused` is raised (never a traceback for the user: callers log `str(exc)`) when the
user/group does not exist or, with `enforce_security`, the script would run as root from a
path non-root users can write (see `scripts_security`). Cancelling `run_script` kills the
process group; the child is always reaped by asyncio's child watcher, so no zombies.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import grp
import logging
import os
import pwd
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pykeepalived.adapters.scripts_security import script_security_problem
from pykeepalived.vrrp.tracking import ScriptResult

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.commands import ScriptCommand

log = logging.getLogger(__name__)

#: keepalived's wait between SIGTERM and SIGKILL to a timed-out script's group.
DEFAULT_GRACE = 2.0
#: How long we wait for a SIGKILLed group before saying so (keepalived: 10 s).
KILL_WAIT = 10.0
#: keepalived's default script user when it exists and no script_user is configured.
DEFAULT_SCRIPT_USER = "keepalived_script"
#: Shell conventions for "could not exec": not found / not executable.
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126


#: prctl(2) option: the signal a child gets when the thread that forked it dies
PR_SET_PDEATHSIG = 1


@functools.cache
def _die_with_the_daemon() -> Callable[[], object]:
    """The preexec_fn: in the child between fork and exec, after the switch of user (a
    change of credentials clears the setting), SIGTERM when the daemon dies. Only a
    foreign call and no Python allocation-heavy work, as befits a preexec_fn.

    Made in the daemon at its first script (never in the forked child: no import
    there), so a daemon that runs no script never loads ctypes (0.4 MiB)."""
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return functools.partial(prctl, PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class ScriptRefused(Exception):
    """The script must not run (unknown user, unsafe path); the message says why."""


@dataclass(frozen=True, slots=True)
class Credentials:
    uid: int
    gid: int


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def resolve_credentials(user: str | None, group: str | None) -> Credentials:
    """uid/gid to run as; ScriptRefused with keepalived's words if they do not exist.

    No user configured: keepalived's `keepalived_script` if the host has it, else ours.
    """
    uid, gid = os.getuid(), os.getgid()
    if user is None and _user_exists(DEFAULT_SCRIPT_USER):
        user = DEFAULT_SCRIPT_USER
    if user is not None:
        try:
            entry = pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
        except KeyError:
            raise ScriptRefused(f"Script user '{user}' does not exist") from None
        uid, gid = entry.pw_uid, entry.pw_gid
    if group is not None:
        try:
            gid = grp.getgrgid(int(group)).gr_gid if group.isdigit() else grp.getgrnam(
                group).gr_gid
        except KeyError:
            raise ScriptRefused(f"Script group '{group}' does not exist") from None
    return Credentials(uid, gid)


def _spawn_kwargs(creds: Credentials) -> dict[str, Any]:
    """Switch identity only when it differs from ours (unprivileged runs stay possible)."""
    if (creds.uid, creds.gid) == (os.getuid(), os.getgid()):
        return {}
    return {"user": creds.uid, "group": creds.gid, "extra_groups": [creds.gid]}


def killpg(pgid: int, sig: int) -> bool:
    """Signal a whole process group; False when nobody is left in it."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def result_of(returncode: int) -> ScriptResult:
    """asyncio's returncode (negative = killed by that signal) as a ScriptResult."""
    if returncode < 0:
        return ScriptResult.killed(-returncode)
    return ScriptResult.exited(returncode)


async def run_script(command: ScriptCommand, *, time_limit: float | None,
                     grace: float = DEFAULT_GRACE, enforce_security: bool = False,
                     ) -> ScriptResult:
    """Run `command` to completion (or `time_limit`; None = no limit) and report how."""
    if not command.argv:
        raise ScriptRefused("empty script command")
    creds = resolve_credentials(command.user, command.group)
    if enforce_security:
        problem = script_security_problem(command.program, uid=creds.uid, gid=creds.gid)
        if problem is not None:
            raise ScriptRefused(problem)
    try:
        proc = await asyncio.create_subprocess_exec(
            *command.argv, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_the_daemon(),
            env={**os.environ, **dict(command.env)} if command.env else None,
            **_spawn_kwargs(creds))
    except OSError as exc:
        log.error("Error exec-ing command '%s', error %d: %s", command.program,
                  exc.errno or 0, exc.strerror)
        missing = exc.errno == errno.ENOENT
        return ScriptResult.exited(EXIT_NOT_FOUND if missing else EXIT_NOT_EXECUTABLE)
    return await supervise(proc, time_limit=time_limit, grace=grace, name=command.program)


async def supervise(proc: asyncio.subprocess.Process, *, time_limit: float | None, grace: float,
                    name: str) -> ScriptResult:
    """Wait for a started script; on timeout or cancellation, take its group down."""
    try:
        returncode = await asyncio.wait_for(proc.wait(), time_limit)
    except TimeoutError:
        return await _terminate(proc, grace, name)
    except BaseException:
        killpg(proc.pid, signal.SIGKILL)
        await _reap(proc, name)  # the transport must not outlive its loop unreaped
        raise
    return result_of(returncode)


async def _reap(proc: asyncio.subprocess.Process, name: str) -> None:
    try:
        await asyncio.wait_for(asyncio.shield(proc.wait()), KILL_WAIT)
    except TimeoutError:
        log.error("Script %s child (PID %d) failed to terminate after kill", name, proc.pid)


async def _terminate(proc: asyncio.subprocess.Process, grace: float, name: str,
                     ) -> ScriptResult:
    """SIGTERM the group; SIGKILL whatever is left after `grace` (or at once if the
    leader already died, for children that ignore SIGTERM)."""
    killpg(proc.pid, signal.SIGTERM)
    try:
        returncode = await asyncio.wait_for(asyncio.shield(proc.wait()), grace)
    except TimeoutError:
        killpg(proc.pid, signal.SIGKILL)
        await _reap(proc, name)
        return ScriptResult.timeout()
    finally:
        killpg(proc.pid, signal.SIGKILL)
    if returncode >= 0:
        return ScriptResult.exited(returncode)  # it finished normally just in time
    if -returncode in (signal.SIGTERM, signal.SIGKILL):
        return ScriptResult.timeout()
    return ScriptResult.killed(-returncode)

