"""Real keepalived 2.2.7 on host A; our raw sockets on host B receive its adverts as-is.

This pins the socket layer against the reference peer: source, group, TTL 255, TOS 0xc0,
and the VRRPv3 bytes (version/type, VRID) arriving unchanged for IPv4 and IPv6.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Config, GlobalDefs, Instance
from netlab.lab import IFNAME, async_wait_for
from pykeepalived.adapters.vrrp_socket import VrrpSocket, VrrpSocketConfig
from pykeepalived.vrrp.advert import VRRP_GROUP_V4, VRRP_GROUP_V6

if TYPE_CHECKING:
    from netlab.lab import Lab, Process
    from pykeepalived.adapters.datagram import Datagram

pytestmark = [pytest.mark.netns, pytest.mark.keepalived]

VRID_V4, VRID_V6 = 71, 72
CONFIG = Config(
    global_defs=GlobalDefs(router_id="pkadp_a"),
    instances=[Instance(name, vrid, 200, [vip], state="MASTER", interface=IFNAME,
                        version=3, advert="0.1")
               for name, vrid, vip in (("PKADP_V4", VRID_V4, "192.0.2.171/24"),
                                       ("PKADP_V6", VRID_V6, "2001:db8::171/64"))])


@pytest.fixture
def keepalived_on_a(lab: Lab) -> Process:
    """keepalived (VRRP only, -P) on host a; the lab stops it by PID after the test."""
    assert lab.workdir is not None
    config = lab.workdir / "keepalived.conf"
    config.write_text(CONFIG.text())
    argv = ["keepalived", "-n", "-l", "-D", "-P", "-f", str(config)]
    for flag, name in (("-p", "main"), ("-r", "vrrp"), ("-c", "checkers")):
        argv += [flag, str(lab.workdir / f"{name}.pid")]
    return lab.spawn("a", argv, name="keepalived")


def test_keepalived_adverts_arrive_intact(
    lab: Lab, keepalived_on_a: Process
) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    factory = host_b.socket_factory()

    async def scenario() -> None:
        v4 = VrrpSocketConfig(ifname=IFNAME, ifindex=host_b.ifindex, family=socket.AF_INET)
        v6 = VrrpSocketConfig(ifname=IFNAME, ifindex=host_b.ifindex, family=socket.AF_INET6)
        with VrrpSocket.open(v4, factory) as s4, VrrpSocket.open(v6, factory) as s6:
            got4: list[Datagram] = []
            got6: list[Datagram] = []
            s4.start(got4.append)
            s6.start(got6.append)
            # keepalived starts in BACKUP and becomes master after Master_Down_Interval
            # (about 0.35 s at advert_int 0.1); allow for a slow start.
            await async_wait_for(lambda: bool(got4 and got6), 10, what="keepalived adverts at B")
            assert keepalived_on_a.popen.poll() is None, "keepalived exited"
        first4, first6 = got4[0], got6[0]
        assert (first4.source, first4.destination) == (host_a.ipv4, VRRP_GROUP_V4)
        assert (first4.ttl, first4.ip_header[1]) == (255, 0xC0)
        assert first4.payload[:2] == bytes([0x31, VRID_V4])
        assert (first6.source, first6.destination) == (host_a.link_local, VRRP_GROUP_V6)
        assert first6.ttl == 255
        assert first6.payload[:2] == bytes([0x31, VRID_V6])

    asyncio.run(asyncio.wait_for(scenario(), timeout=20))
