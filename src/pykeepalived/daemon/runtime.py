"""The driver: one asyncio loop running every VrrpInstance against the real world.

Per instance there is one timer, `loop.call_at(next_deadline())`, re-armed after every
core call, and one chain of executor tasks, so the actions of successive core calls run
in the order the core produced them even when some of them await netlink. The core's
clock is the loop's (`loop.time()`, monotonic), so deadlines need no conversion.

Each instance has its own raw socket (its own source address and group), and a raw
socket sees every VRRP packet on its interface: packets are dispatched by VRID, and a
VRID nobody on that link runs is counted once, in `unknown_vrid`. A per-datagram
exception boundary logs and counts anything unexpected (`unexpected_errors`): a packet
can never stop the daemon.

Every adapter is reached through `Ports`, so the same driver runs over fakes in tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import os
import platform
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pykeepalived import KEEPALIVED_COMPAT_VERSION, __version__
from pykeepalived.adapters.gratuitous import FrameSender
from pykeepalived.adapters.links import InterfaceNotFound
from pykeepalived.adapters.netlink import Netlink
from pykeepalived.adapters.netlink_events import AddressRemoved, LinkChanged, NetlinkWatcher
from pykeepalived.adapters.scripts import ScriptCommand, run_script
from pykeepalived.adapters.vrrp_socket import VrrpSocket, VrrpSocketConfig
from pykeepalived.config.load import load_config
from pykeepalived.daemon import sdnotify, signals
from pykeepalived.daemon.build import (
    BuildError,
    DaemonSpec,
    InterfaceFacts,
    build,
    interfaces_needed,
)
from pykeepalived.daemon.dumps import dump_on_signal
from pykeepalived.daemon.executor import Executor, FallbackNotifier, InstanceIO
from pykeepalived.daemon.pidfile import PidFileError, acquire
from pykeepalived.daemon.reload import Running, load_errors, reload_running, warnings_of
from pykeepalived.daemon.signals import Control
from pykeepalived.daemon.snapshot import build_snapshot
from pykeepalived.vrrp.actions import Action, LogLevel, Notify
from pykeepalived.vrrp.events import (
    AdvertReceived,
    Event,
    FaultChanged,
    PacketDropped,
    PriorityChanged,
    Shutdown,
    Startup,
    Timeout,
)
from pykeepalived.vrrp.frames import parse_mac
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.packet import MalformedPacket, decode_full
from pykeepalived.vrrp.params import State
from pykeepalived.vrrp.stats import KEEPALIVED_STATS_KEYS
from pykeepalived.vrrp.tracking import PriorityTracker, ScriptResult, ScriptTracker, TrackKind

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from pykeepalived.adapters.datagram import Datagram
    from pykeepalived.adapters.links import InterfaceInfo
    from pykeepalived.adapters.netlink import AddressSpec, RouteSpec
    from pykeepalived.adapters.netlink_events import NetlinkEvent
    from pykeepalived.config.load import LoadResult
    from pykeepalived.config.model import GlobalDefs
    from pykeepalived.daemon.build import InstanceSpec, ScriptSpec, SocketSpec
    from pykeepalived.daemon.executor import AddressPort, FramePort, LogSink, Notifier
    from pykeepalived.daemon.reload import ReloadPlan
    from pykeepalived.vrrp.advert import IPAddress
    from pykeepalived.vrrp.tracking import Reading

#: Bound on waiting for an instance's pending actions at stop/reload.
DRAIN_LIMIT = 5.0
#: keepalived waits up to a second for notify_stop.
NOTIFY_STOP_LIMIT = 1.0


class SocketPort(Protocol):
    def send(self, payload: bytes, destination: IPAddress) -> bool: ...
    def start(self, callback: Callable[[Datagram], None]) -> None: ...
    def close(self) -> None: ...


class NetlinkPort(Protocol):
    async def add_address(self, spec: AddressSpec) -> bool: ...
    async def delete_address(self, spec: AddressSpec) -> bool: ...
    async def add_route(self, spec: RouteSpec) -> bool: ...
    async def delete_route(self, spec: RouteSpec) -> bool: ...
    async def interface(self, ifname: str) -> InterfaceInfo: ...


class WatcherPort(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass
class Ports:
    netlink: NetlinkPort
    open_socket: Callable[[SocketSpec], SocketPort]
    open_frames: Callable[[str], FramePort | None]
    make_watcher: Callable[[Callable[[NetlinkEvent], None]], WatcherPort]
    notifier: Notifier
    run_script: Callable[[ScriptSpec], Awaitable[ScriptResult]]
    close: Callable[[], Awaitable[None]] | None = None


@dataclass(eq=False)
class Node:
    """One running instance and everything that belongs to it alone."""

    spec: InstanceSpec
    instance: VrrpInstance
    tracker: PriorityTracker
    io: InstanceIO
    sock: SocketPort
    timer: asyncio.TimerHandle | None = None
    chain: asyncio.Task[None] | None = None


@dataclass(eq=False)
class ScriptState:
    spec: ScriptSpec
    tracker: ScriptTracker
    task: asyncio.Task[None] | None = None


class Runtime:
    def __init__(self, ports: Ports, log: LogSink, *, release_vips: bool = True) -> None:
        self.ports = ports
        self.log = log
        self.executor = Executor(_as_address_port(ports.netlink), ports.notifier, log)
        #: `-V`: keep the VIPs at stop (transitions while running still remove them)
        self.release_vips_at_stop = release_vips
        self.nodes: dict[str, Node] = {}
        self.scripts: dict[str, ScriptState] = {}
        self.link_up: dict[str, bool] = {}
        self.unknown_vrid = 0
        self.unexpected_errors = 0
        self._frames: dict[str, FramePort | None] = {}
        self._watcher: WatcherPort | None = None

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    def cores(self) -> dict[str, VrrpInstance]:
        return {name: node.instance for name, node in self.nodes.items()}

    def script_trackers(self) -> dict[str, ScriptTracker]:
        return {name: state.tracker for name, state in self.scripts.items()}

    # --- lifecycle ----------------------------------------------------------------------

    async def gather_facts(self, names: Iterable[str]) -> dict[str, InterfaceFacts]:
        """Interface facts for `build`; missing interfaces are simply absent."""
        facts: dict[str, InterfaceFacts] = {}
        for name in sorted(names):
            try:
                info = await self.ports.netlink.interface(name)
            except InterfaceNotFound:
                continue
            facts[name] = InterfaceFacts(
                ifname=name, ifindex=info.link.index, mac=_mac(info.link.mac),
                up=info.link.up, primary_ipv4=info.primary_ipv4,
                link_local=info.ipv6_link_local)
            self.link_up.setdefault(name, info.link.up)
        return facts

    async def start_watcher(self) -> None:
        """Before reading link state, so no change between the two goes unseen."""
        self._watcher = self.ports.make_watcher(self._on_netlink)
        await self._watcher.start()

    def start(self, daemon: DaemonSpec) -> None:
        for script in daemon.scripts:
            self.scripts[script.name] = ScriptState(script, ScriptTracker(
                script.name, rise=script.rise, fall=script.fall, init_fail=script.init_fail))
        for spec in daemon.instances:
            self._start_node(spec, keep_master=False)
        self._start_scripts()

    async def stop(self) -> None:
        """Every instance gets Shutdown (priority 0 from a MASTER, VIPs removed unless -V)."""
        self._stop_scripts()
        self.executor.release_vips = self.release_vips_at_stop
        for name in list(self.nodes):
            await self._retire(name, shutdown=True)
        await self.ports.notifier.drain(NOTIFY_STOP_LIMIT)
        if self._watcher is not None:
            await self._watcher.stop()
        for frames in self._frames.values():
            close = getattr(frames, "close", None)
            if close is not None:
                close()
        if self.ports.close is not None:
            await self.ports.close()

    async def apply_reload(self, daemon: DaemonSpec, plan: ReloadPlan) -> None:
        """See reload.py for what each part of the plan means."""
        self._stop_scripts()
        self._reload_scripts(daemon.scripts)
        for name in plan.remove:
            await self._retire(name, shutdown=True)
        for old_name, spec in plan.keep:
            self.nodes[spec.name] = self.nodes.pop(old_name)
        for old_name, spec in plan.change:
            old = self.nodes[old_name]
            was_master = old.instance.state is State.MASTER
            await self._retire(old_name, shutdown=False)
            if was_master:
                kept = {(v.ifname, v.address) for v in spec.vips}
                await self.executor.remove_addresses(
                    [v for v in old.spec.vips if (v.ifname, v.address) not in kept])
            self._start_node(spec, keep_master=was_master)
        for spec in plan.add:
            self._start_node(spec, keep_master=False)
        self._start_scripts()

    def _start_node(self, spec: InstanceSpec, *, keep_master: bool) -> Node:
        sock = self.ports.open_socket(spec.socket)
        instance = VrrpInstance(spec.params)
        tracker = PriorityTracker(spec.name, spec.params.priority, spec.track,
                                  initial=self._readings(spec))
        node = Node(spec, instance, tracker, InstanceIO(spec, sock, self._frame_port(spec)), sock)
        self.nodes[spec.name] = node
        sock.start(lambda datagram: self._on_datagram(node, datagram))
        now = self.now()
        if tracker.effective_priority != spec.params.priority:
            instance.handle(PriorityChanged(tracker.effective_priority, "trackers at startup"),
                            now=now)
        if tracker.faulted:
            instance.handle(FaultChanged(True, tracker.fault_reasons[0]), now=now)
        actions = instance.handle(Startup(), now=now)
        if keep_master and instance.state is State.BACKUP:
            # reload of a changed MASTER: back to MASTER at once, silently (reload.py)
            forced = instance.force_state(State.MASTER, now=now, reason="reload kept MASTER")
            actions = [a for a in forced if not isinstance(a, Notify)]
        elif not keep_master and instance.state is not State.MASTER:
            # VIPs left behind by a crashed predecessor must not answer for a backup
            self._enqueue(node, functools.partial(self.executor.remove_vips, node.io))
        self._after_core(node, actions)
        return node

    async def settle(self) -> None:
        """Wait (bounded) until every instance's queued actions have run."""
        chains = {node.chain for node in self.nodes.values() if node.chain is not None}
        if chains:
            await asyncio.wait(chains, timeout=DRAIN_LIMIT)

    async def _retire(self, name: str, *, shutdown: bool) -> None:
        node = self.nodes.pop(name)
        if node.timer is not None:
            node.timer.cancel()
            node.timer = None
        if shutdown:
            self._execute(node, node.instance.handle(Shutdown(), now=self.now()))
        if node.chain is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.wait({node.chain}), DRAIN_LIMIT)
        node.sock.close()

    def _frame_port(self, spec: InstanceSpec) -> FramePort | None:
        ifname = spec.socket.ifname
        if ifname not in self._frames:
            try:
                self._frames[ifname] = self.ports.open_frames(ifname)
            except OSError as exc:
                self.log.log(f"cannot open a gratuitous ARP socket on {ifname}: {exc}")
                self._frames[ifname] = None
        return self._frames[ifname]

    # --- feeding the core ---------------------------------------------------------------

    def feed(self, node: Node, event: Event) -> None:
        self._after_core(node, node.instance.handle(event, now=self.now()))

    def _on_timer(self, node: Node) -> None:
        node.timer = None
        deadline = node.instance.next_deadline()
        now = max(self.now(), deadline or 0.0)  # call_at may fire a hair early
        self._after_core(node, node.instance.handle(Timeout(), now=now))

    def _after_core(self, node: Node, actions: list[Action]) -> None:
        if self.nodes.get(node.spec.name) is not node:
            return  # retired meanwhile
        if node.timer is not None:
            node.timer.cancel()
        deadline = node.instance.next_deadline()
        loop = asyncio.get_running_loop()
        node.timer = None if deadline is None else loop.call_at(deadline, self._on_timer, node)
        self._execute(node, actions)

    def _execute(self, node: Node, actions: list[Action]) -> None:
        if actions:
            self._enqueue(node, lambda: self.executor.run(node.io, actions))

    def _enqueue(self, node: Node, work: Callable[[], Awaitable[None]]) -> None:
        previous = node.chain
        node.chain = asyncio.get_running_loop().create_task(self._chained(previous, node, work))

    async def _chained(self, previous: asyncio.Task[None] | None, node: Node,
                       work: Callable[[], Awaitable[None]]) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        try:
            await work()
        except Exception as exc:
            self.unexpected_errors += 1
            self.log.log(f"({node.spec.name}) action failed: {exc!r}")

    # --- packets ------------------------------------------------------------------------

    def _on_datagram(self, node: Node, datagram: Datagram) -> None:
        try:
            self._receive(node, datagram)
        except Exception as exc:
            self.unexpected_errors += 1
            self.log.log(f"({node.spec.name}) unexpected error on a packet from "
                         f"{datagram.source}: {exc!r}")

    def _receive(self, node: Node, datagram: Datagram) -> None:
        sock = node.spec.socket
        payload = datagram.payload
        vrid = payload[1] if len(payload) >= 2 else None
        if vrid != node.spec.params.vrid:
            peers = [n for n in self.nodes.values()
                     if (n.spec.socket.ifindex, n.spec.socket.family) == (sock.ifindex,
                                                                         sock.family)]
            if peers and peers[0] is node and all(n.spec.params.vrid != vrid for n in peers):
                self.unknown_vrid += 1
            return
        try:
            decoded = decode_full(payload, source=datagram.source,
                                  destination=datagram.destination, protocol=datagram.protocol,
                                  checksums=sock.accept_checksums, auth_type=sock.auth_type,
                                  auth_key=sock.auth_key, ip_header=datagram.ip_header or None)
        except MalformedPacket as exc:
            self.log.log(f"({node.spec.name}) dropped packet from {datagram.source}: "
                         f"{exc.detail}", LogLevel.DETAIL)
            self.feed(node, PacketDropped(exc.reason.value))
            return
        self.feed(node, AdvertReceived(advert=decoded.advert, source=datagram.source,
                                       ttl=datagram.ttl,
                                       unicast=not datagram.destination.is_multicast))

    # --- tracking -----------------------------------------------------------------------

    def _readings(self, spec: InstanceSpec) -> dict[tuple[TrackKind, str], Reading]:
        readings: dict[tuple[TrackKind, str], Reading] = {}
        for track in spec.track:
            if track.kind is TrackKind.INTERFACE:
                readings[(track.kind, track.name)] = self.link_up.get(track.name, False)
            elif track.kind is TrackKind.SCRIPT and track.name in self.scripts:
                readings[(track.kind, track.name)] = self.scripts[track.name].tracker.status
        return readings

    def tracker_reading(self, kind: TrackKind, name: str, reading: Reading) -> None:
        for node in list(self.nodes.values()):
            update = node.tracker.reading_changed(kind, name, reading)
            for line in update.logs:
                self.log.log(line)
            for event in update.events:
                self.feed(node, event)

    def _on_netlink(self, event: NetlinkEvent) -> None:
        if isinstance(event, LinkChanged):
            if self.link_up.get(event.ifname) == event.up:
                return
            self.link_up[event.ifname] = event.up
            self.log.log(f"Netlink reports {event.ifname} {'up' if event.up else 'down'}")
            self.tracker_reading(TrackKind.INTERFACE, event.ifname, event.up)
        elif isinstance(event, AddressRemoved):
            self._vip_removed(event)

    def _vip_removed(self, event: AddressRemoved) -> None:
        """keepalived leaves MASTER and retakes it after Skew_Time, re-adding the VIP;
        we re-add it (and re-announce it) at once, without the round trip."""
        ip = event.address.ip
        for node in self.nodes.values():
            if node.instance.state is not State.MASTER or ip not in node.spec.tracked_vips:
                continue
            if not any(v.address.ip == ip and v.ifname == event.ifname for v in node.spec.vips):
                continue
            self.log.log(f"Netlink reflector reports IP {ip} removed from {event.ifname}",
                         LogLevel.DETAIL)
            self._enqueue(node, functools.partial(self.executor.readd_vip, node.io, ip))

    # --- vrrp_scripts -------------------------------------------------------------------

    def _start_scripts(self) -> None:
        loop = asyncio.get_running_loop()
        for state in self.scripts.values():
            state.task = loop.create_task(self._script_loop(state), name=state.spec.name)

    def _stop_scripts(self) -> None:
        for state in self.scripts.values():
            if state.task is not None:
                state.task.cancel()
                state.task = None

    def _reload_scripts(self, scripts: Iterable[ScriptSpec]) -> None:
        fresh: dict[str, ScriptState] = {}
        for spec in scripts:
            old = self.scripts.get(spec.name)
            if old is None:
                tracker = ScriptTracker(spec.name, rise=spec.rise, fall=spec.fall,
                                        init_fail=spec.init_fail, added_by_reload=True)
            else:
                tracker, lines = old.tracker.reloaded(rise=spec.rise, fall=spec.fall)
                for line in lines:
                    self.log.log(line)
            fresh[spec.name] = ScriptState(spec, tracker)
        self.scripts = fresh

    async def _script_loop(self, state: ScriptState) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                result = await self.ports.run_script(state.spec)
            except Exception as exc:  # refused (user, security): count as a failure
                self.log.log(f"VRRP_Script({state.spec.name}) cannot run: {exc}")
                result = ScriptResult.exited(126)
            verdict = state.tracker.record(result)
            for line in verdict.logs:
                self.log.log(line)
            if verdict.changed:
                self.tracker_reading(TrackKind.SCRIPT, state.spec.name, verdict.status)
            await asyncio.sleep(max(0.0, state.spec.interval - (loop.time() - started)))


