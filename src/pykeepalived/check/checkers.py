"""One checker's life: when it runs, how it counts retries, when it says up or down.

Each kind of checker in keepalived 2.2.7 ends a check in its own "epilog" with its own
retry rule and its own log lines (check_tcp.c tcp_epilog, check_udp.c, check_ping.c,
check_http.c epilog/timeout_epilog, check_smtp.c smtp_final, check_dns.c dns_final,
check_misc.c misc_check_child_thread); they differ in ways operators see (HTTP needs
retry+1 failures of one url, SMTP retries even on its first check, UDP and PING retry
only while up, MISC counts from when the script started), so each is ported as it is.

A fresh checker starts with its retry counter at `retry`, so its first failure is final
(keepalived's register_checkers_thread), and it is up unless `alpha`. The real-server
consequences (pool.py) are reached through the `Pool` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from pykeepalived.check import messages
from pykeepalived.check.actions import RunProbe
from pykeepalived.check.params import CheckerKind, HttpProbe, MiscProbe

if TYPE_CHECKING:
    from pykeepalived.check.params import CheckerSpec
    from pykeepalived.check.results import ProbeResult

#: keepalived's BOOTSTRAP_DELAY: no checker runs in the first second
BOOTSTRAP_DELAY = 1.0
#: keepalived never schedules a MISC_CHECK in the past: at least 1 µs ahead
_MIN_DELAY = 1e-6


class Pool(Protocol):
    """What a checker's verdict changes: its real server's state, weight and alerts."""

    log_all_failures: bool

    def log(self, message: str) -> None: ...
    def checker_state(self, checker: Checker, alive: bool, body: str) -> None: ...
    def misc_weight(self, checker: Checker, status: int) -> None: ...
    def drop_weight(self, checker: Checker) -> None: ...
    def misc_verdict(self, checker: Checker, alive: bool, body: str) -> None: ...


@dataclass
class Checker:
    """The state keepalived keeps in checker_t (+ the per-kind bits we need)."""

    index: int
    spec: CheckerSpec
    #: the real server's keepalived text, `[ip]:tcp:port`, and the virtual server's
    rs_text: str
    vs_text: str
    rs: int
    is_up: bool = True
    has_run: bool = False
    retry_it: int = 0
    enabled: bool = True
    due: float | None = None
    running: bool = False
    #: the weight this checker adds to its real server (MISC dynamic, FILE)
    cur_weight: int = 0
    #: HTTP: the url to check next (None: past the last) and the one that failed
    url_it: int | None = 0
    failed_url: int | None = None
    #: MISC: when the script last started, and its last exit status
    last_ran: float = 0.0
    last_exit: int = 0
    last_result: ProbeResult | None = None
    #: when `last_result` came (the core's clock), and failed probes by reason: what an
    #: operator reads in the status document and the metrics
    last_result_at: float | None = None
    failures: dict[str, int] = field(default_factory=dict)
    #: SMTP: the next run retries (smtp_connect_thread) instead of starting a new cycle
    retrying: bool = False

    @property
    def kind(self) -> CheckerKind:
        return self.spec.kind

    def start(self, now: float, random_fraction: float, *, reset_retry: bool = True) -> None:
        """register_checkers_thread: first run 1 s + random(0..warmup) from now. A fresh
        checker's retry counter starts at `retry`: its first failure is final."""
        if reset_retry:
            self.retry_it = self.spec.retry
        self.running = False
        self.due = now + BOOTSTRAP_DELAY + self.spec.warmup * random_fraction

    def run(self, now: float) -> RunProbe | None:
        """The checker is due: a probe, or (suspended) just the next delay_loop."""
        self.due = None
        retrying, self.retrying = self.retrying, False
        if not self.enabled:
            self.due = now + self.spec.delay_loop
            return None
        if self.kind is CheckerKind.SMTP and not retrying:
            self.retry_it = 0  # smtp_start_check_thread: every cycle starts afresh
        if self.kind is CheckerKind.MISC:
            self.last_ran = now
        self.running = True
        url = self.url_it if self.kind in _HTTP and self.url_it is not None else 0
        return RunProbe(self.index, url)

    def finish(self, result: ProbeResult, now: float, pool: Pool) -> None:
        """A probe ended: keepalived's epilog for this kind, then the next run."""
        self.running = False
        self.last_result, self.last_result_at = result, now
        if not result.ok:
            key = failure_reason(result)
            self.failures[key] = self.failures.get(key, 0) + 1
        if result.reschedule:
            pool.log(result.reason)
            self.due = now + self.spec.delay_loop
            return
        _EPILOGS[self.kind](self, result, now, pool)

    def laf(self, pool: Pool) -> bool:
        """log_all_failures, globally or for this checker."""
        return pool.log_all_failures or self.spec.log_all_failures


