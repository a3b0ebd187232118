"""virtual_server and real_server keywords: good values in the model, bad ones reported
with keepalived's words, line and kind (the body of `vs()` starts on line 5)."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model_check import Forwarding

from .checks import HEAD, TCP_RS, errors, load, located, only_rs, only_vs, rs, vs

G, N = Kind.GENERAL_ERROR, Kind.INVALID_NUMBER


def test_virtual_server_keywords_reach_the_model() -> None:
    server = only_vs(vs(
        " delay_loop 2.5\n connect_timeout 3\n delay_before_retry 1\n retry 4\n warmup 0\n"
        " persistence_timeout 600\n persistence_granularity 255.255.255.0\n"
        " persistence_engine sip\n quorum 1\n hysteresis 0\n weight 3\n alpha\n omega\n"
        " inhibit_on_failure\n ha_suspend\n smtp_alert no\n virtualhost www.example.com\n"
        " snmp_name web\n quorum_up \"/bin/true up\" nobody\n"))
    assert (server.delay_loop_us, server.connect_timeout_us) == (2_500_000, 3_000_000)
    assert (server.delay_before_retry_us, server.retry, server.warmup_us) == (1_000_000, 4, 0)
    assert server.persistence_timeout == 600
    assert server.persistence_granularity == 0xFFFFFF00
    assert server.persistence_engine == "sip"
    assert (server.weight, server.alpha, server.omega) == (3, True, True)
    assert (server.inhibit_on_failure, server.ha_suspend, server.smtp_alert) == (True, True,
                                                                                   False)
    assert (server.virtualhost, server.snmp_name) == ("www.example.com", "web")
    assert server.quorum_up is not None
    assert server.quorum_up.command == ("/bin/true", "up")
    assert server.quorum_up.user == "nobody"
    assert (server.label, server.protocol, server.scheduler) == ("[192.0.2.100]:tcp:80", 6, "rr")


@pytest.mark.parametrize(("body", "said"), [
    (" lvs_sched fastest\n", [(G, "Invalid lvs_scheduler 'fastest' - ignoring", 5)]),
    (" hashed\n", [(G, "hashed only applies to sh scheduler - ignoring", 5)]),
    (" lvs_sched mh\n sh-port\n", []),
    (" persistence_timeout 0\n", [(N, "number '0' outside range [1, 2678400]", 5),
                                  (G, "persistence_timeout invalid", 5)]),
    (" persistence_engine abcdefghijklmnopq\n",
     [(G, "persistence_name too long, truncating - abcdefghijklmnopq", 5)]),
    (" persistence_granularity 300.0.0.0\n",
     [(G, "Invalid IPv4 persistence_granularity specified - 300.0.0.0", 5)]),
    (" protocol ICMP\n", [(G, "Unknown protocol ICMP - ignoring", 5)]),
    (" quorum 0\n", [(N, "number '0' outside range [1, 4294967295]", 5),
                     (G, "Quorum 0 must be in [1, 4294967295]. Setting to 1.", 5)]),
    (" hysteresis -1\n", [(N, "negative number '-1'", 5),
                          (G, "Hysteresis -1 must be in [0, 4294967295] - ignoring", 5)]),
    (" weight 0\n", [(N, "number '0' outside range [1, 2147483647]", 5),
                     (G, "Virtual server weight 0 is outside range 1-2147483647", 5)]),
    (" delay_loop 0\n", [(N, "number '0' outside range [0.000001, 18446744073709.551614]", 5),
                         (G, "virtual server delay loop '0' invalid - ignoring", 5)]),
    (" connect_timeout 0\n", [(N, "number '0' outside range [0.000001, 4294.967295]", 5),
                              (G, "virtual server connect_timeout 0 invalid - ignoring", 5)]),
    (" delay_before_retry -1\n",
     [(N, "negative number '-1'", 5),
      (G, "virtual server delay before retry '-1' invalid - ignoring", 5)]),
    (" warmup x\n", [(N, "invalid number 'x'", 5)]),
    (" retry 0\n", [(N, "number '0' outside range [1, 4294967295]", 5),
                    (G, "retry value invalid - 0", 5)]),
    (" ip_family inet6\n",
     [(G, "Virtual server specified family inet6 conflicts with server family", 5)]),
    (" ip_family ipx\n", [(G, "unknown address family ipx", 5)]),
    (" smtp_alert YES\n", [(G, "Invalid virtual_server smtp_alert parameter YES", 5)]),
    (" virtualhost\n", [(G, "virtual server virtualhost missing", 5)]),
    (" snmp_name a b\n", [(G, "virtual server snmp_name missing or extra parameters", 5)]),
    (" sorry_server_inhibit\n",
     [(G, "Ignoring sorry_server inhibit used before or without sorry_server", 5)]),
    (" sorry_server_lvs_method DR\n",
     [(G, "sorry_server forwarding used without sorry_server", 5)]),
    (" sorry_server 192.0.2.300\n", [(G, "Invalid sorry server IP address 192.0.2.300"
                                         " - skipping", 5)]),
    (" quorum_up /bin/true\n quorum_up /bin/false\n",
     [(G, "((null)) quorum_up script already specified - ignoring /bin/false", 6)]),
    (" lvs_method TUN type gue\n",
     [(G, "gue tunnels require port, otherwise cannot have port.", 5)]),
    (" lvs_method BRIDGE\n", [(G, "PARSER : unknown [BRIDGE] routing method for virtual"
                                  " server.", 5)]),
])
def test_virtual_server_complaints(body: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(vs(body)) == said


def test_sh_and_mh_flags_count_only_after_their_scheduler() -> None:
    assert only_vs(vs(" lvs_sched sh\n sh-port\n sh-fallback\n mh-port\n")).flags == 0x18
    assert only_vs(vs(" lvs_sched mh\n mh-fallback\n flag-3\n")).flags == 0x28
    assert only_vs(vs(" sh-port\n lvs_sched sh\n")).flags == 0


def test_invalid_headers_skip_the_whole_block() -> None:
    assert errors("virtual_server 192.0.2.300 80 {\n frobnicate\n}\n") == [
        (G, "Invalid virtual server IP address/port 192.0.2.300/80 - skipping", 1)]
    assert errors("virtual_server 192.0.2.300 {\n}\n") == [
        (G, "Invalid virtual server IP address 192.0.2.300 - skipping", 1)]
    assert errors("virtual_server fwmark 4294967296 {\n frobnicate\n}\n") == [
        (N, "number '4294967296' outside unsigned integer range", 1),
        (G, "virtual server fwmark '4294967296' must be in [0, 4294967295] - ignoring", 1)]


def test_group_and_fwmark_without_their_word_stop_reading() -> None:
    # keepalived 2.2.7 crashes (SIGSEGV); we stop as for any missing parameter
    assert load("virtual_server group {\n}\n").aborted
    assert load("virtual_server fwmark {\n}\n").aborted


def test_real_server_keywords_reach_the_model() -> None:
    server = only_rs(vs(servers=rs(
        "  weight 0\n  lvs_method TUN type gue port 6080 csum\n  uthreshold 100\n"
        "  lthreshold 10\n  inhibit_on_failure no\n  alpha\n  notify_up /bin/true\n"
        "  notify_down \"/bin/true down\"\n  retry 2\n  delay_before_retry 0.5\n  warmup 3\n"
        "  connect_timeout 2\n  delay_loop 7\n  smtp_alert off\n  virtualhost rs.example\n"
        "  snmp_name r1\n")))
    # a tunnelled real server on an address service takes its port (with a warning)
    assert (server.address, server.port, server.weight) == (ip_address("192.0.2.10"), 80, 0)
    assert server.written_port == 8080
    assert server.forwarding == Forwarding("TUN", "gue", 6080, "csum")
    assert (server.u_threshold, server.l_threshold) == (100, 10)
    assert (server.inhibit_on_failure, server.alpha, server.smtp_alert) == (False, True, False)
    assert (server.retry, server.delay_before_retry_us, server.warmup_us) == (2, 500_000,
                                                                            3_000_000)
    assert (server.connect_timeout_us, server.delay_loop_us) == (2_000_000, 7_000_000)
    assert server.notify_down is not None
    assert server.notify_down.command == ("/bin/true", "down")
    assert (server.virtualhost, server.snmp_name) == ("rs.example", "r1")


@pytest.mark.parametrize(("body", "said"), [
    ("  weight 2147483648\n", [(N, "number '2147483648' outside range [0, 2147483647]", 6),
                               (G, "Real server weight 2147483648 is outside range"
                                   " 0-2147483647", 6)]),
    ("  uthreshold -1\n", [(N, "negative number '-1'", 6),
                           (G, "Invalid real_server uthreshold '-1' - ignoring", 6)]),
    ("  lthreshold x\n", [(N, "invalid number 'x'", 6),
                          (G, "Invalid real_server lthreshold 'x' - ignoring", 6)]),
    ("  inhibit_on_failure maybe\n", [(G, "Invalid inhibit_on_failure parameter maybe", 6)]),
    ("  alpha maybe\n", [(G, "Invalid alpha parameter maybe", 6)]),
    ("  smtp_alert maybe\n", [(G, "Invalid real_server smtp_alert parameter maybe", 6)]),
    ("  virtualhost\n", [(G, "real server virtualhost missing", 6)]),
    ("  snmp_name\n", [(G, "real server snmp_name missing or extra parameters", 6)]),
    ("  retry 0\n", [(N, "number '0' outside range [1, 4294967295]", 6),
                     (G, "retry value invalid - 0", 6)]),
    ("  delay_loop 0\n", [(N, "number '0' outside range [0.000001,"
                              " 18446744073709.551614]", 6),
                          (G, "real server delay_loop '0' invalid - ignoring", 6)]),
    ("  connect_timeout 0\n", [(N, "number '0' outside range [0.000001, 4294.967295]", 6),
                               (G, "real server connect_timeout 0 invalid - ignoring", 6)]),
    ("  delay_before_retry -1\n", [(N, "negative number '-1'", 6),
                                   (G, "real server delay_before_retry '-1' invalid"
                                       " - ignoring", 6)]),
    ("  warmup -1\n", [(N, "negative number '-1'", 6),
                       (G, "real server warmup '-1' invalid - ignoring", 6)]),
    ("  notify_up /bin/true\n  notify_up /bin/false\n",
     [(G, "((null)) notify_up script already specified - ignoring /bin/false", 7)]),
    ("  lvs_method TUN type gue port 70000\n",
     [(N, "number '70000' outside range [1, 65535]", 6),
      (G, "Invalid gue tunnel port 70000 for real server.", 6)]),
    ("  lvs_method TUN type ipip csum\n", [(G, "ipip tunnels do not support checksum"
                                               " option.", 6)]),
    ("  lvs_method TUN type gre remcsum\n", [(G, "gre tunnels do not support remote checksum"
                                                 " option.", 6)]),
    ("  lvs_method TUN type\n", [(G, "Missing tunnel type for real server.", 6)]),
    ("  lvs_method TUN type vxlan\n", [(G, "Unknown tunnel type vxlan for real server.", 6)]),
    ("  lvs_method TUN port\n", [(G, "Missing port for real server gue tunnel.", 6)]),
    ("  lvs_method NAT bogus\n", [(G, "Invalid tunnel option bogus for real server.", 6)]),
])
def test_real_server_complaints(body: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(vs(servers=rs(body))) == said


def test_a_bad_tunnel_option_keeps_the_new_method() -> None:
    server = only_rs(vs(servers=rs("  lvs_method TUN type gue\n")))
    assert server.forwarding == Forwarding("TUN")


def test_real_server_address_and_family() -> None:
    assert errors(vs(servers=" real_server 192.0.2.300 80 {\n }\n" + TCP_RS)) == [
        (G, "Invalid real server ip address/port 192.0.2.300/80 - skipping", 5)]
    assert errors(vs(servers=" real_server 192.0.2.300 {\n }\n" + TCP_RS)) == [
        (G, "Invalid real server ip address/port 192.0.2.300/(null) - skipping", 5)]
    assert errors(vs(servers=rs("", "2001:db8::1 80") + TCP_RS)) == [
        (G, "Address family of virtual server and real server 2001:db8::1 don't match"
            " - skipping real server.", 6)]
    tunnelled = vs(servers=rs("  lvs_method TUN\n", "2001:db8::1 80") + TCP_RS)
    assert errors(tunnelled) == []


def test_a_real_server_copies_the_method_its_virtual_server_has_so_far() -> None:
    text = (HEAD.replace(" lb_kind NAT\n", "") + rs("", "192.0.2.10 80") + " lb_kind DR\n"
            + rs("", "192.0.2.11") + " lb_kind NAT\n}\n")
    first, second = only_vs(text).real_servers
    assert first.forwarding == Forwarding("NAT")  # none when read: the VS's final one
    assert second.forwarding == Forwarding("DR")  # copied when read
    assert (second.port, errors(text)) == (80, [])


def test_sorry_server_family_is_checked_at_the_end_of_the_block() -> None:
    assert errors(vs(" sorry_server 2001:db8::9 80\n")) == [
        (G, "Address family of virtual server and sorry server 2001:db8::9 don't match"
            " - skipping sorry server.", 10)]
