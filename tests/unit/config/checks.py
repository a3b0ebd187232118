"""One way to write a virtual_server under test and read what keepalived would say.

`vs()` wraps keywords in a valid virtual server (TCP, rr, NAT, one real server with a
TCP_CHECK) so a test names only what it is about; `found()` gives (Kind, message, line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.host import HostFacts, ScriptFacts
from pykeepalived.config.load import LoadResult, load_text

if TYPE_CHECKING:
    from pykeepalived.config.model_check import Checker, RealServer, VirtualServer

SCRIPT = "/usr/local/sbin/check.sh"
HOST = HostFacts(interfaces=frozenset({"lo", "eth0"}),
                 scripts={SCRIPT: ScriptFacts(exists=True, executable=True),
                          "/bin/true": ScriptFacts(exists=True, executable=True),
                          "/tmp/bad.sh": ScriptFacts(exists=True, executable=True,
                                                     insecure=True)},
                 users=frozenset({"root", "nobody"}), groups=frozenset({"root", "nogroup"}))
#: the lines vs() puts before the body: the body starts on line 5
HEAD = "virtual_server 192.0.2.100 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n"
TCP_RS = " real_server 192.0.2.10 8080 {\n  TCP_CHECK {\n  }\n }\n"


def load(text: str, host: HostFacts = HOST) -> LoadResult:
    return load_text(text, path="k.conf", config_id="node1", host=host)


def vs(body: str = "", servers: str = TCP_RS, head: str = HEAD) -> str:
    return head + body + servers + "}\n"


def rs(body: str, address: str = "192.0.2.10 8080") -> str:
    """A real server whose body starts on the line after its header."""
    return f" real_server {address} {{\n{body} }}\n"


def found(result: LoadResult, *, with_ok: bool = False) -> list[tuple[Kind, str, int]]:
    return [(d.kind, d.message, d.location.line if d.location else 0)
            for d in result.diagnostics if with_ok or d.kind is not Kind.OK]


def errors(text: str) -> list[tuple[Kind, str, int]]:
    return found(load(text))


def located(text: str) -> list[tuple[Kind, str, int]]:
    """The complaints made while reading (the validation pass's have no line)."""
    return [entry for entry in errors(text) if entry[2]]


def only_vs(text: str) -> VirtualServer:
    result = load(text)
    assert result.config is not None
    assert len(result.config.virtual_servers) == 1, found(result)
    return result.config.virtual_servers[0]


def only_rs(text: str) -> RealServer:
    server = only_vs(text)
    assert len(server.real_servers) == 1
    return server.real_servers[0]


def only_checker(body: str, kind: str = "TCP_CHECK", head: str = "") -> Checker:
    """The one checker of `kind` whose block body is `body` (starting on line 7)."""
    server = only_rs(head + vs(servers=rs(f"  {kind} {{\n{body}  }}\n")))
    assert len(server.checkers) == 1
    return server.checkers[0]


#: a tracked script, script security on, and an instance whose body starts on line 12
VRRP_HEAD = ('vrrp_script chk {\n script "/bin/true"\n}\nglobal_defs {\n enable_script_security\n'
             ' script_user root\n}\nvrrp_instance VI_1 {\n interface eth0\n'
             ' virtual_router_id 51\n priority 100\n')


def vrrp(body: str, host: HostFacts = HOST) -> tuple[Any, list[str]]:
    """VI_1 with BODY from line 12: the instance and the complaints made about the body
    (those on the header line 8, e.g. "No VIP specified", are the validation pass's)."""
    result = load_text(VRRP_HEAD + body + "}\n", path="k.conf", host=host)
    assert result.config is not None
    messages = [d.render(with_file=False) for d in result.diagnostics
                if d.kind is not Kind.OK and d.location is not None and d.location.line > 8]
    return result.config.instances[0], messages
