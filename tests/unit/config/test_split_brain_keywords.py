"""`split_brain_announce` (pykeepalived's own): parsed, defaulted, refused with file:line."""

from __future__ import annotations

import pytest

from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_text
from pykeepalived.specs.build import build
from tests.unit.daemon.rt_fakes import FACTS

HOST = HostFacts(interfaces=frozenset({"eth0", "lo"}))


def conf(line: str = "", strict: bool = False) -> str:
    return f"""vrrp_instance VI_1 {{
    interface eth0
    virtual_router_id 51
    priority 100
    {"strict_mode" if strict else ""}
    {line}
    virtual_ipaddress {{
        192.0.2.100/24
    }}
}}
"""


@pytest.mark.parametrize(("line", "strict", "expected"), [
    ("", False, False),
    ("", True, False),
    ("split_brain_announce", False, True),
    ("split_brain_announce on", False, True),
    ("split_brain_announce off", False, False),
    ("split_brain_announce no", False, False),
    ("split_brain_announce on", True, False),  # strict mode: never (as lower_prio_no_advert)
])
def test_announce_default_and_values(line: str, strict: bool, expected: bool) -> None:
    result = load_text(conf(line, strict), path="k.conf", host=HOST)
    assert result.config is not None, result.diagnostics
    params = build(result.config, FACTS).instances[0].params
    assert params.split_brain_announce is expected


def test_a_bad_value_is_an_error_with_its_line() -> None:
    result = load_text(conf("split_brain_announce maybe"), path="k.conf", host=HOST)
    found = [(d.location.path, d.location.line) for d in result.diagnostics
             if d.location is not None and "split_brain_announce maybe" in d.message]
    assert found == [("k.conf", 6)], result.diagnostics


def test_witness_block_interval_and_loss() -> None:
    text = conf("witness 192.0.2.1\n    witness 192.0.2.3\n"
                "    witness_interval 0.05\n    witness_loss 4")
    result = load_text(text, path="k.conf", host=HOST)
    assert result.config is not None, result.diagnostics
    assert not result.diagnostics
    spec = build(result.config, FACTS).instances[0]
    assert spec.params.witness is True
    assert spec.witness is not None
    assert [str(a) for a in spec.witness.addresses] == ["192.0.2.1", "192.0.2.3"]
    assert (spec.witness.interval, spec.witness.loss) == (0.05, 4)


def test_no_witness_by_default() -> None:
    result = load_text(conf(), path="k.conf", host=HOST)
    assert result.config is not None
    spec = build(result.config, FACTS).instances[0]
    assert spec.witness is None
    assert spec.params.witness is False


@pytest.mark.parametrize(("lines", "line", "words"), [
    ("witness gateway", 6, "witness gateway is not an address"),
    ("witness 192.0.2.1 192.0.2.1", 6, "listed twice"),
    ("witness", 6, "witness needs at least one address"),
    ("witness_interval 0", 6, "witness_interval 0 not valid"),
    ("witness_loss 101", 6, "witness_loss 101 not valid"),
])
def test_witness_errors_carry_their_line(lines: str, line: int, words: str) -> None:
    result = load_text(conf(lines), path="k.conf", host=HOST)
    found = [(d.location.line if d.location else None) for d in result.diagnostics
             if words in d.message]
    assert found == [line], result.diagnostics


def test_a_witness_of_the_other_family_is_refused() -> None:
    result = load_text(conf("witness 2001:db8::1"), path="k.conf", host=HOST)
    assert any("not an IPv4 address like the instance's" in d.message
               for d in result.diagnostics)
    assert result.config is not None
    assert build(result.config, FACTS).instances[0].witness is None


@pytest.mark.parametrize(("interval", "loss", "advised"), [
    ("0.05", "3", False), ("1", "3", True), ("0.5", "6", True)])
def test_advice_when_the_witness_verdict_cannot_beat_the_down_timer(
        interval: str, loss: str, advised: bool) -> None:
    text = conf(f"witness 192.0.2.1\n    witness_interval {interval}\n    witness_loss {loss}")
    result = load_text(text, path="k.conf", host=HOST)
    said = [a.message for a in result.advice if "witness_interval x witness_loss" in a.message]
    assert bool(said) is advised, said


def test_lease_witness_keywords() -> None:
    text = conf("lease_witness http://192.0.2.90:2379 http://192.0.2.91:2379/\n"
                "    lease_ttl 2\n    lease_key /ha/web\n    lease_unreachable release")
    result = load_text(text, path="k.conf", host=HOST)
    assert result.config is not None, result.diagnostics
    assert not result.diagnostics
    spec = build(result.config, FACTS).instances[0]
    assert spec.lease is not None
    assert spec.lease.endpoints == ("http://192.0.2.90:2379", "http://192.0.2.91:2379")
    assert (spec.lease.key, spec.lease.ttl) == ("/ha/web", 2)
    assert (spec.params.lease, spec.params.lease_unreachable) == (True, "release")
    assert spec.lease.margin == 0.5
    default = build(load_text(conf("lease_witness http://192.0.2.90:2379"), path="k.conf",
                              host=HOST).config, FACTS).instances[0]  # type: ignore[arg-type]
    assert default.lease is not None
    assert (default.lease.key, default.lease.ttl) == ("/pykeepalived/vrrp/51", 3)
    assert default.params.lease_unreachable == "vrrp"


@pytest.mark.parametrize(("line", "words"), [
    ("lease_witness 192.0.2.90:2379", "is not http://host:port"),
    ("lease_witness http://192.0.2.90", "is not http://host:port"),
    ("lease_ttl 1", "lease_ttl 1 not valid"),
    ("lease_key ha/web", "must start with /"),
    ("lease_unreachable maybe", "lease_unreachable maybe not valid"),
])
def test_lease_errors_carry_their_line(line: str, words: str) -> None:
    result = load_text(conf(line), path="k.conf", host=HOST)
    found = [(d.location.line if d.location else None) for d in result.diagnostics
             if words in d.message]
    assert found == [6], result.diagnostics
