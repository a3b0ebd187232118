"""Outputs of a `VrrpInstance`: what the adapters (or the simulator) must do, in order.

Counters are not actions: they live in `inst.stats`. Timers are not actions either: the
core keeps them and reports the earliest through `next_deadline()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.vrrp.advert import Advertisement
    from pykeepalived.vrrp.params import State


class LogLevel(StrEnum):
    """INFO: keepalived always logs it. DETAIL: keepalived logs it only with -D
    (LOG_DETAIL). DEBUG: pykeepalived's own diagnostics, not a keepalived line."""

    INFO = "info"
    DETAIL = "detail"
    DEBUG = "debug"


class NotifyState(StrEnum):
    """The words keepalived passes to notify scripts; STOP is not a VRRP state."""

    MASTER = "MASTER"
    BACKUP = "BACKUP"
    FAULT = "FAULT"
    STOP = "STOP"
    #: not a transition: a MASTER heard a lower-priority advert (a split brain healing);
    #: runs only `notify_master_rx_lower_pri` and writes the FIFO line (keepalived's
    #: send_event_notify), so cloud hooks can re-claim what the other node grabbed
    MASTER_RX_LOWER_PRI = "MASTER_RX_LOWER_PRI"


@dataclass(frozen=True, slots=True)
class SendAdvert:
    """Send this advert (to the multicast group, or to every unicast peer)."""

    advert: Advertisement


@dataclass(frozen=True, slots=True)
class AddVips:
    """Add the virtual addresses (and routes/rules) to the interface."""


@dataclass(frozen=True, slots=True)
class RemoveVips:
    """Remove the virtual addresses (and routes/rules) from the interface."""


@dataclass(frozen=True, slots=True)
class SendGratuitous:
    """One burst: `count` gratuitous ARPs / unsolicited NAs per VIP, back to back.

    The count is the configured repeat (garp_master_repeat, garp_master_refresh_repeat or
    garp_lower_prio_repeat); delayed bursts are scheduled by the core itself.
    """

    count: int = 1


@dataclass(frozen=True, slots=True)
class StateChanged:
    """A transition, with the reason it happened (advert, timer, tracker...)."""

    old: State
    new: State
    reason: str


@dataclass(frozen=True, slots=True)
class Notify:
    """Run notify scripts / FIFO for this state; priority is the effective priority."""

    state: NotifyState
    priority: int
    #: the lease witness's revision while we hold its key (0: none), for the scripts
    fencing_token: int = 0


@dataclass(frozen=True, slots=True)
class Log:
    """A log line, in keepalived's exact words where keepalived has one."""

    message: str
    level: LogLevel = LogLevel.INFO
    #: a receive check's complaint about one packet from this sender: the daemon may
    #: rate-limit repeats (daemon/packet_log.py), never the first from a new sender.
    #: Not part of equality: the line is the same line whoever sent the packet
    packet_from: str | None = field(default=None, compare=False)


Action = SendAdvert | AddVips | RemoveVips | SendGratuitous | StateChanged | Notify | Log
