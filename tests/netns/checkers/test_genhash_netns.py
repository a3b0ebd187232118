"""`pykeepalived genhash` beside keepalived 2.2.7's own genhash (Debian's /usr/bin/genhash),
both run in the same lab host against the same server in the same test: stdout, stderr
and exit status must be the same bytes (the `-v` response time and the program name in
the usage aside)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import skip_or_fail
from tests.netns.checkers.conftest import events

if TYPE_CHECKING:
    from netlab.lab import Process
    from tests.netns.checkers.conftest import ProbeLab

pytestmark = [pytest.mark.netns, pytest.mark.keepalived]

PORT = 8080
TLS_PORT = 8443
KEEPALIVED_GENHASH = "/usr/bin/genhash"
TIMING = re.compile(r"(Global response time for \[.*\] = )\d+( usecs)")


@pytest.fixture
def ours(tmp_path: Path) -> str:
    """Our console script under the name `genhash`, as keepalived's link is named."""
    if not Path(KEEPALIVED_GENHASH).exists():
        skip_or_fail("needs keepalived's genhash (Debian package keepalived)")
    link = tmp_path / "genhash"
    link.symlink_to(Path(sys.executable).with_name("pykeepalived"))
    return str(link)


def both(probes: ProbeLab, ours: str, *args: str) -> tuple[tuple[int, str, str], ...]:
    """(exit status, stdout, stderr) of keepalived's genhash, then of ours."""
    runs = []
    for program in (KEEPALIVED_GENHASH, ours):
        done = probes.lab.run("a", [program, *args], check=False, timeout=30)
        runs.append((done.returncode, normalise(done.stdout, program),
                     normalise(done.stderr, program)))
    return tuple(runs)


def normalise(text: str, program: str) -> str:
    return TIMING.sub(r"\1N\2", text).replace(f"Usage: {program} ", "Usage: genhash ")


def same(probes: ProbeLab, ours: str, *args: str) -> tuple[int, str, str]:
    theirs, mine = both(probes, ours, *args)
    assert mine == theirs, f"genhash {' '.join(args)}"
    return mine


@pytest.mark.parametrize("path", ["/ok", "/chunked", "/short-cl", "/missing", "/healthy"])
def test_digests_match_keepalived(probes: ProbeLab, ours: str, path: str) -> None:
    server = probes.serve("http", PORT)
    status, out, err = same(probes, ours, "-s", str(probes.b.ipv4), "-p", str(PORT),
                            "-u", path)
    assert (status, err) == (0, "")
    assert re.fullmatch(r"[0-9a-f]{32}\n", out)
    theirs, mine = events(server, "REQ")
    assert mine == theirs  # the same request bytes on the wire


@pytest.mark.parametrize("path", ["/ok", "/chunked", "/short-cl", "/healthy"])
def test_verbose_dumps_match_keepalived(probes: ProbeLab, ours: str, path: str) -> None:
    probes.serve("http", PORT)
    status, out, _err = same(probes, ours, "-v", "-s", str(probes.b.ipv4), "-p", str(PORT),
                             "-u", path)
    assert status == 0
    assert "HTML hash final resulting" in out


@pytest.mark.parametrize(("args", "phrase"), [
    (("-u", "/ok", "-p", str(PORT + 1)), "Connection failed\n"),
    (("-u", "/slow", "-p", str(PORT), "-t", "1"), None),
    (("-u", "/stall", "-p", str(PORT), "-t", "1"), "Timeout HTTP read\n"),
    (("-u", "/nothing", "-p", str(PORT)), ""),
    (("-u", "/big-head", "-p", str(PORT)), ""),
    (("-v", "-u", "/ok", "-p", str(PORT + 1)), None),
    (("-v", "-u", "/nothing", "-p", str(PORT)), None),
])
def test_failures_match_keepalived(probes: ProbeLab, ours: str, args: tuple[str, ...],
                                   phrase: str | None) -> None:
    probes.serve("http", PORT)
    status, out, _err = same(probes, ours, "-s", str(probes.b.ipv4), *args)
    assert status == 0
    if phrase is not None:
        assert out == phrase


def test_unreachable_server_times_out_alike(probes: ProbeLab, ours: str) -> None:
    status, out, _err = same(probes, ours, "-s", "192.0.2.99", "-p", "80", "-u", "/",
                             "-t", "1")
    assert (status, out) == (0, "Timeout connecting\n")


def test_request_options_match_keepalived(probes: ProbeLab, ours: str) -> None:
    server = probes.serve("http", PORT)
    for extra in (("-P", "1.1", "-V", "www.example.test"), ("-P", "1.0c"), ("-P", "1.0")):
        same(probes, ours, "-s", str(probes.b.ipv4), "-p", str(PORT), "-u", "/ok", *extra)
        theirs, mine = events(server, "REQ")[-2:]
        assert mine == theirs
    same(probes, ours, "-s", str(probes.b.ipv6), "-p", str(PORT), "-u", "/ok")
    theirs, mine = events(server, "REQ")[-2:]
    assert mine == theirs
    assert b"Host: [2001:db8::12]:8080" in bytes.fromhex(mine)


def test_ssl_and_sni_match_keepalived(probes: ProbeLab, ours: str, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        skip_or_fail("needs the Debian package openssl (make test installs it)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=rs.example.test", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    server: Process = probes.serve("http", TLS_PORT, str(cert), str(key))
    base = ("-S", "-s", str(probes.b.ipv4), "-p", str(TLS_PORT))
    status, out, _err = same(probes, ours, *base, "-u", "/ok")
    assert (status, out) == (0, "5d41402abc4b2a76b9719d911017c592\n")  # md5("hello")
    same(probes, ours, *base, "-u", "/ok", "-I", "-V", "www.example.test")
    assert events(server, "SNI")[-2:] == ["www.example.test", "www.example.test"]
    same(probes, ours, *base, "-u", "/chunked", "-v")
    probes.serve("http", PORT)
    status, out, _err = same(probes, ours, "-S", "-s", str(probes.b.ipv4), "-p", str(PORT),
                             "-u", "/ok")
    assert out == "SSL handshake/communication error connecting to\n"


@pytest.mark.parametrize("args", [
    (), ("-h",), ("-s",), ("-s", "foo", "-p", "80", "-u", "/"),
    ("-s", "192.0.2.1", "-p", "0", "-u", "/"), ("-s", "192.0.2.1", "-p", "80x", "-u", "/"),
    ("-s", "192.0.2.1", "-p", "80", "-u", "/", "-x"),
    ("-s", "192.0.2.1", "-p", "80", "-u", "/", "extra", "words"),
    ("-s", "192.0.2.1", "-p", "80", "-u"), ("-s", "192.0.2.1", "-p", "80"),
    ("-s", "192.0.2.1", "-p", "80", "-u", "/", "-P", "2.0"),
    ("-s", "192.0.2.1", "-p", "80", "-u", "/", "-t", "x"),
    ("-s", "192.0.2.1", "-p", "80", "-u", "/", "-m", "-1"),
    ("-s", "192.0.2.1", "-p", "80", "-u", "/", "--bogus=1"),
    ("-x", "-s", "foo", "-p", "80", "-u", "/"),
])
def test_argument_errors_match_keepalived(probes: ProbeLab, ours: str,
                                          args: tuple[str, ...]) -> None:
    status, out, err = same(probes, ours, *args)
    assert (status, out) == (1, "")
    assert "Usage: genhash COMMAND [OPTIONS]\n" in err
