"""FrameSender over a datagram socketpair and a failing fake: no root needed."""

from __future__ import annotations

import errno
import socket

import pytest

from pykeepalived.adapters.gratuitous import FrameSender

FRAME = b"\xff" * 6 + bytes.fromhex("02005ead0001") + b"\x08\x06" + bytes(28)


def test_frames_leave_whole_and_are_counted() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with theirs, FrameSender(ours, "eth0") as sender:
        assert sender.send_burst([FRAME, FRAME[:-1]]) == 2
        assert [theirs.recv(2048), theirs.recv(2048)] == [FRAME, FRAME[:-1]]
        assert sender.sent == 2


@pytest.mark.parametrize("size", [0, 13, 1515])
def test_not_an_ethernet_frame_is_a_caller_error(size: int) -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with (
        theirs,
        FrameSender(ours, "eth0") as sender,
        pytest.raises(ValueError, match="not an Ethernet frame"),
    ):
        sender.send(bytes(size))


class FailingSocket:
    def setblocking(self, flag: bool) -> None:
        pass

    def send(self, data: bytes) -> int:
        raise OSError(errno.ENETDOWN, "Network is down")

    def close(self) -> None:
        pass


def test_send_failure_is_counted_not_raised() -> None:
    sender = FrameSender(FailingSocket(), "eth0")  # type: ignore[arg-type]
    assert sender.send_burst([FRAME, FRAME]) == 0
    assert (sender.sent, sender.send_errors) == (0, {"Network is down": 2})
