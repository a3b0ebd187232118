"""`pykeepalived status`: parsing both files, the table, Prometheus text, the signal dance."""

from __future__ import annotations

import json
import os
import re
import signal
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from pykeepalived.cli.status import JSON_SIGNAL, main_status
from pykeepalived.observe.dumps import dump_on_signal, render_json
from pykeepalived.observe.metrics import COUNTER_METRICS, format_metrics
from pykeepalived.observe.status import (
    STATUS_FILE,
    StatusError,
    encode_status,
    format_table,
    parse_keepalived_json,
    parse_status,
)
from tests.unit.daemon.dump_snapshot import FIXTURES, capture_snapshot

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pykeepalived.observe.snapshot import DumpSnapshot

REASON = "no advert received within 3.4140625 s of startup"


@pytest.fixture(scope="module")
def snapshot() -> DumpSnapshot:
    return capture_snapshot()


def test_status_file_round_trips_with_reason_and_priorities(snapshot: DumpSnapshot) -> None:
    view = parse_status(encode_status(snapshot))
    a, b = view.instances
    assert (a.name, a.interface, a.vrid, a.state, a.base_priority, a.effective_priority) == (
        "DUMP_A", "eth0", 161, "MASTER", 150, 150)
    assert a.reason == REASON
    assert a.master == "self"
    # keepalived's dump shows the group address until a master is heard; status says so
    assert b.master == "none heard"
    assert a.counters["advert_sent"] == 3
    assert [(s.name, s.status, s.tracker_state) for s in view.scripts] == [
        ("chk", "GOOD", "good")]


def test_keepalived_json_gives_the_same_rows_without_our_extras(
        snapshot: DumpSnapshot) -> None:
    ours = parse_status(encode_status(snapshot)).instances
    theirs = parse_keepalived_json((FIXTURES / "keepalived.json").read_text()).instances
    for mine, real in zip(ours, theirs, strict=True):
        assert (mine.name, mine.state, mine.vrid, mine.counters, mine.vips) == (
            real.name, real.state, real.vrid, real.counters, real.vips)
    assert theirs[0].reason == ""


def test_table_shows_instance_state_priorities_and_reason(snapshot: DumpSnapshot) -> None:
    table = format_table(parse_status(encode_status(snapshot))).splitlines()
    assert table[0].split() == ["INSTANCE", "IFACE", "VRID", "STATE", "PRIO", "MASTER",
                                "SINCE", "REASON"]
    assert re.match(r"DUMP_A +eth0 +161 +MASTER +150/150 +self +\d{4}-\d\d-\d\d "
                    r"\d\d:\d\d:\d\d +no advert received", table[1])
    assert "DUMP_A: advert_rcvd=0 advert_sent=3 become_master=1" in table[3]
    assert table[-1] == "script chk: GOOD (good)"


def test_metrics_use_the_exporter_names_and_labels(snapshot: DumpSnapshot) -> None:
    text = format_metrics(parse_status(encode_status(snapshot)))
    assert 'keepalived_vrrp_state{iname="DUMP_A",intf="eth0",vrid="161",' \
           'ip_address="192.0.2.161/24"} 2' in text
    assert 'keepalived_vrrp_state{iname="DUMP_B",intf="eth0",vrid="162",' \
           'ip_address="192.0.2.162/24"} 1' in text
    common = 'iname="DUMP_A",intf="eth0",vrid="161",state="MASTER"'
    assert f"keepalived_advertisements_sent_total{{{common}}} 3" in text
    assert f"keepalived_gratuitous_arp_delay_total{{{common}}} 5" in text
    assert f"pykeepalived_effective_priority{{{common}}} 150" in text
    assert f'pykeepalived_last_transition_info{{iname="DUMP_A",reason="{REASON}"}} 1' in text
    assert 'keepalived_script_status{name="chk"} 1' in text
    assert 'pykeepalived_script_tracker_state{name="chk",state="good"} 1' in text
    for metric in COUNTER_METRICS.values():
        assert f"# TYPE {metric} counter" in text


