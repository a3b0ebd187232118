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


def with_witnesses():
    snapshot = capture_snapshot()
    first = replace(snapshot.instances[0], witnesses=(("192.0.2.1", "down"),
                                                      ("192.0.2.3", "unknown")),
                    refusal="isolated: no peer, no witness")
    return replace(snapshot, instances=(first, *snapshot.instances[1:]))


def test_witness_reachability_and_refusal_in_status_table_and_metrics():
    view = parse_status(encode_status(with_witnesses()))
    inst = view.instances[0]
    assert inst.witnesses == {"192.0.2.1": "down", "192.0.2.3": "unknown"}
    assert inst.refusal == "isolated: no peer, no witness"
    assert view.instances[1].witnesses == {}
    table = format_table(view)
    assert "DUMP_A: witnesses 192.0.2.1 down, 192.0.2.3 unknown" in table
    assert "DUMP_A: refused MASTER: isolated: no peer, no witness" in table
    text = format_metrics(view)
    assert 'pykeepalived_witness_up{iname="DUMP_A",witness="192.0.2.1"} 0' in text
    assert ('pykeepalived_master_refusal_info{iname="DUMP_A",'
            'reason="isolated: no peer, no witness"} 1') in text
    assert "DUMP_B" not in "".join(line for line in text.splitlines() if "witness_up" in line)


def test_build_snapshot_carries_the_trackers_reading():
    from pykeepalived.config.host import HostFacts
    from pykeepalived.config.load import load_config
    from pykeepalived.observe.capture import build_snapshot
    from pykeepalived.specs.instance import instance_params
    from pykeepalived.vrrp.instance import VrrpInstance
    from tests.unit.daemon.dump_snapshot import FIXTURES

    loaded = load_config(str(FIXTURES / "keepalived.conf"),
                         host=HostFacts(interfaces=frozenset({"lo", "eth0"})))
    assert loaded.config is not None
    config = loaded.config
    cores = {cfg.name: VrrpInstance(instance_params(config.global_defs, cfg,
                                                    IPv4Address("192.0.2.10")))
             for cfg in config.instances}
    name = config.instances[0].name
    cores[name].refusal = "isolated: no peer, no witness"
    snapshot = build_snapshot(config, cores, {}, wall_now=100.0, mono_now=1.0,
                              witnesses={name: {IPv4Address("192.0.2.1"): True,
                                                IPv4Address("192.0.2.3"): None}})
    first, second = snapshot.instances
    assert first.witnesses == (("192.0.2.1", "up"), ("192.0.2.3", "unknown"))
    assert first.refusal == "isolated: no peer, no witness"
    assert (second.witnesses, second.refusal) == ((), "")
