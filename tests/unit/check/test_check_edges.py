"""Edges of the check core the first mutation run found unguarded (issue 15 item 5):
each test names the keepalived 2.2.7 behaviour it holds (ipwrapper.c, check_*.c)."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

from pykeepalived.check import reload, syncd
from pykeepalived.check.actions import AddDest, SmtpAlert
from pykeepalived.check.lvs import (
    FLAG_PERSISTENT,
    PROTOCOLS,
    DestSpec,
    Forwarding,
    IpvsError,
    IpvsUnavailable,
    ServiceSpec,
    SyncDaemonSpec,
    TunnelType,
    endpoint_text,
)
from pykeepalived.check.params import CheckerKind, FileProbe
from pykeepalived.check.pool import VirtualServerCore
from pykeepalived.check.results import ProbeResult
from tests.unit.check.servers import (
    checker,
    dns,
    fifo,
    http,
    ipvs,
    logs,
    misc,
    real,
    service,
    smtp,
    started,
    tcp,
    udp,
    virtual,
)

VS = "[192.0.2.100]:tcp:80"
RS = "[192.0.2.10]:tcp:8080"
OK = ProbeResult.success()
TIMEOUT = ProbeResult.failure("timeout")


def run(core: VirtualServerCore, result: ProbeResult, index: int = 0) -> list[Any]:
    now = core.next_deadline()
    assert now is not None
    core.due(now)
    return core.probe_done(index, result, now)


def reloaded(old: VirtualServerCore, spec: Any, **options: Any
             ) -> tuple[VirtualServerCore, list[Any]]:
    new, migrated, out = reload.carry(spec, old, **options)
    out += new.restart()
    out += new.register(10.0, lambda: 0.0, migrated=migrated)
    return new, out


def file_check(weight: int = 1) -> Any:
    return checker(CheckerKind.FILE, FileProbe("tf", "/run/tf", weight))


# ---------------------------------------------------------------------------- checkers


def test_a_success_while_up_says_nothing() -> None:
    for spec in (tcp(8080), udp(8080)):
        core, _ = started(virtual(real(8080, spec)))
        out = run(core, OK)
        assert fifo(out) == []  # a non-alpha checker's first success notifies nothing
        assert run(core, OK) == []


def test_a_failed_checker_reads_down() -> None:
    """What the status document shows of a checker after its final failure."""
    for spec, result in ((tcp(8080), TIMEOUT), (udp(8080), TIMEOUT), (dns(8080), TIMEOUT),
                         (smtp(8080, retry=0), TIMEOUT),
                         (http(8080), ProbeResult.failure("Connection failed", url=0))):
        core, _ = started(virtual(real(8080, spec)))
        run(core, result)
        assert core.checkers[0].is_up is False
    core = VirtualServerCore(virtual(real(8080, file_check(0))))
    core.start()
    core.file_value("tf", 1)
    assert core.checkers[0].is_up is False


def test_alpha_datagram_and_smtp_checkers_confirm_down_on_their_first_failure() -> None:
    """udp_epilog / smtp_final: a never-run alpha checker's first (final) failure is
    logged and notified down, though the server was never up."""
    core, _ = started(virtual(real(8080, udp(8080, alpha=True))))
    out = run(core, TIMEOUT)
    assert logs(out) == [f"UDP_CHECK on service {RS} failed."]
    assert fifo(out) == [f"RS {RS} {VS} DOWN\n"]
    core, _ = started(virtual(real(8080, smtp(8080, alpha=True, retry=0))))
    assert fifo(run(core, TIMEOUT)) == [f"RS {RS} {VS} DOWN\n"]


def test_an_alpha_dns_checkers_failures_after_the_first_are_silent() -> None:
    core, _ = started(virtual(real(8080, dns(8080, alpha=True, retry=0))))
    out = run(core, TIMEOUT)
    assert (logs(out), fifo(out)) == ([f"DNS_CHECK ({RS}) timeout"], [f"RS {RS} {VS} DOWN\n"])
    assert run(core, TIMEOUT) == []


def test_dns_with_retry_zero_says_after_0_retries_once_it_has_run() -> None:
    core, _ = started(virtual(real(8080, dns(8080, retry=0))))
    run(core, OK)
    assert logs(run(core, TIMEOUT))[0] == f"DNS_CHECK ({RS}) timeout after 0 retries"


def test_misc_dynamic_exit_255_is_the_top_weight() -> None:
    core, _ = started(virtual(real(8080, misc(dynamic=True), weight=5)))
    out = run(core, ProbeResult(True, exit_status=255))
    assert ipvs(out) == [("EditDest", 8080, 253)]
    assert core.servers[0].alive


def test_misc_timed_out_by_signal_says_timed_out() -> None:
    """The script killed at its timeout also ends by a signal: the line says timed out."""
    core, _ = started(virtual(real(8080, misc())))
    out = run(core, ProbeResult(False, signal=15, timed_out=True))
    assert logs(out)[0] == (f"Misc check for [{RS} VS {VS}] by [/bin/check] timed out with"
                            " retry disabled.")


def test_misc_alert_subjects_name_the_server_and_its_state() -> None:
    core, _ = started(virtual(real(8080, misc())))
    out = run(core, ProbeResult(False, exit_status=1))
    assert [a.subject for a in out if isinstance(a, SmtpAlert)] == [
        f"Realserver {RS} of virtual server {VS} - DOWN"]
    out = run(core, ProbeResult(True, exit_status=0))
    assert [a.subject for a in out if isinstance(a, SmtpAlert)] == [
        f"Realserver {RS} of virtual server {VS} - UP"]


def test_two_alpha_checkers_must_both_pass() -> None:
    core, _ = started(virtual(real(8080, tcp(8080, alpha=True), tcp(8081, alpha=True))))
    assert core.servers[0].failed == 2
    core.due(1.0)
    assert ipvs(core.probe_done(0, OK, 1.0)) == []
    assert ipvs(core.probe_done(1, OK, 1.0)) == [("AddDest", 8080, 1)]


def test_a_probes_latency_url_and_detail_reach_the_checkers_last_result() -> None:
    core, _ = started(virtual(real(8080, tcp(8080))))
    core.due(1.0)
    core.probe_done(0, ProbeResult.success(0.25, url=1, detail="connected"), 1.0)
    result = core.checkers[0].last_result
    assert result is not None
    assert (result.ok, result.latency, result.url, result.detail) == (True, 0.25, 1, "connected")
    core.due(4.0)
    core.probe_done(0, ProbeResult.failure("timeout", 1.5, url=2, detail="no SYN-ACK"), 4.0)
    result = core.checkers[0].last_result
    assert result is not None
    assert (result.ok, result.reason, result.latency, result.url, result.detail) == (
        False, "timeout", 1.5, 2, "no SYN-ACK")
    assert (ProbeResult.success(), ProbeResult.failure("x")) == (
        ProbeResult(True), ProbeResult(False, "x"))


# ---------------------------------------------------------------------------- track files


def test_two_faulted_track_files_at_start_both_have_to_clear() -> None:
    spec = virtual(real(8080, file_check(0), checker(CheckerKind.FILE,
                                                     FileProbe("tg", "/run/tg", 0))))
    core = VirtualServerCore(spec)
    core.start({"tf": 1, "tg": 1})
    register_and_tcp_free = core.register(0.0, lambda: 0.0)
    assert register_and_tcp_free == []
    assert core.checkers[0].is_up is False
    assert core.servers[0].failed == 2
    assert ipvs(core.file_value("tf", 0)) == []
    assert ipvs(core.file_value("tg", 0)) == [("AddDest", 8080, 1)]


def test_a_track_file_keeps_following_after_a_fault_and_a_reload() -> None:
    spec = virtual(real(8080, file_check(1)))
    core = VirtualServerCore(spec)
    core.start({"tf": 5})
    core.file_value("tf", -(2 ** 31))  # fault: the server leaves, its file part with it
    new, out = reloaded(core, spec)
    assert (logs(out), ipvs(out)) == ([], [])
    assert ipvs(new.file_value("tf", 2)) == [("AddDest", 8080, 3)]
    assert ipvs(new.file_value("tf", 4)) == [("EditDest", 8080, 5)]


def test_a_file_and_tcp_checked_server_is_next_due_at_its_tcp_check() -> None:
    core = VirtualServerCore(virtual(real(8080, file_check(1), tcp(8080))))
    core.start({"tf": 1})
    core.register(0.0, lambda: 0.0)
    assert core.next_deadline() == 1.0


# ---------------------------------------------------------------------------- reload


def test_a_reload_cut_to_retry_zero_makes_the_next_failure_final() -> None:
    old, _ = started(virtual(real(8080, tcp(8080, retry=2))))
    run(old, OK)
    run(old, TIMEOUT)
    assert old.checkers[0].retry_it == 1
    new, _ = reloaded(old, virtual(real(8080, tcp(8080, retry=0))))
    new.due(11.0)
    assert ipvs(new.probe_done(0, TIMEOUT, 11.0)) == [("DelDest", 8080, 1)]


def test_a_checker_matched_after_an_unmatched_one_keeps_its_verdict() -> None:
    old, _ = started(virtual(real(8080, tcp(8080))))
    run(old, TIMEOUT)
    new, out = reloaded(old, virtual(real(8080, tcp(8082), tcp(8080))))
    assert ipvs(out) == []
    assert not new.servers[0].alive


def test_a_carried_never_run_checker_of_a_down_server_fails_at_once() -> None:
    spec = virtual(real(8080, tcp(8080), tcp(8081)))
    old, _ = started(spec)
    old.due(1.0)
    old.probe_done(0, TIMEOUT, 1.0)  # the second checker never finished
    new, _ = reloaded(old, spec)
    new.due(11.0)
    new.probe_done(0, OK, 11.0)
    assert logs(new.probe_done(1, TIMEOUT, 11.0))[0] == f"TCP_CHECK on service {RS} failed."


def test_servers_after_a_removed_one_are_still_carried_and_edited() -> None:
    old, _ = started(virtual(real(8080, tcp(8080)), real(8081, tcp(8081))))
    new, out = reloaded(old, virtual(real(8081, tcp(8081), forwarding=Forwarding.DR)))
    assert logs(out)[:2] == ["service [192.0.2.10]:tcp:8080 no longer exist",
                             f"Removing service {RS} from VS {VS}"]
    assert ipvs(out) == [("DelDest", 8080, 1), ("EditDest", 80, 1)]
    assert new.servers[0].reloaded


def test_a_down_servers_forwarding_change_leaves_it_out_at_stop() -> None:
    old, _ = started(virtual(real(8080, tcp(8080))))
    run(old, TIMEOUT)
    new, out = reloaded(old, virtual(real(8080, tcp(8080), forwarding=Forwarding.DR)))
    assert ipvs(out) == [("EditDest", 80, 1)]  # keepalived edits it whatever its state
    assert ipvs(new.stop()) == []


def test_a_new_group_entry_gets_dr_servers_at_its_own_port_and_inhibited_ones_at_weight()\
        -> None:
    def spec(*addresses: str) -> Any:
        services = tuple(ServiceSpec(4, PROTOCOLS["TCP"], ip_address(a), 80, scheduler="rr")
                         for a in addresses)
        return virtual(real(8080, tcp(8080), forwarding=Forwarding.DR, weight=2),
                       real(8081, tcp(8081), inhibit_on_failure=True, weight=3),
                       label="[web]:0", group="web", key=("group", "web", 0),
                       services=services)
    old, _ = started(spec("192.0.2.100"))
    _, _, out = reload.carry(spec("192.0.2.100", "192.0.2.101"), old)
    assert [(a.dest.port, a.dest.weight) for a in out if isinstance(a, AddDest)] == [
        (80, 2), (8081, 3)]


def test_a_reload_that_loses_quorum_by_weight_says_starting_with_quorum_down() -> None:
    old, _ = started(virtual(real(8080, tcp(8080), weight=2), quorum=2))
    _, out = reloaded(old, virtual(real(8080, tcp(8080), weight=1), quorum=2))
    assert logs(out)[:2] == [
        f"Changing weight from 2 to 1 for active service {RS} of VS {VS}",
        f"Starting with quorum down 2-0=2 > 1 for VS {VS}"]


def test_the_reload_options_reach_the_new_core() -> None:
    spec = virtual(real(8080, tcp(8080, retry=1), tcp(8082, retry=0)))
    for on in (True, False):
        old, _ = started(spec)
        run(old, OK)
        options = {"log_all_failures": True, "no_checker_emails": True,
                   "rs_init_notifies": True} if on else {}  # off: carry's own defaults
        new, out = reloaded(old, virtual(real(8080, tcp(8080, retry=1), tcp(8082, retry=0)),
                                         real(8081, tcp(8081))), **options)
        assert (f"RS [192.0.2.10]:tcp:8081 {VS} UP\n" in fifo(out)) is on
        new.due(11.0)
        assert logs(new.probe_done(0, TIMEOUT, 11.0)) == (
            [f"TCP connection to {RS} timeout."] if on else [])
        new.probe_done(0, TIMEOUT, 11.0)  # final: the server goes
        alerts = [a for a in new.probe_done(1, TIMEOUT, 11.0) if isinstance(a, SmtpAlert)]
        assert len(alerts) == (0 if on else 1)


# ---------------------------------------------------------------------------- IPVS values


def test_endpoint_text_is_keepalived_s_trio() -> None:
    assert endpoint_text(ip_address("192.0.2.1"), 6, 80) == "[192.0.2.1]:tcp:80"
    assert endpoint_text(ip_address("2001:db8::1"), 132, 9) == "[2001:db8::1]:sctp:9"
    assert endpoint_text(None, 0, 0) == "[None]:none:0"
    assert endpoint_text(ip_address("192.0.2.1"), 50, 1) == "[192.0.2.1]:?:1"


def test_an_ipvs_error_names_an_unknown_protocol_by_number() -> None:
    from pykeepalived.check import messages
    from pykeepalived.check.actions import AddService
    odd = ServiceSpec(4, 50, ip_address("192.0.2.100"), 80)
    assert messages.ipvs_error(AddService(odd), 22).endswith("(192.0.2.100:50:80)")


def test_a_one_second_persistence_is_persistent() -> None:
    one = ServiceSpec(4, 6, ip_address("192.0.2.100"), 80, timeout=1, netmask=0xFFFFFF00)
    assert (one.flags & FLAG_PERSISTENT, one.netmask) == (FLAG_PERSISTENT, 0xFFFFFF00)


def test_tunnel_checksum_flags_reach_the_destination() -> None:
    _core, out = started(virtual(real(8080, tcp(8080), forwarding=Forwarding.TUN,
                                      tunnel_type=TunnelType.GRE, tunnel_flags=2)))
    dests = [a.dest for a in out if isinstance(a, AddDest)]
    assert dests == [DestSpec(ip_address("192.0.2.10"), 80, Forwarding.TUN, 1,
                              tunnel_type=TunnelType.GRE, tunnel_flags=2)]
    assert service().port == 80


def test_ipvs_errors_read_as_logged() -> None:
    assert (IpvsError(17).code, str(IpvsError(17))) == (17, "IPVS error 17")
    assert str(IpvsError(2, "No such destination")) == "No such destination"
    unavailable = IpvsUnavailable("IPVS: Can't initialize ipvs: no module")
    assert (str(unavailable), unavailable.reason) == (
        "IPVS: Can't initialize ipvs: no module", "IPVS: Can't initialize ipvs: no module")


# ---------------------------------------------------------------------------- sync daemon

SYNC = SyncDaemonSpec(interface="eth1", instance="VI_1", sync_id=51)


def test_sync_commands_carry_the_spec_they_are_about() -> None:
    assert all(c.sync == SYNC for c in syncd.leave_master(SYNC, vips_set=True))
    assert all(c.sync == SYNC for c in syncd.on_reload(SYNC, None, master=True))
    started_as = syncd.on_reload(None, SYNC, master=True)
    assert [(c.verb, c.state, c.sync) for c in started_as] == [("start", "master", SYNC)]
    same = syncd.on_reload(SYNC, SYNC, master=True)
    assert [(c.verb, c.state) for c in same] == [("start", "master"), ("stop", "backup")]
    unset = SyncDaemonSpec(interface="eth1")
    assert {c.sync for c in syncd.checker_stop(unset)} == {
        SyncDaemonSpec(interface="eth1", sync_id=0)}
