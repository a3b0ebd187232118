"""The rest of keepalived 2.2.7's checker lines, each from the epilog that prints it
(check_tcp.c tcp_check_thread, check_udp.c udp_check_thread, check_ping.c
icmp_check_thread, check_misc.c misc_check_child_thread), and the "Rescheduling." case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pykeepalived.check.actions import Log, SmtpAlert
from pykeepalived.check.results import ProbeResult
from tests.unit.check.servers import dns, logs, misc, ping, real, started, tcp, udp, virtual

if TYPE_CHECKING:
    from pykeepalived.check.pool import VirtualServerCore

VS = "[192.0.2.100]:tcp:80"
RS = "[192.0.2.10]:tcp:8080"
CHECK = f"Misc check for [{RS} VS {VS}] by [/bin/check]"


def bodies(actions: list[Any]) -> list[str]:
    return [a.body for a in actions if isinstance(a, SmtpAlert)]


def run(core: VirtualServerCore, result: ProbeResult) -> tuple[float, list[Any]]:
    now = core.next_deadline()
    assert now is not None
    core.due(now)
    return now, core.probe_done(0, result, now)


@pytest.mark.parametrize(("spec", "reason", "line"), [
    (tcp(8080), "failed", f"TCP connection to {RS} failed."),
    (tcp(8080), "timeout", f"TCP connection to {RS} timeout."),
    (udp(8080), "reply data mismatch", f"UDP check to {RS} reply data mismatch."),
    (udp(8080), "failed", f"UDP connection to {RS} failed."),
    (ping(), "timeout", f"ICMP connection to address {RS} timeout."),
    (ping(), "failed", f"ICMP connection to {RS} of {VS} failed."),
])
def test_each_failed_attempt_while_up_is_named_with_log_all_failures(
        spec: Any, reason: str, line: str) -> None:
    core, _ = started(virtual(real(8080, spec)), log_all_failures=True)
    run(core, ProbeResult.success())
    _, out = run(core, ProbeResult.failure(reason))
    assert logs(out) == [line]


def test_a_checkers_own_log_all_failures_counts_too() -> None:
    core, _ = started(virtual(real(8080, tcp(8080, log_all_failures=True))))
    run(core, ProbeResult.success())
    assert logs(run(core, ProbeResult.failure("failed"))[1]) == [
        f"TCP connection to {RS} failed."]
    quiet, _ = started(virtual(real(8080, tcp(8080))))
    run(quiet, ProbeResult.success())
    assert run(quiet, ProbeResult.failure("failed"))[1] == []


@pytest.mark.parametrize(("spec", "word"), [(tcp(8080), "TCP"), (udp(8080), "UDP"),
                                            (ping(), "ICMP")])
def test_the_alert_bodies_of_the_layer4_checkers(spec: Any, word: str) -> None:
    core, _ = started(virtual(real(8080, spec)))
    assert bodies(run(core, ProbeResult.failure("timeout"))[1]) == [
        f"=> {word} CHECK failed on service <="]
    assert bodies(run(core, ProbeResult.success())[1]) == [
        f"=> {word} CHECK succeed on service <="]


def test_a_reschedule_logs_keepalived_s_line_and_changes_nothing() -> None:
    core, _ = started(virtual(real(8080, tcp(8080, retry=2))))
    line = "TCP socket bind failed. Rescheduling."
    result = ProbeResult(False, line, detail="Checker bind failed: Cannot assign"
                         " requested address", reschedule=True)
    now, out = run(core, result)
    assert out == [Log(line)]
    assert core.next_deadline() == now + 3.0  # delay_loop, not delay_before_retry
    assert (core.servers[0].alive, core.checkers[0].retry_it, core.checkers[0].has_run) == (
        True, 2, False)
    assert core.checkers[0].failures == {line: 1}


def test_a_fresh_dns_checkers_first_failure_is_final_without_a_retry_count() -> None:
    """dns_final: a never-run checker's count is at `retry` already, and "after N
    retries" is only said once it has run."""
    core, _ = started(virtual(real(53, dns(retry=2))))
    now, out = run(core, ProbeResult.failure("read timeout from socket"))
    rs = "[192.0.2.10]:tcp:53"
    assert logs(out)[:2] == [f"DNS_CHECK ({rs}) read timeout from socket",
                             f"Removing service {rs} from VS {VS}"]
    assert bodies(out) == ["=> DNS_CHECK: failed on service <="]
    assert core.next_deadline() == now + 3.0
    _, out = run(core, ProbeResult.failure("read timeout from socket"))
    assert out == []  # down: silent
    _, out = run(core, ProbeResult.success())
    assert logs(out)[:1] == [f"Adding service {rs} to VS {VS}"]
    assert bodies(out) == ["=> DNS_CHECK: succeed on service <="]


# ---------------------------------------------------------------------------- MISC_CHECK


def test_misc_with_one_retry_says_retry_in_the_singular() -> None:
    core, _ = started(virtual(real(8080, misc(retry=1))), log_all_failures=True)
    run(core, ProbeResult(True, exit_status=0))
    assert logs(run(core, ProbeResult(False, exit_status=2))[1]) == [
        f"{CHECK} failed, will do 1 retry (exited with status 2)."]
    assert logs(run(core, ProbeResult(False, exit_status=2))[1])[0] == (
        f"{CHECK} failed after 1 retry (exited with status 2).")