_HTTP = frozenset({CheckerKind.HTTP, CheckerKind.SSL})


def failure_reason(result: ProbeResult) -> str:
    """A failed probe's reason in a few words: keepalived's phrase, else what was seen
    (MISC_CHECK has no phrase: "exit 1", "timed out")."""
    return result.reason or result.detail or "failed"


# ---------------------------------------------------------------------------- TCP, UDP, PING


def _tcp(c: Checker, result: ProbeResult, now: float, pool: Pool) -> None:
    if not result.ok and c.is_up and c.laf(pool):
        pool.log(messages.tcp_attempt_failed(c.rs_text, result.reason))
    delay = c.spec.delay_loop
    if result.ok or c.retry_it >= c.spec.retry:
        c.retry_it = 0
        if result.ok and (not c.is_up or not c.has_run):
            pool.log(messages.connection_success("TCP", c.rs_text))
            pool.checker_state(c, True, "=> TCP CHECK succeed on service <=")
        elif not result.ok and (c.is_up or not c.has_run):
            pool.log(messages.layer4_failed("TCP_CHECK", c, c.spec.retry))
            pool.checker_state(c, False, "=> TCP CHECK failed on service <=")
    else:
        delay = c.spec.delay_before_retry
        c.retry_it += 1
    c.has_run = True
    c.due = now + delay


def _udp_or_ping(c: Checker, result: ProbeResult, now: float, pool: Pool) -> None:
    """udp_epilog and icmp_epilog: the same rule, retries only while up."""
    if not result.ok and c.is_up and c.laf(pool):
        pool.log(messages.datagram_attempt_failed(c, result.reason))
    delay = c.spec.delay_loop
    word = "UDP" if c.kind is CheckerKind.UDP else "ICMP"
    if result.ok or ((c.is_up or not c.has_run) and c.retry_it >= c.spec.retry):
        c.retry_it = 0
        if result.ok and (not c.is_up or not c.has_run):
            pool.log(messages.connection_success(word, c.rs_text))
            pool.checker_state(c, True, f"=> {word} CHECK succeed on service <=")
        elif not result.ok and (c.is_up or not c.has_run):
            pool.log(messages.datagram_failed(c, c.spec.retry))
            pool.checker_state(c, False, f"=> {word} CHECK failed on service <=")
    elif c.is_up:
        delay = c.spec.delay_before_retry
        c.retry_it += 1
    c.has_run = True
    c.due = now + delay


# ---------------------------------------------------------------------------- HTTP / SSL


def _http(c: Checker, result: ProbeResult, now: float, pool: Pool) -> None:
    probe = c.spec.probe
    assert isinstance(probe, HttpProbe)
    if result.ok:
        if not c.is_up and c.url_it is not None:
            url = probe.urls[c.url_it]
            pool.log(messages.http_url_success(url, c.rs_text))
        _http_epilog(c, probe, "new", now, pool)
        return
    if c.is_up or not c.has_run:  # timeout_epilog
        if c.laf(pool):
            pool.log(f"{result.reason} server {c.rs_text}.")
        c.has_run = True
        _http_epilog(c, probe, "retry", now, pool)
    else:
        _http_epilog(c, probe, "failed", now, pool)


def _http_epilog(c: Checker, probe: HttpProbe, method: str, now: float, pool: Pool) -> None:
    if method == "new":
        assert c.url_it is not None
        c.url_it = c.url_it + 1 if c.url_it + 1 < len(probe.urls) else None
        c.retry_it = 0
    elif method == "retry":
        c.retry_it += 1
    if method == "new" and c.url_it is None and c.failed_url is None:
        if not c.is_up or not c.has_run:
            pool.log(f"Remote Web server {c.rs_text} succeed on service.")
            pool.checker_state(c, True, "=> CHECK succeed on service <=")
            c.has_run = True
        c.url_it, c.retry_it = 0, 0
    elif method == "retry" and c.retry_it > c.spec.retry:
        if c.is_up or not c.has_run:
            pool.log(messages.http_failed(c))
            pool.checker_state(c, False, "=> CHECK failed on service : HTTP request failed <=")
        c.failed_url = c.url_it
    elif method == "new" and c.failed_url is not None:
        c.failed_url, c.url_it, c.retry_it = None, 0, 0
    if method == "new":
        delay = c.spec.delay_loop
        if not c.has_run:
            c.retry_it = c.spec.retry
    elif c.failed_url is not None:
        delay = max(c.spec.delay_before_retry, c.spec.delay_loop)
    else:
        delay = c.spec.delay_before_retry
    if probe.fast_recovery and (not c.has_run or (not c.is_up and c.failed_url is None)):
        delay = 0.0
    c.due = now + delay


