"""The checker's dump signals through the real driver: SIGUSR1 and the JSON signal.

The check reference's example (§6) runs in a `CheckRuntime` over a fake IPVS that keeps
a table as the kernel would; the dump must be keepalived's, the status document must
show the weights the table holds.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pykeepalived.check.actions import RunProbe
from pykeepalived.check.lvs import DestSpec, ServiceSpec, Timeouts
from pykeepalived.check.params import HttpProbe
from pykeepalived.check.results import ProbeResult
from pykeepalived.daemon.check_ports import CheckPorts
from pykeepalived.daemon.check_readouts import CheckReadouts
from pykeepalived.daemon.checking import CheckRuntime
from pykeepalived.daemon.signals import Control
from pykeepalived.observe.check_status import CHECK_STATUS_FILE, parse_check_status
from pykeepalived.specs.check_build import check_spec
from pykeepalived.vrrp.tracking import ScriptResult
from tests.unit.check.fakes import Lines, NoFifo
from tests.unit.observe.check_cores import FIXTURES, load_text
from tests.unit.observe.check_reference import REFERENCE_CONF, section_lines

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.config.model import Config


@dataclass
class TableIpvs:
    """An IPVS that keeps its table: what `dump()` reads back from a kernel."""

    table: dict[ServiceSpec, dict[tuple[object, ...], DestSpec]] = field(default_factory=dict)

    async def add_service(self, s: ServiceSpec) -> None:
        self.table[s] = {}

    async def edit_service(self, s: ServiceSpec) -> None: ...

    async def del_service(self, s: ServiceSpec) -> None:
        self.table.pop(s, None)

    async def add_dest(self, s: ServiceSpec, d: DestSpec) -> None:
        self.table[s][d.key] = d

    async def edit_dest(self, s: ServiceSpec, d: DestSpec) -> None:
        self.table[s][d.key] = d

    async def del_dest(self, s: ServiceSpec, d: DestSpec) -> None:
        self.table[s].pop(d.key, None)

    async def flush(self) -> None:
        self.table.clear()

    async def dump(self) -> dict[ServiceSpec, tuple[DestSpec, ...]]:
        return {s: tuple(dests.values()) for s, dests in self.table.items()}

    async def timeouts(self) -> Timeouts:
        return Timeouts()

    async def set_timeouts(self, timeouts: Timeouts) -> None: ...
    async def start_daemon(self, state: Any, sync: Any) -> None: ...
    async def stop_daemon(self, state: Any, sync: Any) -> None: ...

    async def apply_sync(self, commands: Any) -> list[Any]:
        return []

    async def close(self) -> None: ...


def run_reference(config: Config, directory: Path, log: Lines, *controls: Control,
                  ipvs_available: bool = True, all_up: bool = False) -> TableIpvs:
    """Start the example, give each checker its first verdict (HTTP_GET passes,
    TCP_CHECK fails unless `all_up`), serve `controls`."""
    ipvs = TableIpvs()

    async def probe(_probe: Any, _url: int) -> ProbeResult:
        raise AssertionError("the test gives the verdicts")

    async def script(_command: Any, _limit: float) -> ScriptResult:
        return ScriptResult.exited(0)

    ports = CheckPorts(ipvs=ipvs, run_probe=probe, run_script=script, fifo=NoFifo(),
                       ipvs_available=ipvs_available)

    async def scenario() -> None:
        runtime = CheckRuntime(ports, log, random_fraction=lambda: 0.0)
        await runtime.start(check_spec(config))
        core = runtime.cores[0]
        for action in core.due(core.next_deadline() or 0.0):
            assert isinstance(action, RunProbe)
            probe_spec = core.checkers[action.checker].spec.probe
            verdict = (ProbeResult.success(0.01) if all_up or isinstance(probe_spec, HttpProbe)
                       else ProbeResult.failure("Connection failed", 0.01))
            runtime._execute(0, core.probe_done(action.checker, verdict, runtime.now()))
        readouts = CheckReadouts(config, runtime, log, str(directory), dict)
        for control in controls:
            await readouts.serve(control)
        await runtime.stop(release=False)

    asyncio.run(scenario())
    return ipvs


def test_sigusr1_writes_keepalived_check_data_and_logs_it(tmp_path: Path) -> None:
    config, log = load_text(tmp_path, REFERENCE_CONF), Lines()
    run_reference(config, tmp_path, log, Control.DATA)
    assert f"Printing checker data for process({os.getpid()}) on signal" in log.lines
    data = (tmp_path / "keepalived_check.data").read_text()
    assert section_lines(data, "------< LVS Topology >------") == (
        FIXTURES / "reference-example.data").read_text().splitlines()
    assert not (tmp_path / CHECK_STATUS_FILE).exists()


def test_json_signal_writes_our_status_with_the_kernels_weights(tmp_path: Path) -> None:
    config, log = load_text(tmp_path, REFERENCE_CONF), Lines()
    ipvs = run_reference(config, tmp_path, log, Control.JSON, Control.STATS)
    view = parse_check_status((tmp_path / CHECK_STATUS_FILE).read_text())
    assert view.ipvs_read
    (vs,) = view.virtual_servers
    assert vs.sorry_server_in_use
    assert [(rs.address, rs.in_ipvs, rs.kernel_weight) for rs in vs.real_servers] == [
        ("192.0.2.10:8080", False, None), ("192.0.2.10:8081", False, None)]
    (dests,) = ipvs.table.values()
    assert [d.port for d in dests.values()] == [9999]  # the kernel holds the sorry server
    assert not (tmp_path / "keepalived_check.data").exists()  # the JSON signal only
    assert not any("Printing" in line for line in log.lines)


def test_servers_in_ipvs_show_the_weight_the_kernel_holds(tmp_path: Path) -> None:
    config = load_text(tmp_path, REFERENCE_CONF)
    run_reference(config, tmp_path, Lines(), Control.JSON, all_up=True)
    (vs,) = parse_check_status((tmp_path / CHECK_STATUS_FILE).read_text()).virtual_servers
    assert [(rs.in_ipvs, rs.ipvs_weight, rs.kernel_weight) for rs in vs.real_servers] == [
        (True, 1, 1), (True, 2, 2)]


def test_without_ipvs_the_status_says_the_kernel_was_not_read(tmp_path: Path) -> None:
    config = load_text(tmp_path, REFERENCE_CONF)
    run_reference(config, tmp_path, Lines(), Control.JSON, ipvs_available=False)
    assert not parse_check_status((tmp_path / CHECK_STATUS_FILE).read_text()).ipvs_read


def test_an_unwritable_dump_directory_is_logged_and_the_checker_goes_on(
        tmp_path: Path) -> None:
    config, log = load_text(tmp_path, REFERENCE_CONF), Lines()
    run_reference(config, tmp_path / "missing", log, Control.DATA, Control.JSON)
    failures = [line for line in log.lines if line.startswith("Cannot write the checker's")]
    assert [line.split(" dump:")[0] for line in failures] == [
        "Cannot write the checker's DATA", "Cannot write the checker's JSON"]
