"""What the check core asks the world to do, in the order it must be done.

The core (pool.py) never touches IPVS, runs a probe or a script itself: it returns these
frozen values and the daemon's driver executes them in order. The IPVS actions name one
kernel service each (a virtual_server_group is several), so the adapter never has to know
about groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.check.lvs import DestSpec, ServiceSpec
    from pykeepalived.commands import ScriptCommand


@dataclass(frozen=True, slots=True)
class RunProbe:
    """Probe real server `checker` (index into the core's checkers); HTTP: url `url`."""

    checker: int
    url: int = 0


@dataclass(frozen=True, slots=True)
class AddService:
    service: ServiceSpec


@dataclass(frozen=True, slots=True)
class EditService:
    service: ServiceSpec


@dataclass(frozen=True, slots=True)
class DelService:
    service: ServiceSpec


@dataclass(frozen=True, slots=True)
class AddDest:
    service: ServiceSpec
    dest: DestSpec


@dataclass(frozen=True, slots=True)
class EditDest:
    service: ServiceSpec
    dest: DestSpec


@dataclass(frozen=True, slots=True)
class DelDest:
    service: ServiceSpec
    dest: DestSpec


IpvsAction = AddService | EditService | DelService | AddDest | EditDest | DelDest


@dataclass(frozen=True, slots=True)
class RunScript:
    """notify_up/notify_down/quorum_up/quorum_down: the command line as configured.

    `stopping`: run at shutdown (omega), where keepalived allows it one second."""

    command: ScriptCommand
    stopping: bool = False
    #: for the log line saying how it ended: `notify_up`... and whom it is about
    keyword: str = ""
    about: str = ""


@dataclass(frozen=True, slots=True)
class FifoLine:
    """`VS [..]:tcp:80 UP` / `RS [..] [..] DOWN`, to notify_fifo and lvs_notify_fifo."""

    line: str


@dataclass(frozen=True, slots=True)
class SmtpAlert:
    """A checker alert: subject `[router_id] <subject>`, one-line `body`."""

    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Log:
    message: str
    #: keepalived prints it only with -D (--log-detail)
    detail: bool = False


CheckAction = RunProbe | IpvsAction | RunScript | FifoLine | SmtpAlert | Log
