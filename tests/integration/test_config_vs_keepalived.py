"""`pykeepalived -t` must exit as `keepalived -t` does on the same file on this host."""

from __future__ import annotations

import glob
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from netlab.conf import Config, GlobalDefs, Instance, Script, Style
from pykeepalived.cli import main
from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.load import load_config

DATA = Path(__file__).parent.parent / "data" / "configs"
EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "haproxy-pair"
SAMPLES = sorted(glob.glob("/usr/share/doc/keepalived/samples/keepalived.conf.*"))
FIXTURES = sorted(str(p) for p in DATA.glob("*.conf"))
#: main files of fixture directories (configs split with relative `include` globs)
SPLIT_FIXTURES = sorted(str(p) for p in DATA.glob("*/keepalived.conf"))
#: the check module's corpus: every error family of virtual_server and its checkers
CHECK_FIXTURES = sorted(str(p) for p in (DATA / "check").glob("*.conf"))
EXAMPLE_FILES = sorted(str(p) for p in EXAMPLES.glob("*.conf"))

#: Known differences, each a bug to fix (strict xfail: a fix makes the test fail loudly).
KNOWN_DIFFERENT: set[str] = set()


def _params(paths: list[str]) -> list[object]:
    return [
        pytest.param(p, id=os.path.basename(p), marks=pytest.mark.xfail(strict=True))
        if os.path.basename(p) in KNOWN_DIFFERENT else pytest.param(p, id=os.path.basename(p))
        for p in paths
    ]


def keepalived_test(path: str, cwd: Path) -> tuple[int, str]:
    done = subprocess.run(["keepalived", "-t", "-f", path], cwd=cwd, capture_output=True,
                          text=True, timeout=30, check=False)
    return done.returncode, done.stderr


@pytest.mark.keepalived
@pytest.mark.parametrize("path", _params(SAMPLES + FIXTURES + SPLIT_FIXTURES + EXAMPLE_FILES
                                         + CHECK_FIXTURES))
def test_same_exit_code_as_keepalived(path: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    expected, their_stderr = keepalived_test(path, tmp_path)
    ours = main(["-t", "-f", path])
    our_stderr = capsys.readouterr().err
    assert ours == expected, f"keepalived said:\n{their_stderr}\nwe said:\n{our_stderr}"
    assert "Traceback" not in our_stderr


def _bare(line: str) -> str:
    """A message without keepalived's `(file: Line N)` file part (we name the file only
    when there are several)."""
    if line.startswith("(") and ": Line " in line.split(")", 1)[0]:
        return "(Line " + line.split(": Line ", 1)[1]
    return line


def test_check_corpus_is_large_enough() -> None:
    assert len(CHECK_FIXTURES) >= 40


@pytest.mark.keepalived
@pytest.mark.parametrize("path", CHECK_FIXTURES, ids=os.path.basename)
def test_check_corpus_same_messages(path: str, tmp_path: Path) -> None:
    """The check module's complaints, word for word and line for line: keepalived's
    `-t` lines and our diagnostics that count (its log-only lines are Kind.OK here)."""
    _, their_stderr = keepalived_test(path, tmp_path)
    result = load_config(path)
    ours = {_bare(d.render()) for d in result.diagnostics if d.kind is not Kind.OK}
    assert ours == {_bare(line) for line in their_stderr.splitlines()}


@pytest.mark.keepalived
def test_seed_article_same_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "seed_article.conf")
    expected, their_stderr = keepalived_test(path, tmp_path)
    assert main(["-t", "-f", path]) == expected == 5
    ours = set(capsys.readouterr().err.splitlines())
    for line in ("(Line 7) Invalid smtp server smtp.abc.com 25",
                 "Disabling track script check_haproxy since not found/accessible",
                 "Sync group VG1 has only 1 virtual router(s) - this probably isn't what you want"):
        assert line in their_stderr
        assert line in ours


