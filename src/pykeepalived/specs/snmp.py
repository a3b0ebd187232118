"""The AgentX subagent's settings: where snmpd's master socket is and what to serve.

keepalived's rules (core/global_data.c, core/main.c): `-x` turns on every MIB (VRRP,
both RFC MIBs, checker); `-A FILE` names the socket and wins over `snmp_socket` (which
then reports "already set"); without either the socket is net-snmp's default,
/var/agentx/master. The VRRP process runs the subagent when any VRRP-side MIB is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.config.model import GlobalDefs

DEFAULT_SOCKET = "/var/agentx/master"


@dataclass(frozen=True, slots=True)
class AgentxAddress:
    """A unix socket path, or a TCP host and port (net-snmp's `tcp:HOST:PORT`)."""

    path: str | None = None
    host: str | None = None
    port: int = 705

    def __str__(self) -> str:
        return f"unix:{self.path}" if self.path is not None else f"tcp:{self.host}:{self.port}"


def agentx_address(text: str | None) -> AgentxAddress:
    """net-snmp's transport spelling: `unix:PATH`, a bare `/PATH`, `tcp:HOST:PORT`,
    `HOST:PORT`; a name we cannot read falls back to the default socket."""
    spec = (text or DEFAULT_SOCKET).strip()
    if spec.startswith("unix:"):
        return AgentxAddress(path=spec[len("unix:"):])
    if spec.startswith("/"):
        return AgentxAddress(path=spec)
    spec = spec.removeprefix("tcp:")
    host, _, port = spec.rpartition(":")
    if host and port.isdigit() and 0 < int(port) < 65536:
        return AgentxAddress(host=host.strip("[]"), port=int(port))
    return AgentxAddress(path=DEFAULT_SOCKET)


@dataclass(frozen=True, slots=True)
class SnmpSpec:
    address: AgentxAddress
    vrrp: bool = False
    rfcv2: bool = False
    rfcv3: bool = False
    checker: bool = False
    traps: bool = False

    @property
    def vrrp_side(self) -> bool:
        return self.vrrp or self.rfcv2 or self.rfcv3


def snmp_spec(g: GlobalDefs, *, option: bool = False, socket: str | None = None
              ) -> SnmpSpec | None:
    """None when no MIB is enabled (no subagent at all)."""
    spec = SnmpSpec(address=agentx_address(socket or g.snmp_socket),
                    vrrp=option or g.enable_snmp_vrrp, rfcv2=option or g.enable_snmp_rfcv2,
                    rfcv3=option or g.enable_snmp_rfcv3,
                    checker=option or g.enable_snmp_checker, traps=g.enable_traps)
    if not (spec.vrrp_side or spec.checker):
        return None
    return spec