def _mac(text: str) -> bytes:
    try:
        return parse_mac(text)
    except ValueError:
        return bytes(6)


def _as_address_port(netlink: NetlinkPort) -> AddressPort:
    return netlink  # structurally the same four methods


# --- the real adapters --------------------------------------------------------------------


async def open_real_ports(log: LogSink, defaults: GlobalDefs) -> Ports:
    """The production adapters; other engineers' modules plug in here (see report)."""
    netlink = await Netlink.open()

    def open_socket(spec: SocketSpec) -> SocketPort:
        return VrrpSocket.open(VrrpSocketConfig(
            ifname=spec.ifname, ifindex=spec.ifindex,
            family=socket.AF_INET if spec.family == 4 else socket.AF_INET6,
            group=spec.group, join_group=not spec.unicast, source=spec.source,
            unicast_ttl=spec.unicast_ttl))

    async def run_one(spec: ScriptSpec) -> ScriptResult:
        command = ScriptCommand(spec.command, spec.user or defaults.script_user,
                                spec.group or defaults.script_group)
        return await run_script(command, time_limit=spec.timeout)

    return Ports(netlink=netlink, open_socket=open_socket, open_frames=FrameSender.open,
                 make_watcher=lambda callback: NetlinkWatcher(callback),
                 notifier=FallbackNotifier(log), run_script=run_one, close=netlink.close)


