"""A reload of one virtual server at the core: services, real servers, checkers and the
sorry server diffed as keepalived 2.2.7's clear_diff_services does (ipwrapper.c
clear_diff_vsge, sync_service_vsg_entry, clear_diff_rs, migrate_checkers,
clear_diff_s_srv, then init_service_vs and check_new_rs_state).
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any

from pykeepalived.check import reload
from pykeepalived.check.actions import (
    AddDest,
    AddService,
    DelService,
    EditDest,
    EditService,
    FifoLine,
    Log,
    RunProbe,
    RunScript,
    SmtpAlert,
)
from pykeepalived.check.lvs import PROTOCOLS, DestSpec, Forwarding, ServiceSpec, TunnelType
from pykeepalived.check.params import CheckerKind, FileProbe
from pykeepalived.check.pool import VirtualServerCore
from pykeepalived.check.results import ProbeResult
from pykeepalived.commands import ScriptCommand
from tests.unit.check.servers import checker, http, ipvs, logs, real, service, started, tcp, virtual

if TYPE_CHECKING:
    from pykeepalived.check.params import VirtualServerSpec

VS = "[192.0.2.100]:tcp:80"
RS1 = "[192.0.2.10]:tcp:8080"
SORRY = "[192.0.2.10]:tcp:9999"
OK = ProbeResult.success()
TIMEOUT = ProbeResult.failure("timeout")
RS_DOWN = ScriptCommand(("/bin/rs-down",))


def fail(core: VirtualServerCore, index: int = 0, now: float = 1.0) -> list[Any]:
    core.due(now)
    return core.probe_done(index, TIMEOUT, now)


def reloaded(old: VirtualServerCore, spec: VirtualServerSpec,
             now: float = 10.0) -> tuple[VirtualServerCore, list[Any]]:
    """What the driver does for a virtual server the reload keeps."""
    new, migrated, out = reload.carry(spec, old)
    out += new.restart()
    out += new.register(now, lambda: 0.0, migrated=migrated)
    return new, out


def activating(rs: str = RS1) -> str:
    return f"Activating healthchecker for service {rs} for VS {VS}"


# ---------------------------------------------------------------------------- group entries


def group(*services: ServiceSpec) -> VirtualServerSpec:
    spec = virtual(real(8080, tcp(8080)))
    return replace(spec, label="[web]:0", group="web", key=("group", "web", 0),
                   services=services)


def at(address: str, scheduler: str = "rr") -> ServiceSpec:
    return ServiceSpec(4, PROTOCOLS["TCP"], ip_address(address), 80, scheduler=scheduler)


FWM7 = ServiceSpec(4, 0, fwmark=7, scheduler="rr")


def test_group_entries_that_came_and_went_are_the_only_services_touched() -> None:
    old, _ = started(group(at("192.0.2.100"), at("192.0.2.101"), FWM7))
    new_spec = group(at("192.0.2.101", scheduler="wlc"), at("192.0.2.102"))
    dest = DestSpec(ip_address("192.0.2.10"), 8080)
    _, _, out = reload.carry(new_spec, old)
    assert out == [
        Log("VS [[192.0.2.100]:tcp:80] in group web no longer exists"),
        DelService(at("192.0.2.100")),
        Log("VS [7] in group web no longer exists"),
        DelService(FWM7),
        EditService(at("192.0.2.101", scheduler="wlc")),
        Log("VS [[192.0.2.102]:tcp:80] added into group web"),
        AddService(at("192.0.2.102")),
        AddDest(at("192.0.2.102"), dest),
    ]
    _, _, out = reload.carry(group(at("192.0.2.100"), FWM7), started(new_spec)[0])
    assert out[-3:] == [Log("VS [FWM 7] added into group web"), AddService(FWM7),
                        AddDest(FWM7, dest)]


def test_a_new_group_entry_gets_only_the_servers_in_ipvs_at_their_weight() -> None:
    spec = replace(group(at("192.0.2.100")), real_servers=(
        real(8080, tcp(8080), weight=3), real(8081, tcp(8081), inhibit_on_failure=True),
        real(8082, tcp(8082))))
    old, _ = started(spec)
    fail(old, 1)  # inhibited: kept in IPVS at weight 0
    fail(old, 2)  # removed
    _, _, out = reload.carry(replace(spec, services=(at("192.0.2.100"), at("192.0.2.101"))),
                             old)
    assert [(a.dest.port, a.dest.weight) for a in out if isinstance(a, AddDest)] == [
        (8080, 3), (8081, 0)]


def test_removing_a_group_virtual_server_names_the_group() -> None:
    old, _ = started(group(at("192.0.2.100")))
    assert reload.remove(old)[0] == Log("Removing Virtual Server Group [web]")


def test_an_unchanged_virtual_server_costs_nothing() -> None:
    spec = virtual(real(8080, tcp(8080)), real(8081, tcp(8081)))
    old, _ = started(spec)
    fail(old, 1)
    new, out = reloaded(old, spec)
    assert logs(out) == [activating(), activating("[192.0.2.10]:tcp:8081")]
    assert [a for a in out if not isinstance(a, Log)] == []
    assert (new.servers[0].alive, new.servers[1].alive, new.quorum_up) == (True, False, True)


# ---------------------------------------------------------------------------- real servers


def test_a_removed_server_is_notified_and_the_lost_quorum_said() -> None:
    spec = virtual(real(8080, tcp(8080), notify_down=RS_DOWN), smtp_alert=True)
    old, _ = started(spec)
    _, out = reloaded(old, replace(spec, real_servers=()))
    assert logs(out)[:2] == [f"service {RS1} no longer exist",
                             f"Removing service {RS1} from VS {VS}"]
    assert ipvs(out) == [("DelDest", 8080, 1)]
    assert [a for a in out if isinstance(a, RunScript | FifoLine | SmtpAlert)][:5] == [
        RunScript(RS_DOWN, False, "notify_down", f"RS {RS1} of VS {VS}"),
        FifoLine(f"RS {RS1} {VS} DOWN\n"),
        SmtpAlert(f"Realserver {RS1} of virtual server {VS} - DOWN", "=> Removing <="),
        FifoLine(f"VS {VS} DOWN\n"),
        SmtpAlert(f"Virtualserver {VS} - DOWN", "=> Lost quorum 1+0=1 <= 0 <="),
    ]


def test_a_new_server_joins_unless_its_checker_is_alpha() -> None:
    old, _ = started(virtual(real(8080, tcp(8080))))
    spec = virtual(real(8080, tcp(8080)), real(8081, tcp(8081)),
                   real(8082, tcp(8082, alpha=True)),
                   real(8083, tcp(8083, alpha=True), inhibit_on_failure=True))
    new, out = reloaded(old, spec)
    assert ipvs(out) == [("AddDest", 8081, 1), ("AddDest", 8083, 0)]
    assert [rs.alive for rs in new.servers] == [True, True, False, False]
    assert [c.is_up for c in new.checkers] == [True, True, False, False]
    assert [rs.failed for rs in new.servers] == [0, 0, 1, 1]


def test_a_kept_servers_new_weight_is_one_edit() -> None:
    old, _ = started(virtual(real(8080, tcp(8080))))
    new, out = reloaded(old, virtual(real(8080, tcp(8080), weight=4)))
    assert logs(out)[0] == f"Changing weight from 1 to 4 for active service {RS1} of VS {VS}"
    assert ipvs(out) == [("EditDest", 8080, 4)]
    assert new.servers[0].effective == 4


def test_a_down_servers_new_weight_waits_for_it_to_come_back() -> None:
    old, _ = started(virtual(real(8080, tcp(8080))))
    fail(old)
    new, out = reloaded(old, virtual(real(8080, tcp(8080), weight=4)))
    assert logs(out)[0] == f"Changing weight from 1 to 4 for inactive service {RS1} of VS {VS}"
    assert ipvs(out) == []
    new.due(11.0)
    assert ipvs(new.probe_done(0, OK, 11.0)) == [("AddDest", 8080, 4)]


def test_a_forwarding_change_edits_the_destination() -> None:
    old, _ = started(virtual(real(8080, tcp(8080))))
    _, out = reloaded(old, virtual(real(8080, tcp(8080), forwarding=Forwarding.TUN,
                                        tunnel_type=TunnelType.GUE, tunnel_port=6080)))
    assert [a for a in out if not isinstance(a, Log)] == [EditDest(service(), DestSpec(
        ip_address("192.0.2.10"), 80, Forwarding.TUN, 1, tunnel_type=TunnelType.GUE,
        tunnel_port=6080))]
    old, _ = started(virtual(real(8080, tcp(8080), forwarding=Forwarding.TUN,
                                  tunnel_type=TunnelType.GUE, tunnel_port=6080)))
    _, out = reloaded(old, virtual(real(8080, tcp(8080), forwarding=Forwarding.TUN,
                                        tunnel_type=TunnelType.GUE, tunnel_port=6081)))
    assert [type(a) for a in out if not isinstance(a, Log)] == [EditDest]


def test_a_down_server_whose_failing_checker_went_comes_back_at_once() -> None:
    """migrate_checkers: no failed checker left, so the server must be up."""
    old, _ = started(virtual(real(8080, tcp(8080))))
    fail(old)
    new, out = reloaded(old, virtual(real(8080, tcp(8082))))
    assert logs(out) == [f"Adding service {RS1} to VS {VS}",
                         f"Gained quorum 1+0=1 <= 1 for VS {VS}", activating()]
    assert ipvs(out) == [("AddDest", 8080, 1)]
    assert new.checkers[0].retry_it == 1  # the new checker: one failure is enough


def test_a_new_alpha_checker_keeps_a_down_server_down_until_it_succeeds() -> None:
    """set_checker_state: the alpha checker counts as failed (keepalived 2.2.7's
    num_failed_checkers), so the server does not come back on the reload alone."""
    old, _ = started(virtual(real(8080, tcp(8080))))
    fail(old)
    new, out = reloaded(old, virtual(real(8080, tcp(8082, alpha=True))))
    assert logs(out) == [activating()]
    assert ipvs(out) == []
    assert (new.servers[0].alive, new.servers[0].failed) == (False, 1)
    assert new.checkers[0].is_up is False
    new.due(11.0)
    out = new.probe_done(0, OK, 11.0)
    assert logs(out)[1:] == [f"Adding service {RS1} to VS {VS}",
                             f"Gained quorum 1+0=1 <= 1 for VS {VS}"]


def test_a_new_alpha_checker_beside_a_failed_one_must_pass_too() -> None:
    old, _ = started(virtual(real(8080, tcp(8080), tcp(8081))))
    fail(old, 0)
    new, _ = reloaded(old, virtual(real(8080, tcp(8080), tcp(8082, alpha=True))))
    assert new.servers[0].failed == 2
    new.due(11.0)
    assert ipvs(new.probe_done(0, OK, 11.0)) == []  # the carried checker recovers
    assert not new.servers[0].alive
    assert ipvs(new.probe_done(1, OK, 11.0)) == [("AddDest", 8080, 1)]


def test_a_new_alpha_checker_on_an_alive_server_does_not_take_it_down() -> None:
    old, _ = started(virtual(real(8080, tcp(8080))))
    new, out = reloaded(old, virtual(real(8080, tcp(8080), tcp(8082, alpha=True))))
    assert ipvs(out) == []
    assert (new.servers[0].alive, new.servers[0].failed) == (True, 0)


def test_inhibit_on_failure_switched_by_a_reload_moves_a_down_server() -> None:
    old, _ = started(virtual(real(8080, tcp(8080))))
    fail(old)
    new, out = reloaded(old, virtual(real(8080, tcp(8080), inhibit_on_failure=True)))
    assert ipvs(out) == [("AddDest", 8080, 0)]  # back in IPVS, at weight 0
    _, out = reloaded(new, virtual(real(8080, tcp(8080))), now=20.0)
    assert ipvs(out) == [("DelDest", 8080, 1)]


def test_an_inhibited_down_server_stays_at_weight_zero() -> None:
    spec = virtual(real(8080, tcp(8080), inhibit_on_failure=True))
    old, _ = started(spec)
    fail(old)
    new, out = reloaded(old, spec)
    assert ipvs(out) == []
    assert (new.servers[0].set, new.servers[0].alive) == (True, False)


def test_a_reload_carries_a_track_files_weight() -> None:
    file_check = checker(CheckerKind.FILE, FileProbe("tf", "/run/tf", 2))
    spec = virtual(real(8080, file_check, weight=3))
    old = VirtualServerCore(spec)
    old.start({"tf": 3})
    new, out = reloaded(old, spec)
    assert (ipvs(out), new.servers[0].effective) == ([], 9)
    assert ipvs(new.file_value("tf", 0)) == [("EditDest", 8080, 3)]


def test_retry_progress_is_cut_to_the_new_retry_less_one() -> None:
    spec = virtual(real(8080, tcp(8080, retry=3)))
    old, _ = started(spec)
    old.due(1.0)
    old.probe_done(0, OK, 1.0)
    for now in (4.0, 5.0):
        old.due(now)
        old.probe_done(0, TIMEOUT, now)
    assert old.checkers[0].retry_it == 2
    for retry, carried in ((2, 1), (5, 2)):
        new, _ = reloaded(old, virtual(real(8080, tcp(8080, retry=retry))))
        assert new.checkers[0].retry_it == carried


# ---------------------------------------------------------------------------- sorry server


def sorry_spec(port: int = 9999, **options: Any) -> VirtualServerSpec:
    return virtual(real(8080, tcp(8080)), sorry_server=real(port), **options)


def test_an_unchanged_sorry_server_in_use_stays_untouched() -> None:
    old, _ = started(sorry_spec())
    assert ipvs(fail(old)) == [("DelDest", 8080, 1), ("AddDest", 9999, 1)]
    new, out = reloaded(old, sorry_spec())
    assert logs(out) == [activating()]
    assert ipvs(out) == []
    assert new.sorry is not None
    assert (new.sorry.alive, new.sorry.set, new.quorum_up) == (True, True, False)
    new.due(11.0)
    out = new.probe_done(0, OK, 11.0)
    assert ipvs(out) == [("DelDest", 9999, 1), ("AddDest", 8080, 1)]


def test_a_changed_sorry_server_in_use_is_replaced() -> None:
    old, _ = started(sorry_spec())
    fail(old)
    _, out = reloaded(old, sorry_spec(9998))
    assert logs(out)[:4] == [
        f"Removing sorry server {SORRY} from VS {VS}",
        f"Starting with quorum down 1-0=1 > 0 for VS {VS}",
        f"Adding sorry server [192.0.2.10]:tcp:9998 to VS {VS}",
        f"Removing alive servers from the pool for VS {VS}",
    ]
    assert ipvs(out) == [("DelDest", 9999, 1), ("AddDest", 9998, 1)]


def test_a_sorry_server_not_in_use_leaves_quietly() -> None:
    old, _ = started(sorry_spec())
    _, out = reloaded(old, virtual(real(8080, tcp(8080))))
    assert logs(out) == [activating()]
    assert ipvs(out) == []


def test_a_dropped_inhibited_sorry_server_leaves_ipvs() -> None:
    old, out = started(sorry_spec(sorry_server_inhibit=True))
    assert ipvs(out) == [("AddDest", 8080, 1), ("AddDest", 9999, 0)]
    _, out = reloaded(old, virtual(real(8080, tcp(8080))))
    assert logs(out) == [f"Removing sorry server {SORRY} from VS {VS}", activating()]
    assert ipvs(out) == [("DelDest", 9999, 1)]


def test_without_a_sorry_server_before_there_is_nothing_to_clear() -> None:
    old, _ = started(virtual(real(8080, tcp(8080))))
    assert old.remove_sorry() == []
    _, out = reloaded(old, sorry_spec())
    assert ipvs(out) == []


def test_a_reload_carries_an_http_checkers_place_in_its_urls() -> None:
    spec = virtual(real(8080, http(8080, ("/a", "/b"), retry=0)))
    old, _ = started(spec)
    old.due(1.0)
    old.probe_done(0, ProbeResult.success(url=0), 1.0)
    new, _ = reloaded(old, spec)
    assert new.due(11.0) == [RunProbe(0, 1)]
    # down with /b failed: after the reload /b passing starts a whole pass again
    new.probe_done(0, ProbeResult.failure("Connection failed", url=1), 11.0)
    assert not new.servers[0].alive
    newer, _ = reloaded(new, spec, now=20.0)
    assert newer.due(21.0) == [RunProbe(0, 1)]
    out = newer.probe_done(0, ProbeResult.success(url=1), 21.0)
    assert logs(out) == [f"HTTP status code success to {RS1} url(/b)"]
    assert newer.due(24.0) == [RunProbe(0, 0)]


def test_a_down_server_stays_down_when_only_its_checkers_timing_changes() -> None:
    """keepalived compares what a checker probes, not when: the verdict is kept."""
    old, _ = started(virtual(real(8080, tcp(8080))))
    fail(old)
    new, out = reloaded(old, virtual(real(8080, tcp(8080, delay_loop=9.0, retry=4))))
    assert ipvs(out) == []
    assert not new.servers[0].alive
    assert (new.checkers[0].is_up, new.checkers[0].has_run) == (False, True)
