"""adapters/proc_events.py: pure quorum counting on a virtual clock, then real processes."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import signal
import struct
import subprocess
import time
from typing import TYPE_CHECKING

import pytest

from pykeepalived.adapters.proc_events import (
    PROC_EVENT_EXEC,
    PROC_EVENT_EXIT,
    PROC_EVENT_FORK,
    ProcessMonitor,
    ProcEvent,
    ProcEventsUnavailable,
    QuorumCounter,
    parse_datagram,
)
from pykeepalived.config.diagnostics import Location
from pykeepalived.config.model import TrackProcess
from pykeepalived.specs.tracks import ParamMatch, ProcessMatcher
from tests.conftest import skip_or_fail

if TYPE_CHECKING:
    from pathlib import Path

HERE = Location("test.conf", 1)


def matcher(**kw: object) -> ProcessMatcher:
    base: dict[str, object] = {"name": "tp", "process": "haproxy"}
    base.update(kw)
    return ProcessMatcher(**base)  # type: ignore[arg-type]


# --- pure counting ---------------------------------------------------------------------

def test_quorum_and_quorum_max() -> None:
    counter = QuorumCounter(matcher(quorum=2, quorum_max=3))
    assert [counter.add(pid, now=0.0) for pid in (1, 2, 3, 4)] == [None, True, None, False]
    assert counter.remove(4, now=0.0, exited=False) is True
    assert counter.remove(1, now=0.0) is None
    assert counter.remove(2, now=0.0) is False


def test_terminate_delay_on_a_virtual_clock_and_cancellation() -> None:
    counter = QuorumCounter(matcher(terminate_delay=0.5))
    assert counter.add(10, now=0.0) is True
    assert counter.remove(10, now=1.0) is None
    assert counter.deadline == 1.5
    assert counter.due(now=1.4999) is None
    assert counter.due(now=1.5) is False
    assert counter.add(11, now=2.0) is True  # an exec'd match is counted at once
    assert counter.remove(11, now=3.0) is None
    assert counter.add(12, now=3.2) is None  # back before the delay ran out: cancelled
    assert counter.deadline is None
    assert counter.due(now=10.0) is None


def test_fork_delay_applies_only_to_forks() -> None:
    counter = QuorumCounter(matcher(fork_delay=0.25))
    assert counter.add(1, now=5.0, forked=True) is None
    assert counter.deadline == 5.25
    assert counter.due(now=5.25) is True


@pytest.mark.parametrize(("match", "actual", "expected"), [
    (ParamMatch.EXACT, b"-f\0/etc/h.cfg\0", True),
    (ParamMatch.EXACT, b"-f\0/etc/h.cfg\0-x\0", False),
    (ParamMatch.PARTIAL, b"-f\0/etc/h.cfg\0-x\0", True),
    (ParamMatch.PARTIAL, b"-f\0/etc/h.cfgx\0", False),
    (ParamMatch.INITIAL, b"-f\0/etc/h.cfgx\0", True),
    (ParamMatch.INITIAL, b"-f\0/etc/h.cf\0", False),
])
def test_param_match_semantics(match: ParamMatch, actual: bytes, expected: bool) -> None:
    m = matcher(process="/usr/sbin/haproxy", params=("-f", "/etc/h.cfg"), param_match=match,
                full_command=True)
    assert m.matches("haproxy", b"/usr/sbin/haproxy\0" + actual) is expected


def test_comm_is_matched_exactly_unless_full_command() -> None:
    assert matcher().matches("haproxy", b"/usr/sbin/haproxy\0")
    assert not matcher().matches("haproxy2", b"haproxy\0")
    full = matcher(process="/usr/sbin/haproxy", full_command=True)
    assert full.matches("anything", b"/usr/sbin/haproxy\0-f\0x\0")
    assert not full.matches("haproxy", b"haproxy\0")


def test_from_config_applies_keepalived_implications() -> None:
    tp = TrackProcess("tp", HERE, process=("/usr/sbin/haproxy", "-f", "x"), delay_us=200_000,
                      fork_delay_us=50_000)
    m = ProcessMatcher.from_config(tp)
    assert (m.process, m.params, m.param_match, m.full_command) == (
        "/usr/sbin/haproxy", ("-f", "x"), ParamMatch.EXACT, True)
    assert (m.fork_delay, m.terminate_delay) == (0.05, 0.2)
    plain = ProcessMatcher.from_config(TrackProcess("tp", HERE, process=("haproxy",)))
    assert (plain.full_command, plain.param_match) == (False, ParamMatch.NONE)


def connector_message(what: int, payload: bytes) -> bytes:
    event = struct.pack("=IIQ", what, 0, 0) + payload
    cn = struct.pack("=IIIIHH", 1, 1, 0, 0, len(event), 0) + event
    return struct.pack("=IHHII", 16 + len(cn), 3, 0, 0, 0) + cn


def test_parse_datagram_decodes_and_drops_truncation() -> None:
    data = (connector_message(PROC_EVENT_FORK, struct.pack("=IIII", 5, 5, 9, 9))
            + connector_message(PROC_EVENT_EXIT, struct.pack("=IIII", 9, 9, 0, 9)))
    assert parse_datagram(data) == [ProcEvent(PROC_EVENT_FORK, 9, 9, 5),
                                    ProcEvent(PROC_EVENT_EXIT, 9, 9)]
    assert parse_datagram(data[:30]) == []
    assert parse_datagram(connector_message(PROC_EVENT_EXEC, b"\1")) == []


# --- real processes --------------------------------------------------------------------

def unique_sleep(tmp_path: Path) -> Path:
    name = "pyka" + secrets.token_hex(4)  # 12 chars: under comm's 15
    copy = tmp_path / name
    shutil.copy("/bin/sleep", copy)
    copy.chmod(0o755)
    return copy


def test_quorum_follows_a_real_process_within_milliseconds(tmp_path: Path) -> None:
    binary = unique_sleep(tmp_path)
    changes: list[tuple[str, bool, float]] = []

    async def scenario() -> float:
        got = asyncio.Event()

        def on_change(name: str, up: bool) -> None:
            changes.append((name, up, time.monotonic()))
            got.set()

        monitor = ProcessMonitor([matcher(process=binary.name, name="sl")], on_change)
        try:
            await monitor.start()
        except ProcEventsUnavailable as exc:
            skip_or_fail(str(exc))
        proc = None
        try:
            await asyncio.wait_for(got.wait(), 5)  # initial reading
            got.clear()
            proc = await asyncio.create_subprocess_exec(str(binary), "30")
            await asyncio.wait_for(got.wait(), 5)
            got.clear()
            killed_at = time.monotonic()
            proc.send_signal(signal.SIGKILL)
            await asyncio.wait_for(got.wait(), 5)
            return (changes[-1][2] - killed_at) * 1000
        finally:
            monitor.close()
            if proc is not None:
                if proc.returncode is None:
                    proc.kill()
                await proc.wait()

    latency_ms = asyncio.run(scenario())
    assert [(n, up) for n, up, _ in changes] == [("sl", False), ("sl", True), ("sl", False)]
    print(f"quorum lost {latency_ms:.2f} ms after SIGKILL")
    assert latency_ms < 500


def test_initial_scan_counts_running_processes_and_forks(tmp_path: Path) -> None:
    binary = unique_sleep(tmp_path)
    first = subprocess.Popen([str(binary), "30"])
    changes: list[bool] = []

    async def scenario() -> None:
        monitor = ProcessMonitor([matcher(process=binary.name, quorum=1, quorum_max=1)],
                                 lambda name, up: changes.append(up))
        try:
            await monitor.start()
        except ProcEventsUnavailable as exc:
            skip_or_fail(str(exc))
        try:
            # a fork of a counted process is counted at once: 2 > quorum_max
            monitor.handle(ProcEvent(PROC_EVENT_FORK, 10**7, 10**7, first.pid))
            monitor.handle(ProcEvent(PROC_EVENT_EXIT, 10**7, 10**7))
        finally:
            monitor.close()

    try:
        asyncio.run(scenario())
    finally:
        first.kill()
        first.wait()
    assert changes == [True, False, True]
