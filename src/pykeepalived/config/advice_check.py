"""Our own `-t` notes on the check module: what keepalived accepts that pykeepalived
reads and checks but does not run. Like all advice, they never change the exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.config.diagnostics import Location
    from pykeepalived.config.host import HostFacts
    from pykeepalived.config.model import Config

__all__ = ["check_notes"]


def check_notes(config: Config, host: HostFacts | None = None,
                ) -> list[tuple[str, Location | None]]:
    """(message, where) for every BFD_CHECK (keepalived's BFD process is not built, so
    such a checker never reports; its real server is judged by its other checkers) and
    every SMTP_CHECK `host {}` without connect_timeout (keepalived gives it 0 s)."""
    notes: list[tuple[str, Location | None]] = []
    if config.virtual_servers and host is not None and host.ipvs is False:
        notes.append(("this kernel has no IPVS (no /proc/net/ip_vs, no ip_vs module): the"
                      " virtual servers will be checked but not programmed, and VRRP runs"
                      " as usual", config.virtual_servers[0].location))
    for vs in config.virtual_servers:
        for rs in vs.real_servers:
            where = f"real server [{rs.address}]:{rs.port} in virtual server {vs.label}"
            for checker in rs.checkers:
                if checker.kind == "BFD_CHECK":
                    notes.append((f"BFD_CHECK of {where} is read and checked, but"
                                  " pykeepalived does not run BFD; the checker is ignored",
                                  checker.location))
                elif checker.connection is not None and checker.connection.timeout_us == 0:
                    notes.append((f"SMTP_CHECK of {where}: this host {{}} block has no"
                                  " connect_timeout, so its connect timeout is 0 s (as in"
                                  " keepalived) and it fails unless the server answers at"
                                  " once; set connect_timeout in it",
                                  checker.location))
    return notes
