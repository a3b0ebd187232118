"""The checker process's SNMP subagent: virtual and real server tables, and their traps.

keepalived runs the check part of KEEPALIVED-MIB in its checker process (check_snmp.c);
so do we, when `enable_snmp_checker` (or `-x`) is set. Rows come from one check snapshot
per request (observe/check_capture.py → observe/snmp_check.py). Traps follow the cores:
after each batch of actions the runtime reports the virtual server it just ran, and the
agent compares its real servers' up/down and its quorum with what it last saw.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pykeepalived.daemon.snmp import VERSION, VIEW_CACHE
from pykeepalived.observe.snmp_agentx import MibView, Session, VarBind
from pykeepalived.observe.snmp_check import check_rows, quorum_trap, real_server_trap
from pykeepalived.observe.snmp_mib import AGENT_OID, CHECK, GLOBAL, global_rows
from pykeepalived.specs.snmp import snmp_spec

if TYPE_CHECKING:
    from pykeepalived.config.model import Config
    from pykeepalived.daemon.check_ports import AgentxPort
    from pykeepalived.daemon.check_readouts import CheckReadouts
    from pykeepalived.daemon.checking import CheckRuntime
    from pykeepalived.daemon.options import DaemonOptions
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.specs.snmp import SnmpSpec


def check_snmp_agent(config: Config, options: DaemonOptions, log: LogSink
                     ) -> CheckSnmpAgent | None:
    spec = snmp_spec(config.global_defs, option=options.snmp, socket=options.snmp_socket)
    if spec is None or not spec.checker:
        return None
    return CheckSnmpAgent(spec, config, log)


class CheckSnmpAgent:
    def __init__(self, spec: SnmpSpec, config: Config, log: LogSink) -> None:
        self.spec = spec
        self.config = config
        self.log = log
        #: the global scalars are served by the VRRP process when it serves SNMP too
        self.serve_global = not spec.vrrp
        subtrees = (GLOBAL, CHECK) if self.serve_global else (CHECK,)
        self.session = Session(oid=AGENT_OID, description="Keepalived SNMP subagent",
                               subtrees=subtrees, view=self.view, uptime=self.uptime)
        self.client: AgentxPort | None = None
        self.readouts: CheckReadouts | None = None
        self._started = time.monotonic()
        #: per virtual server index: (each real server alive, quorum up) last seen
        self._seen: dict[int, tuple[tuple[bool, ...], bool]] = {}
        self.traps_sent = 0
        self._view: MibView | None = None
        self._view_at = 0.0

    def start(self, runtime: CheckRuntime, readouts: CheckReadouts) -> None:
        open_agentx = runtime.ports.open_agentx
        if open_agentx is None:
            return
        self.readouts = readouts
        self._seen = {i: _state(core) for i, core in enumerate(runtime.cores)}
        runtime.on_executed = self.changed
        self.log.log("Starting SNMP subagent")
        self.client = open_agentx(self.spec.address, self.session, self.log.log)
        self.client.start()

    def follow(self, config: Config, readouts: CheckReadouts, runtime: CheckRuntime) -> None:
        """After a reload: the new configuration and cores are what the walk shows."""
        self.config, self.readouts = config, readouts
        self._view = None
        self._seen = {i: _state(core) for i, core in enumerate(runtime.cores)}

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None

    def uptime(self) -> int:
        return int((time.monotonic() - self._started) * 100)

    def view(self) -> MibView:
        """Rebuilt at most every VIEW_CACHE seconds, and after any change of a real
        server or quorum (daemon/snmp.py says why)."""
        if self.readouts is None:
            return MibView.of(())
        now = time.monotonic()
        if self._view is not None and now - self._view_at < VIEW_CACHE:
            return self._view
        self._view_at = now
        self._view = self._build()
        return self._view

    def _build(self) -> MibView:
        assert self.readouts is not None
        snapshot = self.readouts.snapshot()
        names = [(vs.snmp_name, tuple(rs.snmp_name for rs in vs.real_servers))
                 for vs in self.config.virtual_servers]
        rows = check_rows(snapshot, names=names)
        if self.serve_global:
            rows += global_rows(self.config.global_defs, version=VERSION)
        return MibView.of(rows)

    def changed(self, runtime: CheckRuntime, index: int) -> None:
        """The runtime ran virtual server `index`'s actions: trap what changed."""
        if index >= len(runtime.cores):
            return
        now = _state(runtime.cores[index])
        before = self._seen.get(index)
        self._seen[index] = now
        if before is None or before == now or self.readouts is None:
            return
        self._view = None
        if not self.spec.traps or self.client is None:
            return
        vs = self.readouts.snapshot().virtual_servers[index]
        router_id = self.config.global_defs.router_id or ""
        traps: list[list[VarBind]] = []
        if len(before[0]) == len(now[0]):
            traps += [real_server_trap(vs, vs.real_servers[n], router_id)
                      for n, (was, is_) in enumerate(zip(before[0], now[0], strict=True))
                      if was != is_]
        if before[1] != now[1]:
            traps.append(quorum_trap(vs, router_id))
        for varbinds in traps:
            if self.client.send(self.session.notify(varbinds)):
                self.traps_sent += 1


def _state(core: object) -> tuple[tuple[bool, ...], bool]:
    servers = getattr(core, "servers", [])
    return tuple(bool(rs.alive) for rs in servers), bool(getattr(core, "quorum_up", False))
