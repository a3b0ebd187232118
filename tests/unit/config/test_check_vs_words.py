"""virtual_server's ip_family and sorry_server_lvs_method, and BFD_CHECK's alpha: values
and keepalived 2.2.7's words. The literals are what `keepalived -t -f FILE` printed for
the same text (without its `FILE: ` part, which we print only for several files)."""

from __future__ import annotations

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model_check import BfdParams, Forwarding

from .checks import found, load

G, N = Kind.GENERAL_ERROR, Kind.INVALID_NUMBER

FAMILIES_AND_SORRY = """\
bfd_instance b1 {
}
virtual_server 192.0.2.100 80 {
 protocol TCP
 lb_algo rr
 lb_kind NAT
 sorry_server_lvs_method DR
 ip_family inet4
 ip_family inet6
 sorry_server 192.0.2.50 80
 sorry_server_lvs_method TUN type gue port 6080 csum
 sorry_server_lvs_method XX
 sorry_server_lvs_method TUN type foo
 real_server 192.0.2.10 8080 {
  BFD_CHECK {
   name b1
   alpha maybe
  }
  BFD_CHECK {
   name nosuch
   alpha maybe
  }
 }
}
virtual_server 2001:db8::100 80 {
 ip_family inet
 protocol TCP
 real_server 2001:db8::10 80 {
 }
}
virtual_server fwmark 5 {
 ip_family inet6
 protocol TCP
 real_server 2001:db8::10 80 {
 }
}
"""

#: keepalived -t, in order, for the lines it reads (the validation pass's come after)
SAID = [
    (G, "sorry_server forwarding used without sorry_server", 7),
    (G, "unknown address family inet4", 8),
    (G, "Virtual server specified family inet6 conflicts with server family", 9),
    (G, "PARSER : unknown [XX] routing method for sorry server.", 12),
    (G, "Unknown tunnel type foo for sorry server.", 13),
    (G, "Invalid alpha parameter maybe", 17),
    (G, "([192.0.2.10]:tcp:8080) BFD_CHECK - BFD nosuch not configured", 20),
    (G, "Virtual server specified family inet conflicts with server family", 26),
]


def test_ip_family_sorry_forwarding_and_bfd_alpha_in_keepalived_s_words() -> None:
    result = load(FAMILIES_AND_SORRY)
    # the alpha of a dropped BFD_CHECK (line 21) is not read, as in keepalived
    assert [entry for entry in found(result) if entry[2] and entry[0] is G][:8] == SAID
    assert result.config is not None
    v4, v6, mark = result.config.virtual_servers
    # a conflicting ip_family keeps the address's family; a fwmark service takes it
    assert (v4.family, v6.family, mark.family) == (4, 6, 6)
    sorry = v4.sorry_server
    assert sorry is not None
    # an unknown method changes nothing; a bad tunnel option keeps TUN with the tunnel
    # values set before
    assert sorry.forwarding == Forwarding("TUN", "gue", 6080, "csum")


def test_a_sorry_server_method_is_its_own() -> None:
    result = load("virtual_server 192.0.2.100 80 {\n protocol TCP\n lb_kind NAT\n"
                  " sorry_server 192.0.2.50 80\n sorry_server_lvs_method DR\n"
                  " real_server 192.0.2.10 80 {\n }\n}\n")
    assert [e for e in found(result) if e[2]] == []
    assert result.config is not None
    vs, = result.config.virtual_servers
    assert vs.sorry_server is not None
    assert (vs.sorry_server.forwarding, vs.forwarding.method) == (Forwarding("DR"), "NAT")


def test_a_bfd_check_s_alpha_is_kept() -> None:
    result = load("bfd_instance b1 {\n}\nvirtual_server 192.0.2.100 80 {\n protocol TCP\n"
                  " real_server 192.0.2.10 80 {\n  BFD_CHECK {\n   name b1\n   alpha\n  }\n"
                  "  BFD_CHECK {\n   name b1\n   alpha no\n  }\n }\n}\n")
    assert result.config is not None
    rs, = result.config.virtual_servers[0].real_servers
    assert [(c.kind, c.alpha) for c in rs.checkers] == [("BFD_CHECK", True)]
    assert (G, "([192.0.2.10]:tcp:80) BFD_CHECK - RS already monitoring b1", 11) in found(result)


