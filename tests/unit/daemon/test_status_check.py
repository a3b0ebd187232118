"""`pykeepalived status` with a checker: the VRRP document names it, its document joins.

This test process plays the daemon: its JSON-signal handler writes what the VRRP
process writes (our status file naming a checker child, keepalived.json) and, when the
scenario has one, what the checker child writes. Against a real keepalived only
keepalived.json comes, and the VRRP view is shown alone, as before.
"""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from pykeepalived.cli.status import JSON_SIGNAL, main_status, request_status
from pykeepalived.observe.check_status import CHECK_STATUS_FILE, encode_check_status
from pykeepalived.observe.dumps import dump_on_signal, write_dump, write_named
from pykeepalived.observe.dumps_json import render_json
from pykeepalived.observe.status import encode_status, parse_status
from tests.unit.daemon.dump_snapshot import capture_snapshot
from tests.unit.observe.check_cores import drive, load_text, snapshot, verdicts
from tests.unit.observe.check_reference import REFERENCE_CONF

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

CHECKER_PID = 31337


@pytest.fixture
def check_document(tmp_path: Path) -> str:
    config = load_text(tmp_path, REFERENCE_CONF)
    spec, cores = drive(config, verdicts("HTTP_GET"))
    return encode_check_status(snapshot(config, spec, cores))


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Callable[[Callable[[], None]], Path]]:
    """Install `writer` as this process's JSON-signal handler; the pid file names us."""
    previous = signal.getsignal(JSON_SIGNAL)

    def install(writer: Callable[[], None]) -> Path:
        signal.signal(JSON_SIGNAL, lambda signum, frame: writer())
        (tmp_path / "daemon.pid").write_text(f"{os.getpid()}\n")
        return tmp_path

    yield install
    signal.signal(JSON_SIGNAL, previous)


def vrrp_writer(directory: Path, checker_pid: int | None) -> Callable[[], None]:
    vrrp = replace(capture_snapshot(), checker_pid=checker_pid)
    def write() -> None:
        dump_on_signal("json", vrrp, directory)
    return write


def run(directory: Path, *extra: str, timeout: str = "2") -> int:
    return main_status(["--pid", str(directory / "daemon.pid"), "--dir", str(directory),
                        "--timeout", timeout, *extra])


def test_our_status_file_names_the_checker_child() -> None:
    named = replace(capture_snapshot(), checker_pid=CHECKER_PID)
    assert parse_status(encode_status(named)).checker_pid == CHECKER_PID
    assert parse_status(encode_status(capture_snapshot())).checker_pid is None


def test_vrrp_and_check_documents_make_one_table(
        daemon: Callable[[Callable[[], None]], Path], tmp_path: Path, check_document: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    vrrp = vrrp_writer(tmp_path, CHECKER_PID)

    def both() -> None:
        vrrp()
        write_named(CHECK_STATUS_FILE, check_document, tmp_path)

    directory = daemon(both)
    assert run(directory) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("INSTANCE")
    assert any(line.startswith("VIRTUAL/REAL SERVER") for line in out)
    assert any(line.startswith("  192.0.2.10:8081") for line in out)


def test_json_output_has_instances_and_virtual_servers(
        daemon: Callable[[Callable[[], None]], Path], tmp_path: Path, check_document: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    vrrp = vrrp_writer(tmp_path, CHECKER_PID)

    def both() -> None:
        write_named(CHECK_STATUS_FILE, check_document, tmp_path)  # the child may be first
        vrrp()

    directory = daemon(both)
    assert run(directory, "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [i["name"] for i in doc["instances"]] == ["DUMP_A", "DUMP_B"]
    assert [vs["label"] for vs in doc["virtual_servers"]] == ["[192.0.2.100]:tcp:80"]


def test_a_checker_alone_answers_with_its_document(
        daemon: Callable[[Callable[[], None]], Path], tmp_path: Path, check_document: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    def checker_alone() -> None:
        write_named(CHECK_STATUS_FILE, check_document, tmp_path)

    directory = daemon(checker_alone)
    assert run(directory, "--metrics") == 0
    out = capsys.readouterr().out
    assert "pykeepalived_real_server_up" in out
    assert "keepalived_vrrp_state{" not in out


def test_a_silent_checker_leaves_the_vrrp_view_and_says_so(
        daemon: Callable[[Callable[[], None]], Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    directory = daemon(vrrp_writer(tmp_path, CHECKER_PID))
    assert run(directory, timeout="0.2") == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("INSTANCE")
    assert "VIRTUAL/REAL SERVER" not in captured.out
    assert f"the checker process ({CHECKER_PID}) wrote no {CHECK_STATUS_FILE}" in captured.err


def test_real_keepalived_gives_the_vrrp_view_without_waiting(
        daemon: Callable[[Callable[[], None]], Path], tmp_path: Path, check_document: str,
        ) -> None:
    """keepalived writes keepalived.json only; a stale check file from an earlier run of
    ours is not taken for its answer."""
    write_named(CHECK_STATUS_FILE, check_document, tmp_path)
    keepalived_json = render_json(capture_snapshot())

    def keepalived() -> None:
        write_dump("json", keepalived_json, tmp_path)

    directory = daemon(keepalived)
    view = request_status(directory / "daemon.pid", directory, timeout=2.0)
    assert [i.name for i in view.instances] == ["DUMP_A", "DUMP_B"]
    assert view.check is None
    assert view.checker_pid is None
