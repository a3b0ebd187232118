"""include and its variants: where files are found, in which order, and what is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from pykeepalived.config.diagnostics import Kind, Location
from pykeepalived.config.includes import IncludeCheck, apply_include_check, expand_braces
from pykeepalived.config.tree import ParseResult, parse_file

DATA = Path(__file__).resolve().parents[2] / "data" / "syntax"


def write(path: Path, text: str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def problems(result: ParseResult) -> list[tuple[Kind, str, Location | None]]:
    return [(d.kind, d.message, d.location) for d in result.diagnostics]


def test_include_resolves_from_including_file_and_nests_in_blocks() -> None:
    main = DATA / "inc" / "main.conf"
    result = parse_file(str(main), config_id="x")
    base = str(DATA / "inc")
    assert result.diagnostics == ()
    assert result.files == (
        f"{base}/main.conf",
        f"{base}/conf.d/a.conf",
        f"{base}/conf.d/b.conf",
        f"{base}/conf.d/../nested.part",
        f"{base}/conf.d/y.inc",
        f"{base}/conf.d/z.inc",
    )
    summary = [(n.keyword, n.args, n.location, n.children) for n in result.nodes]
    priority_b = Location(f"{base}/conf.d/../nested.part", 1)
    assert [s[:3] for s in summary] == [
        ("global_defs", (), Location(f"{base}/main.conf", 1)),
        ("vrrp_instance", ("VI_A",), Location(f"{base}/conf.d/a.conf", 1)),
        ("vrrp_instance", ("VI_B",), Location(f"{base}/conf.d/b.conf", 1)),
        ("vrrp_script", ("y",), Location(f"{base}/conf.d/y.inc", 1)),
        ("vrrp_script", ("z",), Location(f"{base}/conf.d/z.inc", 1)),
        ("vrrp_instance", ("VI_9",), Location(f"{base}/main.conf", 6)),
    ]
    vi_b = result.nodes[2].children or ()
    assert [(n.keyword, n.args, n.location) for n in vi_b] == [("priority", ("2",), priority_b)]


def test_brace_alternatives_keep_their_order_and_each_glob_is_sorted(tmp_path: Path) -> None:
    for name in ("b2", "b1", "a9"):
        write(tmp_path / f"{name}.conf", f"k {name}\n")
    main = write(tmp_path / "main.conf", "include {b*,a9}.conf\n")
    result = parse_file(str(main), config_id="x")
    assert [n.args for n in result.nodes] == [("b1",), ("b2",), ("a9",)]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("a{b,c}d", ["abd", "acd"]),
        ("{foo/{,cat,dog},bar}", ["foo/", "foo/cat", "foo/dog", "bar"]),
        ("x{y", ["x{y"]),
        ("a\\{b,c}", ["a\\{b,c}"]),
        ("{a}", ["a"]),
    ],
)
def test_expand_braces(pattern: str, expected: list[str]) -> None:
    assert expand_braces(pattern) == expected


def test_missing_include_is_only_noted_unless_checked(tmp_path: Path) -> None:
    main = write(tmp_path / "main.conf", "include nope.conf\nincluder nope.conf\nk v\n")
    result = parse_file(str(main), config_id="x")
    loc1, loc2 = Location(str(main), 1), Location(str(main), 2)
    assert problems(result) == [
        (Kind.OK, "Config files missing 'nope.conf'.", loc1),
        (Kind.OK, "Config files missing 'nope.conf'.", loc2),
    ]
    checked = parse_file(str(main), config_id="x", all_config=True)
    assert problems(checked) == [
        (Kind.FILE_NOT_FOUND, "Config files missing 'nope.conf'.", loc1),
        (Kind.FILE_NOT_FOUND, "Config files missing 'nope.conf'.", loc2),
    ]
    assert [n.keyword for n in checked.nodes] == ["k"]


@pytest.mark.parametrize(
    ("keyword", "kind"),
    [("include", Kind.OK), ("includer", Kind.OK), ("includem", Kind.FILE_NOT_FOUND),
     ("includew", Kind.FILE_NOT_FOUND), ("includeb", Kind.OK), ("includea", Kind.FILE_NOT_FOUND)],
)
def test_include_variants_decide_the_kind(tmp_path: Path, keyword: str, kind: Kind) -> None:
    main = write(tmp_path / "main.conf", f"{keyword} missing.conf\n")
    result = parse_file(str(main), config_id="x")
    assert problems(result) == [
        (kind, "Config files missing 'missing.conf'.", Location(str(main), 1)),
    ]


def test_brace_alternative_missing(tmp_path: Path) -> None:
    write(tmp_path / "a.conf", "k a\n")
    main = write(tmp_path / "main.conf", "include {a,b}.conf\nincludeb {a,b}.conf\n")
    result = parse_file(str(main), config_id="x")
    message = 'Some config files missing: "{a,b}.conf".'
    assert problems(result) == [
        (Kind.OK, message, Location(str(main), 1)),
        (Kind.FILE_NOT_FOUND, message, Location(str(main), 2)),
    ]
    assert [n.args for n in result.nodes] == [("a",)]


def test_wildcard_matching_nothing_is_silent_for_plain_include(tmp_path: Path) -> None:
    (tmp_path / "conf.d").mkdir()
    main = write(tmp_path / "main.conf", "include conf.d/*.conf\nincludew conf.d/*.conf\n")
    result = parse_file(str(main), config_id="x")
    assert problems(result) == [
        (Kind.FILE_NOT_FOUND, "No config files matched 'conf.d/*.conf'.", Location(str(main), 2)),
    ]


def test_executable_and_directory_matches_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "d" / "1.conf", "k exec\n", mode=0o755)
    write(tmp_path / "d" / "2.conf", "k ok\n")
    (tmp_path / "d" / "3.conf").mkdir()
    main = write(tmp_path / "main.conf", "includer d/*\n")
    result = parse_file(str(main), config_id="x")
    loc = Location(str(main), 1)
    d = tmp_path / "d"
    assert problems(result) == [
        (Kind.FILE_NOT_FOUND,
         f"Configuration file '{d}/1.conf' is not a regular non-executable file - skipping", loc),
        (Kind.FILE_NOT_FOUND, f"Configuration file '{d}/3.conf/' is a directory - skipping", loc),
    ]
    assert [n.args for n in result.nodes] == [("ok",)]


def test_include_check_keyword_applies_to_later_includes_and_is_scoped(tmp_path: Path) -> None:
    write(tmp_path / "sub.conf", "include_check\ninclude gone1.conf\n")
    main = write(
        tmp_path / "main.conf",
        "include gone0.conf\ninclude sub.conf\ninclude gone2.conf\n"
        "global_defs {\n include_check match\n}\ninclude gone3.conf\n",
    )
    result = parse_file(str(main), config_id="x")
    assert [(d.kind, d.message) for d in result.diagnostics] == [
        (Kind.OK, "Config files missing 'gone0.conf'."),
        (Kind.FILE_NOT_FOUND, "Config files missing 'gone1.conf'."),
        (Kind.OK, "Config files missing 'gone2.conf'."),
        (Kind.FILE_NOT_FOUND, "Config files missing 'gone3.conf'."),
    ]


@pytest.mark.parametrize(
    ("words", "start", "expected", "messages"),
    [
        ((), IncludeCheck.NONE, IncludeCheck.ALL, []),
        (("match",), IncludeCheck.ALL, IncludeCheck.READ | IncludeCheck.MATCH, []),
        (("+match", "-read"), IncludeCheck.READ, IncludeCheck.MATCH, []),
        (("read", "match"), IncludeCheck.NONE, IncludeCheck.READ,
         ["Duplicate include_check 'match' specified - ignoring"]),
        (("+bogus",), IncludeCheck.READ, IncludeCheck.READ,
         ["Unknown include_check type 'bogus' - ignoring"]),
    ],
)
def test_apply_include_check(
    words: tuple[str, ...], start: IncludeCheck, expected: IncludeCheck, messages: list[str]
) -> None:
    assert apply_include_check(words, start) == (expected, messages)


def test_missing_main_file_cannot_run(tmp_path: Path) -> None:
    path = str(tmp_path / "absent.conf")
    result = parse_file(path, config_id="x")
    assert problems(result) == [
        (Kind.FILE_NOT_FOUND, f"Config files missing '{path}'.", Location(path, 0)),
    ]
    assert result.nodes == ()
    assert result.files == ()


def test_main_file_may_be_a_glob(tmp_path: Path) -> None:
    write(tmp_path / "a.conf", "k a\n")
    write(tmp_path / "b.conf", "k b\n")
    pattern = str(tmp_path / "*.conf")
    result = parse_file(pattern, config_id="x")
    assert problems(result) == [
        (Kind.MULTIPLE_FILES,
         f"WARNING, multiple configuration file matches of {pattern}, starting with "
         f"{tmp_path}/a.conf", Location(pattern, 0)),
    ]
    assert [n.args for n in result.nodes] == [("a",), ("b",)]


def test_unreadable_include_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "secret.conf", "k s\n")
    main = write(tmp_path / "main.conf", "includer secret.conf\ninclude secret.conf\n")
    real_open = open

    def refusing_open(path: str, *args: object, **kwargs: object) -> object:
        if str(path).endswith("secret.conf"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("pykeepalived.config.includes.open", refusing_open, raising=False)
    result = parse_file(str(main), config_id="x")
    message = (
        f"Configuration file '{tmp_path}/secret.conf' open problem (Permission denied)"
        " - skipping"
    )
    assert problems(result) == [
        (Kind.FILE_NOT_FOUND, message, Location(str(main), 1)),
        (Kind.OK, message, Location(str(main), 2)),
    ]
    assert result.nodes == ()


def test_main_file_that_is_a_directory_cannot_run(tmp_path: Path) -> None:
    result = parse_file(str(tmp_path), config_id="x")
    assert problems(result) == [
        (Kind.FILE_NOT_FOUND, f"Configuration file '{tmp_path}/' is a directory - skipping",
         Location(str(tmp_path), 0)),
    ]
    assert result.files == ()