# --- the daemon's life: start, serve signals, stop ------------------------------------------


@dataclass(frozen=True, slots=True)
class DaemonOptions:
    config_path: str
    config_id: str | None = None
    all_config: bool = False
    release_vips: bool = True
    pid_files: tuple[str, ...] = ()
    dump_directory: str = "/tmp"
    command_line: str = ""
    #: comm to take once running (exporters look for a process named keepalived)
    process_name: str | None = None


async def serve(options: DaemonOptions, log: LogSink,
                open_ports: Callable[[LogSink, GlobalDefs], Awaitable[Ports]] = open_real_ports,
                ) -> int:
    """Run until SIGTERM/SIGINT; 0 after a clean stop, 1 when startup is impossible."""
    banner = f"Keepalived v{KEEPALIVED_COMPAT_VERSION} (pykeepalived {__version__})"
    log.log(f"Starting {banner}")
    log.log(f"Running on {platform.system()} {platform.release()} {platform.version()}")
    if options.command_line:
        log.log(f"Command line: {options.command_line}")
    log.log(f"Opening file '{options.config_path}'.")

    def load() -> LoadResult:
        return load_config(options.config_path, config_id=options.config_id,
                           all_config=options.all_config)

    result = await asyncio.to_thread(load)
    errors = load_errors(result)
    if result.config is None or errors:
        for line in errors:
            log.log(line)
        return 1
    for line in warnings_of(result):
        log.log(line)
    try:
        pids = acquire(options.pid_files)
    except PidFileError as exc:
        log.log(str(exc))
        return 1
    try:
        return await _run(options, log, open_ports, Running(result.config, _EMPTY), load, banner)
    finally:
        pids.release()


