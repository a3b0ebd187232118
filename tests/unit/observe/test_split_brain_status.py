"""Split-brain episodes in the status document, the table and the metrics."""

from __future__ import annotations

import re
from dataclasses import replace
from ipaddress import IPv4Address

from pykeepalived.observe.capture import Clocks
from pykeepalived.observe.metrics import format_metrics
from pykeepalived.observe.snapshot import EpisodeSnapshot
from pykeepalived.observe.status import encode_status, format_table, parse_status, status_json
from pykeepalived.vrrp.split_brain import SplitBrainLog
from tests.unit.daemon.dump_snapshot import capture_snapshot

EPISODE = EpisodeSnapshot(start=1_800_000_000.0, end=1_800_000_002.5, side="yielded",
                          ours="192.0.2.12", our_priority=100, peer="192.0.2.11",
                          peer_priority=200)


def with_episode():
    snapshot = capture_snapshot()
    first = snapshot.instances[0]
    extra = (*first.extra_stats, ("split_brain_episodes", 1))
    inst = replace(first, split_brain=(EPISODE,), extra_stats=extra)
    return replace(snapshot, instances=(inst, *snapshot.instances[1:]))


def test_status_document_carries_each_episode_with_its_duration():
    view = parse_status(encode_status(with_episode()))
    (episode,) = view.instances[0].split_brain
    assert episode == {"start": 1_800_000_000.0, "end": 1_800_000_002.5, "duration": 2.5,
                       "side": "yielded", "ours": "192.0.2.12", "our_priority": 100,
                       "peer": "192.0.2.11", "peer_priority": 200}
    assert view.instances[1].split_brain == ()
    assert status_json(view.instances[0])["split_brain"] == [episode]


def test_table_has_one_line_per_episode():
    table = format_table(parse_status(encode_status(with_episode())))
    lines = [line for line in table.splitlines() if "split brain" in line]
    assert len(lines) == 1
    assert re.fullmatch(r"DUMP_A: split brain \d{4}-\d\d-\d\d \d\d:\d\d:\d\d for 2\.500 s: "
                        r"192\.0\.2\.11 \(prio 200\) and us 192\.0\.2\.12 \(prio 100\), yielded",
                        lines[0]), lines[0]


def test_metrics_count_episodes_and_give_the_last_duration():
    text = format_metrics(parse_status(encode_status(with_episode())))
    assert re.search(r'pykeepalived_split_brain_episodes_total\{iname="DUMP_A",[^}]*\} 1\n',
                     text)
    assert re.search(r'pykeepalived_split_brain_episodes_total\{iname="DUMP_B",[^}]*\} 0\n',
                     text)
    assert ('pykeepalived_split_brain_last_duration_seconds{iname="DUMP_A",'
            'peer="192.0.2.11",side="yielded"} 2.5') in text


def test_an_old_status_file_without_episodes_still_parses():
    text = encode_status(capture_snapshot()).replace('"split_brain": []', '"_": []')
    assert parse_status(text).instances[0].split_brain == ()


def test_capture_turns_core_times_into_epoch():
    from pykeepalived.observe.capture import _episodes  # the one conversion

    class Core:
        split_brain = SplitBrainLog()

    Core.split_brain.heard_lower_master(10.0, 1.0, ours=IPv4Address("192.0.2.11"),
                                        our_priority=200, peer=IPv4Address("192.0.2.12"),
                                        peer_priority=100)
    (episode,) = _episodes(Core(), Clocks(wall_now=1000.0, mono_now=20.0))  # type: ignore[arg-type]
    assert (episode.start, episode.side, episode.peer) == (990.0, "kept", "192.0.2.12")
