"""The parsed configuration as frozen values, each remembering where it was written.

These are the *resolved* settings: defaults that depend on other blocks (version from
global_defs, priority from state, advert_int rounding ...) are already applied by
`resolve.py`, so consumers never re-derive keepalived's rules. Keywords we recognise but
do not model yet are kept as `Option`s so `-d` can still show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Literal

# re-exported: the VRRP side has always imported them from here
from pykeepalived.config.model_base import IPAddress as IPAddress  # noqa: TC001
from pykeepalived.config.model_base import NotifyScript as NotifyScript  # noqa: TC001
from pykeepalived.config.model_base import Option as Option  # noqa: TC001

if TYPE_CHECKING:
    from pykeepalived.config.diagnostics import Location
    from pykeepalived.config.model_check import (
        LvsSyncDaemon,
        SslConfig,
        VirtualServer,
        VirtualServerGroup,
    )

#: keepalived's default VRRP multicast groups (immutable, shared safely as defaults)
MCAST_GROUP4 = IPv4Address("224.0.0.18")
MCAST_GROUP6 = IPv6Address("ff02::12")


@dataclass(frozen=True, slots=True)
class GlobalDefs:
    location: Location | None = None
    router_id: str | None = None
    notification_email: tuple[str, ...] = ()
    notification_email_from: str | None = None
    smtp_server: str | None = None
    smtp_port: int = 25
    smtp_helo_name: str | None = None
    smtp_connect_timeout: int = 30
    smtp_alert: bool | None = None
    enable_traps: bool = False
    #: the AgentX subagent (config/schema_snmp.py): which MIBs, and snmpd's socket
    enable_snmp_vrrp: bool = False
    enable_snmp_rfcv2: bool = False
    enable_snmp_rfcv3: bool = False
    enable_snmp_checker: bool = False
    snmp_socket: str | None = None
    script_user: str | None = None
    script_group: str | None = None
    enable_script_security: bool = False
    vrrp_version: int = 2
    vrrp_strict: bool = False
    vrrp_skip_check_adv_addr: bool = False
    vrrp_check_unicast_src: bool = False
    vrrp_mcast_group4: IPv4Address = MCAST_GROUP4
    vrrp_mcast_group6: IPv6Address = MCAST_GROUP6
    vrrp_garp_master_delay: int = 5
    vrrp_garp_master_repeat: int = 5
    vrrp_garp_master_refresh: int = 0
    vrrp_garp_master_refresh_repeat: int = 1
    vrrp_garp_lower_prio_delay: int | None = None
    vrrp_garp_lower_prio_repeat: int | None = None
    vrrp_garp_interval_us: int = 0
    vrrp_gna_interval_us: int = 0
    vrrp_min_garp: bool = False
    vrrp_lower_prio_no_advert: bool = False
    vrrp_higher_prio_send_advert: bool = False
    vrrp_down_timer_adverts: int = 3
    vrrp_startup_delay_us: int = 0
    vrrp_iptables: tuple[str, ...] | None = None
    nftables: str | None = None
    notify_fifo: str | None = None
    notify_fifo_script: NotifyScript | None = None
    vrrp_notify_fifo: str | None = None
    vrrp_notify_fifo_script: NotifyScript | None = None
    dynamic_interfaces: bool = False
    max_auto_priority: int | None = None
    #: how each process is scheduled (schema_process.py): nice value, SCHED_RR priority
    #: (0: none), RLIMIT_RTTIME in us (0: none set), CPU ids, mlockall
    min_auto_priority_delay: int = 1_000_000
    vrrp_process_priority: int = 0
    vrrp_no_swap: bool = False
    vrrp_realtime_priority: int = 0
    vrrp_cpu_affinity: tuple[int, ...] = ()
    vrrp_rlimit_rt: int = 10000
    checker_process_priority: int = 0
    checker_no_swap: bool = False
    checker_realtime_priority: int = 0
    checker_cpu_affinity: tuple[int, ...] = ()
    checker_rlimit_rt: int = 10000
    default_interface: str | None = None
    reload_check_config: str | None = None
    startup_script: NotifyScript | None = None
    shutdown_script: NotifyScript | None = None
    # the check module's globals (model_check.py has their blocks)
    lvs_flush: bool = False
    #: lvs_flush_on_stop: "full" (no argument) or "VS"; None: remove one by one
    lvs_flush_on_stop: Literal["full", "VS"] | None = None
    lvs_timeout_tcp: int | None = None
    lvs_timeout_tcpfin: int | None = None
    lvs_timeout_udp: int | None = None
    lvs_sync_daemon: LvsSyncDaemon | None = None
    lvs_notify_fifo: str | None = None
    lvs_notify_fifo_script: NotifyScript | None = None
    smtp_alert_checker: bool | None = None
    checker_log_all_failures: bool = False
    rs_init_notifies: bool = False
    no_checker_emails: bool = False
    options: tuple[Option, ...] = ()
    #: pykeepalived's extension keyword pykeepalived_metrics_address
    metrics_address: str | None = None


@dataclass(frozen=True, slots=True)
class VirtualAddress:
    """One `virtual_ipaddress` (or static_ipaddress) line."""

    address: IPAddress
    prefix: int
    location: Location
    broadcast: str | None = None
    dev: str | None = None
    scope: str | None = None
    label: str | None = None
    peer: IPAddress | None = None
    no_track: bool = False
    use_vmac: bool = False
    preferred_lft: int | None = None
    flags: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.address}/{self.prefix}"
        for word, value in (("brd", self.broadcast), ("dev", self.dev), ("scope", self.scope),
                            ("label", self.label)):
            if value is not None:
                text += f" {word} {value}"
        return text + ("".join(f" {flag}" for flag in self.flags))


@dataclass(frozen=True, slots=True)
class RouteLine:
    """A route or rule line in `ip route`/`ip rule` syntax, kept as words plus key facts."""

    words: tuple[str, ...]
    location: Location
    family: int
    devices: tuple[str, ...] = ()
    no_track: bool = False

    def __str__(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True, slots=True)
class UnicastPeerConfig:
    address: IPAddress
    location: Location
    min_ttl: int | None = None
    max_ttl: int | None = None


@dataclass(frozen=True, slots=True)
class Authentication:
    auth_type: str  # "PASS" or "AH"
    auth_pass: str
    location: Location


@dataclass(frozen=True, slots=True)
class TrackedRef:
    """A `track_*` entry: the tracked object's name and the weight overrides given."""

    name: str
    location: Location
    #: None: the tracker's own weight (an interface's is 0)
    weight: int | None = None
    #: None: the tracker's own direction (an interface's is not reversed)
    reverse: bool | None = None


