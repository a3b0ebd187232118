"""keepalived_check.data from our snapshot, against keepalived 2.2.7's own dumps.

Two goldens: the dump Debian's keepalived 2.2.7 wrote for tests/data/dumps/check/
keepalived.conf (a VS with HTTP_GET and TCP_CHECK servers and a sorry server, a fwmark
VS with MISC_CHECK, PING_CHECK and FILE_CHECK, a group VS with DNS_CHECK, UDP_CHECK and
SMTP_CHECK, an SSL_GET under ha_suspend, SSL and track_file blocks), and the example the
check reference (§6) recorded. Lines keepalived prints in cases the goldens do not reach
are checked against its dump functions (check_data.c, check_http.c, global_data.c).
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from pykeepalived.check.params import CheckerKind
from pykeepalived.config.model_check import Forwarding
from pykeepalived.observe.check_dump import CHECK_DATA_FILE, render_check_data
from pykeepalived.observe.check_dump_checkers import ctime_usec, status_runs
from pykeepalived.observe.check_snapshot import (
    CheckerView,
    CheckSnapshot,
    GroupEntryView,
    GroupView,
    HttpView,
    RealServerView,
    UrlView,
    VirtualServerView,
)
from pykeepalived.observe.dumps import _epoch, write_named
from tests.unit.observe.check_cores import (
    FIXTURES,
    comparable,
    drive,
    load,
    load_text,
    snapshot,
    verdicts,
)
from tests.unit.observe.check_reference import REFERENCE_CONF, section_lines

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

def captured_dump() -> str:
    config = load(FIXTURES / "keepalived.conf")
    spec, cores = drive(config, verdicts("PING_CHECK"), {"tf1": 1})
    return render_check_data(snapshot(config, spec, cores, {"tf1": 1}))


# ------------------------------------------------------------------ the goldens


def test_dump_is_keepalived_byte_for_byte_but_unmodelled_globals_and_times() -> None:
    theirs = (FIXTURES / "keepalived_check.data").read_text()
    assert comparable(captured_dump()) == comparable(theirs)


def test_every_unmodelled_global_line_is_really_absent_from_ours() -> None:
    ours = captured_dump()
    theirs = (FIXTURES / "keepalived_check.data").read_text()
    assert len(comparable(ours)) == len(ours.splitlines())  # we write none of them
    assert len(theirs.splitlines()) - len(comparable(theirs)) == 25  # keepalived's, here
    assert "Default interface" not in ours  # the VRRP process's line only


def test_reference_example_is_reproduced_from_the_same_run(tmp_path: Path) -> None:
    """§6: 8080 up by HTTP_GET, 8081 down by TCP_CHECK; quorum 2 lost, sorry server in."""
    config = load_text(tmp_path, REFERENCE_CONF)
    spec, cores = drive(config, verdicts("HTTP_GET"))
    ours = render_check_data(snapshot(config, spec, cores))
    expected = (FIXTURES / "reference-example.data").read_text().splitlines()
    assert section_lines(ours, "------< LVS Topology >------") == expected


def test_checkers_queue_lists_file_checks_last() -> None:
    text = captured_dump()
    heads = [line for line in section_lines(text, "------< Health checkers >------")
             if line.startswith(" ") and " -> " in line and not line.startswith("   ")]
    assert heads[3] == " FWM 5 -> [192.0.2.14]:none:0"  # its PING_CHECK, in config order
    assert heads[-1] == " FWM 5 -> [192.0.2.14]:none:0"  # its FILE_CHECK, last of all


# ------------------------------------------------------------------ global section


GLOBAL_CONF = """
global_defs {
  router_id LVS1
  smtp_alert_checker on
  checker_log_all_failures
  lvs_flush
  lvs_flush_on_stop VS
  lvs_timeouts tcp 900 udp 30
  lvs_sync_daemon eth0 VI_1 id 7 maxlen 1400 port 8848 ttl 2 group 239.0.0.9
  notify_fifo /tmp/pk/fifo
  notify_fifo_script /bin/reader
  vrrp_garp_lower_prio_delay 7
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  priority 100
  virtual_ipaddress {
    192.0.2.200
  }
}
virtual_server 192.0.2.100 80 {
  protocol TCP
  real_server 192.0.2.10 80 {
    TCP_CHECK {
    }
  }
}
"""


def test_checker_global_lines_follow_dump_global_data(tmp_path: Path) -> None:
    config = load_text(tmp_path, GLOBAL_CONF)
    spec, cores = drive(config, verdicts("TCP_CHECK"))
    lines = section_lines(render_check_data(snapshot(config, spec, cores)),
                          "------< Global definitions >------")
    wanted = [
        " Router ID = LVS1", " Default smtp_alert_checker = on",
        " Checkers log all failures = true", " Dynamic interfaces = false",
        " LVS TCP timeout = 900", " LVS TCP timeout = 30", " Disable local IGMP = no",
        " LVS syncd vrrp name = VI_1", " LVS syncd interface = eth0", " LVS syncd syncid = 7",
        " LVS syncd maxlen = 1400", " LVS mcast group 239.0.0.9",
        " LVS syncd mcast port = 8848", " LVS syncd mcast ttl = 2", " LVS flush = true",
        " LVS flush on stop = VS", " Global notify fifo = /tmp/pk/fifo, uid:gid 0:0",
        " Global notify fifo script = '/usr/bin/reader' '/tmp/pk/fifo', uid:gid 0:0",
        " FIFO write vrrp states on reload = false",
        " Gratuitous ARP lower priority delay = 7",
        " Gratuitous ARP lower priority repeat = 4294967295",
        " rs_init_notifies = 0", " no_checker_emails = 0",
    ]
    positions = [lines.index(line) for line in wanted]
    assert positions == sorted(positions)


def test_syncd_without_instance_is_run_by_the_checker_with_syncid_0(tmp_path: Path) -> None:
    config = load_text(tmp_path, GLOBAL_CONF.replace("eth0 VI_1 id 7", "eth0"))
    spec, cores = drive(config, verdicts())
    text = render_check_data(snapshot(config, spec, cores))
    assert " LVS syncd interface = eth0\n LVS syncd syncid = 0\n" in text
    assert "vrrp name" not in text


@pytest.fixture
def utc() -> Iterator[None]:
    """Local time is UTC for the test (keepalived prints local time)."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.usefixtures("utc")
