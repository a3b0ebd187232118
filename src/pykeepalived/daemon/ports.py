"""The runtime's seams: every adapter it drives, as a Protocol, and the production set.

The runtime reaches the world only through `Ports`, so the same driver runs over the
real adapters in the daemon and over recording fakes in the unit tests.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pykeepalived.adapters.gratuitous import FrameSender
from pykeepalived.adapters.netlink import Netlink
from pykeepalived.adapters.netlink_events import NetlinkWatcher
from pykeepalived.adapters.notifier import Notifier
from pykeepalived.adapters.proc_events import ProcessMonitor
from pykeepalived.adapters.scripts import run_script
from pykeepalived.adapters.smtp import SmtpSettings
from pykeepalived.adapters.vmac import VmacManager
from pykeepalived.adapters.vrrp_socket import AH_PROTOCOL, VrrpSocket, VrrpSocketConfig
from pykeepalived.vrrp.advert import VRRP_PROTOCOL, AuthType

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence

    from pykeepalived.adapters.datagram import Datagram
    from pykeepalived.adapters.links import InterfaceInfo
    from pykeepalived.adapters.netlink_events import NetlinkEvent
    from pykeepalived.config.model import GlobalDefs
    from pykeepalived.daemon.executor import FramePort, LogSink
    from pykeepalived.spec.addresses import AddressSpec, RouteSpec, RuleSpec
    from pykeepalived.spec.commands import ScriptCommand
    from pykeepalived.spec.instance import SocketSpec
    from pykeepalived.spec.notify import FifoSpec, Kind, NotifyTarget, SmtpSpec
    from pykeepalived.spec.tracks import ProcessMatcher
    from pykeepalived.spec.vmac import VmacSpec
    from pykeepalived.vrrp.advert import IPAddress
    from pykeepalived.vrrp.tracking import ScriptResult


class SocketPort(Protocol):
    def send(self, payload: bytes, destination: IPAddress) -> bool: ...
    def start(self, callback: Callable[[Datagram], None]) -> None: ...
    def close(self) -> None: ...


class NetlinkPort(Protocol):
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
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class NotifierPort(Protocol):
    """daemon/notifier.Notifier: queued notifies, reload-safe targets, bounded drain."""

    def notify(self, kind: Kind, name: str, state: str, priority: int) -> None: ...
    def set_targets(self, targets: Iterable[NotifyTarget], *, fifos: Iterable[FifoSpec] = (),
                    smtp: SmtpSettings | None = None) -> None: ...
    async def drain(self, budget: float = ...) -> bool: ...
    async def close(self) -> None: ...


class ProcessMonitorPort(Protocol):
    async def start(self) -> None: ...
    async def start_polling(self, interval: float = ...) -> None: ...
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
                                   ProcessMonitorPort] = ProcessMonitor
    #: configured SMTP → settings to send with (the real one resolves the host name)
    smtp_settings: Callable[[SmtpSpec | None], SmtpSettings | None] = lambda _spec: None
    close: Callable[[], Awaitable[None]] | None = None
    #: None: no use_vmac support (the runtime then refuses a vmac instance)
    vmac: VmacPort | None = None


def socket_config(spec: SocketSpec) -> VrrpSocketConfig:
    """keepalived's AH goes over IP protocol 51 with a header we write (its ICV covers it)."""
    ah = spec.auth_type is AuthType.AH
    return VrrpSocketConfig(
        ifname=spec.ifname, ifindex=spec.ifindex,
        family=socket.AF_INET if spec.family == 4 else socket.AF_INET6,
        group=spec.group, join_group=not spec.unicast, source=spec.source,
        unicast_ttl=spec.unicast_ttl, protocol=AH_PROTOCOL if ah else VRRP_PROTOCOL,
        header_included=ah)


async def open_real_ports(log: LogSink, defaults: GlobalDefs) -> Ports:
    """The production adapters."""
    netlink = await Netlink.open()

    def open_socket(spec: SocketSpec) -> SocketPort:
        return VrrpSocket.open(socket_config(spec))

    async def run_one(command: ScriptCommand, time_limit: float) -> ScriptResult:
        return await run_script(command, time_limit=time_limit,
                                enforce_security=defaults.enable_script_security)

    notifier = Notifier(enforce_security=defaults.enable_script_security)

    async def close() -> None:
        await notifier.close()
        await netlink.close()

    return Ports(netlink=netlink, open_socket=open_socket, open_frames=FrameSender.open,
                 make_watcher=lambda callback: NetlinkWatcher(callback),
                 notifier=notifier, run_command=run_one,
                 smtp_settings=SmtpSettings.resolve, close=close,
                 vmac=VmacManager(netlink, log.log))
