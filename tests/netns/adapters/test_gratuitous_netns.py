"""Gratuitous ARP frames from host A, as host B's wire and neighbour table see them."""

from __future__ import annotations

import json
import socket
import struct
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

import pytest

from netlab.lab import IFNAME, wait_for
from pykeepalived.adapters.gratuitous import FrameSender

if TYPE_CHECKING:
    from netlab.lab import Host, Lab

pytestmark = pytest.mark.netns

VIP = IPv4Address("192.0.2.120")
ETH_P_ALL = 0x0003
ETH_P_ARP = 0x0806
WAIT = 5.0


def garp(mac: str, vip: IPv4Address) -> bytes:
    """A minimal gratuitous ARP request (sender = target = VIP, to broadcast), as keepalived."""
    own = bytes.fromhex(mac.replace(":", ""))
    ethernet = b"\xff" * 6 + own + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + own + vip.packed + b"\0" * 6 + vip.packed
    return ethernet + arp


def neighbour_mac(host: Host, address: IPv4Address) -> str | None:
    shown = json.loads(host.ip("-j", "neigh", "show", "dev", IFNAME, "to", str(address)))
    return str(shown[0]["lladdr"]) if shown and "lladdr" in shown[0] else None


def test_garp_teaches_the_peer_the_vip_mac(lab: Lab) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    # Linux learns unknown addresses from gratuitous ARP only with arp_accept (default 0).
    host_b.sysctl("net.ipv4.conf.all.arp_accept=1", f"net.ipv4.conf.{IFNAME}.arp_accept=1")
    assert neighbour_mac(host_b, VIP) is None
    with FrameSender.open(IFNAME, socket_factory=host_a.socket_factory()) as sender:
        assert sender.send_burst([garp(host_a.mac, VIP)]) == 1
        assert sender.sent == 1
    wait_for(lambda: neighbour_mac(host_b, VIP) == host_a.mac, WAIT, interval=0.01,
             what="B learns the VIP")


def test_frame_arrives_byte_for_byte(lab: Lab) -> None:
    host_a, host_b = lab.host("a"), lab.host("b")
    frame = garp(host_a.mac, VIP)
    listener = host_b.socket_factory()(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    with listener:
        listener.bind((IFNAME, 0))
        listener.settimeout(WAIT)
        with FrameSender.open(IFNAME, socket_factory=host_a.socket_factory()) as sender:
            assert sender.send(frame)
        # Only our frame is expected, but tolerate a few unrelated ARPs; recv times out.
        seen = [listener.recv(2048)[: len(frame)] for _ in range(1)]
        for _ in range(5):
            if seen[-1] == frame:
                break
            seen.append(listener.recv(2048)[: len(frame)])
    # Compared as a prefix: a real NIC (not veth) pads to 60 bytes.
    assert seen[-1] == frame


def test_missing_interface_fails_at_open(lab: Lab) -> None:
    host_a = lab.host("a")
    with pytest.raises(OSError, match="No such device"):
        FrameSender.open("nosuch0", socket_factory=host_a.socket_factory())
