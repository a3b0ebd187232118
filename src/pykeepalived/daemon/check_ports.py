"""The checker process's seams: IPVS, probes, scripts, FIFOs and mail, declared once.

As with the VRRP side (ports.py), the check driver reaches the world only through
`CheckPorts`, so the same driver runs over the real adapters and over recording fakes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from pykeepalived.adapters.agentx import AgentxSessionLike
    from pykeepalived.check.lvs import (
        DestSpec,
        IpvsError,
        ServiceSpec,
        SyncDaemonSpec,
        SyncState,
        Timeouts,
    )
    from pykeepalived.check.params import Probe
    from pykeepalived.check.results import ProbeResult
    from pykeepalived.check.syncd import SyncCommand
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.specs.snmp import AgentxAddress
    from pykeepalived.vrrp.tracking import ScriptResult


class IpvsPort(Protocol):
    """adapters/ipvs.Ipvs: generic-netlink IPVS. Each call raises IpvsError on refusal.

    (IpvsError, IpvsUnavailable and SyncState live in check/lvs.py, where the adapter may
    import them.) `edit_dest` is keepalived's: a destination the kernel does not have is
    added instead. `set_timeouts` sends all three timeouts, the unset ones at the values
    read before the first change (so `set_timeouts(Timeouts())` restores them). `dump`
    reads back every service with its destinations.
    """

    async def add_service(self, service: ServiceSpec) -> None: ...
    async def edit_service(self, service: ServiceSpec) -> None: ...
    async def del_service(self, service: ServiceSpec) -> None: ...
    async def add_dest(self, service: ServiceSpec, dest: DestSpec) -> None: ...
    async def edit_dest(self, service: ServiceSpec, dest: DestSpec) -> None: ...
    async def del_dest(self, service: ServiceSpec, dest: DestSpec) -> None: ...
    async def flush(self) -> None: ...
    async def timeouts(self) -> Timeouts: ...
    async def set_timeouts(self, timeouts: Timeouts) -> None: ...
    async def start_daemon(self, state: SyncState, sync: SyncDaemonSpec) -> None: ...
    async def stop_daemon(self, state: SyncState, sync: SyncDaemonSpec) -> None: ...
    async def apply_sync(self, commands: Sequence[SyncCommand]
                         ) -> list[tuple[SyncCommand, IpvsError]]: ...
    async def dump(self) -> dict[ServiceSpec, tuple[DestSpec, ...]]: ...
    async def close(self) -> None: ...


class AgentxPort(Protocol):
    """adapters/agentx.AgentxClient: the subagent's connection to snmpd, kept up (both
    processes use it; declared here, where ports.py can import it without a cycle)."""

    @property
    def connected(self) -> bool: ...
    def start(self) -> None: ...
    def send(self, data: bytes | None) -> bool: ...
    async def close(self) -> None: ...


class FifoPort(Protocol):
    """The notify FIFOs (notify_fifo, lvs_notify_fifo): a line to each, never blocking."""

    def write(self, line: str) -> None: ...


class MailPort(Protocol):
    """SMTP alerts; `subject` gets keepalived's `[router_id] ` prefix from the adapter."""

    def send(self, subject: str, body: str) -> None: ...


@dataclass
class CheckPorts:
    ipvs: IpvsPort
    run_probe: Callable[[Probe, int], Awaitable[ProbeResult]]
    run_script: Callable[[ScriptCommand, float], Awaitable[ScriptResult]]
    fifo: FifoPort
    mail: MailPort | None = None
    #: the current value of a track_file (FILE_CHECK); None: unreadable
    read_file: Callable[[str], int | None] = lambda _path: 0
    close: Callable[[], Awaitable[None]] | None = None
    #: False when the kernel has no IPVS (`ipvs` then accepts and forgets): the status
    #: document then says the kernel's weights are unknown
    ipvs_available: bool = True
    #: the SNMP subagent's connection (None: no SNMP support, as in the unit tests)
    open_agentx: Callable[[AgentxAddress, AgentxSessionLike, Callable[[str], None]],
                          AgentxPort] | None = None
