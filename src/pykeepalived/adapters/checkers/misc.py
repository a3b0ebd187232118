"""MISC_CHECK: run the configured program; exit 0 is up, and with `misc_dynamic` so is
2..255 (the check core turns that status into a weight).

The program runs through adapters/scripts.run_script, as keepalived runs it
(check/check_misc.c): no shell, its own process group, the script user; at
`misc_timeout` the group gets SIGTERM, then SIGKILL 2 s later, and the run counts as
timed out. The result carries exit_status/signal/timed_out; `reason` stays "" (the
core words keepalived's `Misc check for [...] ... (exited with status 1).` from them),
except for a script we refuse to run, whose reason says why.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pykeepalived.adapters.scripts import ScriptRefused, run_script
from pykeepalived.check.results import ProbeResult

if TYPE_CHECKING:
    from pykeepalived.check.params import MiscProbe


def passed(exit_status: int | None, dynamic: bool) -> bool:
    if exit_status is None:
        return False
    return exit_status == 0 or (dynamic and 2 <= exit_status <= 255)


async def probe_misc(probe: MiscProbe, *, enforce_security: bool = False) -> ProbeResult:
    """Run the program to completion or its timeout; never raises (bar cancellation)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        result = await run_script(probe.command, time_limit=probe.timeout,
                                  enforce_security=enforce_security)
    except ScriptRefused as exc:
        return ProbeResult.failure(str(exc), loop.time() - started, detail="refused")
    except Exception as exc:  # never raise: an unexpected error is a failed check
        return ProbeResult.failure("", loop.time() - started,
                                   detail=f"{type(exc).__name__}: {exc}")
    latency = loop.time() - started
    if result.timed_out:
        detail = "timed out"
    elif result.signal is not None:
        detail = f"signal {result.signal}"
    else:
        detail = f"exit {result.exit_status}"
    return ProbeResult(passed(result.exit_status, probe.dynamic), "", latency,
                       exit_status=result.exit_status, signal=result.signal,
                       timed_out=result.timed_out, detail=detail)
