"""virtual_server blocks as the check module runs them: servers, checkers, probes.

Everything here is already resolved the way keepalived's validate_check_config and
queue_checker resolve it: a checker's timing comes from the checker, else its real
server, else its virtual server, else the checker type's own default; a real server's
weight, forwarding method, alpha and inhibit_on_failure from the virtual server when it
sets none; ports follow the forwarding rules. So the check core (check/) and the probes
(adapters/checkers/) never look anything up: they get frozen values.

The probe specs (`TcpProbe`, `HttpProbe`, ...) are what one check needs to reach a real
server and judge its answer; `CheckerSpec` adds when and how often to run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Literal

from pykeepalived.check.lvs import DestSpec, Forwarding, ServiceSpec, TunnelType, endpoint_text

if TYPE_CHECKING:
    from pykeepalived.commands import ScriptCommand

IPAddress = IPv4Address | IPv6Address


class CheckerKind(Enum):
    """keepalived's checker block names; the value is the keyword."""

    TCP = "TCP_CHECK"
    HTTP = "HTTP_GET"
    SSL = "SSL_GET"
    MISC = "MISC_CHECK"
    SMTP = "SMTP_CHECK"
    DNS = "DNS_CHECK"
    UDP = "UDP_CHECK"
    PING = "PING_CHECK"
    FILE = "FILE_CHECK"


