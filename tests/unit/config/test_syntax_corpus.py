"""Broken inputs under tests/data/syntax: exact diagnostics, each naming file and line.

Where keepalived has a message we use its words; `test_keepalived_agrees` runs the
reference keepalived -t on the same files and compares the messages this layer owns.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.preprocess import MAX_INCLUDE_DEPTH
from pykeepalived.config.tree import ParseResult, parse_file

BROKEN = Path(__file__).resolve().parents[2] / "data" / "syntax" / "broken"
K = Kind

#: file -> [(kind, message, file the location names, line)], `{d}` is the corpus directory
EXPECTED: dict[str, list[tuple[Kind, str, str, int]]] = {
    "missing_close.conf": [
        (K.MISSING_EOB, "There are 1 missing '}'s or extra '{'s", "missing_close.conf", 1),
    ],
    "extra_close.conf": [
        (K.UNEXPECTED_EOB, "Extra '}' found", "extra_close.conf", 4),
        (K.UNKNOWN_KEYWORD, "Unknown keyword '}'", "extra_close.conf", 4),
    ],
    "unexpected_open.conf": [
        (K.UNEXPECTED_BOB, "Unexpected '{' - ignoring", "unexpected_open.conf", 1),
        (K.UNKNOWN_KEYWORD, "Unknown keyword '}'", "unexpected_open.conf", 4),
    ],
    "unterminated_quote.conf": [
        (K.GENERAL_ERROR, "Unterminated quote 'script \"/usr/bin/check --flag'",
         "unterminated_quote.conf", 2),
        (K.UNMATCHED_QUOTE, "Unmatched quote: 'script \"/usr/bin/check --flag'",
         "unterminated_quote.conf", 2),
    ],
    "binary.conf": [
        (K.OK, "File is not valid UTF-8; undecodable bytes are kept as they are",
         "binary.conf", 2),
        (K.OK, "NUL byte in line: keepalived ignores the rest of the line", "binary.conf", 3),
    ],
    "nul.conf": [
        (K.OK, "NUL byte in line: keepalived ignores the rest of the line", "nul.conf", 1),
    ],
    "cycle_a.conf": [
        (K.GENERAL_ERROR,
         "Include loop: {d}/cycle_a.conf -> {d}/cycle_b.conf -> {d}/cycle_a.conf"
         " - skipping '{d}/cycle_a.conf'", "cycle_b.conf", 4),
    ],
    "self_include.conf": [
        (K.GENERAL_ERROR,
         "Include loop: {d}/self_include.conf -> {d}/self_include.conf"
         " - skipping '{d}/self_include.conf'", "self_include.conf", 1),
    ],
    "glob_nothing.conf": [
        (K.OK, "Config files missing 'no-such-dir/*.conf'.", "glob_nothing.conf", 1),
        (K.OK, "Config files missing '/nonexistent-pykeepalived/*.conf'.",
         "glob_nothing.conf", 2),
        (K.FILE_NOT_FOUND, "No config files matched 'nothing-matches-*.conf'.",
         "glob_nothing.conf", 3),
    ],
    "directory.conf": [
        (K.OK, "Configuration file '{d}/a_directory.d/' is a directory - skipping",
         "directory.conf", 1),
        (K.FILE_NOT_FOUND, "Configuration file '{d}/a_directory.d/' is a directory - skipping",
         "directory.conf", 2),
    ],
}


def parse(name: str) -> ParseResult:
    return parse_file(str(BROKEN / name), config_id="x")


def test_corpus_is_complete() -> None:
    on_disk = {p.name for p in BROKEN.glob("*.conf")} - {"cycle_b.conf", "deep.conf"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_file_diagnostics(name: str) -> None:
    result = parse(name)
    got = [
        (d.kind, d.message, Path(d.location.path).name, d.location.line)
        for d in result.diagnostics
        if d.location is not None
    ]
    expected = [
        (kind, message.replace("{d}", str(BROKEN)), where, line)
        for kind, message, where, line in EXPECTED[name]
    ]
    assert len(got) == len(result.diagnostics), "every diagnostic has a location"
    assert got == expected


def test_cycle_reads_each_file_once() -> None:
    result = parse("cycle_a.conf")
    assert result.files == (str(BROKEN / "cycle_a.conf"), str(BROKEN / "cycle_b.conf"))
    assert [(n.keyword, n.args) for n in result.nodes] == [
        ("global_defs", ()), ("vrrp_instance", ("VI_1",)),
    ]


def test_deep_include_chain_stops_at_the_bound() -> None:
    result = parse("deep.conf")
    assert len(result.files) == MAX_INCLUDE_DEPTH
    assert len(result.nodes) == MAX_INCLUDE_DEPTH - 1
    [problem] = result.diagnostics
    assert problem.kind is Kind.GENERAL_ERROR
    assert problem.message.startswith(f"Include depth exceeds {MAX_INCLUDE_DEPTH} - skipping")
    assert problem.location is not None
    assert problem.location.path == result.files[-1]
    assert problem.location.line == 3


def test_binary_content_is_kept_byte_exact() -> None:
    result = parse("binary.conf")
    router_id = (result.nodes[0].children or ())[0]
    assert router_id.args[0].encode("utf-8", "surrogateescape") == b"\xff\xfeabc"
    email = (result.nodes[0].children or ())[1]
    assert email.args == ("a",)


OWNED = re.compile(
    r"Extra '}'|Unexpected '\{'|Unknown keyword '}'|missing '}'s|Unterminated quote|"
    r"Unmatched quote|Config files missing|No config files matched|is a directory"
)
LINE = re.compile(r"^\((?:.*: )?Line (\d+)\) (.*)$")


def keepalived_messages(path: Path) -> set[tuple[int, str]]:
    binary = shutil.which("keepalived")
    assert binary is not None
    run = subprocess.run(
        [binary, "-t", "-n", "-l", "-f", str(path)],
        capture_output=True, text=True, timeout=30, check=False, cwd=path.parent,
    )
    found: set[tuple[int, str]] = set()
    for raw in (run.stdout + run.stderr).splitlines():
        match = LINE.match(raw)
        line, message = (int(match[1]), match[2]) if match else (0, raw)
        if OWNED.search(message):
            found.add((line, message.replace(f"{path.parent}/", "")))
    return found


@pytest.mark.keepalived
@pytest.mark.parametrize(
    "name",
    ["missing_close.conf", "extra_close.conf", "unexpected_open.conf",
     "unterminated_quote.conf", "glob_nothing.conf", "directory.conf"],
)
def test_keepalived_agrees(name: str) -> None:
    path = BROKEN / name
    ours = {
        (0 if d.kind is Kind.MISSING_EOB else d.location.line,
         d.message.replace(f"{BROKEN}/", ""))
        for d in parse(name).diagnostics
        if d.location is not None and OWNED.search(d.message)
    }
    assert ours
    assert ours == keepalived_messages(path)
