"""Our dump renderers against keepalived 2.2.7's own dumps (tests/data/dumps/).

The snapshot is built the way the daemon builds it (dump_snapshot.py): the fixture's
keepalived.conf through the config loader, real `VrrpInstance` cores driven on a virtual
clock to the moment the capture was taken (DUMP_A master for 2.5 s, DUMP_B backup), a
GOOD script tracker.
"""

from __future__ import annotations

import json
import os
import re
import stat
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

import pytest

from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_config
from pykeepalived.observe.capture import build_snapshot
from pykeepalived.observe.dumps import (
    dump_on_signal,
    render,
    render_data,
    render_json,
    render_stats,
    write_dump,
)
from pykeepalived.observe.snapshot import DumpSnapshot, cmd_str
from pykeepalived.observe.status import STATUS_FILE, parse_status
from pykeepalived.specs.instance import instance_params
from pykeepalived.vrrp.events import FaultChanged, PriorityChanged
from pykeepalived.vrrp.instance import VrrpInstance
from tests.unit.daemon.dump_snapshot import (
    FIXTURES,
    SOURCE,
    WALL_NOW,
    capture_snapshot,
    fixture_text,
    is_subsequence,
    json_pairs,
    line_key,
    mask_json_times,
    mask_times,
    run_to_capture,
    sections,
)

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def snapshot() -> DumpSnapshot:
    return capture_snapshot()


# ------------------------------------------------------------------ stats
def test_stats_dump_is_keepalived_byte_for_byte(snapshot: DumpSnapshot) -> None:
    assert render_stats(snapshot) == fixture_text("keepalived.stats")


# ------------------------------------------------------------------ json
def test_json_dump_is_keepalived_byte_for_byte_but_times(snapshot: DumpSnapshot) -> None:
    assert mask_json_times(render_json(snapshot)) == mask_json_times(
        fixture_text("keepalived.json"))


def test_json_keys_in_keepalived_order(snapshot: DumpSnapshot) -> None:
    ours, theirs = json_pairs(render_json(snapshot)), json_pairs(fixture_text("keepalived.json"))
    assert isinstance(ours, list)
    assert isinstance(theirs, list)

    def keys(doc: list[object]) -> list[list[object]]:
        return [[(k, [kk for kk, _ in v]) for k, v in obj] for obj in doc]  # type: ignore[attr-defined]

    assert keys(ours) == keys(theirs)


def test_json_last_transition_is_wall_clock_of_the_transition(snapshot: DumpSnapshot) -> None:
    doc = json.loads(render_json(snapshot))
    master = doc[0]["data"]
    # DUMP_A entered MASTER 2.5 s before the dump, DUMP_B BACKUP at startup
    assert master["last_transition"] == pytest.approx(WALL_NOW - 2.5, abs=1e-6)
    assert doc[1]["data"]["last_transition"] == pytest.approx(WALL_NOW - 2.5 - 3.4140625,
                                                              abs=1e-6)


def test_json_strings_are_escaped_as_keepalived_does(snapshot: DumpSnapshot) -> None:
    text = render_json(snapshot)
    assert "/tmp/" not in text  # every slash escaped
    assert "\"'\\/tmp\\/notify.sh' 'master'\"" in text
    assert json.loads(text)[0]["data"]["script_master"] == "'/tmp/notify.sh' 'master'"


# ------------------------------------------------------------------ data
def test_data_topology_matches_keepalived_but_times(snapshot: DumpSnapshot) -> None:
    ours, theirs = sections(render_data(snapshot)), sections(fixture_text("keepalived.data"))
    ours_lines = mask_times(ours["VRRP Topology"])
    theirs_lines = mask_times(theirs["VRRP Topology"])
    assert [line_key(x) for x in ours_lines] == [line_key(x) for x in theirs_lines]
    differing = [(a, b) for a, b in zip(ours_lines, theirs_lines, strict=True) if a != b]
    assert differing == []


def test_v2_master_down_timer_matches_keepalived(snapshot: DumpSnapshot) -> None:
    dump_b = next(i for i in snapshot.instances if i.name == "DUMP_B")
    assert dump_b.master_down_timer_us == 6648437


def test_v3_master_down_timer_is_truncated_like_keepalived(snapshot: DumpSnapshot) -> None:
    assert snapshot.instances[0].master_down_timer_us == 3414062


def test_data_scripts_section_matches_keepalived(snapshot: DumpSnapshot) -> None:
    ours, theirs = sections(render_data(snapshot)), sections(fixture_text("keepalived.data"))
    assert ours["VRRP Scripts"] == theirs["VRRP Scripts"]


def test_data_global_lines_are_keepalived_lines_in_its_order(snapshot: DumpSnapshot) -> None:
    ours = sections(render_data(snapshot))["Global definitions"]
    theirs = sections(fixture_text("keepalived.data"))["Global definitions"]
    assert is_subsequence(ours, theirs), sorted(set(ours) - set(theirs))
    assert len(ours) >= 30


