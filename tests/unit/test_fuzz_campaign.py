"""The fault campaign's pure half: its config, the sender's framing and pacing, the sums.

The campaign itself needs root and namespaces (tests/netns/daemon/test_fuzz_campaign.py,
`python -m bench.fuzz`); what decides its verdicts is checked here without either.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from netlab.fuzz_campaign import campaign_config, targets
from netlab.fuzz_figures import (
    INSTANCES,
    dropped_by_reason,
    expected_reads,
    percentile,
    unaccounted,
)
from netlab.fuzz_send import Master, pack_frames, send_stream, unpack_frames
from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_config

if TYPE_CHECKING:
    from pathlib import Path


def test_campaign_config_is_one_keepalived_reads_without_complaint(tmp_path: Path) -> None:
    path = tmp_path / "keepalived.conf"
    path.write_text(campaign_config().text())
    loaded = load_config(str(path), host=HostFacts(interfaces=frozenset({"lo", "eth0"})))
    assert loaded.config is not None
    assert not loaded.diagnostics
    got = {(i.name, i.virtual_router_id, i.priority) for i in loaded.config.instances}
    assert got == {(name, vrid, priority) for name, vrid, _, _, priority, _, _ in INSTANCES}


def test_targets_mirror_the_instances() -> None:
    assert [(t.vrid, t.version, t.family) for t in targets()] == [
        (187, 3, 4), (188, 2, 4), (189, 3, 6), (190, 3, 4)]


def test_unaccounted_is_reads_minus_every_destination() -> None:
    socket_counts = {"rx_datagrams": 100, "rx_framing_drops": 1, "rx_short": 2,
                     "rx_other_vrid": 40, "rx_unexpected": 0, "rx_accepted": 7,
                     "rx_dropped_checksum": 30, "rx_dropped_length": 19, "rx_kernel_drops": 5}
    assert unaccounted(socket_counts) == 1
    assert dropped_by_reason({"a": socket_counts, "b": {"rx_dropped_length": 2}}) == {
        "checksum": 30, "length": 21}


def test_expected_reads_by_family_and_vrid_filter() -> None:
    sent = {"v4": 10, "v6": 3, "v4_vrid_188": 2, "v4_vrid_190": 1}
    assert expected_reads("VI_F3", sent, master_adverts=4) == 14  # the link's listener
    assert expected_reads("VI_F6", sent, master_adverts=4) == 3
    assert expected_reads("VI_F2", sent, master_adverts=4) == 2  # filtered to VRID 188
    assert expected_reads("VI_FB", sent, master_adverts=4) == 5  # VRID 190, follows tx


def test_percentile() -> None:
    assert percentile([], 0.99) is None
    assert percentile([float(n) for n in range(100)], 0.99) == 99.0
    assert percentile([5.0, 1.0], 0.5) == 5.0


def test_frames_pack_and_unpack() -> None:
    frames = [b"", b"a", bytes(300)]
    assert list(unpack_frames(pack_frames(frames))) == frames


def test_send_stream_sends_every_frame_and_the_master_between() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with ours, theirs:
        theirs.setblocking(False)
        master = Master(ours, b"M", every=0.0)
        answer = send_stream(ours, pack_frames([b"x", b"yy", b"zzz"]), 0.0, master, 5.0)
        got = []
        for _ in range(10):
            try:
                got.append(theirs.recv(10))
            except BlockingIOError:
                break
    assert answer["sent"] == 3
    assert answer["complete"] is True
    assert [g for g in got if g != b"M"] == [b"x", b"yy", b"zzz"]
    assert master.sent >= 1


@pytest.mark.parametrize("rate", [200.0, 1000.0])
def test_send_stream_is_paced(rate: float) -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with ours, theirs:
        theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        answer = send_stream(ours, pack_frames([b"x"] * 40), rate, Master(ours, b"", 1.0), 5.0)
    assert answer["sent"] == 40
    assert float(answer["seconds"]) >= 39 / rate * 0.9


def test_intervals_are_split_by_the_loud_periods() -> None:
    from netlab.advert_log import Advert
    from netlab.fuzz_figures import split_deviations

    ms = 1_000_000
    # VRID 187 at 0.1 s: 100 ms apart, one late advert (130 ms) in the loud period
    stamps = [0, 100, 200, 300, 430, 530, 630, 730, 830, 930]
    adverts = [Advert(t * ms, "192.0.2.187", 187, 200) for t in stamps]
    adverts.append(Advert(500 * ms, "198.51.100.191", 187, 200))  # someone else
    quiet, loud = split_deviations(adverts, "192.0.2.187", (0, 1000 * ms),
                                   [(250 * ms, 450 * ms)])
    assert [round(d) for d in loud] == [0, 30, 0]  # 200-300, 300-430, 430-530
    # 530-630 and 630-730 touch the guard after the loud period: neither
    assert [round(d) for d in quiet] == [0, 0, 0, 0]


def test_send_stream_on_and_off() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with ours, theirs:
        theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        answer = send_stream(ours, pack_frames([b"x"] * 30), 100.0, Master(ours, b"", 1.0),
                             5.0, on=0.1, off=0.1)
    segments = answer["segments"]
    assert isinstance(segments, list)
    assert answer["sent"] == 30
    assert len(segments) >= 2
    assert all(end > start for start, end in segments)
