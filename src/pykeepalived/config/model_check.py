"""The check module's part of the model: virtual servers, real servers and checkers.

Values are as written, after keepalived's corrections (validate_check_config: default
protocol, scheduler and forwarding method, real-server ports, quorum and hysteresis
bounds, duplicate real servers removed, unusable checkers dropped), so a consumer never
re-applies a rule that makes keepalived complain. What keepalived inherits silently
(a checker's timing from its real server, the real server's from its virtual server,
the checker type's own defaults) stays unset here (None) and is resolved once, by
`specs/check_build.py`, because that chain is what the runtime needs and nothing else.

Timers are integers in microseconds (`_us`), as keepalived stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pykeepalived.config.diagnostics import Location
    from pykeepalived.config.model_base import IPAddress, NotifyScript

#: IPPROTO numbers keepalived stores as a virtual server's `service_type`
PROTO_TCP, PROTO_UDP, PROTO_SCTP = 6, 17, 132
_PROTO_NAMES = {PROTO_TCP: "tcp", PROTO_UDP: "udp", PROTO_SCTP: "sctp", 0: "none"}

Method = Literal["NAT", "DR", "TUN"]
TunnelType = Literal["ipip", "gue", "gre"]
Checksum = Literal["nocsum", "csum", "remcsum"]
HttpProtocol = Literal["1.0", "1.0C", "1.1"]


def endpoint(address: IPAddress | None, protocol: int, port: int) -> str:
    """keepalived's inet_sockaddrtotrio: `[192.0.2.1]:tcp:80` (FMT_RS, address FMT_VS)."""
    return f"[{address}]:{_PROTO_NAMES.get(protocol, '?')}:{port}"


# ------------------------------------------------------------------ groups


@dataclass(frozen=True, slots=True)
class GroupEntry:
    """One line of a virtual_server_group: an address, a range or CIDR block (first and
    last address, both included), or a firewall mark with an optional family."""

    location: Location
    first: IPAddress | None = None
    last: IPAddress | None = None
    port: int = 0
    fwmark: int | None = None
    #: a fwmark entry's `inet`/`inet6` (4 or 6); None: not given
    family: int | None = None

    @property
    def is_fwmark(self) -> bool:
        return self.fwmark is not None

    @property
    def size(self) -> int:
        if self.first is None or self.last is None:
            return 1
        return int(self.last) - int(self.first) + 1

    def addresses(self) -> Iterator[IPAddress]:
        """Every address of the entry in order (network and broadcast included)."""
        if self.first is None or self.last is None:
            return
        for value in range(int(self.first), int(self.last) + 1):
            yield ip_address(value) if self.first.version == 4 else ip_address(
                value.to_bytes(16, "big"))

    def __str__(self) -> str:
        return self.text()

    def text(self) -> str:
        """keepalived's format_vsge: `FWM 1`, `10.0.0.1,80`, `10.0.0.3-10.0.0.5,0`."""
        if self.fwmark is not None:
            return f"FWM {self.fwmark}"
        if self.first != self.last:
            return f"{self.first}-{self.last},{self.port}"
        return f"{self.first},{self.port}"


@dataclass(frozen=True, slots=True)
class VirtualServerGroup:
    name: str
    location: Location
    entries: tuple[GroupEntry, ...] = ()

    @property
    def have_ipv4(self) -> bool:
        return any(_family(e) == 4 for e in self.entries)

    @property
    def have_ipv6(self) -> bool:
        return any(_family(e) == 6 for e in self.entries)

    @property
    def fwmark_no_family(self) -> bool:
        return any(e.is_fwmark and e.family is None for e in self.entries)

    @property
    def addresses(self) -> tuple[GroupEntry, ...]:
        return tuple(e for e in self.entries if not e.is_fwmark)

    @property
    def fwmarks(self) -> tuple[GroupEntry, ...]:
        return tuple(e for e in self.entries if e.is_fwmark)


