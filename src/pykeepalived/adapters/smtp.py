"""SMTP alerts on state changes, worded and sent as keepalived sends them.

keepalived (keepalived/vrrp/vrrp_notify.c, core/smtp.c) mails every `notification_email`
address when an instance or sync group with `smtp_alert` changes state, with subject
`[router_id] VRRP Instance VI_1 - Entering MASTER state` and a one-line body such as
`=> VRRP Instance is now owning VRRP VIPs <=`. The dialogue is plain SMTP: HELO
(`smtp_helo_name`, default the host name), MAIL FROM (`notification_email_from`, default
`keepalived@<host>`), one RCPT per address, DATA with Date/From/Subject/X-Mailer/To
headers, QUIT. A state already mailed is not mailed again.

Public API:

    settings = SmtpSettings.resolve(smtp_spec)   # specs/notify.py; None: not configured
    alerter = SmtpAlerter(settings)
    alerter.alert("INSTANCE", "VI_1", NotifyState.MASTER)   # never blocks: background task
    await alerter.aclose(budget=1.0)                        # let pending mails finish

Failures are logged in keepalived's words (`SMTP connection ERROR to [ip]:port.`), never
raised to the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.specs.notify import Kind, SmtpSpec

log = logging.getLogger(__name__)

_INSTANCE_TEXT = {
    "MASTER": ("Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="),
    "BACKUP": ("Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="),
    "FAULT": ("Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="),
    "STOP": ("Stopping", "=> VRRP Instance stopping <="),
    "DELETED": ("Deleted", "=> VRRP Deleted at reload <="),
}
_GROUP_TEXT = {
    "MASTER": ("Entering MASTER state",
               "=> All VRRP group instances are now in MASTER state <="),
    "BACKUP": ("Entering BACKUP state",
               "=> All VRRP group instances are now in BACKUP state <="),
    "FAULT": ("Entering FAULT state", "=> All VRRP group instances are now in FAULT state <="),
    "STOP": ("Stopping", "=> All VRRP group instances are now stopping <="),
}
#: keepalived's buffer sizes: longer subjects/bodies are cut.
MAX_SUBJECT = 255
MAX_BODY = 511


def local_name() -> str:
    """keepalived's host name: the canonical name of uname's nodename, else the nodename."""
    node = socket.gethostname()
    with contextlib.suppress(OSError):
        for *_, canonical, _addr in socket.getaddrinfo(node, None, flags=socket.AI_CANONNAME):
            if canonical:
                return canonical
    return node


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    server: str
    recipients: tuple[str, ...]
    email_from: str
    helo_name: str
    router_id: str
    port: int = 25
    connect_timeout: float = 30.0

    @property
    def host_pair(self) -> str:
        """keepalived's FMT_SMTP_HOST: `[ip]:port`."""
        return f"[{self.server}]:{self.port}"

    @classmethod
    def resolve(cls, spec: SmtpSpec | None, host: str | None = None) -> SmtpSettings | None:
        """The configured settings with keepalived's host-name defaults filled in."""
        if spec is None:
            return None
        name = host or local_name()
        return cls(server=spec.server, port=spec.port, recipients=spec.recipients,
                   email_from=spec.email_from or f"keepalived@{name}",
                   helo_name=spec.helo_name or name, router_id=spec.router_id or name,
                   connect_timeout=spec.connect_timeout)


def alert_words(kind: Kind, state: str) -> tuple[str, str] | None:
    """(subject tail, body) for a state, or None where keepalived sends nothing."""
    return (_INSTANCE_TEXT if kind == "INSTANCE" else _GROUP_TEXT).get(state)


def subject_line(router_id: str, kind: Kind, name: str, tail: str) -> str:
    what = "VRRP Instance" if kind == "INSTANCE" else "VRRP Group"
    return f"[{router_id}] {what} {name} - {tail}"[:MAX_SUBJECT]


def message_text(settings: SmtpSettings, subject: str, body: str, date: str) -> str:
    """The DATA payload with keepalived's headers, dot-stuffed, ending in CRLF.CRLF."""
    headers = (f"Date: {date}\r\nFrom: {settings.email_from}\r\nSubject: {subject}\r\n"
               f"X-Mailer: Keepalived\r\nTo: {', '.join(settings.recipients)}\r\n\r\n")
    lines = (headers + body[:MAX_BODY] + "\r\n").split("\r\n")
    stuffed = "\r\n".join("." + line if line.startswith(".") else line for line in lines)
    return stuffed + "\r\n.\r\n"


