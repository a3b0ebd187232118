"""The production set of ports: the real adapters, opened for the daemon.

Kept apart from ports.py so that declaring the seams never imports the machinery behind
them (tests build `Ports` from fakes without opening a netlink socket).
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from pykeepalived.adapters.gratuitous import FrameSender
from pykeepalived.adapters.netlink import Netlink
from pykeepalived.adapters.netlink_events import NetlinkWatcher
from pykeepalived.adapters.notifier import Notifier
from pykeepalived.adapters.proc_events import ProcessMonitor
from pykeepalived.adapters.scripts import run_script
from pykeepalived.adapters.smtp import SmtpSettings
from pykeepalived.adapters.vmac import VmacManager
from pykeepalived.adapters.vrrp_socket import AH_PROTOCOL, VrrpSocket, VrrpSocketConfig
from pykeepalived.daemon.ports import Ports
from pykeepalived.vrrp.advert import VRRP_PROTOCOL, AuthType

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.adapters.agentx import AgentxClient, AgentxSessionLike
    from pykeepalived.adapters.etcd_lease import EtcdLease
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.daemon.check_ports import IpvsPort
    from pykeepalived.daemon.ports import LogSink, SocketPort, WitnessPort
    from pykeepalived.specs.instance import InstanceSpec, SocketSpec
    from pykeepalived.specs.lease import LeaseSpec
    from pykeepalived.specs.snmp import AgentxAddress
    from pykeepalived.vrrp.advert import IPAddress
    from pykeepalived.vrrp.tracking import ScriptResult


#: Each instance's socket queues every VRRP packet on its link. The kernel's default
#: (rmem_max, 208 KiB: about 170 small packets) overflows in 40 ms of a 4,000/s stream of
#: hostile packets if the daemon is not scheduled meanwhile, and the master's adverts are
#: lost with the rest (a backup then takes over: seen in bench.fuzz on a busy machine);
#: 1 MiB holds about 0.2 s of that. Memory is only used while packets wait.
RECEIVE_BUFFER = 1 << 20


async def open_ipvs() -> IpvsPort:
    """IPVS for a VRRP-driven lvs_sync_daemon, imported only when one is configured: the
    generic-netlink machinery costs start-up time and memory every other daemon spares."""
    from pykeepalived.adapters.ipvs import Ipvs
    return await Ipvs.open()


def socket_config(spec: SocketSpec) -> VrrpSocketConfig:
    """keepalived's AH goes over IP protocol 51 with a header we write (its ICV covers it)."""
    ah = spec.auth_type is AuthType.AH
    return VrrpSocketConfig(
        ifname=spec.ifname, ifindex=spec.ifindex,
        family=socket.AF_INET if spec.family == 4 else socket.AF_INET6,
        group=spec.group, join_group=not spec.unicast, source=spec.source,
        unicast_ttl=spec.unicast_ttl, protocol=AH_PROTOCOL if ah else VRRP_PROTOCOL,
        header_included=ah, receive_buffer=RECEIVE_BUFFER)


def open_witness(spec: InstanceSpec,
                 on_round: Callable[[frozenset[IPAddress]], None]) -> WitnessPort:
    """ARP from the instance's interface, its MAC and primary address."""
    # this adapter and the two below load only when configured: a daemon pays no
    # memory for a witness, a lease or SNMP it does not use
    from pykeepalived.adapters.witness_probe import WitnessProber

    assert spec.witness is not None
    return WitnessProber.open(spec.socket.ifname, mac=spec.mac,
                              source=spec.params.primary_address,
                              witnesses=spec.witness.addresses,
                              interval=spec.witness.interval, on_round=on_round)


def open_lease(spec: LeaseSpec) -> EtcdLease:
    from pykeepalived.adapters.etcd_lease import EtcdLease

    return EtcdLease(spec.endpoints, timeout=spec.request_timeout)


def open_agentx(address: AgentxAddress, session: AgentxSessionLike,
                log: Callable[[str], None]) -> AgentxClient:
    """AgentxClient, imported when SNMP is enabled."""
    from pykeepalived.adapters.agentx import AgentxClient

    return AgentxClient(address, session, log)


async def open_real_ports(log: LogSink, *, script_security: bool) -> Ports:
    """The production adapters."""
    netlink = await Netlink.open()

    def open_socket(spec: SocketSpec) -> SocketPort:
        return VrrpSocket.open(socket_config(spec))

    async def run_one(command: ScriptCommand, time_limit: float) -> ScriptResult:
        return await run_script(command, time_limit=time_limit,
                                enforce_security=script_security)

    notifier = Notifier(enforce_security=script_security)

    async def close() -> None:
        await notifier.close()
        await netlink.close()

    return Ports(netlink=netlink, open_socket=open_socket, open_frames=FrameSender.open,
                 make_watcher=lambda callback: NetlinkWatcher(callback),
                 notifier=notifier, run_command=run_one,
                 make_process_monitor=ProcessMonitor,
                 smtp_settings=SmtpSettings.resolve, close=close,
                 vmac=VmacManager(netlink, log.log), open_ipvs=open_ipvs,
                 open_witness=open_witness, open_lease=open_lease,
                 open_agentx=open_agentx)