def _granularity(head: str, word: str, rs: str = "192.0.2.10") -> tuple[
        list[tuple[Kind, str, int]], int | None, int | None, int]:
    result = load(f"{head} {{\n protocol TCP\n persistence_granularity {word}\n"
                  f" real_server {rs} 80 {{\n }}\n}}\n")
    assert result.config is not None
    said = [e for e in found(result) if e[2]]
    if not result.config.virtual_servers:
        return said, None, None, 0
    vs, = result.config.virtual_servers
    return said, vs.persistence_granularity, vs.family, vs.persistence_timeout


@pytest.mark.parametrize(("word", "mask"), [
    ("255.255.255.0", 0xFFFFFF00), ("0xffffff00", 0xFFFFFF00), ("0XFFFF0000", 0xFFFF0000),
    ("255.16776960", 0xFFFFFF00), ("255.255.65280", 0xFFFFFF00),
    ("0377.0377.0.0", 0xFFFF0000), ("4294967040", 0xFFFFFF00), ("0", 0), ("00", 0),
])
def test_an_ipv4_granularity_is_read_as_inet_aton_reads_it(word: str, mask: int) -> None:
    # and a granularity without persistence_timeout sets keepalived's default 360 s
    assert _granularity("virtual_server 192.0.2.100 80", word) == ([], mask, 4, 360)


@pytest.mark.parametrize("word", [
    "08.0.0.0", "0x.0.0.0", "1.2.3.4.5", "1..2", "256.0.0.0", "255.255.65536",
    "255.16777216", "4294967296", "255.255.255.256", "0x", "x", "ff.0.0.0",
])
def test_a_bad_ipv4_granularity_is_refused(word: str) -> None:
    said, mask, _, timeout = _granularity("virtual_server 192.0.2.100 80", word)
    assert said == [(G, f"Invalid IPv4 persistence_granularity specified - {word}", 3)]
    assert (mask, timeout) == (None, 0)


@pytest.mark.parametrize(("word", "said"), [
    ("64", []), ("128", []), ("1", []),
    ("0", [(N, "number '0' outside range [1, 128]", 3)]),
    ("129", [(N, "number '129' outside range [1, 128]", 3)]),
    ("x", [(N, "invalid number 'x'", 3)]),
    ("255.255.0.0", [(N, "invalid number '255.255.0.0'", 3)]),
])
def test_an_ipv6_granularity_is_a_prefix_length(word: str, said: list[tuple[Kind, str, int]]
                                                ) -> None:
    got, length, family, _ = _granularity("virtual_server 2001:db8::100 80", word,
                                          "2001:db8::10")
    if said:
        said = [*said, (G, f"Invalid IPv6 persistence_granularity specified - {word}", 3)]
    assert (got, length, family) == (said, None if said else int(word), 6)


def test_a_fwmark_service_takes_its_family_from_the_granularity() -> None:
    # a dotted mask makes it IPv4 (so an IPv6 real server is skipped), a number IPv6
    said, _, _, _ = _granularity("virtual_server fwmark 5", "255.255.0.0", "2001:db8::10")
    assert said == [(G, "Address family of virtual server and real server 2001:db8::10"
                        " don't match - skipping real server.", 5)]
    assert _granularity("virtual_server fwmark 5", "64", "2001:db8::10") == ([], 64, 6, 360)
    assert _granularity("virtual_server fwmark 5", "1", "2001:db8::10") == ([], 1, 6, 360)