@dataclass(frozen=True, slots=True)
class VrrpScript:
    name: str
    location: Location
    script: NotifyScript | None = None
    interval: int = 1
    timeout: int | None = None
    weight: int = 0
    weight_reverse: bool = False
    rise: int = 1
    fall: int = 1
    user: str | None = None
    group: str | None = None
    init_fail: bool = False


@dataclass(frozen=True, slots=True)
class TrackFile:
    name: str
    location: Location
    file: str | None = None
    weight: int = 1
    weight_reverse: bool = False
    init_file: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TrackProcess:
    name: str
    location: Location
    process: tuple[str, ...] = ()
    param_match: str | None = None
    weight: int = 0
    weight_reverse: bool = False
    quorum: int = 1
    quorum_max: int | None = None
    delay_us: int = 0
    fork_delay_us: int = 0
    terminate_delay_us: int = 0
    full_command: bool = False


@dataclass(frozen=True, slots=True)
class SyncGroupConfig:
    name: str
    location: Location
    members: tuple[TrackedRef, ...] = ()
    notify_master: NotifyScript | None = None
    notify_backup: NotifyScript | None = None
    notify_fault: NotifyScript | None = None
    notify_stop: NotifyScript | None = None
    notify: NotifyScript | None = None
    smtp_alert: bool | None = None
    sync_group_tracking_weight: bool = False
    track_scripts: tuple[TrackedRef, ...] = ()
    track_interfaces: tuple[TrackedRef, ...] = ()
    track_files: tuple[TrackedRef, ...] = ()
    track_processes: tuple[TrackedRef, ...] = ()
    options: tuple[Option, ...] = ()


