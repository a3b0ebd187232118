"""`pykeepalived status --watch` on a terminal (a pty): a failover shows in a redrawn
frame within one advert interval (1 s here) of the transition."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from netlab.lab import wait_for
from netlab.peers import has_address
from pykeepalived.cli.watch import CLEAR
from tests.netns.ops.lab import TAKEOVER, VIP, start_node

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab
    from tests.netns.ops.lab import OpsNode

pytestmark = [pytest.mark.netns, pytest.mark.slow]

ADVERT = 1.0


class Terminal:
    """`status --watch` writing to a pty; frames stamped with the time they were read."""

    def __init__(self, node: OpsNode) -> None:
        master, slave = pty.openpty()
        self.master = master
        argv = [sys.executable, "-m", "pykeepalived", "status", "--watch", "--interval", "0.2",
                "--pid", str(node.directory / "keepalived.pid"), "--dir", str(node.directory)]
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave,
                                        stderr=slave, close_fds=True)
        os.close(slave)
        self.buffer = ""
        self.frames: list[tuple[float, str]] = []
        #: when the frame being drawn (the buffer) last grew
        self.buffer_at = 0.0

    def read(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536).decode(errors="replace")
            except OSError:
                return
            now = time.monotonic()
            if CLEAR in chunk:  # the frames before the last one are drawn in full
                *done, self.buffer = (self.buffer + chunk).split(CLEAR)
                self.frames += [(self.buffer_at, f) for f in done if f]
            else:
                self.buffer += chunk
            self.buffer_at = now

    def first(self, predicate: Callable[[str], bool], within: float) -> tuple[float, str]:
        deadline = time.monotonic() + within
        seen = 0
        while time.monotonic() < deadline:
            self.read(0.05)
            for at, text in [*self.frames[seen:], (self.buffer_at, self.buffer)]:
                if predicate(text):
                    return at, text
            seen = len(self.frames)
        raise AssertionError(f"no such frame within {within} s; last: {self.frames[-1:]}")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(5.0)
        os.close(self.master)


def row_state(frame: str, name: str = "VI_OPS") -> str | None:
    for line in frame.splitlines():
        words = line.split()
        if words[:1] == [name] and len(words) > 3:
            return words[3]
    return None


def test_watch_redraws_a_failover_within_one_advert_interval(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=240)
    a = start_node(lab, "a", 150, tracked=True, advert="1")
    b = start_node(lab, "b", 100, tracked=False, advert="1")
    wait_for(lambda: has_address(lab, "a", VIP), 3 * TAKEOVER,
             what=f"a to take over; a logged:\n{a.node.log()[-3000:]}")
    b.node.wait_for_log("(VI_OPS) Entering BACKUP STATE")
    terminal = Terminal(b)
    try:
        terminal.first(lambda f: row_state(f) == "BACKUP", 3.0)
        assert a.flag is not None
        a.flag.unlink()  # a goes to FAULT, sends priority 0: b takes over
        shown_at, frame = terminal.first(lambda f: row_state(f) == "MASTER", 6.0)
        shown_wall = time.time() - (time.monotonic() - shown_at)
        doc = b.status_json()
        moved = [t for t in doc["transitions"] if t["new"] == "MASTER"]  # type: ignore[union-attr]
        assert moved, doc
        delay = shown_wall - moved[-1]["at"]
        print(f"\n--watch frame {delay * 1000:.0f} ms after the transition:\n{frame}")
        assert -0.05 < delay < ADVERT
        assert "-> MASTER" in frame  # the last transitions, with the reason
    finally:
        terminal.close()
    assert a.node.stop() == 0
    assert b.node.stop() == 0
    json.dumps(doc)  # the document the frame was checked against is plain JSON
