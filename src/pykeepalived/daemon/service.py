"""The daemon's life: load, start, serve signals (reload, dumps), stop.

`serve` is what `pykeepalived` (cli.run_daemon) runs. It loads the configuration before
anything else so a broken file never takes the pid files, then hands the running
configuration to the runtime and serves one control at a time from the signal queue.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived import KEEPALIVED_COMPAT_VERSION, __version__
from pykeepalived.adapters.scheduling import ProcessScheduling
from pykeepalived.daemon import sdnotify, signals
from pykeepalived.daemon.children import CheckerSupervisor
from pykeepalived.daemon.config_child import load_in_child
from pykeepalived.daemon.heap import freeze_long_lived
from pykeepalived.daemon.pidfile import PidFileError, acquire
from pykeepalived.daemon.readout_servers import (
    ListenError,
    MetricsEndpoint,
    VrrpControl,
    check_socket_path,
    load_readouts,
)
from pykeepalived.daemon.real_ports import open_real_ports
from pykeepalived.daemon.reload import Running, accepted, reload_running
from pykeepalived.daemon.runtime import Runtime
from pykeepalived.daemon.signals import Control
from pykeepalived.specs.build import DaemonSpec, build, interfaces_needed
from pykeepalived.specs.instance import BuildError
from pykeepalived.specs.scheduling import scheduling_spec
from pykeepalived.specs.snmp import snmp_spec
from pykeepalived.vrrp.stats import KEEPALIVED_STATS_KEYS

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Protocol

    from pykeepalived.config.model import Config
    from pykeepalived.config.result import LoadResult
    from pykeepalived.daemon.options import DaemonOptions
    from pykeepalived.daemon.ports import LogSink, Ports
    from pykeepalived.daemon.reload import Loader
    from pykeepalived.daemon.snmp import SnmpAgent
    from pykeepalived.observe.snapshot import DumpSnapshot

    class OpenPorts(Protocol):
        """real_ports.open_real_ports, or the tests' fakes."""

        def __call__(self, log: LogSink, *, script_security: bool) -> Awaitable[Ports]: ...


def stopped_line(*, detail: bool) -> str:
    """keepalived's log_stopping(): with -D the CPU time used, else a bare "Stopped"."""
    if not detail:
        return "Stopped"
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    if children.ru_utime:
        return (f"Stopped - used (self/children) {own.ru_utime:.6f}/{children.ru_utime:.6f}"
                f" user time, {own.ru_stime:.6f}/{children.ru_stime:.6f} system time")
    return f"Stopped - used {own.ru_utime:.6f} user time, {own.ru_stime:.6f} system time"


async def serve(options: DaemonOptions, log: LogSink,
                open_ports: OpenPorts = open_real_ports,
                ) -> int:
    """Run until SIGTERM/SIGINT; 0 after a clean stop, 1 when startup is impossible."""
    banner = f"Keepalived v{KEEPALIVED_COMPAT_VERSION} (pykeepalived {__version__})"
    log.log(f"Starting {banner}")
    uname = os.uname()  # what platform.uname() reads, without importing platform
    log.log(f"Running on {uname.sysname} {uname.release} {uname.version}")
    if options.command_line:
        log.log(f"Command line: {options.command_line}")
    log.log(f"Opening file '{options.config_path}'.")

    async def load() -> LoadResult:
        return await load_in_child(options.config_path, config_id=options.config_id,
                                   all_config=options.all_config)

    result = await load()
    if _checker_only(result, options):
        return await _serve_checks_here(options, log)
    config = accepted(result, log)
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
        return await _run(options, log, open_ports, Running(config, _EMPTY), load, banner)
    finally:
        pids.release()


_EMPTY = DaemonSpec((), ())


