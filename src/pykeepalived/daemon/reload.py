"""Safe minimal reload: never trade a running, healthy configuration for a broken one.

keepalived 2.2.7 dies on a reload with a fatal value and leaves its VIPs behind while
the peer takes over (a duplicate VIP; keepalived-reference.md §0.2). We load and build
the new configuration completely *before* touching anything; any error is logged and
the old configuration keeps running, untouched.

What a successful reload does, instance by instance, matched old↔new as keepalived's
vrrp_exist does, by (VRID, family, interface, unicast or not):

- unchanged (the whole built spec is equal, name included): the running VrrpInstance,
  its tracker and socket are kept as they are. No notify, no log line.
- changed: a new VrrpInstance runs the new spec. If the old one was MASTER, the new one
  goes straight back to MASTER (advert, VIPs re-asserted, one GARP burst) without the
  "Entering BACKUP STATE (init)" step and without re-notifying: the VIP never leaves a
  healthy master. VIPs the new spec no longer has are removed. Otherwise it starts
  like a new instance (BACKUP, or FAULT if a tracker says so).
- removed: Shutdown (a MASTER sends priority 0 and removes its VIPs; notify STOP).
- added: started like at daemon startup.

vrrp_scripts keep their verdict across the reload when their name is kept
(`ScriptTracker.reloaded`: "considered successful on reload").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.config.diagnostics import Kind
from pykeepalived.specs.build import build, interfaces_needed
from pykeepalived.specs.instance import BuildError
from pykeepalived.specs.reload import plan_reload
from pykeepalived.vrrp.actions import LogLevel

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from pykeepalived.config.model import Config
    from pykeepalived.config.result import LoadResult
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.daemon.runtime import Runtime
    from pykeepalived.specs.build import DaemonSpec

    Loader = Callable[[], Awaitable[LoadResult]]

FAILED_LINE = "Reload failed, keeping the running configuration"


def load_errors(result: LoadResult, *, need_instances: bool = True) -> list[str]:
    """Lines to log when the new config must not replace the running one, else [].

    The VRRP process needs an instance to run; the checker process does not."""
    lines = [d.render(with_file=len(result.files) > 1) for d in result.diagnostics]
    if result.aborted or result.config is None:
        return lines or ["Configuration cannot be read"]
    # stricter than keepalived's running status: any cannot-run kind refuses the reload
    if any(Kind.OK < d.kind <= Kind.FATAL for d in result.diagnostics):
        return lines
    if need_instances and not result.config.instances:
        return [*lines, "No VRRP instances configured"]
    return []


def accepted(result: LoadResult, log: LogSink, *, need_instances: bool = True,
             ) -> Config | None:
    """At start: the config to run, its warnings logged; None (errors logged) if none."""
    errors = load_errors(result, need_instances=need_instances)
    if result.config is None or errors:
        for line in errors:
            log.log(line)
        return None
    for line in warnings_of(result):
        log.log(line)
    return result.config


def warnings_of(result: LoadResult) -> list[str]:
    """Diagnostics of a config that will still run (logged, not fatal)."""
    return [d.render(with_file=len(result.files) > 1) for d in result.diagnostics]


@dataclass(frozen=True, slots=True)
class Running:
    """The configuration the daemon runs now: what a failed reload falls back to."""

    config: Config
    daemon: DaemonSpec


async def reload_running(runtime: Runtime, running: Running, load: Loader,
                         log: LogSink) -> Running:
    """SIGHUP: everything is checked before anything changes; returns what now runs."""
    log.log("Reloading ...")
    log.log("Reloading")  # keepalived's VRRP child answering its parent's "Reloading ..."
    try:
        result = await load()
    except Exception as exc:  # the loader must never take the daemon down
        return _failed([f"Configuration cannot be read: {exc}"], running, log)
    errors = load_errors(result)
    if result.config is None or errors:
        return _failed(errors, running, log)
    try:
        facts = await runtime.gather_facts(interfaces_needed(result.config))
        daemon = build(result.config, facts)
    except (BuildError, OSError) as exc:
        return _failed([*warnings_of(result), str(exc)], running, log)
    for line in (*warnings_of(result), *daemon.warnings):
        log.log(line)
    plan = plan_reload({spec.name: spec for spec in running.daemon.instances},
                       daemon.instances)
    log.log(f"Reload plan: {plan.summary()}", LogLevel.DEBUG)
    await runtime.apply_reload(daemon, plan)
    log.log("Reload complete")
    return Running(result.config, daemon)


def _failed(errors: list[str], running: Running, log: LogSink) -> Running:
    for line in errors:
        log.log(line)
    log.log(FAILED_LINE)
    return running
