"""keepalived's validation pass (link_vsg_to_vs, validate_check_config, script security),
in its words and its order, and what it leaves in the model."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived.config.diagnostics import Kind, config_status, exit_code
from pykeepalived.config.model_check import Forwarding

from .checks import HEAD, HOST, SCRIPT, TCP_RS, errors, found, load, only_rs, only_vs, rs, vs

if TYPE_CHECKING:
    from pykeepalived.config.host import HostFacts

G = Kind.GENERAL_ERROR
BARE = "virtual_server 192.0.2.100 80 {\n"


def unlocated(text: str) -> list[str]:
    return [message for _, message, line in errors(text) if not line]


def test_a_virtual_server_without_real_servers_is_dropped() -> None:
    result = load(vs(servers=""))
    assert result.config is not None
    assert result.config.virtual_servers == ()
    assert found(result) == [(G, "Virtual server [192.0.2.100]:tcp:80 has no real servers"
                                 " - ignoring", 0)]


def test_defaults_are_set_with_keepalived_warnings() -> None:
    text = BARE + TCP_RS + "}\n"
    assert unlocated(text) == [
        "Virtual server [192.0.2.100]:none:80: no protocol set - defaulting to UDP",
        "Virtual server [192.0.2.100]:udp:80: no scheduler set, setting default 'wlc'",
        "Virtual server [192.0.2.100]:udp:80: no forwarding method set, setting default NAT"]
    server = only_vs(text)
    assert (server.protocol, server.scheduler, server.forwarding) == (17, "wlc", Forwarding())
    assert server.real_servers[0].forwarding == Forwarding()


def test_one_packet_scheduling_needs_udp() -> None:
    text = vs(" ops\n")
    assert unlocated(text) == ["Virtual server [192.0.2.100]:tcp:80: one packet scheduling"
                               " requires UDP - resetting"]
    assert only_vs(text).flags == 0
    assert only_vs(vs(" ops\n protocol UDP\n")).flags == 0x4


def test_a_port_less_service_becomes_persistent() -> None:
    text = vs(head=HEAD.replace("192.0.2.100 80", "192.0.2.100"))
    assert unlocated(text) == ["Virtual server [192.0.2.100]:tcp:0: zero port only valid for"
                               " persistent services - setting"]
    assert only_vs(text).persistence_timeout == 360


def test_fwmark_rules() -> None:
    text = ("virtual_server fwmark 5 {\n protocol TCP\n ha_suspend\n lb_kind DR\n"
            " sorry_server 192.0.2.99 99\n quorum 10\n hysteresis 10\n"
            " real_server 192.0.2.10 80 {\n  weight 3\n }\n}\n")
    assert unlocated(text) == [
        "Virtual server FWM 5: cannot use ha_suspend with fwmarks - clearing ha_suspend",
        "Warning: Virtual server FWM 5: protocol specified for fwmark - protocol will be"
        " ignored",
        "Virtual server FWM 5: no scheduler set, setting default 'wlc'",
        "Warning - quorum 10 for FWM 5 exceeds total weight of real servers 3, reducing"
        " quorum to 3",
        "Virtual server FWM 5: hysteresis 10 >= quorum 3; setting hysteresis to 2",
        "WARNING - fwmark virtual server FWM 5, real server [192.0.2.10]:none:80 has port"
        " specified - clearing",
        "WARNING - virtual server FWM 5, sorry server has port specified - clearing"]
    server = only_vs(text)
    assert (server.protocol, server.ha_suspend, server.quorum, server.hysteresis) == (0, False,
                                                                                      3, 2)
    assert server.real_servers[0].port == 0
    assert server.sorry_server is not None
    assert server.sorry_server.port == 0


def test_weightless_pool_sets_quorum_zero_and_hysteresis_wraps() -> None:
    text = vs(servers=rs("  weight 0\n"))
    assert unlocated(text) == [
        "Warning - quorum 1 for [192.0.2.100]:tcp:80 exceeds total weight of real servers 0,"
        " reducing quorum to 0",
        "Virtual server [192.0.2.100]:tcp:80: hysteresis 0 >= quorum 0; setting hysteresis to"
        " 4294967295"]


def test_duplicates_and_the_sorry_server_inhibit() -> None:
    text = vs(" sorry_server 192.0.2.10 8080\n", rs("  inhibit_on_failure\n") + rs(""))
    assert unlocated(text) == [
        "Virtual server [192.0.2.100]:tcp:80: real server [192.0.2.10]:tcp:8080 matches sorry"
        " server, but inhibit setting differs, setting on sorry server",
        "VS [192.0.2.100]:tcp:80: real server [192.0.2.10]:tcp:8080 is duplicated - removing"
        " second rs"]
    server = only_vs(text)
    assert len(server.real_servers) == 1
    assert server.sorry_server is not None
    assert server.sorry_server.inhibit


def test_ports_of_non_nat_servers() -> None:
    text = (HEAD.replace("lb_kind NAT", "lb_kind DR") + " sorry_server 192.0.2.99 81\n"
            + rs("") + rs("", "192.0.2.11") + "}\n")
    assert unlocated(text) == [
        "WARNING - virtual server [192.0.2.100]:tcp:80 and real server [192.0.2.10]:tcp:8080"
        " ports don't match - resetting",
        "WARNING - virtual server [192.0.2.100]:tcp:80 and sorry server ports don't match"
        " - resetting"]
    first, second = only_vs(text).real_servers
    assert (first.port, first.written_port, second.port) == (80, 8080, 80)


def test_a_nat_real_server_without_port_takes_the_service_port() -> None:
    server = only_rs(vs(servers=rs("", "192.0.2.10")))
    assert (server.port, server.written_port) == (80, 0)


GROUP = ("virtual_server_group G4 {\n 192.0.2.1 80\n 192.0.2.2\n fwmark 9\n}\n"
         "virtual_server group G4 {\n ha_suspend\n lb_algo rr\n lb_kind DR\n"
         " real_server 192.0.2.10 81 {\n }\n sorry_server 192.0.2.99 82\n}\n")


def test_group_services_only_warn_about_ports() -> None:
    assert unlocated(GROUP) == [
        "Virtual server [G4]:0: cannot use ha_suspend with fwmarks - clearing ha_suspend",
        "Virtual server [G4]:0: no protocol set - defaulting to UDP",
        "Virtual server [G4]:0: zero port only valid for persistent services - setting",
        "WARNING - fwmark virtual server [G4]:0, real server [192.0.2.10]:udp:81 has port"
        " specified - port will be ignored",
        "WARNING - fwmark virtual server [G4]:0, sorry server has port specified - port will"
        " be ignored",
        "virtual server [G4]:0:[192.0.2.1,80] and real server [192.0.2.10]:udp:81 ports don't"
        " match",
        "WARNING - virtual server [G4]:0, sorry server has port specified - port will be"
        " ignored",
        "virtual server [G4]:0:[192.0.2.2,0] and real server [192.0.2.10]:udp:81 ports don't"
        " match",
        "WARNING - virtual server [G4]:0, sorry server has port specified - port will be"
        " ignored"]
    assert only_rs(GROUP).port == 81


def test_group_links_and_sequence_numbers() -> None:
    group = "virtual_server_group G {\n 192.0.2.1 80\n}\n"
    server = " lb_algo rr\n lb_kind NAT\n protocol TCP\n" + TCP_RS
    text = (group + "virtual_server group G {\n" + server + "}\n"
            + "virtual_server group NOPE {\n" + server + "}\n"
            + "virtual_server group G {\n" + server + "}\n")
    result = load(text)
    assert result.config is not None
    assert [v.label for v in result.config.virtual_servers] == ["[G]:0", "[G]:1"]
    assert found(result, with_ok=True) == [
        (Kind.OK, "Virtual server group NOPE specified but not configured - ignoring virtual"
                  " server [NOPE]:0", 0)]


def test_group_family_mismatch_is_logged_only() -> None:
    text = ("virtual_server_group G {\n 2001:db8::1 80\n}\nvirtual_server group G {\n"
            " lb_algo rr\n lb_kind NAT\n protocol TCP\n" + TCP_RS + "}\n")
    result = load(text)
    assert result.config is not None
    assert result.config.virtual_servers == ()
    assert found(result, with_ok=True) == [
        (Kind.OK, "G: address family doesn't match virtual server [G]:0 - ignoring", 0)]


def test_smtp_alert_defaults() -> None:
    server = only_vs(vs())
    assert (server.smtp_alert, server.real_servers[0].smtp_alert) == (False, True)
    text = "global_defs {\n smtp_alert\n smtp_alert_checker off\n}\n" + vs()
    server = only_vs(text)
    assert (server.smtp_alert, server.real_servers[0].smtp_alert) == (False, False)


def verdict(text: str, host: HostFacts = HOST) -> int:
    result = load(text, host)
    return exit_code(config_status(list(result.diagnostics)))


MISC = rs(f"  MISC_CHECK {{\n   misc_path {SCRIPT}\n  }}\n")
SECURE = "global_defs {\n enable_script_security\n script_user root\n}\n"


def test_check_scripts_need_script_security() -> None:
    assert unlocated(vs(servers=MISC)) == [
        "SECURITY VIOLATION - check scripts are being executed but script_security not"
        " enabled."]
    assert verdict(vs(servers=MISC)) == 6
    assert verdict(SECURE + vs(servers=MISC)) == 0
    insecure = rs("  notify_up /tmp/bad.sh\n")
    assert unlocated(vs(servers=insecure))[-1].endswith(" There are insecure scripts.")


def test_missing_or_insecure_misc_scripts_are_disabled_with_a_log_line() -> None:
    missing = vs(servers=rs("  MISC_CHECK {\n   misc_path /nonexistent.sh\n  }\n"))
    result = load(missing)
    assert found(result, with_ok=True) == [
        (Kind.OK, "Disabling misc script '/nonexistent.sh' since not found/accessible", 0)]
    assert only_rs(missing).checkers == ()
    insecure = SECURE + vs(servers=rs("  MISC_CHECK {\n   misc_path /tmp/bad.sh\n  }\n"))
    assert (Kind.OK, "Disabling misc script '/tmp/bad.sh' due to insecure", 0) in found(
        load(insecure), with_ok=True)
    assert verdict(insecure) == 0


def test_default_script_user_under_script_security() -> None:
    text = "global_defs {\n enable_script_security\n}\n" + vs(servers=MISC)
    assert errors(text) == [
        (G, "Unable to set default user keepalived_script for script", 11),
        (G, f"Unable to set default user for misc script '{SCRIPT}' - removing", 11)]
    assert verdict(text, replace(HOST, users=HOST.users | {"keepalived_script"})) == 0


def test_notify_scripts_that_cannot_run_are_dropped() -> None:
    server = only_rs(vs(servers=rs("  notify_up /nonexistent.sh\n  notify_down /bin/true\n")))
    assert server.notify_up is None
    assert server.notify_down is not None
    assert server.notify_down.path == "/bin/true"


def test_a_dropped_virtual_server_is_not_validated() -> None:
    text = vs(servers="") + BARE + "}\n"
    assert unlocated(text) == [
        "Virtual server [192.0.2.100]:tcp:80 has no real servers - ignoring",
        "Virtual server [192.0.2.100]:none:80 has no real servers - ignoring"]


def test_checkers_of_a_skipped_real_server_still_count_for_security() -> None:
    # keepalived frees a real server of the wrong family but leaves its checkers queued
    orphan = rs(f"  MISC_CHECK {{\n   misc_path {SCRIPT}\n  }}\n", "2001:db8::10 8080")
    text = vs(servers=TCP_RS + orphan)
    assert verdict(text) == 6
    assert only_vs(text).real_servers[0].checkers[0].kind == "TCP_CHECK"
    # ... unless the virtual server itself is dropped (its checkers go with it)
    assert verdict(vs(servers=orphan)) == 5


def test_a_global_script_read_before_script_user_keeps_the_builtin_user() -> None:
    text = ("global_defs {\n lvs_notify_fifo_script /bin/true\n script_user ghost\n"
            " lvs_notify_fifo /run/lvs.fifo\n}\n" + vs(servers=rs("  notify_up /bin/true\n")))
    result = load(text)
    assert result.config is not None
    gdefs = result.config.global_defs
    assert gdefs.lvs_notify_fifo_script is not None  # settled before script_user
    assert gdefs.lvs_notify_fifo is None  # after it: the unknown user fails
    assert result.config.virtual_servers[0].real_servers[0].notify_up is None
    assert verdict(text) == 6  # the FIFO script runs without script security
