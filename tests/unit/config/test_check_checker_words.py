"""Checker blocks in the fast suite: SMTP_CHECK's own connection beside its `host {}`
blocks, link-local destinations, DNS_CHECK names and bind_if lengths. The complaint
literals are what keepalived 2.2.7's `-t -f FILE` printed for the same text (without
its `FILE: ` part); which connections an SMTP_CHECK probes is keepalived's
smtp_check_end_handler (check_smtp.c)."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model_check import DnsParams, SmtpParams, UdpParams

from .checks import found, load

G = Kind.GENERAL_ERROR


def _smtp(own: str) -> str:
    return ("virtual_server 192.0.2.100 25 {\n protocol TCP\n real_server 192.0.2.10 25 {\n"
            f"  SMTP_CHECK {{\n   {own}\n   host {{\n    connect_ip 192.0.2.31\n   }}\n"
            "  }\n }\n}\n")


@pytest.mark.parametrize("own", [
    "connect_ip 192.0.2.30", "connect_port 2525", "bindto 192.0.2.1", "bind_port 4000",
    "bind_if eth0", "fwmark 7", "connect_timeout 3",
])
def test_an_smtp_check_s_own_connection_counts_when_any_of_it_is_set(own: str) -> None:
    result = load(_smtp(own))
    assert [e for e in found(result) if e[2]] == []
    assert result.config is not None
    checkers = result.config.virtual_servers[0].real_servers[0].checkers
    # the block's own connection first (at the SMTP_CHECK line), then the host's (its line)
    assert [(c.kind, c.location.line) for c in checkers] == [("SMTP_CHECK", 4),
                                                             ("SMTP_CHECK", 6)]
    mine, host = (c.connection for c in checkers)
    assert mine is not None
    assert host is not None
    assert host.address == ip_address("192.0.2.31")
    assert mine.address == (ip_address("192.0.2.30") if own.startswith("connect_ip") else None)
    assert all(c.params == SmtpParams("smtpchecker.keepalived.org") for c in checkers)


def test_an_smtp_check_with_only_hosts_probes_the_hosts() -> None:
    result = load(_smtp(""))
    assert result.config is not None
    checkers = result.config.virtual_servers[0].real_servers[0].checkers
    assert [(c.location.line, c.connection.address if c.connection else None)
            for c in checkers] == [(6, ip_address("192.0.2.31"))]


LINK_LOCAL = """\
virtual_server 2001:db8::100 25 {
 protocol TCP
 real_server fe80::10 25 {
  SMTP_CHECK {
   host {
   }
  }
  DNS_CHECK {
  }
  SMTP_CHECK {
   host {
    bind_if eth0
   }
  }
  SMTP_CHECK {
  }
  DNS_CHECK {
   bind_if eth0
   name a.b
   name x
  }
  DNS_CHECK {
   bind_if eth0
   name ab..c
   name abc.
  }
  DNS_CHECK {
   bind_if eth0
   name .abc
   name ab.c.de..f
   name ab.cd.e
  }
  TCP_CHECK {
   bind_if abcdefghijklmno
  }
  TCP_CHECK {
   bind_if abcdefghijklmnop
  }
 }
}
"""


def test_link_local_destinations_dns_names_and_interface_names() -> None:
    result = load(LINK_LOCAL)
    need = "Checker link local address fe80::10 requires a bind_if"
    # a host {} or a checker on a link-local real server needs bind_if (said at the
    # block's `}`); a DNS_CHECK name with an empty label is refused and the next one read;
    # an interface name has at most 15 characters
    assert [e for e in found(result) if e[2]] == [
        (G, need, 6), (G, need, 7), (G, need, 9), (G, need, 16),
        (G, "DNS_CHECK name 'a.b' has empty label - ignoring", 19),
        (G, "DNS_CHECK name 'ab..c' has empty label - ignoring", 24),
        (G, "DNS_CHECK name '.abc' has empty label - ignoring", 29),
        (G, "DNS_CHECK name 'ab.c.de..f' has empty label - ignoring", 30),
        (G, "Interface name abcdefghijklmnop is too long - ignoring", 37),
        (G, need, 38),
    ]
    assert result.config is not None
    checkers = result.config.virtual_servers[0].real_servers[0].checkers
    assert [(c.kind, c.params if c.kind == "DNS_CHECK" else None) for c in checkers] == [
        ("SMTP_CHECK", None), ("DNS_CHECK", DnsParams("SOA", "x")),
        ("DNS_CHECK", DnsParams("SOA", "abc.")), ("DNS_CHECK", DnsParams("SOA", "ab.cd.e")),
        ("TCP_CHECK", None)]
    assert checkers[-1].connection is not None
    assert checkers[-1].connection.bind_if == "abcdefghijklmno"


DROPPED_AND_HEX = """\
virtual_server_group G {
 0.0.0.0/1 80
 128.0.0.0/1 80
 192.0.2.1-192.0.2.1 80
}
virtual_server 192.0.2.100 80 {
 protocol UDP
 real_server 192.0.2.10 80 {
  MISC_CHECK {
   misc_path "/bin/true arg"
   user nosuchuser
   misc_timeout 5
   misc_path /bin/true
  }
  MISC_CHECK {
   user nosuchuser
   misc_path /bin/true
  }
  UDP_CHECK {
   payload 0102
   payload zz
   require_reply 0a0b
   require_reply zz
  }
 }
}
"""


def test_a_misc_check_without_its_user_is_removed_and_bad_hex_forgets_the_last() -> None:
    result = load(DROPPED_AND_HEX)
    assert [e for e in found(result) if e[2]] == [
        (G, "Failed to set uid/gid for misc checker script '/bin/true' 'arg' - removing", 11),
        (G, "Failed to set uid/gid for misc checker script  - removing", 16),
        (G, "Invalid hex string for UDP_CHECK payload", 21),
        (G, "Invalid hex string for UDP_CHECK reply", 23),
    ]
    assert result.config is not None
    # both MISC_CHECKs are gone (the first one's later misc_path changes nothing); a bad
    # payload or reply drops the one before, while require_reply stays on
    udp, = result.config.virtual_servers[0].real_servers[0].checkers
    assert isinstance(udp.params, UdpParams)
    assert (udp.params.payload, udp.params.require_reply, udp.params.reply) == (None, True,
                                                                                None)
    # a /1 block and a one-address full range are entries like any other
    group, = result.config.virtual_server_groups
    assert [(str(e.first), str(e.last), e.size) for e in group.entries] == [
        ("0.0.0.0", "127.255.255.255", 2 ** 31), ("128.0.0.0", "255.255.255.255", 2 ** 31),
        ("192.0.2.1", "192.0.2.1", 1)]


CONNECT_IP = """\
virtual_server 2001:db8::100 80 {
 protocol TCP
 real_server fe80::10 80 {
  TCP_CHECK {
   connect_ip 2001:db8::300
   connect_ip xx
  }
  TCP_CHECK {
   connect_ip 2001:db8::300
   bindto 192.0.2.1
   bindto 2001:db8::1
   connect_ip 192.0.2.5
  }
  TCP_CHECK {
   connect_ip xx
   bindto 192.0.2.1
  }
 }
}
virtual_server_group G {
 192.0.2.1-2.3 80
 2001:db8::-5 80
 192.0.2.1-.5 80
}
"""


def test_a_bad_connect_ip_forgets_the_address_and_its_family() -> None:
    result = load(CONNECT_IP)
    # after a bad connect_ip the destination has no family: the link-local real server
    # then needs no bind_if, and any bindto family fits
    assert [e for e in found(result) if e[2]] == [
        (G, "Invalid connect_ip address xx - ignoring", 6),
        (G, "bindto address 192.0.2.1 does not match address family of connect_ip"
            " - skipping", 10),
        (G, "connect_ip address 192.0.2.5 does not match address family of bindto"
            " - skipping", 12),
        (G, "Invalid connect_ip address xx - ignoring", 15),
        (G, "Invalid range end 192.0.2.1-2.3 - skipping", 21),
        (G, "Invalid range end 192.0.2.1-.5 - skipping", 23),
    ]
    assert result.config is not None
    checkers = result.config.virtual_servers[0].real_servers[0].checkers
    assert [(c.connection.address, c.connection.bind_address) if c.connection else None
            for c in checkers] == [(None, None), (None, ip_address("2001:db8::1")),
                                   (None, ip_address("192.0.2.1"))]
    group, = result.config.virtual_server_groups
    assert [(str(e.first), str(e.last)) for e in group.entries] == [("2001:db8::",
                                                                     "2001:db8::5")]


def test_a_checker_of_a_virtual_server_without_protocol_names_it_none() -> None:
    result = load("virtual_server 192.0.2.100 80 {\n real_server 192.0.2.10 80 {\n"
                  "  BFD_CHECK {\n   name nosuch\n  }\n }\n}\n"
                  "virtual_server fwmark 7 {\n real_server 192.0.2.10 80 {\n  BFD_CHECK {\n"
                  "  }\n }\n}\n")
    assert [e for e in found(result) if e[2]] == [
        (G, "([192.0.2.10]:none:80) BFD_CHECK - BFD nosuch not configured", 4),
        (G, "([192.0.2.10]:none:80) No name has been specified for BFD_CHECKER - skipping",
         11),
    ]