@pytest.mark.parametrize(("word", "kept", "said"), [
    ("abcdefghijklmnop", "abcdefghijklmnop", []),
    ("abcdefghijklmnopq", "abcdefghijklmnop",
     [(G, "persistence_name too long, truncating - abcdefghijklmnopq", 3)]),
])
def test_a_persistence_engine_keeps_sixteen_characters(word: str, kept: str,
                                                       said: list[tuple[Kind, str, int]]
                                                       ) -> None:
    # IP_VS_PENAME_MAXLEN is 16: keepalived 2.2.7 takes a 16-character name silently
    result = load(f"virtual_server 192.0.2.100 80 {{\n protocol TCP\n persistence_engine {word}\n"
                  " real_server 192.0.2.10 80 {\n }\n}\n")
    assert result.config is not None
    assert ([e for e in found(result) if e[2]], result.config.virtual_servers[0]
            .persistence_engine) == (said, kept)


BFD_NAMES = """\
bfd_instance b1 {
 vrrp
 checker
}
bfd_instance b2 {
 vrrp
}
bfd_instance b1 {
}
bfd_instance abcdefghijklmnopqrstuvwxyz01234 {
}
bfd_instance abcdefghijklmnopqrstuvwxyz012345 {
}
virtual_server 192.0.2.100 80 {
 protocol TCP
 real_server 192.0.2.10 80 {
  BFD_CHECK {
   name b1
  }
  BFD_CHECK {
   name b2
  }
  BFD_CHECK {
   name
  }
  BFD_CHECK {
   name nosuch
   name b1
  }
  BFD_CHECK {
   name abcdefghijklmnopqrstuvwxyz012345
  }
  BFD_CHECK {
   name abcdefghijklmnopqrstuvwxyz01234
  }
 }
}
"""


def test_bfd_instance_and_bfd_check_names_in_keepalived_s_words() -> None:
    result = load(BFD_NAMES)
    rs = "([192.0.2.10]:tcp:80) BFD_CHECK - "
    # a bfd_instance for `vrrp` only is not the checker's; the name after a refused one
    # is not read; 31 characters is the longest name
    assert [e for e in found(result) if e[2] and e[0] is G] == [
        (G, "BFD b1 already specified", 8),
        (G, f"{rs}BFD b2 not configured", 21),
        (G, f"{rs}No or too many names specified - skipping checker", 24),
        (G, f"{rs}BFD nosuch not configured", 27),
        (G, f"{rs}BFD name abcdefghijklmnopqrstuvwxyz012345 too long", 31),
    ]
    assert result.config is not None
    checkers = result.config.virtual_servers[0].real_servers[0].checkers
    assert [c.params for c in checkers] == [BfdParams("b1"),
                                            BfdParams("abcdefghijklmnopqrstuvwxyz01234")]


MISSING = "*** Configuration line starting `{0}` is missing a parameter after keyword `{0}`" \
          " at word position 2"


@pytest.mark.parametrize(("lines", "keyword"), [
    (" ip_family\n", "ip_family"), (" persistence_engine\n", "persistence_engine"),
    (" persistence_granularity\n", "persistence_granularity"), (" lb_algo\n", "lb_algo"),
    (" protocol\n", "protocol"), (" lb_kind\n", "lb_kind"),
    (" sorry_server 192.0.2.50 80\n sorry_server_lvs_method\n", "sorry_server_lvs_method"),
    (" real_server 192.0.2.10 80 {\n  DNS_CHECK {\n   type\n", "type"),
    (" real_server 192.0.2.10 80 {\n  DNS_CHECK {\n   name\n", "name"),
    (" real_server 192.0.2.10 80 {\n  UDP_CHECK {\n   min_reply_length\n",
     "min_reply_length"),
    (" real_server 192.0.2.10 80 {\n  TCP_CHECK {\n   connect_port\n", "connect_port"),
    (" real_server 192.0.2.10 80 {\n  TCP_CHECK {\n   delay_before_retry\n",
     "delay_before_retry"),
    (" real_server 192.0.2.10 80 {\n  TCP_CHECK {\n   retry\n", "retry"),
    (" real_server 192.0.2.10 80 {\n  TCP_CHECK {\n   fwmark\n", "fwmark"),
    (" real_server 192.0.2.10 80 {\n  TCP_CHECK {\n   bind_if\n", "bind_if"),
    (" real_server 192.0.2.10 80 {\n  MISC_CHECK {\n   misc_timeout\n", "misc_timeout"),
    (" real_server 192.0.2.10 80 {\n  FILE_CHECK {\n   track_file\n", "track_file"),
    (" weight\n", "weight"), (" quorum\n", "quorum"), (" sorry_server\n", "sorry_server"),
])
def test_a_virtual_server_or_checker_keyword_without_its_value_stops_the_test(
        lines: str, keyword: str) -> None:
    # keepalived -t says this on the keyword's line and exits 2 (the aborted load)
    text = "virtual_server 192.0.2.100 80 {\n protocol TCP\n" + lines
    result = load(text + "  }\n }\n}\n")
    line = text.count("\n")
    assert (Kind.MISSING_PARAMETER, MISSING.format(keyword), line) in found(result)
    assert result.aborted


