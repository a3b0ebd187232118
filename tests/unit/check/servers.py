"""Builders of check-core specs for the unit tests (the config layer builds them for real)."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_address
from typing import Any

from pykeepalived.check.actions import AddDest, DelDest, EditDest, FifoLine, Log
from pykeepalived.check.lvs import PROTOCOLS, ServiceSpec
from pykeepalived.check.params import (
    CheckerKind,
    CheckerSpec,
    Connection,
    DnsProbe,
    HttpProbe,
    HttpUrl,
    MiscProbe,
    PingProbe,
    Probe,
    RealServerSpec,
    SmtpProbe,
    TcpProbe,
    UdpProbe,
    VirtualServerSpec,
)
from pykeepalived.check.pool import VirtualServerCore
from pykeepalived.commands import ScriptCommand

VIP = "192.0.2.100"


def service(port: int = 80) -> ServiceSpec:
    return ServiceSpec(family=4, protocol=PROTOCOLS["TCP"], address=ip_address(VIP), port=port,
                       scheduler="wrr")


def tcp(port: int, **timing: Any) -> CheckerSpec:
    probe = TcpProbe(Connection(ip_address("192.0.2.10"), port, timeout=1.0))
    return checker(CheckerKind.TCP, probe, **timing)


def http(port: int, paths: tuple[str, ...] = ("/",), **timing: Any) -> CheckerSpec:
    probe = HttpProbe(Connection(ip_address("192.0.2.10"), port),
                      tuple(HttpUrl(p) for p in paths))
    timing.setdefault("delay_before_retry", 3.0)
    return checker(CheckerKind.HTTP, probe, **timing)


def smtp(port: int, **timing: Any) -> CheckerSpec:
    probe = SmtpProbe(Connection(ip_address("192.0.2.10"), port, timeout=1.0))
    return checker(CheckerKind.SMTP, probe, **timing)


def udp(port: int, **timing: Any) -> CheckerSpec:
    probe = UdpProbe(Connection(ip_address("192.0.2.10"), port, timeout=1.0))
    return checker(CheckerKind.UDP, probe, **timing)


def dns(port: int = 53, **timing: Any) -> CheckerSpec:
    probe = DnsProbe(Connection(ip_address("192.0.2.10"), port, timeout=1.0))
    return checker(CheckerKind.DNS, probe, **timing)


def ping(**timing: Any) -> CheckerSpec:
    return checker(CheckerKind.PING, PingProbe(Connection(ip_address("192.0.2.10"), 0)),
                   **timing)


def misc(program: str = "/bin/check", *, dynamic: bool = False, **timing: Any) -> CheckerSpec:
    timing.setdefault("retry", 0)
    return checker(CheckerKind.MISC, MiscProbe(ScriptCommand((program,)), 5.0, dynamic),
                   **timing)


def checker(kind: CheckerKind, probe: Probe, **timing: Any) -> CheckerSpec:
    values: dict[str, Any] = {"delay_loop": 3.0, "retry": 1, "delay_before_retry": 1.0,
                              "warmup": 0.0}
    values.update(timing)
    return CheckerSpec(kind, probe, **values)


def real(port: int, *checkers: CheckerSpec, **options: Any) -> RealServerSpec:
    return RealServerSpec(ip_address("192.0.2.10"), port, checkers=checkers, **options)


def virtual(*servers: RealServerSpec, **options: Any) -> VirtualServerSpec:
    spec = VirtualServerSpec(f"[{VIP}]:tcp:80", (service(),), servers)
    return replace(spec, **options)


def started(spec: VirtualServerSpec, now: float = 0.0, **options: Any
            ) -> tuple[VirtualServerCore, list[Any]]:
    core = VirtualServerCore(spec, **options)
    return core, core.start() + core.register(now, lambda: 0.0)


# ------------------------------------------------------------------ reading actions
def logs(actions: list[Any]) -> list[str]:
    """The log lines among a core's actions, in order."""
    return [a.message for a in actions if isinstance(a, Log)]


def ipvs(actions: list[Any]) -> list[tuple[str, int, int]]:
    """(command, dest port, weight) for every dest command, in order."""
    return [(type(a).__name__, a.dest.port, a.dest.weight) for a in actions
            if isinstance(a, AddDest | DelDest | EditDest)]


def fifo(actions: list[Any]) -> list[str]:
    return [a.line for a in actions if isinstance(a, FifoLine)]
