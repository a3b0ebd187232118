"""The check core on a virtual clock: what keepalived 2.2.7 does, line by line.

Expected lines and IPVS orders come from keepalived's ipwrapper.c and from runs of
keepalived 2.2.7 recorded in the check reference (§2, §5.3, §10).
"""

from __future__ import annotations

from typing import Any

import pytest

from pykeepalived.check import reload
from pykeepalived.check.actions import (
    AddService,
    DelService,
    RunProbe,
    RunScript,
    SmtpAlert,
)
from pykeepalived.check.results import ProbeResult
from pykeepalived.commands import ScriptCommand
from tests.unit.check.servers import (
    dns,
    fifo,
    http,
    ipvs,
    logs,
    misc,
    ping,
    real,
    smtp,
    started,
    tcp,
    udp,
    virtual,
)

VS = "[192.0.2.100]:tcp:80"
RS1 = "[192.0.2.10]:tcp:8080"
RS2 = "[192.0.2.10]:tcp:8081"
OK = ProbeResult.success()
TIMEOUT = ProbeResult.failure("timeout")


def test_start_adds_service_and_servers_and_gains_quorum() -> None:
    _core, out = started(virtual(real(8080, tcp(8080)), real(8081, tcp(8081), weight=2)))
    assert isinstance(out[0], AddService)
    assert ipvs(out) == [("AddDest", 8080, 1), ("AddDest", 8081, 2)]
    assert logs(out) == [
        f"Gained quorum 1+0=1 <= 3 for VS {VS}",
        f"Activating healthchecker for service {RS1} for VS {VS}",
        f"Activating healthchecker for service {RS2} for VS {VS}",
    ]
    assert fifo(out) == [f"VS {VS} UP\n"]


def test_first_run_after_bootstrap_delay_and_warmup_spread() -> None:
    core = started(virtual(real(8080, tcp(8080, warmup=10.0))))[0]
    assert core.next_deadline() == 1.0  # random() gave 0.0: keepalived's 1 s bootstrap
    other, _ = started(virtual(real(8080, tcp(8080, warmup=10.0))))
    other.checkers[0].start(0.0, 0.5)
    assert other.next_deadline() == 6.0


def test_fresh_checker_first_failure_is_final() -> None:
    core, _ = started(virtual(real(8080, tcp(8080))))
    assert core.due(1.0) == [RunProbe(0)]
    assert core.next_deadline() is None  # running: nothing else due
    out = core.probe_done(0, TIMEOUT, 1.2)
    assert logs(out) == [
        f"TCP_CHECK on service {RS1} failed.",
        f"Removing service {RS1} from VS {VS}",
        f"Lost quorum 1-0=1 > 0 for VS {VS}",
    ]
    assert ipvs(out) == [("DelDest", 8080, 1)]
    assert fifo(out) == [f"RS {RS1} {VS} DOWN\n", f"VS {VS} DOWN\n"]
    assert core.next_deadline() == 1.2 + 3.0


def test_retry_then_final_failure_after_a_success() -> None:
    core, _ = started(virtual(real(8080, tcp(8080, retry=2, delay_before_retry=0.5))))
    core.due(1.0)
    # keepalived announces a never-run checker's first success
    assert logs(core.probe_done(0, OK, 1.0)) == [f"TCP connection to {RS1} success."]
    core.due(4.0)
    assert core.probe_done(0, TIMEOUT, 4.0) == []  # retry 1 of 2, silently
    assert core.next_deadline() == 4.5
    core.due(4.5)
    assert core.probe_done(0, TIMEOUT, 4.5) == []
    core.due(5.0)
    out = core.probe_done(0, TIMEOUT, 5.0)
    assert logs(out)[0] == f"TCP_CHECK on service {RS1} failed after 2 retries."
    assert ipvs(out) == [("DelDest", 8080, 1)]


def test_log_all_failures_names_each_attempt_while_up() -> None:
    core, _ = started(virtual(real(8080, tcp(8080, retry=1, log_all_failures=True))))
    core.due(1.0)
    core.probe_done(0, OK, 1.0)
    core.due(4.0)
    assert logs(core.probe_done(0, TIMEOUT, 4.0)) == [f"TCP connection to {RS1} timeout."]


