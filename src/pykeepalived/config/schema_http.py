"""HTTP_GET / SSL_GET and their `url {}` blocks (keepalived/check/check_http.c).

keepalived reports the regex keywords' problems with log_message only (they never
change `-t`'s verdict), so they are Kind.OK diagnostics here; the pattern is kept as
written, since PCRE2 is the runtime's business.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config import check_values, values
from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.lexer import split_script_words
from pykeepalived.config.model_check import HttpParams, HttpProtocol, HttpUrl
from pykeepalived.config.schema import (
    Block,
    Ctx,
    Fields,
    Handler,
    NodeLike,
    arg,
    children,
    end_of,
    flag,
    walk,
)
from pykeepalived.config.schema_checker_common import (
    CONNECTION,
    TIMING,
    conn_ok,
    finish_checker,
    flag_of,
)
from pykeepalived.constants import UINT_MAX

if TYPE_CHECKING:
    from pykeepalived.config.diagnostics import Location

__all__ = ["HTTP_BLOCK", "http_end"]

_STATUS_MIN, _STATUS_MAX = 100, 599
_PROTOCOLS: dict[str, HttpProtocol] = {"1.0": "1.0", "1.1": "1.1", "1.0C": "1.0C",
                                       "1.0c": "1.0C"}
#: PCRE2 options keepalived knows by name (others are silently ignored)
REGEX_OPTIONS = frozenset({
    "allow_empty_class", "alt_bsux", "auto_callout", "caseless", "dollar_endonly", "dotall",
    "dupnames", "extended", "firstline", "match_unset_backref", "multiline", "never_ucp",
    "never_utf", "no_auto_capture", "no_auto_possess", "no_dotstar_anchor",
    "no_start_optimize", "ucp", "ungreedy", "utf", "never_backslash_c", "alt_circumflex",
    "alt_verbnames", "use_offset_limit"})


# ------------------------------------------------------------------ url keywords


def _path(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    fields["path"] = arg(ctx, node)


def _digest(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    text = arg(ctx, node)
    if "digest" in fields:
        ctx.error(f"Digest '{text}' is a duplicate", node.location)
        return
    if len(text) != 32:
        ctx.error(f"digest '{text}' character length should be 32 rather than {len(text)}",
                  node.location)
        return
    digest = bytearray(16)
    for index in range(15, -1, -1):
        pair = text[2 * index:2 * index + 2]
        value, end, _ = check_values.strtoul(pair, 16)
        if end != 2:
            ctx.error(f"Unable to interpret hex digit in '{text[:2 * index + 2]}' at offset "
                      f"{2 * index}/{2 * index + 1}", node.location)
            return
        digest[index] = value & 0xFF
    fields["digest"] = bytes(digest)


def _status_code(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    codes: set[int] = fields.setdefault("codes", set())
    for word in node.args:
        low, end, _ = check_values.strtoul(word)
        high = low
        if word[end:end + 1] == "-":
            high, used, _ = check_values.strtoul(word[end + 1:])
            end += 1 + used
        low, high = low & UINT_MAX, high & UINT_MAX
        if (end != len(word) or not _STATUS_MIN <= low <= _STATUS_MAX
                or not _STATUS_MIN <= high <= _STATUS_MAX or low > high):
            ctx.error(f"Invalid HTTP_GET status code '{word}'", node.location)
            continue
        codes.update(range(low, high + 1))


def _url_virtualhost(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        ctx.error("Missing HTTP_GET virtualhost name", node.location)
        return
    fields["virtualhost"] = node.args[0]


def _regex(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    words = split_script_words(node.raw or " ".join((node.keyword, *node.args))).words
    if words is None or len(words) != 2:
        ctx.report(Kind.OK, "regex missing or too many fields", node.location)
        return
    fields["regex"] = words[1]


def _regex_options(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    options: list[str] = fields.setdefault("regex_options", [])
    options += [w for w in node.args if w in REGEX_OPTIONS and w not in options]


def _regex_offset(which: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        value = 0
        if len(node.args) != 1:
            ctx.report(Kind.OK, f"Missing or too may options for regex_{which}_offset",
                       node.location)
        else:
            read, end, _ = check_values.strtoul(node.args[0])
            if end != len(node.args[0]):
                ctx.report(Kind.OK, f"Invalid regex_{which}_offset {node.args[0]} specified",
                           node.location)
            else:
                value = read
        # keepalived stores max as one past the last start offset: 0 means "not set"
        fields[f"regex_{which}"] = value + (1 if which == "max" else 0)

    return handle


def _regex_stack(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if len(node.args) != 2:
        ctx.report(Kind.OK, "regex_stack requires start and max values", node.location)
        return
    start, start_end, _ = check_values.strtoul(node.args[0])
    high, high_end, _ = check_values.strtoul(node.args[1])
    if start_end != len(node.args[0]) or high_end != len(node.args[1]) or start > high:
        ctx.report(Kind.OK, "regex_stack invalid start or max value", node.location)
        return
    fields["regex_stack"] = True


URL_BLOCK = Block(keywords={
    "path": _path,
    "digest": _digest,
    "status_code": _status_code,
    "virtualhost": _url_virtualhost,
    "regex": _regex,
    "regex_no_match": flag("regex_no_match"),
    "regex_options": _regex_options,
    "regex_min_offset": _regex_offset("min"),
    "regex_max_offset": _regex_offset("max"),
    "regex_stack": _regex_stack,
})


def _url(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    url: Fields = {"location": node.location}
    walk(ctx, URL_BLOCK, children(node), url)
    end = end_of(node)
    if "path" not in url:
        ctx.error("HTTP/SSL_GET checker url has no path - ignoring", end)
        return
    _check_regex(ctx, url, end)
    maximum = url.get("regex_max", 0)
    fields.setdefault("urls", []).append(HttpUrl(
        location=node.location, path=url["path"], digest=url.get("digest"),
        status_codes=_ranges(url.get("codes")) or ((200, 299),),
        virtualhost=url.get("virtualhost"), regex=url.get("regex"),
        regex_no_match=url.get("regex_no_match", False),
        regex_options=tuple(url.get("regex_options", ())),
        regex_min_offset=url.get("regex_min", 0),
        regex_max_offset=maximum - 1 if maximum else None))


def _check_regex(ctx: Ctx, url: Fields, end: Location) -> None:
    """keepalived's url_check: regex settings without a regex, or min beyond max, are
    logged and dropped."""
    params = ("regex_options", "regex_no_match", "regex_min", "regex_max", "regex_stack")
    if "regex" not in url:
        if any(url.get(p) for p in params):
            ctx.report(Kind.OK, "regex parameters specified without regex", end)
            for name in params:
                url.pop(name, None)
        return
    low, high = url.get("regex_min", 0), url.get("regex_max", 0)
    if high and low >= high:
        ctx.report(Kind.OK, f"regex min offset {low} > regex_max_offset {high - 1} - ignoring",
                   end)
        url["regex_min"] = url["regex_max"] = 0


def _ranges(codes: set[int] | None) -> tuple[tuple[int, int], ...]:
    ranges: list[tuple[int, int]] = []
    for code in sorted(codes or ()):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return tuple(ranges)


# ------------------------------------------------------------------ checker keywords


def _nb_get_retry(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    ctx.error("nb_get_retry is deprecated - please use 'retry'", node.location)
    raw = arg(ctx, node)
    value = values.read_unsigned(raw, 0, UINT_MAX, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"Invalid nb_get_retry value '{raw}'", node.location)
        return
    fields["retry"] = value


def _virtualhost(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        ctx.error("HTTP_GET virtualhost name missing", node.location)
        return
    fields["virtualhost"] = node.args[0]


def _protocol(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        ctx.error("Missing http_protocol version", node.location)
        return
    if node.args[0] not in _PROTOCOLS:
        ctx.error(f"Invalid http_protocol version {node.args[0]}", node.location)
        return
    fields["protocol"] = _PROTOCOLS[node.args[0]]


def http_end(ctx: Ctx, chk: Fields, end: Location) -> None:
    """keepalived's http_get_check_end: a checker without urls is dropped."""
    if not chk.get("urls"):
        ctx.error("HTTP/SSL_GET checker has no urls specified - ignoring", end)
        return
    if not conn_ok(ctx, chk["_rs"], chk["conn"], end):
        return
    finish_checker(chk, HttpParams(
        urls=tuple(chk["urls"]), ssl=chk["kind"] == "SSL_GET",
        virtualhost=chk.get("virtualhost"), protocol=chk.get("protocol", "1.0"),
        enable_sni=chk.get("enable_sni", False), fast_recovery=chk.get("fast_recovery", False)))


HTTP_BLOCK = Block(
    keywords={**CONNECTION, **TIMING, "nb_get_retry": _nb_get_retry, "virtualhost": _virtualhost,
              "http_protocol": _protocol, "enable_sni": flag_of("enable_sni", "enable_sni"),
              "fast_recovery": flag_of("fast_recovery", "fast_recovery"), "url": _url},
    sublevels={"url": URL_BLOCK},
)
