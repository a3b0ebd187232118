"""One vrrp_instance + facts about its interface → the `InstanceSpec` the runtime runs.

Pure on purpose: the runtime gathers interface facts over netlink (I/O) and hands them
in as `InterfaceFacts`, so every keepalived rule about merging global_defs into an
instance, picking the advert source address or the multicast group is tested without
root. The specs are frozen values, which is also what makes a reload diffable: two
specs compare equal exactly when the instance would run the same way.

`use_vmac` (specs/vmac.py) moves the instance's VIPs, GARPs and, unless `vmac_xmit_base`,
its socket onto a macvlan that exists only once the runtime made it: such a socket's
ifindex is 0 here and filled in by the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

from pykeepalived.specs.addresses import address_spec, route_spec, rule_spec
from pykeepalived.specs.lease import LeaseSpec
from pykeepalived.specs.tracks import instance_tracks
from pykeepalived.specs.vmac import vmac_spec
from pykeepalived.vrrp.advert import AuthType, IPAddress
from pykeepalived.vrrp.checksum import ChecksumMode
from pykeepalived.vrrp.params import GarpParams, InstanceParams, State, UnicastPeer
from pykeepalived.vrrp.witness import WitnessParams

if TYPE_CHECKING:
    from collections.abc import Mapping
    from ipaddress import IPv4Address, IPv6Address

    from pykeepalived.config import model
    from pykeepalived.specs.addresses import AddressSpec, RouteSpec, RulePreferences, RuleSpec
    from pykeepalived.specs.vmac import VmacSpec
    from pykeepalived.vrrp.tracking import TrackSpec

_T = TypeVar("_T")


class BuildError(ValueError):
    """The config is valid keepalived but cannot be run by us on this host."""


@dataclass(frozen=True, slots=True)
class InterfaceFacts:
    """What netlink told us about one interface at startup (or reload)."""

    ifname: str
    ifindex: int
    mac: bytes
    up: bool = True
    primary_ipv4: IPv4Address | None = None
    link_local: IPv6Address | None = None


@dataclass(frozen=True, slots=True)
class SocketSpec:
    """How the instance's raw socket talks: multicast group or unicast peers."""

    ifname: str
    ifindex: int
    family: int  # 4 or 6
    source: IPAddress | None
    group: IPAddress | None  # None: unicast only
    peers: tuple[IPAddress, ...] = ()
    unicast_ttl: int = 255
    send_checksum: ChecksumMode = ChecksumMode.KEEPALIVED
    accept_checksums: tuple[ChecksumMode, ...] = (ChecksumMode.KEEPALIVED,)
    auth_type: AuthType = AuthType.NONE
    auth_key: bytes = b""

    @property
    def unicast(self) -> bool:
        return self.group is None


@dataclass(frozen=True, slots=True)
class NotifyCommands:
    """The instance's notify programs; the generic one gets `INSTANCE name STATE prio`."""

    master: tuple[str, ...] | None = None
    backup: tuple[str, ...] | None = None
    fault: tuple[str, ...] | None = None
    stop: tuple[str, ...] | None = None
    generic: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ReloadKey:
    """keepalived's vrrp_exist match: same VRID, family, interface and unicast-ness."""

    vrid: int
    family: int
    interface: str
    unicast: bool


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    name: str
    params: InstanceParams
    socket: SocketSpec
    mac: bytes
    #: every address the instance adds (virtual_ipaddress then _excluded)
    vips: tuple[AddressSpec, ...] = ()
    #: VIPs whose external removal keepalived reacts to (not `no_track`)
    tracked_vips: frozenset[IPAddress] = frozenset()
    routes: tuple[RouteSpec, ...] = ()
    #: virtual_rules: `ip rule`s held while MASTER
    rules: tuple[RuleSpec, ...] = ()
    track: tuple[TrackSpec, ...] = ()
    notify: NotifyCommands = field(default_factory=NotifyCommands)
    garp_interval: float = 0.0
    gna_interval: float = 0.0
    #: use_vmac: the macvlan the runtime creates before opening the socket
    vmac: VmacSpec | None = None
    #: pykeepalived's neighbour witnesses, asked on `socket.ifname` (None: none)
    witness: WitnessParams | None = None
    #: pykeepalived's lease witness (etcd), None: none
    lease: LeaseSpec | None = None

    @property
    def garp_ifname(self) -> str:
        """GARPs/NAs leave from the vmac even with vmac_xmit_base."""
        return self.vmac.ifname if self.vmac is not None else self.socket.ifname

    @property
    def key(self) -> ReloadKey:
        return ReloadKey(self.params.vrid, self.params.family, self.socket.ifname,
                         self.socket.unicast)