def test_recovery_adds_the_server_back_and_regains_quorum() -> None:
    core, _ = started(virtual(real(8080, tcp(8080))))
    core.due(1.0)
    core.probe_done(0, TIMEOUT, 1.0)
    core.due(4.0)
    out = core.probe_done(0, OK, 4.0)
    assert logs(out) == [
        f"TCP connection to {RS1} success.",
        f"Adding service {RS1} to VS {VS}",
        f"Gained quorum 1+0=1 <= 1 for VS {VS}",
    ]
    assert ipvs(out) == [("AddDest", 8080, 1)]


def test_inhibit_on_failure_keeps_the_server_at_weight_zero() -> None:
    core, _ = started(virtual(real(8080, tcp(8080), inhibit_on_failure=True)))
    core.due(1.0)
    out = core.probe_done(0, TIMEOUT, 1.0)
    assert f"Disabling service {RS1} of VS {VS}" in logs(out)
    assert ipvs(out) == [("EditDest", 8080, 0)]
    core.due(4.0)
    out = core.probe_done(0, OK, 4.0)
    assert f"Enabling service {RS1} of VS {VS}" in logs(out)
    assert ipvs(out) == [("EditDest", 8080, 1)]


def test_sorry_server_replaces_the_pool_when_quorum_is_lost() -> None:
    """keepalived's recorded order: DEL each alive server, then ADD the sorry server."""
    spec = virtual(real(8080, tcp(8080)), real(8081, tcp(8081), weight=2), quorum=2,
                   sorry_server=real(9999))
    core, _ = started(spec)
    core.due(1.0)
    out = core.probe_done(1, TIMEOUT, 1.0)
    assert logs(out) == [
        f"TCP_CHECK on service {RS2} failed.",
        f"Removing service {RS2} from VS {VS}",
        f"Lost quorum 2-0=2 > 1 for VS {VS}",
        f"Adding sorry server [192.0.2.10]:tcp:9999 to VS {VS}",
        f"Removing alive servers from the pool for VS {VS}",
    ]
    assert ipvs(out) == [("DelDest", 8081, 2), ("DelDest", 8080, 1), ("AddDest", 9999, 1)]
    out = core.probe_done(0, OK, 1.1)
    assert ipvs(out) == []
    core.due(4.0)
    out = core.probe_done(1, OK, 4.0)
    assert logs(out)[-3:] == [
        f"Gained quorum 2+0=2 <= 3 for VS {VS}",
        f"Removing sorry server [192.0.2.10]:tcp:9999 from VS {VS}",
        f"Adding alive servers to the pool for VS {VS}",
    ]
    # while the sorry server held the pool, the recovering server was not added itself
    assert ipvs(out) == [("DelDest", 9999, 1), ("AddDest", 8080, 1), ("AddDest", 8081, 2)]


def test_hysteresis_needs_quorum_plus_h_to_gain_and_less_than_quorum_minus_h_to_lose() -> None:
    servers = [real(8080 + i, tcp(8080 + i)) for i in range(5)]
    core, out = started(virtual(*servers, quorum=3, hysteresis=1))
    assert f"Gained quorum 3+1=4 <= 5 for VS {VS}" in logs(out)
    core.due(1.0)
    for index in range(3):
        core.probe_done(index, TIMEOUT, 1.0)
    assert core.quorum_up  # 2 alive: not below 3 - 1
    out = core.probe_done(3, TIMEOUT, 1.0)
    assert f"Lost quorum 3-1=2 > 1 for VS {VS}" in logs(out)
    core.due(4.0)
    for index in range(2):
        core.probe_done(index, OK, 4.0)
    assert not core.quorum_up  # 3 alive: not yet 3 + 1
    out = core.probe_done(2, OK, 4.0)
    assert f"Gained quorum 3+1=4 <= 4 for VS {VS}" in logs(out)


def test_alpha_starts_down_and_joins_after_its_first_success() -> None:
    core, out = started(virtual(real(8080, tcp(8080, alpha=True))))
    assert ipvs(out) == []
    assert not any("quorum" in line for line in logs(out))  # keepalived logs nothing here
    core.due(1.0)
    out = core.probe_done(0, OK, 1.0)
    assert logs(out) == [f"TCP connection to {RS1} success.", f"Adding service {RS1} to VS {VS}",
                         f"Gained quorum 1+0=1 <= 1 for VS {VS}"]
    assert ipvs(out) == [("AddDest", 8080, 1)]


