"""TCP_CHECK and SMTP_CHECK against real servers: a listening port, aiosmtpd, servers
that greet wrongly or not at all, a refused port and an address nobody has."""

from __future__ import annotations

import sys
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

import pytest

from netlab.lab import wait_for
from pykeepalived.check.params import Connection, SmtpProbe, TcpProbe
from tests.netns.checkers.conftest import events

if TYPE_CHECKING:
    from tests.netns.checkers.conftest import ProbeLab

pytestmark = pytest.mark.netns

NOBODY = IPv4Address("192.0.2.99")


def test_tcp_check(probes: ProbeLab) -> None:
    server = probes.serve("silent", 8080)
    up = probes.probe(TcpProbe(Connection(probes.b.ipv4, 8080, 1.0)))
    assert (up.ok, up.reason) == (True, "")
    refused = probes.probe(TcpProbe(Connection(probes.b.ipv4, 8081, 1.0)))
    assert (refused.ok, refused.reason) == (False, "failed")
    absent = probes.probe(TcpProbe(Connection(NOBODY, 8080, 1.0)))
    assert (absent.ok, absent.reason) == (False, "timeout")
    assert 0.9 < absent.latency < 3
    v6 = probes.probe(TcpProbe(Connection(probes.b.ipv6, 8080, 1.0)))
    assert v6.ok
    bound = probes.probe(TcpProbe(Connection(probes.b.ipv4, 8080, 1.0,
                                             bind_address=probes.a.ipv4, bind_port=40999)))
    assert bound.ok
    wait_for(lambda: f"{probes.a.ipv4} 40999" in events(server, "PEER"), 5.0,
             what="the server to see the bound source")


def test_tcp_check_unusable_socket_reschedules(probes: ProbeLab) -> None:
    result = probes.probe(TcpProbe(Connection(probes.b.ipv4, 8080, 1.0,
                                              bind_interface="nosuchdev0")))
    assert (result.ok, result.reschedule) == (False, True)
    assert result.reason == "TCP socket bind failed. Rescheduling."
    assert result.detail.startswith("Checker can't bind to device nosuchdev0: ")


def smtp(probes: ProbeLab, address: IPv4Address, port: int,
         timeout: float = 2.0) -> tuple[bool, str]:
    result = probes.probe(SmtpProbe(Connection(address, port, timeout)))
    return result.ok, result.reason


def test_smtp_check_against_aiosmtpd(probes: ProbeLab) -> None:
    address = f"{probes.b.ipv4}:2525"
    server = probes.lab.spawn("b", [sys.executable, "-m", "aiosmtpd", "-n", "-l", address],
                              name="aiosmtpd")
    wait_for(lambda: probes.run("b", "ss", "-Hltn", "sport = :2525").stdout.strip(), 10.0,
             what=f"aiosmtpd on {address}")
    assert smtp(probes, probes.b.ipv4, 2525) == (True, "")
    assert server.popen.poll() is None


def test_smtp_check_failures(probes: ProbeLab) -> None:
    b = probes.b.ipv4
    probes.serve("chat", 2526, "554 go away")
    probes.serve("chat", 2527, "220-multi line banner")
    probes.serve("silent", 2528)
    assert smtp(probes, b, 2526) == (False, f"Bad greeting banner from server [{b}]:2526")
    assert smtp(probes, b, 2527) == (False, f"Bad greeting banner from server [{b}]:2527")
    assert smtp(probes, b, 2528, 1.0) == (False, f"Read timeout from server [{b}]:2528")
    assert smtp(probes, b, 2529) == (False, f"Could not connect to server [{b}]:2529")
    assert smtp(probes, NOBODY, 25, 1.0) == (
        False, f"Connection timeout to server [{NOBODY}]:25")
    unroutable = IPv4Address("198.51.100.7")
    assert smtp(probes, unroutable, 25) == (
        False, f"Network unreachable for server {unroutable} - real server [{unroutable}]:25")


def test_smtp_dialogue_goes_wrong_after_the_greeting(probes: ProbeLab) -> None:
    b = probes.b.ipv4
    probes.serve("chat", 2530, "220 hi", "550 no")
    probes.serve("chat", 2531, "220 hi", "250\r")  # no text after the code: refused
    probes.serve("chat", 2532, "220 hi")              # HELO never answered
    probes.serve("chat", 2533, "220 hi", "250 ok", "221 bye")
    assert smtp(probes, b, 2530) == (False, f"Bad HELO response from server [{b}]:2530")
    assert smtp(probes, b, 2531) == (False, f"Bad HELO response from server [{b}]:2531")
    assert smtp(probes, b, 2532, 1.0) == (False, f"Read timeout from server [{b}]:2532")
    assert smtp(probes, b, 2533) == (True, "")
