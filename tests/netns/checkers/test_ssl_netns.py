"""SSL_GET against a real TLS server (self-signed certificate made by openssl): no
verification, SNI as the server saw it, and TLS failures in keepalived's words."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from pykeepalived.check.params import Connection, HttpProbe, HttpUrl
from tests.conftest import skip_or_fail
from tests.netns.checkers.conftest import events

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.check.results import ProbeResult
    from tests.netns.checkers.conftest import ProbeLab

pytestmark = pytest.mark.netns

TLS_PORT = 8443
PLAIN_PORT = 8080


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        skip_or_fail("needs the Debian package openssl (make test installs it)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=rs.example.test", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return str(cert), str(key)


def ssl_get(probes: ProbeLab, path: str, *, sni: str | None = None, port: int = TLS_PORT,
            timeout: float = 2.0, digest: bytes | None = None) -> ProbeResult:
    connection = Connection(probes.b.ipv4, port, timeout)
    probe = HttpProbe(connection, (HttpUrl(path, digest=digest),), ssl=True, sni=sni)
    return probes.probe(probe)


def test_ssl_get_without_verification_and_with_sni(probes: ProbeLab,
                                                   certificate: tuple[str, str]) -> None:
    server = probes.serve("http", TLS_PORT, *certificate)
    result = ssl_get(probes, "/ok", digest=hashlib.md5(b"hello").digest())
    assert (result.ok, result.detail) == (True, "status 200")
    assert events(server, "SNI") == ["-"]
    assert ssl_get(probes, "/ok", sni="www.example.test").ok
    assert events(server, "SNI")[-1] == "www.example.test"
    assert bytes.fromhex(events(server, "REQ")[0]).startswith(b"GET /ok HTTP/1.0\r\n")
    assert ssl_get(probes, "/missing").reason == "HTTP status code error to"


def test_tls_failures(probes: ProbeLab, certificate: tuple[str, str]) -> None:
    probes.serve("http", TLS_PORT, *certificate)
    probes.serve("http", PLAIN_PORT)
    plain = ssl_get(probes, "/ok", port=PLAIN_PORT)
    assert plain.reason == "SSL handshake/communication error connecting to"
    assert ssl_get(probes, "/ok", port=TLS_PORT + 1).reason == "Connection failed"
    # TLS 1.3 session tickets arrive after the handshake, so the socket is readable
    # before the answer and the wait times out in the SSL reader, as keepalived's does
    assert ssl_get(probes, "/slow", timeout=1.0).reason == "Timeout SSL read"
    assert ssl_get(probes, "/stall", timeout=1.0).reason == "Timeout SSL read"
    # the server closes with close_notify and no answer: keepalived's clean-shutdown case
    assert ssl_get(probes, "/nothing").reason == "SSL read error from"


def test_handshake_that_never_comes_is_a_connect_timeout(probes: ProbeLab) -> None:
    probes.serve("silent", TLS_PORT)
    result = ssl_get(probes, "/ok", timeout=1.0)
    assert result.reason == "Timeout connecting"
    assert 0.9 < result.latency < 3
