"""The live read-outs from one snapshot: the control socket's answer parses back to the
view the metrics endpoint renders, the endpoint's exposition (prometheus_client) carries
exactly what `status --metrics` prints, and the state check answers 200 on MASTER only."""

from __future__ import annotations

from dataclasses import replace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pykeepalived.observe.control import control_answer, live_view, parse_answer
from pykeepalived.observe.metrics import format_metrics
from pykeepalived.observe.prometheus import exposition, registry_for, state_answer
from pykeepalived.observe.snapshot import DumpSnapshot, TransitionRecord
from pykeepalived.observe.status import StatusError
from tests.unit.daemon.dump_snapshot import capture_snapshot

CHECK = ('{"taken_at": 1.0, "pid": 9, "ipvs_read": false, "virtual_servers": [{"label": '
         '"192.0.2.50:80", "services": ["TCP 192.0.2.50:80"], "quorum": 1, "hysteresis": 0,'
         ' "quorum_up": true, "alive_weight": 1, "sorry_server": null, "sorry_server_in_use":'
         ' false, "real_servers": []}]}')


@pytest.fixture(scope="module")
def snapshot() -> DumpSnapshot:
    return replace(
        capture_snapshot(),
        transitions=(TransitionRecord(1000.5, "DUMP_A", "BACKUP", "MASTER", "timer"),),
        transition_counts=(("DUMP_A", "BACKUP", "startup", 1), ("DUMP_A", "MASTER", "timer", 2)),
        operations=(("garp_sent", 5), ("notify_seconds", 0.25), ("split_brain_episodes", 1),
                    ("no_such_counter", 3)))


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def test_the_socket_answer_parses_to_the_view_the_endpoint_renders(
        snapshot: DumpSnapshot) -> None:
    assert parse_answer(control_answer(snapshot, CHECK)) == live_view(snapshot, CHECK)
    view = parse_answer(control_answer(snapshot))
    assert view.source == "control socket"
    assert view.transitions[0].reason == "timer"
    assert view.operations["garp_sent"] == 5
    assert view.check is None


def test_a_refusal_or_garbage_is_a_status_error() -> None:
    with pytest.raises(StatusError, match="answers root only"):
        parse_answer(b"error: permission denied: the control socket answers root only\n")
    with pytest.raises(StatusError, match="not a status document"):
        parse_answer(b'{"pykeepalived_control": 1}')
    with pytest.raises(StatusError, match="unknown document version"):
        parse_answer(b'{"pykeepalived_control": 99, "status": {}}')


def test_the_endpoint_serves_what_status_metrics_prints(snapshot: DumpSnapshot) -> None:
    view = live_view(snapshot, CHECK)
    body, content_type = exposition(registry_for(lambda: view))
    assert content_type.startswith("text/plain")
    served, printed = samples(body.decode()), samples(format_metrics(view))
    assert served == pytest.approx(printed)  # the text prints timestamps to the microsecond
    assert served[("pykeepalived_transitions_total",
                   (("iname", "DUMP_A"), ("reason", "timer"), ("state", "MASTER")))] == 2
    assert served[("pykeepalived_gratuitous_sent_total", (("kind", "garp"),))] == 5
    assert served[("pykeepalived_notify_seconds_total", ())] == 0.25
    assert served[("pykeepalived_split_brain_episodes_total", ())] == 1
    assert not any(name.startswith("pykeepalived_no_such") for name, _ in served)
    assert ("pykeepalived_virtual_server_quorum_up",
            (("virtual_server", "192.0.2.50:80"),)) in served
    assert "# HELP keepalived_vrrp_state " in body.decode()


def test_openmetrics_when_the_scraper_asks(snapshot: DumpSnapshot) -> None:
    view = live_view(snapshot)
    body, content_type = exposition(registry_for(lambda: view),
                                    "application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.decode().endswith("# EOF\n")


def test_the_state_check_answers_200_on_master_only(snapshot: DumpSnapshot) -> None:
    view = live_view(snapshot)
    states = {i.name: i.state for i in view.instances}
    assert states == {"DUMP_A": "MASTER", "DUMP_B": "BACKUP"}
    assert state_answer(view, "DUMP_A") == (200, "MASTER\n")
    assert state_answer(view, "DUMP_B") == (503, "BACKUP\n")
    assert state_answer(view, "NOPE")[0] == 404
