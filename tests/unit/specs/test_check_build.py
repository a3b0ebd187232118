"""check_spec(): every value resolved as keepalived resolves it (check-reference §1.5)."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from pykeepalived.check.lvs import (
    FLAG_PERSISTENT,
    Forwarding,
    ServiceSpec,
    SyncDaemonSpec,
    Timeouts,
    TunnelType,
)
from pykeepalived.check.params import (
    CheckerKind,
    CheckerSpec,
    Connection,
    DnsProbe,
    FileProbe,
    HttpProbe,
    MiscProbe,
    RealServerSpec,
    TcpProbe,
    UdpProbe,
)
from pykeepalived.commands import ScriptCommand
from pykeepalived.config.load import load_text
from pykeepalived.specs.check import CheckSpec, SslSpec
from pykeepalived.specs.check_build import MAX_SERVICES, check_spec
from pykeepalived.specs.notify import FifoSpec
from tests.unit.config.checks import HOST, SCRIPT, TCP_RS, rs, vs


def build(text: str) -> CheckSpec:
    result = load_text(text, path="k.conf", config_id="n", host=HOST)
    assert result.config is not None
    return check_spec(result.config)


def checker(body: str, kind: str = "TCP_CHECK", server: str = "", virtual: str = "",
            head: str = "") -> CheckerSpec:
    built = build(head + vs(virtual, rs(server + f"  {kind} {{\n{body}  }}\n")))
    (found,) = built.virtual_servers[0].real_servers[0].checkers
    return found


@pytest.mark.parametrize(("kind", "body", "retry", "dbr"), [
    ("TCP_CHECK", "", 1, 1.0),
    ("PING_CHECK", "", 1, 1.0),
    ("UDP_CHECK", "", 1, 1.0),
    ("SMTP_CHECK", "", 1, 1.0),
    ("HTTP_GET", "   url {\n    path /\n   }\n", 1, 3.0),
    ("SSL_GET", "   url {\n    path /\n   }\n", 1, 3.0),
    ("DNS_CHECK", "", 3, 60.0),  # delay_before_retry defaults to the delay_loop
    ("MISC_CHECK", f"   misc_path {SCRIPT}\n", 0, 1.0),
])
def test_type_defaults(kind: str, body: str, retry: int, dbr: float) -> None:
    found = checker(body, kind)
    assert (found.retry, found.delay_before_retry) == (retry, dbr)
    assert (found.delay_loop, found.warmup, found.alpha) == (60.0, 60.0, False)


def test_checker_then_real_server_then_virtual_server() -> None:
    virtual = " retry 5\n delay_before_retry 6\n warmup 7\n delay_loop 8\n connect_timeout 9\n"
    assert checker("", virtual=virtual) == CheckerSpec(
        CheckerKind.TCP, TcpProbe(_connection(timeout=9.0)), delay_loop=8.0, retry=5,
        delay_before_retry=6.0, warmup=7.0)
    server = "  retry 2\n  delay_before_retry 3\n  warmup 4\n  delay_loop 5\n  alpha\n"
    found = checker("", server=server, virtual=virtual)
    assert (found.retry, found.delay_before_retry, found.warmup, found.delay_loop,
            found.alpha) == (2, 3.0, 4.0, 5.0, True)
    own = checker("   retry 0\n   delay_before_retry 0\n   warmup 0\n   delay_loop 1\n"
                  "   alpha no\n", server=server, virtual=virtual)
    assert (own.retry, own.delay_before_retry, own.warmup, own.delay_loop, own.alpha) == (
        0, 0.0, 0.0, 1.0, False)
    dns = checker("", "DNS_CHECK", virtual=" delay_loop 8\n")
    assert (dns.delay_before_retry, dns.warmup) == (8.0, 8.0)


def _connection(address: str = "192.0.2.10", port: int = 8080, timeout: float = 5.0
                ) -> Connection:
    return Connection(ip_address(address), port, timeout)


def test_probe_destination_is_the_real_server_as_written() -> None:
    text = vs(servers=rs("  TCP_CHECK {\n  }\n", "192.0.2.10"))
    (real,) = build(text).virtual_servers[0].real_servers
    assert real.port == 80  # NAT without port: the service's
    probe = real.checkers[0].probe
    assert isinstance(probe, TcpProbe)
    assert probe.connection.port == 0  # keepalived copied the address before validation
    found = checker("   connect_ip 192.0.2.20\n   connect_port 81\n   bindto 192.0.2.1\n"
                    "   bind_port 5000\n   bind_if eth0\n   fwmark 3\n   connect_timeout 2\n")
    assert isinstance(found.probe, TcpProbe)
    connection = found.probe.connection
    assert (connection.address, connection.port, connection.timeout) == (
        ip_address("192.0.2.20"), 81, 2.0)
    assert (connection.bind_address, connection.bind_port, connection.bind_interface,
            connection.fwmark) == (ip_address("192.0.2.1"), 5000, "eth0", 3)


def test_misc_probe() -> None:
    found = checker(f"   misc_path \"{SCRIPT} -x\"\n   user nobody\n   misc_dynamic\n",
                    "MISC_CHECK", virtual=" delay_loop 12\n")
    assert found.probe == MiscProbe(ScriptCommand((SCRIPT, "-x"), "nobody"), 12.0, True)
    timed = checker(f"   misc_path {SCRIPT}\n   misc_timeout 3\n", "MISC_CHECK",
                    head="global_defs {\n script_user nobody nogroup\n}\n")
    assert timed.probe == MiscProbe(ScriptCommand((SCRIPT,), "nobody", "nogroup"), 3.0)


URL = "   url {\n    path /a\n   }\n   url {\n    path /b\n    virtualhost url.example\n   }\n"


@pytest.mark.parametrize(("virtual", "server", "own", "hosts", "snis"), [
    ("", "", "", [None, "url.example"], [None, "url.example"]),
    (" virtualhost vs.example\n", "", "", ["vs.example", "url.example"],
     ["vs.example", "url.example"]),
    (" virtualhost vs.example\n", "  virtualhost rs.example\n", "",
     ["rs.example", "url.example"], ["vs.example", "url.example"]),
    (" virtualhost vs.example\n", "  virtualhost rs.example\n", "   virtualhost ck.example\n",
     ["ck.example", "url.example"], ["ck.example", "url.example"]),
])
def test_host_header_and_sni_chains(virtual: str, server: str, own: str,
                                    hosts: list[str | None], snis: list[str | None]) -> None:
    found = checker(URL + own + "   enable_sni\n", "SSL_GET", server, virtual)
    assert isinstance(found.probe, HttpProbe)
    assert [u.virtualhost for u in found.probe.urls] == hosts
    assert [u.sni for u in found.probe.urls] == snis
    plain = checker(URL + own + "   enable_sni\n", "HTTP_GET", server, virtual)
    assert isinstance(plain.probe, HttpProbe)
    assert [u.sni for u in plain.probe.urls] == [None, None]  # SNI is SSL_GET's only


def test_udp_dns_and_file_probes() -> None:
    udp = checker("   payload 0a 0b\n   require_reply 1X\n   max_reply_length 9\n", "UDP_CHECK")
    assert isinstance(udp.probe, UdpProbe)
    assert (udp.probe.payload, udp.probe.require_reply, udp.probe.reply_mask) == (
        b"\x0a\x0b", b"\x10", b"\xf0")
    assert udp.probe.max_reply_length == 9
    bare = checker("   require_reply\n", "UDP_CHECK")
    assert isinstance(bare.probe, UdpProbe)
    assert (bare.probe.require_reply, bare.probe.reply_mask) == (b"", None)
    dns = checker("   type MX\n   name example.com\n", "DNS_CHECK")
    assert isinstance(dns.probe, DnsProbe)
    assert (dns.probe.query_type, dns.probe.name) == ("MX", "example.com")
    track = "track_file tf {\n file /run/tf\n weight 4 reverse\n}\n"
    own = checker("   track_file tf\n   weight 2\n", "FILE_CHECK", head=track)
    assert own.probe == FileProbe("tf", "/run/tf", 2, False)
    inherited = checker("   track_file tf\n", "FILE_CHECK", head=track)
    assert inherited.probe == FileProbe("tf", "/run/tf", 4, True)


def test_log_all_failures_is_the_checker_or_the_global_one() -> None:
    assert checker("   log_all_failures\n").log_all_failures
    assert not checker("").log_all_failures
    assert checker("", head="global_defs {\n checker_log_all_failures\n}\n").log_all_failures


def test_services_flags_and_labels() -> None:
    text = vs(" lvs_sched sh\n sh-port\n persistence_granularity 255.255.255.0\n"
              " persistence_engine sip\n")
    (server,) = build(text).virtual_servers
    assert server.services == (ServiceSpec(4, 6, ip_address("192.0.2.100"), 80, 0, "sh",
                                           0x10 | FLAG_PERSISTENT, 360, 0xFFFFFF00, "sip"),)
    assert (server.label, server.key) == ("[192.0.2.100]:tcp:80",
                                          ("address", 4, 6, ip_address("192.0.2.100"), 80))
    fwmark = build("virtual_server fwmark 3 {\n lb_algo rr\n lb_kind DR\n" + TCP_RS + "}\n")
    (marked,) = fwmark.virtual_servers
    assert (marked.label, marked.key) == ("FWM 3", ("fwmark", 4, 3))
    assert marked.services == (ServiceSpec(4, 0, None, 0, 3, "rr"),)


def test_groups_expand_in_order_with_fwmark_families() -> None:
    text = ("virtual_server_group G {\n 192.0.2.1-2 80\n fwmark 5\n fwmark 6 inet\n}\n"
            "virtual_server group G {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n"
            + TCP_RS + "}\nvirtual_server group G {\n protocol UDP\n lb_algo rr\n"
            " lb_kind NAT\n" + TCP_RS + "}\n")
    first, second = build(text).virtual_servers
    assert [(s.family, s.protocol, s.text()) for s in first.services] == [
        (4, 6, "[192.0.2.1]:tcp:80"), (4, 6, "[192.0.2.2]:tcp:80"), (4, 0, "FWM 5"),
        (4, 0, "FWM 6")]
    assert (first.label, second.label, second.key) == ("[G]:0", "[G]:1", ("group", "G", 1))
    assert (first.group, second.group) == ("G", "G")  # the name reload lines use
    six = build("virtual_server_group H {\n fwmark 6 inet6\n}\nvirtual_server group H {\n"
                " lb_algo rr\n lb_kind NAT\n" + rs("", "2001:db8::10 80") + "}\n")
    assert [(s.family, s.text()) for s in six.virtual_servers[0].services] == [(6, "FWM 6")]


def test_a_huge_group_is_bounded() -> None:
    text = ("virtual_server_group G {\n 10.0.0.0/8 80\n}\nvirtual_server group G {\n"
            " protocol TCP\n lb_algo rr\n lb_kind NAT\n" + TCP_RS + "}\n")
    built = build(text)
    assert len(built.virtual_servers[0].services) == MAX_SERVICES
    assert built.warnings == ("Virtual server [G]:0: group G expands to 65537 services"
                              f" - pykeepalived runs the first {MAX_SERVICES}",)


def test_real_server_values() -> None:
    body = ("  weight 4\n  lvs_method TUN type gue port 6080 csum\n  uthreshold 9\n"
            "  lthreshold 2\n  notify_up /bin/true\n  smtp_alert no\n")
    (real,) = build(vs(" inhibit_on_failure\n alpha\n", rs(body, "192.0.2.10 80"))
                    ).virtual_servers[0].real_servers
    assert real == RealServerSpec(
        ip_address("192.0.2.10"), 80, 4, Forwarding.TUN, 9, 2, TunnelType.GUE, 6080, 1,
        inhibit_on_failure=True, alpha=True, notify_up=ScriptCommand(("/bin/true",)),
        smtp_alert=False, protocol=6)
    (plain,) = build(vs(" weight 3\n", rs("", "192.0.2.10 80"))).virtual_servers[0].real_servers
    assert (plain.weight, plain.forwarding, plain.inhibit_on_failure, plain.alpha) == (
        3, Forwarding.NAT, False, False)


def test_virtual_server_values_and_sorry_server() -> None:
    text = vs(" quorum 2\n hysteresis 1\n omega\n ha_suspend\n smtp_alert\n"
              " quorum_up /bin/true\n sorry_server 192.0.2.99 8080\n sorry_server_inhibit\n"
              " sorry_server_lvs_method DR\n",
              rs("  weight 2\n") + rs("", "192.0.2.11 8080"))
    (server,) = build(text).virtual_servers
    assert (server.quorum, server.hysteresis, server.omega, server.ha_suspend) == (2, 1, True,
                                                                                   True)
    assert (server.smtp_alert, server.quorum_up) == (True, ScriptCommand(("/bin/true",)))
    assert server.sorry_server == RealServerSpec(ip_address("192.0.2.99"), 80, 1, Forwarding.DR,
                                                 inhibit_on_failure=True, protocol=6)
    assert server.sorry_server_inhibit


GLOBALS = ("global_defs {\n notification_email {\n  ops@example.com\n }\n"
           " smtp_server 192.0.2.25\n router_id lb1\n lvs_flush\n lvs_flush_on_stop\n"
           " lvs_timeouts tcp 900 udp 30\n lvs_sync_daemon eth0 maxlen 1400\n"
           " notify_fifo /run/all.fifo\n lvs_notify_fifo /run/lvs.fifo\n"
           " lvs_notify_fifo_script /bin/true\n rs_init_notifies\n no_checker_emails\n}\n"
           "SSL {\n ca /etc/ca.pem\n}\n")


def test_globals() -> None:
    built = build(GLOBALS + vs())
    assert (built.lvs_flush, built.lvs_flush_on_stop) == (True, "full")
    assert built.timeouts == Timeouts(900, None, 30)
    assert built.sync_daemon == SyncDaemonSpec("eth0", None, 0, 1400)
    assert built.fifos == (FifoSpec("/run/all.fifo"),
                           FifoSpec("/run/lvs.fifo", ScriptCommand(("/bin/true",))))
    assert (built.rs_init_notifies, built.no_checker_emails) == (True, True)
    assert built.smtp is not None
    assert (built.smtp.server, built.smtp.router_id) == ("192.0.2.25", "lb1")
    assert built.ssl == SslSpec(ca="/etc/ca.pem")
    assert build(vs()).timeouts is None


def test_sync_daemon_of_an_unknown_instance_is_cleared() -> None:
    built = build("global_defs {\n lvs_sync_daemon eth0 inst VI_9\n}\n" + vs())
    assert built.sync_daemon is None
    assert built.warnings == ("Unable to find vrrp instance VI_9 for lvs_syncd - clearing"
                              " lvs_syncd config",)


def test_bfd_checkers_are_not_run() -> None:
    text = "bfd_instance b1 {\n neighbor_ip 192.0.2.10\n}\n" + vs(
        servers=rs("  BFD_CHECK {\n   name b1\n  }\n"))
    built = build(text)
    assert built.virtual_servers[0].real_servers[0].checkers == ()
    assert built.warnings == ("BFD_CHECK of [192.0.2.10]:8080 in virtual server"
                              " [192.0.2.100]:tcp:80 is not run by pykeepalived",)


def test_an_ipv6_group_entry_and_ipv6_service_netmask() -> None:
    text = ("virtual_server_group G {\n 2001:db8::1 80\n}\nvirtual_server group G {\n"
            " protocol TCP\n lb_algo rr\n lb_kind NAT\n"
            + rs("", "2001:db8::10 80") + "}\n")
    (server,) = build(text).virtual_servers
    assert server.services == (ServiceSpec(6, 6, ip_address("2001:db8::1"), 80, 0, "rr",
                                           netmask=128),)

