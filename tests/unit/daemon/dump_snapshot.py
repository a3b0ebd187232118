"""A dump snapshot rebuilt from tests/data/dumps, and how dumps are compared with it.

Shared by the renderer tests (test_dumps.py), the status and counter tests and the live
check against real keepalived (tests/netns/dumps): the snapshot is built the way the
daemon builds it, from the fixture's keepalived.conf through the config loader, real
`VrrpInstance` cores driven on a virtual clock to the moment keepalived's capture was
taken (DUMP_A master for 2.5 s, DUMP_B backup), and a GOOD script tracker.
"""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Address
from pathlib import Path
from typing import TYPE_CHECKING

from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_config
from pykeepalived.observe.capture import build_snapshot
from pykeepalived.specs.instance import instance_params
from pykeepalived.vrrp.events import Startup, Timeout
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.params import State
from pykeepalived.vrrp.tracking import ScriptResult, ScriptTracker

if TYPE_CHECKING:
    from pykeepalived.observe.snapshot import DumpSnapshot

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "dumps"
SOURCE = "192.0.2.151"
#: wall clock of the capture's SIGUSR1, and the monotonic `now` we pretend it was
WALL_NOW, MONO_START = 1795608421.3, 1000.0

#: data-dump lines whose values are times of the capture run
TIME_KEYS = {"Last transition", "Read timeout"}


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def run_to_capture(cores: dict[str, VrrpInstance], master_for: float) -> float:
    """Drive every core from Startup until DUMP_A has been MASTER for `master_for` s."""
    now = MONO_START
    for core in cores.values():
        core.handle(Startup(), now=now)
    entered: float | None = None
    for _ in range(100):
        due = [c.next_deadline() for c in cores.values()]
        nxt = min(d for d in due if d is not None)
        if entered is not None and nxt > entered + master_for:
            return entered + master_for
        now = nxt
        for core in cores.values():
            if core.next_deadline() == now:
                core.handle(Timeout(), now=now)
        if entered is None and cores["DUMP_A"].state is State.MASTER:
            entered = now
    raise AssertionError("DUMP_A never became MASTER")


def capture_snapshot(config_path: Path = FIXTURES / "keepalived.conf", *,
                     socket_counters: dict[str, dict[str, int]] | None = None) -> DumpSnapshot:
    loaded = load_config(str(config_path), host=HostFacts(interfaces=frozenset({"lo", "eth0"})))
    assert loaded.config is not None
    config = loaded.config
    cores = {cfg.name: VrrpInstance(instance_params(config.global_defs, cfg,
                                                    IPv4Address(SOURCE)))
             for cfg in config.instances}
    mono_now = run_to_capture(cores, master_for=2.5)
    tracker = ScriptTracker("chk", rise=2, fall=3)
    tracker.record(ScriptResult.exited(0))
    return build_snapshot(config, cores, {"chk": tracker}, wall_now=WALL_NOW,
                          mono_now=mono_now, src_ips=dict.fromkeys(cores, SOURCE),
                          socket_fds=dict.fromkeys(cores, (12, 13)),
                          socket_counters=socket_counters)


# ------------------------------------------------------------------ comparison helpers
def sections(text: str) -> dict[str, list[str]]:
    """Lines of a data dump by `------< Title >------` section."""
    out: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        title = re.fullmatch(r"------< (.+) >------", line)
        if title:
            current = title.group(1)
            out[current] = []
        else:
            out.setdefault(current, []).append(line)
    return out


def line_key(line: str) -> str:
    """What an exporter keys on: indentation plus the text before ` = ` or `:`."""
    for separator in (" = ", ":"):
        if separator in line:
            return line.split(separator, 1)[0]
    return re.sub(r"\d+", "N", line)


def mask_times(lines: list[str]) -> list[str]:
    return [f"{line_key(line)} = <time>" if line_key(line).strip() in TIME_KEYS else line
            for line in lines]


def json_pairs(text: str) -> object:
    return json.loads(text, object_pairs_hook=list)


def mask_json_times(text: str) -> str:
    return re.sub(r'"last_transition":[0-9.]+', '"last_transition":T', text)


def is_subsequence(small: list[str], big: list[str]) -> bool:
    remaining = iter(big)
    return all(item in remaining for item in small)