@dataclass(frozen=True, slots=True)
class VrrpInstanceConfig:
    """One vrrp_instance, with keepalived's defaults and corrections applied."""

    name: str
    location: Location
    state: str = "BACKUP"
    interface: str | None = None
    virtual_router_id: int = 0
    priority: int = 100
    advert_int_us: int = 1_000_000
    version: int = 2
    family: int = 4
    nopreempt: bool = False
    preempt_delay_us: int = 0
    authentication: Authentication | None = None
    virtual_ipaddresses: tuple[VirtualAddress, ...] = ()
    virtual_ipaddresses_excluded: tuple[VirtualAddress, ...] = ()
    virtual_routes: tuple[RouteLine, ...] = ()
    virtual_rules: tuple[RouteLine, ...] = ()
    unicast_src_ip: IPAddress | None = None
    unicast_peers: tuple[UnicastPeerConfig, ...] = ()
    mcast_src_ip: IPAddress | None = None
    track_scripts: tuple[TrackedRef, ...] = ()
    track_interfaces: tuple[TrackedRef, ...] = ()
    track_files: tuple[TrackedRef, ...] = ()
    track_processes: tuple[TrackedRef, ...] = ()
    dont_track_primary: bool = False
    notify_master: NotifyScript | None = None
    notify_backup: NotifyScript | None = None
    notify_fault: NotifyScript | None = None
    notify_stop: NotifyScript | None = None
    notify_deleted: NotifyScript | None = None
    notify: NotifyScript | None = None
    notify_master_rx_lower_pri: NotifyScript | None = None
    smtp_alert: bool | None = None
    garp_master_delay: int | None = None
    garp_master_repeat: int | None = None
    garp_master_refresh: int | None = None
    garp_master_refresh_repeat: int | None = None
    garp_lower_prio_delay: int | None = None
    garp_lower_prio_repeat: int | None = None
    accept: bool | None = None
    strict_mode: bool | None = None
    skip_check_adv_addr: bool | None = None
    lower_prio_no_advert: bool | None = None
    higher_prio_send_advert: bool | None = None
    #: pykeepalived's own (keepalived warns and ignores it): off unless set; never in
    #: strict mode
    split_brain_announce: bool | None = None
    #: pykeepalived's own neighbour witnesses (docs/split-brain.md): addresses on the
    #: instance's segment asked by ARP / NS every interval; `loss` rounds missed = down
    witness: tuple[IPAddress, ...] = ()
    witness_interval_us: int = 200_000
    witness_loss: int = 3
    #: pykeepalived's own lease witness (etcd v3 JSON gateway endpoints, http only)
    lease_witness: tuple[str, ...] = ()
    lease_ttl: int = 3
    lease_key: str | None = None
    lease_unreachable: str = "vrrp"
    down_timer_adverts: int = 3
    use_vmac: str | None = None
    vmac_xmit_base: bool = False
    native_ipv6: bool = False
    unicast_ttl: int | None = None
    check_unicast_src: bool = False
    unicast_fault_no_peer: bool = False
    old_unicast_checksum: str | None = None
    promote_secondaries: bool = False
    debug: int = 0
    sync_group: str | None = None
    options: tuple[Option, ...] = ()

    @property
    def unicast(self) -> bool:
        return bool(self.unicast_peers)


@dataclass(frozen=True, slots=True)
class Config:
    """Everything one keepalived.conf (with its includes) configures."""

    global_defs: GlobalDefs = field(default_factory=GlobalDefs)
    static_ipaddresses: tuple[VirtualAddress, ...] = ()
    static_routes: tuple[RouteLine, ...] = ()
    static_rules: tuple[RouteLine, ...] = ()
    vrrp_scripts: tuple[VrrpScript, ...] = ()
    track_files: tuple[TrackFile, ...] = ()
    track_processes: tuple[TrackProcess, ...] = ()
    sync_groups: tuple[SyncGroupConfig, ...] = ()
    instances: tuple[VrrpInstanceConfig, ...] = ()
    virtual_server_groups: tuple[VirtualServerGroup, ...] = ()
    virtual_servers: tuple[VirtualServer, ...] = ()
    ssl: SslConfig | None = None
    options: tuple[Option, ...] = ()

    def instance(self, name: str) -> VrrpInstanceConfig | None:
        return next((i for i in self.instances if i.name == name), None)

    def script(self, name: str) -> VrrpScript | None:
        return next((s for s in self.vrrp_scripts if s.name == name), None)
