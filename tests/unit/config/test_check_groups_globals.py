"""virtual_server_group entries, the SSL block and global_defs' lvs_* keywords."""

from __future__ import annotations

from ipaddress import ip_address
from typing import TYPE_CHECKING

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model_check import GroupEntry, LvsSyncDaemon, SslConfig

from .checks import errors, load, located, vs

if TYPE_CHECKING:
    from pykeepalived.config.model import GlobalDefs

G, N = Kind.GENERAL_ERROR, Kind.INVALID_NUMBER


def group(*entries: str, name: str = "G1") -> str:
    return f"virtual_server_group {name} {{\n" + "".join(f" {e}\n" for e in entries) + "}\n"


def entries(text: str) -> tuple[GroupEntry, ...]:
    result = load(text)
    assert result.config is not None
    return result.config.virtual_server_groups[0].entries


def test_group_entries_and_their_expansion() -> None:
    found = entries(group("192.0.2.1 80", "192.0.2.3-5 80", "192.0.2.8/30 0",
                          "192.0.2.100-192.0.2.101 8080", "192.0.2.9/32 80", "fwmark 7 inet",
                          "fwmark 8"))
    single, short, cidr, full, host, mark4, mark = found
    six, = entries(group("2001:db8::1-3 443"))
    assert [str(a) for a in short.addresses()] == ["192.0.2.3", "192.0.2.4", "192.0.2.5"]
    assert [str(a) for a in cidr.addresses()] == [f"192.0.2.{i}" for i in range(8, 12)]
    assert cidr.port == 0
    assert [str(a) for a in full.addresses()] == ["192.0.2.100", "192.0.2.101"]
    assert [str(a) for a in six.addresses()] == ["2001:db8::1", "2001:db8::2", "2001:db8::3"]
    assert (single.size, host.size, host.first) == (1, 1, ip_address("192.0.2.9"))
    assert (mark4.fwmark, mark4.family, mark.fwmark, mark.family) == (7, 4, 8, None)
    assert (short.text(), mark.text(), single.text()) == ("192.0.2.3-192.0.2.5,80", "FWM 8",
                                                          "192.0.2.1,80")


