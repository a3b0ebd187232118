"""$NAME parameters, @id conditions, ~SEQ/~LST: the man page's own examples, exactly."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from pykeepalived.config.diagnostics import Kind, Location
from pykeepalived.config.params import MAX_SUBSTITUTIONS
from pykeepalived.config.tree import Node, parse_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def lines(text: str, *, config_id: str = "main", draws: tuple[int, ...] = (0,)) -> list[str]:
    """Each top-level statement as 'keyword arg...' (tests here are about text)."""
    result = parse_text(text, config_id=config_id, random_source=_draws(draws))
    assert [d for d in result.diagnostics if d.kind is not Kind.OK] == []
    return [" ".join((n.keyword, *n.args)) for n in result.nodes]


def _draws(values: tuple[int, ...]) -> Callable[[], int]:
    it: Iterator[int] = iter(values)
    return lambda: next(it)


def test_recursive_substitution_happens_at_use_time() -> None:
    text = (
        "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n"
        "$ADDRESS_BASE_SUB=0\n"
        "${ADDRESS_BASE}.100/32\n"
        "$ADDRESS_BASE_SUB=10\n"
        "${ADDRESS_BASE}.100/32\n"
    )
    assert lines(text) == ["10.2.0.100/32", "10.2.10.100/32"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a $P b", "a v b"),
        ("a $P", "a v"),
        ("a $P,x", "a v,x"),
        ("f($P)", "f(v)"),
        ("a ${P}b", "a vb"),
        ("a $Pb", "a $Pb"),
        ("a $P.x", "a $P.x"),
        ('a "${UNDEF}" $UNDEF', "a ${UNDEF} $UNDEF"),
        ("a $1 $ $", "a $1 $ $"),
        ('a "${P 1}"', "a ${P 1}"),
    ],
)
def test_reference_forms(line: str, expected: str) -> None:
    assert lines(f"$P=v\n{line}\n") == [expected]


def test_definition_rules() -> None:
    text = (
        "  $A=1\n"  # leading blanks allowed (they are stripped first)
        "$B =2\n"  # space before '=': not a definition, so a statement
        "$C=\n"  # empty value
        "$9X=3\n"  # cannot start with a digit
        "x $A [${C}] [$C] $B\n"
    )
    assert lines(text) == ["$B =2", "$9X=3", "x 1 [] [$C] $B"]


def test_undefined_braced_reference_is_cut_at_its_brace() -> None:
    # keepalived 2.2.7 -t agrees: `priority ${UNDEF}` gives "invalid number '$'" and
    # "Unexpected '{' - ignoring", since the `{` is taken as a block start.
    result = parse_text("k ${UNDEF}\n", config_id="x")
    assert result.nodes == (
        Node("k", ("$",), Location("<string>", 1), (Node("UNDEF", (), Location("<string>", 1)),)),
    )
    assert result.diagnostics == ()


def test_value_is_trimmed_on_the_left_only() -> None:
    assert parse_text("$V=   a  b\nk $V\n", config_id="x").nodes[0].args == ("a", "b")


def test_conditional_lines() -> None:
    text = "@main router_id m\n@backup router_id b\n@^main peer 1\n@^backup peer 2\n@main\n"
    assert lines(text, config_id="main") == ["router_id m", "peer 2"]
    assert lines(text, config_id="backup") == ["router_id b", "peer 1"]
    assert lines(text, config_id="other") == ["peer 1", "peer 2"]


def test_parameters_and_conditionals_combine() -> None:
    text = (
        "@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n"
        "$IF_MAIN=@main\n$IF_MAIN nopreempt\n"
    )
    assert lines(text, config_id="main") == ["priority 240", "nopreempt"]
    assert lines(text, config_id="backup") == ["priority 200"]


MULTILINE = """\
$INSTANCE= \\
vrrp_instance VI_${NUM} { \\
    interface eth0.${NUM} \\
    @high priority 130 \\
    @low priority 120 \\
    virtual_ipaddress { \\
        192.0.2.${NUM}/24 \\
    } \\
}

$NUM=1
$INSTANCE

