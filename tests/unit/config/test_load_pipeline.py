"""load_text end to end: keepalived's nesting by keyword, script words, crash fixes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import LoadResult, load_text
from pykeepalived.config.model import NotifyScript
from pykeepalived.config.nesting import takes_block
from pykeepalived.config.schema_static import ROOT
from pykeepalived.config.tree import Nesting

if TYPE_CHECKING:
    from pykeepalived.config.schema import Block

HOST = HostFacts(interfaces=frozenset({"lo", "eth0"}))
VIP = " virtual_ipaddress {\n  192.0.2.10/24\n }\n"


def load(text: str) -> LoadResult:
    return load_text(text, path="k.conf", config_id="node1", host=HOST)


def found(result: LoadResult) -> list[tuple[Kind, str, int]]:
    return [(d.kind, d.message, d.location.line if d.location else 0)
            for d in result.diagnostics]


def instance(body: str) -> str:
    return "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n" + VIP + body + "}\n"


@pytest.mark.parametrize(("parents", "keyword", "nesting"), [
    ((), "vrrp_instance", Nesting.BLOCK),
    ((), "static_ipaddress", Nesting.VALUE_BLOCK),
    (("vrrp_instance",), "authentication", Nesting.BLOCK),
    (("vrrp_instance",), "virtual_ipaddress", Nesting.VALUE_BLOCK),
    (("vrrp_instance",), "priority", Nesting.STATEMENT),
    (("vrrp_instance",), "frobnicate", Nesting.STATEMENT),
    (("vrrp_instance", "virtual_ipaddress"), "192.0.2.1", Nesting.STATEMENT),
    (("virtual_server", "real_server"), "HTTP_GET", Nesting.BLOCK),
    (("virtual_server", "real_server", "HTTP_GET"), "url", Nesting.BLOCK),
    (("virtual_server", "real_server", "HTTP_GET", "url"), "digest", Nesting.STATEMENT),
    (("bfd_instance",), "anything", Nesting.BRACES),
])
def test_takes_block_follows_the_schema(parents: tuple[str, ...], keyword: str,
                                        nesting: Nesting) -> None:
    assert takes_block(parents, keyword) is nesting


def test_every_nesting_keyword_is_a_keyword_of_its_block() -> None:
    seen: set[int] = set()
    todo: list[Block] = [ROOT]
    while todo:
        block = todo.pop()
        if id(block) in seen:
            continue
        seen.add(id(block))
        known = set(block.keywords) | block.recognised
        assert set(block.sublevels) <= known
        assert block.value_blocks <= known
        assert not set(block.sublevels) & block.value_blocks
        todo.extend(inner for inner in block.sublevels.values() if inner is not None)


def test_block_keyword_without_brace_is_missing_bob_and_still_a_block() -> None:
    result = load("global_defs\n router_id lb1\n}\n")
    assert found(result) == [
        (Kind.MISSING_BOB, "Missing '{' at beginning of configuration block", 2),
        (Kind.UNEXPECTED_EOB, "Extra '}' found", 3),
    ]
    assert result.config is not None
    assert result.config.global_defs.router_id == "lb1"


def test_value_block_without_brace_is_not_a_config_error() -> None:
    text = ("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
            " virtual_ipaddress\n  192.0.2.10/24\n }\n}\n")
    result = load(text)
    assert found(result) == [(Kind.UNEXPECTED_EOB, "Extra '}' found", 7)]
    assert result.config is not None
    assert str(result.config.instances[0].virtual_ipaddresses[0].address) == "192.0.2.10"


def test_brace_after_statement_is_unexpected_and_its_lines_stay_outside() -> None:
    result = load(instance(" frobnicate {\n  priority 50\n }\n"))
    kinds = {(kind, line) for kind, _, line in found(result)}
    assert (Kind.UNEXPECTED_BOB, 7) in kinds
    assert (Kind.UNKNOWN_KEYWORD, 7) in kinds
    # the `}` after `priority 50` closed vrrp_instance, as in keepalived
    assert (Kind.UNKNOWN_KEYWORD, 10) in kinds
    assert result.config is not None
    assert result.config.instances[0].priority == 50


def test_abort_hides_syntax_problems_keepalived_never_read() -> None:
    result = load(instance(" priority {\n  100\n }\n"))
    assert result.aborted
    assert result.config is None
    assert [kind for kind, _, _ in found(result)] == [Kind.MISSING_PARAMETER]


@pytest.mark.parametrize(("line", "argv", "user"), [
    ('notify_master "/bin/n.sh \'a b\' c"', ("/bin/n.sh", "a b", "c"), None),
    ("notify_master '/bin/n.sh \"x y\"' nobody", ("/bin/n.sh", "x y"), "nobody"),
    # both passes decode escapes, so an escaped blank still splits in the second
    ('notify_master "/bin/n.sh a\\ b\\tc"', ("/bin/n.sh", "a", "b", "c"), None),
    ('notify_master "/bin/n.sh a\\\\ b"', ("/bin/n.sh", "a b"), None),
    ('notify_master /bin/n.sh\\ x', ("/bin/n.sh", "x"), None),
    ("notify_master /bin/n.sh extra", ("/bin/n.sh",), "extra"),
])
def test_notify_commands_split_as_keepalived_splits_them(line: str, argv: tuple[str, ...],
                                                         user: str | None) -> None:
    result = load(instance(f" {line}\n"))
    assert result.config is not None
    notify = result.config.instances[0].notify_master
    assert notify is not None
    assert notify == NotifyScript(argv, notify.location, user)


def test_unquoted_vrrp_script_runs_only_its_first_word() -> None:
    result = load('vrrp_script chk {\n script killall -0 haproxy\n}\n'
                  'vrrp_script q {\n script "killall -0 haproxy"\n}\n')
    assert result.config is not None
    assert [s.script.command for s in result.config.vrrp_scripts if s.script] == [
        ("killall",), ("killall", "-0", "haproxy")]


def test_script_with_unterminated_single_quote_is_reported_and_dropped() -> None:
    result = load(instance(" notify_master \"/bin/n.sh 'a\"\n"))
    assert (Kind.UNMATCHED_QUOTE, "String '/bin/n.sh 'a': missing terminating '", 7) in found(
        result)
    assert result.config is not None
    assert result.config.instances[0].notify_master is None


@pytest.mark.parametrize("keyword", ["protocol", "delay_loop", "lb_algo", "lb_kind"])
def test_bare_virtual_server_keyword_stops_reading_as_keepalived_does(keyword: str) -> None:
    # found by test_config_load_props: `protocol` with no word raised IndexError; keepalived
    # 2.2.7 stops with "missing a parameter" (exit 2), and so do we
    result = load(f"virtual_server 192.0.2.1 80 {{\n {keyword}\n}}\n")
    assert result.aborted
    assert found(result) == [(Kind.MISSING_PARAMETER, f"*** Configuration line starting"
                              f" `{keyword}` is missing a parameter after keyword `{keyword}`"
                              " at word position 2", 2)]


@pytest.mark.parametrize("keyword", ["connect_timeout", "delay_before_retry", "connect_ip"])
def test_bare_checker_keyword_stops_reading_as_keepalived_does(keyword: str) -> None:
    # found by test_config_load_props: `connect_timeout` with no word raised IndexError
    text = (f"virtual_server 192.0.2.1 80 {{\n real_server 192.0.2.2 80 {{\n"
            f"  TCP_CHECK {{\n   {keyword}\n  }}\n }}\n}}\n")
    result = load(text)
    assert result.aborted
    assert [d.location.line for d in result.diagnostics if d.location] == [4]


def test_load_text_resolves_includes_from_its_path() -> None:
    result = load_text("include missing/*.conf\n", path="/nonexistent-pk/k.conf",
                       config_id="n", host=HOST)
    assert result.config is not None
    assert not result.aborted
