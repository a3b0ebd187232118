"""`pykeepalived genhash` arguments, read as keepalived 2.2.7's getopt_long reads them.

The outputs of real runs are compared with keepalived's genhash byte for byte in
tests/netns/checkers/test_genhash_netns.py; here the argument rules alone, no network.
"""

from __future__ import annotations

import pytest

from pykeepalived.cli.command import main
from pykeepalived.cli.genhash import BadArguments, getopt_long, parse


def args(line: str) -> list[str]:
    return line.split()


def test_short_long_clustered_and_abbreviated_forms() -> None:
    request = parse(args("-vS -s192.0.2.1 --port=8080 --url /a --use-v www -P 1.0c"), 9)
    assert (request.verbose, request.ssl, request.server, request.port, request.url,
            request.virtualhost, request.protocol) == (
        True, True, "192.0.2.1", 8080, "/a", "www", "1.0C")


def test_last_url_wins_and_operands_are_gathered() -> None:
    assert parse(args("-u /a -s 192.0.2.1 -p 80 -u /b"), 9).url == "/b"
    with pytest.raises(BadArguments, match=r"^Unexpected argument\(s\): x y$"):
        parse(args("x -u /a -s 192.0.2.1 y -p 80"), 9)


@pytest.mark.parametrize(("line", "message"), [
    ("-s foo -p 80 -u /", "server should be an IP, not foo"),
    ("-s 192.0.2.1 -p 0 -u /", "invalid port number '0'"),
    ("-s 192.0.2.1 -p 80x -u /", "invalid port number '80x'"),
    ("-s 192.0.2.1 -p 80 -u / -P 2.0", "invalid HTTP protocol version '2.0'"),
    ("-s 192.0.2.1 -p 80 -u / -t -1", "invalid timeout '-1'"),
    ("-s 192.0.2.1 -p 80 -u / -m x", "invalid fwmark 'x'"),
    ("-x -s foo -p 80 -u /", "Unknown option -x\nserver should be an IP, not foo"),
    ("-s 192.0.2.1 -p 80 -u / --bogus=3", "Unknown option --bogus=3"),
    ("-s 192.0.2.1 -p 80 -u / --verbose=1", "Unknown option --verbose=1"),
    ("-s 192.0.2.1 -p 80 -u / --use", "Unknown option --use"),  # ambiguous prefix
    ("-s 192.0.2.1 -p 80 -u", "Missing parameter for option -u"),
    ("-s 192.0.2.1 -p 80 -h", ""),
    ("-s 192.0.2.1 -p 80", ""),  # no url
])
def test_refusals_and_their_messages(line: str, message: str) -> None:
    with pytest.raises(BadArguments) as caught:
        parse(args(line), len(args(line)) + 1)
    assert str(caught.value) == message


def test_too_few_words_is_the_usage_alone() -> None:
    with pytest.raises(BadArguments, match=r"^$"):
        parse(["-s"], 2)


def test_server_address_forms() -> None:
    assert parse(args("-s 2001:db8:0::1 -p 80 -u /"), 9).server == "2001:db8::1"
    assert parse(args("-s 192.0.2.1/24 -p 80 -u /"), 9).server == "192.0.2.1"
    with pytest.raises(BadArguments):
        parse(args("-s 192.0.2.01 -p 80 -u /"), 9)


def test_numbers_read_like_c() -> None:
    assert parse(args("-s 192.0.2.1 -p +80 -u / -t 7 -m 42"), 9).port == 80
    request = parse(args("-s 192.0.2.1 -p 80 -u / -t 7 -m 42"), 9)
    assert (request.timeout, request.fwmark) == (7.0, 42)


def test_getopt_stops_at_double_dash() -> None:
    events, operands = getopt_long(["-v", "--", "-s"])
    assert events == [("v", None)]
    assert operands == ["-s"]


def test_usage_goes_to_stderr_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["genhash", "-h"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert " genhash COMMAND [OPTIONS]\nCommands:\n" in captured.err
    assert main(["-T", "-s", "foo", "-p", "1", "-u", "/"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("server should be an IP, not foo\nUsage: ")
    assert " --genhash COMMAND [OPTIONS]" in err
