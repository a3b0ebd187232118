"""The runtime's seams: every port it drives, declared once, and the set it is given.

The driver reaches the world only through `Ports`, so the same code runs over the real
adapters in the daemon (real_ports.py) and over recording fakes in the unit tests. Each
Protocol is the part of an adapter the driver uses, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pykeepalived.vrrp.actions import LogLevel

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence

    from pykeepalived.adapters.agentx import AgentxSessionLike
    from pykeepalived.adapters.datagram import Datagram
    from pykeepalived.adapters.etcd_lease import Taken
    from pykeepalived.adapters.links import InterfaceInfo
    from pykeepalived.adapters.netlink_events import NetlinkEvent
    from pykeepalived.adapters.smtp import SmtpSettings
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.daemon.check_ports import AgentxPort, IpvsPort
    from pykeepalived.specs.addresses import AddressSpec, RouteSpec, RuleSpec
    from pykeepalived.specs.instance import InstanceSpec, SocketSpec
    from pykeepalived.specs.lease import LeaseSpec
    from pykeepalived.specs.notify import FifoSpec, Kind, NotifyTarget, SmtpSpec
    from pykeepalived.specs.snmp import AgentxAddress
    from pykeepalived.specs.tracks import ProcessMatcher
    from pykeepalived.specs.vmac import VmacSpec
    from pykeepalived.vrrp.advert import IPAddress
    from pykeepalived.vrrp.tracking import ScriptResult


class LogSink(Protocol):
    """daemon/logs.DaemonLog: keepalived's log lines, console and syslog."""

    def log(self, message: str, level: LogLevel = LogLevel.INFO) -> None: ...


class SocketPort(Protocol):
    """adapters/vrrp_socket.VrrpSocket: one instance's adverts out and in."""

    def send(self, payload: bytes, destination: IPAddress) -> bool: ...
    def start(self, callback: Callable[[Datagram], None]) -> None: ...
    def counters(self) -> dict[str, int]: ...
    def only_vrid(self, vrid: int | None) -> None: ...
    def close(self) -> None: ...


class FramePort(Protocol):
    """adapters/gratuitous.FrameSender: gratuitous ARPs and unsolicited NAs."""

    def send(self, frame: bytes) -> bool: ...


class NetlinkPort(Protocol):
    """adapters/netlink.Netlink: idempotent address, route and rule requests."""

    async def add_address(self, spec: AddressSpec) -> bool: ...
    async def delete_address(self, spec: AddressSpec) -> bool: ...
    async def add_route(self, spec: RouteSpec) -> bool: ...
    async def delete_route(self, spec: RouteSpec) -> bool: ...
    async def add_rule(self, spec: RuleSpec) -> bool: ...
    async def delete_rule(self, spec: RuleSpec) -> bool: ...
    async def interface(self, ifname: str) -> InterfaceInfo: ...


class VmacPort(Protocol):
    """adapters/vmac.VmacManager: use_vmac's macvlans and the sysctls they need."""

    async def create(self, spec: VmacSpec, instance: str) -> int: ...
    async def delete(self, spec: VmacSpec) -> None: ...
    def restore(self) -> None: ...


class WatcherPort(Protocol):
    """adapters/netlink_events.NetlinkWatcher: link and address changes as they happen."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class NotifierPort(Protocol):
    """adapters/notifier.Notifier: queued notifies, reload-safe targets, bounded drain."""

    def notify(self, kind: Kind, name: str, state: str, priority: int,
               env: tuple[tuple[str, str], ...] = ...) -> None: ...
    def set_targets(self, targets: Iterable[NotifyTarget], *, fifos: Iterable[FifoSpec] = (),
                    smtp: SmtpSettings | None = None) -> None: ...
    async def drain(self, budget: float = ...) -> bool: ...
    async def close(self) -> None: ...


class ProcessMonitorPort(Protocol):
    """adapters/proc_events.ProcessMonitor: vrrp_track_process quorum changes."""

    async def start(self) -> None: ...
    async def start_polling(self, interval: float = ...) -> None: ...
    def close(self) -> None: ...


class LeasePort(Protocol):
    """adapters/etcd_lease.EtcdLease: the lease witness's four calls."""

    async def grant(self, ttl: int) -> str: ...
    async def put_if_absent(self, key: str, value: str, lease: str) -> Taken: ...
    async def keepalive(self, lease: str) -> int: ...
    async def revoke(self, lease: str) -> None: ...


class WitnessPort(Protocol):
    """adapters/witness_probe.WitnessProber: rounds of ARP requests to the witnesses."""

    def close(self) -> None: ...


@dataclass
class Ports:
    netlink: NetlinkPort
    open_socket: Callable[[SocketSpec], SocketPort]
    open_frames: Callable[[str], FramePort | None]
    make_watcher: Callable[[Callable[[NetlinkEvent], None]], WatcherPort]
    notifier: NotifierPort
    run_command: Callable[[ScriptCommand, float], Awaitable[ScriptResult]]
    make_process_monitor: Callable[[Sequence[ProcessMatcher], Callable[[str, bool], None]],
                                   ProcessMonitorPort]
    #: configured SMTP → settings to send with (the real one resolves the host name)
    smtp_settings: Callable[[SmtpSpec | None], SmtpSettings | None] = lambda _spec: None
    close: Callable[[], Awaitable[None]] | None = None
    #: None: no use_vmac support (the runtime then refuses a vmac instance)
    vmac: VmacPort | None = None
    #: IPVS, for an lvs_sync_daemon tied to an instance (opened only when configured)
    open_ipvs: Callable[[], Awaitable[IpvsPort]] | None = None
    #: neighbour witnesses (ours): each round's answering addresses to the callback
    open_witness: Callable[[InstanceSpec, Callable[[frozenset[IPAddress]], None]],
                           WitnessPort] | None = None
    #: the lease witness (ours): an etcd client for the instance's lease spec
    open_lease: Callable[[LeaseSpec], LeasePort] | None = None
    #: the SNMP subagent's connection (None: no SNMP support, as in the unit tests)
    open_agentx: Callable[[AgentxAddress, AgentxSessionLike, Callable[[str], None]],
                          AgentxPort] | None = None
