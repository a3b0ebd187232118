"""notify_up/notify_down and quorum scripts: one at a time per virtual server, in event
order, bounded, and how each ended is logged (keepalived forks them all at once)."""

from __future__ import annotations

import asyncio

from pykeepalived.check.results import ProbeResult
from pykeepalived.commands import ScriptCommand
from pykeepalived.daemon.checking import CheckRuntime
from pykeepalived.specs.check import CheckSpec
from pykeepalived.vrrp.tracking import ScriptResult
from tests.unit.check.fakes import Lines, RecordingIpvs, ports
from tests.unit.check.servers import real, tcp, virtual

RS = "[192.0.2.10]:tcp:8080"
VS = "[192.0.2.100]:tcp:80"


def test_scripts_run_in_order_one_at_a_time_and_say_how_they_ended() -> None:
    spec = CheckSpec(virtual_servers=(virtual(
        real(8080, tcp(8080), notify_down=ScriptCommand(("/bin/rs-down",))),
        quorum_down=ScriptCommand(("/bin/vs-down",))),))
    events: list[str] = []

    async def script(command: ScriptCommand, limit: float) -> ScriptResult:
        events.append(f"start {command.program}")
        await asyncio.sleep(0.05)  # long enough for a second script to overtake, if it could
        events.append(f"end {command.program}")
        return ScriptResult.exited(3 if command.program == "/bin/vs-down" else 0)

    log = Lines()

    async def scenario() -> None:
        runtime = CheckRuntime(ports(RecordingIpvs(), script), log, random_fraction=lambda: 0.0)
        await runtime.start(spec)
        core = runtime.cores[0]
        core.due(core.next_deadline() or 0.0)
        runtime._execute(0, core.probe_done(0, ProbeResult.failure("timeout"), runtime.now()))
        await asyncio.wait(runtime._scripts, timeout=5)
        await runtime.stop(release=False)

    asyncio.run(scenario())
    assert events == ["start /bin/rs-down", "end /bin/rs-down",
                      "start /bin/vs-down", "end /bin/vs-down"]
    assert f"RS {RS} of VS {VS} notify_down script /bin/rs-down exited with status 0" in log.lines
    assert f"VS {VS} quorum_down script /bin/vs-down exited with status 3" in log.lines
