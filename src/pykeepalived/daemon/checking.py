"""The check driver: virtual-server cores against real probes and real IPVS.

One timer per virtual server, at its core's next deadline (as the VRRP runtime does per
instance). A due checker's probe runs as its own task, so a slow server never holds up
another; its result goes back to the core at once. IPVS commands run one at a time in the
order the cores emitted them (keepalived's single thread gives the same order), each
refusal logged in keepalived's words. Notify scripts run in the background, bounded in
time; FIFO lines and mail leave at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import random
from typing import TYPE_CHECKING

from pykeepalived.adapters.scripts import ScriptRefused
from pykeepalived.check import messages, reload, syncd
from pykeepalived.check.actions import (
    AddDest,
    AddService,
    DelDest,
    DelService,
    EditDest,
    EditService,
    FifoLine,
    Log,
    RunProbe,
    RunScript,
    SmtpAlert,
)
from pykeepalived.check.lvs import IpvsError, Timeouts
from pykeepalived.check.pool import VirtualServerCore
from pykeepalived.check.results import ProbeResult
from pykeepalived.vrrp.actions import LogLevel

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from pykeepalived.check.actions import CheckAction, IpvsAction
    from pykeepalived.check.lvs import DestSpec, ServiceSpec, SyncDaemonSpec
    from pykeepalived.daemon.check_ports import CheckPorts
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.specs.check import CheckSpec

#: notify_up/down and quorum_up/down get this long (keepalived waits for none but the
#: omega scripts at stop, which get one second)
SCRIPT_LIMIT = 10.0
STOP_SCRIPT_LIMIT = 1.0
#: bound on waiting for queued IPVS commands and probes at stop
DRAIN_LIMIT = 5.0
#: errors keepalived logs but treats as done: the entry is already (or no longer) there
_ALREADY = {AddService: errno.EEXIST, AddDest: errno.EEXIST, DelService: errno.ENOENT,
            DelDest: errno.ENOENT}


class CheckRuntime:
    def __init__(self, ports: CheckPorts, log: LogSink, *,
                 random_fraction: Callable[[], float] = random.random) -> None:
        self.ports = ports
        self.log = log
        self._random = random_fraction
        self.spec: CheckSpec | None = None
        self.cores: list[VirtualServerCore] = []
        #: told after each batch of a virtual server's actions (the SNMP agent's traps)
        self.on_executed: Callable[[CheckRuntime, int], None] | None = None
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._probes: set[asyncio.Task[None]] = set()
        self._scripts: set[asyncio.Task[None]] = set()
        #: per virtual server, the last queued script: the next one waits for it
        self._script_chains: dict[str, asyncio.Task[None]] = {}
        self._ipvs_chain: asyncio.Task[None] | None = None
        #: IPVS commands the kernel refused (other than "already so")
        self.ipvs_errors = 0

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    async def start(self, spec: CheckSpec, files: dict[str, int] | None = None) -> None:
        """keepalived's start_check order: flush if asked, then each virtual server."""
        self.spec = spec
        for line in spec.warnings:
            self.log.log(line)
        await self._global_settings(None, spec)
        if spec.lvs_flush:
            await self._call("FLUSH", self.ports.ipvs.flush())
        else:
            await self._adopt(spec)
        for core_spec in spec.virtual_servers:
            core = VirtualServerCore(core_spec, **_options(spec))
            self.cores.append(core)
            self._execute(len(self.cores) - 1, core.start(files), rearm=False)
        self._register({})
        await self.settle()

    async def _adopt(self, spec: CheckSpec) -> None:
        """Our services a previous run left in the kernel: adopted, with their
        scheduling made ours and the real servers we no longer have taken out.

        keepalived 2.2.7 (without lvs_flush) leaves such leftovers as they are, so a
        crashed run's removed server keeps receiving traffic until someone flushes by
        hand. Services we do not configure are never touched: they are someone else's."""
        try:
            table = await self.ports.ipvs.dump()
        except (IpvsError, OSError) as exc:
            self.log.log(f"IPVS: cannot read the table to adopt leftovers: {exc}")
            return
        kernel = {service.key: (service, dests) for service, dests in table.items()}
        for vs in spec.virtual_servers:
            servers = [*vs.real_servers, *((vs.sorry_server,) if vs.sorry_server else ())]
            for service in vs.services:
                found = kernel.get(service.key)
                if found is None:
                    continue
                existing, dests = found
                if existing != service:
                    self._queue_ipvs(EditService(service))
                wanted = {rs.dest(service, 0).key for rs in servers}
                for dest in dests:
                    if dest.key not in wanted:
                        self.log.log(f"Removing leftover real server [{dest.address}]:"
                                     f"{dest.port} from VS {vs.label} (not configured)")
                        self._queue_ipvs(DelDest(service, dest))

    async def reload(self, spec: CheckSpec, files: dict[str, int] | None = None) -> None:
        """SIGHUP: the old cores' diff in their order, then the new ones in theirs; an
        unchanged service and its servers see no IPVS command at all."""
        old_cores, old_keys = self.cores, [core.spec.key for core in self.cores]
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        await self._cancel(self._probes)
        wanted = {vs.key: vs for vs in spec.virtual_servers}
        carried: dict[tuple[object, ...], tuple[VirtualServerCore, frozenset[int]]] = {}
        self.cores = []
        for core, key in zip(old_cores, old_keys, strict=True):
            new_spec = wanted.get(key)
            if new_spec is None:
                self._run_now(reload.remove(core))
                continue
            new, migrated, actions = reload.carry(new_spec, core, **_options(spec))
            carried[key] = (new, migrated)
            self._run_now(actions)
        migrated_by_core: dict[int, frozenset[int]] = {}
        for core_spec in spec.virtual_servers:
            if core_spec.key in carried:
                core, migrated = carried[core_spec.key]
                migrated_by_core[len(self.cores)] = migrated
                self.cores.append(core)
                self._run_now(core.restart())
            else:
                core = VirtualServerCore(core_spec, **_options(spec))
                self.cores.append(core)
                self._run_now(core.start(files))
        previous, self.spec = self.spec, spec
        await self._global_settings(previous, spec)
        self._register(migrated_by_core)
        await self.settle()

    async def _global_settings(self, old: CheckSpec | None, new: CheckSpec | None) -> None:
        """lvs_timeouts and a sync daemon the checker runs itself (no vrrp_instance),
        applied at start, changed at a reload, undone at stop."""
        before = old.timeouts if old is not None else None
        after = new.timeouts if new is not None else None
        if after != before:
            await self._call("timeouts", self.ports.ipvs.set_timeouts(after or Timeouts()))
        old_sync = _own_sync(old)
        new_sync = _own_sync(new)
        if new_sync is not None:
            commands = syncd.checker_start(new_sync, old_sync)
        elif old_sync is not None:
            commands = syncd.checker_stop(old_sync)
        else:
            return
        for command, error in await self.ports.ipvs.apply_sync(commands):
            self.ipvs_errors += 1
            self.log.log(f"IPVS: cannot {command.verb} the {command.state} sync daemon on"
                         f" {command.sync.interface}: {error}")

    def _register(self, migrated: dict[int, frozenset[int]]) -> None:
        now = self.now()
        for index, core in enumerate(self.cores):
            self._execute(index, core.register(now, self._random,
                                               migrated=migrated.get(index, frozenset())))

    def _run_now(self, actions: Sequence[CheckAction]) -> None:
        """Actions of a core that is not (or not yet) in `self.cores`."""
        self._execute(-1, actions, rearm=False)

    async def stop(self, *, release: bool = True) -> None:
        """clear_services: every server and service out of IPVS (unless -I)."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        await self._cancel(self._probes)
        if release and self.spec is not None and self.spec.lvs_flush_on_stop == "full":
            await self._call("FLUSH", self.ports.ipvs.flush())
        for index, core in enumerate(self.cores):
            actions = core.stop() if release else []
            if self.spec is not None and self.spec.lvs_flush_on_stop == "full":
                actions = [a for a in actions if not isinstance(a, AddDest | DelDest | EditDest
                                                               | DelService)]
            self._execute(index, actions, rearm=False)
        await self.settle()
        if release:
            await self._global_settings(self.spec, None)
        if self._scripts:
            await asyncio.wait(self._scripts, timeout=STOP_SCRIPT_LIMIT + 1)
        await self._cancel(self._scripts)

    async def settle(self) -> None:
        """Wait (bounded) for the IPVS commands queued so far."""
        if self._ipvs_chain is not None:
            await asyncio.wait({self._ipvs_chain}, timeout=DRAIN_LIMIT)

    def address_count(self, index: int, count: int) -> None:
        """ha_suspend: the host now has the virtual server's address `count` times."""
        self._execute(index, self.cores[index].address_count(count))

    def file_value(self, name: str, value: int) -> None:
        for index, core in enumerate(self.cores):
            self._execute(index, core.file_value(name, value))

    # ----------------------------------------------------------------- driving the cores

    def _rearm(self, index: int) -> None:
        old = self._timers.pop(index, None)
        if old is not None:
            old.cancel()
        deadline = self.cores[index].next_deadline()
        if deadline is not None:
            self._timers[index] = asyncio.get_running_loop().call_at(
                deadline, self._on_timer, index)

    def _on_timer(self, index: int) -> None:
        self._timers.pop(index, None)
        core = self.cores[index]
        now = max(self.now(), core.next_deadline() or 0.0)  # call_at may fire a hair early
        self._execute(index, core.due(now))

    def _execute(self, index: int, actions: Sequence[CheckAction], *, rearm: bool = True) -> None:
        for action in actions:
            if isinstance(action, RunProbe):
                self._spawn_probe(index, action)
            elif isinstance(action, Log):
                self.log.log(action.message, LogLevel.DETAIL if action.detail else LogLevel.INFO)
            elif isinstance(action, FifoLine):
                self.ports.fifo.write(action.line)
            elif isinstance(action, SmtpAlert):
                if self.ports.mail is not None:
                    self.ports.mail.send(action.subject, action.body)
            elif isinstance(action, RunScript):
                self._queue_script(index, action)
            else:
                self._queue_ipvs(action)
        if self.on_executed is not None:
            self.on_executed(self, index)
        if rearm:
            self._rearm(index)

    def _spawn_probe(self, index: int, action: RunProbe) -> None:
        checker = self.cores[index].checkers[action.checker]
        task = asyncio.get_running_loop().create_task(
            self._probe(index, action, checker.spec.probe))
        self._probes.add(task)
        task.add_done_callback(self._probes.discard)

    async def _probe(self, index: int, action: RunProbe, probe: object) -> None:
        started = self.now()
        try:
            result = await self.ports.run_probe(probe, action.url)  # type: ignore[arg-type]
        except Exception as exc:  # a probe must never take the checker down
            result = ProbeResult.failure("Connection failed", self.now() - started,
                                         url=action.url, detail=repr(exc))
        core = self.cores[index] if index < len(self.cores) else None
        if core is not None:
            self._execute(index, core.probe_done(action.checker, result, self.now()))

    def _queue_script(self, index: int, action: RunScript) -> None:
        """One virtual server's scripts run one at a time, in the order of the events,
        each bounded (10 s; 1 s at stop), and how each ended is logged, as the VRRP
        side's notifies: keepalived forks them all at once, so they race."""
        key = self.cores[index].spec.label if 0 <= index < len(self.cores) else ""
        previous = self._script_chains.get(key)
        limit = STOP_SCRIPT_LIMIT if action.stopping else SCRIPT_LIMIT

        async def run() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            prefix = f"{action.about} {action.keyword} script {action.command.program}"
            try:
                result = await self.ports.run_script(action.command, limit)
            except ScriptRefused as refused:
                self.log.log(f"{prefix} not run: {refused}")
                return
            if result.timed_out:
                self.log.log(f"{prefix} timed out after {limit:g}s and was killed")
            elif result.signal is not None:
                self.log.log(f"{prefix} killed by signal {result.signal}")
            else:
                self.log.log(f"{prefix} exited with status {result.exit_status or 0}")

        task = asyncio.get_running_loop().create_task(run())
        self._script_chains[key] = task
        self._scripts.add(task)
        task.add_done_callback(self._scripts.discard)

    # ----------------------------------------------------------------- IPVS, in order

    async def ipvs_table(self) -> dict[ServiceSpec, tuple[DestSpec, ...]] | None:
        """The kernel's table, read after the IPVS commands queued so far (so it shows
        their effect) and before any queued later; None when it cannot be read in time."""
        table: dict[ServiceSpec, tuple[DestSpec, ...]] = {}
        previous = self._ipvs_chain

        async def run() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            table.update(await self.ports.ipvs.dump())

        task = asyncio.get_running_loop().create_task(run())
        task.add_done_callback(_retrieve)
        self._ipvs_chain = task
        try:
            await asyncio.wait_for(asyncio.shield(task), DRAIN_LIMIT)
        except (TimeoutError, IpvsError, OSError):
            return None
        return table

    def _queue_ipvs(self, action: IpvsAction) -> None:
        previous = self._ipvs_chain

        async def run() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            await self._ipvs(action)

        self._ipvs_chain = asyncio.get_running_loop().create_task(run())

    async def _ipvs(self, action: IpvsAction) -> None:
        ipvs = self.ports.ipvs
        call: Awaitable[None]
        if isinstance(action, AddService):
            call = ipvs.add_service(action.service)
        elif isinstance(action, EditService):
            call = ipvs.edit_service(action.service)
        elif isinstance(action, DelService):
            call = ipvs.del_service(action.service)
        elif isinstance(action, AddDest):
            call = ipvs.add_dest(action.service, action.dest)
        elif isinstance(action, EditDest):
            call = ipvs.edit_dest(action.service, action.dest)
        else:
            call = ipvs.del_dest(action.service, action.dest)
        try:
            await call
        except IpvsError as exc:
            self.log.log(messages.ipvs_error(action, exc.code))
            if _ALREADY.get(type(action)) != exc.code:
                self.ipvs_errors += 1
        except OSError as exc:
            self.ipvs_errors += 1
            self.log.log(messages.ipvs_error(action, exc.errno or 0))

    async def _call(self, what: str, call: Awaitable[None]) -> None:
        try:
            await call
        except (IpvsError, OSError) as exc:
            self.ipvs_errors += 1
            self.log.log(f"IPVS {what} failed: {exc}")

    @staticmethod
    async def _cancel(tasks: set[asyncio.Task[None]]) -> None:
        for task in list(tasks):
            task.cancel()
        for task in list(tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _own_sync(spec: CheckSpec | None) -> SyncDaemonSpec | None:
    """The sync daemon the checker runs itself: one not tied to a vrrp_instance."""
    if spec is None or spec.sync_daemon is None or spec.sync_daemon.instance is not None:
        return None
    return spec.sync_daemon


def _retrieve(task: asyncio.Task[None]) -> None:
    """A table read nobody waited for any more must not warn about its exception."""
    if not task.cancelled():
        task.exception()


def _options(spec: CheckSpec) -> dict[str, bool]:
    return {"log_all_failures": spec.log_all_failures,
            "no_checker_emails": spec.no_checker_emails,
            "rs_init_notifies": spec.rs_init_notifies}
