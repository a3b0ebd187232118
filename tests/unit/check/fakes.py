"""Fakes of the checker's ports for driver tests: IPVS calls, log lines, scripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pykeepalived.check.lvs import ServiceSpec, Timeouts
from pykeepalived.check.results import ProbeResult
from pykeepalived.daemon.check_ports import CheckPorts
from pykeepalived.vrrp.actions import LogLevel
from pykeepalived.vrrp.tracking import ScriptResult


@dataclass
class RecordingIpvs:
    calls: list[str] = field(default_factory=list)
    #: what dump() answers: the kernel's table before we start
    table: dict[Any, Any] = field(default_factory=dict)

    async def add_service(self, s: ServiceSpec) -> None:
        self.calls.append(f"ADD_SERVICE {s.address} {s.scheduler}")

    async def edit_service(self, s: ServiceSpec) -> None:
        self.calls.append(f"EDIT_SERVICE {s.address} {s.scheduler}")

    async def del_service(self, s: ServiceSpec) -> None:
        self.calls.append(f"DEL_SERVICE {s.address}")

    async def add_dest(self, s: ServiceSpec, d: Any) -> None:
        self.calls.append(f"ADD_DEST {s.address}->{d.port} w{d.weight}")

    async def edit_dest(self, s: ServiceSpec, d: Any) -> None:
        self.calls.append(f"EDIT_DEST {s.address}->{d.port} w{d.weight}")

    async def del_dest(self, s: ServiceSpec, d: Any) -> None:
        self.calls.append(f"DEL_DEST {s.address}->{d.port}")

    async def flush(self) -> None:
        self.calls.append("FLUSH")

    async def timeouts(self) -> Timeouts:
        return Timeouts()

    async def set_timeouts(self, timeouts: Timeouts) -> None: ...
    async def start_daemon(self, state: Any, sync: Any) -> None: ...
    async def stop_daemon(self, state: Any, sync: Any) -> None: ...
    async def apply_sync(self, commands: Any) -> list[Any]:
        return []

    async def dump(self) -> dict[Any, Any]:
        return dict(self.table)

    async def close(self) -> None: ...


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, message: str, level: LogLevel = LogLevel.INFO) -> None:
        self.lines.append(message)


class NoFifo:
    def write(self, line: str) -> None: ...


def ports(ipvs: RecordingIpvs, script: Any = None) -> CheckPorts:
    async def probe(_probe: Any, _url: int) -> ProbeResult:
        return ProbeResult.success()

    async def exit_0(_command: Any, _limit: float) -> ScriptResult:
        return ScriptResult.exited(0)

    return CheckPorts(ipvs=ipvs, run_probe=probe, run_script=script or exit_0, fifo=NoFifo())
