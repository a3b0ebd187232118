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
    ("", False, True),
    ("", True, False),
    ("split_brain_announce", False, True),
    ("split_brain_announce off", False, False),
    ("split_brain_announce no", False, False),
    ("split_brain_announce on", True, True),
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
