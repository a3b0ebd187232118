"""The quorum scenario: one virtual server, its steps, and what keepalived does at each.

Three real servers of weight 1 with `quorum 2`, `hysteresis 1` (quorum gained at a live
weight of 3, lost below 1), a sorry server, `alpha` (servers start down) and `omega`
(notifications at stop too). notify_up/notify_down on every real server and
quorum_up/quorum_down on the virtual server are one script that appends its arguments
to a file: keepalived passes none of its own (reference §4.1), so each line is what the
config says. The global `notify_fifo` gets the VS/RS lines (§4.2).

Each `Step` opens or closes real servers' ports and says what keepalived 2.2.7 then
shows (§2.6, §2.8, §4): the dests in IPVS, the FIFO lines in ordered groups (any order
within a group: servers checked in the same second), the script lines (any order: the
scripts run concurrently).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.conf import RealServer, VirtualServer, tcp_check

if TYPE_CHECKING:
    from pathlib import Path

    from tests.ipvs.ipvs_lab import Block

VIP, SORRY = "192.0.2.100", "198.51.100.99"
VS = f"[{VIP}]:tcp:80"
REALS = {"rs1": "198.51.100.21", "rs2": "198.51.100.22", "rs3": "198.51.100.23"}
ALL = tuple(REALS)
NOTIFY = '#!/bin/sh\necho "$*" >> "$(dirname "$0")/notify.log"\n'


def rs_line(name: str, state: str) -> str:
    return f"RS [{REALS[name]}]:tcp:80 {VS} {state}"


def vs_line(state: str) -> str:
    return f"VS {VS} {state}"


@dataclass(frozen=True)
class Step:
    name: str
    opens: tuple[str, ...] = ()
    closes: tuple[str, ...] = ()
    dests: tuple[tuple[str, int], ...] = ()
    fifo: tuple[tuple[str, ...], ...] = ()
    scripts: tuple[str, ...] = ()
    #: the scripts run at stop get one second (keepalived: system_call_script with
    #: TIMER_HZ, pykeepalived the same): in the emulated VM keepalived's often do not
    #: make it (seen: none, or three of four), so they are only checked to be expected
    scripts_best_effort: bool = False

    @property
    def stops(self) -> bool:
        return self.name.startswith("stop")


POOL = tuple((a, 1) for a in REALS.values())
STEPS = (
    Step("start-weight-2-is-below-quorum-plus-hysteresis", opens=("rs1", "rs2"),
         dests=((SORRY, 1),),
         fifo=((vs_line("DOWN"),), (rs_line("rs1", "UP"), rs_line("rs2", "UP"),
                                    rs_line("rs3", "DOWN"))),
         scripts=("quorum_down", "notify_up rs1", "notify_up rs2", "notify_down rs3")),
    Step("rs3-up-quorum-gained-sorry-server-out", opens=("rs3",), dests=POOL,
         fifo=((rs_line("rs3", "UP"),), (vs_line("UP"),)),
         scripts=("notify_up rs3", "quorum_up")),
    Step("rs1-rs2-down-hysteresis-keeps-quorum", closes=("rs1", "rs2"),
         dests=((REALS["rs3"], 1),),
         fifo=((rs_line("rs1", "DOWN"), rs_line("rs2", "DOWN")),),
         scripts=("notify_down rs1", "notify_down rs2")),
    Step("rs3-down-quorum-lost-sorry-server-in", closes=("rs3",), dests=((SORRY, 1),),
         fifo=((rs_line("rs3", "DOWN"),), (vs_line("DOWN"),)),
         scripts=("notify_down rs3", "quorum_down")),
    Step("all-up-quorum-regained", opens=ALL, dests=POOL,
         fifo=(tuple(rs_line(n, "UP") for n in ALL), (vs_line("UP"),)),
         scripts=("notify_up rs1", "notify_up rs2", "notify_up rs3", "quorum_up")),
    Step("stop-omega-notifies",
         fifo=(tuple(rs_line(n, "DOWN") for n in ALL), (vs_line("DOWN"),)),
         scripts=("notify_down rs1", "notify_down rs2", "notify_down rs3", "quorum_down"),
         scripts_best_effort=True),
)


def quorum_vs(script: Path) -> VirtualServer:
    return VirtualServer(
        f"{VIP} 80", delay_loop=1, quorum=2, hysteresis=1, alpha=True, omega=True,
        quorum_up=f"{script} quorum_up", quorum_down=f"{script} quorum_down",
        sorry_server=f"{SORRY} 80",
        real_servers=[RealServer(address, 80, weight=1, notify_up=f"{script} notify_up {name}",
                                 notify_down=f"{script} notify_down {name}",
                                 checkers=[tcp_check(connect_timeout=1, retry=0)])
                      for name, address in REALS.items()])


def dests_of(blocks: list[Block]) -> tuple[tuple[str, int], ...]:
    """(address, weight) of the quorum virtual server's dests in a listing."""
    rows = [d.split() for service, dests in blocks if service.startswith(f"TCP {VIP}:80 ")
            for d in dests]
    return tuple(sorted((r[1].rsplit(":", 1)[0], int(r[3])) for r in rows))


def grouped_ok(lines: list[str], groups: tuple[tuple[str, ...], ...]) -> bool:
    """The lines are the groups in order, each group in any order."""
    at = 0
    for group in groups:
        if sorted(lines[at:at + len(group)]) != sorted(group):
            return False
        at += len(group)
    return at == len(lines)


class Notifications:
    """The FIFO (read end opened before the daemon starts) and the scripts' file, split
    into the quorum virtual server's lines and everyone else's."""

    def __init__(self, directory: Path) -> None:
        self.script = directory / "notify.sh"
        self.script.write_text(NOTIFY)
        self.script.chmod(0o755)
        self.fifo_path = directory / "fifo"
        os.mkfifo(self.fifo_path)
        self._fd = os.open(self.fifo_path, os.O_RDONLY | os.O_NONBLOCK)
        self._text = b""
        self._log = directory / "notify.log"
        self.fifo_taken = 0
        self.scripts_taken = 0

    def fifo(self) -> list[str]:
        """Every complete FIFO line so far."""
        with contextlib.suppress(BlockingIOError):
            for _ in range(1000):
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    break
                self._text += chunk
        return self._text.decode().splitlines()

    def quorum_fifo(self) -> list[str]:
        return [line for line in self.fifo() if f"{VS} " in line]

    def other_fifo(self) -> list[str]:
        return [line for line in self.fifo() if f"{VS} " not in line]

    def scripts(self) -> list[str]:
        return self._log.read_text().splitlines() if self._log.exists() else []

    def close(self) -> None:
        os.close(self._fd)
