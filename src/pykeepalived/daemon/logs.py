"""keepalived's log output: console lines with its timestamp, syslog with its ident.

Operators and tests grep keepalived's words, and some also parse the console prefix, so
both follow lib/logger.c (2.2.7): with `-l` *and* `-n` every line goes to stderr as
`strftime("%c")` + `": "` + message; unless `-G` it also goes to syslog, ident
`Keepalived_vrrp` (the VRRP child's), option LOG_PID, facility daemon or LOG_LOCAL<N>
with `-S N`. keepalived logs its "detail" lines at LOG_INFO too, only when `-D` is given.

pykeepalived's own DEBUG lines are shown only when `debug` is set (never by keepalived's
flags), so a console log reads like keepalived's. Adapters log through the stdlib
`logging` module; `StdlibBridge` forwards their warnings here.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import syslog
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from pykeepalived.vrrp.actions import LogLevel

if TYPE_CHECKING:
    from collections.abc import Callable

SYSLOG_IDENT = "Keepalived_vrrp"
_LOCAL_FACILITIES = (syslog.LOG_LOCAL0, syslog.LOG_LOCAL1, syslog.LOG_LOCAL2, syslog.LOG_LOCAL3,
                     syslog.LOG_LOCAL4, syslog.LOG_LOCAL5, syslog.LOG_LOCAL6, syslog.LOG_LOCAL7)


def console_line(message: str, when: float) -> str:
    """One console line exactly as keepalived prints it (`%c` in the local time zone)."""
    return f"{time.strftime('%c', time.localtime(when))}: {message}"


def facility_from_flag(value: str | None) -> int:
    """`-S 0..7` → LOG_LOCAL0..7; keepalived ignores anything else and keeps daemon."""
    if value is not None and value.isdigit() and int(value) < len(_LOCAL_FACILITIES):
        return _LOCAL_FACILITIES[int(value)]
    return syslog.LOG_DAEMON


@dataclass(frozen=True, slots=True)
class LogSettings:
    console: bool = False
    use_syslog: bool = True
    detail: bool = False
    debug: bool = False
    facility: int = syslog.LOG_DAEMON
    ident: str = SYSLOG_IDENT

    @classmethod
    def from_flags(cls, *, log_console: bool, dont_fork: bool, no_syslog: bool,
                   log_detail: bool, facility: str | None) -> LogSettings:
        return cls(console=log_console and dont_fork, use_syslog=not no_syslog,
                   detail=log_detail, facility=facility_from_flag(facility))


class DaemonLog:
    """The daemon's one log sink; `clock` and `stream` are injectable for tests."""

    def __init__(self, settings: LogSettings, *, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.time,
                 syslog_write: Callable[[int, str], None] | None = None) -> None:
        self.settings = settings
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._syslog = syslog_write
        if settings.use_syslog and syslog_write is None:
            syslog.openlog(settings.ident, syslog.LOG_PID, settings.facility)
            self._syslog = syslog.syslog

    def wants(self, level: LogLevel) -> bool:
        if level is LogLevel.DETAIL:
            return self.settings.detail
        if level is LogLevel.DEBUG:
            return self.settings.debug
        return True

    def log(self, message: str, level: LogLevel = LogLevel.INFO) -> None:
        if not self.wants(level):
            return
        if self.settings.console:
            # a closed stderr must not stop the daemon
            with contextlib.suppress(OSError, ValueError):
                print(console_line(message, self._clock()), file=self._stream, flush=True)
        if self._syslog is not None and self.settings.use_syslog:
            self._syslog(syslog.LOG_INFO, message)

    def info(self, message: str) -> None:
        self.log(message, LogLevel.INFO)

    def detail(self, message: str) -> None:
        self.log(message, LogLevel.DETAIL)

    def debug(self, message: str) -> None:
        self.log(message, LogLevel.DEBUG)

    def close(self) -> None:
        if self._syslog is syslog.syslog:
            syslog.closelog()


class StdlibBridge(logging.Handler):
    """Adapters' `logging` records (info and up, or all with debug) into DaemonLog: notify
    scripts' exit status and SMTP failures are logged at info and operators need them."""

    def __init__(self, log: DaemonLog) -> None:
        super().__init__(logging.DEBUG if log.settings.debug else logging.INFO)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text = f"{text}: {record.exc_info[1]!r}"
        except Exception:
            text = str(record.msg)
        level = LogLevel.INFO if record.levelno >= logging.INFO else LogLevel.DEBUG
        self._log.log(text, level)


def install_bridge(log: DaemonLog) -> Callable[[], None]:
    """Route the pykeepalived logger tree into `log`; returns the undo."""
    root = logging.getLogger("pykeepalived")
    bridge = StdlibBridge(log)
    root.addHandler(bridge)
    root.setLevel(bridge.level)
    root.propagate = False

    def remove() -> None:
        root.removeHandler(bridge)
        root.propagate = True

    return remove
