"""The checker process's life: load, program IPVS, check, serve signals, clean up.

What `pykeepalived --checker-child` (and `pykeepalived -C`) runs. It loads the same
configuration as the VRRP process, builds the check specs, and drives them with
`CheckRuntime`. A kernel without IPVS is said once and the checks run anyway (keepalived
2.2.7 gives up its whole daemon there; keeping VRRP and the checks alive is kinder and
the issue asks for it). ha_suspend follows the host's addresses through the netlink
watcher; track files are read once a second for FILE_CHECK. SIGHUP reloads: the new
configuration is loaded and built first (an error keeps the running one, untouched),
then only the difference reaches IPVS (daemon/checking.py `reload`). SIGUSR1 and the
JSON dump signal write the checker's dumps (check_readouts.py).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pykeepalived.adapters.netlink_events import AddressAdded, AddressRemoved, NetlinkWatcher
from pykeepalived.adapters.scheduling import ProcessScheduling
from pykeepalived.check.params import FileProbe
from pykeepalived.daemon import sdnotify, signals
from pykeepalived.daemon.check_readouts import CheckReadouts
from pykeepalived.daemon.check_snmp import check_snmp_agent
from pykeepalived.daemon.checking import CheckRuntime
from pykeepalived.daemon.config_child import load_in_child
from pykeepalived.daemon.heap import freeze_long_lived
from pykeepalived.daemon.pidfile import PidFileError, acquire
from pykeepalived.daemon.readout_servers import check_control, start_logged
from pykeepalived.daemon.reload import FAILED_LINE, accepted, load_errors, warnings_of
from pykeepalived.daemon.signals import Control
from pykeepalived.specs.scheduling import scheduling_spec

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from pykeepalived.adapters.netlink_events import NetlinkEvent
    from pykeepalived.config.model import Config
    from pykeepalived.daemon.check_ports import CheckPorts
    from pykeepalived.daemon.options import DaemonOptions
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.specs.check import CheckSpec

    BuildCheck = Callable[[Config], CheckSpec]
    OpenCheckPorts = Callable[[LogSink, CheckSpec], Awaitable[CheckPorts]]

#: how often FILE_CHECK's files are read (keepalived uses inotify; see tracking_io.py)
FILE_POLL_INTERVAL = 1.0


async def serve_checker(options: DaemonOptions, log: LogSink, build: BuildCheck,
                        open_ports: OpenCheckPorts) -> int:
    """Run until SIGTERM; 0 after a clean stop, 1 when it cannot start."""
    result = await load_in_child(options.config_path, config_id=options.config_id,
                                 all_config=options.all_config)
    config = accepted(result, log, need_instances=False)
    if config is None:
        return 1
    try:
        pids = acquire(options.pid_files)
    except PidFileError as exc:
        log.log(str(exc))
        return 1
    for line in pids.replaced:
        log.log(line)
    try:
        return await _run(options, log, build, config, open_ports)
    finally:
        pids.release()


async def _run(options: DaemonOptions, log: LogSink, build: BuildCheck, config: Config,
               open_ports: OpenCheckPorts) -> int:
    controls: asyncio.Queue[Control] = asyncio.Queue()
    remove_handlers = signals.install(asyncio.get_running_loop(), controls.put_nowait)
    spec = build(config)
    ports = await open_ports(log, spec)
    runtime = CheckRuntime(ports, log)
    suspend = HaSuspend(runtime, spec)
    files = FilePoller(runtime, spec, ports.read_file)
    readouts = CheckReadouts(config, runtime, log, options.dump_directory, files.values)
    server = None
    watchdog: asyncio.Task[None] | None = None
    if options.control_socket:
        server = check_control(options.control_socket, lambda: readouts.document())
        await start_logged(server, log)
    snmp = check_snmp_agent(config, options, log)
    scheduling = ProcessScheduling(scheduling_spec(config.global_defs, "checker"), log.log,
                                   asyncio.get_running_loop())
    try:
        await suspend.start()
        await runtime.start(spec, files.first_values())
        suspend.report()
        files.start()
        scheduling.apply()
        if snmp is not None:
            snmp.start(runtime, readouts)
        freeze_long_lived()
        watchdog = _tell_systemd_ready(options)
        while (control := await controls.get()) is not Control.STOP:
            if control is not Control.RELOAD:
                await readouts.serve(control)  # SIGUSR2 and stats-clear: VRRP's only
                continue
            log.log("Reloading")  # the checker's reply to the parent's "Reloading ..."
            if options.main_process:
                sdnotify.reloading()
            scheduling.standard()  # keepalived reloads at standard scheduling
            loaded = await _reloaded(options, log, build)
            if options.main_process:
                sdnotify.ready()
            if loaded is None:
                scheduling.apply()
                continue
            config, new = loaded
            log.log("Reinitializing ipvs")
            files.stop()
            await suspend.stop()
            suspend = HaSuspend(runtime, new)
            files = FilePoller(runtime, new, ports.read_file)
            await suspend.start()
            await runtime.reload(new, files.first_values())
            suspend.report()
            files.start()
            readouts = CheckReadouts(config, runtime, log, options.dump_directory,
                                     files.values)
            if snmp is not None:
                snmp.follow(config, readouts, runtime)
            scheduling.apply(scheduling_spec(config.global_defs, "checker"))
            freeze_long_lived()
        if options.main_process:
            sdnotify.stopping()
        return 0
    finally:
        scheduling.close()
        if watchdog is not None:
            watchdog.cancel()
        if server is not None:
            await server.close()
        files.stop()
        await suspend.stop()
        await runtime.stop(release=options.release_ipvs)
        if snmp is not None:
            await snmp.stop()
        if ports.close is not None:
            await ports.close()
        remove_handlers()
        log.log("Stopped")


def _tell_systemd_ready(options: DaemonOptions) -> asyncio.Task[None] | None:
    """A checker running as the main process (`-C`, or no vrrp_instance) is the one
    systemd watches: READY=1, and the watchdog when WatchdogSec asks for it. The child
    says nothing (its parent does)."""
    if not options.main_process:
        return None
    sdnotify.ready()
    interval = sdnotify.watchdog_interval()
    return None if interval is None else asyncio.create_task(sdnotify.keep_watchdog(interval))


async def _reloaded(options: DaemonOptions, log: LogSink, build: BuildCheck,
                    ) -> tuple[Config, CheckSpec] | None:
    """The new configuration and its specs, or None (logged) when they must not replace
    the running ones: unreadable, an error keepalived could not run with, a failed build."""
    try:
        result = await load_in_child(options.config_path, config_id=options.config_id,
                                     all_config=options.all_config)
        errors = load_errors(result, need_instances=False)
        config = result.config if not errors else None
        spec = build(config) if config is not None else None
    except Exception as exc:  # a reload must never take the checker down
        errors, config, spec = [f"Configuration cannot be read: {exc}"], None, None
    if config is None or spec is None:
        for line in errors:
            log.log(line)
        log.log(FAILED_LINE)
        return None
    for line in warnings_of(result):
        log.log(line)
    return config, spec


class HaSuspend:
    """ha_suspend: how often each such virtual server's address is on the host."""

    def __init__(self, runtime: CheckRuntime, spec: CheckSpec) -> None:
        self._runtime = runtime
        self._watched = {index: {s.address for s in vs.services if s.address is not None}
                         for index, vs in enumerate(spec.virtual_servers) if vs.ha_suspend}
        self._counts = dict.fromkeys(self._watched, 0)
        self._watcher: NetlinkWatcher | None = None

    async def start(self) -> None:
        if not self._watched:
            return
        self._watcher = NetlinkWatcher(self._on_event)
        await self._watcher.start()
        for address in self._watcher.addresses():
            self._count(address.ip, +1)

    def counts(self) -> dict[int, int]:
        return dict(self._counts)

    def report(self) -> None:
        """Tell the runtime how often each watched address is on the host now."""
        for index, count in self._counts.items():
            self._runtime.address_count(index, count)

    def _on_event(self, event: NetlinkEvent) -> None:
        if isinstance(event, AddressAdded | AddressRemoved):
            for index in self._count(event.address.ip, 1 if isinstance(event, AddressAdded)
                                     else -1):
                self._runtime.address_count(index, self._counts[index])

    def _count(self, ip: object, step: int) -> list[int]:
        changed = [index for index, addresses in self._watched.items() if ip in addresses]
        for index in changed:
            self._counts[index] = max(0, self._counts[index] + step)
        return changed

    async def stop(self) -> None:
        if self._watcher is not None:
            await self._watcher.stop()


class FilePoller:
    """FILE_CHECK's track files, read at start and then once a second."""

    def __init__(self, runtime: CheckRuntime, spec: CheckSpec,
                 read: Callable[[str], int | None], *,
                 previous: FilePoller | None = None) -> None:
        self._runtime = runtime
        self._read = read
        self._paths = {c.probe.track_file: c.probe.path
                       for vs in spec.virtual_servers for rs in vs.real_servers
                       for c in rs.checkers if isinstance(c.probe, FileProbe)}
        self._values: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        if previous is not None:
            previous.stop()

    def first_values(self) -> dict[str, int]:
        for name, path in self._paths.items():
            value = self._read(path)
            self._values[name] = value if value is not None else 0
        return dict(self._values)

    def values(self) -> dict[str, int]:
        """Each track file's value as last read (what the dumps show as its status)."""
        return dict(self._values)

    def start(self) -> None:
        if self._paths:
            self._task = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(FILE_POLL_INTERVAL)
            for name, path in self._paths.items():
                value = self._read(path)
                if value is not None and value != self._values.get(name):
                    self._values[name] = value
                    self._runtime.file_value(name, value)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