class SmtpError(Exception):
    """A step of the dialogue failed; the message is keepalived's log line."""


async def _reply(reader: asyncio.StreamReader, settings: SmtpSettings) -> int:
    """Read one (possibly multi-line) reply and return its code."""
    while True:
        line = await asyncio.wait_for(reader.readline(), settings.connect_timeout)
        if not line:
            raise SmtpError(f"Remote SMTP server {settings.host_pair} has closed the connection.")
        if len(line) < 4 or line[3:4] != b"-":
            try:
                return int(line[:3])
            except ValueError:
                raise SmtpError(f"Error reading data from remote SMTP server "
                                f"{settings.host_pair}.") from None


async def _step(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                settings: SmtpSettings, name: str, command: str | None, expect: int) -> None:
    if command is not None:
        writer.write(command.encode("utf-8", "replace"))
        await writer.drain()
    code = await _reply(reader, settings)
    if code != expect:
        raise SmtpError(f"Error processing {name} cmd on SMTP server {settings.host_pair}."
                        f" SMTP status code = {code}")


async def send_mail(settings: SmtpSettings, subject: str, body: str) -> None:
    """One complete SMTP dialogue; SmtpError (keepalived's words) on any failure."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(settings.server, settings.port), settings.connect_timeout)
    except TimeoutError:
        raise SmtpError(f"Timeout connecting SMTP server {settings.host_pair}.") from None
    except OSError:
        raise SmtpError(f"SMTP connection ERROR to {settings.host_pair}.") from None
    try:
        await _dialogue(reader, writer, settings, subject, body)
    except TimeoutError:
        raise SmtpError(f"Timeout reading data to remote SMTP server "
                        f"{settings.host_pair}.") from None
    except OSError:
        raise SmtpError(f"Cannot send data to remote SMTP server {settings.host_pair}.") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def _dialogue(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    settings: SmtpSettings, subject: str, body: str) -> None:
    await _step(reader, writer, settings, "(E)SMTP", None, 220)
    await _step(reader, writer, settings, "HELO", f"HELO {settings.helo_name}\r\n", 250)
    await _step(reader, writer, settings, "MAIL", f"MAIL FROM:<{settings.email_from}>\r\n", 250)
    for address in settings.recipients:
        await _step(reader, writer, settings, "RCPT", f"RCPT TO:<{address}>\r\n", 250)
    await _step(reader, writer, settings, "DATA", "DATA\r\n", 354)
    import email.utils  # here: the email package is 0.5 MiB most daemons never use

    date = email.utils.formatdate(localtime=True)
    await _step(reader, writer, settings, "BODY", message_text(settings, subject, body, date), 250)
    log.debug("SMTP alert successfully sent.")
    await _step(reader, writer, settings, "QUIT", "QUIT\r\n", 221)


class SmtpAlerter:
    """Sends alerts in background tasks; remembers the last state mailed per object."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._last: dict[tuple[Kind, str], str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.failed = 0

    def alert(self, kind: Kind, name: str, state: str) -> bool:
        """Queue the alert for this state change; False when nothing is to be sent."""
        words = alert_words(kind, str(state))
        if words is None or self._last.get((kind, name)) == str(state):
            return False
        self._last[(kind, name)] = str(state)
        self._queue(subject_line(self.settings.router_id, kind, name, words[0]), words[1])
        return True

    def send(self, subject: str, body: str) -> None:
        """A checker alert (check/messages.py words): keepalived's `[router_id] ` first."""
        self._queue(f"[{self.settings.router_id}] {subject}"[:MAX_SUBJECT], body[:MAX_BODY])

    def _queue(self, subject: str, body: str) -> None:
        task = asyncio.get_running_loop().create_task(self._send(subject, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, subject: str, body: str) -> None:
        try:
            await send_mail(self.settings, subject, body)
        except SmtpError as failure:
            self.failed += 1
            log.info("%s", failure)
        else:
            self.sent += 1

    async def aclose(self, budget: float = 1.0) -> None:
        """Give pending mails `budget` seconds, then cancel the rest."""
        pending = set(self._tasks)
        if pending:
            _done, late = await asyncio.wait(pending, timeout=budget)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