def test_misc_killed_by_a_signal_and_timed_out() -> None:
    core, _ = started(virtual(real(8080, misc())))
    _, out = run(core, ProbeResult(False, signal=9))
    assert logs(out)[0] == f"{CHECK} failed with retry disabled (due to signal 9)."
    assert bodies(out) == ["=> MISC CHECK failed on service <="]
    core, _ = started(virtual(real(8080, misc())))
    _, out = run(core, ProbeResult(False, timed_out=True))
    assert logs(out)[0] == f"{CHECK} timed out with retry disabled."
    assert bodies(out) == ["=> MISC CHECK timed out on service <="]
    _, out = run(core, ProbeResult(True, exit_status=0))
    assert logs(out)[0] == f"{CHECK} succeeded."
    assert bodies(out) == ["=> MISC CHECK succeeded on service <="]


def test_misc_alerts_on_every_verdict_unless_no_checker_emails() -> None:
    """Unlike the other checkers, MISC_CHECK's alert does not wait for the checker to
    change: its first success alerts too, unless no_checker_emails (then only a change
    of the server does)."""
    core, _ = started(virtual(real(8080, misc(), misc("/bin/other"))))
    assert bodies(run(core, ProbeResult(True, exit_status=0))[1]) == [
        "=> MISC CHECK succeeded on service <="]
    core, _ = started(virtual(real(8080, misc(), misc("/bin/other"))),
                      no_checker_emails=True)
    core.due(1.0)
    assert bodies(core.probe_done(0, ProbeResult(True, exit_status=0), 1.0)) == []
    assert bodies(core.probe_done(1, ProbeResult(False, exit_status=1), 1.0)) == [
        "=> MISC CHECK failed on service <="]
    core.due(4.0)
    assert bodies(core.probe_done(0, ProbeResult(False, exit_status=1), 4.0)) == []


def test_misc_dynamic_exit_two_is_weight_zero_and_back_to_its_own_with_exit_zero() -> None:
    core, _ = started(virtual(real(8080, misc(dynamic=True), weight=5)))
    _, out = run(core, ProbeResult(True, exit_status=2))
    assert logs(out)[0] == f"Changing weight from 5 to 0 for active service {RS} of VS {VS}"
    _, out = run(core, ProbeResult(True, exit_status=2))
    assert logs(out) == []  # the same status: nothing
    _, out = run(core, ProbeResult(True, exit_status=0))
    assert logs(out) == [f"Changing weight from 0 to 5 for active service {RS} of VS {VS}",
                         f"Gained quorum 1+0=1 <= 5 for VS {VS}"]


def test_misc_without_dynamic_takes_any_non_zero_exit_as_a_failure() -> None:
    core, _ = started(virtual(real(8080, misc(), weight=5)))
    _, out = run(core, ProbeResult(False, exit_status=12))
    assert logs(out)[:2] == [f"{CHECK} failed with retry disabled (exited with status 12).",
                             f"Removing service {RS} from VS {VS}"]


def test_misc_dynamic_final_failure_drops_its_weight_without_an_edit() -> None:
    core, _ = started(virtual(real(8080, misc(dynamic=True), weight=5)))
    run(core, ProbeResult(True, exit_status=12))
    _, out = run(core, ProbeResult(False, exit_status=1))
    assert [type(a).__name__ for a in out if not isinstance(a, Log)][:1] == ["DelDest"]
    assert core.servers[0].effective == 5
    _, out = run(core, ProbeResult(True, exit_status=0))
    assert logs(out)[:2] == [f"{CHECK} succeeded.", f"Adding service {RS} to VS {VS}"]


def test_a_misc_script_that_outlasts_its_delay_runs_again_at_once() -> None:
    """keepalived never schedules a MISC_CHECK in the past: 1 µs from now at least."""
    core, _ = started(virtual(real(8080, misc())))
    core.due(1.0)
    core.probe_done(0, ProbeResult(True, exit_status=0), 7.5)  # delay_loop 3 s from 1.0
    assert core.next_deadline() == 7.5 + 1e-6


def test_a_timed_out_dynamic_misc_check_leaves_its_weight_on_the_server() -> None:
    """keepalived 2.2.7 (misc_check_child_thread): a final failure by signal or timeout
    zeroes the checker's part without taking it off the server's weight (only an exit
    status does that), so a later exit 0 finds nothing to take back and the server
    returns at the dynamic weight. Mirrored: a drop-in must weigh servers the same."""
    core, _ = started(virtual(real(8080, misc(dynamic=True), weight=5)))
    run(core, ProbeResult(True, exit_status=12))
    assert core.servers[0].effective == 10
    _, out = run(core, ProbeResult(False, timed_out=True))
    assert [type(a).__name__ for a in out if not isinstance(a, Log)][:1] == ["DelDest"]
    _, out = run(core, ProbeResult(True, exit_status=0))
    assert [(type(a).__name__, a.dest.weight) for a in out if hasattr(a, "dest")] == [
        ("AddDest", 10)]