# ---------------------------------------------------------------------------- SMTP, DNS


def _smtp(c: Checker, result: ProbeResult, now: float, pool: Pool) -> None:
    if not result.ok:
        if (c.is_up or not c.has_run) and (c.laf(pool) or c.retry_it >= c.spec.retry):
            pool.log(f"SMTP_CHECK {result.reason}")
        c.retry_it += 1
        if c.retry_it <= c.spec.retry:
            c.due = now + c.spec.delay_before_retry
            c.retrying = True  # smtp_connect_thread: the count goes on
            return
        if c.is_up or not c.has_run:
            pool.checker_state(c, False, f"=> CHECK failed on service : {result.reason} <=")
        c.due = now + c.spec.delay_loop
        return
    c.retry_it = 0
    if not c.is_up or not c.has_run:
        pool.log(f"Remote SMTP server {c.rs_text} succeed on service.")
        pool.checker_state(c, True, "=> CHECK succeed on service <=")
    c.has_run = True
    c.due = now + c.spec.delay_loop


def _dns(c: Checker, result: ProbeResult, now: float, pool: Pool) -> None:
    if not result.ok:
        if c.is_up or not c.has_run:
            exhausted = c.retry_it >= c.spec.retry
            if c.laf(pool) or exhausted:
                tail = f" after {c.spec.retry} retries" if c.has_run and exhausted else ""
                pool.log(f"DNS_CHECK ({c.rs_text}) {result.reason}{tail}")
            if not exhausted:
                c.retry_it += 1
                c.has_run = True
                c.due = now + c.spec.delay_before_retry
                return
            pool.checker_state(c, False, "=> DNS_CHECK: failed on service <=")
    elif not c.is_up or not c.has_run:
        pool.checker_state(c, True, "=> DNS_CHECK: succeed on service <=")
    c.retry_it = 0
    c.due = now + c.spec.delay_loop


# ---------------------------------------------------------------------------- MISC


def _misc(c: Checker, result: ProbeResult, now: float, pool: Pool) -> None:
    probe = c.spec.probe
    assert isinstance(probe, MiscProbe)
    verdict = _misc_verdict(c, probe, result, pool)
    if verdict is not None:
        kind, success, message_only = verdict
        pool.log(messages.misc_line(c, probe, result, kind, success))
        if not message_only:
            pool.misc_verdict(c, success, f"=> MISC CHECK {kind} on service <=")
    delay = c.spec.delay_before_retry if c.retry_it else c.spec.delay_loop
    c.due = max(c.last_ran + delay, now + _MIN_DELAY)
    c.has_run = True


def _misc_verdict(c: Checker, probe: MiscProbe, result: ProbeResult,
                  pool: Pool) -> tuple[str, bool, bool] | None:
    """(keepalived's word, success, message only), or None: nothing to say."""
    status = result.exit_status
    if status is not None and (status == 0 or (probe.dynamic and 2 <= status <= 255)):
        if status != c.last_exit:
            pool.misc_weight(c, status)
            c.last_exit = status
        c.retry_it = 0
        return ("succeeded", True, False) if not c.is_up or not c.has_run else None
    if not (c.is_up or not c.has_run):
        return None
    kind = "timed out" if result.timed_out else "failed"
    if c.retry_it < c.spec.retry:
        c.retry_it += 1
        return (kind, False, True) if c.laf(pool) else None
    c.retry_it = 0
    if status is not None:
        pool.drop_weight(c)
        c.last_exit = status
    return kind, False, False


def _file(c: Checker, result: ProbeResult, now: float, pool: Pool) -> None:
    """FILE_CHECK is driven by file values (pool.file_value), never by a probe."""
    c.due = None


_EPILOGS = {
    CheckerKind.TCP: _tcp,
    CheckerKind.UDP: _udp_or_ping,
    CheckerKind.PING: _udp_or_ping,
    CheckerKind.HTTP: _http,
    CheckerKind.SSL: _http,
    CheckerKind.SMTP: _smtp,
    CheckerKind.DNS: _dns,
    CheckerKind.MISC: _misc,
    CheckerKind.FILE: _file,
}
