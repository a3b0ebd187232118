"""The check module's value readers, with keepalived's quirks kept on purpose."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from pykeepalived.config import check_values
from pykeepalived.config.diagnostics import Kind

Said = list[tuple[Kind, str]]


def reader() -> tuple[Said, check_values.values.Report]:
    said: Said = []
    return said, lambda kind, message: said.append((kind, message))


@pytest.mark.parametrize(("text", "value", "said"), [
    ("3", 3_000_000, []),
    ("1.5", 1_500_000, []),
    ("0.000001", 1, []),
    # a number read only in part is reported, then kept when in range (ignore_error)
    ("x", 0, [(Kind.INVALID_NUMBER, "invalid number 'x'")]),
    ("5x", 5, [(Kind.INVALID_NUMBER, "invalid number '5x'")]),
    # too many decimals: reported, rounded, kept
    ("1.1234567", 1_123_457, [(Kind.INVALID_NUMBER, "number '1.1234567' has too many decimal"
                                                    " places")]),
    ("-1", None, [(Kind.INVALID_NUMBER, "negative number '-1'")]),
])
def test_read_timer_from_zero(text: str, value: int | None, said: Said) -> None:
    got, report = reader()
    assert check_values.read_timer(text, 0, check_values.TIMER_MAX, report) == value
    assert got == said


def test_read_timer_range_message_prints_seconds_with_six_places() -> None:
    got, report = reader()
    assert check_values.read_timer("0", 1, 4294967295, report) is None
    assert got == [(Kind.INVALID_NUMBER, "number '0' outside range [0.000001, 4294.967295]")]
    got, report = reader()
    assert check_values.read_timer("x", 1, check_values.TIMER_MAX, report) is None
    assert got == [(Kind.INVALID_NUMBER, "invalid number 'x'")]


@pytest.mark.parametrize(("text", "wildcard", "expected"), [
    ("Ab12f 3 456", False, (bytes.fromhex("ab120f034506"), None)),
    ("01 02 a0", False, (bytes.fromhex("0102a0"), None)),
    # keepalived refuses a string whose last byte is 0xFF (val == 0xff is its error mark)
    ("ff", False, None),
    ("01 fF", True, None),
    ("0g", False, None),
    ("", False, None),
    ("5X XX x1", True, (bytes.fromhex("500001"), bytes.fromhex("0ffff0"))),
    ("X", True, (b"\x00", b"\x0f")),
    ("X", False, None),
])
def test_read_hex(text: str, wildcard: bool, expected: tuple[bytes, bytes | None] | None
                  ) -> None:
    assert check_values.read_hex(text, wildcard) == expected


def test_sockaddr_reads_the_port_first_and_ignores_ranges_and_masks() -> None:
    got, report = reader()
    assert check_values.sockaddr("192.0.2.1-9", "80", report) == (ip_address("192.0.2.1"), 80)
    assert check_values.sockaddr("2001:db8::/64", None, report) == (ip_address("2001:db8::"), 0)
    assert check_values.sockaddr("192.0.2.1", "0x50", report) is None
    assert got == [(Kind.INVALID_NUMBER, "invalid number '0x50'")]
    assert check_values.sockaddr("fe80::1%eth0", None, report) is None
    assert check_values.sockaddr("192.0.2.01", None, report) is None


def test_strtoul_is_c_like() -> None:
    assert check_values.strtoul("12ab") == (12, 2, False)
    assert check_values.strtoul("ff", 16) == (255, 2, False)
    assert check_values.strtoul("0x1f", 16) == (31, 4, False)
    assert check_values.strtoul("") == (0, 0, False)
    assert check_values.strtoul("99999999999999999999") == (2**64 - 1, 20, True)


@pytest.mark.parametrize(("text", "value"), [
    ("yes", True), ("on", True), ("true", True), ("no", False), ("off", False),
    ("false", False), ("YES", None), ("1", None),
])
def test_read_bool_is_case_sensitive(text: str, value: bool | None) -> None:
    assert check_values.read_bool(text) is value


def test_no_port_treats_zeros_as_none() -> None:
    assert check_values.no_port("000") is None
    assert check_values.no_port(None) is None
    assert check_values.no_port("080") == "080"
