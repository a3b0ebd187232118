"""Checker blocks: each kind's keywords in the model, keepalived's complaints with line and
kind, end-of-block checks on the line of the `}` (checker bodies start on line 7)."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model_check import (
    BfdParams,
    Connection,
    DnsParams,
    FileParams,
    HttpParams,
    MiscParams,
    SmtpParams,
    UdpParams,
)

from .checks import errors, located, only_checker, only_rs, rs, vs

G, N = Kind.GENERAL_ERROR, Kind.INVALID_NUMBER


def checker_block(kind: str, body: str) -> str:
    return vs(servers=rs(f"  {kind} {{\n{body}  }}\n"))


def test_common_keywords_reach_the_model() -> None:
    checker = only_checker(
        "   connect_ip 192.0.2.20\n   connect_port 8443\n   bindto 192.0.2.1\n"
        "   bind_port 4000\n   bind_if eth0\n   connect_timeout 2.5\n   fwmark 9\n"
        "   retry 0\n   delay_before_retry 4\n   warmup 1\n   delay_loop 15\n   alpha no\n"
        "   log_all_failures\n")
    assert checker.connection == Connection(ip_address("192.0.2.20"), 8443,
                                            ip_address("192.0.2.1"), 4000, "eth0", 2_500_000, 9)
    assert (checker.retry, checker.delay_before_retry_us, checker.warmup_us) == (0, 4_000_000,
                                                                               1_000_000)
    assert (checker.delay_loop_us, checker.alpha, checker.log_all_failures) == (15_000_000,
                                                                              False, True)
    assert only_checker("").connection == Connection()


@pytest.mark.parametrize(("body", "said"), [
    ("   connect_ip 192.0.2.300\n", [(G, "Invalid connect_ip address 192.0.2.300 - ignoring",
                                      7)]),
    ("   connect_port 0\n", [(N, "number '0' outside range [1, 65535]", 7),
                            (G, "Invalid checker connect_port '0'", 7)]),
    ("   bindto x\n", [(G, "Invalid bindto address x - ignoring", 7)]),
    ("   bindto 2001:db8::1\n", [(G, "bindto address 2001:db8::1 does not match address family"
                                   " of connect_ip - skipping", 7)]),
    ("   bindto 192.0.2.1\n   connect_ip 2001:db8::1\n",
     [(G, "connect_ip address 2001:db8::1 does not match address family of bindto"
          " - skipping", 8)]),
    ("   bind_port 70000\n", [(N, "number '70000' outside range [1, 65535]", 7),
                             (G, "Invalid checker bind_port '70000'", 7)]),
    ("   bind_if abcdefghijklmnop\n", [(G, "Interface name abcdefghijklmnop is too long"
                                          " - ignoring", 7)]),
    ("   connect_timeout 0\n", [(N, "number '0' outside range [0.000001, 4294.967295]", 7),
                               (G, "connect_timeout 0 invalid - ignoring", 7)]),
    ("   fwmark -1\n", [(N, "negative number '-1'", 7),
                        (G, "Invalid fwmark connection value '-1'", 7)]),
    ("   retry x\n", [(N, "invalid number 'x'", 7),
                      (G, "Invalid retry connection value 'x'", 7)]),
    ("   delay_before_retry -2\n", [(N, "negative number '-2'", 7),
                                    (G, "Invalid delay_before_retry connection value '-2'", 7)]),
    ("   warmup -2\n", [(N, "negative number '-2'", 7),
                        (G, "Invalid warmup connection value '-2'", 7)]),
    ("   delay_loop 0\n", [(N, "number '0' outside range [0.000001, 18446744073709.551614]", 7),
                           (G, "delay_loop '0' is invalid - ignoring", 7)]),
    ("   alpha On\n", [(G, "Invalid alpha parameter On", 7)]),
    ("   log_all_failures 1\n", [(G, "Invalid log_all_failures parameter 1", 7)]),
    ("   frobnicate 1\n", [(Kind.UNKNOWN_KEYWORD, "Unknown keyword 'frobnicate'", 7)]),
    ("   connect_ip fe80::1\n", [(G, "Checker link local address fe80::1 requires a bind_if",
                                  8)]),
])
def test_common_keyword_complaints(body: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(checker_block("TCP_CHECK", body)) == said


def test_link_local_with_bind_if_is_kept() -> None:
    checker = only_checker("   connect_ip fe80::1\n   bind_if eth0\n")
    assert checker.connection is not None
    assert checker.connection.address == ip_address("fe80::1")


def test_http_get_keywords() -> None:
    checker = only_checker(
        "   url {\n    path /health\n    digest 0123456789ABCDEF0123456789abcdef\n"
        "    status_code 200-204 301 302\n    virtualhost api.example\n    regex \"a b\"\n"
        "    regex_no_match\n    regex_options caseless bogus utf\n    regex_min_offset 2\n"
        "    regex_max_offset 100\n   }\n   url {\n    path /\n   }\n"
        "   virtualhost www.example\n   http_protocol 1.0c\n   enable_sni\n   fast_recovery\n"
        "   nb_get_retry 2\n", "SSL_GET")
    params = checker.params
    assert isinstance(params, HttpParams)
    first, second = params.urls
    assert first.digest == bytes.fromhex("0123456789abcdef0123456789abcdef")
    assert first.status_codes == ((200, 204), (301, 302))
    assert (first.virtualhost, first.regex, first.regex_no_match) == ("api.example", "a b", True)
    assert first.regex_options == ("caseless", "utf")
    assert (first.regex_min_offset, first.regex_max_offset) == (2, 100)
    assert (second.path, second.status_codes, second.regex) == ("/", ((200, 299),), None)
    assert (params.ssl, params.virtualhost, params.protocol) == (True, "www.example", "1.0C")
    assert (params.enable_sni, params.fast_recovery, checker.retry) == (True, True, 2)


@pytest.mark.parametrize(("body", "said"), [
    ("   url {\n    status_code 200\n   }\n",
     [(G, "HTTP/SSL_GET checker url has no path - ignoring", 9),
      (G, "HTTP/SSL_GET checker has no urls specified - ignoring", 10)]),
    ("   url {\n    path /\n    digest 00\n   }\n",
     [(G, "digest '00' character length should be 32 rather than 2", 9)]),
    ("   url {\n    path /\n    digest 0123456789abcdef0123456789abcdeg\n   }\n",
     [(G, "Unable to interpret hex digit in '0123456789abcdef0123456789abcdeg' at offset"
          " 30/31", 9)]),
    ("   url {\n    path /\n    digest zz23456789abcdef0123456789abcdef\n   }\n",
     [(G, "Unable to interpret hex digit in 'zz' at offset 0/1", 9)]),
    ("   url {\n    path /\n    digest 0123456789abcdef0123456789abcdef\n"
     "    digest 0123456789abcdef0123456789abcdef\n   }\n",
     [(G, "Digest '0123456789abcdef0123456789abcdef' is a duplicate", 10)]),
    ("   url {\n    path /\n    status_code 99 200-100 2x0 600\n   }\n",
     [(G, "Invalid HTTP_GET status code '99'", 9), (G, "Invalid HTTP_GET status code '200-100'",
                                                   9),
      (G, "Invalid HTTP_GET status code '2x0'", 9), (G, "Invalid HTTP_GET status code '600'",
                                                     9)]),
    ("   url {\n    path /\n    virtualhost\n   }\n", [(G, "Missing HTTP_GET virtualhost name",
                                                         9)]),
    ("   url {\n    path /\n   }\n   http_protocol 2\n",
     [(G, "Invalid http_protocol version 2", 10)]),
    ("   url {\n    path /\n   }\n   http_protocol\n", [(G, "Missing http_protocol version",
                                                         10)]),
    ("   url {\n    path /\n   }\n   virtualhost\n", [(G, "HTTP_GET virtualhost name missing",
                                                       10)]),
    ("   url {\n    path /\n   }\n   enable_sni maybe\n", [(G, "Invalid enable_sni parameter"
                                                            " maybe", 10)]),
    ("   url {\n    path /\n   }\n   fast_recovery maybe\n", [(G, "Invalid fast_recovery"
                                                               " parameter maybe", 10)]),
    ("   url {\n    path /\n   }\n   nb_get_retry x\n",
     [(G, "nb_get_retry is deprecated - please use 'retry'", 10), (N, "invalid number 'x'", 10),
      (G, "Invalid nb_get_retry value 'x'", 10)]),
    ("   url {\n    path /\n    bogus\n   }\n", [(Kind.UNKNOWN_KEYWORD, "Unknown keyword"
                                                  " 'bogus'", 9)]),
])
def test_http_complaints(body: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(checker_block("HTTP_GET", body)) == said


def test_regex_problems_are_only_logged() -> None:
    body = ("   url {\n    path /\n    regex_min_offset 10\n    regex_max_offset x\n"
            "    regex_stack 1\n   }\n")
    assert located(checker_block("HTTP_GET", body)) == []
    checker = only_checker("   url {\n    path /\n    regex r\n    regex_min_offset 10\n"
                           "    regex_max_offset 5\n   }\n", "HTTP_GET")
    assert isinstance(checker.params, HttpParams)
    url = checker.params.urls[0]
    assert (url.regex_min_offset, url.regex_max_offset) == (0, None)


def test_misc_check() -> None:
    checker = only_checker("   misc_path \"/usr/local/sbin/check.sh -v 'a b'\"\n"
                           "   misc_timeout 5\n   misc_dynamic\n   user nobody nogroup\n"
                           "   retry 2\n", "MISC_CHECK")
    assert isinstance(checker.params, MiscParams)
    assert checker.params.command.command == ("/usr/local/sbin/check.sh", "-v", "a b")
    assert (checker.params.timeout_s, checker.params.dynamic) == (5, True)
    assert (checker.params.user, checker.params.group) == ("nobody", "nogroup")
    assert (checker.connection, checker.retry) == (None, 2)


@pytest.mark.parametrize(("body", "said"), [
    ("", [(G, "No script path has been specified for MISC_CHECKER - skipping", 7)]),
    ("   misc_path\n", [(G, "No script path has been specified for MISC_CHECKER - skipping",
                         8)]),
    ("   misc_path /bin/true\n   misc_timeout 4295\n",
     [(N, "number '4295' outside range [0, 4294]", 8), (G, "Invalid misc_timeout value '4295'",
                                                        8)]),
    ("   misc_path /bin/true\n   user\n",
     [(G, "No user specified for misc checker script '/bin/true'", 8)]),
    ("   misc_path /bin/true\n   connect_port 80\n",
     [(Kind.UNKNOWN_KEYWORD, "Unknown keyword 'connect_port'", 8)]),
    ("   misc_path /bin/true\n   user nosuch\n",
     [(G, "Failed to set uid/gid for misc checker script '/bin/true' - removing", 8)]),
    ("   misc_path /bin/true\n   user root nosuch\n",
     [(G, "Failed to set uid/gid for misc checker script '/bin/true' - removing", 8)]),
])
def test_misc_complaints(body: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(checker_block("MISC_CHECK", body)) == said


def test_smtp_check_and_its_deprecated_host_blocks() -> None:
    text = checker_block("SMTP_CHECK", "   helo_name mx.example\n   host {\n"
                         "    connect_ip 192.0.2.30\n    connect_port 587\n    retry 3\n   }\n"
                         "   host {\n    connect_timeout 2\n   }\n")
    first, second = only_rs(text).checkers
    # nothing of its own connection set: the first host's connection is the checker's
    assert isinstance(first.params, SmtpParams)
    assert first.params.helo_name == "mx.example"
    assert first.connection == Connection(ip_address("192.0.2.30"), 587, timeout_us=0)
    assert second.connection == Connection(timeout_us=2_000_000)
    assert first.retry == second.retry == 3  # timing keywords in host{} are the checker's
    own = checker_block("SMTP_CHECK", "   connect_timeout 4\n   host {\n   }\n")
    main, host = only_rs(own).checkers
    assert main.connection == Connection(timeout_us=4_000_000)
    assert host.connection == Connection(timeout_us=0)


def test_smtp_timeout_is_settled_from_what_precedes_it() -> None:
    before = vs(servers=rs("  connect_timeout 7\n  SMTP_CHECK {\n  }\n"))
    after = vs(servers=rs("  SMTP_CHECK {\n  }\n  connect_timeout 7\n"))
    assert only_rs(before).checkers[0].connection == Connection(timeout_us=7_000_000)
    assert only_rs(after).checkers[0].connection == Connection(timeout_us=5_000_000)
    assert only_checker("").connection == Connection()  # TCP_CHECK: resolved later


def test_smtp_complaints() -> None:
    text = checker_block("SMTP_CHECK", "   helo_name\n   host {\n    connect_ip fe80::2\n   }\n")
    assert located(text) == [(G, "SMTP_CHECK helo name missing", 7),
                             (G, "Checker link local address fe80::2 requires a bind_if", 10)]


def test_dns_check() -> None:
    checker = only_checker("   type aaaa\n   name example.com\n", "DNS_CHECK")
    assert checker.params == DnsParams("AAAA", "example.com")
    assert only_checker("", "DNS_CHECK").params == DnsParams("SOA", "")


@pytest.mark.parametrize(("body", "said"), [
    ("   type ANY\n", [(G, "Unknown DNS check type ANY - ignoring", 7)]),
    ("   name x\n   name y\n", [(G, "DNS_CHECK name already specified - ignoring", 8)]),
    # keepalived's empty-label test also refuses a one-letter first label
    ("   name a.example\n", [(G, "DNS_CHECK name 'a.example' has empty label - ignoring", 7)]),
    ("   name b..example\n", [(G, "DNS_CHECK name 'b..example' has empty label - ignoring",
                              7)]),
    ("   name .x\n", [(G, "DNS_CHECK name '.x' has empty label - ignoring", 7)]),
])
def test_dns_complaints(body: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(checker_block("DNS_CHECK", body)) == said


def test_dns_root_name_is_fine() -> None:
    assert only_checker("   name .\n", "DNS_CHECK").params == DnsParams("SOA", ".")


def test_udp_check() -> None:
    checker = only_checker("   payload 01 02 a0\n   require_reply 0x 5X\n"
                           "   min_reply_length 2\n   max_reply_length 100\n", "UDP_CHECK")
    assert checker.params == UdpParams(bytes.fromhex("0102a0"), True, bytes.fromhex("0050"),
                                       bytes.fromhex("0f0f"), 2, 100)
    bare = only_checker("   require_reply\n", "UDP_CHECK")
    assert bare.params == UdpParams(require_reply=True)


@pytest.mark.parametrize(("body", "said"), [
    ("   payload\n", [(G, "UDP_CHECK payload requires a payload", 7)]),
    ("   payload 01 ff\n", [(G, "Invalid hex string for UDP_CHECK payload", 7)]),
    ("   require_reply 3Z\n", [(G, "Invalid hex string for UDP_CHECK reply", 7)]),
    ("   min_reply_length 70000\n",
     [(N, "number '70000' outside range [0, 65535]", 7),
      (G, "UDP_CHECK min length 70000 not valid - must be between 0 & 65535", 7)]),
    ("   max_reply_length x\n", [(N, "invalid number 'x'", 7),
                                 (G, "UDP_CHECK max length x not valid - must be between 0"
                                     " & 65535", 7)]),
    ("   min_reply_length 9\n   max_reply_length 3\n",
     [(G, "UDP_CHECK min_reply length 9 > max_reply_length 3 - will always fail", 9)]),
])
def test_udp_complaints(body: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(checker_block("UDP_CHECK", body)) == said


TRACK = "track_file tf1 {\n file /run/tf1\n weight 4\n}\n"


def test_file_check() -> None:
    checker = only_checker("   track_file tf1\n   weight -3 reverse\n", "FILE_CHECK", TRACK)
    assert checker.params == FileParams("tf1", -3, True)
    plain = only_checker("   track_file tf1\n", "FILE_CHECK", TRACK)
    assert (plain.params, plain.launched) == (FileParams("tf1"), False)


@pytest.mark.parametrize(("body", "said"), [
    ("   track_file tf9\n", [(G, "track_file tf9 not found", 11),
                             (G, "FILE_CHECK has no track_file specified - ignoring", 12)]),
    ("   track_file tf1\n   weight\n", [(G, "track file weight missing", 12)]),
    ("   track_file tf1\n   weight 2147483648\n",
     [(N, "number '2147483648' outside integer range", 12),
      (G, "weight for track file must be in [-2147483647..2147483647] inclusive."
          " Ignoring...", 12)]),
    ("   track_file tf1\n   weight 3 sideways\n",
     [(G, "unknown track file weight option sideways - ignoring", 12)]),
    ("   track_file tf1\n   retry 3\n", [(Kind.UNKNOWN_KEYWORD, "Unknown keyword 'retry'", 12)]),
])
def test_file_check_complaints(body: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(TRACK + checker_block("FILE_CHECK", body)) == said


def test_file_check_needs_the_track_file_defined_before() -> None:
    text = checker_block("FILE_CHECK", "   track_file tf1\n") + TRACK
    assert located(text)[0] == (G, "track_file tf1 not found", 7)


BFD = "bfd_instance b1 {\n neighbor_ip 192.0.2.10\n}\n"


def test_bfd_check() -> None:
    checker = only_checker("   name b1\n   alpha\n", "BFD_CHECK", BFD)
    assert (checker.params, checker.alpha, checker.launched) == (BfdParams("b1"), True, False)


@pytest.mark.parametrize(("head", "body", "said"), [
    ("", "   name b1\n", [(G, "([192.0.2.10]:tcp:8080) BFD_CHECK - BFD b1 not configured", 7)]),
    (BFD, "", [(G, "([192.0.2.10]:tcp:8080) No name has been specified for BFD_CHECKER"
                   " - skipping", 10)]),
    (BFD, "   name b1 b2\n", [(G, "([192.0.2.10]:tcp:8080) BFD_CHECK - No or too many names"
                                   " specified - skipping checker", 10)]),
    (BFD, "   name b1\n   name b1\n",
     [(G, "([192.0.2.10]:tcp:8080) BFD_CHECK - BFD b1 already specified as b1", 11)]),
    (BFD + "bfd_instance b2 {\n neighbor_ip 192.0.2.11\n vrrp\n}\n", "   name b2\n",
     [(G, "([192.0.2.10]:tcp:8080) BFD_CHECK - BFD b2 not configured", 14)]),
    (BFD + BFD, "", [(G, "BFD b1 already specified", 4),
                     (G, "([192.0.2.10]:tcp:8080) No name has been specified for BFD_CHECKER"
                         " - skipping", 13)]),
])
def test_bfd_complaints(head: str, body: str, said: list[tuple[Kind, str, int]]) -> None:
    assert located(head + checker_block("BFD_CHECK", body)) == said


def test_one_bfd_per_real_server() -> None:
    text = BFD + vs(servers=rs("  BFD_CHECK {\n   name b1\n  }\n  BFD_CHECK {\n   name b1\n"
                               "  }\n"))
    assert errors(text) == [(G, "([192.0.2.10]:tcp:8080) BFD_CHECK - RS already monitoring b1",
                             13)]
