"""lvs_sync_daemon tied to a vrrp_instance: the VRRP process moves IPVS's sync roles.

With `lvs_sync_daemon IF INSTANCE`, keepalived's VRRP process (not its checker) starts
the master sync role where that instance is MASTER and the backup role elsewhere, so the
director that takes a VIP over already knows the open connections. check/syncd.py says
which commands each event needs; this follower sends them through the IPVS port, opened
only when such a daemon is configured, and logs the kernel's refusals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.check import syncd
from pykeepalived.check.lvs import IpvsUnavailable
from pykeepalived.vrrp.params import State

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from pykeepalived.check.lvs import SyncDaemonSpec
    from pykeepalived.check.syncd import SyncCommand
    from pykeepalived.daemon.check_ports import IpvsPort
    from pykeepalived.daemon.ports import LogSink

    OpenIpvs = Callable[[], Awaitable[IpvsPort]]


class SyncDaemonFollower:
    """Follows one instance's transitions with the IPVS sync daemon's roles."""

    def __init__(self, open_ipvs: OpenIpvs | None, log: LogSink) -> None:
        self._open = open_ipvs
        self._log = log
        self._ipvs: IpvsPort | None = None
        self.spec: SyncDaemonSpec | None = None
        #: the IPVS port could not be opened: said once, then nothing more is tried
        self._unavailable = False
        #: during a reload the runtime restarts instances; reload() settles the roles
        self.paused = False

    @property
    def instance(self) -> str | None:
        return self.spec.instance if self.spec is not None else None

    async def start(self, spec: SyncDaemonSpec | None, state: State) -> None:
        self.spec = spec
        if spec is not None:
            await self._send(syncd.at_start(spec, master=state is State.MASTER))

    async def transition(self, name: str, old: State, new: State) -> None:
        """A state change of some instance; only the managing one matters."""
        spec = self.spec
        if spec is None or self.paused or name != spec.instance or old is new:
            return
        if new is State.MASTER:
            await self._send(syncd.become_master(spec))
        elif old is State.MASTER:
            await self._send(syncd.leave_master(spec, vips_set=True))

    async def reload(self, spec: SyncDaemonSpec | None, state: State) -> None:
        old, self.spec = self.spec, spec
        await self._send(syncd.on_reload(old, spec, master=state is State.MASTER))

    async def stop(self, state: State) -> None:
        """At shutdown the role held now stops; the shutdown's own transitions do not
        count (keepalived stops the daemon once, not as a master leaving)."""
        spec, self.spec = self.spec, None
        if spec is not None:
            await self._send(syncd.at_shutdown(spec, master=state is State.MASTER))
        if self._ipvs is not None:
            await self._ipvs.close()
            self._ipvs = None

    async def _send(self, commands: Sequence[SyncCommand]) -> None:
        if not commands:
            return
        ipvs = await self._port()
        if ipvs is None:
            return
        for command, error in await ipvs.apply_sync(commands):
            self._log.log(f"IPVS: cannot {command.verb} the {command.state} sync daemon on"
                          f" {command.sync.interface}: {error}")

    async def _port(self) -> IpvsPort | None:
        if self._ipvs is None and self._open is not None and not self._unavailable:
            try:
                self._ipvs = await self._open()
            except IpvsUnavailable as exc:
                self._unavailable = True
                self._log.log(f"{exc} - lvs_sync_daemon not started")
        return self._ipvs
