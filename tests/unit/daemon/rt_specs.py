"""Specs from keepalived.conf text, through the real loader and build (fake host facts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_config
from pykeepalived.specs.build import DaemonSpec, build
from tests.unit.daemon.rt_fakes import FACTS

if TYPE_CHECKING:
    from pathlib import Path

HOST = HostFacts(interfaces=frozenset({"eth0", "lo"}))


def instance_text(*, name: str = "VI_T", vrid: int = 171, priority: int = 100,
                  vips: str = "192.0.2.171/24", extra: str = "") -> str:
    return f"""vrrp_instance {name} {{
    interface eth0
    virtual_router_id {vrid}
    priority {priority}
    advert_int 1
    {extra}
    virtual_ipaddress {{
        {vips}
    }}
}}
"""


def daemon_from(text: str, tmp_path: Path, name: str = "k.conf") -> DaemonSpec:
    path = tmp_path / name
    path.write_text(text)
    result = load_config(str(path), host=HOST)
    assert result.config is not None, result.diagnostics
    return build(result.config, FACTS)
