"""Two directors share their connections through the sync daemons the adapter starts.

The building block of a keepalived DR pair's failover: director A (sync master) and
director B (sync backup) hold the same IPVS service (TCP VIP:80, direct routing to one
real server); a client opens a TCP connection through A; B's connection table must
learn it from A's multicast sync messages, so that B, taking over the VIP, would carry
the connection on. One LAN in namespaces (netlab/lab.py): client, a, b, real.

The kernel syncs a TCP connection once it is ESTABLISHED and has seen
`sync_threshold` (3) packets from the client, and sends its buffer within about two
seconds: the client sends a few small segments, then B's table is polled, bounded.
"""

from __future__ import annotations

import socket
import time
from ipaddress import ip_address
from typing import TYPE_CHECKING

import pytest
from pyroute2.netns import create_socket

from netlab.lab import Lab, wait_for
from pykeepalived.check.lvs import PROTOCOLS, DestSpec, Forwarding, ServiceSpec, SyncDaemonSpec
from tests.ipvs.ipvs_lab import AdapterLoop, run, squeeze

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.ipvs

VIP = "192.0.2.100"
PORT = 80
SYNC = SyncDaemonSpec("eth0", sync_id=51)
#: the sync thread flushes its buffer every 2 s; emulation makes everything slower
LEARN_LIMIT = 30.0
SEGMENTS = 6


def connections(ns: str) -> list[str]:
    """`ipvsadm -Lnc` rows: pro expire state source virtual destination."""
    return [squeeze(line) for line in run("ipvsadm", "-Lnc", ns=ns).splitlines()[2:]]


@pytest.fixture(scope="module")
def lan() -> Iterator[tuple[Lab, dict[str, AdapterLoop]]]:
    """client .21, directors a .22 (holds the VIP) and b .23, real server .24 (VIP on lo)."""
    with Lab(["client", "a", "b", "real"], prefix="pkcs", base=20) as lab:
        lab.run("a", ["ip", "addr", "add", f"{VIP}/32", "dev", "eth0"])
        lab.run("real", ["ip", "addr", "add", f"{VIP}/32", "dev", "lo"])
        lab.run("real", ["sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1",
                         "net.ipv4.conf.all.arp_announce=2"])
        service = ServiceSpec(4, PROTOCOLS["TCP"], ip_address(VIP), PORT, scheduler="rr")
        real = DestSpec(lab.host("real").ipv4, PORT, Forwarding.DR)
        directors: dict[str, AdapterLoop] = {}
        try:
            for name, role in (("a", "master"), ("b", "backup")):
                director = directors[name] = AdapterLoop(lab.host(name).namespace)
                director.run(director.ipvs.add_service(service))
                director.run(director.ipvs.add_dest(service, real))
                director.run(director.ipvs.start_daemon(role, SYNC))  # type: ignore[arg-type]
            yield lab, directors
        finally:
            for name, director in directors.items():
                role = "master" if name == "a" else "backup"
                director.run(director.ipvs.stop_daemon(role, SYNC))  # type: ignore[arg-type]
                director.run(director.ipvs.flush())
                director.close()


def test_backup_director_learns_the_connection_from_the_master(
        lan: tuple[Lab, dict[str, AdapterLoop]]) -> None:
    lab, _ = lan
    client_ns, a_ns, b_ns = (lab.host(n).namespace for n in ("client", "a", "b"))
    real_ip = lab.host("real").ipv4
    assert "master sync daemon (mcast=eth0, syncid=51" in run("ipvsadm", "-L", "--daemon",
                                                               ns=a_ns)
    assert "backup sync daemon (mcast=eth0, syncid=51" in run("ipvsadm", "-L", "--daemon",
                                                               ns=b_ns)
    listener = create_socket(lab.host("real").namespace, socket.AF_INET, socket.SOCK_STREAM)
    client = create_socket(client_ns, socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", PORT))
        listener.listen(1)
        listener.settimeout(10)
        client.settimeout(10)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.connect((VIP, PORT))  # SYN and ACK through A, SYN-ACK straight from real
        served, _ = listener.accept()
        with served:
            served.settimeout(10)
            for _ in range(SEGMENTS):  # one segment at a time: each is a packet through A
                client.sendall(b"x")
                assert served.recv(16) == b"x"
            source = f"{lab.host('client').ipv4}:{client.getsockname()[1]}"
            row = f"{source} {VIP}:{PORT} {real_ip}:{PORT}"
            on_a = [r for r in connections(a_ns) if r.endswith(row)]
            assert on_a, connections(a_ns)
            assert on_a[0].startswith("TCP ESTABLISHED ") or " ESTABLISHED " in on_a[0], on_a
            started = time.monotonic()
            learnt = wait_for(lambda: [r for r in connections(b_ns) if r.endswith(row)],
                              LEARN_LIMIT, interval=0.2, what=f"director b to learn {row}")
            print(f"b learnt the connection {time.monotonic() - started:.1f} s after the"
                  f" last segment: {learnt[0]}")
            assert " ESTABLISHED " in learnt[0], learnt
    finally:
        client.close()
        listener.close()
