"""Value readers of keepalived's check module, where they differ from the VRRP side's.

The check module reads its timers with `read_timer(..., ignore_error=true)`, whose
decimal reader keeps whatever number it could read when that number is in range, even
under `-t`: `warmup x` is reported ("invalid number 'x'") and then used as 0, and
`warmup 5x` as 5 µs. Its booleans are case-sensitive (`check_true_false`), addresses go
through `inet_stosockaddr` (family chosen by the presence of ':', anything from the
first '-' or '/' ignored), and hex strings through `read_hex_str`, which (a keepalived
bug we keep) refuses a string whose last byte is 0xFF.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

from pykeepalived.config import values
from pykeepalived.config.diagnostics import Kind

if TYPE_CHECKING:
    from pykeepalived.config.model_base import IPAddress

__all__ = ["TIMER_MAX", "read_bool", "read_hex", "read_timer", "sockaddr", "strtoul"]

#: keepalived's TIMER_MAXIMUM (ULONG_MAX - 1), the default upper bound of read_timer
TIMER_MAX = 2**64 - 2
_ULONG = 2**64
_SPACES = " \t\n\v\f\r"
_DIGITS = 6


def strtoul(text: str, base: int = 10) -> tuple[int, int, bool]:
    """C strtoul/strtoull: (value, index after the number, overflowed). No digits gives
    (0, 0); a '-' negates modulo 2**64, as C does."""
    pos = len(text) - len(text.lstrip(_SPACES))
    negative = False
    if text[pos:pos + 1] in ("+", "-"):
        negative = text[pos] == "-"
        pos += 1
    if base == 16 and text[pos:pos + 2].lower() == "0x" and _is_digit(text[pos + 2:pos + 3], 16):
        pos += 2
    start = pos
    while pos < len(text) and _is_digit(text[pos], base):
        pos += 1
    if pos == start:
        return 0, 0, False
    value = int(text[start:pos], base)
    if value >= _ULONG:
        return _ULONG - 1, pos, True
    return ((_ULONG - value) % _ULONG if negative else value), pos, False


def _is_digit(char: str, base: int) -> bool:
    return bool(char) and char in "0123456789abcdefABCDEF"[:10 if base == 10 else 22]


def read_timer(text: str, lo: int, hi: int, report: values.Report) -> int | None:
    """read_timer(..., ignore_error=true) under `-t`: seconds with up to 6 decimals, in
    microseconds; a number it cannot fully read is reported and kept if in range."""
    if text.startswith("-"):
        report(Kind.INVALID_NUMBER, f"negative number '{text}'")
        return None
    dot = text.find(".")
    decimals = len(text) - dot - 1 if dot >= 0 else 0
    round_up = False
    if decimals > _DIGITS:
        report(Kind.INVALID_NUMBER, f"number '{text}' has too many decimal places")
        round_up = text[dot + _DIGITS + 1] >= "5"
        decimals = _DIGITS
    digits = text[:dot] + text[dot + 1:dot + 1 + decimals] if dot >= 0 else text
    digits += "0" * (_DIGITS - decimals)
    value, end, overflow = strtoul(digits)
    value = (value + round_up) % _ULONG
    if end != len(digits):
        report(Kind.INVALID_NUMBER, f"invalid number '{text}'")
    elif overflow:
        report(Kind.INVALID_NUMBER, f"number '{text}' outside unsigned decimal range")
        return None
    elif not lo <= value <= hi:
        report(Kind.INVALID_NUMBER,
               f"number '{text}' outside range [{_fixed(lo)}, {_fixed(hi)}]")
    else:
        return value
    return value if lo <= value <= hi else None


def _fixed(micros: int) -> str:
    return f"{micros // 10**_DIGITS}.{micros % 10**_DIGITS:06d}"


def read_bool(text: str) -> bool | None:
    """keepalived's check_true_false: exactly true/on/yes or false/off/no."""
    if text in ("true", "on", "yes"):
        return True
    if text in ("false", "off", "no"):
        return False
    return None


def _address(text: str, version: int) -> IPAddress | None:
    """inet_pton: dotted quads without leading zeros; IPv6 without a scope."""
    if "%" in text:
        return None
    try:
        return IPv4Address(text) if version == 4 else IPv6Address(text)
    except ValueError:
        return None


def sockaddr(text: str, port: str | None, report: values.Report
             ) -> tuple[IPAddress, int] | None:
    """inet_stosockaddr: the port (1..65535) is read first, then the address up to any
    '-' or '/', in the family its ':' says. None when keepalived refuses it."""
    number = 0
    if port is not None:
        read = values.read_unsigned(port, 1, 65535, report)
        if read is None:
            return None
        number = read
    version = 6 if ":" in text else 4
    cut = min((i for i in (text.find("-"), text.find("/")) if i >= 0), default=len(text))
    address = _address(text[:cut], version)
    return None if address is None else (address, number)


def no_port(word: str | None) -> str | None:
    """keepalived passes a port of all zeros (or none) as no port at all."""
    return word if word is not None and word.strip("0") else None


def _hex_value(char: str, wildcard: bool) -> int:
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    if char >= "a":
        char = chr(ord(char) - 32)
    if "A" <= char <= "F":
        return ord(char) - ord("A") + 10
    return 0xFE if wildcard and char == "X" else 0xFF


def read_hex(text: str, wildcard: bool = False) -> tuple[bytes, bytes | None] | None:
    """keepalived's read_hex_str: bytes of one or two hex digits separated by blanks,
    `X` nibbles wildcards when allowed. Returns (data, wildcard bits per byte or None);
    None when keepalived finds no valid bytes (or, its bug, the last byte is 0xFF)."""
    data, mask = bytearray(), bytearray()
    pos, value = 0, 0
    while True:
        while text[pos:pos + 1] in (" ", "\t") and pos < len(text):
            pos += 1
        if pos >= len(text):
            break
        value, wild = _nibble(text[pos], wildcard)
        pos += 1
        if value == 0xFF:
            break
        if pos < len(text) and text[pos] != " ":
            low, low_wild = _nibble(text[pos], wildcard)
            pos += 1
            if low == 0xFF:
                value = 0xFF
                break
            value, wild = (value << 4) | low, (wild << 4) | low_wild
        data.append(value)
        mask.append(wild)
    if value == 0xFF or not data:
        return None
    return bytes(data), (bytes(mask) if any(mask) else None)


def _nibble(char: str, wildcard: bool) -> tuple[int, int]:
    value = _hex_value(char, wildcard)
    return (0, 0x0F) if value == 0xFE else (value, 0)
