"""The configuration read in a forked child: the same result, errors said, no parser kept."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pykeepalived.config import load as config_load
from pykeepalived.daemon.config_child import ConfigChildError, load_in_child

ROOT = Path(__file__).resolve().parents[3]
CONF = ("global_defs {\n router_id r1\n}\nvrrp_instance VI_1 {\n interface lo\n"
        " virtual_router_id 51\n priority 100\n frobnicate\n virtual_ipaddress {\n"
        "  192.0.2.1/24\n }\n}\n")


def _in_child(path: Path) -> config_load.LoadResult:
    return asyncio.run(load_in_child(str(path), config_id=None, all_config=False))


def test_the_child_reads_what_the_parser_reads(tmp_path: Path) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text(CONF)
    here = config_load.load_config(str(conf))
    there = _in_child(conf)
    assert there.config == here.config
    assert there.diagnostics == here.diagnostics
    assert "(Line 8) Unknown keyword 'frobnicate'" in [
        d.render(with_file=False) for d in there.diagnostics]
    assert (there.files, there.aborted, there.advice) == (here.files, False, ())
    assert there.config is not None
    assert there.config.global_defs.router_id == "r1"


def test_a_parser_exception_is_said_not_raised_as_is(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: str, **_: object) -> None:
        raise ValueError(f"cannot read {path}")

    monkeypatch.setattr(config_load, "load_config", broken)  # the forked child inherits it
    with pytest.raises(ConfigChildError, match=r"ValueError: cannot read .*k\.conf"):
        _in_child(tmp_path / "k.conf")


def test_a_child_that_dies_without_answering(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(path: str, **_: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(config_load, "load_config", killed)
    with pytest.raises(ConfigChildError, match=r"ended without an answer"):
        _in_child(tmp_path / "k.conf")


def test_a_large_configuration_crosses_the_pipe(tmp_path: Path) -> None:
    # several pipe buffers (64 KiB each) and read chunks
    emails = "".join(f"  admin{n}@example.com\n" for n in range(20000))
    conf = tmp_path / "k.conf"
    conf.write_text(f"global_defs {{\n notification_email {{\n{emails} }}\n}}\n")
    there = _in_child(conf)
    assert len(pickle.dumps(there)) > 4 * (1 << 16)
    assert there == config_load.load_config(str(conf))
    assert there.config is not None
    assert there.config.global_defs.notification_email[-1] == "admin19999@example.com"


def test_the_daemon_process_never_imports_the_parser(tmp_path: Path) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text(CONF)
    probe = (
        "import asyncio, sys\n"
        "from pykeepalived.daemon.config_child import load_in_child\n"
        f"r = asyncio.run(load_in_child({str(conf)!r}, config_id=None, all_config=False))\n"
        "assert r.config is not None\n"
        "print(sorted(m for m in sys.modules if m.startswith('pykeepalived.config')))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT, timeout=60).stdout.strip()
    assert out == str(["pykeepalived.config", "pykeepalived.config.diagnostics",
                       "pykeepalived.config.model", "pykeepalived.config.model_base",
                       "pykeepalived.config.result"])
