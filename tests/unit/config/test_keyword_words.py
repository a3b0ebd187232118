"""global_defs and vrrp_instance keyword handlers pinned in the fast suite: each valid
value lands in its model field, each complaint is keepalived 2.2.7's own text and line.

Every expected message below was printed by `keepalived -t -f FILE` (2.2.7, Debian) for
the same snippet. Where ours differ from keepalived's, the test pins only what the two
share and says so in a comment (the difference is reported, not fixed here)."""

from __future__ import annotations

from typing import Any

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.load import load_text
from tests.unit.config.checks import HOST


def _global(body: str) -> tuple[Any, list[str]]:
    """global_defs with BODY on line 2: the model and the complaints as keepalived says them."""
    result = load_text(f"global_defs {{\n{body}\n}}\n", path="k.conf", host=HOST)
    assert result.config is not None
    messages = [d.render(with_file=False) for d in result.diagnostics if d.kind is not Kind.OK]
    return result.config.global_defs, messages


GLOBAL_CASES: list[tuple[str, str, object, list[str]]] = [
    # smtp_server: a port in [1, 65535], default 25
    (" smtp_server 192.0.2.1", "smtp_port", 25, []),
    (" smtp_server 192.0.2.1 1", "smtp_port", 1, []),
    (" smtp_server 192.0.2.1 65535", "smtp_port", 65535, []),
    # smtp_connect_timeout: [0, UINT_MAX / TIMER_HZ], 0 becomes 1 (keepalived's typo kept)
    (" smtp_connect_timeout 7", "smtp_connect_timeout", 7, []),
    (" smtp_connect_timeout 4294", "smtp_connect_timeout", 4294, []),
    (" smtp_connect_timeout 0", "smtp_connect_timeout", 1,
     ["(Line 2) smtp_conect_timeout must be greater than 0, setting to 1"]),
    (" smtp_connect_timeout 1", "smtp_connect_timeout", 1, []),
    (" smtp_connect_timeout -1", "smtp_connect_timeout", 30,
     ["(Line 2) negative number '-1'",
      "(Line 2) smtp_connect_timeout '-1' must be in [0, 4294] - ignoring"]),
    (" smtp_connect_timeout 4295", "smtp_connect_timeout", 30,
     ["(Line 2) number '4295' outside range [0, 4294]",
      "(Line 2) smtp_connect_timeout '4295' must be in [0, 4294] - ignoring"]),
    (" smtp_connect_timeout x", "smtp_connect_timeout", 30,
     ["(Line 2) invalid number 'x'",
      "(Line 2) smtp_connect_timeout 'x' must be in [0, 4294] - ignoring"]),
    # smtp_alert: bare is on, a boolean word, anything else is refused
    (" smtp_alert", "smtp_alert", True, []),
    (" smtp_alert false", "smtp_alert", False, []),
    (" smtp_alert on", "smtp_alert", True, []),
    (" smtp_alert maybe", "smtp_alert", None,
     ["(Line 2) Invalid value 'maybe' for global smtp_alert specified"]),
    # vrrp_mcast_group4/6: parses, right family, multicast
    (" vrrp_mcast_group4 224.0.0.19", "vrrp_mcast_group4", "224.0.0.19", []),
    (" vrrp_mcast_group4 nope", "vrrp_mcast_group4", "224.0.0.18",
     ["(Line 2) Can't parse vrrp_mcast_group4 [nope]. Skipping"]),
    (" vrrp_mcast_group4 2001:db8::1", "vrrp_mcast_group4", "224.0.0.18",
     ["(Line 2) vrrp_mcast_group4 [2001:db8::1] is not IPv4. Skipping"]),
    (" vrrp_mcast_group4 192.0.2.1", "vrrp_mcast_group4", "224.0.0.18",
     ["(Line 2) vrrp_mcast_group4 [192.0.2.1] is not multicast. Skipping"]),
    (" vrrp_mcast_group6 ff02::13", "vrrp_mcast_group6", "ff02::13", []),
    (" vrrp_mcast_group6 224.0.0.18", "vrrp_mcast_group6", "ff02::12",
     ["(Line 2) vrrp_mcast_group6 [224.0.0.18] is not IPv6. Skipping"]),
    (" vrrp_mcast_group6 2001:db8::1", "vrrp_mcast_group6", "ff02::12",
     ["(Line 2) vrrp_mcast_group6 [2001:db8::1] is not multicast. Skipping"]),
    (" vrrp_mcast_group6 zz", "vrrp_mcast_group6", "ff02::12",
     ["(Line 2) Can't parse vrrp_mcast_group6 [zz]. Skipping"]),
    # vrrp_garp_master_repeat / _refresh_repeat: [0, INT_MAX], 0 becomes 1
    (" vrrp_garp_master_repeat 3", "vrrp_garp_master_repeat", 3, []),
    (" vrrp_garp_master_repeat 2147483647", "vrrp_garp_master_repeat", 2147483647, []),
    (" vrrp_garp_master_repeat 0", "vrrp_garp_master_repeat", 1,
     ["(Line 2) vrrp_garp_master_repeat must be greater than 0, setting to 1"]),
    (" vrrp_garp_master_repeat -1", "vrrp_garp_master_repeat", 5,
     ["(Line 2) negative number '-1'",
      "(Line 2) vrrp_garp_master_repeat '-1' invalid - ignoring"]),
    (" vrrp_garp_master_refresh_repeat 4", "vrrp_garp_master_refresh_repeat", 4, []),
    (" vrrp_garp_master_refresh_repeat 0", "vrrp_garp_master_refresh_repeat", 1,
     ["(Line 2) vrrp_garp_master_refresh_repeat must be greater than 0, setting to 1"]),
    (" vrrp_garp_master_refresh_repeat x", "vrrp_garp_master_refresh_repeat", 1,
     ["(Line 2) invalid number 'x'",
      "(Line 2) vrrp_garp_master_refresh_repeat 'x' invalid - ignoring"]),
    # max_auto_priority: bare is 99, [-1, 99] kept, the message says [0, 99]
    (" max_auto_priority", "max_auto_priority", 99, []),
    (" max_auto_priority -1", "max_auto_priority", -1, []),
    (" max_auto_priority 0", "max_auto_priority", 0, []),
    (" max_auto_priority 99", "max_auto_priority", 99, []),
    (" max_auto_priority -2", "max_auto_priority", None,
     ["(Line 2) number '-2' outside range [-1, 99]",
      "(Line 2) max_auto_priority '-2' must be in [0, 99] (or -1 to disable) - ignoring"]),
    (" max_auto_priority 100", "max_auto_priority", None,
     ["(Line 2) number '100' outside range [-1, 99]",
      "(Line 2) max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring"]),
    (" max_auto_priority x", "max_auto_priority", None,
     ["(Line 2) invalid number 'x'",
      "(Line 2) max_auto_priority 'x' must be in [0, 99] (or -1 to disable) - ignoring"]),
]


@pytest.mark.parametrize(("line", "field", "value", "messages"), GLOBAL_CASES)
def test_global_keyword(line: str, field: str, value: object, messages: list[str]) -> None:
    g, said = _global(line)
    assert said == messages
    got = getattr(g, field)
    assert (str(got) if isinstance(value, str) else got) == value


@pytest.mark.parametrize("port", ["0", "65536", "x"])
def test_smtp_server_bad_port(port: str) -> None:
    # keepalived 2.2.7 also prints its number reader's complaint twice first
    # ("number '0' outside range [1, 65535]" / "invalid number 'x'"); we print only the last
    g, said = _global(f" smtp_server 192.0.2.1 {port}")
    assert said[-1] == f"(Line 2) Invalid smtp server 192.0.2.1 {port}"
    assert g.smtp_port == 25
