"""HTTP_GET/SSL_GET on the wire, without I/O: the request keepalived sends and how it
reads the answer. Shared by the probe (http.py) and `pykeepalived genhash`.

We parse the response ourselves rather than with h11 because keepalived's semantics are
not HTTP's: it hashes the raw bytes after the first blank line (chunk framing included,
never de-chunked), caps the hash at a `Content-Length:` found by a case-sensitive search,
takes the status from exactly three characters between the first two spaces, reads to
EOF whatever the framing says, and gives up on a head longer than its 4 KiB buffer.
h11 de-chunks, enforces framing and rejects such responses, so it would change verdicts.

Facts from keepalived 2.2.7 (check/check_http.c, lib/html.c), restated:
- the head ends at the first CRLFCRLF, which must come within the first 4095 bytes;
- the status is 3 characters (strtoul must take all 3) between the first space and a
  space that must follow; anything else is status 0, which no range contains;
- Content-Length: strtoul after the tag, which must end at CR, LF or the end;
- the regex runs over the response as received, head included (keepalived feeds its
  read buffer, head and all, to PCRE2), offsets counted from the first byte; the match
  must start at or after min offset and at or before max offset.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

#: keepalived's read buffer is 4096 bytes with one kept for a NUL
READ_SIZE = 4095
#: the regex sees at most this much of a response (keepalived streams it through PCRE2
#: partial matching; we keep the text instead, bounded)
REGEX_LIMIT = 1 << 20

_DELIM_BEGIN = "-----------------------["
_DELIM_END = "]-----------------------\n"
HTTP_HEADER_HEXA = f"{_DELIM_BEGIN}    HTTP Header Buffer    {_DELIM_END}"
HTTP_HEADER_ASCII = f"{_DELIM_BEGIN} HTTP Header Ascii Buffer {_DELIM_END}"
HTML_HEADER_HEXA = f"{_DELIM_BEGIN}        HTML Buffer        {_DELIM_END}"
HTML_HASH = f"{_DELIM_BEGIN}    HTML hash resulting    {_DELIM_END}"
HTML_HASH_FINAL = f"{_DELIM_BEGIN} HTML hash final resulting {_DELIM_END}"


def host_header(virtualhost: str | None, address: str, port: int, *, ipv6: bool) -> str:
    """The Host value: the virtualhost verbatim, else `ip:port` (`[ip]:port` for IPv6)."""
    if virtualhost is not None:
        return virtualhost
    return f"[{address}]:{port}" if ipv6 else f"{address}:{port}"


def build_request(path: str, protocol: str, host: str) -> bytes:
    """keepalived's GET, byte for byte (1.0C and 1.1 add `Connection: close`)."""
    minor = 1 if protocol == "1.1" else 0
    close = "Connection: close\r\n" if protocol in ("1.0C", "1.1") else ""
    text = (f"GET {path} HTTP/1.{minor}\r\nUser-Agent: KeepAliveClient\r\n"
            f"{close}Host: {host}\r\n\r\n")
    return text.encode("utf-8", "surrogateescape")


def _strtoul(data: bytes, start: int) -> tuple[int | None, int]:
    """C strtoul(…, 10): (value, end index); value None when no digit (end = start)."""
    index = start
    while index < len(data) and data[index] in b" \t\n\v\f\r":
        index += 1
    negative = False
    if index < len(data) and data[index] in b"+-":
        negative = data[index] == ord("-")
        index += 1
    digits = index
    while index < len(data) and 0x30 <= data[index] <= 0x39:
        index += 1
    if index == digits:
        return None, start
    value = min(int(data[digits:index]), 2**64 - 1)
    return ((2**64 - value) % 2**64 if negative else value), index


def status_code(head: bytes) -> int:
    """lib/html.c:extract_status_code; 0 when the status line is not as keepalived wants."""
    space = 0
    while space < len(head) and head[space] not in b" \r":
        space += 1
    if space >= len(head) or head[space] != ord(" "):
        return 0
    begin = space + 1
    if begin + 3 >= len(head) or head[begin] == ord(" ") or head[begin + 3] != ord(" "):
        return 0
    value, end = _strtoul(head[:begin + 3], begin)
    return value if value is not None and end == begin + 3 else 0


def content_length(head: bytes) -> int | None:
    """lib/html.c:extract_content_length: None when absent or not a clean number."""
    tag = head.find(b"Content-Length:")
    if tag < 0:
        return None
    start = tag + len(b"Content-Length:")
    value, end = _strtoul(head, start)
    if end < len(head) and head[end] not in b"\r\n":
        return None
    return 0 if value is None else value