def _family(entry: GroupEntry) -> int | None:
    return entry.family if entry.first is None else entry.first.version


# ------------------------------------------------------------------ checkers


@dataclass(frozen=True, slots=True)
class Forwarding:
    """`lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`."""

    method: Method = "NAT"
    tunnel_type: TunnelType = "ipip"
    tunnel_port: int = 0
    checksum: Checksum = "nocsum"


@dataclass(frozen=True, slots=True)
class Connection:
    """A checker's conn_opts; None means "the real server's" (address, port) or "from
    the real server, else the virtual server" (timeout)."""

    address: IPAddress | None = None
    port: int | None = None
    bind_address: IPAddress | None = None
    bind_port: int | None = None
    bind_if: str | None = None
    timeout_us: int | None = None
    fwmark: int | None = None


@dataclass(frozen=True, slots=True)
class HttpUrl:
    location: Location
    path: str
    digest: bytes | None = None
    #: inclusive (low, high) ranges, in the order written; keepalived's default 200-299
    status_codes: tuple[tuple[int, int], ...] = ((200, 299),)
    virtualhost: str | None = None
    regex: str | None = None
    regex_no_match: bool = False
    regex_options: tuple[str, ...] = ()
    regex_min_offset: int = 0
    #: the last offset a match may start at; None: anywhere
    regex_max_offset: int | None = None

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True, slots=True)
class HttpParams:
    """HTTP_GET / SSL_GET."""

    urls: tuple[HttpUrl, ...]
    ssl: bool = False
    virtualhost: str | None = None
    protocol: HttpProtocol = "1.0"
    enable_sni: bool = False
    fast_recovery: bool = False


@dataclass(frozen=True, slots=True)
class MiscParams:
    command: NotifyScript
    #: misc_timeout in seconds; None: the virtual server's delay_loop
    timeout_s: int | None = None
    dynamic: bool = False
    user: str | None = None
    group: str | None = None
    #: where keepalived settles the user: the `user` line, else the block's end
    user_location: Location | None = None


#: keepalived's SMTP_DEFAULT_HELO
SMTP_DEFAULT_HELO = "smtpchecker.keepalived.org"


@dataclass(frozen=True, slots=True)
class SmtpParams:
    helo_name: str = SMTP_DEFAULT_HELO


DnsType = Literal["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"]


@dataclass(frozen=True, slots=True)
class DnsParams:
    query_type: DnsType = "SOA"
    name: str = ""


@dataclass(frozen=True, slots=True)
class UdpParams:
    #: None: keepalived's built-in payload
    payload: bytes | None = None
    require_reply: bool = False
    reply: bytes | None = None
    #: per byte of `reply`: the bits that are wildcards (X nibbles); None: none
    reply_wildcards: bytes | None = None
    min_reply_length: int = 0
    max_reply_length: int = 255


@dataclass(frozen=True, slots=True)
class FileParams:
    track_file: str
    #: None: the track_file's own weight
    weight: int | None = None
    reverse: bool = False


@dataclass(frozen=True, slots=True)
class BfdParams:
    name: str


Params = HttpParams | MiscParams | SmtpParams | DnsParams | UdpParams | FileParams | BfdParams


@dataclass(frozen=True, slots=True)
class Checker:
    """One health checker of a real server; `kind` is its block keyword."""

    kind: str
    location: Location
    params: Params | None = None
    #: None for MISC_CHECK, FILE_CHECK and BFD_CHECK (no connection keywords)
    connection: Connection | None = None
    retry: int | None = None
    delay_before_retry_us: int | None = None
    warmup_us: int | None = None
    delay_loop_us: int | None = None
    alpha: bool | None = None
    log_all_failures: bool = False

    def __str__(self) -> str:
        return self.kind

    @property
    def launched(self) -> bool:
        """FILE_CHECK and BFD_CHECK follow an event source; the others are run."""
        return self.kind not in ("FILE_CHECK", "BFD_CHECK")


# ------------------------------------------------------------------ servers


