"""pykeepalived's one global_defs extension keyword against keepalived 2.2.7's -t, in the
same run: keepalived calls it unknown (exit 5), we accept a good value and refuse a bad
one with the file's line, never a traceback (docs/operations.md, section 7)."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Config, GlobalDefs, Instance
from pykeepalived.cli import main
from pykeepalived.config.load import load_config

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.keepalived


def write(tmp_path: Path, value: str) -> str:
    path = tmp_path / "keepalived.conf"
    path.write_text(Config([Instance("VI_1", 51, 100, ["192.0.2.1/24"], interface="eth0")],
                           GlobalDefs(extra=[f"pykeepalived_metrics_address {value}"])).text())
    return str(path)


@pytest.mark.parametrize("value", ["9650", "127.0.0.1:9650", "[::1]:9650", "0.0.0.0:9650"])
def test_keepalived_calls_it_unknown_we_take_it(value: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, value)
    theirs = subprocess.run(["keepalived", "-t", "-f", path], capture_output=True, text=True,
                            timeout=30, check=False)
    assert theirs.returncode == 5
    assert "Unknown keyword 'pykeepalived_metrics_address'" in theirs.stderr
    assert main(["-t", "-f", path]) == 0, capsys.readouterr().err
    loaded = load_config(path)
    assert loaded.config is not None
    assert loaded.config.global_defs.metrics_address == value


@pytest.mark.parametrize("value", ["x:y", "99999", ":9650", "host:"])
def test_a_bad_value_is_an_error_with_its_line(value: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, value)
    assert main(["-t", "-f", path]) == 5
    err = capsys.readouterr().err
    assert f"(Line 2) pykeepalived_metrics_address '{value}' is invalid" in err
    assert "Traceback" not in err