def test_alpha_with_inhibit_adds_at_weight_zero() -> None:
    _core, out = started(virtual(real(8080, tcp(8080, alpha=True), inhibit_on_failure=True)))
    assert ipvs(out) == [("AddDest", 8080, 0)]


def test_alpha_omega_inhibit_sorry_inhibit_trace() -> None:
    """The reference's §10 trace: start with quorum down, sorry server enabled."""
    spec = virtual(real(8080, tcp(8080, alpha=True), inhibit_on_failure=True),
                   real(8081, tcp(8081, alpha=True), inhibit_on_failure=True),
                   sorry_server=real(9999), sorry_server_inhibit=True, omega=True)
    core, out = started(spec)
    assert ipvs(out) == [("AddDest", 8080, 0), ("AddDest", 8081, 0), ("AddDest", 9999, 1)]
    assert logs(out)[:2] == [f"Starting with quorum down 1-0=1 > 0 for VS {VS}",
                             f"Enabling sorry server [192.0.2.10]:tcp:9999 to VS {VS}"]
    core.due(1.0)
    out = core.probe_done(0, OK, 1.0)
    assert ipvs(out) == [("EditDest", 9999, 0), ("EditDest", 8080, 1)]
    out = core.probe_done(1, TIMEOUT, 1.0)
    out = core.stop()
    assert ipvs(out) == [("DelDest", 9999, 1), ("DelDest", 8080, 1), ("DelDest", 8081, 1)]
    assert fifo(out) == [f"RS {RS1} {VS} DOWN\n", f"VS {VS} DOWN\n"]
    assert isinstance(out[-1], DelService)


def test_stop_without_omega_logs_every_server_and_notifies_nothing() -> None:
    core, _ = started(virtual(real(8080, tcp(8080)), real(8081, tcp(8081, alpha=True))))
    out = core.stop()
    assert logs(out) == [f"Shutting down service {RS1} from VS {VS}",
                         f"Shutting down service {RS2} from VS {VS}"]
    assert ipvs(out) == [("DelDest", 8080, 1)]
    assert fifo(out) == []


def test_http_needs_retry_plus_one_failures_of_one_url() -> None:
    core, _ = started(virtual(real(8080, http(8080, ("/a", "/b"), retry=1))))
    assert core.due(1.0) == [RunProbe(0, 0)]
    core.probe_done(0, ProbeResult.success(url=0), 1.0)
    assert core.due(4.0) == [RunProbe(0, 1)]  # one url per delay_loop
    core.probe_done(0, ProbeResult.success(url=1), 4.0)
    assert core.due(7.0) == [RunProbe(0, 0)]
    assert core.probe_done(0, ProbeResult.failure("Connection failed", url=0), 7.0) == []
    assert core.next_deadline() == 10.0  # delay_before_retry 3 s
    core.due(10.0)
    out = core.probe_done(0, ProbeResult.failure("Connection failed", url=0), 10.0)
    assert logs(out)[0] == f"HTTP_CHECK on service {RS1} failed after 1 retries."
    assert core.next_deadline() == 13.0  # max(delay_before_retry, delay_loop)
    core.due(13.0)
    out = core.probe_done(0, ProbeResult.success(url=0), 13.0)
    assert logs(out) == [f"HTTP status code success to {RS1} url(/a)"]  # still down
    assert core.due(16.0) == [RunProbe(0, 0)]  # a whole pass again before it is up
    core.probe_done(0, ProbeResult.success(url=0), 16.0)
    core.due(19.0)
    out = core.probe_done(0, ProbeResult.success(url=1), 19.0)
    assert logs(out)[-3:] == [f"Remote Web server {RS1} succeed on service.",
                              f"Adding service {RS1} to VS {VS}",
                              f"Gained quorum 1+0=1 <= 1 for VS {VS}"]


def test_misc_dynamic_exit_status_sets_the_weight() -> None:
    """Recorded: iweight 5, exit 12 -> weight 10 (EDIT_DEST), exit 1 -> out."""
    core, _ = started(virtual(real(8080, misc(dynamic=True), weight=5)))
    core.due(1.0)
    out = core.probe_done(0, ProbeResult(True, exit_status=12), 1.0)
    assert logs(out) == [f"Changing weight from 5 to 10 for active service {RS1} of VS {VS}",
                         f"Misc check for [{RS1} VS {VS}] by [/bin/check] succeeded."]
    assert ipvs(out) == [("EditDest", 8080, 10)]
    core.due(4.0)
    out = core.probe_done(0, ProbeResult(False, exit_status=1), 4.0)
    assert logs(out)[0] == (f"Misc check for [{RS1} VS {VS}] by [/bin/check] failed with retry"
                            " disabled (exited with status 1).")
    assert ipvs(out) == [("DelDest", 8080, 5)]


