"""The Health checkers part of keepalived's checker dump: one block per checker.

check_api.c dump_checker (state, timing, connection) followed by the checker type's own
dump function (check_http.c dump_http_check and dump_url, check_misc.c, check_smtp.c,
check_dns.c, check_udp.c, check_ping.c, check_tcp.c, check_file.c), byte for byte, with
their quirks: the regex options line lists every option once any is set, status codes
print as the runs of keepalived's bitmap, MISC_CHECK's `Last ran` is in local time.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pykeepalived.check.params import CheckerKind
from pykeepalived.observe.check_snapshot import (
    DnsView,
    FileView,
    HttpView,
    MiscView,
    SmtpView,
    UdpView,
)

if TYPE_CHECKING:
    from pykeepalived.observe.check_snapshot import CheckerView, UrlView

#: keepalived's regex_options table, in its order (it prints all of them when any is set)
REGEX_OPTIONS = (
    "allow_empty_class", "alt_bsux", "auto_callout", "caseless", "dollar_endonly", "dotall",
    "dupnames", "extended", "firstline", "match_unset_backref", "multiline", "never_ucp",
    "never_utf", "no_auto_capture", "no_auto_possess", "no_dotstar_anchor",
    "no_start_optimize", "ucp", "ungreedy", "utf", "never_backslash_c", "alt_circumflex",
    "alt_verbnames", "use_offset_limit",
)


def checker_lines(c: CheckerView) -> list[str]:
    """dump_checker: the common part, the connection, then the type's own lines."""
    out = [f" {c.vs_text} -> {c.rs_text}", f"   Enabled = {yes_no(c.enabled)}",
           f"   Up = {yes_no(c.up)}", f"   Has run = {yes_no(c.has_run)}",
           f"   Current weight = {c.cur_weight}"]
    if c.kind is not CheckerKind.FILE:
        out += [f"   Alpha = {yes_no(c.alpha)}", f"   Delay loop = {c.delay_loop_us} us",
                f"   Warmup = {c.warmup_us} us", f"   Retries = {c.retry}"]
        if c.retry:
            out += [f"   Delay before retry = {c.delay_before_retry_us} us",
                    f"   Retries iterations = {c.retry_it}"]
        out.append(f"   Default delay before retry = {c.default_delay_before_retry_us} us")
    out.append(f"   Log all failures = {yes_no(c.log_all_failures)}")
    conn = c.connection
    if conn is not None:
        out += ["   Connection", f"     Dest = {conn.dest}"]
        if conn.bind is not None:
            out.append(f"     Bind to = {conn.bind}")
        if conn.bind_if:
            out.append(f"     Bind i/f = {conn.bind_if}")
        if conn.fwmark:
            out.append(f"     Mark = {conn.fwmark}")
        out.append(f"     Timeout = {conn.timeout_us / 1_000_000:f}")
    return out + _kind_lines(c)


def _kind_lines(c: CheckerView) -> list[str]:
    d = c.details
    if isinstance(d, HttpView):
        return _http_lines(d)
    if isinstance(d, MiscView):
        return ["   Keepalive method = MISC_CHECK", f"   script = {d.script.command}",
                f"   timeout = {d.timeout_s}", f"   dynamic = {'YES' if d.dynamic else 'NO'}",
                f"   uid:gid = {d.script.uid}:{d.script.gid}",
                f"   Last ran = {ctime_usec(d.last_ran or 0.0)}",
                f"   Last status = {d.last_status}"]
    if isinstance(d, SmtpView):
        return ["   Keepalive method = SMTP_CHECK", f"   helo = {d.helo}"]
    if isinstance(d, DnsView):
        return ["   Keepalive method = DNS_CHECK", f"   Type = {d.query_type}",
                f"   Name = {d.name}"]
    if isinstance(d, UdpView):
        return _udp_lines(d)
    if isinstance(d, FileView):
        return ["   Keepalive method = FILE_CHECK", f"     Tracked file = {d.track_file}",
                f"     Reloaded = {'Yes' if d.reloaded else 'No'}"]
    return [f"   Keepalive method = {c.kind.value}"]


def _http_lines(d: HttpView) -> list[str]:
    out = [f"   Keepalive method = {'SSL' if d.ssl else 'HTTP'}_GET,"
           f" http protocol {d.protocol}"]
    if d.virtualhost:
        out.append(f"   Virtualhost = {d.virtualhost}")
    out += [f"   Enable SNI {'' if d.enable_sni else 'un'}set",
            f"   Fast recovery {'' if d.fast_recovery else 'un'}set"]
    for url in d.urls:
        out += _url_lines(url)
    if d.failed_url is not None:
        out.append(f"   Failed URL = {d.failed_url}")
    return out


def _url_lines(url: UrlView) -> list[str]:
    out = [f"   Checked url = {url.path}"]
    if url.digest is not None:
        out.append(f"     digest = {url.digest}")
    out.append("     HTTP Status Code(s)")
    out += [f"       {low}" if low == high else f"       {low}-{high}"
            for low, high in status_runs(url.status_codes)]
    if url.virtualhost:
        out.append(f"     Virtual host = {url.virtualhost}")
    if url.regex is not None:
        out.append(f'     Regex = "{url.regex}"')
        if url.regex_no_match:
            out.append("     Regex no match")
        if url.regex_max_offset is not None:
            out.append(f"     Regex min offset = {url.regex_min_offset},"
                       f" max_offset = {url.regex_max_offset}")
        elif url.regex_min_offset:
            out.append(f"     Regex min offset = {url.regex_min_offset}")
        options = "".join(f" {name}" for name in REGEX_OPTIONS) if url.regex_options else ""
        out += [f"     Regex options:{options}", f"     Regex ref count = {url.regex_refs}"]
    return out


def status_runs(ranges: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """keepalived keeps the codes as a bitmap (100..599) and prints its runs in order."""
    codes = sorted({code for low, high in ranges for code in range(max(low, 100),
                                                                   min(high, 599) + 1)})
    runs: list[tuple[int, int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    return runs


def _udp_lines(d: UdpView) -> list[str]:
    out = ["   Keepalive method = UDP_CHECK",
           "   Payload specified = no" if d.payload_len is None
           else f"   Payload len = {d.payload_len}",
           f"   Require reply = {yes_no(d.require_reply)}"]
    if d.require_reply:
        out += [f"     Min reply length = {d.min_reply_length}",
                f"     Max reply length = {d.max_reply_length}",
                f"     Reply data len = {d.reply_len}"]
        if d.reply_mask is not None:
            out.append(f"     Reply data mask = {yes_no(d.reply_mask)}")
    return out


def ctime_usec(seconds: float) -> str:
    """keepalived's `%ld.%06ld (%.24s.%06ld)`: epoch, then ctime in local time."""
    whole = int(seconds)
    usec = round((seconds - whole) * 1_000_000)
    if usec == 1_000_000:
        whole, usec = whole + 1, 0
    return f"{whole}.{usec:06d} ({time.ctime(whole)}.{usec:06d})"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
