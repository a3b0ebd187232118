"""The LVS lab and its tiny servers, without IPVS: addresses, routes, answers, a death.

netlab/lvs.py and netlab/nsservers.py serve the IPVS tests in the VM (and the lead's DR
pair); here, on the host, the topology itself is checked: two directors, two real
servers and a client, the client reaching a real server only through director 1 (the
routes LVS-NAT needs), `route_via` moving that to director 2, and every kind of server
answering across it, and refusing once closed.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from netlab.lab import socket_in
from netlab.lvs import LvsLab
from netlab.nsservers import NsServers

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.netns


@pytest.fixture
def lab() -> Iterator[LvsLab]:
    with LvsLab(directors=("d1", "d2"), reals=("rs1", "rs2"), clients=("client",),
                prefix="lvslab") as built:
        yield built


def hops(lab: LvsLab, host: str, address: str) -> list[str]:
    """The gateway `ip route get` names (empty: on-link)."""
    words = lab.run(host, ["ip", "route", "get", address]).stdout.split()
    return [words[words.index("via") + 1]] if "via" in words else []


def test_addresses_and_routes(lab: LvsLab) -> None:
    assert (str(lab.host("d1").ipv4), str(lab.back4["d1"])) == ("192.0.2.1", "198.51.100.1")
    assert (str(lab.host("d2").ipv4), str(lab.back4["d2"])) == ("192.0.2.2", "198.51.100.2")
    assert str(lab.host("client").ipv4) == "192.0.2.21"
    assert [str(lab.host(n).ipv4) for n in ("rs1", "rs2")] == ["198.51.100.11", "198.51.100.12"]
    assert hops(lab, "client", "198.51.100.11") == ["192.0.2.1"]
    assert hops(lab, "rs1", "192.0.2.21") == ["198.51.100.1"]
    lab.route_via("rs1", "d2")
    assert hops(lab, "rs1", "192.0.2.21") == ["198.51.100.2"]
    assert lab.pings("client", "198.51.100.12")
    assert lab.run("client", ["ping", "-6", "-c", "1", "-W", "2", "2001:db8:1::11"],
                   check=False).returncode == 0


def exchange(sock: socket.socket, address: str, port: int, send: bytes) -> bytes:
    """Connect, send, read the answer (to EOF for HTTP, else one line)."""
    with sock:
        sock.settimeout(3)
        sock.connect((address, port))
        if send:
            sock.sendall(send)
        data = b""
        for _ in range(20):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
            if data.endswith(b"\n") and not send.startswith(b"GET"):
                break
        return data


def test_every_server_kind_answers_through_the_director(lab: LvsLab) -> None:
    client = socket_in(lab.host("client").namespace)
    rs1 = lab.host("rs1").namespace
    lab.add_address("rs1", "198.51.100.101", "2001:db8:1::101")

    def tcp() -> socket.socket:
        return client(socket.AF_INET, socket.SOCK_STREAM, 0)

    with NsServers() as servers:
        servers.listen(rs1, "198.51.100.11", 80, "http", "rs1")
        servers.listen(rs1, "2001:db8:1::101", 25, "smtp")
        lines = servers.listen(rs1, "198.51.100.101", 7000, "lines", "rs1b")
        servers.listen(rs1, "198.51.100.11", 1358, "udp")
        assert exchange(tcp(), "198.51.100.11", 80, b"GET / HTTP/1.0\r\n\r\n").endswith(
            b"\r\n\r\nrs1\n")
        greeting = exchange(client(socket.AF_INET6, socket.SOCK_STREAM, 0),
                            "2001:db8:1::101", 25, b"")
        assert greeting == b"220 lab ESMTP\r\n"
        assert exchange(tcp(), "198.51.100.101", 7000, b"x\n") == b"rs1b x\n"
        with client(socket.AF_INET, socket.SOCK_DGRAM, 0) as udp:
            udp.settimeout(3)
            udp.sendto(b"ping", ("198.51.100.11", 1358))
            assert udp.recv(64) == b"ping"
        servers.close(lines)
        with pytest.raises(ConnectionRefusedError):
            exchange(tcp(), "198.51.100.101", 7000, b"x\n")
