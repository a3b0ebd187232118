"""The demo's live, readable timeline: daemon log lines, the VIP's holder, client replies.

Everything is stamped with seconds since the demo started. Client replies are folded into
one line per second (`node1 x48, fail x2  (48 ok, 2 failed)`) so a failover reads as a
change of names, not as a wall of text; daemon lines are filtered to the ones that tell
the story (state changes, priority changes, check verdicts, why an election happened).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.haproxy import Reply, Site

#: daemon log lines worth a newcomer's attention
STORY = ("Entering", "Changing effective priority", "VRRP_Script(", "advertisement timeout",
         "higher priority", "received lower priority", "priority 0", "removing VIPs",
         "setting VIPs")


def message_of(line: str) -> str:
    """Drop keepalived's `%c` console timestamp (`Wed Nov 25 12:22:31 2026: `)."""
    head, sep, rest = line.partition(": ")
    return rest if sep and head[-4:].isdigit() else line


def fold(replies: list[Reply]) -> str:
    """One second of replies as runs: `node1 x31, fail x12, node2 x7  (38 ok, 12 failed)`."""
    runs: list[list[object]] = []
    for reply in replies:
        word = reply.server or "fail"
        if runs and runs[-1][0] == word:
            runs[-1][1] = int(str(runs[-1][1])) + 1
        else:
            runs.append([word, 1])
    ok = sum(1 for r in replies if r.server)
    failed = len(replies) - ok
    counts = f"{ok} ok" + (f", {failed} failed" if failed else "")
    return f"{', '.join(f'{w} x{n}' for w, n in runs)}  ({counts})"


@dataclass
class Transition:
    at: float
    node: str
    state: str
    reason: str


@dataclass
class Timeline:
    """Pumped every 50 ms by the demo; prints as things happen, remembers transitions."""

    site: Site
    started: float = field(default_factory=time.monotonic)
    out: Callable[[str], None] = print
    transitions: list[Transition] = field(default_factory=list)
    _offsets: dict[str, int] = field(default_factory=dict)
    _last_message: dict[str, str] = field(default_factory=dict)
    _reasons: dict[str, list[str]] = field(default_factory=dict)
    _holder: str | None = "?"
    _second: int = 0
    _seen_replies: int = 0
    _pending: list[Reply] = field(default_factory=list)
    _next_holder_check: float = 0.0

    def rel(self, monotonic: float) -> float:
        return monotonic - self.started

    def say(self, text: str, *, at: float | None = None) -> None:
        when = self.rel(time.monotonic() if at is None else at)
        self.out(f"t={when:5.1f}s  {text}")

    def pump(self) -> None:
        for name in self.site.nodes:
            self._daemon_lines(name)
        now = time.monotonic()
        if now >= self._next_holder_check:
            self._next_holder_check = now + 0.2
            holder = self.site.holder()
            if holder != self._holder:
                self._holder = holder
                where = holder or "no node"
                self.say(f"VIP {self.site.spec.vip} is now on {where}")
        self._client(now)

    def _daemon_lines(self, name: str) -> None:
        text = self.site.node(name).daemon.log()
        start = self._offsets.get(name, 0)
        end = text.rfind("\n") + 1
        if end <= start:
            return
        self._offsets[name] = end
        for line in text[start:end].splitlines():
            message = message_of(line)
            if not any(word in message for word in STORY):
                continue
            if self._last_message.get(name) == message:
                continue  # repeated adverts: one line tells it
            self._last_message[name] = message
            self.say(f"{name:<6} keepalived: {message}")
            self._remember(name, message)

    def _remember(self, name: str, message: str) -> None:
        if "Entering" in message and "STATE" in message:
            state = message.split("Entering", 1)[1].split("STATE", 1)[0].strip()
            reasons = self._reasons.pop(name, []) or ["start-up"]
            self.transitions.append(Transition(time.monotonic(), name, state,
                                               "; ".join(reasons)))
        elif not any(word in message for word in ("VIPs", "lower priority", "succeeded")):
            self._reasons.setdefault(name, []).append(message.removeprefix("(VI_HAP) "))

    def _client(self, now: float) -> None:
        replies = self.site.replies()
        self._pending.extend(replies[self._seen_replies:])
        self._seen_replies = len(replies)
        current = int(self.rel(now))
        while self._second < current:
            in_second = [r for r in self._pending if int(self.rel(r.at)) <= self._second]
            self._pending = self._pending[len(in_second):]
            if in_second:
                self.out(f"t={self._second:3d}s    client  {fold(in_second)}")
            self._second += 1

    def run_until(self, done: Callable[[], bool], timeout: float, what: str) -> float:
        """Keep the timeline going until `done()`; bounded. Returns when it became true."""
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.05) + 2):
            self.pump()
            if done():
                return time.monotonic()
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")

    def idle(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        self.run_until(lambda: time.monotonic() >= end, seconds + 1, "the pause to end")
