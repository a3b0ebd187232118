"""adapters/smtp.py against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pykeepalived.adapters.smtp import (
    SmtpAlerter,
    SmtpSettings,
    alert_words,
    message_text,
    subject_line,
)
from pykeepalived.config.model import GlobalDefs
from pykeepalived.specs.notify import smtp_spec
from pykeepalived.vrrp.actions import NotifyState

if TYPE_CHECKING:
    from collections.abc import Iterator

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


@dataclass
class Collector:
    envelopes: list[Any] = field(default_factory=list)
    helo: list[str] = field(default_factory=list)

    async def handle_HELO(self, server: Any, session: Any, envelope: Any,
                          hostname: str) -> str:
        session.host_name = hostname
        self.helo.append(hostname)
        return "250 ok"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = free_port()
    controller = aiosmtpd_controller.Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


def settings_for(port: int, **kw: Any) -> SmtpSettings:
    base: dict[str, Any] = {
        "server": "127.0.0.1", "port": port, "recipients": ("ops@example.com", "b@example.com"),
        "email_from": "keepalived@nodeA", "helo_name": "nodeA", "router_id": "LVS_A",
        "connect_timeout": 5.0}
    base.update(kw)
    return SmtpSettings(**base)


def test_master_alert_is_delivered_with_keepalived_headers_and_body(
        smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server

    async def scenario() -> SmtpAlerter:
        alerter = SmtpAlerter(settings_for(port))
        assert alerter.alert("INSTANCE", "VI_1", NotifyState.MASTER)
        await alerter.aclose(budget=5.0)
        return alerter

    alerter = asyncio.run(scenario())
    assert (alerter.sent, alerter.failed) == (1, 0)
    assert collector.helo == ["nodeA"]
    [envelope] = collector.envelopes
    assert envelope.mail_from == "keepalived@nodeA"
    assert envelope.rcpt_tos == ["ops@example.com", "b@example.com"]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "[LVS_A] VRRP Instance VI_1 - Entering MASTER state"
    assert message["From"] == "keepalived@nodeA"
    assert message["To"] == "ops@example.com, b@example.com"
    assert message["X-Mailer"] == "Keepalived"
    assert message["Date"]
    assert message.get_content().strip() == "=> VRRP Instance is now owning VRRP VIPs <="


def test_group_alert_and_no_repeat_of_the_same_state(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server

    async def scenario() -> list[bool]:
        alerter = SmtpAlerter(settings_for(port))
        queued = [alerter.alert("GROUP", "G1", NotifyState.FAULT),
                  alerter.alert("GROUP", "G1", NotifyState.FAULT),
                  alerter.alert("GROUP", "G1", NotifyState.BACKUP)]
        await alerter.aclose(budget=5.0)
        return queued

    assert asyncio.run(scenario()) == [True, False, True]
    subjects = sorted(
        email.message_from_bytes(e.original_content)["Subject"] for e in collector.envelopes)
    assert subjects == ["[LVS_A] VRRP Group G1 - Entering BACKUP state",
                        "[LVS_A] VRRP Group G1 - Entering FAULT state"]


def test_unreachable_server_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()  # nothing listens there

    async def scenario() -> SmtpAlerter:
        alerter = SmtpAlerter(settings_for(port))
        alerter.alert("INSTANCE", "VI_1", NotifyState.BACKUP)
        await alerter.aclose(budget=5.0)
        return alerter

    with caplog.at_level(logging.INFO, logger="pykeepalived.adapters.smtp"):
        alerter = asyncio.run(scenario())
    assert alerter.failed == 1
    assert f"SMTP connection ERROR to [127.0.0.1]:{port}." in caplog.messages


def test_rejecting_server_status_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A server that refuses HELO: keepalived's 'Error processing HELO cmd' line."""
    async def scenario() -> int:
        async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"220-first line\r\n220 hello\r\n")
            await reader.readline()
            writer.write(b"550 go away\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(refuse, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        alerter = SmtpAlerter(settings_for(port))
        alerter.alert("INSTANCE", "VI_1", NotifyState.FAULT)
        await alerter.aclose(budget=5.0)
        server.close()
        await server.wait_closed()
        return int(port)

    with caplog.at_level(logging.INFO, logger="pykeepalived.adapters.smtp"):
        port = asyncio.run(scenario())
    assert (f"Error processing HELO cmd on SMTP server [127.0.0.1]:{port}."
            " SMTP status code = 550") in caplog.messages


def test_words_per_state() -> None:
    assert alert_words("INSTANCE", "STOP") == ("Stopping", "=> VRRP Instance stopping <=")
    assert alert_words("INSTANCE", "DELETED") == ("Deleted", "=> VRRP Deleted at reload <=")
    assert alert_words("GROUP", "DELETED") is None
    assert subject_line("r", "GROUP", "G", "Stopping") == "[r] VRRP Group G - Stopping"


def test_message_text_is_dot_stuffed_and_terminated() -> None:
    text = message_text(settings_for(25), "s", ".hidden", "DATE")
    assert text.endswith("\r\n..hidden\r\n\r\n.\r\n")
    assert text.startswith("Date: DATE\r\nFrom: keepalived@nodeA\r\nSubject: s\r\n")


def test_settings_defaults_follow_keepalived() -> None:
    assert smtp_spec(GlobalDefs()) is None
    assert SmtpSettings.resolve(None, host="h") is None
    defs = GlobalDefs(smtp_server="192.0.2.25", notification_email=("a@example.com",))
    settings = SmtpSettings.resolve(smtp_spec(defs), host="nodeA.example")
    assert settings is not None
    assert settings.email_from == "keepalived@nodeA.example"
    assert settings.helo_name == "nodeA.example"
    assert settings.router_id == "nodeA.example"
    assert (settings.port, settings.connect_timeout) == (25, 30.0)
