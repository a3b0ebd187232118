"""The whole LVS-DR pair: two directors, VRRP, lvs_sync_daemon, a connection that survives.

Directors d1 (priority 150) and d2 (100) run VRRP for the VIP and the same
virtual_server (direct routing to two real servers, TCP_CHECK), with `lvs_sync_daemon
eth0 VI_1`: the MASTER's IPVS multicasts its connections, the BACKUP's learns them. A
client opens a TCP connection to the VIP through d1 and talks; once d2 has learnt it,
d1's link is cut; d2 takes the VIP over and, knowing the connection, forwards the
client's next segments to the same real server, which answers: the connection survives
the failover. Run with two pykeepalived directors, and with keepalived 2.2.7 as the
first director and pykeepalived as the second (a mixed pair).
"""

from __future__ import annotations

import socket
import sys
import time
from typing import TYPE_CHECKING

import pytest
from pyroute2.netns import create_socket

from netlab.conf import Block, Config, GlobalDefs, Instance
from netlab.lab import Lab, wait_for
from netlab.peers import KeepalivedPeer, PyNode, has_address
from tests.ipvs.ipvs_lab import run, squeeze

if TYPE_CHECKING:
    from netlab.peers import Daemon

pytestmark = pytest.mark.ipvs

VIP = "192.0.2.100"
PORT = 80
#: the guest runs under software emulation: python's start-up alone takes ~15 s
START_LIMIT = 120.0
#: the kernel sends sync messages within about 2 s; emulation slows everything
LEARN_LIMIT = 40.0
TAKEOVER_LIMIT = 40.0

ECHO = ("import socket, threading\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('0.0.0.0', {PORT})); s.listen(16); print('READY', flush=True)\n"
        "def serve(c):\n"
        "    with c:\n"
        "        while (d := c.recv(64)): c.sendall(d)\n"
        "while True:\n"
        "    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()\n")


def director(priority: int, reals: list[str]) -> Config:
    servers = [Block(f"real_server {ip} {PORT}",
                     ["weight 1", Block("TCP_CHECK", ["connect_timeout 2"])]) for ip in reals]
    virtual = Block(f"virtual_server {VIP} {PORT}",
                    ["delay_loop 2", "lb_algo rr", "lb_kind DR", "protocol TCP", *servers])
    return Config(global_defs=GlobalDefs(router_id=f"d{priority}",
                                         extra=["lvs_sync_daemon eth0 VI_1 id 51"]),
                  instances=[Instance("VI_1", 51, priority, [f"{VIP}/24"], state="BACKUP",
                                      advert="1")],
                  blocks=[virtual])


def daemons(ns: str) -> str:
    return run("ipvsadm", "-L", "--daemon", ns=ns, check=False)


def dests(ns: str) -> list[str]:
    return [squeeze(line) for line in run("ipvsadm", "-Ln", ns=ns).splitlines()
            if "->" in line and "Route" in line]


def connection_rows(ns: str, row: str) -> list[str]:
    lines = run("ipvsadm", "-Lnc", ns=ns).splitlines()[2:]
    return [squeeze(line) for line in lines if squeeze(line).endswith(row)]


@pytest.mark.parametrize("first", ["pykeepalived", "keepalived"])
def test_a_connection_survives_the_director_failover(first: str) -> None:
    with Lab(["client", "d1", "d2", "r1", "r2"], prefix=f"dr{first[:2]}", base=30) as lab:
        reals = [str(lab.host(name).ipv4) for name in ("r1", "r2")]
        for name in ("r1", "r2"):
            lab.run(name, ["ip", "addr", "add", f"{VIP}/32", "dev", "lo"])
            lab.run(name, ["sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1",
                           "net.ipv4.conf.all.arp_announce=2"])
            echo = lab.spawn(name, [sys.executable, "-c", ECHO], name="echo")
            wait_for(lambda e=echo: "READY" in e.output(), START_LIMIT, what="echo server")
        one: Daemon = (PyNode(lab, "d1", director(150, reals)) if first == "pykeepalived"
                       else KeepalivedPeer(lab, "d1", director(150, reals)))
        two = PyNode(lab, "d2", director(100, reals))
        one.start()
        two.start()
        d1, d2, client_ns = (lab.host(n).namespace for n in ("d1", "d2", "client"))
        wait_for(lambda: has_address(lab, "d1", VIP), START_LIMIT, what="the VIP on d1")
        wait_for(lambda: "master sync daemon" in daemons(d1), START_LIMIT,
                 what="d1's master sync daemon")
        wait_for(lambda: "backup sync daemon" in daemons(d2), START_LIMIT,
                 what="d2's backup sync daemon")
        for ns in (d1, d2):
            wait_for(lambda ns=ns: len(dests(ns)) == 2, START_LIMIT, what="two real servers")
        print("d1 before:\n" + run("ipvsadm", "-Ln", ns=d1))

        client = create_socket(client_ns, socket.AF_INET, socket.SOCK_STREAM)
        try:
            client.settimeout(10)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.connect((VIP, PORT))
            for number in range(6):  # segments through d1: the kernel syncs after 3
                client.sendall(b"%d" % number)
                assert client.recv(16) == b"%d" % number
            source = f"{lab.host('client').ipv4}:{client.getsockname()[1]}"
            row = f"{source} {VIP}:{PORT}"
            learnt = wait_for(lambda: [r for r in connection_rows(d2, "") if source in r],
                              LEARN_LIMIT, interval=0.2, what=f"d2 to learn {row}")
            print(f"d2 learnt: {learnt[0]}")

            started = time.monotonic()
            lab.link_down("d1")  # d1 is gone for d2 and for the client
            wait_for(lambda: has_address(lab, "d2", VIP), TAKEOVER_LIMIT,
                     what="d2 to take the VIP")
            took = time.monotonic() - started
            wait_for(lambda: "master sync daemon" in daemons(d2), TAKEOVER_LIMIT,
                     what="d2's master sync daemon")
            client.settimeout(TAKEOVER_LIMIT)
            client.sendall(b"after")  # retransmitted until d2 forwards it
            assert client.recv(16) == b"after"
            print(f"VIP on d2 {took:.1f} s after the cut; the connection kept working")
        finally:
            client.close()
            two.stop()
            lab.link_up("d1")
            one.stop()
