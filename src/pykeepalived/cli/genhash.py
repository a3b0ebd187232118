"""`pykeepalived genhash`: keepalived 2.2.7's genhash, same flags, same output.

It prints the MD5 an HTTP_GET/SSL_GET `digest` needs: the url is fetched exactly as the
checker fetches it (adapters/checkers/http.py) and the body hashed as the checker hashes
it (chunk framing included, capped at Content-Length). Scripts parse its output, so
that is keepalived's: one line of 32 hex digits on stdout; a failure prints keepalived's
bare phrase ("Connection failed") on stdout and still exits 0; an empty answer says
`no data received from remote webserver` on stderr; bad arguments print the usage on
stderr and exit 1; `-v` adds keepalived's hex dumps and the response time.

Reached as `pykeepalived genhash ...`, as `pykeepalived --genhash ...` / `-T ...`
(keepalived's spellings, first option only), or through a link named `genhash`.
Arguments are read as GNU getopt_long reads them (clusters, `--opt=value`, unique
prefixes of long names, non-options gathered at the end), since that decides which
command lines keepalived accepts.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from dataclasses import dataclass
from ipaddress import ip_address
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

#: keepalived's default connect timeout for genhash: UINT_MAX microseconds
DEFAULT_TIMEOUT = 4294967295 / 1e6

_HELP_OPTIONS = """\
Options:
Either long or short options are allowed.
   --use-ssl         -S       Use SSL connection to remote server.
   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
   --server          -s       Use the specified remote server address.
   --port            -p       Use the specified remote server port.
   --url             -u       Use the specified remote server url.
   --use-virtualhost -V       Use the specified virtualhost in GET query.
   --verbose         -v       Use verbose mode output.
   --help            -h       Display this short inlined help screen.
   --fwmark          -m       Use the specified FW mark.
   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                1.0c means 1.0 with 'Connection: close'
   --timeout         -t       Timeout in seconds
