"""The check module's daemon-wide settings around its virtual servers.

The virtual servers themselves are the check core's own values (check/params.py); this
adds what only the daemon acts on: IPVS flushing and timeouts, a sync daemon the checker
runs on its own, notify FIFOs and SMTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pykeepalived.check.lvs import SyncDaemonSpec, Timeouts
    from pykeepalived.check.params import VirtualServerSpec
    from pykeepalived.specs.notify import FifoSpec, SmtpSpec


@dataclass(frozen=True, slots=True)
class SslSpec:
    """The top-level `SSL {}` block: files for SSL_GET's client context."""

    password: str | None = None
    ca: str | None = None
    certificate: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """Everything the check module runs, built from one config."""

    virtual_servers: tuple[VirtualServerSpec, ...] = ()
    lvs_flush: bool = False
    #: None: delete our services one by one at stop; "full": one FLUSH; "VS": per service
    lvs_flush_on_stop: Literal["full", "VS"] | None = None
    timeouts: Timeouts | None = None
    #: lvs_sync_daemon: run by the checker for its whole life when `instance` is None,
    #: else master/backup following that vrrp_instance's state
    sync_daemon: SyncDaemonSpec | None = None
    log_all_failures: bool = False
    rs_init_notifies: bool = False
    no_checker_emails: bool = False
    #: notify_fifo and lvs_notify_fifo (the VS/RS lines go to both)
    fifos: tuple[FifoSpec, ...] = ()
    #: SMTP alerts for checker transitions (None: not configured)
    smtp: SmtpSpec | None = None
    #: the SSL {} block SSL_GET checkers use (None: keepalived generates a context)
    ssl: SslSpec | None = None
    #: enable_script_security: MISC_CHECK and notify scripts are judged before they run
    script_security: bool = False
    #: what the builder corrected or skipped, in keepalived's words (logged at start)
    warnings: tuple[str, ...] = ()