@pytest.mark.keepalived
def test_script_security_with_created_script(tmp_path: Path) -> None:
    script = tmp_path / "chk.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    conf = tmp_path / "k.conf"
    insecure = Config(scripts=[Script("chk", str(script))],
                      instances=[Instance("VI_1", 91, None, ["192.0.2.91/24"],
                                          track_scripts=["chk"])],
                      style=Style(indent=" "))
    conf.write_text(insecure.text())
    expected, _ = keepalived_test(str(conf), tmp_path)
    assert main(["-t", "-f", str(conf)]) == expected == 6
    secure = GlobalDefs(script_user="root", script_security=True)
    conf.write_text(replace(insecure, global_defs=secure).text())
    expected, _ = keepalived_test(str(conf), tmp_path)
    assert main(["-t", "-f", str(conf)]) == expected == 0


NESTING_MESSAGES = ("Missing '{' at beginning of configuration block",
                    "Unexpected '{' - ignoring", "Extra '}' found")


@pytest.mark.keepalived
@pytest.mark.parametrize("name", ["nest_missing_bob.conf", "nest_unexpected_bob.conf",
                                  "nest_value_block_no_bob.conf", "nest_unknown_block.conf",
                                  "nest_auth_missing_bob.conf", "nest_inline_braces.conf"])
def test_nesting_reported_on_the_same_lines(name: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Block-vs-statement by keyword: the same nesting complaints on the same lines."""
    path = str(DATA / name)
    _, their_stderr = keepalived_test(path, tmp_path)
    main(["-t", "-f", path])
    ours = capsys.readouterr().err

    def nesting_lines(text: str) -> set[str]:
        found = set()
        for line in text.splitlines():
            bare = line.split(") ", 1)[-1] if line.startswith("(") else line
            number = line.split("Line ", 1)[-1].split(")", 1)[0] if "Line " in line else ""
            if bare in NESTING_MESSAGES:
                found.add(f"{number} {bare}")
        return found

    assert nesting_lines(ours) <= nesting_lines(their_stderr)
    assert {m for m in nesting_lines(their_stderr) if "Missing" in m} == {
        m for m in nesting_lines(ours) if "Missing" in m}


@pytest.mark.keepalived
def test_snmp_socket_messages_are_keepalived_s(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "bad_snmp_socket.conf")
    expected, their_stderr = keepalived_test(path, tmp_path)
    assert main(["-t", "-f", path]) == expected == 5
    ours = set(capsys.readouterr().err.splitlines())
    theirs = set(their_stderr.splitlines())
    assert ours == theirs
    assert "(Line 5) SNMP error : snmp socket name missing" in ours


@pytest.mark.keepalived
@pytest.mark.parametrize("name", ["bad_process_scheduling.conf", "good_process_scheduling.conf"])
def test_process_scheduling_same_messages(name: str, tmp_path: Path) -> None:
    """vrrp_/checker_ priority, rt_priority, cpu_affinity, rlimit keywords: keepalived's
    complaints word for word (the CPU-id bound is this host's, read by both)."""
    path = str(DATA / name)
    _, their_stderr = keepalived_test(path, tmp_path)
    result = load_config(path)
    ours = [_bare(d.render()) for d in result.diagnostics if d.kind is not Kind.OK]
    assert ours == [_bare(line) for line in their_stderr.splitlines()]


#: keyword complaints of global_defs and vrrp_instance (tests/unit/config/test_keyword_words.py)
WORDS_FIXTURES = sorted(str(p) for p in (DATA / "words").glob("*.conf"))


@pytest.mark.keepalived
@pytest.mark.parametrize("path", WORDS_FIXTURES, ids=os.path.basename)
def test_keyword_words_same_messages_in_order(path: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Every complaint word for word, on its line and in keepalived's order, and the
    same `-t` exit code."""
    expected, their_stderr = keepalived_test(path, tmp_path)
    assert main(["-t", "-f", path]) == expected
    capsys.readouterr()
    result = load_config(path)
    theirs = [_bare(line) for line in their_stderr.splitlines()]
    # keepalived's checks after parsing print no line; ours name the instance's
    ours = [m.split(") ", 1)[1] if m not in theirs and m.startswith("(Line ") else m
            for m in (_bare(d.render()) for d in result.diagnostics if d.kind is not Kind.OK)]
    assert ours == theirs
