"""A frozen picture of the running check side, taken at one instant, for dumps and status.

The checker process answers SIGUSR1 with keepalived's `keepalived_check.data` and the JSON
dump signal with our `pykeepalived.check_status.json`. Both are written while probes keep
finishing, so, as on the VRRP side (snapshot.py), the renderers never read the live
`VirtualServerCore`s: check_capture.py copies what they show into these values once per
signal, and check_dump.py / check_status.py turn them into text.

The values are the ones keepalived's dump functions print (check_data.c dump_vs, dump_rs,
dump_vsg; check_api.c dump_checker; each checker's dump function; global_data.c), kept
as keepalived holds them: timers in microseconds, optional settings as None where
keepalived tests for "unset", weights unclamped. Our own additions for status and metrics
(the weight the kernel really holds, each checker's last result and failure counts) sit
beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pykeepalived.check.servers import real_weight
from pykeepalived.observe.snapshot import GlobalSnapshot

if TYPE_CHECKING:
    from pykeepalived.check.params import CheckerKind
    from pykeepalived.config.model_check import Forwarding
    from pykeepalived.specs.check import SslSpec

#: keepalived's PARAMETER_UNSET, which its checker process prints for VRRP-only settings
PARAMETER_UNSET = 4294967295


@dataclass(frozen=True, slots=True)
class ScriptLine:
    """A script as keepalived prints it: its quoted argv (program path resolved as
    keepalived resolves it) and the uid:gid it runs as."""

    command: str
    uid: int = 0
    gid: int = 0


# ------------------------------------------------------------------ groups


@dataclass(frozen=True, slots=True)
class GroupEntryView:
    """One virtual_server_group line and how many destinations each family/protocol of
    the virtual servers using it holds there (keepalived's *_alive counters)."""

    fwmark: int | None = None
    #: a fwmark entry's own family (4, 6) or None
    family: int | None = None
    first: str = ""
    last: str = ""
    port: int = 0
    #: (tcp, udp, sctp) for an address entry, (IPv4, IPv6) for a fwmark entry
    alive: tuple[int, ...] = (0, 0, 0)
    reloaded: bool = False


@dataclass(frozen=True, slots=True)
class GroupView:
    name: str
    have_ipv4: bool
    have_ipv6: bool
    #: address and range entries first, then fwmarks, as keepalived lists them
    entries: tuple[GroupEntryView, ...] = ()


# ------------------------------------------------------------------ servers


@dataclass(frozen=True, slots=True)
class SorryView:
    text: str
    forwarding: Forwarding
    inhibit: bool
    duplicates_rs: bool
    #: in the pool instead of the real servers (quorum lost)
    alive: bool
    set: bool


@dataclass(frozen=True, slots=True)
class RealServerView:
    address: str
    port: int
    #: keepalived's FMT_RS: `[192.0.2.11]:tcp:8080`
    text: str
    forwarding: Forwarding
    alpha: bool
    inhibit: bool
    connect_timeout_us: int
    delay_loop_us: int
    u_threshold: int = 0
    l_threshold: int = 0
    #: unset (None) unless the real server or its virtual server sets them
    retry: int | None = None
    delay_before_retry_us: int | None = None
    warmup_us: int | None = None
    notify_up: ScriptLine | None = None
    notify_down: ScriptLine | None = None
    virtualhost: str | None = None
    smtp_alert: bool = True
    iweight: int = 1
    effective: int = 1
    previous: int = 0
    alive: bool = False
    failed: int = 0
    set: bool = False
    reloaded: bool = False
    #: FILE_CHECKs: (track_file, weight, reverse)
    track_files: tuple[tuple[str, int, bool], ...] = ()
    #: the weight our bookkeeping says IPVS holds (0 while an inhibited server fails)
    ipvs_weight: int = 0
    #: the weight read back from the kernel; None: not read, or not there
    kernel_weight: int | None = None

    @property
    def weight(self) -> int:
        """keepalived's real_weight(effective): what IPVS is given, 0..INT_MAX."""
        return real_weight(self.effective)

    @property
    def endpoint(self) -> str:
        """`192.0.2.11:8080`, `[2001:db8::1]:80`: the address an operator types."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class VirtualServerView:
    #: keepalived's FMT_VS: `[192.0.2.100]:tcp:80`, `FWM 5` or `[GRP]:0`
    label: str
    kind: Literal["address", "fwmark", "group"]
    address: str = ""
    port: int = 0
    fwmark: int = 0
    #: the IPVS services it programs (`ServiceSpec.text()`)
    services: tuple[str, ...] = ()
    virtualhost: str | None = None
    #: 4, 6, or None (a group VS with both families says so, else "unknown")
    family: int | None = 4
    group_both_families: bool = False
    connect_timeout_us: int = 5_000_000
    delay_loop_us: int = 60_000_000
    scheduler: str = "wlc"
    flags: int = 0
    persistence_timeout: int = 0
    persistence_granularity: int | None = None
    protocol: int = 6
    alpha: bool = False
    omega: bool = False
    retry: int | None = None
    delay_before_retry_us: int | None = None
    warmup_us: int | None = None
    inhibit: bool = False
    quorum: int = 1
    hysteresis: int = 0
    quorum_up_script: ScriptLine | None = None
    quorum_down_script: ScriptLine | None = None
    ha_suspend: bool = False
    smtp_alert: bool = False
    forwarding: Forwarding | None = None
    sorry: SorryView | None = None
    #: its IPVS services exist
    alive: bool = False
    quorum_up: bool = False
    reloaded: bool = False
    #: keepalived's weigh_live_realservers
    alive_weight: int = 0
    real_servers: tuple[RealServerView, ...] = ()


# ------------------------------------------------------------------ checkers


@dataclass(frozen=True, slots=True)
class ConnectionView:
    dest: str
    bind: str | None = None
    bind_if: str | None = None
    fwmark: int = 0
    timeout_us: int = 5_000_000


@dataclass(frozen=True, slots=True)
class UrlView:
    path: str
    digest: str | None = None
    #: the status codes accepted, as inclusive (low, high) ranges in any order
    status_codes: tuple[tuple[int, int], ...] = ((200, 299),)
    #: the url's own virtualhost (not the inherited one)
    virtualhost: str | None = None
    regex: str | None = None
    regex_no_match: bool = False
    regex_min_offset: int = 0
    regex_max_offset: int | None = None
    regex_options: tuple[str, ...] = ()
    #: how many urls share this regex (keepalived compiles each pattern+options once)
    regex_refs: int = 1


@dataclass(frozen=True, slots=True)
class HttpView:
    ssl: bool
    protocol: str
    #: the checker's own virtualhost
    virtualhost: str | None
    enable_sni: bool
    fast_recovery: bool
    urls: tuple[UrlView, ...]
    failed_url: str | None = None


@dataclass(frozen=True, slots=True)
class MiscView:
    script: ScriptLine
    #: misc_timeout as configured (0: the virtual server's delay_loop applies)
    timeout_s: int
    dynamic: bool
    #: when the script last started (epoch), None: never
    last_ran: float | None
    last_status: int


@dataclass(frozen=True, slots=True)
class SmtpView:
    helo: str


@dataclass(frozen=True, slots=True)
class DnsView:
    query_type: str
    name: str


@dataclass(frozen=True, slots=True)
class UdpView:
    #: None: keepalived's built-in payload (no `payload` keyword)
    payload_len: int | None
    require_reply: bool
    min_reply_length: int
    max_reply_length: int
    reply_len: int
    #: None: no reply data configured
    reply_mask: bool | None


@dataclass(frozen=True, slots=True)
class FileView:
    track_file: str
    reloaded: bool = False


Details = HttpView | MiscView | SmtpView | DnsView | UdpView | FileView | None


@dataclass(frozen=True, slots=True)
class LastResult:
    """A checker's last probe: what an operator asks first about a server gone down."""

    ok: bool
    reason: str
    detail: str
    latency: float
    #: epoch seconds of the verdict
    at: float | None


@dataclass(frozen=True, slots=True)
class CheckerView:
    vs_text: str
    rs_text: str
    #: where it sits: index of its virtual server, of its real server in that one, and
    #: its position among that real server's checkers
    vs_index: int
    rs_index: int
    position: int
    kind: CheckerKind
    enabled: bool
    up: bool
    has_run: bool
    cur_weight: int
    alpha: bool
    delay_loop_us: int
    warmup_us: int
    retry: int
    delay_before_retry_us: int
    retry_it: int
    default_delay_before_retry_us: int
    log_all_failures: bool
    connection: ConnectionView | None = None
    details: Details = None
    last: LastResult | None = None
    #: failed probes by reason, since the checker started
    failures: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class TrackFileView:
    name: str
    path: str
    status: int
    weight: int
    reverse: bool
    #: (vs text, rs text, weight, reverse) of each FILE_CHECK using it
    tracking: tuple[tuple[str, str, int, bool], ...] = ()


# ------------------------------------------------------------------ globals, whole


@dataclass(frozen=True, slots=True)
class SyncdView:
    interface: str
    vrrp_name: str | None
    syncid: int
    maxlen: int | None = None
    group: str | None = None
    port: int | None = None
    ttl: int | None = None


@dataclass(frozen=True, slots=True)
class FifoView:
    path: str
    script: ScriptLine | None = None


@dataclass(frozen=True, slots=True)
class CheckGlobals:
    """dump_global_data as the checker process writes it: the VRRP side's lines
    (`base`, with the values this process holds) plus the checker's own."""

    base: GlobalSnapshot = field(default_factory=GlobalSnapshot)
    smtp_alert_checker: bool | None = None
    log_all_failures: bool = False
    #: (tcp, tcpfin, udp), each None when not set
    lvs_timeouts: tuple[int | None, int | None, int | None] = (None, None, None)
    syncd: SyncdView | None = None
    lvs_flush: bool = False
    lvs_flush_on_stop: str = "disabled"
    notify_fifo: FifoView | None = None
    vrrp_notify_fifo: FifoView | None = None
    lvs_notify_fifo: FifoView | None = None
    rs_init_notifies: bool = False
    no_checker_emails: bool = False


@dataclass(frozen=True, slots=True)
class CheckSnapshot:
    taken_at: float
    pid: int = 0
    globals: CheckGlobals = field(default_factory=CheckGlobals)
    ssl: SslSpec | None = None
    groups: tuple[GroupView, ...] = ()
    virtual_servers: tuple[VirtualServerView, ...] = ()
    #: in keepalived's checkers_queue order: every launched checker in config order,
    #: then the FILE_CHECKs
    checkers: tuple[CheckerView, ...] = ()
    track_files: tuple[TrackFileView, ...] = ()
    #: the kernel's IPVS table was read (kernel weights are known)
    ipvs_read: bool = False