_EMPTY = DaemonSpec((), ())


async def _run(options: DaemonOptions, log: LogSink,
               open_ports: Callable[[LogSink, GlobalDefs], Awaitable[Ports]],
               running: Running, load: Callable[[], LoadResult], banner: str) -> int:
    log.log(f"Starting VRRP child process, pid={os.getpid()}")
    if options.process_name:
        set_process_name(options.process_name)
    controls: asyncio.Queue[Control] = asyncio.Queue()
    remove_handlers = signals.install(asyncio.get_running_loop(), controls.put_nowait)
    runtime: Runtime | None = None
    try:
        runtime = Runtime(await open_ports(log, running.config.global_defs), log,
                          release_vips=options.release_vips)
        await runtime.start_watcher()
        facts = await runtime.gather_facts(interfaces_needed(running.config))
        running = Running(running.config, build(running.config, facts))
        for line in running.daemon.warnings:
            log.log(line)
        runtime.start(running.daemon)
        await runtime.settle()
        log.log("Startup complete")
        sdnotify.ready()
        running = await _serve_controls(runtime, running, controls, load, options, log)
        log.log("Stopping")
        sdnotify.stopping()
        return 0
    except (BuildError, OSError, LookupError) as exc:
        log.log(f"Cannot start: {exc}")
        return 1
    finally:
        if runtime is not None:
            await runtime.stop()
        remove_handlers()
        log.log(f"Stopped {banner}")


