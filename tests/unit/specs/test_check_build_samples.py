"""check_spec() on the 16 Debian sample configs with a virtual_server: the services, real
servers and checkers keepalived programs for each (check-reference §9)."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pykeepalived.check.lvs import FLAG_PERSISTENT, Forwarding
from pykeepalived.check.params import (
    CheckerKind,
    HttpProbe,
    PingProbe,
    RealServerSpec,
    SmtpProbe,
    TcpProbe,
    UdpProbe,
    VirtualServerSpec,
)
from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_config
from pykeepalived.specs.check_build import check_spec
from tests.conftest import skip_or_fail

if TYPE_CHECKING:
    from pykeepalived.specs.check import CheckSpec

SAMPLES = Path("/usr/share/doc/keepalived/samples")
WITH_VS = ["HTTP_GET.port", "IPv6", "PING_CHECK", "SMTP_CHECK", "SSL_GET", "UDP_CHECK",
           "fwmark", "inhibit", "misc_check", "misc_check_arg", "quorum", "sample",
           "status_code", "virtual_server_group", "virtualhost", "vrrp.lvs_syncd"]
#: the samples' scripts (/usr/local/bin/script.sh ...) do not exist: no script facts
HOST = HostFacts(interfaces=frozenset({"lo", "eth0", "eth1"}))


def spec(name: str) -> CheckSpec:
    path = SAMPLES / f"keepalived.conf.{name}"
    if not path.exists():
        skip_or_fail("Debian keepalived samples missing: is keepalived installed?")
    result = load_config(str(path), host=HOST)
    assert result.config is not None
    return check_spec(result.config)


def one(name: str) -> VirtualServerSpec:
    servers = spec(name).virtual_servers
    assert len(servers) == 1
    return servers[0]


def service_of(server: VirtualServerSpec) -> tuple[str, str, int, int]:
    (service,) = server.services
    return service.text(), service.scheduler, service.flags, service.timeout


def test_every_sample_with_a_virtual_server_builds() -> None:
    for name in WITH_VS:
        assert spec(name).virtual_servers, name
    assert len(WITH_VS) == 16


def test_http_get_port() -> None:
    server = one("HTTP_GET.port")
    assert service_of(server) == ("[192.168.200.100]:tcp:443", "rr", FLAG_PERSISTENT, 50)
    (real,) = server.real_servers
    assert (real.text(), real.weight, real.forwarding) == ("[192.168.201.100]:tcp:443", 1,
                                                           Forwarding.NAT)
    (checker,) = real.checkers
    assert isinstance(checker.probe, HttpProbe)
    assert (checker.kind, checker.retry, checker.delay_before_retry) == (CheckerKind.SSL, 3, 3.0)
    assert (checker.probe.connection.port, checker.probe.connection.timeout) == (444, 3.0)
    assert checker.probe.urls[0].digest == bytes.fromhex("ff20ad2481f97b1754ef3e12ecd3a9cc")


def test_ipv6() -> None:
    server = one("IPv6")
    assert service_of(server) == ("[ae00::1]:tcp:80", "rr", FLAG_PERSISTENT, 50)
    assert server.services[0].netmask == 128
    (checker,) = server.real_servers[0].checkers
    assert isinstance(checker.probe, SmtpProbe)
    assert checker.probe.helo_name == "foo.bar.com"
    assert (checker.retry, checker.probe.connection.timeout) == (3, 3.0)
    assert checker.probe.connection.text() == "[ae00::10]:25"


def test_ping_check() -> None:
    server = one("PING_CHECK")
    assert service_of(server) == ("[10.10.10.2]:udp:1358", "rr", FLAG_PERSISTENT, 50)
    (checker,) = server.real_servers[0].checkers
    assert isinstance(checker.probe, PingProbe)
    assert (checker.retry, checker.delay_before_retry) == (4, 1.0)


def test_smtp_check_host_blocks_are_extra_checkers() -> None:
    server = one("SMTP_CHECK")
    assert service_of(server) == ("[192.168.200.100]:tcp:25", "rr", 0, 0)
    counts = [len(r.checkers) for r in server.real_servers]
    assert counts == [1, 4, 4]  # keepalived logs 9 "Activating healthchecker" lines
    first = server.real_servers[0].checkers[0]
    assert isinstance(first.probe, SmtpProbe)
    assert (first.probe.connection.timeout, first.retry, first.delay_before_retry) == (30.0, 2,
                                                                                      5.0)
    destinations = []
    for checker in server.real_servers[2].checkers:
        assert isinstance(checker.probe, SmtpProbe)
        destinations.append(checker.probe.connection.text())
    assert destinations == ["[172.16.1.12]:25", "[172.16.1.12]:25", "[192.168.155.11]:25",
                            "[64.233.167.100]:587"]


def test_ssl_get() -> None:
    https, http = spec("SSL_GET").virtual_servers
    assert service_of(https)[:2] == ("[192.168.200.100]:tcp:443", "rr")
    assert service_of(http)[:2] == ("[192.168.200.100]:tcp:80", "rr")
    for server, kind in ((https, CheckerKind.SSL), (http, CheckerKind.HTTP)):
        (checker,) = server.real_servers[0].checkers
        assert isinstance(checker.probe, HttpProbe)
        assert checker.kind is kind
        assert [u.path for u in checker.probe.urls] == ["/", "/mrtg/"]


def test_udp_check() -> None:
    server = one("UDP_CHECK")
    (checker,) = server.real_servers[0].checkers
    assert isinstance(checker.probe, UdpProbe)
    assert (checker.retry, checker.delay_before_retry, checker.probe.require_reply) == (3, 3.0,
                                                                                       None)


def test_fwmark() -> None:
    server = one("fwmark")
    assert service_of(server) == ("FWM 1", "rr", FLAG_PERSISTENT, 900)
    assert server.services[0].protocol == 0
    ports = []
    for real in server.real_servers:
        assert real.port == 0  # NAT, written without port
        (checker,) = real.checkers
        assert isinstance(checker.probe, TcpProbe)
        ports.append((checker.probe.connection.port, checker.probe.connection.timeout))
    assert ports == [(80, 3.0), (80, 3.0)]


def test_inhibit() -> None:
    (real,) = one("inhibit").real_servers
    assert real.inhibit_on_failure
    (checker,) = real.checkers
    assert isinstance(checker.probe, HttpProbe)
    assert checker.probe.urls[0].path == "/testurl3/test.jsp"


@pytest.mark.parametrize("name", ["misc_check", "misc_check_arg"])
def test_misc_check_with_a_missing_script_has_no_checker(name: str) -> None:
    (real,) = one(name).real_servers
    assert (real.text(), real.checkers) == ("[192.168.200.6]:tcp:1358", ())


def test_quorum() -> None:
    server = one("quorum")
    assert service_of(server) == ("[10.0.1.1]:tcp:80", "wrr", FLAG_PERSISTENT, 900)
    assert (server.alpha, server.omega, server.quorum, server.hysteresis) == (True, True, 7, 2)
    assert [r.address for r in server.real_servers] == [ip_address(f"10.0.0.{i}")
                                                        for i in range(1, 11)]
    assert all(r.alpha and r.port == 8080 for r in server.real_servers)
    checker = server.real_servers[0].checkers[0]
    assert isinstance(checker.probe, TcpProbe)
    assert (checker.alpha, checker.probe.connection.port) == (True, 80)
    # the sample's quorum scripts do not exist: keepalived drops them
    assert (server.quorum_up, server.quorum_down) == (None, None)


def test_sample_sorry_server() -> None:
    server = one("sample")
    assert server.sorry_server == RealServerSpec(ip_address("192.168.200.200"), 1358,
                                                 protocol=6)


def test_status_code() -> None:
    (checker,) = one("status_code").real_servers[0].checkers
    assert isinstance(checker.probe, HttpProbe)
    first, second = checker.probe.urls
    assert first.status_codes == ((200, 299), (400, 499), (503, 503), (505, 505))
    assert second.status_codes == ((200, 200),)
    assert second.digest is not None


def test_virtual_server_group_expands_to_13_services() -> None:
    server = one("virtual_server_group")
    assert server.label == "[VSG_1]:0"
    texts = [s.text() for s in server.services]
    assert texts == ["[10.0.0.1]:tcp:8080", "[10.0.0.2]:tcp:80", "[192.168.200.1]:tcp:1358",
                     *[f"[192.168.200.{i}]:tcp:80" for i in range(3, 11)], "FWM 1", "FWM 2"]
    assert all(s.flags == FLAG_PERSISTENT and s.timeout == 50 for s in server.services)
    for real in server.real_servers:
        assert {real.dest(s, real.weight).port for s in server.services} == {1358}


def test_virtualhost_is_the_host_header() -> None:
    (checker,) = one("virtualhost").real_servers[0].checkers
    assert isinstance(checker.probe, HttpProbe)
    assert {u.virtualhost for u in checker.probe.urls} == {"www.firewall.loc"}
    assert {u.sni for u in checker.probe.urls} == {None}  # no enable_sni


def test_lvs_syncd_sample_uses_the_instance_interface() -> None:
    built = spec("vrrp.lvs_syncd")
    assert built.sync_daemon is not None
    assert (built.sync_daemon.interface, built.sync_daemon.instance,
            built.sync_daemon.sync_id) == ("eth1", "VI_1", 51)
    (server,) = built.virtual_servers
    (checker,) = server.real_servers[0].checkers
    assert (checker.delay_loop, checker.warmup) == (20.0, 20.0)
