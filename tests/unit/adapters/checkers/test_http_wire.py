"""HTTP_GET on the wire without a network: keepalived's request bytes and how it reads,
hashes and judges an answer (check_http.c, lib/html.c)."""

from __future__ import annotations

import hashlib

import pytest

from pykeepalived.adapters.checkers import http_wire as wire
from pykeepalived.adapters.checkers.http import judge
from pykeepalived.check.params import HttpUrl


@pytest.mark.parametrize(("protocol", "expected"), [
    ("1.0", b"GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 192.0.2.1:80\r\n\r\n"),
    ("1.0C", b"GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\n"
             b"Host: 192.0.2.1:80\r\n\r\n"),
    ("1.1", b"GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\n"
            b"Host: 192.0.2.1:80\r\n\r\n"),
])
def test_request_bytes_are_keepalived_s(protocol: str, expected: bytes) -> None:
    host = wire.host_header(None, "192.0.2.1", 80, ipv6=False)
    assert wire.build_request("/x", protocol, host) == expected


def test_host_header_is_the_virtualhost_verbatim_else_ip_and_port() -> None:
    assert wire.host_header("www.example.test", "2001:db8::1", 80, ipv6=True) == \
        "www.example.test"
    assert wire.host_header(None, "2001:db8::1", 8080, ipv6=True) == "[2001:db8::1]:8080"
    assert wire.host_header(None, "192.0.2.1", 8080, ipv6=False) == "192.0.2.1:8080"


@pytest.mark.parametrize(("head", "code"), [
    (b"HTTP/1.0 200 OK\r\n\r\n", 200),
    (b"HTTP/1.1 503 Service Unavailable\r\n\r\n", 503),
    (b"HTTP/1.0 200\r\n\r\n", 0),          # no space after the code
    (b"HTTP/1.0  200 OK\r\n\r\n", 0),      # two spaces
    (b"HTTP/1.0 2000 OK\r\n\r\n", 0),      # four digits
    (b"HTTP/1.0 20x OK\r\n\r\n", 0),
    (b"HTTP/1.0\r\n\r\n", 0),
    (b"HTTP/1.0 +20 OK\r\n\r\n", 20),      # strtoul takes a sign: no range has 20
])
def test_status_code_is_three_characters_between_spaces(head: bytes, code: int) -> None:
    assert wire.status_code(head) == code