@pytest.mark.parametrize(("entry", "said"), [
    ("192.0.2.5-3 80", [(G, "Address range end is not greater than address range start"
                            " - 192.0.2.5-3 - skipping", 2)]),
    ("192.0.2.5-300 80", [(N, "Virtual server group range '192.0.2.5-300' end '300' too"
                              " large", 2)]),
    ("192.0.2.5-7x 80", [(N, "Virtual server group range '192.0.2.5-7x' has extra characters"
                             " at end 'x'", 2)]),
    ("2001:db8::5-10000 80", [(N, "Virtual server group range '2001:db8::5-10000' end '10000'"
                                  " too large", 2)]),
    ("192.0.2.9/29 80", [(G, "Address mask bits not empty - 192.0.2.9/29 - skipping", 2)]),
    ("192.0.2.0/33 80", [(G, "Invalid netmask - 192.0.2.0/33 - skipping", 2)]),
    ("192.0.2.0/0 80", [(G, "Invalid netmask - 192.0.2.0/0 - skipping", 2)]),
    ("192.0.2.9-192.0.2.1 80", [(G, "Address range end is less than address range start"
                                    " - 192.0.2.9-192.0.2.1 - skipping", 2)]),
    ("192.0.2.1-2001::1 80", [(G, "Invalid virtual server group IP address 192.0.2.1-2001::1"
                                  " /port/80 - skipping", 2)]),
    ("192.0.2.1-192.0.2.x 80", [(G, "Invalid range end 192.0.2.1-192.0.2.x - skipping", 2)]),
    ("2001:db8::1-2001:db8::3 80", []),
    ("2001:db8::1-192.0.2.2 80", [(N, "Virtual server group range '2001:db8::1-192.0.2.2' has"
                                      " extra characters at end '.0.2.2'", 2)]),
    ("bogus", [(G, "Invalid virtual server group IP address bogus  - skipping", 2)]),
    ("192.0.2.1 99999", [(N, "number '99999' outside range [1, 65535]", 2),
                         (G, "Invalid virtual server group IP address 192.0.2.1 /port/99999"
                             " - skipping", 2)]),
    ("fwmark 4294967296", [(N, "number '4294967296' outside unsigned integer range", 2),
                           (G, "(G1): fwmark '4294967296' must be in [0, 4294967295]"
                               " - ignoring", 2)]),
    ("fwmark 7 inet9", [(G, "(G1): fwmark '7' family inet9 unknown - ignoring", 2)]),
])
def test_group_entry_complaints(entry: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(group(entry, "192.0.2.200 80")) == said


def test_groups_that_keepalived_removes() -> None:
    assert errors(group()) == [(G, "virtual server group G1 has no entries - removing", 2)]
    assert errors(group("192.0.2.1 80", "2001:db8::1 80", "fwmark 3")) == [
        (G, "virtual server group G1 cannot have IPv4, IPv6 and fwmark without family"
            " - removing", 5)]
    assert errors(group("192.0.2.1 80", "2001:db8::1 80", "fwmark 3 inet")) == []


def test_ssl_block() -> None:
    result = load("SSL {\n password p\n ca /a\n certificate /c\n key /k\n}\n")
    assert result.config is not None
    ssl = result.config.ssl
    assert ssl is not None
    assert ssl == SslConfig(ssl.location, "p", "/a", "/c", "/k")
    assert errors("SSL {\n password\n ca /a\n ca /b\n bogus 1\n}\nSSL {\n}\n") == [
        (G, "SSL password missing", 2), (G, "SSL cafile already specified - replacing", 4),
        (Kind.UNKNOWN_KEYWORD, "Unknown keyword 'bogus'", 5),
        (G, "SSL context already specified - replacing", 7)]


def globals_of(body: str) -> GlobalDefs:
    result = load("global_defs {\n" + body + "}\n")
    assert result.config is not None
    return result.config.global_defs


def test_lvs_globals_reach_the_model() -> None:
    gdefs = globals_of(" lvs_flush\n lvs_flush_onstop\n lvs_timeouts tcp 900 udp 30\n"
                       " lvs_sync_daemon eth0 inst VI_1 id 5 maxlen 1400 port 8848 ttl 2"
                       " group 224.0.0.81\n lvs_notify_fifo /run/lvs.fifo\n"
                       " lvs_notify_fifo_script /bin/true\n checker_log_all_failures\n"
                       " rs_init_notifies yes\n no_checker_emails\n smtp_alert_checker off\n")
    assert (gdefs.lvs_flush, gdefs.lvs_flush_on_stop) == (True, "full")
    assert (gdefs.lvs_timeout_tcp, gdefs.lvs_timeout_tcpfin, gdefs.lvs_timeout_udp) == (900,
                                                                                       None, 30)
    syncd = gdefs.lvs_sync_daemon
    assert syncd is not None
    assert syncd == LvsSyncDaemon("eth0", syncd.location, "VI_1", 5, 1400, 8848, 2,
                                  ip_address("224.0.0.81"))
    assert gdefs.lvs_notify_fifo == "/run/lvs.fifo"
    assert gdefs.lvs_notify_fifo_script is not None
    assert (gdefs.checker_log_all_failures, gdefs.rs_init_notifies) == (True, True)
    assert (gdefs.no_checker_emails, gdefs.smtp_alert_checker) == (True, False)
    assert globals_of(" lvs_flush_on_stop VS\n").lvs_flush_on_stop == "VS"


@pytest.mark.parametrize(("line", "said"), [
    ("lvs_flush_on_stop ALL", [(G, "Unknown lvs_flush_on_stop type ALL", 2)]),
    ("lvs_timeouts tcp", [(G, "lvs_timeouts requires at least one option", 2)]),
    ("lvs_timeouts tcp 5 udp x foo tcpfin", [
        (N, "invalid number 'x'", 2), (G, "Invalid lvs_timeout udp (x) - ignoring", 2),
        (G, "Unknown option foo specified for lvs_timeouts", 2),
        (G, "No value specified for lvs_timeout tcpfin - ignoring", 2)]),
    ("lvs_timeouts tcpfin 2678401 udp 1", [
        (N, "number '2678401' outside range [0, 2678400]", 2),
        (G, "Invalid lvs_timeout tcpfin (2678401) - ignoring", 2)]),
    ("lvs_sync_daemon", [(G, "lvs_sync_daemon requires interface", 2)]),
    ("lvs_sync_daemon abcdefghijklmnopq", [
        (G, "lvs_sync_daemon interface name 'abcdefghijklmnopq' too long - ignoring", 2)]),
    ("lvs_sync_daemon eth0 VI_9 7 bogus", [
        (G, 'Please use keyword "id" before lvs_sync_daemon SYNCID', 2),
        (G, "Unknown option bogus specified for lvs_sync_daemon", 2)]),
    ("lvs_sync_daemon eth0 id 256 maxlen 0 port 0 ttl 256 group 192.0.2.1", [
        (N, "number '256' outside range [0, 255]", 2),
        (G, "Invalid syncid (256) - defaulting to vrid", 2),
        (N, "number '0' outside range [1, 65507]", 2),
        (G, "Invalid lvs_sync_daemon maxlen (0) - ignoring", 2),
        (N, "number '0' outside range [1, 65535]", 2),
        (G, "Invalid lvs_sync_daemon port (0) - ignoring", 2),
        (N, "number '256' outside range [1, 255]", 2),
        (G, "Invalid lvs_sync_daemon ttl (256) - ignoring", 2),
        (G, "lvs_sync_daemon group address 192.0.2.1 is not multicast - ignoring", 2)]),
    ("lvs_sync_daemon eth0 inst A inst B id", [
        (G, "lvs_sync_daemon vrrp instance has already been specified as A - ignoring", 2),
        (G, "No value specified for lvs_sync_daemon id, defaulting to vrid", 2)]),
    ("lvs_notify_fifo", [(G, "No lvs_notify_fifo name specified", 2)]),
    ("lvs_notify_fifo_script", [(G, "No lvs_notify_fifo_script specified", 2)]),
    ("checker_log_all_failures 1", [(G, "Invalid value for checker_log_all_failures"
                                        " specified", 2)]),
    ("rs_init_notifies maybe", [(G, "Invalid value 'maybe' for global rs_init_notifies"
                                    " specified", 2)]),
    ("no_checker_emails maybe", [(G, "Invalid value 'maybe' for global no_checker_emails"
                                     " specified", 2)]),
    ("smtp_alert_checker maybe", [(G, "Invalid value 'maybe' for global smtp_alert_checker"
                                      " specified", 2)]),
])
def test_lvs_global_complaints(line: str, said: list[tuple[Kind, str, int]]) -> None:
    assert errors(f"global_defs {{\n {line}\n}}\n") == said


def test_repeated_lvs_globals() -> None:
    assert errors("global_defs {\n lvs_sync_daemon eth0 VI_1\n lvs_sync_daemon eth1\n"
                  " lvs_notify_fifo /a\n lvs_notify_fifo /b\n lvs_notify_fifo_script /bin/true\n"
                  " lvs_notify_fifo_script /bin/false\n}\n") == [
        (G, "lvs_sync_daemon has already been specified as eth0 VI_1 - ignoring", 3),
        (G, "lvs_notify_fifo already specified - ignoring /b", 5),
        (G, "lvs_notify_fifo_script already specified - ignoring /bin/false", 7)]


INSTANCE = ("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
            " virtual_ipaddress {\n  192.0.2.200/24\n }\n lvs_sync_daemon_interface eth1\n}\n")


def test_instance_lvs_sync_daemon_interface() -> None:
    result = load(INSTANCE)
    assert result.config is not None
    syncd = result.config.global_defs.lvs_sync_daemon
    assert syncd is not None
    assert (syncd.interface, syncd.instance, syncd.sync_id) == ("eth1", "VI_1", None)
    assert errors(INSTANCE) == [
        (G, "(VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.", 7),
        (G, "        Please use global lvs_sync_daemon", 7)]
    both = "global_defs {\n lvs_sync_daemon eth0\n}\n" + INSTANCE
    assert errors(both)[-1] == (G, "(VI_1) lvs_sync_daemon_interface has already been"
                                       " specified as eth0 - ignoring", 10)


def test_check_globals_do_not_change_a_vrrp_only_config() -> None:
    assert errors(vs()) == []