def test_group_range_ends_in_keepalived_s_words() -> None:
    result = load("virtual_server_group G {\n 192.0.2.1-192.0.2.300 80\n"
                  " 192.0.2.1-192.0.2.3-5 80\n 2001:db8::1-::ffff:192.0.2.3 80\n"
                  " 192.0.2.1-2001:db8::1:192.0.2.3 80\n}\n")
    # keepalived -t says nothing on line 3 (the end is read up to its own '-')
    assert [e for e in found(result) if e[2]] == [
        (G, "Invalid range end 192.0.2.1-192.0.2.300 - skipping", 2),
        (G, "Address range end is less than address range start"
            " - 2001:db8::1-::ffff:192.0.2.3 - skipping", 4),
        (G, "Invalid virtual server group IP address 192.0.2.1-2001:db8::1:192.0.2.3 /port/80"
            " - skipping", 5),
    ]


FWMARK_FAMILIES = """\
virtual_server fwmark 1 {
 sorry_server 2001:db8::50 80
}
virtual_server fwmark 2 {
 real_server 192.0.2.10 80 {
 }
 sorry_server 2001:db8::50 80
}
virtual_server fwmark 3 {
 lb_kind TUN
 sorry_server 2001:db8::50 80
 real_server 192.0.2.10 80 {
 }
}
virtual_server fwmark 4 {
 lb_kind TUN
 real_server 192.0.2.10 80 {
 }
 real_server 2001:db8::10 80 {
 }
}
virtual_server fwmark 5 {
 quorum 0
 persistence_timeout
 real_server 192.0.2.10 80 {
 }
}
virtual_server fwmark 6 {
 sorry_server 192.0.2.50 99999
 sorry_server 192.0.2.51 8080
 lb_kind DR
 real_server 192.0.2.10 80 {
 }
}
"""


def test_a_fwmark_service_s_family_and_its_sorry_server() -> None:
    result = load(FWMARK_FAMILIES)
    # keepalived -t's words; the families are vs_end_handler's (check_parser.c): a sorry
    # server that is not tunnelled must fit the family, tunnelled servers of both
    # families leave IPv4
    assert [e for e in found(result) if e[2]] == [
        (G, "Address family of virtual server and sorry server 2001:db8::50 don't match"
            " - skipping sorry server.", 8),
        (N, "number '0' outside range [1, 4294967295]", 23),
        (G, "Quorum 0 must be in [1, 4294967295]. Setting to 1.", 23),
        (N, "number '99999' outside range [1, 65535]", 29),
        (G, "Invalid sorry server IP address 192.0.2.50 - skipping", 29),
    ]
    # the quorum fallback is 1, so no "exceeds total weight" warning follows (none in -t)
    assert not [e for e in found(result) if "quorum" in e[1] and not e[2]]
    assert result.config is not None
    assert [(v.fwmark, v.family, str(v.sorry_server.address) if v.sorry_server else None,
             v.quorum, v.persistence_timeout) for v in result.config.virtual_servers] == [
        (2, 4, None, 1, 0), (3, 4, "2001:db8::50", 1, 0), (4, 4, None, 1, 0),
        (5, 4, None, 1, 360), (6, 4, "192.0.2.51", 1, 0)]
    sorry = result.config.virtual_servers[1].sorry_server
    assert sorry is not None
    assert sorry.forwarding == Forwarding("TUN")


