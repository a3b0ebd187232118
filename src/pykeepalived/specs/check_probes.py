"""One configured checker → `CheckerSpec`: its timing and its probe, every value resolved.

keepalived resolves a checker in validate_check_config and queue_checker: its own value,
else its real server's (which took the virtual server's when it had none), else the
checker type's default. retry defaults to 1 (MISC_CHECK 0, DNS_CHECK 3);
delay_before_retry to 1 s (HTTP_GET/SSL_GET 3 s, DNS_CHECK the checker's delay_loop);
warmup to the checker's delay_loop. A probe's destination is the real server *as
written* (keepalived copies it when the checker block starts, before validation gives a
port-less real server the virtual server's port) unless connect_ip/connect_port say
otherwise; its timeout the checker's connect_timeout, else the real server's, else the
virtual server's (5 s). SMTP_CHECK settled its timeout while parsing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived.check.params import (
    DEFAULT_UDP_PAYLOAD,
    CheckerKind,
    CheckerSpec,
    Connection,
    DnsProbe,
    FileProbe,
    HttpProbe,
    HttpUrl,
    MiscProbe,
    PingProbe,
    Probe,
    SmtpProbe,
    TcpProbe,
    UdpProbe,
)
from pykeepalived.config.model_check import (
    DnsParams,
    FileParams,
    HttpParams,
    MiscParams,
    SmtpParams,
    UdpParams,
)
from pykeepalived.specs.notify import script_command

if TYPE_CHECKING:
    from pykeepalived.config.model import Config
    from pykeepalived.config.model_check import Checker, RealServer, VirtualServer

__all__ = ["checker_spec"]

_US = 1_000_000
_DEFAULT_RETRY = {CheckerKind.MISC: 0, CheckerKind.DNS: 3}
_DEFAULT_DBR_US = {CheckerKind.HTTP: 3 * _US, CheckerKind.SSL: 3 * _US}


def _first(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


def checker_spec(config: Config, vs: VirtualServer, rs: RealServer, checker: Checker
                 ) -> CheckerSpec | None:
    """None for a checker pykeepalived does not run (BFD_CHECK)."""
    try:
        kind = CheckerKind(checker.kind)
    except ValueError:
        return None
    probe = _probe(config, vs, rs, checker, kind)
    if probe is None:
        return None
    global_laf = config.global_defs.checker_log_all_failures
    if kind is CheckerKind.FILE:
        return CheckerSpec(kind, probe, alpha=False,
                           log_all_failures=checker.log_all_failures or global_laf)
    delay_loop = _first(checker.delay_loop_us, rs.delay_loop_us, vs.delay_loop_us) or 0
    dbr = _first(checker.delay_before_retry_us, rs.delay_before_retry_us,
                 vs.delay_before_retry_us, _DEFAULT_DBR_US.get(kind, _US))
    if kind is CheckerKind.DNS and checker.delay_before_retry_us is None and _first(
            rs.delay_before_retry_us, vs.delay_before_retry_us) is None:
        dbr = delay_loop
    retry = _first(checker.retry, rs.retry, vs.retry, _DEFAULT_RETRY.get(kind, 1))
    warmup = _first(checker.warmup_us, rs.warmup_us, vs.warmup_us, delay_loop)
    alpha = vs.alpha if rs.alpha is None else rs.alpha
    alpha = alpha if checker.alpha is None else checker.alpha
    return CheckerSpec(kind, probe, delay_loop=delay_loop / _US, retry=retry or 0,
                       delay_before_retry=(dbr or 0) / _US, warmup=(warmup or 0) / _US,
                       alpha=alpha, log_all_failures=checker.log_all_failures or global_laf)


def _connection(vs: VirtualServer, rs: RealServer, checker: Checker) -> Connection:
    conn = checker.connection
    assert conn is not None  # every probe that connects has one
    timeout = _first(conn.timeout_us, rs.connect_timeout_us, vs.connect_timeout_us)
    return Connection(
        address=rs.address if conn.address is None else conn.address,
        port=rs.written_port if conn.port is None else conn.port,
        timeout=(timeout or 0) / _US,
        bind_address=conn.bind_address, bind_port=conn.bind_port or 0,
        bind_interface=conn.bind_if, fwmark=conn.fwmark or 0)


def _probe(config: Config, vs: VirtualServer, rs: RealServer, checker: Checker,
           kind: CheckerKind) -> Probe | None:
    params = checker.params
    if isinstance(params, MiscParams):
        command = replace(params.command, user=params.user, group=params.group)
        return MiscProbe(script_command(command, config.global_defs),
                         timeout=float(params.timeout_s) if params.timeout_s
                         else vs.delay_loop_us / _US, dynamic=params.dynamic)
    if isinstance(params, FileParams):
        return _file_probe(config, params)
    if checker.connection is None:
        return None
    connection = _connection(vs, rs, checker)
    if isinstance(params, HttpParams):
        return _http_probe(vs, rs, params, connection)
    if isinstance(params, SmtpParams):
        return SmtpProbe(connection, params.helo_name)
    if isinstance(params, DnsParams):
        return DnsProbe(connection, params.query_type, params.name)
    if isinstance(params, UdpParams):
        return _udp_probe(params, connection)
    return PingProbe(connection) if kind is CheckerKind.PING else TcpProbe(connection)


def _file_probe(config: Config, params: FileParams) -> FileProbe | None:
    tracked = next((t for t in config.track_files if t.name == params.track_file), None)
    if tracked is None or tracked.file is None:
        return None
    if params.weight is None:
        return FileProbe(params.track_file, tracked.file, tracked.weight,
                         tracked.weight_reverse)
    return FileProbe(params.track_file, tracked.file, params.weight, params.reverse)


def _http_probe(vs: VirtualServer, rs: RealServer, params: HttpParams,
                connection: Connection) -> HttpProbe:
    """Host header: url, checker, real server, virtual server; SNI (SSL_GET with
    enable_sni): url, checker, virtual server."""
    sni_default = (params.virtualhost or vs.virtualhost) if (
        params.ssl and params.enable_sni) else None
    urls = tuple(HttpUrl(
        path=url.path, digest=url.digest, status_codes=url.status_codes,
        virtualhost=url.virtualhost or params.virtualhost or rs.virtualhost or vs.virtualhost,
        sni=(url.virtualhost or sni_default) if params.ssl and params.enable_sni else None,
        regex=url.regex, regex_no_match=url.regex_no_match,
        regex_min_offset=url.regex_min_offset, regex_max_offset=url.regex_max_offset,
        regex_options=url.regex_options) for url in params.urls)
    return HttpProbe(connection, urls, ssl=params.ssl, protocol=params.protocol,
                     sni=sni_default, fast_recovery=params.fast_recovery)


def _udp_probe(params: UdpParams, connection: Connection) -> UdpProbe:
    """keepalived marks wildcard nibbles; the spec carries what to compare."""
    reply: bytes | None = None
    mask: bytes | None = None
    if params.require_reply:
        reply = params.reply or b""
        if params.reply_wildcards is not None:
            mask = bytes(~w & 0xFF for w in params.reply_wildcards)
    return UdpProbe(connection, payload=params.payload or DEFAULT_UDP_PAYLOAD,
                    require_reply=reply, reply_mask=mask,
                    min_reply_length=params.min_reply_length,
                    max_reply_length=params.max_reply_length)
