"""The probes of the check module: one module per checker kind, one `run_probe` to call.

Each probe connects to one real server as keepalived's checker of that kind does and
returns a check/results.ProbeResult, never raising (a failure carries keepalived's
phrase). A kind's module, and the libraries only it needs (ssl, dnspython), load on its
first probe, so a daemon with TCP checks alone never imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.check.params import (
    DnsProbe,
    HttpProbe,
    MiscProbe,
    PingProbe,
    SmtpProbe,
    TcpProbe,
    UdpProbe,
)

if TYPE_CHECKING:
    from pykeepalived.check.params import Probe
    from pykeepalived.check.results import ProbeResult


async def run_probe(probe: Probe, *, url: int = 0, enforce_security: bool = False,
                    ) -> ProbeResult:
    """Run one probe: `url` picks the HTTP_GET/SSL_GET url, `enforce_security` applies
    script_security to MISC_CHECK. FILE_CHECK is no probe (the daemon tracks the file):
    passing one is a programming error (TypeError)."""
    if isinstance(probe, TcpProbe):
        from pykeepalived.adapters.checkers.tcp import probe_tcp

        return await probe_tcp(probe)
    if isinstance(probe, HttpProbe):
        from pykeepalived.adapters.checkers.http import probe_http

        return await probe_http(probe, url)
    if isinstance(probe, MiscProbe):
        from pykeepalived.adapters.checkers.misc import probe_misc

        return await probe_misc(probe, enforce_security=enforce_security)
    if isinstance(probe, SmtpProbe):
        from pykeepalived.adapters.checkers.smtp import probe_smtp

        return await probe_smtp(probe)
    if isinstance(probe, DnsProbe):
        from pykeepalived.adapters.checkers.dns import probe_dns

        return await probe_dns(probe)
    if isinstance(probe, UdpProbe):
        from pykeepalived.adapters.checkers.udp import probe_udp

        return await probe_udp(probe)
    if isinstance(probe, PingProbe):
        from pykeepalived.adapters.checkers.ping import probe_ping

        return await probe_ping(probe)
    raise TypeError(f"{type(probe).__name__} is not a network probe")
