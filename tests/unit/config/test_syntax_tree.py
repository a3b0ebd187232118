"""Block tree: nesting, brace styles, keepalived's brace errors, and the Debian samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykeepalived.config.diagnostics import Diagnostic, Kind, Location
from pykeepalived.config.tree import MAX_BLOCK_DEPTH, Node, parse_file, parse_text

SAMPLES = sorted(Path("/usr/share/doc/keepalived/samples").glob("keepalived.conf.*"))
S = "<string>"


def at(line: int) -> Location:
    return Location(S, line)


def leaf(keyword: str, *args: str, line: int) -> Node:
    return Node(keyword, args, at(line))


def block(keyword: str, *args: str, line: int, children: tuple[Node, ...] = ()) -> Node:
    return Node(keyword, args, at(line), children)


def parse(text: str) -> tuple[tuple[Node, ...], list[tuple[Kind, str, int]]]:
    result = parse_text(text, config_id="node1", random_source=lambda: 0)
    problems = [
        (d.kind, d.message, d.location.line if d.location else -1) for d in result.diagnostics
    ]
    return result.nodes, problems


def test_nested_blocks_brace_on_keyword_line() -> None:
    nodes, problems = parse(
        "vrrp_instance VI_1 {\n"
        "    state MASTER\n"
        "    virtual_ipaddress {\n"
        "        192.0.2.10/24 dev eth0\n"
        "    }\n"
        "}\n"
    )
    assert problems == []
    assert nodes == (
        block("vrrp_instance", "VI_1", line=1, children=(
            leaf("state", "MASTER", line=2),
            block("virtual_ipaddress", line=3, children=(
                leaf("192.0.2.10/24", "dev", "eth0", line=4),
            )),
        )),
    )


def test_brace_on_next_line_and_empty_block() -> None:
    nodes, problems = parse("global_defs\n{\n}\nvrrp_script chk\n{\n  interval 2\n}\n")
    assert problems == []
    assert nodes == (
        block("global_defs", line=1),
        block("vrrp_script", "chk", line=4, children=(leaf("interval", "2", line=6),)),
    )


def test_several_statements_and_braces_on_one_line() -> None:
    nodes, problems = parse(
        "vrrp_sync_group G { group { VI_1 VI_2 } }\ntrack_script { chk } foo bar\n"
    )
    assert problems == []
    assert nodes == (
        block("vrrp_sync_group", "G", line=1, children=(
            block("group", line=1, children=(leaf("VI_1", "VI_2", line=1),)),
        )),
        block("track_script", line=2, children=(leaf("chk", line=2),)),
        leaf("foo", "bar", line=2),
    )


def test_text_after_open_brace_is_the_first_child() -> None:
    nodes, _ = parse("virtual_ipaddress { 192.0.2.1\n 192.0.2.2 }\n")
    assert nodes == (
        block("virtual_ipaddress", line=1, children=(
            leaf("192.0.2.1", line=1), leaf("192.0.2.2", line=2),
        )),
    )


def test_comments_and_quotes_in_tree() -> None:
    nodes, problems = parse(
        '! header\nnotify "/usr/bin/x a b" # trailing\nrouter_id "r 1"!c\n'
    )
    assert problems == []
    assert nodes == (leaf("notify", "/usr/bin/x a b", line=2), leaf("router_id", "r 1", line=3))
    assert nodes[0].raw == 'notify "/usr/bin/x a b"'


def test_missing_close_brace_is_counted_at_end() -> None:
    nodes, problems = parse("vrrp_instance VI_1 {\n  virtual_ipaddress {\n    192.0.2.1\n}\n")
    assert problems == [(Kind.MISSING_EOB, "There are 1 missing '}'s or extra '{'s", 1)]
    assert nodes == (
        block("vrrp_instance", "VI_1", line=1, children=(
            block("virtual_ipaddress", line=2, children=(leaf("192.0.2.1", line=3),)),
        )),
    )


def test_extra_close_brace_reports_like_keepalived() -> None:
    nodes, problems = parse("global_defs {\n}\n} foo\n")
    assert problems == [
        (Kind.UNEXPECTED_EOB, "Extra '}' found", 3),
        (Kind.UNKNOWN_KEYWORD, "Unknown keyword '}'", 3),
    ]
    assert nodes == (block("global_defs", line=1), leaf("foo", line=3))


def test_unexpected_open_brace_is_ignored_but_counted() -> None:
    nodes, problems = parse("{\nvrrp_instance VI_1 {\n} }\n")
    assert problems == [
        (Kind.UNEXPECTED_BOB, "Unexpected '{' - ignoring", 1),
        (Kind.UNKNOWN_KEYWORD, "Unknown keyword '}'", 3),
    ]
    assert nodes == (block("vrrp_instance", "VI_1", line=2),)


def test_unmatched_quote_keeps_words_before_it() -> None:
    nodes, problems = parse('script "/bin/x\n')
    assert problems == [
        (Kind.GENERAL_ERROR, "Unterminated quote 'script \"/bin/x'", 1),
        (Kind.UNMATCHED_QUOTE, "Unmatched quote: 'script \"/bin/x'", 1),
    ]
    assert nodes == (leaf("script", line=1),)


def test_brace_location_is_kept_for_the_schema_layer() -> None:
    result = parse_text("global_defs\n\n{\n}\n", config_id="x")
    assert result.nodes[0].brace == at(3)


def test_keepalived_mode_block_keyword_without_brace() -> None:
    result = parse_text(
        "global_defs\n  router_id r1\n}\nrouter_id r2\n",
        config_id="x",
        takes_block=lambda parents, keyword: keyword == "global_defs",
    )
    assert [(d.kind, d.message, d.location) for d in result.diagnostics] == [
        (Kind.MISSING_BOB, "Missing '{' at beginning of configuration block", at(2)),
        (Kind.UNEXPECTED_EOB, "Extra '}' found", at(3)),
    ]
    assert result.nodes == (
        block("global_defs", line=1, children=(leaf("router_id", "r1", line=2),)),
        leaf("router_id", "r2", line=4),
    )


def test_keepalived_mode_brace_after_leaf_keyword_is_unexpected() -> None:
    seen: list[tuple[tuple[str, ...], str]] = []

    def takes_block(parents: tuple[str, ...], keyword: str) -> bool:
        seen.append((parents, keyword))
        return keyword == "vrrp_instance"

    result = parse_text(
        "vrrp_instance VI_1 {\n  priority 100 {\n  state BACKUP\n}\nnopreempt\n}\n",
        config_id="x",
        takes_block=takes_block,
    )
    assert [(d.kind, d.message, d.location) for d in result.diagnostics] == [
        (Kind.UNEXPECTED_BOB, "Unexpected '{' - ignoring", at(2)),
        (Kind.UNKNOWN_KEYWORD, "Unknown keyword '}'", at(6)),
    ]
    assert result.nodes == (
        block("vrrp_instance", "VI_1", line=1, children=(
            leaf("priority", "100", line=2), leaf("state", "BACKUP", line=3),
        )),
        leaf("nopreempt", line=5),
    )
    assert seen == [
        ((), "vrrp_instance"), (("vrrp_instance",), "priority"),
        (("vrrp_instance",), "state"), ((), "nopreempt"),
    ]


def test_deep_nesting_is_bounded_not_a_crash() -> None:
    depth = 200
    result = parse_text("a {\n" * depth + "}\n" * depth, config_id="x")
    kinds = {d.kind for d in result.diagnostics}
    assert kinds == {Kind.GENERAL_ERROR, Kind.UNKNOWN_KEYWORD}
    node, levels = result.nodes[0], 1
    while node.children:
        node, levels = node.children[0], levels + 1
    assert levels == MAX_BLOCK_DEPTH + 1  # the innermost `a` is left without its block


def test_sample_files_exist() -> None:
    assert len(SAMPLES) >= 20, "Debian keepalived samples missing: is keepalived installed?"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_debian_sample_parses_without_syntax_diagnostics(sample: Path) -> None:
    result = parse_file(str(sample), config_id="high", random_source=lambda: 0)
    assert result.diagnostics == ()
    assert result.files == (str(sample),)
    assert any(node.children for node in result.nodes), "a sample has non-empty blocks"


CONDITIONAL = Path("/usr/share/doc/keepalived/samples/keepalived.conf.conditional_conf")


@pytest.mark.parametrize(
    ("config_id", "namespace", "script", "priority"),
    [
        ("high", "high", "/etc/keepalived/scripts/check_high_VI_0.sh", "170"),
        ("low", "low", "/etc/keepalived/scripts/check_low_VI_0.sh", "85"),
    ],
)
def test_conditional_sample(config_id: str, namespace: str, script: str, priority: str) -> None:
    result = parse_file(str(CONDITIONAL), config_id=config_id)
    path = str(CONDITIONAL)
    assert result.diagnostics == ()
    namespace_line = 3 if config_id == "high" else 4
    assert result.nodes[0] == Node("net_namespace", (namespace,), Location(path, namespace_line))
    script_node = result.nodes[1].children[0] if result.nodes[1].children else None
    assert script_node == Node("script", (script,), Location(path, 7 if config_id == "high" else 8))
    vi0 = result.nodes[2].children or ()
    assert [n for n in vi0 if n.keyword == "priority"] == [
        Node("priority", (priority,), Location(path, 19 if config_id == "high" else 20))
    ]


def test_conditional_sample_other_id_keeps_no_conditional_line() -> None:
    result = parse_file(str(CONDITIONAL), config_id="other")
    keywords = [n.keyword for n in result.nodes]
    assert keywords == ["vrrp_script", "vrrp_instance"]
    assert [n.keyword for n in result.nodes[0].children or ()] == [
        "interval", "timeout", "rise", "fall",
    ]


def test_default_config_id_is_short_hostname(monkeypatch: pytest.MonkeyPatch) -> None:
    class Uname:
        nodename = "lb1.example.com"

    monkeypatch.setattr("pykeepalived.config.tree.os.uname", lambda: Uname())
    result = parse_text("@lb1 router_id yes\n@lb1.example.com router_id no\n")
    assert result.nodes == (leaf("router_id", "yes", line=1),)


def test_result_lists_diagnostics_in_reading_order() -> None:
    result = parse_text("}\n{\n", config_id="x")
    assert result.diagnostics == (
        Diagnostic(Kind.UNEXPECTED_EOB, "Extra '}' found", at(1)),
        Diagnostic(Kind.UNKNOWN_KEYWORD, "Unknown keyword '}'", at(1)),
        Diagnostic(Kind.UNEXPECTED_BOB, "Unexpected '{' - ignoring", at(2)),
        Diagnostic(Kind.MISSING_EOB, "There are 1 missing '}'s or extra '{'s", at(2)),
    )
