"""Our check status document, its table and its metrics, from a driven check snapshot.

The run is the check reference's example (§6): 8080 up by HTTP_GET, 8081 down by
TCP_CHECK, quorum 2 lost, the sorry server in the pool; the kernel's table says what a
real IPVS would hold then.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import TYPE_CHECKING

import pytest

from pykeepalived.check.lvs import DestSpec, ServiceSpec
from pykeepalived.observe.check_status import (
    CHECK_STATUS_FILE,
    CheckStatusError,
    CheckStatusView,
    check_status_json,
    check_table_lines,
    encode_check_status,
    parse_check_status,
)
from pykeepalived.observe.metrics import check_metrics, format_metrics
from pykeepalived.observe.status import StatusView, format_table
from tests.unit.observe.check_cores import (
    PROBE_TIME,
    WALL_NOW,
    drive,
    load_text,
    snapshot,
    verdicts,
)
from tests.unit.observe.check_reference import REFERENCE_CONF

if TYPE_CHECKING:
    from pathlib import Path

VS = "[192.0.2.100]:tcp:80"
SERVICE = ServiceSpec(4, 6, ip_address("192.0.2.100"), 80, scheduler="wrr")
#: what the kernel holds: the sorry server, and (edited by someone else) a stale 8080
KERNEL = {SERVICE: (DestSpec(ip_address("192.0.2.10"), 8080, weight=5),
                    DestSpec(ip_address("192.0.2.10"), 9999, weight=1))}


@pytest.fixture
def view(tmp_path: Path) -> CheckStatusView:
    config = load_text(tmp_path, REFERENCE_CONF)
    spec, cores = drive(config, verdicts("HTTP_GET"))
    return parse_check_status(encode_check_status(snapshot(config, spec, cores,
                                                           kernel=KERNEL)))


def test_document_round_trip_per_virtual_server(view: CheckStatusView) -> None:
    assert view.pid == 4242
    assert view.ipvs_read
    assert view.taken_at == WALL_NOW
    (vs,) = view.virtual_servers
    assert (vs.label, vs.services, vs.quorum, vs.hysteresis) == (VS, (VS,), 2, 0)
    assert (vs.quorum_up, vs.alive_weight) == (False, 1)
    assert (vs.sorry_server, vs.sorry_server_in_use) == ("[192.0.2.10]:tcp:9999", True)


def test_document_real_servers_and_weights(view: CheckStatusView) -> None:
    up, down = view.virtual_servers[0].real_servers
    assert (up.address, up.server, up.alive, up.in_ipvs) == (
        "192.0.2.10:8080", "[192.0.2.10]:tcp:8080", True, False)  # the sorry server's turn
    assert (up.weight, up.effective_weight, up.kernel_weight) == (1, 1, 5)
    assert (down.alive, down.in_ipvs, down.failed_checkers, down.kernel_weight) == (
        False, False, 1, None)


def test_document_checkers_last_result_and_failures(view: CheckStatusView) -> None:
    (http,) = view.virtual_servers[0].real_servers[0].checkers
    (tcp,) = view.virtual_servers[0].real_servers[1].checkers
    assert (http.kind, http.up, http.has_run, http.last_ok) == ("HTTP_GET", True, True, True)
    assert http.last_latency == PROBE_TIME
    # it ended at FIRST_RUN + PROBE_TIME on the cores' clock: one probe time before "now"
    assert http.last_at == pytest.approx(WALL_NOW - PROBE_TIME)
    assert (tcp.kind, tcp.up, tcp.last_ok, tcp.last_reason, tcp.last_detail) == (
        "TCP_CHECK", False, False, "Connection failed", "refused")
    assert tcp.failures == {"Connection failed": 1}


def test_inhibited_failing_server_is_in_ipvs_at_weight_0(tmp_path: Path) -> None:
    config = load_text(tmp_path, REFERENCE_CONF.replace("weight 2", "weight 2\n"
                                                        "    inhibit_on_failure"))
    spec, cores = drive(config, verdicts("HTTP_GET"))
    doc = parse_check_status(encode_check_status(snapshot(config, spec, cores)))
    down = doc.virtual_servers[0].real_servers[1]
    assert (down.alive, down.in_ipvs, down.ipvs_weight, down.kernel_weight) == (
        False, True, 0, None)
    assert not doc.ipvs_read


@pytest.mark.parametrize("text", ["", "{", "[]", '{"virtual_servers": [{"label": 1}]}'])
def test_broken_document_is_a_clear_error(text: str) -> None:
    with pytest.raises(CheckStatusError, match=f"{CHECK_STATUS_FILE} is not a check status"):
        parse_check_status(text)


def test_table_rows_per_virtual_and_real_server(view: CheckStatusView) -> None:
    lines = check_table_lines(view)
    assert lines[0].split() == ["VIRTUAL/REAL", "SERVER", "STATE", "IPVS", "WEIGHT",
                                "CHECKERS"]
    assert lines[1].startswith(VS)
    assert "quorum down, sorry server [192.0.2.10]:tcp:9999" in lines[1]
    assert "alive 1, quorum 2" in lines[1]
    assert lines[2].split()[:4] == ["192.0.2.10:8080", "up", "-", "1/1"]
    assert "kernel 5" in lines[2]
    assert "HTTP_GET up, last ok 10ms at" in lines[2]
    assert lines[3].split()[:4] == ["192.0.2.10:8081", "down", "-", "2/2"]
    assert "TCP_CHECK down, last Connection failed 10ms" in lines[3]


def test_status_table_shows_the_check_side_below_vrrp(view: CheckStatusView) -> None:
    alone = format_table(StatusView((), check=view)).splitlines()
    assert alone == check_table_lines(view)  # a checker on its own: no VRRP header
    assert "INSTANCE" in format_table(StatusView(())).splitlines()[0]


def test_json_output_of_the_check_side(view: CheckStatusView) -> None:
    (vs,) = check_status_json(view)
    assert vs["label"] == VS
    servers = vs["real_servers"]
    assert isinstance(servers, list)
    assert [s["checkers"][0]["kind"] for s in servers] == ["HTTP_GET", "TCP_CHECK"]


def test_metrics_of_the_check_side(view: CheckStatusView) -> None:
    text = "\n".join(check_metrics(view))
    server = f'virtual_server="{VS}",real_server="192.0.2.10:8080"'
    assert f'pykeepalived_virtual_server_quorum_up{{virtual_server="{VS}"}} 0' in text
    assert f"pykeepalived_real_server_up{{{server}}} 1" in text
    assert f'pykeepalived_real_server_weight{{{server},kind="configured"}} 1' in text
    assert f'pykeepalived_real_server_weight{{{server},kind="kernel"}} 5' in text
    assert 'kind="ipvs"' not in text  # neither server is in IPVS: the sorry server is
    checker = f'{server},checker="HTTP_GET",position="0"'
    assert f"pykeepalived_checker_up{{{checker}}} 1" in text
    assert f"pykeepalived_checker_latency_seconds{{{checker}}} 0.010000" in text
    failed = (f'virtual_server="{VS}",real_server="192.0.2.10:8081",checker="TCP_CHECK",'
              f'position="0",reason="Connection failed"')
    assert f"pykeepalived_checker_failures_total{{{failed}}} 1" in text
    for name, kind in (("virtual_server_quorum_up", "gauge"), ("real_server_up", "gauge"),
                       ("real_server_weight", "gauge"), ("checker_up", "gauge"),
                       ("checker_latency_seconds", "gauge"),
                       ("checker_failures_total", "counter")):
        assert f"# TYPE pykeepalived_{name} {kind}" in text


def test_metrics_of_the_whole_view_end_with_the_check_side(view: CheckStatusView) -> None:
    text = format_metrics(StatusView((), check=view))
    assert text.startswith("# TYPE keepalived_up gauge\nkeepalived_up 1\n")
    assert text.endswith("\n".join(check_metrics(view)) + "\n")
    assert "pykeepalived_checker_up" not in format_metrics(StatusView(()))