async def _run(options: DaemonOptions, log: LogSink,
               open_ports: OpenPorts,
               running: Running, load: Loader, banner: str) -> int:
    log.log(f"Starting VRRP child process, pid={os.getpid()}")
    if options.process_name:
        set_process_name(options.process_name)
    controls: asyncio.Queue[Control] = asyncio.Queue()
    remove_handlers = signals.install(asyncio.get_running_loop(), controls.put_nowait)
    runtime: Runtime | None = None
    control: VrrpControl | None = None
    metrics: MetricsEndpoint | None = None
    watchdog: asyncio.Task[None] | None = None
    snmp: SnmpAgent | None = None
    scheduling = ProcessScheduling(scheduling_spec(running.config.global_defs, "vrrp"),
                                   log.log, asyncio.get_running_loop())
    checker = CheckerSupervisor(options.checker_argv or (), log, respawn=options.respawn,
                                on_exit=lambda: controls.put_nowait(Control.STOP))
    try:
        if options.checker_argv is not None:
            await checker.follow(bool(running.config.virtual_servers))
        security = running.config.global_defs.enable_script_security
        ports = await open_ports(log, script_security=security)
        snmp = _snmp_agent(running.config, options, log, ports)
        runtime = Runtime(ports, log, release_vips=options.release_vips)
        runtime.timers.on_late = scheduling.timer_late
        runtime.timers.late_after = scheduling.spec.min_auto_priority_delay
        if snmp is not None:
            snmp.start(runtime)
        live = Live(runtime, running, checker_pid=lambda: getattr(checker.child, "pid", None))
        if options.control_socket:
            control = VrrpControl(options.control_socket, live.snapshot, log,
                                  has_checker=lambda: checker.child is not None)
            await control.start()
        metrics = await _start_metrics(options, running, live, log, control,
                                       has_checker=lambda: checker.child is not None)
        await runtime.start_watcher()
        facts = await runtime.gather_facts(interfaces_needed(running.config))
        running = live.running = Running(running.config, build(running.config, facts))
        for line in running.daemon.warnings:
            log.log(line)
        await runtime.start(running.daemon)
        await runtime.settle()
        scheduling.apply()
        log.log("Startup complete")
        freeze_long_lived()
        sdnotify.ready()
        if (interval := sdnotify.watchdog_interval()) is not None:
            watchdog = asyncio.create_task(sdnotify.keep_watchdog(interval))
        running = await _serve_controls(live, controls, load, options, log, checker, snmp,
                                        scheduling)
        log.log("Stopping")
        sdnotify.stopping()
        return 0
    except (BuildError, OSError, LookupError) as exc:
        log.log(f"Cannot start: {exc}")
        return 1
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if metrics is not None:
            await metrics.close()
        if control is not None:
            await control.close()
        scheduling.close()
        if runtime is not None:
            await runtime.stop()
        if snmp is not None:
            await snmp.stop()
        await checker.stop()
        remove_handlers()
        log.log(stopped_line(detail=options.log_detail))
        log.log(f"Stopped {banner}")


async def _start_metrics(options: DaemonOptions, running: Running, live: Live, log: LogSink,
                         control: VrrpControl | None, *, has_checker: Callable[[], bool],
                         ) -> MetricsEndpoint | None:
    """The metrics endpoint when asked for (`--metrics-address`, else global_defs'
    `pykeepalived_metrics_address`); off by default. An unusable address is logged and
    the daemon runs on without it."""
    address = options.metrics_address or running.config.global_defs.metrics_address
    if not address:
        return None

    def check_socket() -> str | None:
        return check_socket_path(control.server.path) if (
            control is not None and has_checker()) else None

    try:
        endpoint = MetricsEndpoint(address, live.snapshot, log, check_socket)
    except ListenError as exc:
        log.log(f"pykeepalived: {exc}")
        return None
    return endpoint if await endpoint.start() else None


class Live:
    """What the read-outs need of the running daemon; `running` follows every reload."""

    def __init__(self, runtime: Runtime, running: Running,
                 checker_pid: Callable[[], int | None] = lambda: None) -> None:
        self.runtime = runtime
        self.running = running
        self.checker_pid = checker_pid

    def snapshot(self) -> DumpSnapshot:
        """One snapshot of the live state: dumps, the control socket, metrics."""
        # the capture (and the snapshot types, ~1 MiB) loads with the first read-out
        from pykeepalived.observe.capture import build_snapshot

        runtime = self.runtime
        snapshot = build_snapshot(self.running.config, runtime.cores(),
                                  runtime.script_trackers(), wall_now=time.time(),
                                  mono_now=runtime.now(),
                                  vmac_ifnames=runtime.links.vmac_ifnames(),
                                  daemon_counters=runtime.counters(),
                                  socket_counters=runtime.socket_counters(),
                                  checker_pid=self.checker_pid(),
                                  witnesses={name: t.reachable for name, t
                                             in runtime.witnesses.trackers.items()},
                                  leases={name: r.summary() for name, r
                                          in runtime.leases.runners.items()})
        transitions = runtime.executor.transitions
        return replace(snapshot, transitions=transitions.history(),
                       transition_counts=transitions.count_rows(),
                       operations=tuple(runtime.operation_counts().items()))