@pytest.mark.parametrize(("head", "length"), [
    (b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", 5),
    (b"HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\n", None),  # case-sensitive search
    (b"HTTP/1.0 200 OK\r\nContent-Length: 5 \r\n\r\n", None),  # must end at CR/LF
    (b"HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n", None),
    (b"HTTP/1.0 200 OK\r\nContent-Length:\r\n\r\n", 0),        # no digits, ends at CR
    (b"HTTP/1.0 200 OK\r\n\r\n", None),
])
def test_content_length_as_keepalived_finds_it(head: bytes, length: int | None) -> None:
    assert wire.content_length(head) == length


def read_all(*chunks: bytes) -> wire.Response:
    reader = wire.ResponseReader()
    for chunk in chunks:
        reader.feed(chunk)
    return reader.finish()


def test_body_hash_starts_after_the_first_blank_line_whatever_the_reads() -> None:
    whole = read_all(b"HTTP/1.0 200 OK\r\n\r\nhello world")
    split = read_all(b"HTTP/1.0 200 OK\r", b"\n\r", b"\nhello", b" world")
    assert whole.digest == split.digest == hashlib.md5(b"hello world").digest()
    assert whole.status == 200
    assert whole.received == 11


def test_chunked_body_is_hashed_with_its_framing() -> None:
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    response = read_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert response.digest == hashlib.md5(body).digest()


def test_content_length_caps_the_hash_but_not_the_read() -> None:
    response = read_all(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhel", b"loEXTRA")
    assert response.digest == hashlib.md5(b"hello").digest()
    assert response.received == 10


def test_a_head_that_overflows_keepalived_s_buffer_stops_the_read() -> None:
    reader = wire.ResponseReader()
    assert reader.room == 4095
    start = b"HTTP/1.0 200 OK\r\nX: " + b"a" * 4000
    reader.feed(start)
    assert reader.room == 4095 - len(start)
    reader.feed(b"a" * reader.room)
    assert reader.room == 0  # keepalived reads 0 bytes now and takes it for EOF
    assert reader.finish().head is None


def test_after_the_head_each_read_may_take_a_full_buffer() -> None:
    reader = wire.ResponseReader()
    reader.feed(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 100)
    assert reader.room == 4095


def test_the_text_is_kept_only_for_a_regex() -> None:
    reader = wire.ResponseReader(keep_text=False)
    reader.feed(b"HTTP/1.0 200 OK\r\n\r\nbody")
    assert reader.finish().text == b""
    assert read_all(b"HTTP/1.0 200 OK\r\n\r\nbody").text.endswith(b"body")


def test_no_blank_line_means_no_head() -> None:
    assert read_all(b"HTTP/1.0 200 OK\r\n").head is None


def test_verbose_dump_has_keepalived_s_layout() -> None:
    assert wire.dump_buffer(b"HTTP/1.0 200 OK\r\nhi") == (
        "0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.\n"
        "0016  0a 68 69                -                           .hi             \n")


def test_status_ranges() -> None:
    assert wire.status_allowed(200, ((200, 299),))
    assert not wire.status_allowed(404, ((200, 299),))
    assert wire.status_allowed(404, ((200, 299), (404, 404)))
    assert not wire.status_allowed(0, ((0, 999),))  # outside 100..599 never passes


def response(body: bytes, status: int = 200) -> wire.Response:
    return read_all(f"HTTP/1.0 {status} X\r\nServer: t\r\n\r\n".encode() + body)


def test_judge_order_status_then_digest_then_regex() -> None:
    good = hashlib.md5(b"fine").digest()
    assert judge(HttpUrl("/", digest=good), response(b"fine")) == ("", "status 200")
    assert judge(HttpUrl("/"), response(b"x", 503)) == ("HTTP status code error to",
                                                       "status 503")
    phrase, detail = judge(HttpUrl("/", digest=good), response(b"bad"))
    assert phrase == "MD5 digest error to"
    assert detail == f"digest {hashlib.md5(b'bad').hexdigest()}"
    assert judge(HttpUrl("/", digest=good, regex="zzz"), response(b"fine"))[0] == \
        "Regex match failed"
    assert judge(HttpUrl("/"), read_all(b""))[0] == "Read, no data received from "


@pytest.mark.parametrize(("url", "ok"), [
    (HttpUrl("/", regex="healthy"), True),
    (HttpUrl("/", regex="HEALTHY"), False),
    (HttpUrl("/", regex="HEALTHY", regex_options=("caseless",)), True),
    (HttpUrl("/", regex="healthy", regex_no_match=True), False),
    (HttpUrl("/", regex="sick", regex_no_match=True), True),
    (HttpUrl("/", regex="^state", regex_options=("multiline",)), True),
    (HttpUrl("/", regex="^state"), False),   # the head is searched too, as keepalived
    (HttpUrl("/", regex="^HTTP/1.0"), True),
    (HttpUrl("/", regex="X..Server", regex_options=("dotall",)), True),
    (HttpUrl("/", regex="X..Server"), False),
    (HttpUrl("/", regex="h e a l", regex_options=("extended",)), True),
    (HttpUrl("/", regex="healthy", regex_min_offset=40), False),
    (HttpUrl("/", regex="healthy", regex_max_offset=10), False),
    (HttpUrl("/", regex="state", regex_min_offset=20, regex_max_offset=40), True),
    (HttpUrl("/", regex="(unclosed"), False),
])
def test_regex_verdicts(url: HttpUrl, ok: bool) -> None:
    # the response text: "HTTP/1.0 200 X\r\nServer: t\r\n\r\n" (29 bytes) + body
    phrase, _detail = judge(url, response(b"state: healthy\n"))
    assert (phrase == "") is ok


def test_regex_match_must_start_within_the_offsets() -> None:
    pattern = wire.compile_regex("b", ())
    assert wire.regex_found(b"aaab", pattern, 0, 3)
    assert not wire.regex_found(b"aaab", pattern, 0, 2)
    assert not wire.regex_found(b"baaa", pattern, 1, None)


def test_unsupported_regex_options_are_named_for_the_config_layer() -> None:
    options = ("caseless", "ungreedy", "no_auto_capture", "utf", "firstline", "bogus")
    assert wire.unsupported_regex_options(options) == ("ungreedy", "utf", "firstline")
