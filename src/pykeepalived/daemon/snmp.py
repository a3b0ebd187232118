"""The VRRP process's SNMP subagent: live MIB rows and traps, wired into the daemon.

keepalived's VRRP process is an AgentX subagent when `enable_snmp_vrrp`,
`enable_snmp_rfcv2/v3` (or `-x`) say so; so is ours. Requests are answered from one
snapshot per request (observe/capture.py → observe/snmp_mib.py), built on the loop in
well under a millisecond for a handful of instances, so a walk never holds an advert
back. Traps follow the notify events (the same moments keepalived sends them, in its
order: the instance's state change, then RFC 2787's and RFC 6527's new-master), through
a notifier wrapper, so the runtime does not know SNMP exists.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived import KEEPALIVED_COMPAT_VERSION, __version__
from pykeepalived.observe.capture import build_snapshot
from pykeepalived.observe.snapshot import cmd_str
from pykeepalived.observe.snmp_agentx import MibView, Session, VarBind
from pykeepalived.observe.snmp_mib import (
    AGENT_OID,
    AUTH_ERRORS,
    PROTO_ERRORS,
    MibSelection,
    SnmpFacts,
    rfcv2_auth_failure_trap,
    rfcv3_proto_error_trap,
    transition_traps,
    vrrp_view,
)
from pykeepalived.specs.snmp import snmp_spec

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pykeepalived.adapters.smtp import SmtpSettings
    from pykeepalived.config import model
    from pykeepalived.daemon.check_ports import AgentxPort
    from pykeepalived.daemon.options import DaemonOptions
    from pykeepalived.daemon.ports import LogSink, NotifierPort, Ports
    from pykeepalived.daemon.running import RunningInstance
    from pykeepalived.daemon.runtime import Runtime
    from pykeepalived.observe.snapshot import DumpSnapshot
    from pykeepalived.specs.notify import FifoSpec, Kind, NotifyTarget
    from pykeepalived.specs.snmp import SnmpSpec
    from pykeepalived.vrrp.advert import IPAddress



#: globalVersion: keepalived's banner, with ours
VERSION = f"Keepalived v{KEEPALIVED_COMPAT_VERSION} (pykeepalived {__version__})"
#: seconds a built MIB view answers requests (states and priorities after a transition
#: are always fresh: a transition drops it; counters may lag by this much)
VIEW_CACHE = 2.0


def snmp_agent(config: model.Config, options: DaemonOptions, log: LogSink, ports: Ports
               ) -> SnmpAgent | None:
    """The subagent when a VRRP-side MIB is enabled, its notifier wrapper in place."""
    spec = snmp_spec(config.global_defs, option=options.snmp, socket=options.snmp_socket)
    if spec is None or not spec.vrrp_side:
        return None
    agent = SnmpAgent(spec, config, log)
    agent.wrap(ports)
    return agent


class SnmpAgent:
    """One per VRRP process; `wrap` its notifier before the runtime is made, `start`
    once the runtime runs, `stop` after the runtime stopped (the STOP traps go out)."""

    def __init__(self, spec: SnmpSpec, config: model.Config, log: LogSink) -> None:
        self.spec = spec
        self.config = config
        self.log = log
        self.selection = MibSelection(keepalived=spec.vrrp, rfcv2=spec.rfcv2,
                                      rfcv3=spec.rfcv3, traps=spec.traps)
        self.session = Session(oid=AGENT_OID, description="Keepalived SNMP subagent",
                               subtrees=self.selection.subtrees(), view=self.view,
                               uptime=self.uptime)
        self.runtime: Runtime | None = None
        self.client: AgentxPort | None = None
        self._started = time.monotonic()
        #: traps handed to snmpd (tests and status read it)
        self.traps_sent = 0
        self._view: MibView | None = None
        self._view_at = 0.0
        #: per instance: its error counters when last looked at, its last protocol error
        self._errors: dict[str, tuple[int, ...]] = {}
        self._proto_reason: dict[str, int] = {}

    def wrap(self, ports: Ports) -> None:
        ports.notifier = TrappingNotifier(ports.notifier, self)

    def start(self, runtime: Runtime) -> None:
        open_agentx = runtime.ports.open_agentx
        if open_agentx is None:
            self.log.log("SNMP: no AgentX support in this build")
            return
        self.runtime = runtime
        runtime.inbound.on_received = self.received
        self.log.log("Starting SNMP subagent")
        self.client = open_agentx(self.spec.address, self.session, self.log.log)
        self.client.start()

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None

    def uptime(self) -> int:
        return int((time.monotonic() - self._started) * 100)

    def snapshot(self, only: str | None = None) -> tuple[DumpSnapshot, dict[str, SnmpFacts]]:
        """Every running instance, or `only` that one (a trap's: cheap whatever the
        number of instances, since a failover traps each of them)."""
        runtime = self.runtime
        assert runtime is not None
        cores = runtime.cores()
        nodes = runtime.nodes
        if only is not None:
            cores = {only: cores[only]} if only in cores else {}
            nodes = {only: nodes[only]} if only in nodes else {}
        snapshot = build_snapshot(self.config, cores,
                                  runtime.script_trackers() if only is None else {},
                                  wall_now=time.time(), mono_now=runtime.now(),
                                  vmac_ifnames=runtime.links.vmac_ifnames())
        if only is None:
            snapshot = replace(snapshot, scripts=tuple(
                replace(s, command=self._resolved(s.name, s.command))
                for s in snapshot.scripts))
        facts = {name: SnmpFacts(ifindex=node.spec.socket.ifindex, mac=node.spec.mac,
                                 primary=_text(node.spec.params.primary_address),
                                 heard_master=_text(node.instance.last_heard_master),
                                 proto_err_reason=self._proto_reason.get(name, 0))
                 for name, node in nodes.items()}
        return snapshot, facts

    def _resolved(self, name: str, shown: str) -> str:
        """keepalived shows a vrrp_script's program by its real path (/bin/true is
        '/usr/bin/true' where /bin links to usr/bin)."""
        script = self.config.script(name)
        if script is None or script.script is None or not script.script.command:
            return shown
        program, *args = script.script.command
        return cmd_str((os.path.realpath(program), *args))

    def view(self) -> MibView:
        """The rows, rebuilt at most every VIEW_CACHE seconds and after every state
        change: a walk is one GetNext per row, and 200 instances are 17,000 rows built
        in about 80 ms; rebuilding them per request would hold the loop for minutes."""
        if self.runtime is None:
            return MibView.of(())
        now = time.monotonic()
        if self._view is None or now - self._view_at >= VIEW_CACHE:
            snapshot, facts = self.snapshot()
            self._view = vrrp_view(snapshot, self.config, facts, self.selection,
                                   version=VERSION, uptime_cs=self.uptime())
            self._view_at = now
        return self._view

    def invalidate(self) -> None:
        self._view = None

    def received(self, node: RunningInstance, source: IPAddress) -> None:
        """After each datagram an instance judged: an error counter that moved is
        keepalived's vrrpTrapAuthFailure (RFC 2787) or vrrpv3ProtoError (RFC 6527)."""
        stats = node.instance.stats
        now = tuple(int(getattr(stats, key)) for key, _ in (*AUTH_ERRORS, *PROTO_ERRORS))
        name = node.spec.name
        before = self._errors.get(name, (0,) * len(now))
        self._errors[name] = now
        if before == now:
            return
        kinds = (*AUTH_ERRORS, *PROTO_ERRORS)
        auth: list[int] = []
        proto: list[int] = []
        for index, (was, is_) in enumerate(zip(before, now, strict=True)):
            if is_ > was:
                (auth if index < len(AUTH_ERRORS) else proto).append(kinds[index][1])
        if proto:
            self._proto_reason[name] = proto[-1]
        client = self.client
        if not self.spec.traps or client is None:
            return
        snapshot, facts = self.snapshot(only=name)
        inst = next((i for i in snapshot.instances if i.name == name), None)
        fact = facts.get(name)
        if inst is None or fact is None:
            return
        traps: list[list[VarBind]] = []
        if self.selection.rfcv2:
            traps += [t for t in (rfcv2_auth_failure_trap(inst, fact, str(source), code)
                                  for code in auth) if t is not None]
        if self.selection.rfcv3:
            traps += [rfcv3_proto_error_trap(inst, fact, code) for code in proto]
        for varbinds in traps:
            if client.send(self.session.notify(varbinds)):
                self.traps_sent += 1

    def trap(self, kind: str, name: str, state: str) -> None:
        self.invalidate()
        client = self.client
        if not self.spec.traps or client is None or self.runtime is None:
            return
        # a group trap needs no instance: an empty snapshot costs nothing
        snapshot, facts = self.snapshot(only=name if kind == "INSTANCE" else "")
        for varbinds in transition_traps(kind, name, state, snapshot, self.config, facts,
                                         self.selection):
            if client.send(self.session.notify(varbinds)):
                self.traps_sent += 1


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


class TrappingNotifier:
    """The runtime's notifier with a trap sent beside each notify event."""

    def __init__(self, inner: NotifierPort, agent: SnmpAgent) -> None:
        self.inner = inner
        self.agent = agent

    def notify(self, kind: Kind, name: str, state: str, priority: int,
               env: tuple[tuple[str, str], ...] = ()) -> None:
        self.inner.notify(kind, name, state, priority, env)
        self.agent.trap(kind, name, state)

    def set_targets(self, targets: Iterable[NotifyTarget], *, fifos: Iterable[FifoSpec] = (),
                    smtp: SmtpSettings | None = None) -> None:
        self.inner.set_targets(targets, fifos=fifos, smtp=smtp)

    async def drain(self, budget: float = 1.0) -> bool:
        return await self.inner.drain(budget)

    async def close(self) -> None:
        await self.inner.close()