"""

#: long name -> (short letter, takes an argument)
LONG_OPTIONS = {
    "help": ("h", False), "verbose": ("v", False), "use-ssl": ("S", False),
    "use-sni": ("I", False), "server": ("s", True), "use-virtualhost": ("V", True),
    "port": ("p", True), "url": ("u", True), "fwmark": ("m", True),
    "protocol": ("P", True), "timeout": ("t", True),
}
SHORT_OPTIONS = {"h": False, "v": False, "S": False, "I": False, "s": True, "V": True,
                 "p": True, "u": True, "m": True, "P": True, "t": True}

Protocol = Literal["1.0", "1.0C", "1.1"]
PROTOCOLS: dict[str, Protocol] = {"1.0": "1.0", "1.0c": "1.0C", "1.0C": "1.0C", "1.1": "1.1"}


class BadArguments(Exception):
    """Print the message (if any), then the usage; exit 1."""


def usage(prog: str) -> str:
    return (f"Usage: {prog} COMMAND [OPTIONS]\nCommands:\n"
            "   -s server-address -p port -u url\n"
            "   -S -s server-address -p port -u url\n   -h\n\n" + _HELP_OPTIONS)


def getopt_long(args: Sequence[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """GNU getopt_long with a leading ':' in the option string: (events in order, each
    (letter, argument) or ("?", error line), and the operands it gathered)."""
    events: list[tuple[str, str | None]] = []
    operands: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word == "--":
            operands.extend(args[index:])
            break
        if word.startswith("--"):
            name, has_value, value = word[2:].partition("=")
            matches = [n for n in LONG_OPTIONS if n.startswith(name)]
            full = name if name in LONG_OPTIONS else (matches[0] if len(matches) == 1
                                                       else None)
            if full is None or (has_value and not LONG_OPTIONS[full][1]):
                events.append(("?", f"Unknown option {word}"))
                continue
            letter, needs = LONG_OPTIONS[full]
            if needs and not has_value:
                if index >= len(args):
                    events.append(("?", f"Missing parameter for option --{full}"))
                    continue
                value = args[index]
                index += 1
            events.append((letter, value if needs else None))
            continue
        if not word.startswith("-") or word == "-":
            operands.append(word)
            continue
        position = 1
        while position < len(word):
            letter = word[position]
            position += 1
            if letter not in SHORT_OPTIONS:
                events.append(("?", f"Unknown option -{letter}"))
            elif not SHORT_OPTIONS[letter]:
                events.append((letter, None))
            elif position < len(word):
                events.append((letter, word[position:]))
                break
            elif index < len(args):
                events.append((letter, args[index]))
                index += 1
                break
            else:
                events.append(("?", f"Missing parameter for option -{letter}"))
    return events, operands


def _c_number(text: str, *, signed: bool) -> tuple[int, str]:
    """C strtol/strtoul base 10: (value, what is left after the number)."""
    stripped = text.lstrip(" \t\n\v\f\r")
    sign = 1
    body = stripped
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    digits = len(body) - len(body.lstrip("0123456789"))
    if digits == 0:
        return 0, text
    value = sign * int(body[:digits])
    if not signed:
        value %= 1 << 64
    return value, body[digits:]


@dataclass
class Request:
    server: str = ""
    port: int = 0
    url: str | None = None
    ssl: bool = False
    sni: bool = False
    virtualhost: str | None = None
    protocol: Protocol = "1.0"
    timeout: float = DEFAULT_TIMEOUT
    fwmark: int = 0
    verbose: bool = False


def _server(value: str) -> str:
    family = socket.AF_INET6 if ":" in value else socket.AF_INET
    text = value.split("-", 1)[0].split("/", 1)[0] if "-" in value or "/" in value else value
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, text))
    except (OSError, ValueError):
        raise BadArguments(f"server should be an IP, not {value}") from None


def _apply(request: Request, letter: str, value: str) -> None:
    if letter == "s":
        request.server = _server(value)
    elif letter == "p":
        port, rest = _c_number(value, signed=True)
        if rest or not 0 < port <= 65535:
            raise BadArguments(f"invalid port number '{value}'")
        request.port = port
    elif letter == "u":
        request.url = value
    elif letter == "V":
        request.virtualhost = value
    elif letter == "P":
        if value not in PROTOCOLS:
            raise BadArguments(f"invalid HTTP protocol version '{value}'")
        request.protocol = PROTOCOLS[value]
    elif letter in "mt":
        start = value.lstrip(" \t")
        number, rest = _c_number(start, signed=False)
        if rest or start[:1] == "-" or (letter == "t" and not start):
            raise BadArguments(f"invalid {'fwmark' if letter == 'm' else 'timeout'} '{value}'")
        if letter == "m":
            request.fwmark = number % (1 << 32)
        else:
            request.timeout = (number % (1 << 32)) * 1.0
    else:
        raise BadArguments(f"Unknown option `-{letter}`")


def parse(args: Sequence[str], argc: int) -> Request:
    """The request the arguments describe; BadArguments for anything keepalived refuses
    (`argc`: keepalived's argument count, for its `argc <= 2` sanity check). As in
    keepalived, errors are reported in order and a bad value stops at once."""
    if argc <= 2:
        raise BadArguments("")
    events, operands = getopt_long(args)
    request = Request()
    seen: set[str] = set()
    lines: list[str] = []
    bad = False
    for letter, value in events:
        if letter == "?":
            lines.append(value or "")
            bad = True
        elif letter == "h":
            bad = True
        elif letter == "v":
            request.verbose = True
        elif letter == "S":
            request.ssl = True
        elif letter == "I":
            request.sni = True
        elif value is not None:
            try:
                _apply(request, letter, value)
            except BadArguments as exc:
                raise BadArguments("\n".join([*lines, str(exc)])) from None
        seen.add(letter)
    if bad:
        raise BadArguments("\n".join(lines))
    if operands:
        raise BadArguments("Unexpected argument(s): " + " ".join(operands))
    if not {"s", "p", "u"} <= seen:
        raise BadArguments("")
    return request


async def genhash(request: Request, out: list[str]) -> tuple[str, str]:
    """Fetch and hash; appends -v text to `out`; returns (stdout line, stderr line)."""
    from pykeepalived.adapters.checkers.http import Failed, fetch
    from pykeepalived.adapters.checkers.http_wire import digest_dump
    from pykeepalived.adapters.checkers.sockets import SetupFailed
    from pykeepalived.check.params import Connection, HttpProbe, HttpUrl

    assert request.url is not None
    conn = Connection(ip_address(request.server), request.port, request.timeout,
                      fwmark=request.fwmark)
    sni = request.virtualhost if request.sni else None
    url = HttpUrl(request.url, virtualhost=request.virtualhost)
    probe = HttpProbe(conn, (url,), ssl=request.ssl, protocol=request.protocol, sni=sni)
    try:
        response, clean_close = await fetch(probe, url,
                                            dump=out.append if request.verbose else None)
    except Failed as exc:
        return f"{exc}\n", ""
    except SetupFailed as exc:
        return "", f"{exc}\n"
    if request.verbose and (clean_close or not request.ssl):
        out.append(digest_dump(response.digest))
    if request.ssl and clean_close and response.head is None:
        return "SSL read error from\n", ""
    if response.head is None:
        return "", "no data received from remote webserver\n"
    return response.digest.hex() + "\n", ""


def main_genhash(args: Sequence[str], *, prog: str, argc: int) -> int:
    """Run genhash on `args` (the words after the command); keepalived's exit codes."""
    try:
        request = parse(args, argc)
    except BadArguments as exc:
        if str(exc):
            print(exc, file=sys.stderr)
        print(usage(prog), file=sys.stderr, end="")
        return 1
    started = time.monotonic()
    out: list[str] = []
    try:
        line, error = asyncio.run(genhash(request, out))
    except KeyboardInterrupt:
        return 0
    sys.stdout.write("".join(out) + line)
    if error:
        sys.stdout.flush()
        sys.stderr.write(error)
    if request.verbose:
        took = int((time.monotonic() - started) * 1e6)
        sys.stdout.write(f"\nGlobal response time for [{request.url}] = {took} usecs\n")
    sys.stdout.flush()
    return 0
