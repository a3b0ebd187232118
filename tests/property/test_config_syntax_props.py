"""The syntax layer never raises, and every diagnostic points at a real input line."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pykeepalived.config.diagnostics import Location
from pykeepalived.config.tree import Node, ParseResult, parse_text

SAMPLES = sorted(Path("/usr/share/doc/keepalived/samples").glob("keepalived.conf.*"))
SAMPLE_TEXTS = [p.read_text(errors="surrogateescape") for p in SAMPLES] or ["global_defs {\n}\n"]
PATH = "/nonexistent-pykeepalived-props/keepalived.conf"

#: characters that drive the syntax: braces, quotes, comments, escapes, parameters
SYNTAX_CHARS = "{}\"'#!\\$@~(),= \t\n\r\0\x7f\udcff"


def parse(text: str) -> ParseResult:
    # includes in generated text resolve under a directory that does not exist
    return parse_text(text, path=PATH, config_id="node1", random_source=lambda: 12345)


def assert_located(text: str, result: ParseResult) -> None:
    line_count = text.count("\n") + 1
    for diagnostic in result.diagnostics:
        assert diagnostic.location is not None, diagnostic
        assert diagnostic.location.path == PATH, diagnostic
        assert 1 <= diagnostic.location.line <= line_count, diagnostic
        assert diagnostic.message


def walk(nodes: tuple[Node, ...]) -> list[Node]:
    out: list[Node] = []
    stack = list(nodes)
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node.children or ())
    return out


text_with_syntax = st.text(
    alphabet=st.one_of(st.sampled_from(SYNTAX_CHARS), st.characters()), max_size=400
)


@given(text_with_syntax)
def test_arbitrary_text_never_raises(text: str) -> None:
    result = parse(text)
    assert_located(text, result)
    line_count = text.count("\n") + 1
    for node in walk(result.nodes):
        assert 1 <= node.location.line <= line_count
        assert node.keyword not in ("{", "}")


@st.composite
def mutated_sample(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SAMPLE_TEXTS))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        if not text:
            break
        at = draw(st.integers(min_value=0, max_value=len(text) - 1))
        action = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(SYNTAX_CHARS)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + 1 + draw(st.integers(0, 20)) :]
        else:
            end = at + draw(st.integers(min_value=1, max_value=200))
            text = text[:end] + text[at:end] + text[end:]
    return text


@given(mutated_sample())
def test_mutated_samples_never_raise_and_stay_located(text: str) -> None:
    result = parse(text)
    assert_located(text, result)
    assert parse(text) == result, "parsing is deterministic"


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_./-:", min_size=1, max_size=8)
#: a statement's words; `include...` first words are directives, not statements
STATEMENT = st.lists(WORD, min_size=1, max_size=4).map(tuple).filter(
    lambda words: not words[0].startswith("include")
)


def trees(depth: int = 3) -> st.SearchStrategy[tuple[tuple[str, ...], list[object] | None]]:
    leaf = st.tuples(STATEMENT, st.none())
    if depth == 0:
        return leaf
    block = st.tuples(
        STATEMENT, st.lists(trees(depth - 1), max_size=4),
    )
    return st.one_of(leaf, block)


def render(
    items: list[tuple[tuple[str, ...], list[object] | None]], styles: st.DataObject
) -> tuple[str, list[tuple[tuple[str, ...], int, object]]]:
    """Config text for the generated tree, in a random brace style, with each statement's
    expected (words, line, children) alongside."""
    lines: list[str] = []

    def emit(nodes: list[tuple[tuple[str, ...], list[object] | None]]) -> list[object]:
        expected: list[object] = []
        for words, children in nodes:
            lines.append(" ".join(words))
            line = len(lines)
            if children is None:
                expected.append((words, line, None))
                continue
            if styles.draw(st.booleans()):
                lines[-1] += " {"
            else:
                lines.append("{")
            kids = emit(children)  # type: ignore[arg-type]
            lines.append("}" + styles.draw(st.sampled_from(["", " ", " # end", " !"])))
            expected.append((words, line, kids))
        return expected

    expected = emit(items)
    return "\n".join(lines) + "\n", expected  # type: ignore[return-value]


def shape(nodes: tuple[Node, ...] | None) -> object:
    if nodes is None:
        return None
    return [((n.keyword, *n.args), n.location.line, shape(n.children)) for n in nodes]


@given(st.lists(trees(), max_size=5), st.data())
def test_rendered_trees_parse_back_exactly(
    items: list[tuple[tuple[str, ...], list[object] | None]], styles: st.DataObject
) -> None:
    text, expected = render(items, styles)
    result = parse(text)
    assert result.diagnostics == ()
    assert shape(result.nodes) == expected
    assert all(n.location == Location(PATH, n.location.line) for n in walk(result.nodes))


FRAGMENTS = [
    "$A=", "$B=", "$A", "$B", "${A}", "${B}", "${_RANDOM 1 9}", "${_HASH}", "${_PWD}",
    "@node1 ", "@^node1 ", "@other ", "~SEQ(i, 3) ", "~SEQx(i,0,2,9) ", "~LST(v, a, b) ",
    "~LST({a,b},{1,2}) ", "$i", "${v}", "include ", "includea ", "nothing.conf", "include_check ",
    "{", "}", "\\", "\"", "'", "#", "!", " ", "\t", "\n", "\n\n", "x", "vrrp_instance", "VI_1",
]


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_directive_soup_never_raises_and_stays_located(text: str) -> None:
    result = parse(text)
    assert_located(text, result)
