"""Mutations of configs with virtual servers never make load + check_spec() raise.

Seeds are the Debian samples that have a virtual_server and our check corpus; each
example deletes, duplicates or rewrites a few lines, swaps words for extreme values and
breaks braces. Whatever keepalived says about the result, building the check module's
specs from any config that loads must succeed, and every spec must be well formed.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykeepalived.config.host import HostFacts, ScriptFacts
from pykeepalived.config.load import load_text
from pykeepalived.specs.check_build import MAX_SERVICES, check_spec

SAMPLES = Path("/usr/share/doc/keepalived/samples")
CORPUS = Path(__file__).parent.parent / "data" / "configs" / "check"
SEEDS = [
    p.read_text(errors="surrogateescape")
    for p in (*sorted(SAMPLES.glob("keepalived.conf.*")), *sorted(CORPUS.glob("*.conf")))
    if "virtual_server" in p.read_text(errors="surrogateescape")
]
HOST = HostFacts(interfaces=frozenset({"lo", "eth0", "eth1"}),
                 scripts={"/bin/true": ScriptFacts(exists=True, executable=True)})
EXTREMES = ["-1", "0", "1", "65535", "65536", "4294967296", "99999999999999999999", "x",
            "", "1.5", "0.0000001", "fe80::1", "192.0.2.1", "192.0.2.0/24", "10.0.0.0/16",
            "2001:db8::/120", "192.0.2.1-200", "192.0.2.9-192.0.2.1", "fwmark", "group",
            "TUN", "DR", "NAT", "gue", "port", "sh", "mh", "sh-port", "ops", "inet6",
            "real_server", "virtual_server", "url", "path", "host", "TCP_CHECK", "MISC_CHECK",
            "HTTP_GET", "SMTP_CHECK", "FILE_CHECK", "BFD_CHECK", "XX ff", "/bin/true",
            "{", "}", '"', "\\", "$X"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SEEDS)).splitlines()
    for _ in range(draw(st.integers(1, 8))):
        if not lines:
            lines.append("")
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "word", "brace"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "insert":
            lines.insert(index, " ".join(draw(st.lists(st.sampled_from(EXTREMES), min_size=1,
                                                       max_size=3))))
        elif action == "word":
            words = lines[index].split() or [""]
            at = draw(st.integers(0, len(words) - 1))
            words[at] = draw(st.sampled_from(EXTREMES))
            if draw(st.booleans()):
                words = words[:at + 1]
            lines[index] = " ".join(words)
        else:
            lines[index] += draw(st.sampled_from([" {", " }", ' "']))
    return "\n".join(lines) + "\n"


def test_there_are_seeds() -> None:
    assert len(SEEDS) >= 40


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(mutated())
def test_mutated_check_configs_load_and_build(text: str) -> None:
    result = load_text(text, path="/nonexistent-pyk-check-props/k.conf", config_id="n",
                       host=HOST, random_source=lambda: 7)
    for diagnostic in result.diagnostics:
        assert diagnostic.render()
    assert (result.config is None) == result.aborted
    if result.config is None:
        return
    spec = check_spec(result.config)
    for server in spec.virtual_servers:
        assert server.label
        assert 1 <= len(server.services) <= MAX_SERVICES
        assert server.hysteresis < server.quorum or server.quorum == 0
        for real in server.real_servers:
            assert real.text()
            assert all(c.delay_loop > 0 and c.retry >= 0 for c in real.checkers)