def test_misc_schedules_from_when_the_script_started() -> None:
    core, _ = started(virtual(real(8080, misc())))
    core.due(1.0)
    core.probe_done(0, ProbeResult(True, exit_status=0), 2.5)
    assert core.next_deadline() == 4.0


def test_notify_scripts_and_smtp_alert_on_a_real_server_change() -> None:
    down = ScriptCommand(("/bin/rs-down",))
    core, _ = started(virtual(real(8080, tcp(8080), notify_down=down)))
    core.due(1.0)
    out = core.probe_done(0, TIMEOUT, 1.0)
    assert RunScript(down, False, "notify_down", f"RS {RS1} of VS {VS}") in out
    assert SmtpAlert(f"Realserver {RS1} of virtual server {VS} - DOWN",
                     "=> TCP CHECK failed on service <=") in out


def test_ha_suspend_checks_only_while_the_vip_is_here() -> None:
    core, out = started(virtual(real(8080, tcp(8080)), ha_suspend=True))
    assert logs(out)[-1] == f"Deactivating healthchecker for service {RS1} for VS {VS}"
    assert core.due(1.0) == []  # suspended: just waits another delay_loop
    assert logs(core.address_count(1)) == [
        f"Activating healthchecker for service {RS1} for VS {VS}"]
    assert core.due(4.0) == [RunProbe(0)]
    assert logs(core.address_count(0)) == [
        f"Suspending healthchecker for service {RS1} for VS {VS}"]


def test_checker_keeps_its_last_result_and_counts_failures_by_reason() -> None:
    """What the status document and the metrics show of a checker (not keepalived's)."""
    core, _ = started(virtual(real(8080, tcp(8080, retry=2))))
    checker = core.checkers[0]
    assert (checker.last_result, checker.last_result_at, checker.failures) == (None, None, {})
    finished = 0.0
    for result in (TIMEOUT, TIMEOUT, ProbeResult.failure("failed"), OK):
        due = core.next_deadline()
        assert due is not None
        assert core.due(due) == [RunProbe(0)]
        finished = due + 0.5
        core.probe_done(0, result, finished)
    assert checker.last_result == OK
    assert checker.last_result_at == finished
    assert checker.failures == {"timeout": 2, "failed": 1}


def test_a_failure_without_keepalived_words_counts_under_what_was_seen() -> None:
    core, _ = started(virtual(real(8080, misc())))
    for result in (ProbeResult(False, "", exit_status=3, detail="exit 3"), ProbeResult(False)):
        due = core.next_deadline()
        assert due is not None
        assert core.due(due) == [RunProbe(0)]
        core.probe_done(0, result, due + 0.1)
    assert core.checkers[0].failures == {"exit 3": 1, "failed": 1}


def test_a_reload_carries_a_kept_checkers_last_result_and_failures() -> None:
    spec = virtual(real(8080, tcp(8080)))
    core, _ = started(spec)
    core.due(1.0)
    core.probe_done(0, TIMEOUT, 1.5)
    new, migrated, _ = reload.carry(spec, core)
    assert migrated == frozenset({0})
    assert (new.checkers[0].last_result, new.checkers[0].last_result_at) == (TIMEOUT, 1.5)
    assert new.checkers[0].failures == {"timeout": 1}


def test_smtp_retries_count_on_until_the_server_goes() -> None:
    """check_smtp.c: a cycle (smtp_start_check_thread) starts its count at 0, a retry
    (smtp_connect_thread) goes on counting; retry 2 = three failures, the last one logged,
    then the server is removed (keepalived's SMTP_CHECK sample, reference §2.3)."""
    refused = ProbeResult.failure("Could not connect to server [192.0.2.10]:25")
    core, _ = started(virtual(real(25, smtp(25, retry=2, delay_before_retry=5.0))))
    out: list[Any] = []
    now = 1.0
    for _ in range(3):
        assert core.due(now) == [RunProbe(0)]
        out += core.probe_done(0, refused, now)
        now = core.next_deadline() or 0.0
    assert logs(out) == [
        "SMTP_CHECK Could not connect to server [192.0.2.10]:25",
        "Removing service [192.0.2.10]:tcp:25 from VS [192.0.2.100]:tcp:80",
        "Lost quorum 1-0=1 > 0 for VS [192.0.2.100]:tcp:80",
    ]
    assert now == 11.0 + 3.0  # failures at 1, 6 and 11 s; then the next cycle
    core.due(now)
    core.probe_done(0, OK, now)
    assert core.servers[0].alive
    assert core.checkers[0].retry_it == 0


