"""The checker's SNMP subagent through a real snmpd: its tables and its traps.

`pykeepalived -C` on a host without IPVS (the lab's kernel has none) still runs its
health checks, so its virtual and real server tables and its traps can be watched here:
a TCP_CHECK against a real listener, then the listener stopped. keepalived itself gives
up without IPVS, so its own walk of these tables exists only in the VM; the values are
pinned from check_snmp.c in tests/unit/observe/test_snmp_check.py.
"""

from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Config, GlobalDefs, RealServer, VirtualServer, tcp_check
from netlab.lab import wait_for
from netlab.peers import PyChecker
from netlab.snmp import KEEPALIVED_CHECK, Snmp, Varbind
from tests.conftest import skip_or_fail

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VS_ENTRY = f"{KEEPALIVED_CHECK}.3.1"
RS_ENTRY = f"{KEEPALIVED_CHECK}.4.1"
RS_TRAP = f"{KEEPALIVED_CHECK}.5.0.1"
QUORUM_TRAP = f"{KEEPALIVED_CHECK}.5.0.2"


def value(rows: list[Varbind], oid: str) -> str | None:
    return next((vb.value for vb in rows if vb.oid == oid), None)


def test_checker_tables_and_traps_follow_a_real_server(make_lab: Callable[..., Lab]) -> None:
    for tool in ("snmpd", "snmpwalk", "snmptrapd"):
        if shutil.which(tool) is None:
            skip_or_fail(f"needs {tool} (Debian snmpd, snmp, snmptrapd: make test installs)")
    lab = make_lab(("director", "web"), base=100)
    web = lab.host("web")
    snmp = Snmp(lab, "director").start()
    listener = lab.spawn("web", [sys.executable, "-m", "http.server", "8080", "--bind",
                                 str(web.ipv4)], name="http")
    wait_for(lambda: lab.run("web", ["ss", "-ltn"]).stdout.count(":8080") > 0, 5.0,
             what="the web listener")
    config = Config(
        global_defs=GlobalDefs(router_id="director", extra=[
            f"snmp_socket unix:{snmp.agentx_socket}", "enable_snmp_checker",
            "enable_traps"]),
        virtual_servers=[VirtualServer(
            "192.0.2.200 80", delay_loop=1, extra=["snmp_name web"],
            real_servers=[RealServer(str(web.ipv4), 8080, weight=3,
                                     checkers=[tcp_check(connect_timeout=1, retry=0)])])])
    checker = PyChecker(lab, "director", config).start()

    rs_status = f"{RS_ENTRY}.6.1.1"
    wait_for(lambda: value(snmp.walk(KEEPALIVED_CHECK), rs_status) == "1", 15.0,
             what=f"the real server up in the walk; checker logged:\n{checker.log()[-2000:]}")
    rows = snmp.walk(KEEPALIVED_CHECK)
    assert value(rows, f"{VS_ENTRY}.6.1") == "C0 00 02 C8 "     # 192.0.2.200 (snmpwalk pads)
    assert value(rows, f"{VS_ENTRY}.71.1") == '"web"'
    assert value(rows, f"{VS_ENTRY}.21.1") == "1"               # real servers up
    assert value(rows, f"{VS_ENTRY}.23.1") == "1"               # quorum up
    assert value(rows, f"{RS_ENTRY}.7.1.1") == "3"              # weight
    assert next(vb.kind for vb in rows if vb.oid == f"{VS_ENTRY}.20.1") == "Gauge32"

    before = len(snmp.traps())
    listener.stop()
    traps = snmp.wait_traps(lambda seen: any(t.trap_oid == QUORUM_TRAP
                                             for t in seen[before:]),
                            timeout=15.0, what="the checker's traps")[before:]
    oids = [t.trap_oid for t in traps]
    assert oids[:2] == [RS_TRAP, QUORUM_TRAP]
    rs_trap = {vb.oid: vb.value for vb in traps[0].varbinds}
    assert rs_trap[f"{RS_ENTRY}.6"] == "2"                      # down
    assert rs_trap[f"{RS_ENTRY}.5"] == "8080"
    assert rs_trap[".1.3.6.1.4.1.9586.100.5.1.2.0"] == '"director"'
    quorum = {vb.oid: vb.value for vb in traps[1].varbinds}
    assert quorum[f"{VS_ENTRY}.23"] == "2"
    assert quorum[f"{VS_ENTRY}.21"] == "0"
    rows = snmp.walk(KEEPALIVED_CHECK)
    assert value(rows, rs_status) == "2"
    assert value(rows, f"{VS_ENTRY}.23.1") == "2"
    assert checker.stop() == 0