def test_data_section_order(snapshot: DumpSnapshot) -> None:
    ours = list(sections(render_data(snapshot)))
    theirs = list(sections(fixture_text("keepalived.data")))
    assert is_subsequence(ours, theirs)
    assert ours == ["Global definitions", "VRRP Topology", "VRRP Scripts"]


def test_time_lines_render_epoch_and_local_time(snapshot: DumpSnapshot) -> None:
    line = next(x for x in render_data(snapshot).splitlines() if "Last transition" in x)
    assert re.fullmatch(r"   Last transition = \d+\.\d{6} \(\w{3} \w{3} [ \d]\d "
                        r"\d\d:\d\d:\d\d\.\d{6} \d{4}\)", line)
    assert line.split(" = ")[1].startswith(f"{WALL_NOW - 2.5:.6f}")


# ------------------------------------------------------------------ state-dependent lines
def test_fault_and_backup_change_what_the_dump_shows() -> None:
    snap = capture_snapshot()
    backup = sections(render_data(snap))["VRRP Topology"]
    start = backup.index(" VRRP Instance = DUMP_B")
    assert backup[start + 3:start + 5] == ["   Master router = 224.0.0.18",
                                           "   Master priority = 0"]
    assert json.loads(render_json(snap))[1]["data"]["state"] == 1


def test_cmd_str_quotes_every_word_but_a_leading_redirection() -> None:
    assert cmd_str(("/bin/x", "a b")) == "'/bin/x' 'a b'"
    assert cmd_str(("</dev/null",)) == "</dev/null"


# ------------------------------------------------------------------ writing
def test_write_dump_is_atomic_0600_with_keepalived_names(tmp_path: Path,
                                                        snapshot: DumpSnapshot) -> None:
    written = {path.name for kind in ("data", "stats", "json")
               for path in dump_on_signal(kind, snapshot, tmp_path)}
    assert written == {"keepalived.data", "keepalived.stats", "keepalived.json", STATUS_FILE}
    for name in written:
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(written)  # no temp left
    assert (tmp_path / "keepalived.stats").read_text() == render_stats(snapshot)
    view = parse_status((tmp_path / STATUS_FILE).read_text())
    assert [i.name for i in view.instances] == ["DUMP_A", "DUMP_B"]


def test_write_dump_replaces_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "keepalived.stats").write_text("old")
    write_dump("stats", "new\n", tmp_path)
    assert (tmp_path / "keepalived.stats").read_text() == "new\n"


def test_unknown_kind_is_a_clear_error(tmp_path: Path, snapshot: DumpSnapshot) -> None:
    with pytest.raises(ValueError, match="unknown dump kind 'tdata'"):
        write_dump("tdata", "", tmp_path)
    with pytest.raises(ValueError, match="unknown dump kind"):
        render("xml", snapshot)


def test_write_into_missing_directory_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_dump("data", "x", tmp_path / "absent")


def test_json_fixture_has_what_exporters_decode() -> None:
    """mehdy/keepalived-exporter decodes these data keys and all 14 counters."""
    doc = json.loads(fixture_text("keepalived.json"))
    assert {"iname", "state", "wantstate", "ifp_ifname", "garp_delay", "vrid", "vips"} <= set(
        doc[0]["data"])
    assert len(doc[0]["stats"]) == 14


def test_priority_change_and_fault_show_in_every_dump() -> None:
    loaded = load_config(str(FIXTURES / "keepalived.conf"),
                         host=HostFacts(interfaces=frozenset({"lo", "eth0"})))
    assert loaded.config is not None
    config = loaded.config
    cores = {cfg.name: VrrpInstance(instance_params(config.global_defs, cfg,
                                                    IPv4Address(SOURCE)))
             for cfg in config.instances}
    now = run_to_capture(cores, master_for=1.0)
    cores["DUMP_A"].handle(PriorityChanged(effective=90, reason="script chk failed"), now=now)
    cores["DUMP_B"].handle(FaultChanged(faulted=True, reason="interface eth0 down"), now=now)
    snap = build_snapshot(config, cores, {}, wall_now=WALL_NOW, mono_now=now + 0.5)
    doc = json.loads(render_json(snap))
    assert (doc[0]["data"]["base_priority"], doc[0]["data"]["effective_priority"]) == (150, 90)
    assert doc[1]["data"]["state"] == 3
    assert doc[1]["data"]["last_transition"] == pytest.approx(WALL_NOW - 0.5, abs=1e-6)
    assert snap.instances[1].last_transition_reason == "interface eth0 down"
    topology = sections(render_data(snap))["VRRP Topology"]
    assert "   Effective priority = 90" in topology
    assert "   State = FAULT" in topology
    assert "   No sockets allocated" in topology
    scripts = sections(render_data(snap))["VRRP Scripts"]
    assert "   Status = BAD" in scripts  # no result yet: keepalived's counter is rise - 1
    assert "   Init state = INIT" in scripts
