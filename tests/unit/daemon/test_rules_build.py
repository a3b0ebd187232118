"""virtual_rules: keepalived's `ip rule` words → RuleSpec, held while MASTER."""

from __future__ import annotations

import asyncio
from ipaddress import ip_network
from socket import AF_INET
from typing import TYPE_CHECKING

from pykeepalived.config.load import load_config
from pykeepalived.daemon.executor import Executor, InstanceIO
from pykeepalived.specs.addresses import RuleSpec
from tests.unit.daemon.rt_fakes import FakeLog, FakeNetlink, FakeNotifier, Recorder
from tests.unit.daemon.rt_specs import HOST, daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path


def rules_of(tmp_path: Path, *lines: str) -> tuple[tuple[RuleSpec, ...], tuple[str, ...]]:
    block = "virtual_rules {\n" + "\n".join(lines) + "\n}"
    daemon = daemon_from(instance_text(extra=block), tmp_path)
    return daemon.instances[0].rules, daemon.warnings


def test_selectors_table_and_preference_words(tmp_path: Path) -> None:
    rules, warnings = rules_of(
        tmp_path,
        "from 192.0.2.243/32 table 100 priority 100",
        "to 192.0.2.0/28 lookup main preference 101",
        "from all iif eth0 table 101 priority 102 fwmark 0x10",  # `pref`: not keepalived's
        "from 192.0.2.244 oif eth0 table 102 order 103")
    assert warnings == ()
    assert rules == (
        RuleSpec(AF_INET, 100, 100, source=ip_network("192.0.2.243/32")),
        RuleSpec(AF_INET, 254, 101, destination=ip_network("192.0.2.0/28")),
        RuleSpec(AF_INET, 101, 102, iifname="eth0", fwmark=16),
        RuleSpec(AF_INET, 102, 103, source=ip_network("192.0.2.244/32"), oifname="eth0"),
    )


def test_missing_preference_is_numbered_down_from_16384_as_the_config_said(
        tmp_path: Path) -> None:
    rules, warnings = rules_of(tmp_path, "from 192.0.2.243 table 100",
                               "from 192.0.2.244 table 100")
    assert [r.priority for r in rules] == [16384, 16383]
    # keepalived says it once, while parsing (config/schema_rules.py), not again here
    assert warnings == ()
    said = [d.message for d in load_config(str(tmp_path / "k.conf"), host=HOST).diagnostics]
    assert [m for m in said if "no preference" in m] == [
        f"Rule has no preference specified - setting to {n}. This is probably not what you"
        " want." for n in (16384, 16383)]


def test_unsupported_words_skip_the_rule_with_a_warning(tmp_path: Path) -> None:
    rules, warnings = rules_of(tmp_path, "from 192.0.2.243 table 100 priority 5 tos 0x10",
                               "from 192.0.2.244 table 100 priority 6")
    assert [r.priority for r in rules] == [6]
    assert len(warnings) == 1
    assert "skipped: unsupported word 'tos'" in warnings[0]


def test_rules_follow_the_vips_in_and_out(tmp_path: Path) -> None:
    block = "virtual_rules {\nfrom 192.0.2.243 table 100 priority 100\n}"
    spec = daemon_from(instance_text(extra=block), tmp_path).instances[0]
    rec = Recorder()
    executor = Executor(FakeNetlink(rec), FakeNotifier(rec), FakeLog())

    class Silent:
        def send(self, payload: bytes, destination: object) -> bool:
            return True

    io = InstanceIO(spec, Silent(), None)

    async def scenario() -> None:
        await executor.add_vips(io)
        await executor.remove_vips(io)

    asyncio.run(scenario())
    assert rec.calls == [("add", "192.0.2.171/24"), ("add_rule", "100"),
                         ("delete_rule", "100"), ("delete", "192.0.2.171/24")]
