"""Config model → `CheckSpec`: the virtual servers the check module runs, pure.

One `VirtualServerSpec` per configured virtual_server (after keepalived's validation,
done in config/resolve_check.py); a virtual_server_group becomes one IPVS service per
address of each of its entries (ranges and CIDR blocks expanded) and one per fwmark
entry, as keepalived programs them. A real server's unset values come from its virtual
server (weight, forwarding, alpha, inhibit_on_failure); its checkers are resolved by
check_probes.py. The lvs_* globals, the notify FIFOs and the SMTP settings complete it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pykeepalived.check.lvs import (
    FLAG_PERSISTENT,
    Forwarding,
    ServiceSpec,
    Timeouts,
    TunnelType,
)
from pykeepalived.check.params import RealServerSpec, VirtualServerSpec
from pykeepalived.config.model_check import Forwarding as ForwardingConfig
from pykeepalived.specs.check import CheckSpec, SslSpec
from pykeepalived.specs.check_probes import checker_spec
from pykeepalived.specs.notify import FifoSpec, script_command, smtp_spec
from pykeepalived.specs.syncd import sync_daemon_spec

if TYPE_CHECKING:
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.config.model import Config, GlobalDefs
    from pykeepalived.config.model_base import IPAddress, NotifyScript
    from pykeepalived.config.model_check import (
        GroupEntry,
        RealServer,
        SorryServer,
        VirtualServer,
        VirtualServerGroup,
    )

__all__ = ["MAX_SERVICES", "check_spec"]

#: Our bound on the IPVS services one virtual server expands to (keepalived has none: a
#: /8 in a virtual_server_group would be 16 million services)
MAX_SERVICES = 65536
_METHODS = {"NAT": Forwarding.NAT, "DR": Forwarding.DR, "TUN": Forwarding.TUN}
_TUNNELS = {"ipip": TunnelType.IPIP, "gue": TunnelType.GUE, "gre": TunnelType.GRE}
_CHECKSUMS = {"nocsum": 0, "csum": 1, "remcsum": 2}


def check_spec(config: Config) -> CheckSpec:
    """Everything the check module runs, from one validated config."""
    warnings: list[str] = []
    gdefs = config.global_defs
    servers = tuple(_virtual_server(config, vs, warnings) for vs in config.virtual_servers)
    return CheckSpec(
        virtual_servers=servers,
        lvs_flush=gdefs.lvs_flush,
        lvs_flush_on_stop=gdefs.lvs_flush_on_stop,
        timeouts=_timeouts(gdefs),
        sync_daemon=sync_daemon_spec(config, warnings),
        log_all_failures=gdefs.checker_log_all_failures,
        rs_init_notifies=gdefs.rs_init_notifies,
        no_checker_emails=gdefs.no_checker_emails,
        fifos=_fifos(gdefs),
        smtp=smtp_spec(gdefs),
        ssl=None if config.ssl is None else SslSpec(config.ssl.password, config.ssl.ca,
                                                     config.ssl.certificate, config.ssl.key),
        script_security=gdefs.enable_script_security,
        warnings=tuple(warnings),
    )


# ------------------------------------------------------------------ virtual servers


def _virtual_server(config: Config, vs: VirtualServer, warnings: list[str]
                    ) -> VirtualServerSpec:
    gdefs = config.global_defs
    sorry = vs.sorry_server
    real_servers = tuple(_real_server(config, vs, rs, warnings) for rs in vs.real_servers)
    return VirtualServerSpec(
        label=vs.label,
        services=_services(config, vs, warnings),
        real_servers=real_servers,
        quorum=vs.quorum,
        hysteresis=vs.hysteresis,
        quorum_up=_command(vs.quorum_up, gdefs),
        quorum_down=_command(vs.quorum_down, gdefs),
        sorry_server=None if sorry is None else _sorry_server(vs, sorry),
        sorry_server_inhibit=sorry is not None and sorry.inhibit,
        alpha=vs.alpha,
        omega=vs.omega,
        ha_suspend=vs.ha_suspend,
        smtp_alert=vs.smtp_alert,
        group=vs.group,
        key=_key(vs),
    )


def _key(vs: VirtualServer) -> tuple[object, ...]:
    """keepalived's reload match (vs_iseq): group name and sequence, else family and
    fwmark, else family, protocol, address and port."""
    if vs.group is not None:
        return ("group", vs.group, vs.group_seq)
    if vs.fwmark:
        return ("fwmark", vs.family, vs.fwmark)
    return ("address", vs.family, vs.protocol, vs.address, vs.port)


def _command(script: NotifyScript | None, gdefs: GlobalDefs) -> ScriptCommand | None:
    return None if script is None else script_command(script, gdefs)


# ------------------------------------------------------------------ services


def _services(config: Config, vs: VirtualServer, warnings: list[str]
              ) -> tuple[ServiceSpec, ...]:
    if vs.group is None:
        if vs.fwmark:
            return (_service(vs, vs.family or 4, 0, None, 0, vs.fwmark),)
        return (_service(vs, vs.family or 4, vs.protocol, vs.address, vs.port, 0),)
    group = next(g for g in config.virtual_server_groups if g.name == vs.group)
    services = list(_group_addresses(vs, group))
    services += [_service(vs, e.family or vs.family or 4, 0, None, 0, e.fwmark or 0)
                 for e in group.fwmarks]
    if len(services) > MAX_SERVICES:
        warnings.append(f"Virtual server {vs.label}: group {group.name} expands to"
                        f" {len(services)} services - pykeepalived runs the first"
                        f" {MAX_SERVICES}")
        del services[MAX_SERVICES:]
    return tuple(services)


def _group_addresses(vs: VirtualServer, group: VirtualServerGroup) -> list[ServiceSpec]:
    """Each address of each entry, in order, stopping past our bound."""
    services: list[ServiceSpec] = []
    for entry in group.addresses:
        services += _entry_services(vs, entry, MAX_SERVICES + 1 - len(services))
        if len(services) > MAX_SERVICES:
            break
    return services


def _entry_services(vs: VirtualServer, entry: GroupEntry, room: int) -> list[ServiceSpec]:
    found: list[ServiceSpec] = []
    for address in entry.addresses():
        if len(found) >= room:
            break
        found.append(_service(vs, address.version, vs.protocol, address, entry.port, 0))
    return found


def _service(vs: VirtualServer, family: int, protocol: int, address: IPAddress | None,
             port: int, fwmark: int) -> ServiceSpec:
    """The IPVS service: PERSISTENT whenever there is a persistence timeout; the netmask
    is persistence_granularity (an IPv4 mask, or an IPv6 prefix length), else all-ones."""
    netmask = vs.persistence_granularity
    if netmask is None:
        netmask = 0xFFFFFFFF if family == 4 else 128
    flags = vs.flags | (FLAG_PERSISTENT if vs.persistence_timeout else 0)
    return ServiceSpec(family=family, protocol=protocol, address=address, port=port,
                       fwmark=fwmark, scheduler=vs.scheduler, flags=flags,
                       timeout=vs.persistence_timeout, netmask=netmask,
                       pe_name=vs.persistence_engine)


# ------------------------------------------------------------------ servers


def _server(address: IPAddress, port: int, forwarding: ForwardingConfig | None,
            **others: Any) -> RealServerSpec:
    """A RealServerSpec with keepalived's forwarding words turned into IPVS values."""
    forwarding = forwarding or ForwardingConfig()
    return RealServerSpec(address, port, forwarding=_METHODS[forwarding.method],
                          tunnel_type=_TUNNELS[forwarding.tunnel_type],
                          tunnel_port=forwarding.tunnel_port,
                          tunnel_flags=_CHECKSUMS[forwarding.checksum], **others)


