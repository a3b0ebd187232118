"""Gratuitous ARP frames from host A, as host B's wire and neighbour table see them."""

from __future__ import annotations

import json
import socket
import struct
from ipaddress import IPv4Address

import pytest

from pykeepalived.adapters.gratuitous import FrameSender
from tests.netns.adapters.netlab import IFNAME, Host, Lan, sysctl, wait_until_sync

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
    shown = json.loads(host.run("-j", "neigh", "show", "dev", IFNAME, "to", str(address)))
    return str(shown[0]["lladdr"]) if shown and "lladdr" in shown[0] else None


def test_garp_teaches_the_peer_the_vip_mac(lan: Lan) -> None:
    # Linux learns unknown addresses from gratuitous ARP only with arp_accept (default 0).
    sysctl(
        lan.b.namespace, "net.ipv4.conf.all.arp_accept=1", f"net.ipv4.conf.{IFNAME}.arp_accept=1"
    )
    assert neighbour_mac(lan.b, VIP) is None
    with FrameSender.open(IFNAME, socket_factory=lan.a.socket_factory()) as sender:
        assert sender.send_burst([garp(lan.a.mac, VIP)]) == 1
        assert sender.sent == 1
    wait_until_sync(lambda: neighbour_mac(lan.b, VIP) == lan.a.mac, WAIT, "B learns the VIP")


def test_frame_arrives_byte_for_byte(lan: Lan) -> None:
    frame = garp(lan.a.mac, VIP)
    listener = lan.b.socket_factory()(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    with listener:
        listener.bind((IFNAME, 0))
        listener.settimeout(WAIT)
        with FrameSender.open(IFNAME, socket_factory=lan.a.socket_factory()) as sender:
            assert sender.send(frame)
        # Only our frame is expected, but tolerate a few unrelated ARPs; recv times out.
        seen = [listener.recv(2048)[: len(frame)] for _ in range(1)]
        for _ in range(5):
            if seen[-1] == frame:
                break
            seen.append(listener.recv(2048)[: len(frame)])
    # Compared as a prefix: a real NIC (not veth) pads to 60 bytes.
    assert seen[-1] == frame


def test_missing_interface_fails_at_open(lan: Lan) -> None:
    with pytest.raises(OSError, match="No such device"):
        FrameSender.open("nosuch0", socket_factory=lan.a.socket_factory())