async def _serve_controls(live: Live, controls: asyncio.Queue[Control],
                          load: Loader, options: DaemonOptions,
                          log: LogSink, checker: CheckerSupervisor,
                          snmp: SnmpAgent | None = None,
                          scheduling: ProcessScheduling | None = None) -> Running:
    """One control at a time; a STOP ends it (later signals are never read: ignored).
    The checker child hears every signal the operator sends but STOP (which it gets
    when we stop)."""
    runtime = live.runtime
    while True:
        control = await controls.get()
        if control is Control.STOP:
            return live.running
        checker.signal(_SIGNALS[control])
        if control is Control.RELOAD:
            sdnotify.reloading()
            if scheduling is not None:  # keepalived reloads at standard scheduling
                scheduling.standard()
            live.running = await reload_running(runtime, live.running, load, log)
            if scheduling is not None:
                scheduling.apply(scheduling_spec(live.running.config.global_defs, "vrrp"))
                runtime.timers.late_after = scheduling.spec.min_auto_priority_delay
            if snmp is not None:
                snmp.config = live.running.config
                snmp.invalidate()
            freeze_long_lived()
            if options.checker_argv is not None:
                await checker.follow(bool(live.running.config.virtual_servers))
            sdnotify.ready()
            continue
        await load_readouts()
        try:
            _dump(live, control, options.dump_directory)
        except (OSError, ValueError) as exc:
            log.log(f"Cannot write the {control.value} dump: {exc}")


_SIGNALS = {control: number for number, control in signals.signal_controls().items()
            if number != signal.SIGINT}


def _checker_only(result: LoadResult, options: DaemonOptions) -> bool:
    """A director with virtual servers and no VRRP instance: keepalived runs only its
    checker; so do we, in this process."""
    config = result.config
    return (config is not None and not config.instances and bool(config.virtual_servers)
            and options.checker_argv is not None)


async def _serve_checks_here(options: DaemonOptions, log: LogSink) -> int:
    from pykeepalived.daemon.check_service import serve_checker
    from pykeepalived.daemon.real_check_ports import open_check_ports
    from pykeepalived.specs.check_build import check_spec

    log.log("No VRRP instances configured: running the health checkers only")
    return await serve_checker(options, log, check_spec, open_check_ports)


_DUMP_KINDS = {Control.DATA: "data", Control.STATS: "stats", Control.STATS_CLEAR: "stats",
               Control.JSON: "json"}


def _snmp_agent(config: Config, options: DaemonOptions, log: LogSink, ports: Ports
                ) -> SnmpAgent | None:
    """The subagent, imported only when a VRRP-side MIB is enabled: its tables and
    codec are 1.8 MiB of memory every other daemon spares."""
    spec = snmp_spec(config.global_defs, option=options.snmp, socket=options.snmp_socket)
    if spec is None or not spec.vrrp_side:
        return None
    from pykeepalived.daemon.snmp import snmp_agent

    return snmp_agent(config, options, log, ports)


def _dump(live: Live, control: Control, directory: str) -> None:
    # imported on the first dump signal: most daemons never get one
    from pykeepalived.observe.dumps import dump_on_signal

    dump_on_signal(_DUMP_KINDS[control], live.snapshot(), directory)
    if control is Control.STATS_CLEAR:
        for core in live.runtime.cores().values():
            for key in KEEPALIVED_STATS_KEYS:
                setattr(core.stats, key, 0)


def set_process_name(name: str) -> bool:
    """The name `ps -o comm`, `top` and `pidof` show (prctl(PR_SET_NAME)'s), through
    /proc/self/comm: no ctypes (1 MiB) for one write. Optional, so any failure just
    leaves the name as it was."""
    try:
        with open("/proc/self/comm", "w", encoding="utf-8", errors="replace") as comm:
            comm.write(name[:15])
    except OSError:
        return False
    return True
