"""The whole pipeline (syntax, schema, resolve) never raises on any input.

Random text, random bytes and mutations of real configs (Debian's samples and our good
fixtures) go through `load_text`; every diagnostic must render and the config may be
missing only when keepalived would have stopped reading.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykeepalived.config.host import HostFacts, ScriptFacts
from pykeepalived.config.load import LoadResult, load_text

DATA = Path(__file__).parent.parent / "data" / "configs"
SEEDS = [
    p.read_text(errors="surrogateescape")
    for p in (*sorted(Path("/usr/share/doc/keepalived/samples").glob("keepalived.conf.*")),
              *sorted(DATA.glob("good_*.conf")), DATA / "seed_article.conf")
]
PATH = "/nonexistent-pykeepalived-load-props/keepalived.conf"
HOST = HostFacts(interfaces=frozenset({"lo", "eth0", "eth1"}), loopbacks=frozenset({"lo"}),
                 scripts={"/bin/true": ScriptFacts(exists=True, system=True)})
EXTREMES = ["-1", "0", "1", "255", "256", "65536", "99999999999999999999", "1e9", "0x10",
            "", "1.5", "0.0000001", "-0", "é", "\u00ff", "\udcff", "{", "}", '"', "'", "\\",
            "192.0.2.1/33", "2001:db8::1/129", "fe80::1", "eth0", "MASTER", "$X", "@n"]


def load(text: str) -> LoadResult:
    return load_text(text, path=PATH, config_id="node1", host=HOST, random_source=lambda: 7)


def check(text: str) -> None:
    result = load(text)
    for diagnostic in result.diagnostics:
        assert diagnostic.render()
        assert diagnostic.render(with_file=False)
    assert (result.config is None) == result.aborted


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.one_of(st.sampled_from("{}\"'#!\\$@ \n\t"), st.characters()),
               max_size=300))
def test_random_text_never_raises(text: str) -> None:
    check(text)


@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    check(data.decode("utf-8", errors="surrogateescape"))


@st.composite
def mutated_config(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SEEDS)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            lines.append("")
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "word", "brace"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "insert":
            lines.insert(index, draw(st.sampled_from([*EXTREMES, "}", "{", "include *"])))
        elif action == "word":
            words = lines[index].split() or [""]
            at = draw(st.integers(0, len(words) - 1))
            words[at] = draw(st.sampled_from(EXTREMES))
            if draw(st.booleans()):
                words = words[:at + 1]
            lines[index] = " ".join(words)
        else:
            lines[index] += draw(st.sampled_from([" {", " }", ' "', " '", " \\"]))
    return "\n".join(lines) + "\n"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_config())
def test_mutated_real_configs_never_raise(text: str) -> None:
    check(text)


def test_every_seed_loads() -> None:
    for text in SEEDS:
        result = load(text)
        assert result.config is not None, [d.render() for d in result.diagnostics]
