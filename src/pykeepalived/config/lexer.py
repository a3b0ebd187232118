"""keepalived's line-level lexing: comments, brace splitting and the two word splitters.

keepalived tokenises a config line in two different ways (lib/parser.c). Every keyword
handler sees `alloc_strvec_r` words: whitespace separates, only `"` quotes, no escapes,
and `abc"def"` is two words. Script keywords (notify, script, misc_path, ...) re-split
the raw line with `alloc_strvec_quoted_escaped`: both quote kinds, adjacent text joins,
shell-like escapes. The man page's "Quoted strings" section describes only the second;
`keepalived -t` confirms `router_id 'a b'` gives the word `'a`. We offer both, so the
schema layer can apply the second where keepalived does.
"""

from __future__ import annotations

from dataclasses import dataclass

from pykeepalived.config.diagnostics import Kind

#: keepalived's WHITE_SPACE: what separates words.
WHITE_SPACE = " \t\f\n\r\v"
#: isblank(): what decomment() and the brace splitter trim.
BLANK = " \t"
BOB = "{"
EOB = "}"


@dataclass(frozen=True, slots=True)
class Decommented:
    """A physical line after decomment(); `unterminated` holds the text to quote if a `"` was
    left open (keepalived reports it but keeps the line)."""

    text: str
    unterminated: str | None = None


def decomment(line: str) -> Decommented:
    """Strip comments, `\\#`/`\\!` escapes and blanks the way keepalived's decomment() does.

    Quirks kept on purpose: quotes stop counting once a comment started, a trailing `\\`
    survives even after a comment (so `x # c \\` becomes `x\\`), and `\\#` is unescaped only
    outside quotes.
    """
    chars = list(line.lstrip(BLANK))
    quote = False
    cont = False
    skip: int | None = None
    i = 0
    while i < len(chars):
        c = chars[i]
        if c == '"':
            if skip is None:
                quote = not quote
        elif c == "\\":
            if i + 1 >= len(chars):
                del chars[i]
                cont = True
                break
            if not quote and chars[i + 1] in "#!":
                del chars[i]
            i += 2
            continue
        elif not quote and skip is None and c in "!#":
            skip = i
        i += 1
    unterminated = "".join(chars) if quote else None
    if skip is not None:
        del chars[skip:]
    text = "".join(chars).rstrip(BLANK)
    if cont:
        text += "\\"
    return Decommented(text, unterminated)


def split_braces(text: str) -> tuple[str, str | None]:
    """Cut a line at its first `{`/`}` outside `"`: (line to use now, residue for later).

    keepalived returns `{` or `}` as lines of their own: `a { b }` is read as `a`, `{`,
    `b`, `}`. A `{`/`}` inside an unterminated `"` is not a brace.
    """
    pos = _first_brace(text)
    if pos is None:
        return text.rstrip(BLANK), None
    skip = 0
    if pos == 0:
        skip = len(text) - len(text[1:].lstrip(BLANK))
    rest = text[pos + skip :]
    if not rest:
        return text.rstrip(BLANK), None
    return text[: pos + skip].rstrip(BLANK), rest.rstrip(BLANK)


def _first_brace(text: str) -> int | None:
    if not text:
        return None
    if text[0] in BOB + EOB:
        return 0
    i = 0
    while i < len(text):
        c = text[i]
        if c in BOB + EOB:
            return i
        if c == '"':
            close = text.find('"', i + 1)
            if close < 0:
                return None
            i = close
        i += 1
    return None


@dataclass(frozen=True, slots=True)
class Words:
    """alloc_strvec_r's result; `unmatched` means a `"` never closed and the words after it
    were dropped (keepalived: "Unmatched quote: '<line>'")."""

    words: tuple[str, ...]
    unmatched: bool = False


def split_words(text: str) -> Words:
    """The words every keyword handler sees: blanks separate, `"..."` is one word."""
    words: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in WHITE_SPACE:
            i += 1
        if i >= n:
            return Words(tuple(words))
        if text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                return Words(tuple(words), unmatched=True)
            words.append(text[i + 1 : close])
            i = close + 1
            continue
        start = i
        while i < n and text[i] not in WHITE_SPACE + '"':
            i += 1
        words.append(text[start:i])


@dataclass(frozen=True, slots=True)
class ScriptWords:
    """alloc_strvec_quoted_escaped's result: words, or the problem keepalived reports."""

    words: tuple[str, ...] | None
    kind: Kind = Kind.OK
    problem: str | None = None


_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}


def split_script_words(text: str) -> ScriptWords:
    """Split a script command line the way keepalived does before exec.

    Both quote kinds group, quotes are removed and adjacent text joins (`ab"c d"` is
    `abc d`); escapes `\\a \\b \\E \\f \\n \\r \\t \\v \\nnn \\xXX \\cC`, `\\C` is C. Bytes
    above 0x7f come back surrogate-escaped, like undecodable input.
    """
    words: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in WHITE_SPACE:
            i += 1
        if i >= n:
            break
        word, i, problem = _script_word(text, i)
        if problem is not None:
            return problem
        words.append(word)
    return ScriptWords(tuple(words) if words else None)


def _script_word(text: str, i: int) -> tuple[str, int, ScriptWords | None]:
    out: list[str] = []
    quote = ""
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n:
                return "", i, ScriptWords(None, Kind.OK, f"Missing escape char at end: '{text}'")
            char, i = _escape(text, i + 1)
            out.append(char)
        elif quote:
            if c == quote:
                quote = ""
            else:
                out.append(c)
            i += 1
        elif c in "\"'":
            quote = c
            i += 1
        elif c in WHITE_SPACE:
            break
        else:
            out.append(c)
            i += 1
    if quote:
        message = f"String '{text}': missing terminating {quote}"
        return "", i, ScriptWords(None, Kind.UNMATCHED_QUOTE, message)
    return "".join(out), i, None


def _escape(text: str, i: int) -> tuple[str, int]:
    """Decode the escape whose letter is at text[i]; returns (char, index after it)."""
    c = text[i]
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if c == "x" and _is_hex(nxt):
        value = 0
        i += 1
        while i < len(text) and _is_hex(text[i]):
            value = ((value << 4) | int(text[i], 16)) & 0xFF
            i += 1
        return _byte(value), i
    if c == "c" and nxt:
        return _byte(ord(nxt) & 0x1F), i + 2
    if "0" <= c <= "7":
        value = 0
        for _ in range(3):
            if i < len(text) and "0" <= text[i] <= "7":
                value = ((value << 3) + int(text[i])) & 0xFF
                i += 1
        return _byte(value), i
    return _SIMPLE_ESCAPES.get(c, c), i + 1


def _is_hex(c: str) -> bool:
    return len(c) == 1 and c in "0123456789abcdefABCDEF"


def _byte(value: int) -> str:
    return chr(value) if value < 0x80 else chr(0xDC00 + value)