# ---------------------------------------------------------------------------- building


def instance_spec(config: model.Config, inst: model.VrrpInstanceConfig,
              interfaces: Mapping[str, InterfaceFacts], warnings: list[str],
              preferences: RulePreferences, vmac_names: set[str]) -> InstanceSpec:
    ifname = inst.interface or config.global_defs.default_interface
    if not ifname:
        raise BuildError(f"({inst.name}) Unknown interface !")
    facts = interfaces.get(ifname)
    if facts is None:
        raise BuildError(f"({inst.name}) WARNING - interface {ifname} doesn't exist")
    if inst.authentication is not None and inst.authentication.auth_type == "AH" \
            and inst.family != 4:
        raise BuildError(f"({inst.name}) auth_type AH needs IPv4 (VRRPv2)")
    params = instance_params(config.global_defs, inst, _primary(inst, facts))
    vmac = vmac_spec(config.global_defs, inst, ifname, params, vmac_names, warnings)
    vip_ifname = vmac.ifname if vmac is not None else ifname
    vips = tuple(address_spec(v, vip_ifname) for v in (*inst.virtual_ipaddresses,
                                                     *inst.virtual_ipaddresses_excluded))
    tracked = frozenset(v.address for v in (*inst.virtual_ipaddresses,
                                              *inst.virtual_ipaddresses_excluded)
                        if not v.no_track)
    routes = tuple(r for r in (route_spec(rt, ifname, inst.name, warnings)
                               for rt in inst.virtual_routes) if r is not None)
    rules = tuple(r for r in (rule_spec(rule, inst.name, warnings, preferences)
                              for rule in inst.virtual_rules) if r is not None)
    g = config.global_defs
    sock = _socket(g, inst, facts, params)
    if vmac is not None and not vmac.xmit_base:
        sock = replace(sock, ifname=vmac.ifname, ifindex=0)
    return InstanceSpec(
        name=inst.name, params=params, socket=sock,
        mac=vmac.mac if vmac is not None else facts.mac,
        vips=vips, tracked_vips=tracked, routes=routes, rules=rules,
        track=instance_tracks(config, inst, ifname),
        notify=_notify(inst), garp_interval=g.vrrp_garp_interval_us / 1e6,
        gna_interval=g.vrrp_gna_interval_us / 1e6, vmac=vmac,
        witness=WitnessParams(inst.witness, inst.witness_interval_us / 1e6, inst.witness_loss)
        if inst.witness else None,
        lease=LeaseSpec(inst.lease_witness, inst.lease_key or f"/pykeepalived/vrrp/{params.vrid}",
                        inst.lease_ttl, str(params.primary_address or config.global_defs.router_id
                                            or inst.name))
        if inst.lease_witness else None)



