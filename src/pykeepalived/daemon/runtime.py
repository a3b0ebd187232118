"""The driver: one asyncio loop running every VrrpInstance against the real world.

A standalone instance has one timer, `loop.call_at(next_deadline())`, re-armed after
every core call; the members of a vrrp_sync_group are driven through their
`SyncGroup` instead, with one timer per group (see groups.py). Every instance has one
chain of executor tasks, so the actions of successive core calls run in the order the
core produced them even when some of them await netlink. The core's clock is the loop's
(`loop.time()`, monotonic), so deadlines need no conversion.

Datagrams reach their instance through inbound.py; actions run on per-instance chains
(chains.py). Every adapter is reached through `Ports` (ports.py), so the same driver
runs over fakes.
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import TYPE_CHECKING

from pykeepalived.adapters.links import InterfaceNotFound
from pykeepalived.adapters.netlink_events import AddressRemoved, LinkChanged
from pykeepalived.daemon.chains import Chains
from pykeepalived.daemon.executor import Executor, InstanceIO
from pykeepalived.daemon.groups import Groups
from pykeepalived.daemon.inbound import Inbound
from pykeepalived.daemon.packets import ah_state_for
from pykeepalived.daemon.running import (
    LATE_TIMER,
    RunningInstance,
    defer_late_timer,
    stall_floor,
)
from pykeepalived.daemon.statics import Statics
from pykeepalived.daemon.syncd_follow import SyncDaemonFollower
from pykeepalived.daemon.timers import Timers
from pykeepalived.daemon.tracking_io import Trackers
from pykeepalived.daemon.vmac_links import VmacLinks
from pykeepalived.specs.build import DaemonSpec
from pykeepalived.specs.instance import InterfaceFacts
from pykeepalived.vrrp import messages
from pykeepalived.vrrp.actions import Log, LogLevel, Notify
from pykeepalived.vrrp.events import FaultChanged, PriorityChanged, Shutdown, Startup, Timeout
from pykeepalived.vrrp.frames import parse_mac
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.params import State
from pykeepalived.vrrp.tracking import PriorityTracker, TrackKind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pykeepalived.adapters.netlink_events import NetlinkEvent
    from pykeepalived.daemon.packets import AhState
    from pykeepalived.daemon.ports import LogSink, NotifierPort, Ports, WatcherPort
    from pykeepalived.specs.instance import InstanceSpec
    from pykeepalived.specs.reload import ReloadPlan
    from pykeepalived.vrrp.actions import Action
    from pykeepalived.vrrp.advert import IPAddress
    from pykeepalived.vrrp.events import Event
    from pykeepalived.vrrp.tracking import Reading, ScriptTracker

#: keepalived waits up to a second for notify_stop.
NOTIFY_STOP_LIMIT = 1.0
EMPTY = DaemonSpec((), ())


#: the operation counters this daemon keeps, shown from 0 before the first of each
OPERATIONS_KEPT: dict[str, float] = dict.fromkeys((
    "garp_sent", "unsolicited_na_sent", "garp_send_failures", "unsolicited_na_send_failures",
    "notify_runs", "notify_failures", "notify_seconds",
    "script_runs", "script_failures", "script_seconds"), 0)


class Runtime:
    def __init__(self, ports: Ports, log: LogSink, *, release_vips: bool = True) -> None:
        self.ports = ports
        self.log = log
        self.syncd = SyncDaemonFollower(ports.open_ipvs, log)
        self.executor = Executor(ports.netlink, ports.notifier, log,
                                 on_state=self.syncd.transition)
        self.chains = Chains(self.executor, log)
        #: every instance's and group's timer (timers.py)
        self.timers = Timers()
        #: `-V`: keep the VIPs at stop (transitions while running still remove them)
        self.release_vips_at_stop = release_vips
        self.nodes: dict[str, RunningInstance] = {}
        self.inbound = Inbound(self.nodes, self.feed, log, packet_log=self.executor.packet_log)
        self.trackers = Trackers(ports, log, self.tracker_reading)
        self.daemon = EMPTY
        self.links = VmacLinks(ports, log)
        self.statics = Statics(ports.netlink, log)
        self._watcher: WatcherPort | None = None
        self._delayed: asyncio.TimerHandle | None = None
        self.groups = Groups(self)
        #: each interface's addresses when its facts were read: at start only VIPs found
        #: there are removed (not 1,000 requests answered "not there")
        self.addresses_seen: dict[str, frozenset[IPAddress]] = {}

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    @property
    def notifier(self) -> NotifierPort:
        return self.ports.notifier

    def cores(self) -> dict[str, VrrpInstance]:
        return {name: node.instance for name, node in self.nodes.items()}

    @property
    def startup_at(self) -> float | None:
        """When a delayed startup (vrrp_startup_delay) will start the instances."""
        return self._delayed.when() if self._delayed is not None else None

    def script_trackers(self) -> dict[str, ScriptTracker]:
        return self.trackers.script_trackers()

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
            self.addresses_seen[name] = frozenset(e.address.ip for e in info.addresses)
            self.trackers.readings.setdefault((TrackKind.INTERFACE, name), info.link.up)
        return facts

    async def start_watcher(self) -> None:
        """Before reading link state, so no change between the two goes unseen."""
        self._watcher = self.ports.make_watcher(self._on_netlink)
        await self._watcher.start()

    async def start(self, daemon: DaemonSpec) -> None:
        """Statics, trackers (their first readings), then the instances (after any delay)."""
        self.daemon = daemon
        await self.statics.start(daemon.statics, release_all=not self.release_vips_at_stop)
        self._set_notify_targets(daemon)
        await self.trackers.start(daemon)
        for spec in daemon.instances:
            self._make_node(await self.links.with_vmac(spec))
        await self.syncd.start(daemon.lvs_sync, State.BACKUP)
        if daemon.startup_delay > 0:
            self.log.log(f"Delaying VRRP startup for {daemon.startup_delay:g} seconds")
            self._delayed = asyncio.get_running_loop().call_later(
                daemon.startup_delay, self._launch, daemon)
        else:
            self._launch(daemon)
        self.inbound.arrange()
        self.trackers.run()

    def _launch(self, daemon: DaemonSpec) -> None:
        self._delayed = None
        grouped = {m for g in daemon.groups for m in g.members}
        for name, node in self.nodes.items():
            if name not in grouped:
                self._startup_solo(node, keep_master=False)
        for group in daemon.groups:
            self.groups.start(group)

    async def stop(self) -> None:
        """Every instance gets Shutdown (priority 0 from a MASTER, VIPs removed unless -V)."""
        if self._delayed is not None:
            self._delayed.cancel()
        await self.syncd.stop(self._state_of(self.syncd.instance))
        await self.trackers.stop()
        self.executor.release_vips = self.release_vips_at_stop
        self.groups.stop()
        for name in list(self.nodes):
            await self._retire(name, shutdown=self.nodes[name].group is None)
        # -V keeps the VIPs but never the statics (it only removes more of them)
        await self.statics.stop(release_all=not self.release_vips_at_stop)
        await self.ports.notifier.drain(NOTIFY_STOP_LIMIT)
        if self._watcher is not None:
            await self._watcher.stop()
        await self.links.close()
        if self.ports.close is not None:
            await self.ports.close()

    async def apply_reload(self, daemon: DaemonSpec, plan: ReloadPlan) -> None:
        """See reload.py for what each part of the plan means; groups in groups.py."""
        self.syncd.paused = True  # a reload's restarts are no transitions for the syncd
        regroup = self.groups.dissolve_changed(daemon, plan)
        await self.statics.drop_removed(daemon.statics)
        await self.trackers.reload(daemon)
        for name in plan.remove:
            await self._retire_deleted(name)
            await self.links.drop_vmac(name)
        for old_name, spec in plan.keep:
            self.nodes[spec.name] = self.nodes.pop(old_name)
            self.links.rename(old_name, spec.name)
        for old_name, spec in plan.change:
            old = self.nodes[old_name]
            was_master = old.instance.state is State.MASTER
            await self._retire(old_name, shutdown=False)
            if was_master:
                kept = {(v.ifname, v.address) for v in spec.vips}
                await self.executor.remove_addresses(
                    [v for v in old.spec.vips if (v.ifname, v.address) not in kept])
            await self.links.carry(old_name, spec)
            spec = await self.links.with_vmac(spec)
            self._startup_solo(self._make_node(spec, ah=old.io.ah), keep_master=was_master,
                               reloaded=True)
        for spec in plan.add:
            self._startup_solo(self._make_node(await self.links.with_vmac(spec)), keep_master=False)
        for group in regroup:
            self.groups.wrap(group)
        await self.statics.add_pending()
        self._set_notify_targets(daemon)
        self.daemon = daemon
        self.inbound.arrange()
        await self.settle()
        self.syncd.paused = False
        wanted = daemon.lvs_sync.instance if daemon.lvs_sync is not None else None
        await self.syncd.reload(daemon.lvs_sync, self._state_of(wanted))

    def _state_of(self, name: str | None) -> State:
        node = self.nodes.get(name) if name is not None else None
        return node.instance.state if node is not None else State.BACKUP

    def _set_notify_targets(self, daemon: DaemonSpec) -> None:
        self.ports.notifier.set_targets(daemon.notify_targets, fifos=daemon.fifos,
                                        smtp=self.ports.smtp_settings(daemon.smtp))

    def _make_node(self, spec: InstanceSpec, *, ah: AhState | None = None) -> RunningInstance:
        """Socket, core and trackers, fed the trackers' readings; not started yet.

        `ah`: the AH counters of the instance this one replaces at a reload (keepalived
        keeps its anti-replay counter, so peers do not see old sequence numbers again).
        """
        sock = self.ports.open_socket(spec.socket)
        instance = VrrpInstance(spec.params)
        tracker = PriorityTracker(spec.name, spec.params.priority, spec.track,
                                  initial=self._readings(spec))
        fresh = ah_state_for(spec)
        io = InstanceIO(spec, sock, self.links.frame_port(spec),
                        ah=ah if ah is not None and fresh is not None else fresh)
        node = RunningInstance(spec, instance, tracker, io, sock)
        self.nodes[spec.name] = node
        sock.start(lambda datagram: self.inbound.on_datagram(node, datagram))
        if tracker.effective_priority != spec.params.priority:
            instance.handle(PriorityChanged(tracker.effective_priority, "trackers at startup"),
                            now=self.now())
        return node

    def _startup_solo(self, node: RunningInstance, *, keep_master: bool,
                      reloaded: bool = False) -> None:
        instance, now = node.instance, self.now()
        if node.tracker.faulted:
            instance.handle(FaultChanged(True, node.tracker.fault_reasons[0]), now=now)
        actions = instance.handle(Startup(), now=now)
        if keep_master and instance.state is State.BACKUP:
            # reload of a changed MASTER: back to MASTER at once (reload.py)
            actions = instance.force_state(State.MASTER, now=now, reason="reload kept MASTER")
        elif not reloaded:
            self.clear_stale_vips(node)
        if reloaded:
            actions = _quiet_restart(node.spec.name, actions)
        self.after_core(node, actions)

    def clear_stale_vips(self, node: RunningInstance) -> None:
        """VIPs left behind by a crashed predecessor must not answer for a backup.

        keepalived does the same at start (vrrp_restore_interfaces_startup) and says so
        with -D, before the instance's "Entering BACKUP STATE (init)"."""
        if node.instance.state is not State.MASTER:
            if node.spec.params.virtual_addresses:
                self.log.log(messages.removing_vips(node.spec.name), LogLevel.DETAIL)
            io, seen = node.io, self.addresses_seen
            stale = [vip for vip in io.spec.vips
                     if vip.ifname not in seen or vip.address.ip in seen[vip.ifname]]
            if stale or io.spec.routes or io.spec.rules:
                self.chains.run_after(node, functools.partial(self.executor.remove_vips, io,
                                                              stale))

    async def _retire(self, name: str, *, shutdown: bool) -> None:
        node = self.nodes.pop(name)
        if node.timer is not None:
            node.timer.cancel()
            node.timer = None
        if shutdown:
            self.chains.execute(node, node.instance.handle(Shutdown(), now=self.now()))
        await self.chains.drain(node)

    async def _retire_deleted(self, name: str) -> None:
        """Removed by a reload: keepalived releases a MASTER and reports DELETED (or, with
        no notify_deleted, FAULT), and stays silent for an instance already in FAULT."""
        node = self.nodes.pop(name)
        if node.timer is not None:
            node.timer.cancel()
        was = node.instance.state
        priority = node.instance.effective_priority
        actions: list[Action] = [a for a in node.instance.handle(Shutdown(), now=self.now())
                                 if not isinstance(a, Notify)]
        self.chains.execute(node, actions)
        has_deleted = any(t.kind == "INSTANCE" and t.name == name and "DELETED" in t.scripts
                          for t in self.daemon.notify_targets)
        if was is not State.FAULT or has_deleted:
            notifier = self.ports.notifier

            async def deleted() -> None:
                notifier.notify("INSTANCE", name, "DELETED", priority)

            self.chains.run_after(node, deleted)
        await self.chains.drain(node)

    # --- feeding the core ---------------------------------------------------------------

    def feed(self, node: RunningInstance, event: Event, received_ns: int | None = None,
             ) -> None:
        """One event for the instance (or its sync group); `received_ns`: a datagram's
        kernel receive time, so a BACKUP handles it as of when it arrived (see
        `arrival_time`). A MASTER handles it now: dated in the past, its overdue advert
        timer would fire once per missed interval, a burst of adverts sent at once."""
        members = node.group.members if node.group is not None else [node]
        since = max(m.instance.clock for m in members)
        if node.instance.state is not State.BACKUP:
            received_ns = None
        now = arrival_time(self.now(), time.time_ns(), received_ns, since=since)
        deadline = node.instance.next_deadline()
        if deadline is not None and now - deadline > stall_floor(node.instance,
                                                                 node.spec.params.advert_int_cs):
            # read before the late timer ran: a stalled master still owes no stale advert
            node.instance.postpone_overdue_advert(now=now, until=now + LATE_TIMER)
        if node.group is not None:
            self.groups.event(node.group, node.spec.name, event, now=now)
            return
        self.after_core(node, node.instance.handle(event, now=now))

    def _on_timer(self, node: RunningInstance) -> None:
        node.timer = None
        deadline = node.instance.next_deadline()
        floor = stall_floor(node.instance, node.spec.params.advert_int_cs)
        if defer_late_timer(self.now() - (deadline or self.now()), node.timer_deferred, floor):
            node.timer_deferred = True
            now = self.now()
            node.instance.postpone_overdue_advert(now=now, until=now + LATE_TIMER)
            later = min(now + LATE_TIMER, node.instance.next_deadline() or now)
            node.timer = self.timers.call_at(later, self._on_timer, node)
            return
        node.timer_deferred = False
        now = max(self.now(), deadline or 0.0)  # call_at may fire a hair early
        self.after_core(node, node.instance.handle(Timeout(), now=now))

    def after_core(self, node: RunningInstance, actions: list[Action]) -> None:
        if self.nodes.get(node.spec.name) is not node:
            return  # retired meanwhile
        if node.timer is not None:
            node.timer.cancel()
        deadline = None if node.group is not None else node.instance.next_deadline()
        node.timer = (None if deadline is None
                      else self.timers.call_at(deadline, self._on_timer, node))
        self.chains.execute(node, actions)

    def counters(self) -> dict[str, int]:
        """Daemon-wide drops no instance owns (status and metrics show them)."""
        inbound = self.inbound
        return {"unknown_vrid": inbound.unknown_vrid, "short_datagrams": inbound.short_datagrams,
                "unexpected_errors": self.unexpected_errors}

    def operation_counts(self) -> dict[str, float]:
        """GARPs, notify and vrrp_script runs, their time and failures (metrics.py
        OPERATION_METRICS names each)."""
        notifier = getattr(self.ports.notifier, "counts", {})  # the tests' fakes keep none
        return {**OPERATIONS_KEPT, **self.executor.operations, **notifier,
                **self.trackers.scheduler.counts}

    def socket_counters(self) -> dict[str, dict[str, int]]:
        """Per instance: what its socket read and where each datagram went short of the
        core (the core's own tally is in its stats)."""
        return {name: {**node.sock.counters(), **self.inbound.node_counters(node)}
                for name, node in self.nodes.items()}

    @property
    def unknown_vrid(self) -> int:
        return self.inbound.unknown_vrid

    @property
    def unexpected_errors(self) -> int:
        """Packets and action batches that raised: logged, counted, never fatal."""
        return self.inbound.unexpected_errors + self.chains.failures

    async def settle(self) -> None:
        """Wait (bounded) until every instance's queued actions have run."""
        await self.chains.settle(self.nodes.values())

    # --- tracking -----------------------------------------------------------------------

    def _readings(self, spec: InstanceSpec) -> dict[tuple[TrackKind, str], Reading]:
        known = self.trackers.readings
        readings: dict[tuple[TrackKind, str], Reading] = {}
        for track in spec.track:
            key = (track.kind, track.name)
            if track.kind is TrackKind.INTERFACE:
                readings[key] = known.get(key, False)
            elif key in known:
                readings[key] = known[key]
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
            if self.trackers.readings.get((TrackKind.INTERFACE, event.ifname)) == event.up:
                return
            self.log.log(f"Netlink reports {event.ifname} {'up' if event.up else 'down'}")
            self.trackers.link_changed(event.ifname, event.up)
        elif isinstance(event, AddressRemoved):
            self._vip_removed(event)
            self.statics.address_removed(event.ifname, event.address.ip)

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
            self.chains.run_after(node, functools.partial(self.executor.readd_vip, node.io, ip))


