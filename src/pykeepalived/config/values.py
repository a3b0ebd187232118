"""Value converters with keepalived 2.2.7's acceptance rules and its exact complaint words.

Every converter reports through a `Report` callback instead of raising, because keepalived
reports a bad value, ignores it and keeps parsing; the verdict of `-t` depends on the
kinds reported, not on an exception. A converter returns None when keepalived would
refuse the value (in `-t` mode keepalived never accepts an out-of-range value).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from pykeepalived.config.diagnostics import Kind
from pykeepalived.constants import INT_MAX, UINT_MAX

#: A sink for (kind, message); the caller adds the location.
Report = Callable[[Kind, str], None]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_INT_RE = re.compile(r"[ \t]*[+-]?[0-9]+")
_UNSIGNED_RE = re.compile(r"[ \t]*\+?[0-9]+")
_INT_MIN = -(2**31)

#: keepalived's TIMER_HZ is microseconds: decimal values keep 6 places.
TIMER_DIGITS = 6
TIMER_HZ: int = 10**TIMER_DIGITS


def read_int(text: str, lo: int, hi: int, report: Report) -> int | None:
    """strtol-based `read_int`: signed, base 10, whole word must be a number."""
    if not _INT_RE.fullmatch(text):
        report(Kind.INVALID_NUMBER, f"invalid number '{text}'")
        return None
    value = int(text)
    if not _INT_MIN <= value <= INT_MAX:
        report(Kind.INVALID_NUMBER, f"number '{text}' outside integer range")
        return None
    if not lo <= value <= hi:
        report(Kind.INVALID_NUMBER, f"number '{text}' outside range [{lo}, {hi}]")
        return None
    return value


def read_unsigned(text: str, lo: int, hi: int, report: Report) -> int | None:
    """strtoul-based `read_unsigned`: a leading '-' is its own complaint."""
    if text.lstrip(" \t").startswith("-"):
        report(Kind.INVALID_NUMBER, f"negative number '{text}'")
        return None
    if not _UNSIGNED_RE.fullmatch(text):
        report(Kind.INVALID_NUMBER, f"invalid number '{text}'")
        return None
    value = int(text)
    if value > UINT_MAX:
        report(Kind.INVALID_NUMBER, f"number '{text}' outside unsigned integer range")
        return None
    if not lo <= value <= hi:
        report(Kind.INVALID_NUMBER, f"number '{text}' outside range [{lo}, {hi}]")
        return None
    return value


def strtoul(text: str) -> int | None:
    """strtoul(text, &end, 0) that must use every character; None when it does not. A
    leading '-' wraps (so it is larger than any bound here)."""
    word = text.lstrip(" \t\n\v\f\r")
    negative = word.startswith("-")
    word = word[1:] if word[:1] in "+-" else word
    try:
        if word[:2].lower() == "0x":
            value = int(word[2:], 16) if word[2:] and word[2:].isalnum() else None
        elif word.startswith("0") and len(word) > 1:
            value = int(word, 8)
        else:
            value = int(word, 10) if word.isdigit() else None
    except ValueError:
        return None
    if value is None:
        return None
    return 2**64 - value if negative and value else value


def _fixed(value: int, shift: int) -> str:
    """printf's "%lu.%*.*lu": with no decimal places, nothing after the point."""
    if shift == 0:
        return f"{value}."
    scale = 10**shift
    return f"{value // scale}.{value % scale:0{shift}d}"


def read_decimal(text: str, lo: int, hi: int, report: Report,
                 shift: int = TIMER_DIGITS) -> int | None:
    """`read_decimal_unsigned`: a fixed-point decimal, returned times 10**shift.

    Extra decimal places are reported, then rounded and the value kept, as keepalived
    does (`-t` too); the range message prints the bounds with `shift` places.
    """
    if text.startswith("-"):
        report(Kind.INVALID_NUMBER, f"negative number '{text}'")
        return None
    whole, dot, frac = text.partition(".")
    round_up = False
    if dot and len(frac) > shift:
        report(Kind.INVALID_NUMBER, f"number '{text}' has too many decimal places")
        round_up = frac[shift] >= "5"
        frac = frac[:shift]
    digits = whole + frac.ljust(shift, "0")
    if not digits.isascii() or not digits.isdigit():
        report(Kind.INVALID_NUMBER, f"invalid number '{text}'")
        return None
    value = int(digits) + (1 if round_up else 0)
    if value > 2**64 - 1:
        report(Kind.INVALID_NUMBER, f"number '{text}' outside unsigned decimal range")
        return None
    if not lo <= value <= hi:
        report(
            Kind.INVALID_NUMBER,
            f"number '{text}' outside range [{_fixed(lo, shift)}, {_fixed(hi, shift)}]",
        )
        return None
    return value


_BOOL_WORDS = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}


def read_bool(text: str) -> bool | None:
    """keepalived's `check_true_false`: on/off, true/false, yes/no, in lower case only."""
    return _BOOL_WORDS.get(text)


def parse_ip(text: str) -> IPAddress | None:
    """An address as inet_pton reads it (no scope ids, no prefix)."""
    if "%" in text:  # Python's ipaddress takes `fe80::1%eth0`, inet_pton does not
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def inet_address(text: str) -> IPAddress | None:
    """An address as keepalived's inet_stosockaddr reads it: the family from a ':', and
    anything from the first '-' (else the first '/') on dropped (a range or a mask)."""
    cut = text.find("-")
    if cut < 0:
        cut = text.find("/")
    address = parse_ip(text if cut < 0 else text[:cut])
    if address is None or (address.version == 6) != (":" in text):
        return None
    return address


@dataclass(frozen=True, slots=True)
class Prefixed:
    """An address with the prefix length keepalived settled on."""

    address: IPAddress
    prefix: int
    prefix_given: bool


def parse_prefixed(text: str, report: Report) -> Prefixed | None:
    """`addr[/len]` as keepalived's parse_ipaddress reads it.

    The family comes from the presence of ':'; the length is checked first (a bad one
    falls back to a host prefix with a complaint), then the address itself.
    """
    is_v6 = ":" in text
    host_len = 128 if is_v6 else 32
    addr_text, slash, len_text = text.partition("/")
    prefix, prefix_given = host_len, False
    if slash:
        length = read_unsigned(len_text, 0, host_len, report)
        if length is None:
            report(
                Kind.GENERAL_ERROR,
                f"Invalid address prefix len {len_text} for address {text} - using {host_len}",
            )
        else:
            prefix, prefix_given = length, True
    address = parse_ip(addr_text)
    if address is None or (address.version == 6) != is_v6:
        report(Kind.GENERAL_ERROR, f"VRRP parsed invalid IP {text}. skipping IP...")
        return None
    return Prefixed(address, prefix, prefix_given)


def split_user_group(args: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The optional `[user [group]]` words after a script command."""
    user = args[0] if args else None
    group = args[1] if len(args) > 1 else None
    return user, group