@dataclass(frozen=True, slots=True)
class SorryServer:
    address: IPAddress
    location: Location
    port: int = 0
    forwarding: Forwarding | None = None
    inhibit: bool = False


@dataclass(frozen=True, slots=True)
class RealServer:
    address: IPAddress
    location: Location
    #: after validation: the port the pool uses (NAT without port takes the VS port)
    port: int = 0
    #: the port as written; keepalived's checkers default to it, not to `port`
    written_port: int = 0
    weight: int | None = None
    forwarding: Forwarding | None = None
    u_threshold: int = 0
    l_threshold: int = 0
    inhibit_on_failure: bool | None = None
    alpha: bool | None = None
    notify_up: NotifyScript | None = None
    notify_down: NotifyScript | None = None
    retry: int | None = None
    delay_before_retry_us: int | None = None
    warmup_us: int | None = None
    connect_timeout_us: int | None = None
    delay_loop_us: int | None = None
    smtp_alert: bool | None = None
    virtualhost: str | None = None
    snmp_name: str | None = None
    checkers: tuple[Checker, ...] = ()

    def __str__(self) -> str:
        return f"[{self.address}]:{self.port}"


@dataclass(frozen=True, slots=True)
class VirtualServer:
    """`virtual_server IP [PORT]`, `fwmark N` or `group NAME`."""

    location: Location
    address: IPAddress | None = None
    port: int = 0
    fwmark: int | None = None
    group: str | None = None
    #: this virtual server's index among those using the same group
    group_seq: int = 0
    #: 4 or 6; None: not known (fwmark with tunnelled servers only)
    family: int | None = None
    #: IPPROTO number; 0 for fwmark services
    protocol: int = 0
    scheduler: str = "wlc"
    #: IP_VS_SVC_F_* bits from ops, flag-N, sh-*/mh-* (never PERSISTENT)
    flags: int = 0
    forwarding: Forwarding = Forwarding()
    persistence_timeout: int = 0
    #: IPv4 netmask as an int, or an IPv6 prefix length; None: not set
    persistence_granularity: int | None = None
    persistence_engine: str = ""
    ha_suspend: bool = False
    smtp_alert: bool = False
    virtualhost: str | None = None
    alpha: bool = False
    omega: bool = False
    quorum: int = 1
    hysteresis: int = 0
    quorum_up: NotifyScript | None = None
    quorum_down: NotifyScript | None = None
    weight: int = 1
    connect_timeout_us: int = 5_000_000
    delay_loop_us: int = 60_000_000
    delay_before_retry_us: int | None = None
    retry: int | None = None
    warmup_us: int | None = None
    inhibit_on_failure: bool = False
    sorry_server: SorryServer | None = None
    snmp_name: str | None = None
    real_servers: tuple[RealServer, ...] = ()

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """keepalived's FMT_VS: `[ip]:tcp:80`, `FWM 1` or `[group]:seq`."""
        return vs_label(self.group, self.group_seq, self.fwmark, self.address,
                        self.protocol, self.port)


def vs_label(group: str | None, seq: int, fwmark: int | None, address: IPAddress | None,
             protocol: int, port: int) -> str:
    if group is not None:
        return f"[{group}]:{seq}"
    if fwmark:
        return f"FWM {fwmark}"
    return endpoint(address, protocol, port)


# ------------------------------------------------------------------ globals


@dataclass(frozen=True, slots=True)
class SslConfig:
    """The top-level `SSL {}` block; all None: keepalived generates a context."""

    location: Location
    password: str | None = None
    ca: str | None = None
    certificate: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class LvsSyncDaemon:
    """lvs_sync_daemon (or a vrrp_instance's deprecated lvs_sync_daemon_interface)."""

    interface: str
    location: Location
    instance: str | None = None
    #: None: the instance's VRID, or 0 without an instance
    sync_id: int | None = None
    max_len: int | None = None
    port: int | None = None
    ttl: int | None = None
    group: IPAddress | None = None
