"""SIGHUP reaches the checker process's runtime: the new config's difference hits IPVS.

`serve_checker` (what `pykeepalived -C` and the checker child run) with the real config
loader and spec builder over recording ports: the config file is rewritten, SIGHUP sent
to this process, and IPVS must see exactly the difference; a second SIGHUP with the file
gone must change nothing. Until this was wired, the checker only logged "Reloading".
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import TYPE_CHECKING, Any

from pykeepalived.daemon.check_ports import CheckPorts
from pykeepalived.daemon.check_service import serve_checker
from pykeepalived.daemon.options import DaemonOptions
from pykeepalived.daemon.reload import FAILED_LINE
from pykeepalived.specs.check_build import check_spec
from tests.unit.check.fakes import Lines, NoFifo, RecordingIpvs

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.check.params import Probe
    from pykeepalived.check.results import ProbeResult
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.specs.check import CheckSpec
    from pykeepalived.vrrp.tracking import ScriptResult

LIMIT = 5.0


def config(*servers: tuple[int, int], vip: str = "192.0.2.100") -> str:
    reals = "".join(f"  real_server 198.51.100.10 {port} {{\n    weight {weight}\n  }}\n"
                    for port, weight in servers)
    return (f"virtual_server {vip} 80 {{\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n"
            f"{reals}}}\n")


async def until(predicate: Any, what: str) -> None:
    for _ in range(int(LIMIT / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_sighup_reloads_the_checker_and_a_broken_config_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "keepalived.conf"
    path.write_text(config((8080, 1), (8081, 1)))
    ipvs, log = RecordingIpvs(), Lines()

    async def open_ports(_log: LogSink, _spec: CheckSpec) -> CheckPorts:
        async def probe(_probe: Probe, _url: int) -> ProbeResult:
            raise AssertionError("no checker is configured")

        async def script(_command: Any, _limit: float) -> ScriptResult:
            raise AssertionError("no script is configured")

        return CheckPorts(ipvs=ipvs, run_probe=probe, run_script=script, fifo=NoFifo())

    async def scenario() -> int:
        options = DaemonOptions(config_path=str(path),
                                pid_files=(str(tmp_path / "checkers.pid"),))
        served = asyncio.get_running_loop().create_task(
            serve_checker(options, log, check_spec, open_ports))
        await until(lambda: len(ipvs.calls) == 3, "the start-up programming")
        path.write_text(config((8080, 3), (8082, 1)))
        os.kill(os.getpid(), signal.SIGHUP)
        await until(lambda: len(ipvs.calls) == 6, "the reload's commands")
        path.unlink()  # keepalived cannot run without its file: the old config stays
        os.kill(os.getpid(), signal.SIGHUP)
        await until(lambda: FAILED_LINE in log.lines, "the failed reload")
        os.kill(os.getpid(), signal.SIGTERM)
        return await asyncio.wait_for(served, LIMIT)

    assert asyncio.run(scenario()) == 0
    assert ipvs.calls == [
        "ADD_SERVICE 192.0.2.100 rr",
        "ADD_DEST 192.0.2.100->8080 w1",
        "ADD_DEST 192.0.2.100->8081 w1",
        # the reload: 8081 goes, 8080's weight changes, 8082 comes
        "DEL_DEST 192.0.2.100->8081",
        "EDIT_DEST 192.0.2.100->8080 w3",
        "ADD_DEST 192.0.2.100->8082 w1",
        # the stop, after the broken config changed nothing
        "DEL_DEST 192.0.2.100->8080",
        "DEL_DEST 192.0.2.100->8082",
        "DEL_SERVICE 192.0.2.100",
    ]
    assert "Reloading" in log.lines
    assert "Reinitializing ipvs" in log.lines
    assert "service [198.51.100.10]:tcp:8081 no longer exist" in log.lines
