"""Converters: keepalived's acceptance rules and exact complaint words."""

from __future__ import annotations

import pytest

from pykeepalived.config import values
from pykeepalived.config.diagnostics import Kind


def collect() -> tuple[list[tuple[Kind, str]], values.Report]:
    seen: list[tuple[Kind, str]] = []
    return seen, lambda kind, message: seen.append((kind, message))


@pytest.mark.parametrize(
    ("text", "result", "message"),
    [
        ("51", 51, None),
        ("351", None, "number '351' outside range [1, 255]"),
        ("-3", None, "negative number '-3'"),
        ("12a", None, "invalid number '12a'"),
        ("1_0", None, "invalid number '1_0'"),
        ("99999999999", None, "number '99999999999' outside unsigned integer range"),
    ],
)
def test_read_unsigned(text: str, result: int | None, message: str | None) -> None:
    seen, report = collect()
    assert values.read_unsigned(text, 1, 255, report) == result
    assert seen == ([] if message is None else [(Kind.INVALID_NUMBER, message)])


def test_read_int_accepts_negative_and_reports_range() -> None:
    seen, report = collect()
    assert values.read_int("-20", -253, 253, report) == -20
    assert values.read_int("300", -254, 254, report) is None
    assert seen == [(Kind.INVALID_NUMBER, "number '300' outside range [-254, 254]")]


def test_read_decimal_scales_to_micros_and_prints_bounds_like_keepalived() -> None:
    seen, report = collect()
    assert values.read_decimal("1.5", 10_000, 255_000_000, report) == 1_500_000
    assert values.read_decimal("0", 10_000, 255_000_000, report) is None
    assert seen == [(Kind.INVALID_NUMBER, "number '0' outside range [0.010000, 255.000000]")]


def test_read_decimal_too_many_places_is_rounded_and_kept() -> None:
    # keepalived -t: "has too many decimal places", then advert_int is 1.000001s
    seen, report = collect()
    assert values.read_decimal("1.0000005", 0, 10**9, report) == 1_000_001
    assert seen == [(Kind.INVALID_NUMBER, "number '1.0000005' has too many decimal places")]


@pytest.mark.parametrize(("text", "result"), [("on", True), ("yes", True), ("YES", None),
                                               ("false", False),
                                               ("maybe", None)])
def test_read_bool(text: str, result: bool | None) -> None:
    assert values.read_bool(text) is result


def test_prefixed_bad_length_falls_back_to_host_prefix() -> None:
    seen, report = collect()
    parsed = values.parse_prefixed("192.0.2.3/40", report)
    assert parsed is not None
    assert (str(parsed.address), parsed.prefix) == ("192.0.2.3", 32)
    assert [m for _, m in seen] == [
        "number '40' outside range [0, 32]",
        "Invalid address prefix len 40 for address 192.0.2.3/40 - using 32",
    ]


def test_prefixed_invalid_address() -> None:
    seen, report = collect()
    assert values.parse_prefixed("192.0.2.300/24", report) is None
    assert seen == [(Kind.GENERAL_ERROR, "VRRP parsed invalid IP 192.0.2.300/24. skipping IP...")]