def instance_params(g: model.GlobalDefs, inst: model.VrrpInstanceConfig,
                    primary: IPAddress | None) -> InstanceParams:
    """global_defs merged into the instance, as keepalived's vrrp_complete_instance does."""
    auth_type, auth_data = AuthType.NONE, b""
    if inst.authentication is not None and inst.version == 2:
        auth_type = AuthType.PASS if inst.authentication.auth_type == "PASS" else AuthType.AH
        auth_data = inst.authentication.auth_pass.encode()[:8]
    strict = _pick(inst.strict_mode, g.vrrp_strict)
    try:
        return InstanceParams(
            name=inst.name, vrid=inst.virtual_router_id, version=inst.version,
            family=inst.family, priority=inst.priority,
            advert_int_cs=max(1, inst.advert_int_us // 10_000),
            virtual_addresses=tuple(v.address for v in inst.virtual_ipaddresses
                                    if v.address.version == inst.family),
            primary_address=primary, preempt=not inst.nopreempt,
            preempt_delay=inst.preempt_delay_us / 1e6, accept=_pick(inst.accept, not strict),
            auth_type=auth_type, auth_data=auth_data,
            unicast_peers=tuple(UnicastPeer(p.address, p.min_ttl or 0,
                                            255 if p.max_ttl is None else p.max_ttl)
                                for p in inst.unicast_peers),
            check_unicast_src=inst.check_unicast_src or g.vrrp_check_unicast_src,
            skip_check_adv_addr=_pick(inst.skip_check_adv_addr, g.vrrp_skip_check_adv_addr),
            lower_prio_no_advert=_pick(inst.lower_prio_no_advert, g.vrrp_lower_prio_no_advert),
            higher_prio_send_advert=_pick(inst.higher_prio_send_advert,
                                          g.vrrp_higher_prio_send_advert),
            # off unless asked: keepalived's operator lines stay the same by default
            split_brain_announce=bool(inst.split_brain_announce) and not strict,
            witness=bool(inst.witness),
            lease=bool(inst.lease_witness), lease_unreachable=inst.lease_unreachable,
            down_timer_adverts=inst.down_timer_adverts, garp=_garp(g, inst),
            strict_mode=strict,
            initial_state=State.MASTER if inst.state == "MASTER" else None,
            state_master_configured=inst.state == "MASTER")
    except ValueError as exc:
        raise BuildError(f"({inst.name}) {exc}") from None


def _pick(own: _T | None, default: _T) -> _T:
    return default if own is None else own


def _garp(g: model.GlobalDefs, inst: model.VrrpInstanceConfig) -> GarpParams:
    delay = _pick(inst.garp_master_delay, g.vrrp_garp_master_delay)
    repeat = _pick(inst.garp_master_repeat, g.vrrp_garp_master_repeat)
    return GarpParams(
        master_delay=float(delay), master_repeat=repeat,
        master_refresh=float(_pick(inst.garp_master_refresh, g.vrrp_garp_master_refresh)),
        refresh_repeat=_pick(inst.garp_master_refresh_repeat,
                             g.vrrp_garp_master_refresh_repeat),
        # keepalived: the lower-priority burst defaults to the master burst's settings
        lower_prio_delay=float(_pick(inst.garp_lower_prio_delay,
                                     _pick(g.vrrp_garp_lower_prio_delay, delay))),
        lower_prio_repeat=_pick(inst.garp_lower_prio_repeat,
                                _pick(g.vrrp_garp_lower_prio_repeat, repeat)))


def _primary(inst: model.VrrpInstanceConfig, facts: InterfaceFacts) -> IPAddress | None:
    """The advert source: unicast_src_ip / mcast_src_ip, else the interface's own."""
    configured = inst.unicast_src_ip or inst.mcast_src_ip
    if configured is not None:
        return configured
    return facts.primary_ipv4 if inst.family == 4 else facts.link_local


def _socket(g: model.GlobalDefs, inst: model.VrrpInstanceConfig, facts: InterfaceFacts,
            params: InstanceParams) -> SocketSpec:
    unicast = inst.unicast
    group: IPAddress | None = None
    if not unicast:
        group = g.vrrp_mcast_group4 if inst.family == 4 else g.vrrp_mcast_group6
    old = inst.old_unicast_checksum
    send = ChecksumMode.OLD_UNICAST if unicast and old == "always" else ChecksumMode.KEEPALIVED
    accept: tuple[ChecksumMode, ...] = (ChecksumMode.KEEPALIVED,)
    if unicast and old != "never":
        # keepalived 2.2.7 auto-detects peers still using the pre-1.3.6 unicast checksum
        accept = (ChecksumMode.KEEPALIVED, ChecksumMode.OLD_UNICAST)
    return SocketSpec(
        ifname=facts.ifname, ifindex=facts.ifindex, family=inst.family,
        source=params.primary_address, group=group,
        peers=tuple(p.address for p in inst.unicast_peers),
        unicast_ttl=inst.unicast_ttl or 255, send_checksum=send, accept_checksums=accept,
        auth_type=params.auth_type,
        auth_key=params.auth_data)



def _notify(inst: model.VrrpInstanceConfig) -> NotifyCommands:
    def command(script: model.NotifyScript | None) -> tuple[str, ...] | None:
        return script.command if script is not None and script.command else None

    return NotifyCommands(master=command(inst.notify_master), backup=command(inst.notify_backup),
                          fault=command(inst.notify_fault), stop=command(inst.notify_stop),
                          generic=command(inst.notify))