async def _serve_controls(runtime: Runtime, running: Running, controls: asyncio.Queue[Control],
                          load: Callable[[], LoadResult], options: DaemonOptions,
                          log: LogSink) -> Running:
    """One control at a time; a STOP ends it (later signals are never read: ignored)."""
    while True:
        control = await controls.get()
        if control is Control.STOP:
            return running
        if control is Control.RELOAD:
            sdnotify.reloading()
            running = await reload_running(runtime, running, load, log)
            sdnotify.ready()
            continue
        try:
            _dump(runtime, running, control, options.dump_directory)
        except (OSError, ValueError) as exc:
            log.log(f"Cannot write the {control.value} dump: {exc}")


_DUMP_KINDS = {Control.DATA: "data", Control.STATS: "stats", Control.STATS_CLEAR: "stats",
               Control.JSON: "json"}


def _dump(runtime: Runtime, running: Running, control: Control, directory: str) -> None:
    snapshot = build_snapshot(running.config, runtime.cores(), runtime.script_trackers(),
                              wall_now=time.time(), mono_now=runtime.now())
    dump_on_signal(_DUMP_KINDS[control], snapshot, directory)
    if control is Control.STATS_CLEAR:
        for core in runtime.cores().values():
            for key in KEEPALIVED_STATS_KEYS:
                setattr(core.stats, key, 0)


def set_process_name(name: str) -> bool:
    """prctl(PR_SET_NAME): optional, so any failure just leaves the name as it was."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(15, name.encode()[:15], 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False