def test_times_pad_the_day_with_a_space_as_ctime_and_asctime_do() -> None:
    assert ctime_usec(1796656103.979834) == (
        "1796656103.979834 (Mon Dec  7 15:08:23 2026.979834)")
    assert ctime_usec(0.0) == "0.000000 (Thu Jan  1 00:00:00 1970.000000)"
    # the VRRP dump's `Last transition` (ctime_us_r) had "Dec 07"
    assert _epoch(1796656103.979834) == "1796656103.979834 (Mon Dec  7 15:08:23.979834 2026)"


def test_default_smtp_alert_is_on_or_off_as_keepalived_writes_it(tmp_path: Path) -> None:
    config = load_text(tmp_path, GLOBAL_CONF.replace("router_id LVS1", "smtp_alert"))
    spec, cores = drive(config, verdicts())
    assert " Default smtp_alert = on\n" in render_check_data(snapshot(config, spec, cores))


# ------------------------------------------------------------------ renderer details


def _rs(**fields: object) -> RealServerView:
    values: dict[str, object] = {
        "address": "192.0.2.10", "port": 80, "text": "[192.0.2.10]:tcp:80",
        "forwarding": Forwarding(), "alpha": False, "inhibit": False,
        "connect_timeout_us": 5_000_000, "delay_loop_us": 60_000_000}
    values.update(fields)
    return RealServerView(**values)  # type: ignore[arg-type]


def _render(*servers: VirtualServerView, groups: tuple[GroupView, ...] = (),
            checkers: tuple[CheckerView, ...] = ()) -> list[str]:
    snap = CheckSnapshot(taken_at=0.0, virtual_servers=servers, groups=groups,
                         checkers=checkers)
    return section_lines(render_check_data(snap), "------< LVS Topology >------")


@pytest.mark.parametrize(("fwd", "line"), [
    (Forwarding("DR"), "   forwarding method = DR"),
    (Forwarding("TUN"), "   forwarding method = TUN, type = IPIP"),
    (Forwarding("TUN", "gre", 0, "csum"), "   forwarding method = TUN, type = GRE, checksum"),
    # keepalived's GUE line drops the prefix ("default ", the sorry server's indent)
    (Forwarding("TUN", "gue", 6080, "remcsum"),
     "   forwarding method = TUN, type = GUE, port = 6080, remote checksum"),
])
def test_forwarding_lines(fwd: Forwarding, line: str) -> None:
    lines = _render(VirtualServerView("[192.0.2.100]:tcp:80", "address", forwarding=fwd,
                                      real_servers=(_rs(forwarding=fwd),)))
    assert line in lines


