"""Packet-error log lines, rate-limited: a flood of bad adverts must not flood the log.

keepalived logs every refused advert ("received an invalid passwd!", "invalid TTL/HL",
...), one line per packet: a misconfigured neighbour at advert_int 0.1 writes 36,000
lines an hour, and a hostile one as many as it sends. Here:

- the first complaint of a kind about a sender is always logged, naming the sender
  (keepalived's line says who only for some checks);
- after that, one line of a kind (the same text) per WINDOW seconds; when the window
  has passed, the next one is logged with how many like it were held back.

Bounded: at most MAX_SENDERS (sender, kind) pairs and MAX_LINES kinds are remembered (the oldest
forgotten first), so a spoofed flood from many addresses cannot grow memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, TypeVar

from pykeepalived.vrrp.actions import LogLevel

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.daemon.ports import LogSink

WINDOW = 10.0
MAX_SENDERS = 1024
MAX_LINES = 1024


class PacketLog:
    def __init__(self, log: LogSink, *, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._log = log
        self._window = window
        self._clock = clock
        #: (sender, line) pairs already logged once
        self._senders: OrderedDict[tuple[str, str], None] = OrderedDict()
        #: line text -> (when its window opened, lines held back since)
        self._lines: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self.suppressed = 0

    def log(self, message: str, level: LogLevel = LogLevel.INFO, *,
            source: str | None = None) -> None:
        now = self._clock()
        if source is not None and (source, message) not in self._senders:
            _remember(self._senders, (source, message), None, MAX_SENDERS)
            _remember(self._lines, message, (now, 0), MAX_LINES)
            named = message if source in message else f"{message} (from {source})"
            self._log.log(named, level)
            return
        opened, held = self._lines.get(message, (None, 0))
        if opened is not None and now - opened < self._window:
            self._lines[message] = (opened, held + 1)
            self.suppressed += 1
            return
        _remember(self._lines, message, (now, 0), MAX_LINES)
        if held:
            message = (f"{message} ({held} more like this in the last"
                       f" {self._window:g} s not logged)")
        self._log.log(message, level)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _remember(table: OrderedDict[_K, _V], key: _K, value: _V, limit: int) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > limit:
        table.popitem(last=False)
