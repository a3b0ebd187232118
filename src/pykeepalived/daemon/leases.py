"""The running half of the lease witness (ours): one loop per instance with a lease.

The core says whether it wants the key (`lease_wanted`: it is MASTER, or its down timer
expired with no master heard); this loop takes, renews or lets go of the key on etcd and
feeds what happened back as `LeaseChanged`. It wakes every `renew_every` (a third of the
TTL) and whenever the core's wish may have changed (`poke`, after each batch of actions).

- Taking: a lease (granted once, re-granted when etcd says it expired) and a
  create-if-absent transaction; its revision is the fencing token. Someone else's key:
  "lease held by X", the core stays BACKUP.
- Renewing: keepalive; the deadline handed to the core is when the renewal was *sent*
  plus the TTL, less a margin, so the VIP goes before etcd can give the key away.
- etcd reached but not serving (refused, HTTP error): `etcd_down`, and with
  `lease_unreachable vrrp` (the default) VRRP alone decides, so a healthy pair is never
  taken down because etcd is.
- etcd not reached (timeout): a MASTER waits for its deadline (a late answer may still
  renew); a BACKUP that wants the key is told, and stays BACKUP.
- Letting go: revoke (bounded, best effort; etcd frees the key at the TTL anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from pykeepalived.adapters.etcd_errors import EtcdError
from pykeepalived.vrrp.actions import LogLevel
from pykeepalived.vrrp.events import LeaseChanged
from pykeepalived.vrrp.params import State

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.daemon.ports import LeasePort, LogSink, Ports
    from pykeepalived.daemon.running import RunningInstance
    from pykeepalived.specs.lease import LeaseSpec
    from pykeepalived.vrrp.events import Event


class Leases:
    def __init__(self, ports: Ports, log: LogSink,
                 feed: Callable[[RunningInstance, Event], None],
                 now: Callable[[], float]) -> None:
        self._ports = ports
        self._log = log
        self._feed = feed
        self._now = now
        self.runners: dict[str, LeaseRunner] = {}

    def start(self, node: RunningInstance) -> None:
        spec = node.spec.lease
        if spec is None:
            return
        self.stop(node.spec.name)
        if self._ports.open_lease is None:
            self._log.log(f"({node.spec.name}) no lease client here: the instance stays "
                          "out of MASTER")
            return
        runner = LeaseRunner(node, spec, self._ports.open_lease(spec), self._log,
                             self._feed, self._now)
        self.runners[node.spec.name] = runner
        runner.start()

    def poke(self, node: RunningInstance) -> None:
        runner = self.runners.get(node.spec.name)
        if runner is not None and runner.node is node:
            runner.poke()

    def stop(self, name: str) -> None:
        runner = self.runners.pop(name, None)
        if runner is not None:
            runner.stop()

    def rename(self, old: str, new: str) -> None:
        if old != new and old in self.runners:
            self.runners[new] = self.runners.pop(old)


class LeaseRunner:
    def __init__(self, node: RunningInstance, spec: LeaseSpec, client: LeasePort,
                 log: LogSink, feed: Callable[[RunningInstance, Event], None],
                 now: Callable[[], float]) -> None:
        self.node = node
        self.spec = spec
        self._client = client
        self._log = log
        self._feed = feed
        self._now = now
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.lease_id: str | None = None
        self.held = False
        self.revision = 0
        self.holder = ""
        self.last_error = ""

    @property
    def name(self) -> str:
        return self.node.spec.name

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(),
                                                            name=f"lease-{self.name}")

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.lease_id is not None:
            lease, self.lease_id = self.lease_id, None
            # best effort, bounded by the client's timeout; etcd frees it at the TTL anyway
            task = asyncio.get_running_loop().create_task(self._client.revoke(lease))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _run(self) -> None:
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let the loop die: log, retry next round
                self._log.log(f"({self.name}) lease: unexpected {exc!r}")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.spec.renew_every)

    async def step(self) -> None:
        """One round: take or renew while wanted, let go when not."""
        core = self.node.instance
        if not core.lease_wanted:
            if self.lease_id is not None:
                await self._let_go()
            return
        sent = self._now()
        try:
            await self._take_or_renew(sent)
        except EtcdError as exc:
            if exc.lease_gone:  # our lease expired (unused while refused): a new one
                self.lease_id, self.held = None, False
                try:
                    await self._take_or_renew(sent)
                except EtcdError as again:
                    self._etcd_failed(again)
                return
            self._etcd_failed(exc)

    async def _take_or_renew(self, sent: float) -> None:
        """Grant if need be, then take the key or renew; tell the core."""
        if self.lease_id is None:
            self.lease_id = await self._client.grant(self.spec.ttl)
            self.held = False
        if self.held:
            ttl = await self._client.keepalive(self.lease_id)
            if ttl <= 0:
                self.lease_id, self.held = None, False
                self._tell(LeaseChanged(False, reason="lease expired"))
                return
        else:
            taken = await self._client.put_if_absent(self.spec.key, self.spec.holder,
                                                      self.lease_id)
            if not taken.ours:
                self.holder = taken.holder
                self._tell(LeaseChanged(False, holder=taken.holder,
                                        reason=f"lease held by {taken.holder or '?'}"))
                return
            self.held, self.revision = True, taken.revision
            self._log.log(f"({self.name}) lease {self.spec.key} taken, revision "
                          f"{taken.revision}")
        self.last_error = ""
        until = sent + self.spec.ttl - self.spec.margin
        self._tell(LeaseChanged(True, revision=self.revision, until=until))

    def _etcd_failed(self, exc: EtcdError) -> None:
        reached = exc.not_serving
        if exc.refused_request:
            text = f"etcd refused: {exc}"
        else:
            text = f"etcd {'not serving' if reached else 'unreachable'}: {exc}"
        if text != self.last_error:
            self._log.log(f"({self.name}) lease: {text}")
        self.last_error = text
        core = self.node.instance
        if not exc.reached and core.state is State.MASTER and core.lease_until is not None:
            return  # the core's deadline decides: a late answer may still renew
        self._tell(LeaseChanged(False, etcd_down=reached, reason=text))

    async def _let_go(self) -> None:
        lease, self.lease_id, self.held = self.lease_id, None, False
        if lease is None:
            return
        try:
            await self._client.revoke(lease)
        except EtcdError as exc:
            self._log.log(f"({self.name}) lease not revoked ({exc}); etcd frees it at the "
                          "TTL", LogLevel.DETAIL)

    def summary(self) -> dict[str, str]:
        """For status: the key, whether we hold it, the fencing token, who holds it."""
        return {"key": self.spec.key, "held": "yes" if self.held else "no",
                "revision": str(self.revision if self.held else 0),
                "holder": self.spec.holder if self.held else self.holder,
                "error": self.last_error}

    def _tell(self, event: LeaseChanged) -> None:
        self._feed(self.node, event)
