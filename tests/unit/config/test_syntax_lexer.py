"""Line-level lexing: decomment, brace cuts, and keepalived's two word splitters."""

from __future__ import annotations

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.lexer import (
    Decommented,
    ScriptWords,
    Words,
    decomment,
    split_braces,
    split_script_words,
    split_words,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  router_id r1   ", Decommented("router_id r1")),
        ("\trouter_id r1 # the id", Decommented("router_id r1")),
        ("router_id r1 ! bang comment", Decommented("router_id r1")),
        ("# whole line", Decommented("")),
        ('script "a # b" # c', Decommented('script "a # b"')),
        ("value a\\#b", Decommented("value a#b")),
        ("value a\\!b", Decommented("value a!b")),
        ('value "a\\#b"', Decommented('value "a\\#b"')),
        ("value a\\nb", Decommented("value a\\nb")),
        ("$X=a \\", Decommented("$X=a\\")),
        ("x # comment \\", Decommented("x\\")),
        ('a "open # c', Decommented('a "open # c', 'a "open # c')),
        ('a # "quote after comment', Decommented("a")),
    ],
)
def test_decomment(line: str, expected: Decommented) -> None:
    assert decomment(line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vrrp_instance VI_1 {", ("vrrp_instance VI_1", "{")),
        ("{ VI_1 VI_2 }", ("{", "VI_1 VI_2 }")),
        ("VI_1 VI_2 }", ("VI_1 VI_2", "}")),
        ("}", ("}", None)),
        ("{", ("{", None)),
        ("} foo  ", ("}", "foo")),
        ('a "{x}" {', ('a "{x}"', "{")),
        ('a "{x', ('a "{x', None)),
        ("plain words", ("plain words", None)),
        ("a{b", ("a", "{b")),
    ],
)
def test_split_braces(text: str, expected: tuple[str, str | None]) -> None:
    assert split_braces(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a b\tc", Words(("a", "b", "c"))),
        ('notify "/bin/x arg"', Words(("notify", "/bin/x arg"))),
        ("router_id 'a b'", Words(("router_id", "'a", "b'"))),
        ('state abc"def"', Words(("state", "abc", "def"))),
        ('a ""', Words(("a", ""))),
        ('a "b c', Words(("a",), unmatched=True)),
        ("", Words(())),
        ("x\\ty", Words(("x\\ty",))),
    ],
)
def test_split_words_as_keyword_handlers_see_them(text: str, expected: Words) -> None:
    assert split_words(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abcd\" efg h jkl \"mnop", ("abcd efg h jkl mnop",)),
        ('abcd "efg h jkl" mnop', ("abcd", "efg h jkl", "mnop")),
        ("/bin/chk 'a b' c", ("/bin/chk", "a b", "c")),
        ('x "it\'s"', ("x", "it's")),
        ("a\\tb \\x41\\x42 \\101 \\cA \\\\ \\\"", ("a\tb", "AB", "A", "\x01", "\\", '"')),
        ("\\E\\a\\b\\f\\n\\r\\v", ("\x1b\a\b\f\n\r\v",)),
        ("\\xff", ("\udcff",)),
        ("\\x", ("x",)),
        # bounds found by mutmut: one hex digit, mixed case, the 128 limit of a plain
        # char, octal 0..7 only and at most three digits, an escape ending the text
        ("\\x4 \\xAb \\x7f \\x80", ("\x04", "\udcab", "\x7f", "\udc80")),
        ("\\0 \\7 \\8 \\1234 \\17", ("\x00", "\x07", "8", "S4", "\x0f")),
        ("aXb \\xXY \\18", ("aXb", "xXY", "\x018")),  # X: no quote, no hex; 8: no octal
    ],
)
def test_split_script_words(text: str, expected: tuple[str, ...]) -> None:
    assert split_script_words(text) == ScriptWords(expected)


def test_split_script_words_reports_keepalived_problems() -> None:
    assert split_script_words("a 'b c") == ScriptWords(
        None, Kind.UNMATCHED_QUOTE, "String 'a 'b c': missing terminating '"
    )
    assert split_script_words("a b\\") == ScriptWords(
        None, Kind.OK, "Missing escape char at end: 'a b\\'"
    )
    assert split_script_words("   ") == ScriptWords(None)