def _real_server(config: Config, vs: VirtualServer, rs: RealServer, warnings: list[str]
                 ) -> RealServerSpec:
    gdefs = config.global_defs
    checkers = []
    for checker in rs.checkers:
        spec = checker_spec(config, vs, rs, checker)
        if spec is None:
            warnings.append(f"{checker.kind} of [{rs.address}]:{rs.port} in virtual server"
                            f" {vs.label} is not run by pykeepalived")
            continue
        checkers.append(spec)
    return _server(
        rs.address, rs.port, rs.forwarding or vs.forwarding,
        weight=vs.weight if rs.weight is None else rs.weight,
        u_threshold=rs.u_threshold, l_threshold=rs.l_threshold,
        inhibit_on_failure=(vs.inhibit_on_failure if rs.inhibit_on_failure is None
                            else rs.inhibit_on_failure),
        alpha=vs.alpha if rs.alpha is None else rs.alpha,
        notify_up=_command(rs.notify_up, gdefs), notify_down=_command(rs.notify_down, gdefs),
        smtp_alert=True if rs.smtp_alert is None else rs.smtp_alert,
        checkers=tuple(checkers), protocol=vs.protocol)


def _sorry_server(vs: VirtualServer, sorry: SorryServer) -> RealServerSpec:
    return _server(sorry.address, sorry.port, sorry.forwarding or vs.forwarding, weight=1,
                   inhibit_on_failure=sorry.inhibit, protocol=vs.protocol)


# ------------------------------------------------------------------ globals


def _timeouts(gdefs: GlobalDefs) -> Timeouts | None:
    values = (gdefs.lvs_timeout_tcp, gdefs.lvs_timeout_tcpfin, gdefs.lvs_timeout_udp)
    return None if all(v is None for v in values) else Timeouts(*values)


def _fifos(gdefs: GlobalDefs) -> tuple[FifoSpec, ...]:
    """notify_fifo and lvs_notify_fifo (once if they are the same file): the VS and RS
    lines go to both."""
    specs: list[FifoSpec] = []
    for path, script in ((gdefs.notify_fifo, gdefs.notify_fifo_script),
                         (gdefs.lvs_notify_fifo, gdefs.lvs_notify_fifo_script)):
        if path and all(s.path != path for s in specs):
            specs.append(FifoSpec(path, _command(script, gdefs)))
    return tuple(specs)
