"""The log filter the matrix relies on: it must see refusals and pass election chatter."""

from __future__ import annotations

from tests.netns.interop.cluster import packet_errors

LOG = """\
Wed Nov 25 12:23:04 2026: (VI_T) received lower priority (100) advert from 192.0.2.222 - discarding
T: (VI_T) Received advert from 192.0.2.222 with lower priority 100, ours 150, forcing new election
Wed Nov 25 12:23:05 2026: (VI_T) invalid TTL/HL. Received 64 and expect 255
Wed Nov 25 12:23:05 2026: (VI_T) wrong version. Received 2 and expect 3
Wed Nov 25 12:23:05 2026: (VI_T) Invalid VRRPv3 checksum
Wed Nov 25 12:23:05 2026: (VI_T) received an unexpected ip number count 2, expected 1!
Wed Nov 25 12:23:05 2026: (VI_T) dropped packet from 192.0.2.223: version 7
Wed Nov 25 12:23:06 2026: (VI_T) Entering MASTER STATE
"""


def test_packet_errors_sees_refusals_but_not_elections() -> None:
    found = packet_errors(LOG)
    assert [line.split(") ", 1)[1] for line in found] == [
        "invalid TTL/HL. Received 64 and expect 255",
        "wrong version. Received 2 and expect 3",
        "Invalid VRRPv3 checksum",
        "received an unexpected ip number count 2, expected 1!",
        "dropped packet from 192.0.2.223: version 7",
    ]
