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


def test_neighbour_solicitation_to_the_solicited_node_group():
    from ipaddress import IPv6Address

    from pykeepalived.adapters.witness_probe import neighbour_solicitation, request_frame
    from pykeepalived.vrrp.checksum import ones_complement_sum, pseudo_header_sum

    source, target = IPv6Address("fe80::ff:fe00:4701"), IPv6Address("2001:db8::1:2:3")
    frame = neighbour_solicitation(MAC, source, target)
    assert frame[:6].hex() == "3333ff020003"  # 33:33 + the group's last 32 bits
    assert frame[6:14].hex() == "020000004701" "86dd"
    ip, icmp = frame[14:54], frame[54:]
    assert ip[6:8] == bytes([58, 255])  # ICMPv6, hop limit 255 (RFC 4861 §7.1.1)
    assert IPv6Address(ip[8:24]) == source
    assert IPv6Address(ip[24:40]) == IPv6Address("ff02::1:ff02:3")
    assert icmp[0] == 135
    assert IPv6Address(icmp[8:24]) == target
    assert icmp[24:32] == bytes([1, 1]) + MAC  # source link-layer address option
    # the checksum verifies: the sum over pseudo-header and message is all ones
    assert ones_complement_sum(icmp, pseudo_header_sum(
        source, IPv6Address("ff02::1:ff02:3"), 58, len(icmp))) == 0xFFFF
    assert request_frame(MAC, source, target) == frame


def test_a_neighbour_advert_names_its_target():
    from ipaddress import IPv6Address

    from pykeepalived.adapters.witness_probe import answering
    from pykeepalived.vrrp.frames import unsolicited_na

    target = IPv6Address("2001:db8::1")
    assert answering(unsolicited_na(target, MAC)) == target
    assert answering(arp_request(MAC, ME, GW)) == ME
