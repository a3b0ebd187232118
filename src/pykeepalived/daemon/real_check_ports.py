"""The production set of checker ports: real IPVS, real probes, scripts, FIFOs, mail.

A kernel without IPVS gets `NoIpvs`: the checks run and are logged, notifies and FIFO
lines go out, and nothing is programmed; the one line saying why was logged at start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.adapters.agentx import AgentxClient
from pykeepalived.adapters.checkers import run_probe
from pykeepalived.adapters.checkers.ping import open_ping_groups, restore_ping_groups
from pykeepalived.adapters.fifos import NotifyFifo
from pykeepalived.adapters.ipvs import Ipvs
from pykeepalived.adapters.scripts import run_script
from pykeepalived.adapters.smtp import SmtpAlerter, SmtpSettings
from pykeepalived.check.lvs import IpvsUnavailable, Timeouts
from pykeepalived.check.params import CheckerKind
from pykeepalived.daemon.check_ports import CheckPorts
from pykeepalived.daemon.tracking_io import read_track_file

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pykeepalived.check.lvs import (
        DestSpec,
        IpvsError,
        ServiceSpec,
        SyncDaemonSpec,
        SyncState,
    )
    from pykeepalived.check.params import Probe
    from pykeepalived.check.results import ProbeResult
    from pykeepalived.check.syncd import SyncCommand
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.daemon.check_ports import IpvsPort
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.specs.check import CheckSpec
    from pykeepalived.vrrp.tracking import ScriptResult


class NoIpvs:
    """IpvsPort for a kernel without IPVS: every command is accepted and forgotten."""

    async def add_service(self, service: ServiceSpec) -> None: ...
    async def edit_service(self, service: ServiceSpec) -> None: ...
    async def del_service(self, service: ServiceSpec) -> None: ...
    async def add_dest(self, service: ServiceSpec, dest: DestSpec) -> None: ...
    async def edit_dest(self, service: ServiceSpec, dest: DestSpec) -> None: ...
    async def del_dest(self, service: ServiceSpec, dest: DestSpec) -> None: ...
    async def flush(self) -> None: ...

    async def timeouts(self) -> Timeouts:
        return Timeouts()

    async def set_timeouts(self, timeouts: Timeouts) -> None: ...
    async def start_daemon(self, state: SyncState, sync: SyncDaemonSpec) -> None: ...
    async def stop_daemon(self, state: SyncState, sync: SyncDaemonSpec) -> None: ...

    async def apply_sync(self, commands: Sequence[SyncCommand],
                         ) -> list[tuple[SyncCommand, IpvsError]]:
        return []

    async def dump(self) -> dict[ServiceSpec, tuple[DestSpec, ...]]:
        return {}

    async def close(self) -> None: ...


class FifoSet:
    """notify_fifo and lvs_notify_fifo: each VS/RS line goes to both."""

    def __init__(self, fifos: list[NotifyFifo]) -> None:
        self._fifos = fifos

    def write(self, line: str) -> None:
        for fifo in self._fifos:
            fifo.write(line)

    async def close(self) -> None:
        for fifo in self._fifos:
            await fifo.close(budget=1.0)


async def open_check_ports(log: LogSink, spec: CheckSpec) -> CheckPorts:
    """The real ports; IPVS unavailable is logged once and replaced by `NoIpvs`."""
    ipvs: IpvsPort
    try:
        ipvs = await Ipvs.open()
        log.log("Initializing ipvs")
    except IpvsUnavailable as exc:
        log.log(str(exc))
        log.log("Running the health checkers without programming IPVS")
        ipvs = NoIpvs()
    security = spec.script_security

    async def probe(target: Probe, url: int) -> ProbeResult:
        return await run_probe(target, url=url, enforce_security=security)

    async def script(command: ScriptCommand, limit: float) -> ScriptResult:
        return await run_script(command, time_limit=limit, enforce_security=security)

    fifos = []
    for fifo_spec in spec.fifos:
        fifo = NotifyFifo(fifo_spec)
        try:
            fifo.open(lambda command, limit: run_script(command, time_limit=limit))
        except OSError as exc:
            log.log(f"Unable to open notify fifo {fifo_spec.path} - {exc.strerror}")
            continue
        fifos.append(fifo)
    fifo_set = FifoSet(fifos)
    settings = SmtpSettings.resolve(spec.smtp)
    mail = SmtpAlerter(settings) if settings is not None else None
    pinging = any(c.kind is CheckerKind.PING for vs in spec.virtual_servers
                  for rs in vs.real_servers for c in rs.checkers)
    saved = open_ping_groups() if pinging else None
    if saved is not None and saved.warning is not None:
        log.log(saved.warning)

    async def close() -> None:
        await ipvs.close()
        await fifo_set.close()
        if mail is not None:
            await mail.aclose(budget=1.0)
        if saved is not None:
            restore_ping_groups(saved)

    return CheckPorts(ipvs=ipvs, run_probe=probe, run_script=script, fifo=fifo_set,
                      mail=mail, read_file=read_track_file, close=close,
                      ipvs_available=not isinstance(ipvs, NoIpvs), open_agentx=AgentxClient)
