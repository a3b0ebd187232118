"""The command line: keepalived's flags, banner, --signum and -t verdicts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pykeepalived.cli import main

if TYPE_CHECKING:
    from pathlib import Path


def test_version_banner_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-v"]) == 0
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines()[0] == "Keepalived v2.2.7 (pykeepalived 0.1.0)"


@pytest.mark.parametrize(("name", "number"), [("STOP", 15), ("RELOAD", 1), ("DATA", 10),
                                              ("STATS", 12), ("STATS_CLEAR", 63), ("JSON", 36)])
def test_signum(name: str, number: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([f"--signum={name}"]) == 0
    assert capsys.readouterr().out == f"{number}\n"


def test_signum_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--signum=BOGUS"]) == 1
    assert capsys.readouterr().err == "Unknown sigfunc BOGUS\n"


def test_config_test_reports_line_without_file_for_single_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text("global_defs {\n router_id x\n bogus_word 1\n}\n")
    assert main(["-t", "-f", str(conf)]) == 5
    assert "Unknown keyword 'bogus_word'" in capsys.readouterr().err


def test_config_test_missing_parameter_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # keepalived 2.2.7 stops reading and exits KEEPALIVED_EXIT_CONFIG (2), not the 4 of a
    # config it cannot run nor the 5 of one with errors (tests/integration pins it against
    # the real binary; this pins it without one)
    conf = tmp_path / "k.conf"
    conf.write_text("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
                    " priority\n virtual_ipaddress {\n  192.0.2.100\n }\n}\n")
    assert main(["-t", "-f", str(conf)]) == 2
    assert capsys.readouterr().err == (
        "(Line 4) *** Configuration line starting `priority` is missing a parameter"
        " after keyword `priority` at word position 2\n")


def test_config_test_equals_form_and_dump(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text("global_defs {\n router_id lb1\n}\n")
    assert main([f"--config-test={conf}", "-d"]) == 0
    assert "router_id = lb1" in capsys.readouterr().err


def test_daemon_refuses_to_start_without_its_config(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.conf"
    assert main(["-f", str(missing), "-n", "-l", "-G"]) == 1
    err = capsys.readouterr().err
    assert f"Opening file '{missing}'." in err
    assert str(missing) in err.split("Opening file", 1)[1].split("\n", 1)[1]


def test_bad_flag_is_usage_error_not_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-such-flag"]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.parametrize("text", [
    "vrrp_instance {\n", "}\n}\n", "vrrp_instance VI_1 {\n virtual_ipaddress {\n",
    "global_defs {\n smtp_server\n}\n", "\x00\xff garbage {{{ ]]] \n",
    "vrrp_instance VI_1 {\n unicast_peer {\n  x min_ttl\n }\n}\n",
])
def test_broken_configs_never_traceback(text: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text(text, errors="surrogateescape")
    assert main(["-t", "-f", str(conf)]) in (0, 2, 4, 5, 6)
    assert "Traceback" not in capsys.readouterr().err


def test_missing_main_config_exits_4_with_or_without_e(tmp_path: Path) -> None:
    # deliberate difference: keepalived -t exits 0 here without -e (acassen/keepalived#955)
    missing = str(tmp_path / "absent.conf")
    assert main(["-t", "-f", missing]) == 4
    assert main(["-t", "-e", "-f", missing]) == 4