def test_a_virtual_server_with_a_bad_port_is_skipped_with_its_servers() -> None:
    result = load("virtual_server 192.0.2.100 99999 {\n real_server 192.0.2.10 80 {\n }\n}\n"
                  "virtual_server 192.0.2.101 80 {\n protocol TCP\n"
                  " real_server 192.0.2.10 80 {\n }\n}\n")
    assert [e for e in found(result) if e[2]] == [
        (N, "number '99999' outside range [1, 65535]", 1),
        (G, "Invalid virtual server IP address/port 192.0.2.100/99999 - skipping", 1)]
    assert result.config is not None
    assert [str(v) for v in result.config.virtual_servers] == ["[192.0.2.101]:tcp:80"]


def test_ip_family_inet_makes_a_fwmark_service_ipv4() -> None:
    result = load("virtual_server fwmark 5 {\n ip_family inet\n real_server 192.0.2.10 80 {\n"
                  " }\n}\n")
    assert [e for e in found(result) if e[2]] == []
    assert result.config is not None
    assert [(v.family, len(v.real_servers)) for v in result.config.virtual_servers] == [(4, 1)]


def test_a_tunnelled_fwmark_service_takes_its_family_from_its_servers() -> None:
    # vs_end_handler: IPv6 tunnelled real servers only make it IPv6; a sorry server that
    # is not tunnelled sets the family first (keepalived -t says nothing for either)
    result = load("virtual_server fwmark 7 {\n lb_kind TUN\n real_server 2001:db8::10 80 {\n"
                  " }\n real_server 2001:db8::11 80 {\n }\n}\n"
                  "virtual_server fwmark 8 {\n lb_kind NAT\n sorry_server 2001:db8::50 0\n"
                  " lb_kind TUN\n real_server 192.0.2.10 0 {\n }\n}\n")
    assert [e for e in found(result) if e[2]] == []
    assert result.config is not None
    assert [(v.fwmark, v.family, len(v.real_servers))
            for v in result.config.virtual_servers] == [(7, 6, 2), (8, 6, 1)]


def test_ip_family_inet6_holds_for_a_tunnelled_ipv4_server() -> None:
    # a tunnelled real server does not set the family, so ip_family's is the one kept
    result = load("virtual_server fwmark 9 {\n ip_family inet6\n lb_kind TUN\n"
                  " real_server 192.0.2.10 0 {\n }\n}\n")
    assert [e for e in found(result) if e[2]] == []
    assert result.config is not None
    assert [(v.family, len(v.real_servers)) for v in result.config.virtual_servers] == [(6, 1)]


TUNNELLED_AND_DROPPED = """\
virtual_server fwmark 11 {
 lb_kind TUN
 sorry_server 192.0.2.50 0
 real_server 2001:db8::10 0 {
 }
}
virtual_server fwmark 12 {
 lb_kind TUN
 sorry_server 2001:db8::50 0
}
virtual_server group G {
 lb_kind TUN
 real_server 2001:db8::10 80 {
 }
}
virtual_server_group G {
 fwmark 9
}
virtual_server 192.0.2.100 80 {
 protocol TCP
 real_server 192.0.2.10 80 {
  MISC_CHECK {
   user nosuchuser
   misc_timeout x
   user nosuchuser
   misc_path /bin/true
  }
 }
}
"""


def test_tunnelled_families_groups_and_a_dropped_misc_check_s_later_keywords() -> None:
    result = load(TUNNELLED_AND_DROPPED)
    # keepalived -t: only the first user line of the dropped MISC_CHECK is reported (its
    # later keywords do nothing), FWM 12 has no real servers
    assert [e for e in found(result) if e[2]] == [
        (G, "Failed to set uid/gid for misc checker script  - removing", 23)]
    assert result.config is not None
    # vs_end_handler: tunnelled servers of both families (a sorry one counts) leave IPv4;
    # a group's virtual server gets its family from the group, not from its servers
    assert [(str(v), v.family, [c.kind for rs in v.real_servers for c in rs.checkers])
            for v in result.config.virtual_servers] == [
        ("FWM 11", 4, []), ("[G]:0", None, []), ("[192.0.2.100]:tcp:80", 4, [])]