def status_allowed(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return 100 <= code <= 599 and any(low <= code <= high for low, high in ranges)


def dump_buffer(data: bytes) -> str:
    """lib/utils.c:dump_buffer: 16 bytes a line, decimal offsets, ` -` after 8, ASCII."""
    lines = []
    for offset in range(0, len(data), 16):
        row = data[offset:offset + 16]
        cells = [f" {byte:02x}" for byte in row] + ["   "] * (16 - len(row))
        text = "".join(chr(b) if 0x20 <= b <= 0x7E else "." for b in row).ljust(16)
        lines.append(f"{offset & 0xFFFF:04d} {''.join(cells[:8])} -{''.join(cells[8:])}"
                     f"   {text}\n")
    return "".join(lines)


@dataclass(frozen=True, slots=True)
class Response:
    """What one read to EOF gave: `head` None when no complete head arrived."""

    head: bytes | None
    status: int
    content_length: int | None
    #: body bytes received after the head (not capped)
    received: int
    #: MD5 of the body, capped at Content-Length
    digest: bytes
    #: the response as received (head included), for a regex; bounded by REGEX_LIMIT
    text: bytes


class ResponseReader:
    """Feed what each read returns; `finish()` at EOF. `dump` gets genhash -v's text."""

    def __init__(self, *, dump: Callable[[str], None] | None = None,
                 keep_text: bool = True) -> None:
        self._pending = bytearray()
        self._text = bytearray()
        #: keep the response for a regex (or not: no regex, no copy)
        self._text_limit = REGEX_LIMIT if keep_text else 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._dump = dump
        self.head: bytes | None = None
        self.status = 0
        self.content_length: int | None = None
        self.received = 0

    @property
    def room(self) -> int:
        """How much the next read may take; 0: the head overflowed keepalived's buffer
        (keepalived then reads 0 bytes and takes it for EOF)."""
        return READ_SIZE - len(self._pending) if self.head is None else READ_SIZE

    def feed(self, data: bytes) -> None:
        if len(self._text) < self._text_limit:
            self._text += data[:self._text_limit - len(self._text)]
        if self.head is not None:
            self._body(data, first=False)
            return
        self._emit(HTTP_HEADER_HEXA)
        self._pending += data
        end = self._pending.find(b"\r\n\r\n")
        if end < 0:
            return
        self.head = bytes(self._pending[:end + 4])
        body = bytes(self._pending[end + 4:])
        self._pending.clear()
        self.status = status_code(self.head)
        self.content_length = content_length(self.head)
        if self._dump is not None:
            self._dump(dump_buffer(self.head) + HTTP_HEADER_ASCII
                       + self.head.decode("latin-1") + "\n")
        self._body(body, first=True)

    def _body(self, data: bytes, *, first: bool) -> None:
        length = self.content_length
        if data and (length is None or length > self.received):
            take = data if length is None else data[:length - self.received]
            self._md5.update(take)
            if self._dump is not None:
                self._dump((HTML_HEADER_HEXA if first else "") + dump_buffer(take))
        self.received += len(data)

    def finish(self) -> Response:
        return Response(self.head, self.status, self.content_length, self.received,
                        self._md5.digest(), bytes(self._text))

    def _emit(self, text: str) -> None:
        if self._dump is not None:
            self._dump(text)


def digest_dump(digest: bytes) -> str:
    """genhash -v's block after a clean EOF, before the hex line."""
    return f"\n{HTML_HASH}{dump_buffer(digest)}{HTML_HASH_FINAL}"


# ---------------------------------------------------------------------------- regex

#: keepalived's regex_options that Python's `re` has under another name
REGEX_FLAGS = {"caseless": re.IGNORECASE, "multiline": re.MULTILINE, "dotall": re.DOTALL,
               "extended": re.VERBOSE}
#: options that change only speed or captures, never whether a pattern matches
REGEX_NEUTRAL = frozenset({"no_auto_capture", "no_auto_possess", "no_start_optimize",
                           "no_dotstar_anchor", "auto_callout", "use_offset_limit"})
#: every option keepalived knows (others it ignores silently, and so do we)
REGEX_KNOWN = frozenset({
    "allow_empty_class", "alt_bsux", "auto_callout", "caseless", "dollar_endonly", "dotall",
    "dupnames", "extended", "firstline", "match_unset_backref", "multiline", "never_ucp",
    "never_utf", "no_auto_capture", "no_auto_possess", "no_dotstar_anchor",
    "no_start_optimize", "ucp", "ungreedy", "utf", "never_backslash_c", "alt_circumflex",
    "alt_verbnames", "use_offset_limit"})


def unsupported_regex_options(options: tuple[str, ...]) -> tuple[str, ...]:
    """The options we cannot honour (ungreedy, utf, firstline, ...): the config layer
    warns about these; the pattern then runs without them."""
    return tuple(o for o in options if o in REGEX_KNOWN and o not in REGEX_FLAGS
                 and o not in REGEX_NEUTRAL)


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str, options: tuple[str, ...]) -> re.Pattern[bytes]:
    """The pattern over bytes (PCRE2 without utf works on bytes too); re.error if
    Python cannot compile it."""
    flags = 0
    for option in options:
        flags |= REGEX_FLAGS.get(option, 0)
    return re.compile(pattern.encode("utf-8", "surrogateescape"), flags)


def regex_found(text: bytes, pattern: re.Pattern[bytes], min_offset: int,
                max_offset: int | None) -> bool:
    """A match starting within [min_offset, max_offset] of the response text."""
    found = pattern.search(text, min_offset)
    return found is not None and (max_offset is None or found.start() <= max_offset)
