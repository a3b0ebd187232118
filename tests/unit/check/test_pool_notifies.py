"""What a virtual server tells the outside: quorum scripts, FIFO lines, SMTP alerts,
FILE_CHECK weights, and keepalived's IPVS error line.

Lines and bodies are keepalived 2.2.7's (ipwrapper.c do_vs_notifies, do_rs_notifies,
update_vs_notifies, clear_service_rs; trackers/track_file.c
process_update_checker_track_file_status; ipvswrapper.c ipvs_talk, libipvs.c
ipvs_strerror). Note do_vs_notifies' alert body writes `quorum+hysteresis=threshold`
even when the threshold is quorum - hysteresis: that is keepalived's text.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

import pytest

from pykeepalived.check import messages, reload
from pykeepalived.check.actions import (
    AddDest,
    AddService,
    DelDest,
    DelService,
    EditDest,
    EditService,
    FifoLine,
    Log,
    RunScript,
    SmtpAlert,
)
from pykeepalived.check.lvs import PROTOCOLS, DestSpec, ServiceSpec
from pykeepalived.check.params import CheckerKind, FileProbe
from pykeepalived.check.pool import VirtualServerCore
from pykeepalived.check.results import ProbeResult
from pykeepalived.check.servers import file_status
from pykeepalived.commands import ScriptCommand
from pykeepalived.constants import INT_MAX
from tests.unit.check.servers import checker, ipvs, real, started, tcp, virtual

VS = "[192.0.2.100]:tcp:80"
RS1 = "[192.0.2.10]:tcp:8080"
RS2 = "[192.0.2.10]:tcp:8081"
QUORUM_UP = ScriptCommand(("/bin/quorum-up",))
QUORUM_DOWN = ScriptCommand(("/bin/quorum-down",))
RS_UP = ScriptCommand(("/bin/rs-up",))
RS_DOWN = ScriptCommand(("/bin/rs-down",))
TIMEOUT = ProbeResult.failure("timeout")


def logs(actions: list[Any]) -> list[str]:
    return [a.message for a in actions if isinstance(a, Log) and not a.detail]


def details(actions: list[Any]) -> list[str]:
    return [a.message for a in actions if isinstance(a, Log) and a.detail]


def told(actions: list[Any]) -> list[Any]:
    """Everything but log lines and IPVS: scripts, FIFO lines, alerts, in order."""
    return [a for a in actions if isinstance(a, RunScript | FifoLine | SmtpAlert)]


def fail(core: VirtualServerCore, index: int, now: float = 1.0) -> list[Any]:
    core.due(now)
    return core.probe_done(index, TIMEOUT, now)


def recover(core: VirtualServerCore, index: int, now: float = 10.0) -> list[Any]:
    core.due(now)
    return core.probe_done(index, ProbeResult.success(), now)


def vs_up(body: str) -> list[Any]:
    return [RunScript(QUORUM_UP, False, "quorum_up", f"VS {VS}"), FifoLine(f"VS {VS} UP\n"),
            SmtpAlert(f"Virtualserver {VS} - UP", body)]


def vs_down(body: str, *, stopping: bool = False) -> list[Any]:
    return [RunScript(QUORUM_DOWN, stopping, "quorum_down", f"VS {VS}"),
            FifoLine(f"VS {VS} DOWN\n"), SmtpAlert(f"Virtualserver {VS} - DOWN", body)]


def quorum_spec(**options: Any) -> Any:
    return virtual(real(8080, tcp(8080), notify_up=RS_UP, notify_down=RS_DOWN),
                   real(8081, tcp(8081)), quorum=1, hysteresis=1, quorum_up=QUORUM_UP,
                   quorum_down=QUORUM_DOWN, smtp_alert=True, **options)


# ---------------------------------------------------------------------------- quorum


def test_quorum_scripts_fifo_lines_and_alerts_follow_the_quorum() -> None:
    core, out = started(quorum_spec())
    assert told(out) == vs_up("=> Starting with quorum up 1+1=2 <= 2 <=")
    out = fail(core, 0)
    assert told(out) == [
        RunScript(RS_DOWN, False, "notify_down", f"RS {RS1} of VS {VS}"),
        FifoLine(f"RS {RS1} {VS} DOWN\n"),
        SmtpAlert(f"Realserver {RS1} of virtual server {VS} - DOWN",
                  "=> TCP CHECK failed on service <="),
    ]  # 1 left: not below 1 - 1, quorum kept
    out = fail(core, 1)
    assert logs(out)[-1] == f"Lost quorum 1-1=0 > 0 for VS {VS}"
    assert told(out) == [FifoLine(f"RS {RS2} {VS} DOWN\n"),
                         *vs_down("=> Lost quorum 1+1=0 <= 0 <="),
                         SmtpAlert(f"Realserver {RS2} of virtual server {VS} - DOWN",
                                   "=> TCP CHECK failed on service <=")]
    out = recover(core, 0)
    assert told(out)[:2] == [RunScript(RS_UP, False, "notify_up", f"RS {RS1} of VS {VS}"),
                             FifoLine(f"RS {RS1} {VS} UP\n")]
    assert not core.quorum_up  # 1 is not 1 + 1
    out = recover(core, 1)
    assert logs(out)[-1] == f"Gained quorum 1+1=2 <= 2 for VS {VS}"
    assert told(out)[1:4] == vs_up("=> Gained quorum 1+1=2 <= 2 <=")


def test_starting_with_quorum_down_is_said_only_with_a_sorry_server() -> None:
    alpha = virtual(real(8080, tcp(8080, alpha=True)), quorum_down=QUORUM_DOWN,
                    smtp_alert=True)
    assert told(started(alpha)[1]) == []
    _, out = started(virtual(real(8080, tcp(8080, alpha=True)), quorum_down=QUORUM_DOWN,
                             smtp_alert=True, sorry_server=real(9999)))
    assert told(out) == vs_down("=> Starting with quorum down 1+0=1 <= 0 <=")
    assert ipvs(out) == [("AddDest", 9999, 1)]


def test_a_virtual_server_without_alerts_or_scripts_still_writes_its_fifo_lines() -> None:
    core, out = started(virtual(real(8080, tcp(8080), smtp_alert=False)))
    assert told(out) == [FifoLine(f"VS {VS} UP\n")]
    assert told(fail(core, 0)) == [FifoLine(f"RS {RS1} {VS} DOWN\n"),
                                   FifoLine(f"VS {VS} DOWN\n")]


def test_stop_with_omega_runs_the_down_scripts_with_the_shutdown_limit() -> None:
    core, _ = started(quorum_spec(omega=True))
    out = core.stop()
    assert logs(out) == [f"Shutting down service {RS1} from VS {VS}",
                         f"Shutting down service {RS2} from VS {VS}"]
    assert told(out) == [
        RunScript(RS_DOWN, True, "notify_down", f"RS {RS1} of VS {VS}"),
        FifoLine(f"RS {RS1} {VS} DOWN\n"),
        SmtpAlert(f"Realserver {RS1} of virtual server {VS} - DOWN", "=> Shutting down <="),
        FifoLine(f"RS {RS2} {VS} DOWN\n"),
        SmtpAlert(f"Realserver {RS2} of virtual server {VS} - DOWN", "=> Shutting down <="),
        *vs_down("=> Shutting down <=", stopping=True),
    ]
    assert ipvs(out) == [("DelDest", 8080, 1), ("DelDest", 8081, 1)]
    assert isinstance(out[-1], DelService)
    assert not core.quorum_up


def test_stop_with_omega_and_quorum_already_down_still_says_down() -> None:
    core, _ = started(quorum_spec(omega=True))
    fail(core, 0)
    fail(core, 1)
    out = core.stop()
    assert logs(out) == [f"Shutting down service {RS1} from VS {VS}",
                         f"Shutting down service {RS2} from VS {VS}"]
    assert ipvs(out) == []
    assert told(out) == vs_down("=> Shutting down <=", stopping=True)


def test_stop_without_omega_says_nothing_about_quorum() -> None:
    core, _ = started(quorum_spec())
    out = core.stop()
    assert told(out) == []
    assert ipvs(out) == [("DelDest", 8080, 1), ("DelDest", 8081, 1)]


def test_an_inhibited_server_is_really_deleted_at_stop() -> None:
    core, _ = started(virtual(real(8080, tcp(8080), inhibit_on_failure=True), omega=True))
    assert ipvs(fail(core, 0)) == [("EditDest", 8080, 0)]
    out = core.stop()
    assert logs(out) == [f"Shutting down (inhibited) service {RS1} from VS {VS}"]
    assert ipvs(out) == [("DelDest", 8080, 1)]
    assert told(out) == [FifoLine(f"VS {VS} DOWN\n")]  # the server was down already


def test_removing_a_virtual_server_on_reload_notifies_as_it_goes() -> None:
    core, _ = started(quorum_spec())
    out = reload.remove(core)
    assert logs(out) == [f"Removing Virtual Server {VS}",
                         f"Removing service {RS1} from VS {VS}",
                         f"Removing service {RS2} from VS {VS}"]
    assert told(out) == [
        RunScript(RS_DOWN, False, "notify_down", f"RS {RS1} of VS {VS}"),
        FifoLine(f"RS {RS1} {VS} DOWN\n"),
        SmtpAlert(f"Realserver {RS1} of virtual server {VS} - DOWN", "=> Removing <="),
        FifoLine(f"RS {RS2} {VS} DOWN\n"),
        SmtpAlert(f"Realserver {RS2} of virtual server {VS} - DOWN", "=> Removing <="),
        *vs_down("=> Lost quorum 1+1=0 <= 0 <="),
    ]
    assert [type(a) for a in out if isinstance(a, DelService)] == [DelService]


def test_rs_init_notifies_announce_each_server_added_at_start() -> None:
    _core, out = started(quorum_spec(), rs_init_notifies=True)
    assert told(out)[:3] == [RunScript(RS_UP, False, "notify_up", f"RS {RS1} of VS {VS}"),
                             FifoLine(f"RS {RS1} {VS} UP\n"), FifoLine(f"RS {RS2} {VS} UP\n")]
    _core, out = started(quorum_spec())
    assert not any(isinstance(a, FifoLine) and a.line.startswith("RS") for a in out)


def test_an_alpha_checkers_first_failure_notifies_down() -> None:
    """update_svr_checker_state: a never-run alpha checker confirming down says so."""
    core, _ = started(virtual(real(8080, tcp(8080, alpha=True), notify_down=RS_DOWN)))
    assert told(fail(core, 0)) == [
        RunScript(RS_DOWN, False, "notify_down", f"RS {RS1} of VS {VS}"),
        FifoLine(f"RS {RS1} {VS} DOWN\n")]


def test_no_checker_emails_keeps_only_the_alerts_that_change_the_server() -> None:
    spec = virtual(real(8080, tcp(8080), tcp(8082)))
    core, _ = started(spec, no_checker_emails=True)
    assert [a.body for a in fail(core, 0) if isinstance(a, SmtpAlert)] == [
        "=> TCP CHECK failed on service <="]
    assert [a for a in fail(core, 1) if isinstance(a, SmtpAlert)] == []  # already down
    core, _ = started(spec)
    fail(core, 0)
    assert len([a for a in fail(core, 1) if isinstance(a, SmtpAlert)]) == 1


def test_a_real_server_without_smtp_alert_sends_none() -> None:
    core, _ = started(virtual(real(8080, tcp(8080), smtp_alert=False), omega=True))
    assert [a for a in fail(core, 0) if isinstance(a, SmtpAlert)] == []
    recover(core, 0)
    assert [a for a in core.stop() if isinstance(a, SmtpAlert)] == []


# ---------------------------------------------------------------------------- FILE_CHECK


def file_check(weight: int = 1, *, reverse: bool = False) -> Any:
    return checker(CheckerKind.FILE, FileProbe("tf", "/run/tf", weight, reverse))


def test_a_track_files_value_times_its_weight_moves_the_server_weight() -> None:
    core = VirtualServerCore(virtual(real(8080, file_check(2), weight=3)))
    out = core.start({"tf": 4})
    assert ipvs(out) == [("AddDest", 8080, 11)]  # 3 + 4 x 2
    assert core.register(0.0, lambda: 0.0) == []  # FILE_CHECK is never scheduled
    assert core.next_deadline() is None
    out = core.file_value("tf", 1)
    assert logs(out) == [f"Changing weight from 11 to 5 for active service {RS1} of VS {VS}"]
    assert ipvs(out) == [("EditDest", 8080, 5)]
    assert core.file_value("tf", 1) == []
    assert core.file_value("other", 9) == []
    out = core.file_value("tf", -5)  # 3 - 10: IPVS gets 0, the server stays alive
    assert logs(out) == [f"Changing weight from 5 to 0 for active service {RS1} of VS {VS}",
                         f"Lost quorum 1-0=1 > 0 for VS {VS}"]
    assert ipvs(out) == [("EditDest", 8080, 0)]
    assert core.servers[0].alive


def test_a_reversed_track_file_subtracts() -> None:
    core = VirtualServerCore(virtual(real(8080, file_check(2, reverse=True), weight=10)))
    assert ipvs(core.start({"tf": 3})) == [("AddDest", 8080, 4)]
    assert ipvs(core.file_value("tf", 0)) == [("EditDest", 8080, 10)]


def test_a_zero_weight_track_file_is_up_at_zero_and_faults_otherwise() -> None:
    core = VirtualServerCore(virtual(real(8080, file_check(0), notify_down=RS_DOWN)))
    assert ipvs(core.start()) == [("AddDest", 8080, 1)]  # no value yet: 0
    out = core.file_value("tf", 2)
    assert details(out) == [f"({RS1}): tracked file tf now FAULT state"]
    assert logs(out) == [f"Removing service {RS1} from VS {VS}",
                         f"Lost quorum 1-0=1 > 0 for VS {VS}"]
    assert ipvs(out) == [("DelDest", 8080, 1)]
    assert RunScript(RS_DOWN, False, "notify_down", f"RS {RS1} of VS {VS}") in out
    assert core.file_value("tf", 3) == []  # still a fault
    out = core.file_value("tf", 0)
    assert details(out) == [f"({RS1}): tracked file tf leaving FAULT state"]
    assert logs(out) == [f"Adding service {RS1} to VS {VS}",
                         f"Gained quorum 1+0=1 <= 1 for VS {VS}"]
    assert ipvs(out) == [("AddDest", 8080, 1)]


def test_a_track_file_in_fault_at_start_keeps_the_server_out_until_it_clears() -> None:
    core = VirtualServerCore(virtual(real(8080, file_check(0, reverse=True), weight=2)))
    out = core.start({"tf": 0})  # reversed: 0 is the fault
    assert ipvs(out) == []
    assert not core.servers[0].alive
    out = core.file_value("tf", 1)
    assert ipvs(out) == [("AddDest", 8080, 2)]
    assert core.servers[0].alive


def test_a_faulted_weighted_track_file_comes_back_with_its_new_weight() -> None:
    spec = virtual(real(8080, file_check(3), tcp(8080), weight=1))
    core, _ = started(spec, 0.0)
    fail(core, 1)  # the TCP checker takes the server out
    out = core.file_value("tf", 2)  # weight changes while the server is out
    assert logs(out) == [f"Changing weight from 1 to 7 for inactive service {RS1} of VS {VS}"]
    assert ipvs(out) == []
    out = recover(core, 1)
    assert ipvs(out) == [("AddDest", 8080, 7)]


def test_a_weighted_track_file_at_int_min_is_a_fault() -> None:
    core = VirtualServerCore(virtual(real(8080, file_check(1))))
    core.start({"tf": 5})
    out = core.file_value("tf", -INT_MAX - 1)
    assert details(out) == [f"({RS1}): tracked file tf now FAULT state"]
    assert ipvs(out) == [("DelDest", 8080, 6)]
    assert not core.servers[0].alive
    assert ipvs(core.file_value("tf", 2)) == [("AddDest", 8080, 3)]


@pytest.mark.parametrize(("value", "weight", "reverse", "status"), [
    (0, 0, False, 0), (1, 0, False, None), (-1, 0, False, None),
    (0, 0, True, None), (5, 0, True, 0),
    (3, 2, False, 6), (3, 2, True, -6), (-3, 2, False, -6),
    (INT_MAX, 2, False, INT_MAX), (INT_MAX, 1, True, -INT_MAX),
    # at or below INT_MIN keepalived's weight_range gives IPVS_WEIGHT_FAULT: a fault
    (-INT_MAX - 1, 1, False, None), (INT_MAX, 2, True, None),
])
def test_file_status_is_keepalived_s_track_file_weight(value: int, weight: int, reverse: bool,
                                                      status: int | None) -> None:
    assert file_status(value, weight, reverse) == status


# ---------------------------------------------------------------------------- IPVS errors

SERVICE = ServiceSpec(4, PROTOCOLS["TCP"], ip_address("192.0.2.100"), 80)
DEST = DestSpec(ip_address("192.0.2.10"), 8080)
V6 = ServiceSpec(6, PROTOCOLS["UDP"], ip_address("2001:db8::100"), 53)
V6_DEST = DestSpec(ip_address("2001:db8::10"), 5353)


@pytest.mark.parametrize(("action", "code", "line"), [
    (AddService(SERVICE), 17, "IPVS cmd IP_VS_SO_SET_ADD(1154) error: Service already"
                              " exists(17) (192.0.2.100:tcp:80)"),
    (AddService(SERVICE), 2, "IPVS cmd IP_VS_SO_SET_ADD(1154) error: Scheduler or persistence"
                             " engine not found(2) (192.0.2.100:tcp:80)"),
    (EditService(SERVICE), 2, "IPVS cmd IP_VS_SO_SET_EDIT(1155) error: Scheduler or"
                              " persistence engine not found(2) (192.0.2.100:tcp:80)"),
    (EditService(SERVICE), 17, "IPVS cmd IP_VS_SO_SET_EDIT(1155) error: File exists(17)"
                               " (192.0.2.100:tcp:80)"),
    (DelService(SERVICE), 3, "IPVS cmd IP_VS_SO_SET_DEL(1156) error: No such service(3)"
                             " (192.0.2.100:tcp:80)"),
    (AddDest(SERVICE, DEST), 17, "IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Destination"
                                 " already exists(17) (192.0.2.100:tcp:80 -> 192.0.2.10:8080)"),
    (AddDest(SERVICE, DEST), 2, "IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: No such file or"
                                " directory(2) (192.0.2.100:tcp:80 -> 192.0.2.10:8080)"),
    (DelDest(SERVICE, DEST), 2, "IPVS cmd IP_VS_SO_SET_DELDEST(1160) error: No such"
                                " destination(2) (192.0.2.100:tcp:80 -> 192.0.2.10:8080)"),
    (EditDest(SERVICE, DEST), 2, "IPVS cmd IP_VS_SO_SET_EDITDEST(1161) error: No such"
                                 " destination(2) (192.0.2.100:tcp:80 -> 192.0.2.10:8080)"),
    (EditDest(SERVICE, DEST), 1, "IPVS cmd IP_VS_SO_SET_EDITDEST(1161) error: Permission"
                                 " denied (you must be root)(1)"
                                 " (192.0.2.100:tcp:80 -> 192.0.2.10:8080)"),
    (AddService(SERVICE), 22, "IPVS cmd IP_VS_SO_SET_ADD(1154) error: Invalid operation."
                              "  Possibly wrong module version, address not unicast,"
                              " ...(22) (192.0.2.100:tcp:80)"),
    (AddService(ServiceSpec(4, 0, fwmark=5)), 12, "IPVS cmd IP_VS_SO_SET_ADD(1154) error:"
                                                  " Memory allocation problem(12) (Fwm 5)"),
    (AddDest(ServiceSpec(6, 0, fwmark=5), V6_DEST), 95,
     "IPVS cmd IP_VS_SO_SET_ADDDEST(1159) error: Operation not supported with IPv6(95)"
     " (Fwm 5 inet6 -> 2001:db8::10:5353)"),
    (DelDest(V6, V6_DEST), 97, "IPVS cmd IP_VS_SO_SET_DELDEST(1160) error: Operation not"
                               " supported with specified address family(97)"
                               " (2001:db8::100:udp:53 -> 2001:db8::10:5353)"),
    (AddService(ServiceSpec(4, PROTOCOLS["SCTP"], ip_address("192.0.2.100"), 9)), 92,
     "IPVS cmd IP_VS_SO_SET_ADD(1154) error: Protocol not available(92)"
     " (192.0.2.100:sctp:9)"),
    (AddService(SERVICE), 90, "IPVS cmd IP_VS_SO_SET_ADD(1154) error: Module is wrong"
                              " version(90) (192.0.2.100:tcp:80)"),
    (AddService(SERVICE), 16, "IPVS cmd IP_VS_SO_SET_ADD(1154) error: Device or resource"
                              " busy(16) (192.0.2.100:tcp:80)"),
    (AddService(SERVICE), 250, "IPVS cmd IP_VS_SO_SET_ADD(1154) error: Unknown error 250(250)"
                               " (192.0.2.100:tcp:80)"),
])
def test_an_ipvs_error_is_logged_in_keepalived_s_words(action: Any, code: int,
                                                      line: str) -> None:
    assert messages.ipvs_error(action, code) == line


@pytest.mark.parametrize(("code", "text"), [
    (3, "No such process"), (17, "File exists"), (19, "No such device"),
    (22, "Invalid argument"), (95, "Operation not supported"),
    (105, "No buffer space available"), (7, "Unknown error 7"),
])
def test_os_error_is_strerror(code: int, text: str) -> None:
    assert messages.os_error(code) == text


# ---------------------------------------------------------------------------- ha_suspend


def test_ha_suspend_follows_the_count_of_vip_copies() -> None:
    """update_checker_activity: checks run while the host holds the VIP at least once;
    losing one of two copies changes nothing, losing the last suspends them. A
    FILE_CHECK is never deactivated at start (it is not launched) but is suspended and
    activated with the others, each with its line, as keepalived 2.2.7 does."""
    spec = virtual(real(8080, tcp(8080), file_check(0)), ha_suspend=True)
    core, out = started(spec)
    assert logs(out)[1:] == [f"Deactivating healthchecker for service {RS1} for VS {VS}"]
    activating = f"Activating healthchecker for service {RS1} for VS {VS}"
    suspending = f"Suspending healthchecker for service {RS1} for VS {VS}"
    assert logs(core.address_count(2)) == [activating]
    assert core.address_count(1) == []
    assert core.address_count(3) == []
    assert logs(core.address_count(0)) == [suspending, suspending]
    assert core.address_count(0) == []
    assert [c.enabled for c in core.checkers] == [False, False]
    assert logs(core.address_count(1)) == [activating, activating]
    assert core.file_value("tf", 1) != []  # a track file is followed whatever the count


def test_a_reload_keeps_the_vip_count_so_checks_stay_active() -> None:
    spec = virtual(real(8080, tcp(8080)), ha_suspend=True)
    core, _ = started(spec)
    core.address_count(1)
    new, migrated, _ = reload.carry(spec, core)
    new.restart()
    assert logs(new.register(10.0, lambda: 0.0, migrated=migrated)) == [
        f"Activating healthchecker for service {RS1} for VS {VS}"]


def test_without_ha_suspend_the_vip_count_changes_nothing() -> None:
    core, _ = started(virtual(real(8080, tcp(8080))))
    assert core.address_count(1) == []
    assert core.address_count(0) == []
    assert core.checkers[0].enabled


def test_a_suspended_checker_waits_a_delay_loop_each_time() -> None:
    core, _ = started(virtual(real(8080, tcp(8080)), ha_suspend=True))
    assert core.due(1.0) == []
    assert core.next_deadline() == 4.0


# ---------------------------------------------------------------------------- sorry server


def test_a_sorry_server_that_is_also_a_real_server_is_not_programmed_twice() -> None:
    spec = virtual(real(8080, tcp(8080)), sorry_server=real(8080), sorry_server_inhibit=True)
    core, out = started(spec)
    assert ipvs(out) == [("AddDest", 8080, 1)]
    assert core.sorry is not None
    assert core.sorry.set
    assert ipvs(core.stop()) == [("DelDest", 8080, 1)]
    assert not core.sorry.set


def test_an_inhibited_sorry_server_waits_at_weight_zero_and_leaves_at_stop() -> None:
    spec = virtual(real(8080, tcp(8080)), sorry_server=real(9999), sorry_server_inhibit=True)
    core, out = started(spec)
    assert ipvs(out) == [("AddDest", 8080, 1), ("AddDest", 9999, 0)]
    out = fail(core, 0)
    assert logs(out)[-2:] == [f"Enabling sorry server [192.0.2.10]:tcp:9999 to VS {VS}",
                              f"Removing alive servers from the pool for VS {VS}"]
    assert ipvs(out) == [("DelDest", 8080, 1), ("EditDest", 9999, 1)]
    out = recover(core, 0)
    assert logs(out)[-2:] == [f"Disabling sorry server [192.0.2.10]:tcp:9999 from VS {VS}",
                              f"Adding alive servers to the pool for VS {VS}"]
    assert ipvs(out) == [("EditDest", 9999, 0), ("AddDest", 8080, 1)]
    assert ipvs(core.stop()) == [("DelDest", 9999, 1), ("DelDest", 8080, 1)]


def test_a_weight_change_waits_while_the_sorry_server_holds_the_pool() -> None:
    """update_svr_wgt edits IPVS only with quorum (or no sorry server in use): an
    inhibited server left at weight 0 by the sorry server must stay there."""
    spec = virtual(real(8080, file_check(1), inhibit_on_failure=True),
                   real(8081, tcp(8081), inhibit_on_failure=True), quorum=2,
                   sorry_server=real(9999))
    core = VirtualServerCore(spec)
    core.start({"tf": 0})
    core.register(0.0, lambda: 0.0)
    assert ipvs(fail(core, 1)) == [("EditDest", 8081, 0), ("EditDest", 8080, 0),
                                   ("AddDest", 9999, 1)]
    out = core.file_value("tf", -1)
    assert logs(out) == [f"Changing weight from 1 to 0 for active service {RS1} of VS {VS}"]
    assert ipvs(out) == []
    out = core.file_value("tf", 1)  # 2 >= 2: quorum back, the pool at its new weights
    assert ipvs(out) == [("DelDest", 9999, 1), ("EditDest", 8080, 2)]