@pytest.mark.parametrize(("status", "weight", "reloaded"), [(12, 10, 10), (2, 0, 0), (0, 5, 0)])
def test_a_reload_recomputes_a_dynamic_misc_checkers_weight(
        status: int, weight: int, reloaded: int) -> None:
    """misc_dynamic: exit 0 leaves the server its own weight (5), S >= 2 makes it S - 2.
    A reload recomputes it from the last exit as keepalived 2.2.7's migrate_misc_check
    does, S - (S ? 2 : 0) - iweight, which for a last exit of 0 gives weight 0, not 5:
    keepalived's own inconsistency, mirrored (a drop-in must reload to the same weights)."""
    spec = virtual(real(8080, misc(dynamic=True), weight=5))
    core, _ = started(spec)
    core.due(1.0)
    core.probe_done(0, ProbeResult(True, exit_status=status), 1.0)
    assert core.servers[0].effective == weight
    new, migrated, _ = reload.carry(spec, core)
    new.restart()
    assert migrated == frozenset({0})
    assert (new.servers[0].effective, new.checkers[0].last_exit) == (reloaded, status)


def test_a_reload_leaves_a_failed_dynamic_misc_checker_its_weight() -> None:
    spec = virtual(real(8080, misc(dynamic=True), weight=5))
    core, _ = started(spec)
    core.due(1.0)
    core.probe_done(0, ProbeResult(False, exit_status=1), 1.0)
    new, _, _ = reload.carry(spec, core)
    assert new.checkers[0].cur_weight == 0  # exit 1 is "down", not a weight


def test_a_reload_carries_retry_progress_and_the_verdict() -> None:
    spec = virtual(real(8080, tcp(8080, retry=3)))
    core, _ = started(spec)
    core.due(1.0)
    core.probe_done(0, OK, 1.0)
    for _ in range(2):  # two of the four tries fail: still up
        now = core.next_deadline() or 0.0
        core.due(now)
        core.probe_done(0, TIMEOUT, now)
    assert (core.checkers[0].retry_it, core.servers[0].alive) == (2, True)
    new, _, _ = reload.carry(spec, core)
    assert (new.checkers[0].retry_it, new.checkers[0].is_up, new.checkers[0].has_run) == (
        2, True, True)


def test_a_reload_carries_a_failed_verdict_without_retries() -> None:
    spec = virtual(real(8080, tcp(8080, retry=0)))
    core, _ = started(spec)
    core.due(1.0)
    core.probe_done(0, TIMEOUT, 1.0)
    assert not core.servers[0].alive
    new, _, _ = reload.carry(spec, core)
    assert (new.checkers[0].retry_it, new.checkers[0].is_up) == (0, False)


@pytest.mark.parametrize(("spec", "word", "attempt", "failed"), [
    (udp(8080, retry=2), "UDP", f"UDP connection to {RS1} failed.",
     f"UDP_CHECK on service {RS1} failed after 2 retries."),
    (ping(retry=2), "ICMP", f"ICMP connection to address {RS1} timeout.",
     f"ICMP CHECK on service {RS1} of {VS} failed after 2 retries."),
], ids=["UDP_CHECK", "PING_CHECK"])
@pytest.mark.parametrize("log_all", [True, False], ids=["log_all_failures", "quiet"])
def test_datagram_checkers_retry_only_while_up(spec: Any, word: str, attempt: str,
                                               failed: str, log_all: bool) -> None:
    """udp_epilog / icmp_epilog: while up, a failure is retried after delay_before_retry
    (1 s) until `retry` (2) more have failed; then the server goes and the checker waits
    delay_loop (3 s); while down, failures are neither retried nor logged again."""
    core, _ = started(virtual(real(8080, spec)), log_all_failures=log_all)
    seen: list[tuple[float, list[str]]] = []
    now = 1.0
    for result in (OK, TIMEOUT, TIMEOUT, TIMEOUT, TIMEOUT, OK):
        core.due(now)
        seen.append((now, logs(core.probe_done(0, result, now))[:2]))
        now = core.next_deadline() or 0.0
    success = f"{word} connection to {RS1} success."
    tried = [attempt] if log_all else []
    assert seen == [
        (1.0, [success]),
        (4.0, tried),
        (5.0, tried),
        (6.0, [attempt, failed] if log_all else [failed, f"Removing service {RS1} from VS {VS}"]),
        (9.0, []),
        (12.0, [success, f"Adding service {RS1} to VS {VS}"]),
    ]
    assert core.servers[0].alive


