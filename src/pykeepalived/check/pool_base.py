"""The state of one virtual server's pool and the primitives every step is made of.

`VirtualServerCore` (pool.py) takes keepalived's decisions; this base holds what they
act on (the real servers, the sorry server, the checkers, quorum) and the few things
every decision ends in: an IPVS command with keepalived's inhibit_on_failure rules
(ipvswrapper.c ipvs_cmd), the notify script / FIFO line / mail for a real or virtual
server (ipwrapper.c do_rs_notifies, do_vs_notifies), and a log line, all collected as
actions in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.check import messages
from pykeepalived.check.actions import (
    AddDest,
    DelDest,
    EditDest,
    FifoLine,
    Log,
    RunScript,
    SmtpAlert,
)
from pykeepalived.check.checkers import Checker
from pykeepalived.check.servers import RealServer, real_weight

if TYPE_CHECKING:
    from pykeepalived.check.actions import CheckAction
    from pykeepalived.check.params import VirtualServerSpec


class PoolBase:
    """A virtual_server's real servers, sorry server, checkers and quorum state."""

    def __init__(self, spec: VirtualServerSpec, *, log_all_failures: bool = False,
                 no_checker_emails: bool = False, rs_init_notifies: bool = False) -> None:
        self.spec = spec
        self.log_all_failures = log_all_failures
        self.no_checker_emails = no_checker_emails
        self.rs_init_notifies = rs_init_notifies
        self.servers = [RealServer.from_spec(rs, inhibit=rs.inhibit_on_failure)
                        for rs in spec.real_servers]
        self.sorry = (RealServer.from_spec(spec.sorry_server, inhibit=spec.sorry_server_inhibit)
                      if spec.sorry_server is not None else None)
        self.sorry_duplicates_rs = self.sorry is not None and any(
            rs.spec.key == self.sorry.spec.key for rs in self.servers)
        self.checkers: list[Checker] = []
        for index, rs in enumerate(self.servers):
            for checker_spec in rs.spec.checkers:
                self.checkers.append(Checker(len(self.checkers), checker_spec, rs.text,
                                             spec.label, index))
        self.quorum_up = False
        self.alive = False
        #: ha_suspend: how many copies of the VIP the host has
        self.suspend_addresses = 0
        self._out: list[CheckAction] = []

    def alive_weight(self) -> int:
        """weigh_live_realservers: the sorry server never counts."""
        return sum(real_weight(rs.effective) for rs in self.servers if rs.alive)

    def _pool_change(self, *, add: bool) -> None:
        """perform_quorum_state: every alive server into (or out of) IPVS."""
        self._log(messages.pool_change(add, self.spec.label))
        for rs in self.servers:
            if rs.alive:
                self._ipvs("add" if add else "del", rs)

    def _clear_server(self, rs: RealServer, *, stopping: bool) -> None:
        """clear_service_rs: an inhibited server really goes; omega says so."""
        if rs.set or stopping:
            self._log(messages.clearing(stopping, rs.inhibit and not rs.alive, rs.text,
                                        self.spec.label))
        if not rs.set:
            return
        self._ipvs("del", rs, force=True)
        if not rs.alive:
            return
        rs.alive = False
        if stopping and not self.spec.omega:
            return
        self._rs_notifies(rs, stopping=stopping)
        if rs.spec.smtp_alert:
            body = "=> Shutting down <=" if stopping else "=> Removing <="
            self._emit(SmtpAlert(messages.rs_subject(rs.text, self.spec.label, False), body))

    def _vs_down_notifies(self, *, stopping: bool) -> None:
        """update_vs_notifies: at stop a virtual server with quorum reports losing it."""
        spec, weight = self.spec, self.alive_weight()
        threshold = spec.quorum - spec.hysteresis
        if stopping or (self.quorum_up and (not weight or weight < threshold)):
            self.quorum_up = False
            self._vs_notifies(False, threshold, weight, stopping=stopping)

    def _vs_notifies(self, init: bool, threshold: int, weight: int, *, stopping: bool) -> None:
        """do_vs_notifies: quorum script, FIFO line, SMTP (at stop only with omega)."""
        spec, up = self.spec, self.quorum_up
        if stopping and not spec.omega:
            return
        script = spec.quorum_up if up else spec.quorum_down
        if script is not None:
            self._emit(RunScript(script, stopping, "quorum_up" if up else "quorum_down",
                                 f"VS {spec.label}"))
        self._emit(FifoLine(messages.vs_fifo(spec.label, up)))
        if spec.smtp_alert:
            what = ("Starting with quorum up" if init else "Gained quorum") if up else (
                "Starting with quorum down" if init else "Lost quorum")
            body = ("=> Shutting down <=" if stopping else
                    f"=> {what} {spec.quorum}+{spec.hysteresis}={threshold} <= {weight} <=")
            self._emit(SmtpAlert(messages.vs_subject(spec.label, up), body))

    def _rs_notifies(self, rs: RealServer, *, stopping: bool) -> None:
        script = rs.spec.notify_up if rs.alive else rs.spec.notify_down
        if script is not None:
            self._emit(RunScript(script, stopping, "notify_up" if rs.alive else "notify_down",
                                 f"RS {rs.text} of VS {self.spec.label}"))
        self._emit(FifoLine(messages.rs_fifo(rs.text, self.spec.label, rs.alive)))

    def _ipvs(self, op: str, rs: RealServer, *, force: bool = False) -> None:
        """ipvs_cmd: inhibit turns a delete into weight 0 and a re-add into an edit;
        `force` (shutdown, removal) deletes an inhibited server for real."""
        inhibit = rs.inhibit and not force
        weight = real_weight(rs.effective)
        if op == "del" and inhibit:
            op, weight = "edit", 0
        elif op == "add" and inhibit and rs.set:
            op = "edit"
        elif op == "add" and not rs.set:
            rs.set = True
            if rs.inhibit and rs.failed:
                weight = 0
        elif op == "del" and rs.set:
            rs.set = False
        for service in self.spec.services:
            dest = rs.spec.dest(service, weight)
            self._emit(AddDest(service, dest) if op == "add" else
                       DelDest(service, dest) if op == "del" else EditDest(service, dest))

    def _log(self, message: str) -> None:
        self._emit(Log(message))

    def _emit(self, action: CheckAction) -> None:
        self._out.append(action)

    def _flush(self) -> list[CheckAction]:
        out, self._out = self._out, []
        return out