# ---------------------------------------------------------------------------- probes


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and how a probe connects (keepalived's conn_opts)."""

    address: IPAddress
    port: int
    #: connect_timeout, also used for each write and read
    timeout: float = 5.0
    bind_address: IPAddress | None = None
    bind_port: int = 0
    bind_interface: str | None = None
    #: SO_MARK on the probe's socket
    fwmark: int = 0

    def text(self) -> str:
        return f"[{self.address}]:{self.port}"


@dataclass(frozen=True, slots=True)
class TcpProbe:
    """TCP_CHECK: the connection is established."""

    connection: Connection


@dataclass(frozen=True, slots=True)
class HttpUrl:
    """One `url {}` of HTTP_GET/SSL_GET; all must pass, checked one per run."""

    path: str
    #: MD5 of the body, 16 bytes; None: not checked
    digest: bytes | None = None
    #: inclusive (low, high) ranges; keepalived's default 200-299
    status_codes: tuple[tuple[int, int], ...] = ((200, 299),)
    #: the Host header for this url (already resolved: url, checker, real or virtual server)
    virtualhost: str | None = None
    #: the SNI name sent for this url (SSL_GET with enable_sni; resolved: url, checker,
    #: virtual server, never the real server); None: no SNI
    sni: str | None = None
    regex: str | None = None
    regex_no_match: bool = False
    regex_min_offset: int = 0
    regex_max_offset: int | None = None
    regex_options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HttpProbe:
    """HTTP_GET / SSL_GET: request one url, judge status, digest and regex."""

    connection: Connection
    urls: tuple[HttpUrl, ...]
    ssl: bool = False
    #: "1.0", "1.0C" (1.0 + Connection: close) or "1.1"
    protocol: Literal["1.0", "1.0C", "1.1"] = "1.0"
    #: SNI name when a url has none of its own (checker, else virtual server virtualhost;
    #: SSL_GET with enable_sni), None: no SNI. Each url's resolved name is `HttpUrl.sni`.
    sni: str | None = None
    fast_recovery: bool = False


@dataclass(frozen=True, slots=True)
class MiscProbe:
    """MISC_CHECK: run a program; exit 0 is up (2..255 too with misc_dynamic)."""

    command: ScriptCommand
    #: misc_timeout, else the virtual server's delay_loop
    timeout: float
    dynamic: bool = False


@dataclass(frozen=True, slots=True)
class SmtpProbe:
    """SMTP_CHECK: 220 greeting, HELO answered with 250, QUIT."""

    connection: Connection
    helo_name: str = "smtpchecker.keepalived.org"


DnsType = Literal["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"]


@dataclass(frozen=True, slots=True)
class DnsProbe:
    """DNS_CHECK: a UDP query answered with the same id, QR set and RCODE 0."""

    connection: Connection
    query_type: DnsType = "SOA"
    name: str = ""


#: keepalived's default UDP_CHECK payload: "keepalived check - " repeated to 32 bytes
DEFAULT_UDP_PAYLOAD = (b"keepalived check - " * 2)[:32]


@dataclass(frozen=True, slots=True)
class UdpProbe:
    """UDP_CHECK: send `payload`; with `require_reply`, the answer must match it."""

    connection: Connection
    payload: bytes = DEFAULT_UDP_PAYLOAD
    #: None: no reply needed; b"": a reply must come, any content (bare `require_reply`)
    require_reply: bytes | None = None
    #: per byte of `require_reply`: 0xFF compare, 0x0F/0xF0 half (X nibbles), 0 ignore
    reply_mask: bytes | None = None
    min_reply_length: int = 0
    max_reply_length: int = 255


@dataclass(frozen=True, slots=True)
class PingProbe:
    """PING_CHECK: one ICMP echo answered within the connect timeout."""

    connection: Connection


@dataclass(frozen=True, slots=True)
class FileProbe:
    """FILE_CHECK: a track_file's value times `weight` is the checker's weight."""

    track_file: str
    path: str
    weight: int = 1
    reverse: bool = False


Probe = TcpProbe | HttpProbe | MiscProbe | SmtpProbe | DnsProbe | UdpProbe | PingProbe | FileProbe


# ---------------------------------------------------------------------------- checkers


@dataclass(frozen=True, slots=True)
class CheckerSpec:
    """One checker of one real server, with its timing resolved."""

    kind: CheckerKind
    probe: Probe
    delay_loop: float = 60.0
    retry: int = 1
    delay_before_retry: float = 1.0
    #: the first run comes 1 s + random(0..warmup) after start
    warmup: float = 60.0
    alpha: bool = False
    log_all_failures: bool = False


# ---------------------------------------------------------------------------- servers


@dataclass(frozen=True, slots=True)
class RealServerSpec:
    address: IPAddress
    port: int
    weight: int = 1
    forwarding: Forwarding = Forwarding.NAT
    u_threshold: int = 0
    l_threshold: int = 0
    tunnel_type: TunnelType = TunnelType.IPIP
    tunnel_port: int = 0
    tunnel_flags: int = 0
    inhibit_on_failure: bool = False
    alpha: bool = False
    notify_up: ScriptCommand | None = None
    notify_down: ScriptCommand | None = None
    smtp_alert: bool = True
    checkers: tuple[CheckerSpec, ...] = ()
    #: the virtual server's protocol number, for keepalived's `[ip]:tcp:port` form
    protocol: int = 6

    @property
    def key(self) -> tuple[IPAddress, int]:
        return (self.address, self.port)

    def text(self) -> str:
        return endpoint_text(self.address, self.protocol, self.port)

    def dest(self, service: ServiceSpec, weight: int) -> DestSpec:
        """This server inside one service: NAT keeps the server's port, the other
        methods use the service's (keepalived's rule for group entries and fwmarks)."""
        port = self.port if self.forwarding is Forwarding.NAT else service.port
        return DestSpec(self.address, port, self.forwarding, weight, self.u_threshold,
                        self.l_threshold, self.tunnel_type, self.tunnel_port,
                        self.tunnel_flags)


@dataclass(frozen=True, slots=True)
class VirtualServerSpec:
    """One virtual_server: the IPVS services it programs and the pool behind them."""

    #: keepalived's FMT_VS: `[ip]:tcp:80`, `FWM 1` or `[group]:seq`
    label: str
    services: tuple[ServiceSpec, ...]
    real_servers: tuple[RealServerSpec, ...]
    quorum: int = 1
    hysteresis: int = 0
    quorum_up: ScriptCommand | None = None
    quorum_down: ScriptCommand | None = None
    sorry_server: RealServerSpec | None = None
    sorry_server_inhibit: bool = False
    alpha: bool = False
    omega: bool = False
    ha_suspend: bool = False
    smtp_alert: bool = False
    #: the virtual_server_group's name (`virtual_server group NAME`), else None
    group: str | None = None
    #: keepalived's reload match: group name + sequence, or family + fwmark, or
    #: family + protocol + address + port
    key: tuple[object, ...] = ()
