"""Packet-error lines: the first from each sender always, named; repeats of a line once
per window, then with how many were held back; memory bounded."""

from __future__ import annotations

from pykeepalived.daemon.packet_log import MAX_SENDERS, PacketLog
from pykeepalived.vrrp.actions import LogLevel

LINE = "(VI_1) received an invalid passwd!"


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def log(self, message: str, level: LogLevel = LogLevel.INFO) -> None:
        self.lines.append(message)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_from_one_sender_is_one_line_per_window() -> None:
    sink, clock = Lines(), Clock()
    log = PacketLog(sink, window=10.0, clock=clock)
    for _ in range(100):  # 10 s of adverts at 0.1 s
        log.log(LINE, source="192.0.2.99")
        clock.now += 0.1
    clock.now = 110.0  # the window has passed
    log.log(LINE, source="192.0.2.99")
    assert sink.lines == [f"{LINE} (from 192.0.2.99)",
                          f"{LINE} (99 more like this in the last 10 s not logged)"]
    assert log.suppressed == 99


def test_the_first_line_about_a_new_sender_is_always_logged() -> None:
    sink, clock = Lines(), Clock()
    log = PacketLog(sink, clock=clock)
    log.log(LINE, source="192.0.2.99")
    log.log(LINE, source="192.0.2.99")
    log.log(LINE, source="192.0.2.98")  # same words, another sender: shown
    log.log(LINE, source="192.0.2.98")
    assert sink.lines == [f"{LINE} (from 192.0.2.99)", f"{LINE} (from 192.0.2.98)"]


def test_a_line_that_names_its_sender_is_not_named_twice() -> None:
    sink = Lines()
    line = "(VI_1) unicast source address 192.0.2.99 not a unicast peer"
    PacketLog(sink).log(line, source="192.0.2.99")
    assert sink.lines == [line]


def test_different_lines_are_limited_apart_each_named_once() -> None:
    sink, clock = Lines(), Clock()
    log = PacketLog(sink, clock=clock)
    ttl = "(VI_1) invalid TTL/HL. Received 64 and expect 255"
    log.log(LINE, source="192.0.2.99")
    log.log(ttl, source="192.0.2.99")
    log.log(LINE, source="192.0.2.99")
    log.log(ttl, source="192.0.2.99")
    assert sink.lines == [f"{LINE} (from 192.0.2.99)", f"{ttl} (from 192.0.2.99)"]


def test_memory_is_bounded_under_a_spoofed_flood() -> None:
    sink, clock = Lines(), Clock()
    log = PacketLog(sink, clock=clock)
    for n in range(3 * MAX_SENDERS):
        log.log(LINE, source=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
    assert len(log._senders) == MAX_SENDERS
    assert len(sink.lines) == 3 * MAX_SENDERS  # every new sender named once