$NUM=2
$INSTANCE
"""


def test_multiline_definition_expands_into_blocks() -> None:
    result = parse_text(MULTILINE, config_id="high")
    assert result.diagnostics == ()

    def instance(num: str, line: int) -> Node:
        loc = Location("<string>", line)
        return Node("vrrp_instance", (f"VI_{num}",), loc, (
            Node("interface", (f"eth0.{num}",), loc),
            Node("priority", ("130",), loc),
            Node("virtual_ipaddress", (), loc, (Node(f"192.0.2.{num}/24", (), loc),)),
        ))

    assert result.nodes == (instance("1", 12), instance("2", 15))


def test_multiline_definitions_nest_and_can_define() -> None:
    text = (
        "$RS= \\\n"
        "real_server ${RS_NUM} \\\n"
        "weight ${RS_NUM}\n"
        "$VS= \\\n"
        "virtual_server ${VS_NUM} \\\n"
        "$RS_NUM=1 \\\n"
        "$RS \\\n"
        "$RS_NUM=2 \\\n"
        "$RS \\\n"
        "end\n"
        "$VS_NUM=7\n"
        "$VS\n"
    )
    assert lines(text) == [
        "virtual_server 7", "real_server 1", "weight 1", "real_server 2", "weight 2", "end",
    ]


def test_multiline_definition_only_at_end_of_line() -> None:
    text = "$M=\\\na\\\nb\nx $M y\nx $M\n"
    assert lines(text) == ["x $M y", "x a", "b"]


def test_blank_line_ends_a_multiline_definition() -> None:
    text = "$M=a\\\nb\\\n\nafter\nuse $M\n"
    assert lines(text) == ["after", "use a", "b"]


def test_comment_only_line_does_not_end_a_multiline_definition() -> None:
    assert lines("$M=a\\\n# comment\nb\nuse $M\n") == ["use a", "b"]


def test_predefined_definitions(tmp_path: os.PathLike[str]) -> None:
    text = "a ${_INSTANCE} ${_HASH}x\nb ${_BANG}\nc \"${_HASH}\"\nd ${_PWD}\n"
    result = parse_text(text, path=f"{tmp_path}/k.conf", config_id="lb1")
    # keepalived re-reads the substituted line for comments, so an unquoted ${_HASH}
    # starts a comment (checked against keepalived 2.2.7 -t); quoted, it survives.
    assert [(n.keyword, n.args) for n in result.nodes] == [
        ("a", ("lb1",)), ("b", ()), ("c", ("#",)), ("d", (str(tmp_path),)),
    ]


def test_pwd_of_a_string_is_the_working_directory() -> None:
    assert parse_text("d ${_PWD}\n", config_id="x").nodes[0].args == (os.getcwd(),)


@pytest.mark.parametrize(
    ("reference", "draw", "expected"),
    [
        ("${_RANDOM}", 40000, str(40000 % 32768)),
        ("${_RANDOM 10}", 5, str(5 % (32767 - 10 + 1) + 10)),
        ("${_RANDOM 10 20}", 25, str(25 % 11 + 10)),
        ("${_RANDOM 1 3}", 2**31 - 1, str((2**31 - 1) % 3 + 1)),
    ],
)
def test_random_uses_the_injected_source(reference: str, draw: int, expected: str) -> None:
    assert lines(f"r {reference}\n", draws=(draw,)) == [f"r {expected}"]


def test_random_with_extra_parameters_is_noted() -> None:
    result = parse_text("r ${_RANDOM 1 5 9}\n", config_id="x", random_source=lambda: 3)
    assert result.nodes[0].args == ("4",)
    assert [(d.kind, d.message) for d in result.diagnostics] == [
        (Kind.OK, "Too many parameters or extra text for ${_RANDOM 1 5 9}"),
    ]


def test_random_params_only_for_random() -> None:
    assert lines('$P=v\na "${P 1}" "${P}"\n') == ["a ${P 1} v"]


def test_self_recursive_definition_ends_with_an_error() -> None:
    result = parse_text("$A=$A\nx $A\n", config_id="x")
    assert [(d.kind, d.location) for d in result.diagnostics] == [
        (Kind.GENERAL_ERROR, Location("<string>", 2)),
    ]
    assert f"after {MAX_SUBSTITUTIONS} substitutions" in result.diagnostics[0].message
    assert result.nodes[0].args == ("$A",)


def test_growing_definition_stops_at_keepalived_line_limit() -> None:
    result = parse_text("$A=$A $A $A $A $A $A $A $A\nx $A\n", config_id="x")
    assert len(result.diagnostics) == 1
    assert result.diagnostics[0].kind is Kind.OK
    assert result.diagnostics[0].message.endswith("would exceed maximum line length")
    assert len(result.nodes[0].raw) < 1024


def test_seq_repeats_the_rest_of_the_line() -> None:
    assert lines("~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n") == [
        f"ip_address 10.0.{i}.1" for i in range(4)
    ]


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        ("~SEQ(i, 3)", ["1", "2", "3"]),
        ("~SEQ(i, -2)", ["-1", "-2"]),
        ("~SEQ(i, 5, 3)", ["5", "4", "3"]),
        ("~SEQ(i, 0, 5, 12)", ["0", "5", "10"]),
        ("~SEQx(i, 0x90, 0x10, 0xc0)", ["90", "a0", "b0", "c0"]),
        ("~SEQx(i, 144, 16, 192)", ["90", "a0", "b0", "c0"]),
        ("~SEQ(i, 010, 9)", ["8", "9"]),
    ],
)
def test_seq_forms(spec: str, values: list[str]) -> None:
    assert lines(f"{spec} v $i\n") == [f"v {v}" for v in values]


def test_seq_arguments_may_be_parameters_and_nest() -> None:
    text = "$N=2\n~SEQ(a, $N) ~SEQ(b, 2) p ${a}.${b}\n"
    assert lines(text) == ["p 1.1", "p 1.2", "p 2.1", "p 2.2"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("~SEQ(i)", "Invalid ~SEQ definition '~SEQ(i)'"),
        ("~SEQ i, 3", "Invalid ~SEQ specification '~SEQ i, 3'"),
        ("~SEQ(i, 1, 0, 3)", "Invalid ~SEQ values '~SEQ(i, 1, 0, 3)'"),
        ("~SEQ(i, 1, -1, 3)", "Invalid ~SEQ values '~SEQ(i, 1, -1, 3)'"),
        ("~SEQ(i, 1 2)", "Invalid ~SEQ definition '~SEQ(i, 1 2)'"),
        ("~SEQx(i, -3)", "~SEQx is only valid for positive numbers '~SEQx(i, -3)'"),
        ("~LST(a)", "Invalid ~LST specification '~LST(a)'"),
        ("~LST(a, {1, 2})", "~LST specification has too many values '~LST(a, {1, 2})'"),
    ],
)
def test_bad_sequences_are_reported(spec: str, message: str) -> None:
    result = parse_text(f"{spec}\nafter\n", config_id="x")
    assert [(d.kind, d.message, d.location) for d in result.diagnostics] == [
        (Kind.GENERAL_ERROR, message, Location("<string>", 1)),
    ]
    assert [n.keyword for n in result.nodes] == ["after"]


def test_lst_single_and_tuple_values() -> None:
    assert lines("~LST(v, a, b, c) x $v\n") == ["x a", "x b", "x c"]
    assert lines("~LST({n, m}, {1, 2}, {3}) y $n [${m}]\n") == ["y 1 [2]", "y 3 []"]


def test_huge_seq_is_refused_not_read_for_ever() -> None:
    result = parse_text("~SEQ(i, 0, 1, 99999999999) x\n", config_id="x")
    assert [d.kind for d in result.diagnostics] == [Kind.GENERAL_ERROR]
    assert result.nodes == ()


def test_substitution_budget_is_shared_by_rechecks(monkeypatch: pytest.MonkeyPatch) -> None:
    # a value starting with '~' ends a pass, and the '$' it leaves starts the next one
    text = "$A= ~ $A\nx $A\n"
    result = parse_text(text, config_id="x")
    assert [d.kind for d in result.diagnostics] == [Kind.OK]  # keepalived's length limit
    monkeypatch.setattr("pykeepalived.config.params.MAX_SUBSTITUTIONS", 50)
    result = parse_text(text, config_id="x")
    assert [d.kind for d in result.diagnostics] == [Kind.GENERAL_ERROR]
    assert result.nodes[0].args == ("~",) * 50 + ("$A",)
