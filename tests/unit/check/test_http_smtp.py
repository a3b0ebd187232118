"""HTTP_GET and SMTP_CHECK epilogs on a virtual clock: retries, fast_recovery, alerts.

Expected lines, delays and alert bodies are keepalived 2.2.7's: check_http.c epilog and
timeout_epilog, check_smtp.c smtp_final (a cycle, smtp_start_check_thread, restarts the
count; a retry, smtp_connect_thread, goes on counting).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from pykeepalived.check.actions import RunProbe, SmtpAlert
from pykeepalived.check.params import HttpProbe, HttpUrl
from pykeepalived.check.results import ProbeResult
from tests.unit.check.servers import http, logs, real, smtp, started, virtual

if TYPE_CHECKING:
    from pykeepalived.check.params import CheckerSpec
    from pykeepalived.check.pool import VirtualServerCore

VS = "[192.0.2.100]:tcp:80"
RS = "[192.0.2.10]:tcp:8080"
SMTP_RS = "[192.0.2.10]:tcp:25"
UP_SUBJECT = f"Realserver {RS} of virtual server {VS} - UP"
DOWN_SUBJECT = f"Realserver {RS} of virtual server {VS} - DOWN"
OK0, OK1 = ProbeResult.success(url=0), ProbeResult.success(url=1)
FAIL0 = ProbeResult.failure("Connection failed", url=0)
FAIL1 = ProbeResult.failure("HTTP status code error to", url=1)


def alerts(actions: list[Any]) -> list[tuple[str, str]]:
    return [(a.subject, a.body) for a in actions if isinstance(a, SmtpAlert)]


def fast(spec: CheckerSpec) -> CheckerSpec:
    probe = spec.probe
    assert isinstance(probe, HttpProbe)
    return replace(spec, probe=replace(probe, fast_recovery=True))


def step(core: VirtualServerCore, result: ProbeResult, url: int = 0) -> tuple[float, list[Any]]:
    """Run the checker when it is next due (it must ask for `url`), finish it there."""
    now = core.next_deadline()
    assert now is not None
    assert core.due(now) == [RunProbe(0, url)]
    return now, core.probe_done(0, result, now)


# ---------------------------------------------------------------------------- HTTP_GET


@pytest.mark.parametrize(("retry", "line"), [
    (0, f"HTTP_CHECK on service {RS} failed."),
    (2, f"HTTP_CHECK on service {RS} failed after 2 retries."),
])
def test_a_fresh_http_checker_fails_at_once_and_waits_the_longer_delay(
        retry: int, line: str) -> None:
    """A fresh checker's count starts at `retry`: one failure is final; while a url is
    known failed the next try waits max(delay_before_retry, delay_loop)."""
    core, _ = started(virtual(real(8080, http(8080, retry=retry, delay_loop=5.0,
                                              delay_before_retry=7.0))))
    now, out = step(core, FAIL0)
    assert logs(out) == [line, f"Removing service {RS} from VS {VS}",
                         f"Lost quorum 1-0=1 > 0 for VS {VS}"]
    assert alerts(out) == [(DOWN_SUBJECT,
                            "=> CHECK failed on service : HTTP request failed <=")]
    assert core.next_deadline() == now + 7.0
    # while down, failures change nothing and are not retried sooner
    now, out = step(core, FAIL0)
    assert out == []
    assert core.next_deadline() == now + 7.0
    assert core.checkers[0].retry_it == retry + 1


def test_http_waits_delay_loop_when_it_is_longer_than_delay_before_retry() -> None:
    core, _ = started(virtual(real(8080, http(8080, retry=0, delay_loop=5.0,
                                              delay_before_retry=2.0))))
    now, _ = step(core, FAIL0)
    assert core.next_deadline() == now + 5.0


@pytest.mark.parametrize("log_all", [True, False], ids=["log_all_failures", "quiet"])
def test_http_retries_the_failing_url_then_checks_a_whole_pass_again(log_all: bool) -> None:
    """Two urls, retry 1: url 1 fails twice (the second is final), is retried alone
    after the longer delay, and once it passes the checker starts over at url 0."""
    spec = http(8080, ("/a", "/b"), retry=1, delay_loop=5.0, delay_before_retry=2.0)
    core, _ = started(virtual(real(8080, spec)), log_all_failures=log_all)
    seen: list[tuple[float, int, list[str]]] = []
    for url, result in ((0, OK0), (1, OK1), (0, OK0), (1, FAIL1), (1, FAIL1), (1, FAIL1),
                        (1, OK1), (0, OK0), (1, OK1), (0, OK0)):
        now, out = step(core, result, url)
        seen.append((now, core.checkers[0].retry_it, logs(out)[:2]))
    attempt = [f"HTTP status code error to server {RS}."] if log_all else []
    failed = f"HTTP_CHECK on service {RS} failed after 1 retries."
    assert seen == [
        (1.0, 1, []),  # fresh: the first url leaves the count at `retry`
        (6.0, 0, [f"Remote Web server {RS} succeed on service."]),
        (11.0, 0, []),
        (16.0, 1, attempt),
        (18.0, 2, [*attempt, failed] if log_all else [failed,
                                                      f"Removing service {RS} from VS {VS}"]),
        (23.0, 2, []),  # down: silent, not counted
        (28.0, 0, [f"HTTP status code success to {RS} url(/b)"]),
        (33.0, 0, [f"HTTP status code success to {RS} url(/a)"]),
        (38.0, 0, [f"HTTP status code success to {RS} url(/b)",
                   f"Remote Web server {RS} succeed on service."]),
        (43.0, 0, []),
    ]
    assert core.servers[0].alive


@pytest.mark.parametrize(("url", "word"), [
    (HttpUrl("/d", digest=bytes(16)), "MD5 digest"),
    (HttpUrl("/r", regex="ok"), "Regex match"),
    (HttpUrl("/dr", digest=bytes(16), regex="ok"), "Regex match"),
])
def test_a_down_checkers_passing_url_names_what_was_checked(url: HttpUrl, word: str) -> None:
    spec = http(8080, retry=0)
    probe = spec.probe
    assert isinstance(probe, HttpProbe)
    core, _ = started(virtual(real(8080, replace(spec, probe=replace(probe, urls=(url,))))))
    step(core, FAIL0)
    passed = f"{word} success to {RS} url({url.path})"
    _, out = step(core, OK0)  # the failed url passes: the whole pass again, still down
    assert (logs(out), alerts(out)) == ([passed], [])
    _, out = step(core, OK0)
    assert logs(out)[:2] == [passed, f"Remote Web server {RS} succeed on service."]
    assert alerts(out) == [(UP_SUBJECT, "=> CHECK succeed on service <=")]


@pytest.mark.parametrize("recovery", [True, False], ids=["fast_recovery", "plain"])
def test_fast_recovery_checks_an_alpha_servers_next_url_at_once(recovery: bool) -> None:
    """alpha: down until every url passed; fast_recovery runs the next url without
    waiting, since nothing is known to fail; once up, the pace is delay_loop again."""
    spec = http(8080, ("/a", "/b"), alpha=True, delay_loop=5.0, delay_before_retry=2.0)
    core, _ = started(virtual(real(8080, fast(spec) if recovery else spec)))
    now, out = step(core, OK0)
    assert logs(out) == [f"HTTP status code success to {RS} url(/a)"]
    assert core.next_deadline() == (now if recovery else now + 5.0)
    now, out = step(core, OK1, 1)
    assert logs(out) == [f"HTTP status code success to {RS} url(/b)",
                         f"Remote Web server {RS} succeed on service.",
                         f"Adding service {RS} to VS {VS}",
                         f"Gained quorum 1+0=1 <= 1 for VS {VS}"]
    assert core.next_deadline() == now + 5.0


def test_fast_recovery_waits_while_the_failed_url_fails_then_hurries_the_rest() -> None:
    spec = fast(http(8080, ("/a", "/b"), retry=0, delay_loop=5.0, delay_before_retry=2.0))
    core, _ = started(virtual(real(8080, spec)))
    times = []
    for url, result in ((0, OK0), (1, OK1), (0, FAIL0), (0, FAIL0), (0, OK0), (0, OK0),
                        (1, OK1), (0, OK0)):
        now, _ = step(core, result, url)
        times.append(now)
    # fresh: the second url at once; up: delay_loop; down with /a failed: the longer delay;
    # /a passing again clears the failure: the pass restarts at once
    assert times == [1.0, 1.0, 6.0, 11.0, 16.0, 16.0, 16.0, 21.0]
    assert core.servers[0].alive


# ---------------------------------------------------------------------------- SMTP_CHECK

REFUSED = ProbeResult.failure("Could not connect to server [192.0.2.10]:25")
SMTP_FAILED = "SMTP_CHECK Could not connect to server [192.0.2.10]:25"


def smtp_core(**options: Any) -> VirtualServerCore:
    spec = smtp(25, retry=2, delay_loop=10.0, delay_before_retry=2.0)
    return started(virtual(real(25, spec)), **options)[0]


def test_smtp_logs_every_failure_while_up_with_log_all_failures() -> None:
    core = smtp_core(log_all_failures=True)
    out: list[Any] = []
    for _ in range(3):
        out += step(core, REFUSED)[1]
    assert logs(out) == [SMTP_FAILED] * 3 + [f"Removing service {SMTP_RS} from VS {VS}",
                                             f"Lost quorum 1-0=1 > 0 for VS {VS}"]
    assert alerts(out) == [(f"Realserver {SMTP_RS} of virtual server {VS} - DOWN",
                            f"=> CHECK failed on service : {REFUSED.reason} <=")]


def test_smtp_first_success_is_announced_and_a_success_ends_the_retries() -> None:
    core = smtp_core()
    now, out = step(core, ProbeResult.success())
    assert logs(out) == [f"Remote SMTP server {SMTP_RS} succeed on service."]
    assert alerts(out) == []  # it was not down
    assert core.next_deadline() == now + 10.0
    now, out = step(core, REFUSED)  # 1 of 3
    assert (out, core.next_deadline()) == ([], now + 2.0)
    now, out = step(core, ProbeResult.success())
    assert (out, core.next_deadline(), core.checkers[0].retry_it) == ([], now + 10.0, 0)
    for _ in range(2):  # a new cycle counts from 0 again: two failures are not final
        now, out = step(core, REFUSED)
        assert out == []
    assert core.servers[0].alive
    _, out = step(core, REFUSED)
    assert logs(out)[0] == SMTP_FAILED
    assert not core.servers[0].alive


def test_smtp_retries_silently_while_down_and_comes_back_with_an_alert() -> None:
    core = smtp_core()
    for _ in range(3):
        now, _ = step(core, REFUSED)
    assert core.next_deadline() == now + 10.0
    times = []
    for _ in range(3):  # down: each cycle still retries, without a word
        now, out = step(core, REFUSED)
        assert out == []
        times.append(now)
    assert times == [now - 4.0, now - 2.0, now]
    assert core.next_deadline() == now + 10.0
    _, out = step(core, ProbeResult.success())
    assert logs(out) == [f"Remote SMTP server {SMTP_RS} succeed on service.",
                         f"Adding service {SMTP_RS} to VS {VS}",
                         f"Gained quorum 1+0=1 <= 1 for VS {VS}"]
    assert alerts(out) == [(f"Realserver {SMTP_RS} of virtual server {VS} - UP",
                            "=> CHECK succeed on service <=")]
