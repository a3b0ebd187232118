"""The witness prober's ARP frames, byte by byte (RFC 826)."""

from __future__ import annotations

from ipaddress import IPv4Address

from pykeepalived.adapters.witness_probe import arp_request, arp_sender

MAC = bytes.fromhex("020000004701")
ME, GW = IPv4Address("192.0.2.71"), IPv4Address("192.0.2.1")


def test_request_is_a_broadcast_who_has():
    frame = arp_request(MAC, ME, GW)
    assert frame.hex() == (
        "ffffffffffff" "020000004701" "0806"       # Ethernet: broadcast, ours, ARP
        "0001" "0800" "06" "04" "0001"             # Ethernet/IPv4, request
        "020000004701" "c0000247"                  # sender: our MAC, 192.0.2.71
        "000000000000" "c0000201")                 # target: unknown MAC, 192.0.2.1
    assert arp_sender(frame) == ME


def test_a_reply_names_its_sender():
    reply = (MAC + bytes.fromhex("0200000047fe") + bytes.fromhex("0806")
             + bytes.fromhex("0001080006040002") + bytes.fromhex("0200000047fe")
             + GW.packed + MAC + ME.packed)
    assert arp_sender(reply) == GW


def test_anything_else_is_no_sender():
    frame = arp_request(MAC, ME, GW)
    assert arp_sender(frame[:40]) is None
    assert arp_sender(frame[:12] + b"\x08\x00" + frame[14:]) is None  # not ARP
    assert arp_sender(frame[:20] + b"\x00\x03" + frame[22:]) is None  # op 3 (RARP)