def test_metrics_text_is_valid_exposition(snapshot: DumpSnapshot) -> None:
    sample = re.compile(r'[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+')
    for line in format_metrics(parse_status(encode_status(snapshot))).splitlines():
        assert line.startswith("# TYPE ") or sample.fullmatch(line), line


def test_label_values_are_escaped(snapshot: DumpSnapshot) -> None:
    odd = replace(snapshot, instances=(replace(snapshot.instances[0],
                                               last_transition_reason='say "hi"\\'),))
    assert r'reason="say \"hi\"\\"' in format_metrics(parse_status(encode_status(odd)))


@pytest.mark.parametrize("text", ["", "{", "[]", '{"instances": [{"name": 1}]}'])
def test_broken_status_file_is_a_clear_error(text: str) -> None:
    with pytest.raises(StatusError, match=f"{STATUS_FILE} is not a status document"):
        parse_status(text)


@pytest.mark.parametrize("text", ["", "{", "{}", '[{"data": {}}]', '[{"data": {"state": 9}}]'])
def test_broken_keepalived_json_is_a_clear_error(text: str) -> None:
    with pytest.raises(StatusError, match="not a keepalived JSON dump"):
        parse_keepalived_json(text)


def test_empty_keepalived_json_is_no_instances() -> None:
    assert parse_keepalived_json("[]").instances == ()


# ------------------------------------------------------------------ main_status
@pytest.fixture
def fake_daemon(tmp_path: Path, snapshot: DumpSnapshot) -> Iterator[Path]:
    """This test process plays the daemon: its JSON-signal handler writes the dumps."""
    def on_signal(signum: int, frame: object) -> None:
        dump_on_signal("json", snapshot, tmp_path)

    previous = signal.signal(JSON_SIGNAL, on_signal)
    (tmp_path / "daemon.pid").write_text(f"{os.getpid()}\n")
    try:
        yield tmp_path
    finally:
        signal.signal(JSON_SIGNAL, previous)


def run_status(directory: Path, *extra: str) -> int:
    return main_status(["--pid", str(directory / "daemon.pid"), "--dir", str(directory),
                        "--timeout", "2", *extra])


def test_status_signals_the_daemon_and_prints_the_table(
        fake_daemon: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_status(fake_daemon) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("DUMP_A")
    assert (fake_daemon / STATUS_FILE).exists()


def test_status_json_output(fake_daemon: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_status(fake_daemon, "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(i["name"], i["state"], i["reason"]) for i in doc["instances"]] == [
        ("DUMP_A", "MASTER", REASON), ("DUMP_B", "BACKUP", "startup")]
    assert doc["virtual_servers"] == []  # no checker child named: the VRRP side alone


def test_status_metrics_output(fake_daemon: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_status(fake_daemon, "--metrics") == 0
    assert "keepalived_up 1" in capsys.readouterr().out


def test_missing_pid_file_is_one_line_and_exit_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_status(tmp_path) == 1
    err = capsys.readouterr().err
    assert err.startswith("pykeepalived status: cannot read pid file")
    assert "Traceback" not in err


def test_garbage_pid_file_is_a_clear_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "daemon.pid").write_text("not-a-pid\n")
    assert run_status(tmp_path) == 1
    assert "holds no pid" in capsys.readouterr().err


def test_dead_pid_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "daemon.pid").write_text("4194304\n")  # above pid_max: never a process
    assert run_status(tmp_path) == 1
    assert "is the daemon running?" in capsys.readouterr().err


def test_daemon_that_writes_nothing_times_out(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    previous = signal.signal(JSON_SIGNAL, lambda signum, frame: None)
    (tmp_path / "daemon.pid").write_text(f"{os.getpid()}\n")
    try:
        assert main_status(["--pid", str(tmp_path / "daemon.pid"), "--dir", str(tmp_path),
                            "--timeout", "0.05"]) == 1
    finally:
        signal.signal(JSON_SIGNAL, previous)
    assert "wrote no dump" in capsys.readouterr().err


def test_keepalived_json_is_read_when_our_file_is_absent(
        tmp_path: Path, snapshot: DumpSnapshot) -> None:
    view = parse_keepalived_json(render_json(snapshot))
    assert [i.state for i in view.instances] == ["MASTER", "BACKUP"]
