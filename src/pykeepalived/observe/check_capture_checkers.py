"""Taking the checkers' part of a check snapshot: keepalived's checker_t, per checker.

Split from check_capture.py, which pairs each running core with its configured
virtual_server; here each real server's running checkers are paired with their
configured blocks (by position among the ones we run: `checker_spec` says which) so that
a view shows the running state next to what was written (a url's own virtualhost, a
misc_timeout of 0, UDP_CHECK's payload as given), as keepalived's dump functions print.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived.check.params import (
    CheckerKind,
    DnsProbe,
    FileProbe,
    HttpProbe,
    MiscProbe,
    SmtpProbe,
)
from pykeepalived.config.model_check import HttpParams, MiscParams, UdpParams
from pykeepalived.observe.check_snapshot import (
    CheckerView,
    ConnectionView,
    Details,
    DnsView,
    FileView,
    HttpView,
    LastResult,
    MiscView,
    SmtpView,
    UdpView,
    UrlView,
)
from pykeepalived.specs.check_probes import checker_spec

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.check.checkers import Checker
    from pykeepalived.check.pool import VirtualServerCore
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.config import model
    from pykeepalived.config.model_check import Checker as CheckerConfig
    from pykeepalived.config.model_check import VirtualServer
    from pykeepalived.observe.check_snapshot import ScriptLine
    from pykeepalived.observe.snapshot import Clocks

    Describe = Callable[[ScriptCommand], ScriptLine]

_US = 1_000_000
#: keepalived's default_delay_before_retry per checker type (DNS: 0, "use delay_loop")
_DEFAULT_DBR_US = {CheckerKind.HTTP: 3 * _US, CheckerKind.SSL: 3 * _US, CheckerKind.DNS: 0}


def capture_checkers(vs_index: int, core: VirtualServerCore, vs: VirtualServer,
                      config: model.Config, clocks: Clocks, describe: Describe,
                      ) -> list[CheckerView]:
    """The checkers of one virtual server, in its real servers' and the config's order."""
    views = []
    for rs_index, rs_cfg in enumerate(vs.real_servers):
        configured = [c for c in rs_cfg.checkers
                      if checker_spec(config, vs, rs_cfg, c) is not None]
        running = [c for c in core.checkers if c.rs == rs_index]
        for position, checker in enumerate(running):
            cfg = configured[position] if position < len(configured) else None
            views.append(_checker(vs_index, position, checker, cfg, clocks, describe))
    return views


def _checker(vs_index: int, position: int, c: Checker, cfg: CheckerConfig | None,
             clocks: Clocks, describe: Describe) -> CheckerView:
    spec, result = c.spec, c.last_result
    last = None if result is None else LastResult(
        result.ok, result.reason, result.detail, result.latency,
        clocks.to_wall(c.last_result_at))
    return CheckerView(
        vs_text=c.vs_text, rs_text=c.rs_text, vs_index=vs_index, rs_index=c.rs,
        position=position, kind=c.kind, enabled=c.enabled, up=c.is_up, has_run=c.has_run,
        cur_weight=c.cur_weight, alpha=spec.alpha, delay_loop_us=_us(spec.delay_loop),
        warmup_us=_us(spec.warmup), retry=spec.retry,
        delay_before_retry_us=_us(spec.delay_before_retry), retry_it=c.retry_it,
        default_delay_before_retry_us=_DEFAULT_DBR_US.get(c.kind, _US),
        log_all_failures=cfg.log_all_failures if cfg is not None else spec.log_all_failures,
        connection=_connection(c), details=_details(c, cfg, clocks, describe), last=last,
        failures=tuple(c.failures.items()))


def _us(seconds: float) -> int:
    return round(seconds * _US)


def _connection(c: Checker) -> ConnectionView | None:
    conn = getattr(c.spec.probe, "connection", None)
    if conn is None:
        return None
    bind = None if conn.bind_address is None else f"[{conn.bind_address}]:{conn.bind_port}"
    return ConnectionView(conn.text(), bind, conn.bind_interface, conn.fwmark,
                          _us(conn.timeout))


def _details(c: Checker, cfg: CheckerConfig | None, clocks: Clocks,
             describe: Describe) -> Details:
    probe, params = c.spec.probe, cfg.params if cfg is not None else None
    if isinstance(probe, HttpProbe):
        return _http(c, probe, params if isinstance(params, HttpParams) else None)
    if isinstance(probe, MiscProbe):
        timeout = params.timeout_s if isinstance(params, MiscParams) else None
        return MiscView(describe(probe.command), timeout or 0, probe.dynamic,
                        clocks.to_wall(c.last_ran) if c.last_ran else None, c.last_exit)
    if isinstance(probe, SmtpProbe):
        return SmtpView(probe.helo_name)
    if isinstance(probe, DnsProbe):
        return DnsView(probe.query_type, probe.name)
    if isinstance(params, UdpParams):
        reply = params.reply if params.require_reply else None
        return UdpView(None if params.payload is None else len(params.payload),
                       params.require_reply, params.min_reply_length,
                       params.max_reply_length, len(reply or b""),
                       None if not reply else params.reply_wildcards is not None)
    if isinstance(probe, FileProbe):
        return FileView(probe.track_file)
    return None


def _http(c: Checker, probe: HttpProbe, params: HttpParams | None) -> HttpView:
    """The url lines show what was written; the probe's urls carry inherited hosts."""
    if params is not None:
        urls = tuple(UrlView(u.path, None if u.digest is None else u.digest.hex(),
                             u.status_codes, u.virtualhost, u.regex, u.regex_no_match,
                             u.regex_min_offset, u.regex_max_offset, u.regex_options)
                     for u in params.urls)
    else:
        urls = tuple(UrlView(u.path, None if u.digest is None else u.digest.hex(),
                             u.status_codes) for u in probe.urls)
    failed = None if c.failed_url is None else probe.urls[c.failed_url].path
    return HttpView(probe.ssl, probe.protocol,
                    params.virtualhost if params is not None else None,
                    params.enable_sni if params is not None else probe.sni is not None,
                    probe.fast_recovery, urls, failed)


def count_regex_refs(checkers: list[CheckerView]) -> list[CheckerView]:
    """keepalived compiles a pattern once per option set and counts the urls using it."""
    def key(url: UrlView) -> tuple[str | None, frozenset[str]]:
        return url.regex, frozenset(url.regex_options)

    counts = Counter(key(u) for c in checkers if isinstance(c.details, HttpView)
                     for u in c.details.urls if u.regex is not None)
    out = []
    for c in checkers:
        if isinstance(c.details, HttpView) and counts:
            urls = tuple(replace(u, regex_refs=counts[key(u)]) if u.regex is not None else u
                         for u in c.details.urls)
            c = replace(c, details=replace(c.details, urls=urls))
        out.append(c)
    return out