def test_family_granularity_and_one_packet_lines() -> None:
    vs = VirtualServerView("FWM 1", "fwmark", fwmark=1, family=None, flags=0x4, protocol=0,
                           persistence_timeout=360, persistence_granularity=0xFFFFFF00)
    lines = _render(vs, replace(vs, label="[G]:0", kind="group", group_both_families=True,
                                family=6, persistence_granularity=64))
    assert "   Address family = unknown" in lines
    assert "   One packet scheduling = enabled (inactive due to not UDP)" in lines
    assert "   persistence granularity = 255.255.255.0" in lines
    assert "   Address family = inet6" in lines
    assert "   persistence granularity = 64" in lines
    lines = _render(replace(vs, family=None, kind="group", group_both_families=True))
    assert "   Address family = IPv4 & IPv6" in lines


def test_scheduler_flags_are_named_for_sh_and_mh() -> None:
    lines = _render(VirtualServerView("FWM 1", "fwmark", scheduler="mh", flags=0x8))
    assert lines[lines.index("   Hashed = disabled") + 1:][:2] == [
        "   mh-port = disabled", "   mh-fallback = enabled"]


def test_group_entries_ranges_fwmark_families_and_alive_counts() -> None:
    group = GroupView("G", True, True, (
        GroupEntryView(first="2001:db8::1", last="2001:db8::3", port=443, alive=(2, 0, 0)),
        GroupEntryView(fwmark=9, family=6, alive=(0, 2))))
    lines = _render(VirtualServerView("[G]:0", "group"), groups=(group,))
    assert lines[2:10] == [
        " ------< Virtual server group >------",
        " Virtual Server Group = G, IPv4 = yes, IPv6 = yes",
        "   VIP Range = 2001:db8::1-2001:db8::3, VPORT = 443",
        "     Alive: 2 tcp, 0 udp, 0 sctp", "     reloaded = False",
        "   FWMARK = 9 IPv6", "     Alive: 0 IPv4, 2 IPv6", "     reloaded = False"]


def test_group_alive_counts_the_servers_in_ipvs(tmp_path: Path) -> None:
    text = """
virtual_server_group G {
  192.0.2.110 80
  fwmark 3
}
virtual_server group G {
  protocol TCP
  real_server 192.0.2.10 80 {
    TCP_CHECK {
    }
  }
  real_server 192.0.2.11 80 {
    TCP_CHECK {
    }
  }
}
"""
    config = load_text(tmp_path, text)
    spec, cores = drive(config, lambda checker, url: verdicts("TCP_CHECK")(checker, url)
                        if checker.rs_text.startswith("[192.0.2.10]")
                        else verdicts()(checker, url))
    lines = render_check_data(snapshot(config, spec, cores)).splitlines()
    assert "     Alive: 1 tcp, 0 udp, 0 sctp" in lines
    assert "     Alive: 1 IPv4, 0 IPv6" in lines


def test_status_codes_print_as_bitmap_runs() -> None:
    assert status_runs(((200, 200), (201, 204), (301, 302), (599, 700))) == [
        (200, 204), (301, 302), (599, 599)]


def test_regex_lines_with_keepalived_quirks() -> None:
    """Any option set prints every option (dump_url tests the table's bits, not the
    url's); max_offset is printed as configured."""
    url = UrlView("/", regex="ok", regex_no_match=True, regex_min_offset=2,
                  regex_max_offset=10, regex_options=("caseless",), regex_refs=2)
    checker = CheckerView("[192.0.2.100]:tcp:80", "[192.0.2.10]:tcp:80", 0, 0, 0,
                          CheckerKind.HTTP, True, True, False, 0, False, 1, 1, 1, 1, 1, 1,
                          False, details=HttpView(False, "1.0C", "vh", True, True, (url,)))
    lines = _render(VirtualServerView("[192.0.2.100]:tcp:80", "address"),
                    checkers=(checker,))
    start = lines.index("   Keepalive method = HTTP_GET, http protocol 1.0C")
    assert lines[start:start + 4] == ["   Keepalive method = HTTP_GET, http protocol 1.0C",
                                      "   Virtualhost = vh", "   Enable SNI set",
                                      "   Fast recovery set"]
    assert '     Regex = "ok"' in lines
    assert "     Regex no match" in lines
    assert "     Regex min offset = 2, max_offset = 10" in lines
    options = next(line for line in lines if line.startswith("     Regex options:"))
    assert options.startswith("     Regex options: allow_empty_class alt_bsux")
    assert options.endswith(" use_offset_limit")
    assert "     Regex ref count = 2" in lines


def test_checker_file_is_written_0600(tmp_path: Path) -> None:
    path = write_named(CHECK_DATA_FILE, captured_dump(), tmp_path)
    assert path == tmp_path / "keepalived_check.data"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
