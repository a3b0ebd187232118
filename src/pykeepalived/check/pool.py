"""One virtual server's pool: which real servers IPVS holds, with what weight, and quorum.

A port of keepalived 2.2.7's ipwrapper.c, which decides everything an LVS operator
sees: a real server is alive only while all its checkers are up (update_svr_checker_state
/ perform_svr_state), its IPVS weight is its configured weight plus what MISC_CHECK
(misc_dynamic) and FILE_CHECK add, clamped (update_svr_wgt), and the virtual server has
quorum while the weights of its alive servers reach `quorum + hysteresis` and keeps it
until they fall below `quorum - hysteresis`; without quorum a sorry server replaces the
pool (update_quorum_state). inhibit_on_failure turns a removal into weight 0
(ipvswrapper.c ipvs_cmd). Every change comes out as actions (actions.py), in
keepalived's order: log line, IPVS command, notify script, FIFO line, quorum.

Pure: `now` comes in with each call and the checkers' randomness (the warmup spread) is
a function handed in, so tests run it on a virtual clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.check import messages
from pykeepalived.check.actions import (
    AddService,
    CheckAction,
    DelService,
    Log,
    RunProbe,
    SmtpAlert,
)
from pykeepalived.check.params import CheckerKind, FileProbe
from pykeepalived.check.pool_base import PoolBase

if TYPE_CHECKING:
    from pykeepalived.check.checkers import Checker
from pykeepalived.check.servers import RealServer, file_status, real_weight

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pykeepalived.check.results import ProbeResult


class VirtualServerCore(PoolBase):
    """keepalived's decisions for one virtual server, as actions."""

    # ----------------------------------------------------------------- the driver's calls

    def start(self, files: Mapping[str, int] | None = None) -> list[CheckAction]:
        """init_service_vs on a fresh start: services, servers, quorum, sorry server.

        The checkers start with `register`, once every virtual server has started, as
        keepalived announces them all after all the quorum lines."""
        self._files_at_start(files or {})
        for checker in self.checkers:
            if checker.spec.alpha:
                checker.is_up = False
                self.servers[checker.rs].failed += 1
        for service in self.spec.services:
            self._emit(AddService(service))
        self.alive = True
        self._init_servers()
        self._update_quorum(init=True)
        self._sorry_inhibit_at_start()
        return self._flush()

    def register(self, now: float, random: Callable[[], float], *,
                 migrated: frozenset[int] = frozenset()) -> list[CheckAction]:
        """register_checkers_thread: announce every checker and spread the first runs
        (a checker a reload carried over keeps its retry count)."""
        for checker in self.checkers:
            if checker.kind is CheckerKind.FILE:
                continue
            checker.enabled = not self.spec.ha_suspend or self.suspend_addresses > 0
            self._log(messages.activating(checker.enabled, checker.rs_text, self.spec.label))
            checker.start(now, random(), reset_retry=checker.index not in migrated)
        return self._flush()

    def next_deadline(self) -> float | None:
        dues = [c.due for c in self.checkers if c.due is not None and not c.running]
        return min(dues) if dues else None

    def due(self, now: float) -> list[CheckAction]:
        """Every checker whose time has come: a probe each (or, suspended, a new wait)."""
        for checker in self.checkers:
            if checker.due is not None and not checker.running and checker.due <= now:
                probe = checker.run(now)
                if probe is not None:
                    self._emit(RunProbe(probe.checker, probe.url))
        return self._flush()

    def probe_done(self, checker: int, result: ProbeResult, now: float) -> list[CheckAction]:
        self.checkers[checker].finish(result, now, self)
        return self._flush()

    def file_value(self, name: str, value: int) -> list[CheckAction]:
        """A track_file changed: its FILE_CHECKs move their real servers."""
        for checker in self.checkers:
            probe = checker.spec.probe
            if isinstance(probe, FileProbe) and probe.track_file == name:
                self._file_update(checker, probe, value)
        return self._flush()

    def address_count(self, count: int) -> list[CheckAction]:
        """ha_suspend: the VIP is on the host `count` times now (update_checker_activity).

        Every checker counts here, FILE_CHECK included (never started, so enabled from
        the start): keepalived 2.2.7 logs Suspending/Activating for it too, though a
        track_file's updates never wait for it."""
        enable = count > self.suspend_addresses
        self.suspend_addresses = count
        if not self.spec.ha_suspend:
            return []
        for checker in self.checkers:
            if enable != checker.enabled and (enable or count == 0):
                self._log(messages.suspend_change(enable, checker.rs_text, self.spec.label))
                checker.enabled = enable
        return self._flush()

    def stop(self) -> list[CheckAction]:
        """clear_service_vs at shutdown: sorry server, each real server, then the services."""
        return self._clear(stopping=True)

    def _clear(self, *, stopping: bool) -> list[CheckAction]:
        """clear_service_vs: at shutdown (`stopping`: keepalived's words and omega's
        notifies) or at a reload that drops this virtual server."""
        sorry = self.sorry
        if sorry is not None and sorry.set:
            if self.sorry_duplicates_rs:
                sorry.set = False
            else:
                self._ipvs("del", sorry, force=True)
            sorry.alive = False
        for rs in self.servers:
            self._clear_server(rs, stopping=stopping)
        self._vs_down_notifies(stopping=stopping)
        for service in self.spec.services:
            self._emit(DelService(service))
        self.alive = False
        return self._flush()

    # ----------------------------------------------------------------- reload (reload.py)

    def restart(self) -> list[CheckAction]:
        """init_service_vs after a reload: servers carried over
        keep their place in IPVS (their weight edited if it changed), new ones start as
        at startup, alpha included (check_new_rs_state)."""
        for index, rs in enumerate(self.servers):
            rs.effective = rs.iweight + sum(c.cur_weight for c in self.checkers
                                            if c.rs == index)
        for checker in self.checkers:
            rs = self.servers[checker.rs]
            if not rs.reloaded and checker.spec.alpha:
                self._set_checker_state(checker, False)
                rs.alive = False
        if not self.alive:
            for service in self.spec.services:
                self._emit(AddService(service))
            self.alive = True
        for rs in self.servers:
            if rs.reloaded and rs.effective != rs.previous:
                weight, rs.effective = rs.effective, rs.previous
                self._set_weight(rs, weight, update_quorum=False)
        self._init_servers()
        self._update_quorum(init=True)
        self._sorry_inhibit_at_start()
        return self._flush()

    def remove(self) -> list[CheckAction]:
        """clear_service_vs at a reload that drops this virtual server."""
        return self._clear(stopping=False)

    def remove_server(self, rs: RealServer) -> list[CheckAction]:
        self._clear_server(rs, stopping=False)
        return self._flush()

    def remove_sorry(self) -> list[CheckAction]:
        """clear_diff_s_srv: a sorry server the reload changed or dropped leaves IPVS."""
        sorry = self.sorry
        if sorry is None:
            return []
        if sorry.inhibit:
            if not sorry.alive and sorry.set:
                sorry.alive = True
            sorry.inhibit = False
        if sorry.alive:
            self._log(messages.sorry_server(False, False, sorry.text, self.spec.label))
            self._ipvs("del", sorry)
        return self._flush()

    def vs_down_if_lost(self) -> list[CheckAction]:
        self._vs_down_notifies(stopping=False)
        return self._flush()

    def edit_server(self, rs: RealServer) -> list[CheckAction]:
        self._ipvs("edit", rs)
        return self._flush()

    def settle_migrated(self, rs: RealServer) -> list[CheckAction]:
        """The end of migrate_checkers: up if nothing fails, IPVS matching inhibit."""
        if not rs.failed and not rs.alive:
            self._server_state(rs, True)
        elif rs.failed and rs.set != rs.inhibit:
            self._ipvs("add" if rs.inhibit else "del", rs)
        return self._flush()

    # ----------------------------------------------------------------- Pool (checkers.py)

    def log(self, message: str) -> None:
        self._log(message)

    def checker_state(self, checker: Checker, alive: bool, body: str) -> None:
        """update_svr_checker_state, then the checker's SMTP alert if it changed."""
        rs = self.servers[checker.rs]
        was_up, rs_was_alive = checker.is_up, rs.alive
        self._update_checker(checker, alive)
        if rs.spec.smtp_alert and was_up != alive and (
                rs_was_alive != rs.alive or not self.no_checker_emails):
            self._emit(SmtpAlert(messages.rs_subject(rs.text, self.spec.label, rs.alive), body))

    def misc_verdict(self, checker: Checker, alive: bool, body: str) -> None:
        """MISC_CHECK's final verdict: its alert does not wait for a state change."""
        rs = self.servers[checker.rs]
        rs_was_alive = rs.alive
        self._update_checker(checker, alive)
        if not alive:
            checker.cur_weight = 0
        if rs.spec.smtp_alert and (rs_was_alive != rs.alive or not self.no_checker_emails):
            self._emit(SmtpAlert(messages.rs_subject(rs.text, self.spec.label, rs.alive), body))

    def misc_weight(self, checker: Checker, status: int) -> None:
        """misc_dynamic: exit status S makes the real server's weight S - 2 (0: its own)."""
        rs = self.servers[checker.rs]
        part = status - 2 - rs.iweight if status else 0
        effective = rs.effective - checker.cur_weight + part
        checker.cur_weight = part
        self._set_weight(rs, effective, update_quorum=True)

    def drop_weight(self, checker: Checker) -> None:
        """A final MISC failure takes the checker's part back without an IPVS edit (the
        server leaves the pool next anyway), as keepalived does."""
        rs = self.servers[checker.rs]
        rs.effective -= checker.cur_weight
        checker.cur_weight = 0

    # ----------------------------------------------------------------- keepalived's steps

    def _files_at_start(self, files: Mapping[str, int]) -> None:
        for checker in self.checkers:
            probe = checker.spec.probe
            if not isinstance(probe, FileProbe):
                continue
            status = file_status(files.get(probe.track_file, 0), probe.weight, probe.reverse)
            rs = self.servers[checker.rs]
            checker.has_run = True
            if status is None:
                checker.is_up = False
                rs.failed += 1
            else:
                checker.cur_weight = status
                rs.effective += status

    def _file_update(self, checker: Checker, probe: FileProbe, value: int) -> None:
        """process_update_checker_track_file_status."""
        status = file_status(value, probe.weight, probe.reverse)
        rs = self.servers[checker.rs]
        was_fault = not checker.is_up
        if status is None and not was_fault:
            self._emit(Log(messages.track_file_fault(rs.text, probe.track_file, True),
                           detail=True))
            self._update_checker(checker, False)
            rs.effective -= checker.cur_weight
            checker.cur_weight = 0
        elif status is not None and was_fault:
            self._emit(Log(messages.track_file_fault(rs.text, probe.track_file, False),
                           detail=True))
            checker.cur_weight = status
            rs.effective += status
            self._update_checker(checker, True)
        elif status is not None and status != checker.cur_weight:
            self._set_weight(rs, rs.effective + status - checker.cur_weight, update_quorum=True)
            checker.cur_weight = status

    def _init_servers(self) -> None:
        """init_service_rs: a server with no failing checker joins at once (alive);
        an inhibited one is added anyway, at weight 0 while failing."""
        for rs in self.servers:
            if rs.reloaded:
                continue  # "do not re-add failed RS instantly on reload"
            if (not rs.failed and not rs.alive) or (rs.inhibit and not rs.set):
                self._ipvs("add", rs)
                if not rs.failed:
                    rs.alive = True
                    if self.rs_init_notifies:
                        self._rs_notifies(rs, stopping=False)

    def _sorry_inhibit_at_start(self) -> None:
        sorry = self.sorry
        if sorry is None or not sorry.inhibit or sorry.set:
            return
        if self.sorry_duplicates_rs:
            sorry.set = True
            return
        sorry.failed = 1  # added at weight 0
        self._ipvs("add", sorry)
        sorry.failed = 0

    def _update_checker(self, checker: Checker, alive: bool) -> None:
        """update_svr_checker_state: a server goes down with its first failing checker
        and comes back with its last recovering one."""
        rs = self.servers[checker.rs]
        if checker.is_up == alive:
            if not checker.has_run:
                if checker.spec.alpha or not alive:
                    self._rs_notifies(rs, stopping=False)
                checker.has_run = True
            return
        checker.has_run = True
        if alive and rs.failed <= 1:
            self._server_state(rs, True)
        elif not alive and rs.failed == 0:
            self._server_state(rs, False)
        self._set_checker_state(checker, alive)

    def _set_checker_state(self, checker: Checker, up: bool) -> None:
        """set_checker_state: the real server counts its failing checkers."""
        if checker.is_up == up:
            return
        checker.is_up = up
        rs = self.servers[checker.rs]
        if not up:
            rs.failed += 1
        elif rs.failed:
            rs.failed -= 1

    def _server_state(self, rs: RealServer, alive: bool) -> None:
        """perform_svr_state."""
        if rs.alive == alive:
            return
        self._log(messages.service_change(alive, rs.inhibit, rs.text, self.spec.label))
        if self.quorum_up or self.sorry is None or not self.sorry.alive:
            self._ipvs("add" if alive else "del", rs)
        rs.alive = alive
        self._rs_notifies(rs, stopping=False)
        self._update_quorum(init=False)

    def _set_weight(self, rs: RealServer, weight: int, *, update_quorum: bool) -> None:
        """update_svr_wgt."""
        new, old = real_weight(weight), real_weight(rs.effective)
        rs.effective = weight
        if new == old:
            return
        self._log(messages.weight_change(old, new, rs.alive, rs.text, self.spec.label))
        if rs.set and rs.alive and (self.quorum_up or self.sorry is None
                                    or not self.sorry.alive):
            self._ipvs("edit", rs)
        if update_quorum:
            self._update_quorum(init=False)

    def _update_quorum(self, *, init: bool) -> None:
        """update_quorum_state: gain at quorum + hysteresis, lose below quorum - hysteresis."""
        spec, weight = self.spec, self.alive_weight()
        threshold = spec.quorum + (-1 if self.quorum_up else 1) * spec.hysteresis
        sorry = self.sorry
        if not self.quorum_up and weight >= threshold:
            self.quorum_up = True
            self._log(messages.quorum_gained(spec.quorum, spec.hysteresis, threshold, weight,
                                             spec.label))
            if sorry is not None and sorry.alive:
                self._log(messages.sorry_server(False, sorry.inhibit, sorry.text, spec.label))
                self._ipvs("del", sorry)
                sorry.alive = False
                self._pool_change(add=True)
            self._vs_notifies(init, threshold, weight, stopping=False)
        elif (self.quorum_up and (not weight or weight < threshold)) or (
                init and not self.quorum_up and sorry is not None and not sorry.alive):
            self.quorum_up = False
            self._log(messages.quorum_lost(init, spec.quorum, spec.hysteresis, threshold,
                                           weight, spec.label))
            if sorry is not None and not sorry.alive:
                self._log(messages.sorry_server(True, sorry.inhibit, sorry.text, spec.label))
                self._pool_change(add=False)
                self._ipvs("add", sorry)
                sorry.alive = True
            self._vs_notifies(init, threshold, weight, stopping=False)

