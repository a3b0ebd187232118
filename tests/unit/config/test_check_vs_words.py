"""virtual_server's ip_family and sorry_server_lvs_method, and BFD_CHECK's alpha: values
and keepalived 2.2.7's words. The literals are what `keepalived -t -f FILE` printed for
the same text (without its `FILE: ` part, which we print only for several files)."""

from __future__ import annotations

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model_check import Forwarding

from .checks import found, load

G = Kind.GENERAL_ERROR

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
