"""Actions → adapter calls, one instance's actions strictly in the core's order.

The core already orders a takeover the way keepalived does (advert, then VIPs, then
gratuitous ARPs/NAs, then notify); this module only has to keep that order while some
steps are asynchronous (netlink requests, paced GARP bursts). Every adapter is reached
through its port (ports.py), so tests drive the executor with recording fakes. The
notifier only enqueues (per instance, the specific script then the generic `notify` with
`INSTANCE NAME STATE PRIORITY`), so a transition never waits on a script.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, TypeVar

from pykeepalived.adapters.netlink import NetlinkRequestError
from pykeepalived.daemon.packet_log import PacketLog
from pykeepalived.daemon.packets import advert_datagrams
from pykeepalived.daemon.transitions import TransitionLog
from pykeepalived.vrrp.actions import (
    Action,
    AddVips,
    Log,
    LogLevel,
    Notify,
    RemoveVips,
    SendAdvert,
    SendGratuitous,
    StateChanged,
)
from pykeepalived.vrrp.frames import gratuitous_arp, unsolicited_na
from pykeepalived.vrrp.params import State

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Sequence

    from pykeepalived.daemon.packets import AhState
    from pykeepalived.daemon.ports import (
        FramePort,
        LogSink,
        NetlinkPort,
        NotifierPort,
        SocketPort,
    )
    from pykeepalived.specs.addresses import AddressSpec
    from pykeepalived.specs.instance import InstanceSpec, SocketSpec
    from pykeepalived.vrrp.advert import Advertisement, IPAddress

_S = TypeVar("_S")
_IMMEDIATE = frozenset({SendAdvert, Log, Notify})


@dataclass
class InstanceIO:
    """What one running instance talks through; `frames` None = cannot GARP on it.

    `ah` is the instance's IPsec-AH counters (None unless `auth_type AH`).
    """

    spec: InstanceSpec
    sender: SocketPort
    frames: FramePort | None
    ah: AhState | None = None
    #: the last advert encoded and its datagrams: a MASTER sends the same bytes every
    #: interval until its priority or addresses change (not with AH: each one differs)
    encoded: tuple[Advertisement, SocketSpec, list[tuple[bytes, IPAddress]]] | None = None


#: an Ethernet frame's type field for ARP (the rest are IPv6 NAs)
ETHERTYPE_ARP = b"\x08\x06"


def transition_line(name: str, old: str, new: str, reason: str) -> str:
    return f"({name}) pykeepalived: {old} -> {new}, reason: {reason}"


class Executor:
    def __init__(self, addresses: NetlinkPort, notifier: NotifierPort, log: LogSink, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 release_vips: bool = True,
                 on_state: Callable[[str, State, State], Awaitable[None]] | None = None,
                 ) -> None:
        self._addresses = addresses
        self._notifier = notifier
        self._log = log
        self._sleep = sleep
        #: False with `-V` at stop: keep VIPs on the interface
        self.release_vips = release_vips
        #: told of every transition, in the instance's action order (lvs_sync_daemon)
        self.on_state = on_state
        #: every transition with its reason, for the control socket and the metrics
        self.transitions = TransitionLog()
        #: daemon-wide operation counters (metrics.py OPERATION_METRICS names them)
        self.operations: Counter[str] = Counter()
        #: receive checks' complaints, rate-limited per kind, the first per sender named
        self.packet_log = PacketLog(log)

    def log_line(self, action: Log) -> None:
        if action.packet_from is not None:
            self.packet_log.log(action.message, action.level, source=action.packet_from)
        else:
            self._log.log(action.message, action.level)

    @staticmethod
    def immediate(io: InstanceIO, actions: Sequence[Action]) -> bool:
        """Whether the batch never awaits, so the chain runs it at once instead of in a
        Task of its own: adverts, log lines, notifies (the notifier only enqueues) and
        gratuitous ARP/NA bursts that are not paced (vrrp_garp/gna_interval 0, the
        default). That is a MASTER's steady state and its answer to a lower-priority
        advert, which a backup falling behind can send 10,000 times a second."""
        unpaced = io.spec.garp_interval <= 0 and io.spec.gna_interval <= 0
        return all(type(action) in _IMMEDIATE or (unpaced and type(action) is SendGratuitous)
                   for action in actions)

    def run_now(self, io: InstanceIO, actions: Sequence[Action]) -> None:
        """Run an `immediate` batch synchronously, in order."""
        for action in actions:
            if type(action) is SendAdvert:
                self.send_advert(io, action.advert)
            elif type(action) is SendGratuitous:
                if io.spec.vips and action.count > 0:
                    self._announce(io)
                    for frame, _ in self._frames(io, list(io.spec.vips), action.count):
                        self._send_frame(io, frame)
            elif type(action) is Notify:
                self.notify(io, action)
            else:
                assert isinstance(action, Log)
                self.log_line(action)

    async def run(self, io: InstanceIO, actions: Sequence[Action]) -> None:
        for action in actions:
            match action:
                case SendAdvert():
                    self.send_advert(io, action.advert)
                case AddVips():
                    await self.add_vips(io)
                case RemoveVips():
                    if self.release_vips:
                        await self.remove_vips(io)
                case SendGratuitous():
                    await self.gratuitous(io, action.count)
                case Notify():
                    self.notify(io, action)
                case Log():
                    self.log_line(action)
                case StateChanged():
                    if action.new is State.MASTER and io.ah is not None:
                        io.ah.sequence.on_become_master()
                    # ours, once per transition, beside keepalived's "Entering X STATE":
                    # the why an operator otherwise digs out of the lines before it
                    self._log.log(transition_line(io.spec.name, action.old.value,
                                                  action.new.value, action.reason))
                    self.transitions.record(io.spec.name, action.old.value, action.new.value,
                                            action.reason)
                    if self.on_state is not None:
                        await self.on_state(io.spec.name, action.old, action.new)

    def notify(self, io: InstanceIO, action: Notify) -> None:
        """Enqueue the instance's notify scripts (the notifier never waits on them)."""
        if action.fencing_token and io.spec.lease is not None:
            # ours: the lease witness's revision, so a hook can refuse a stale holder
            # (docs/cloud-recipe.md)
            self._notifier.notify(
                "INSTANCE", io.spec.name, action.state.value, action.priority,
                env=(("PYKEEPALIVED_FENCING_TOKEN", str(action.fencing_token)),
                     ("PYKEEPALIVED_LEASE_KEY", io.spec.lease.key)))
            return
        self._notifier.notify("INSTANCE", io.spec.name, action.state.value, action.priority)

    def send_advert(self, io: InstanceIO, advert: Advertisement) -> int:
        """To the group, or one copy per unicast peer (each with its own checksum)."""
        sock = io.spec.socket
        if sock.source is None:
            self._log.log(f"({io.spec.name}) no source address on {sock.ifname}, "
                          "advert not sent", LogLevel.DEBUG)
            return 0
        cached = io.encoded
        if (cached is not None and io.ah is None and cached[1] is sock
                and (cached[0] is advert or cached[0] == advert)):
            datagrams = cached[2]
        else:
            try:
                datagrams = advert_datagrams(sock, advert, io.ah)
            except ValueError as exc:
                self._log.log(f"({io.spec.name}) cannot encode advert: {exc}")
                return 0
            io.encoded = (advert, sock, datagrams)
        return sum(io.sender.send(payload, destination) for payload, destination in datagrams)

    async def add_vips(self, io: InstanceIO) -> None:
        for spec in io.spec.vips:
            await self._request(self._addresses.add_address, spec)
        for route in io.spec.routes:
            await self._request(self._addresses.add_route, route)
        for rule in io.spec.rules:
            await self._request(self._addresses.add_rule, rule)

    async def remove_vips(self, io: InstanceIO,
                          vips: Sequence[AddressSpec] | None = None) -> None:
        """Rules, routes, then `vips` (default: all the instance's VIPs)."""
        for rule in io.spec.rules:
            await self._request(self._addresses.delete_rule, rule)
        for route in io.spec.routes:
            await self._request(self._addresses.delete_route, route)
        for spec in io.spec.vips if vips is None else vips:
            await self._request(self._addresses.delete_address, spec)

    async def remove_addresses(self, specs: Sequence[AddressSpec]) -> None:
        for spec in specs:
            await self._request(self._addresses.delete_address, spec)

    async def readd_vip(self, io: InstanceIO, address: IPAddress) -> None:
        """A VIP removed behind our back while MASTER: put it back and announce it."""
        for spec in io.spec.vips:
            if spec.address.ip == address:
                await self._request(self._addresses.add_address, spec)
                await self._burst(io, [spec], 1)

    async def _request(self, method: Callable[[_S], Awaitable[bool]], spec: _S) -> None:
        try:
            await method(spec)
        except (NetlinkRequestError, LookupError, OSError) as exc:
            self._log.log(f"Netlink: {exc}")

    async def gratuitous(self, io: InstanceIO, count: int) -> None:
        """One burst: `count` GARPs / NAs per VIP, paced by vrrp_garp/gna_interval."""
        if not io.spec.vips or count <= 0:
            return
        self._announce(io)
        await self._burst(io, list(io.spec.vips), count)

    def _announce(self, io: InstanceIO) -> None:
        for family, label in ((4, "gratuitous ARPs"), (6, "Unsolicited Neighbour Adverts")):
            for spec in io.spec.vips:
                if spec.address.version == family:
                    self._log.log(f"({io.spec.name}) Sending/queueing {label} on "
                                  f"{spec.ifname} for {spec.address.ip}", LogLevel.DETAIL)

    async def _burst(self, io: InstanceIO, specs: Sequence[AddressSpec], count: int) -> None:
        for frame, interval in self._frames(io, specs, count):
            self._send_frame(io, frame)
            if interval > 0:
                await self._sleep(interval)

    def _send_frame(self, io: InstanceIO, frame: bytes) -> None:
        """One GARP or unsolicited NA out, counted for the metrics by kind and outcome."""
        assert io.frames is not None
        kind = "garp" if frame[12:14] == ETHERTYPE_ARP else "unsolicited_na"
        sent = io.frames.send(frame)
        self.operations[f"{kind}_sent" if sent else f"{kind}_send_failures"] += 1

    def _frames(self, io: InstanceIO, specs: Sequence[AddressSpec],
                count: int) -> Iterator[tuple[bytes, float]]:
        """The burst's frames in sending order, each with the pause that follows it (each
        logged as it is taken); nothing when the instance cannot send frames."""
        if io.frames is None:
            return
        for _ in range(count):
            for spec in specs:
                ip = spec.address.ip
                if isinstance(ip, IPv4Address):
                    frame, interval = gratuitous_arp(ip, io.spec.mac), io.spec.garp_interval
                    line = f"Sending gratuitous ARP on {spec.ifname} for {ip}"
                else:
                    assert isinstance(ip, IPv6Address)
                    frame, interval = unsolicited_na(ip, io.spec.mac), io.spec.gna_interval
                    line = f"Sending unsolicited Neighbour Advert on {spec.ifname} for {ip}"
                self._log.log(line, LogLevel.DETAIL)
                yield frame, interval
