"""SMTP alerts from the real daemon to a real SMTP server (aiosmtpd) on the lab LAN.

Host a (192.0.2.161) runs pykeepalived with `smtp_alert`; host m (.162) runs aiosmtpd
with its Maildir handler on port 2525. What the operator gets in the mailbox must carry
keepalived's subject and body words, for the configured sender and recipient.
"""

from __future__ import annotations

import mailbox
import sys
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Block, instance_conf
from netlab.lab import wait_for
from netlab.peers import PyNode
from tests.netns.notify.scripts import BASE, PREFIX, TAKEOVER

if TYPE_CHECKING:
    from collections.abc import Callable
    from email.message import Message
    from pathlib import Path

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

PORT = 2525
RECIPIENT = "ops@ntf.example"
SENDER = "vrrp@ntf.example"
ROUTER_ID = "pyka165"  # instance_conf names the router after the VRID


def start_smtp_server(lab: Lab, host: str, maildir: Path) -> None:
    address = f"{lab.host(host).ipv4}:{PORT}"
    lab.spawn(host, [sys.executable, "-m", "aiosmtpd", "-n", "-l", address,
                     "-c", "aiosmtpd.handlers.Mailbox", str(maildir)], name="aiosmtpd")

    def listening() -> bool:
        shown = lab.run(host, ["ss", "-Hltn", f"sport = :{PORT}"], check=False).stdout
        return bool(shown.strip())
    wait_for(listening, TAKEOVER, what=f"aiosmtpd to listen on {address}")


def subjects(maildir: Path) -> list[str]:
    return [str(m["Subject"]) for m in mails(maildir)]


def mails(maildir: Path) -> list[Message]:
    return list(mailbox.Maildir(maildir, factory=None, create=False)) \
        if (maildir / "new").exists() else []


def test_master_transition_mails_the_recipient(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "m"), base=BASE, prefix=PREFIX)
    assert lab.workdir is not None
    maildir = lab.workdir / "maildir"
    start_smtp_server(lab, "m", maildir)
    smtp = [Block("notification_email", [RECIPIENT]), f"notification_email_from {SENDER}",
            f"smtp_server {lab.host('m').ipv4} {PORT}", "smtp_connect_timeout 5"]
    a = PyNode(lab, "a", instance_conf(vrid=165, priority=150, vip="192.0.2.169/24",
                                       extra=["smtp_alert"], global_extra=smtp)).start()
    subject = f"[{ROUTER_ID}] VRRP Instance VI_T - Entering MASTER state"
    wait_for(lambda: subject in subjects(maildir), TAKEOVER, what=f"a mail {subject!r}")
    a.stop()
    mail = next(m for m in mails(maildir) if m["Subject"] == subject)
    assert mail["From"] == SENDER
    assert mail["To"] == RECIPIENT
    assert mail["X-Mailer"] == "Keepalived"
    assert mail["X-MailFrom"] == SENDER  # the envelope, as aiosmtpd saw it
    assert mail["X-RcptTo"] == RECIPIENT
    assert str(mail.get_payload()).strip() == "=> VRRP Instance is now owning VRRP VIPs <="
    assert f"[{ROUTER_ID}] VRRP Instance VI_T - Entering BACKUP state" in subjects(maildir)