@pytest.mark.parametrize(("spec", "failed"), [
    (udp(8080, retry=2), f"UDP_CHECK on service {RS1} failed."),
    (ping(retry=2), f"ICMP CHECK on service {RS1} failed."),
], ids=["UDP_CHECK", "PING_CHECK"])
def test_a_datagram_checkers_first_failure_is_not_retried(spec: Any, failed: str) -> None:
    # never yet up: no retries, no "after N retries", the next try after delay_loop
    core, _ = started(virtual(real(8080, spec)))
    core.due(1.0)
    assert logs(core.probe_done(0, TIMEOUT, 1.0))[:2] == [
        failed, f"Removing service {RS1} from VS {VS}"]
    assert core.next_deadline() == 4.0


@pytest.mark.parametrize("log_all", [True, False], ids=["log_all_failures", "quiet"])
def test_dns_check_retries_while_up_and_names_the_retries_when_it_gives_up(
        log_all: bool) -> None:
    """check_dns.c: while up, a failure is retried after delay_before_retry (1 s), logged
    only with log_all_failures, until `retry` (2) more failed; then the server goes with
    "... after 2 retries" and the next try is delay_loop (3 s) later; while down, failures
    are silent; a success brings it back; a later failure starts counting again."""
    core, _ = started(virtual(real(53, dns(retry=2))), log_all_failures=log_all)
    rs = "[192.0.2.10]:tcp:53"
    seen: list[tuple[float, list[str], int]] = []
    now = 1.0
    for result in (OK, TIMEOUT, TIMEOUT, TIMEOUT, TIMEOUT, OK, TIMEOUT):
        core.due(now)
        seen.append((now, logs(core.probe_done(0, result, now))[:1],
                     core.checkers[0].retry_it))
        now = core.next_deadline() or 0.0
    tried = [f"DNS_CHECK ({rs}) timeout"] if log_all else []
    assert seen == [
        (1.0, [], 0),
        (4.0, tried, 1),
        (5.0, tried, 2),
        (6.0, [f"DNS_CHECK ({rs}) timeout after 2 retries"], 0),
        (9.0, [], 0),
        (12.0, [f"Adding service {rs} to VS {VS}"], 0),
        (15.0, tried, 1),
    ]
    assert core.servers[0].alive


@pytest.mark.parametrize("log_all", [True, False], ids=["log_all_failures", "quiet"])
def test_misc_check_retries_while_up(log_all: bool) -> None:
    """check_misc.c: a failure or timeout while up is retried delay_before_retry (1 s)
    later, announced only with log_all_failures, until `retry` (2) more failed; then the
    server goes; while down it is silent; exit 0 brings it back."""
    core, _ = started(virtual(real(8080, misc(retry=2, delay_before_retry=1.0))),
                      log_all_failures=log_all)
    check = f"Misc check for [{RS1} VS {VS}] by [/bin/check]"
    seen: list[tuple[float, list[str]]] = []
    now = 1.0
    for result in (ProbeResult(True, exit_status=0), ProbeResult(False, exit_status=3),
                   ProbeResult(False, timed_out=True), ProbeResult(False, exit_status=3),
                   ProbeResult(False, exit_status=3), ProbeResult(True, exit_status=0)):
        core.due(now)
        seen.append((now, logs(core.probe_done(0, result, now))[:1]))
        now = core.next_deadline() or 0.0
    assert seen == [
        (1.0, [f"{check} succeeded."]),
        (4.0, [f"{check} failed, will do 2 retries (exited with status 3)."] if log_all else []),
        (5.0, [f"{check} timed out on retry 1/2."] if log_all else []),
        (6.0, [f"{check} failed after 2 retries (exited with status 3)."]),
        (9.0, []),
        (12.0, [f"{check} succeeded."]),
    ]
    assert core.servers[0].alive