def arrival_time(now: float, wall_ns: int, received_ns: int | None, *, since: float) -> float:
    """When a datagram arrived, on the loop's clock (`now`, read with `wall_ns`).

    A daemon stopped (SIGSTOP, a paused VM) or stalled for longer than a down timer
    finds, when it runs again, its timers overdue and its socket full of adverts that
    arrived before they expired. Handled as of `now`, the overdue down timer would fire
    first and a backup that heard its master all along would become MASTER, claim the
    VIP, and be pushed back at once (a flap). keepalived's scheduler happens to read the
    socket first. The kernel's receive time puts each advert where it belongs; it is
    kept between the instance's last event (`since`: the core's clock never goes back)
    and `now`, so a step of the wall clock can shift it only within that window.
    """
    if received_ns is None:
        return now
    age = max(0.0, (wall_ns - received_ns) / 1e9)
    return min(now, max(now - age, since))


def _mac(text: str) -> bytes:
    try:
        return parse_mac(text)
    except ValueError:
        return bytes(6)


def _quiet_restart(name: str, actions: list[Action]) -> list[Action]:
    """A changed instance restarted by a reload resumes the state it had: keepalived
    reports no transition for it and runs no notify (it re-asserts "setting VIPs.")."""
    entering = f"({name}) Entering "
    return [a for a in actions
            if not isinstance(a, Notify)
            and not (isinstance(a, Log) and a.message.startswith(entering))]
