"""The client-side wire marks that place the gap's time: frame parsing and first/last."""

from __future__ import annotations

import socket

from netlab.wire import Advert, Garp, Marks, parse_frame

R1_MAC = bytes.fromhex("020000000a01")
R2_MAC = bytes.fromhex("020000000a02")


def advert_frame(source: str, priority: int) -> bytes:
    ip = bytes([0x45, 0xC0, 0, 40, 0, 0, 0, 0, 255, 112, 0, 0]) + socket.inet_aton(source) \
        + socket.inet_aton("224.0.0.18")
    vrrp = bytes([0x31, 100, priority, 1, 0, 10, 0, 0]) + socket.inet_aton("192.0.2.100")
    return bytes.fromhex("01005e000012") + R1_MAC + b"\x08\x00" + ip + vrrp


def garp_frame(mac: bytes, sender_ip: str) -> bytes:
    arp = bytes.fromhex("0001080006040001") + mac + socket.inet_aton(sender_ip) + bytes(6) \
        + socket.inet_aton(sender_ip)
    return b"\xff" * 6 + mac + b"\x08\x06" + arp


def test_adverts_and_arps_are_recognised_and_the_rest_ignored() -> None:
    assert parse_frame(advert_frame("192.0.2.11", 150)) == Advert("192.0.2.11", 150)
    assert parse_frame(garp_frame(R2_MAC, "192.0.2.100")) == Garp("192.0.2.100",
                                                                  "02:00:00:00:0a:02")
    udp = bytearray(advert_frame("192.0.2.11", 150))
    udp[23] = 17
    assert parse_frame(bytes(udp)) is None
    assert parse_frame(b"\x00" * 20) is None


def test_marks_keep_old_masters_last_advert_and_new_masters_first_steps() -> None:
    marks = Marks(old_ip="192.0.2.11", new_ip="192.0.2.12", vip="192.0.2.100",
                  new_mac="02:00:00:00:0a:02")
    marks.note(Advert("192.0.2.12", 100), 0.5)  # before READY: not the takeover
    marks.note(Advert("192.0.2.11", 150), 1.0)
    marks.armed = True
    marks.note(Advert("192.0.2.11", 150), 2.0)
    marks.note(Advert("192.0.2.11", 0), 2.1)
    marks.note(Garp("192.0.2.100", "02:00:00:00:0a:01"), 2.2)  # the old master's MAC
    marks.note(Advert("192.0.2.12", 100), 2.3)
    marks.note(Advert("192.0.2.11", 150), 2.35)  # after the takeover: not "last before"
    marks.note(Garp("192.0.2.100", "02:00:00:00:0a:02"), 2.4)
    marks.note(Garp("192.0.2.100", "02:00:00:00:0a:02"), 2.5)
    assert marks.as_dict() == {"last_old_advert": 2.0, "old_priority_zero": 2.1,
                               "first_new_advert": 2.3, "first_new_garp": 2.4}
