"""Which MIBs the subagent serves and where snmpd is: keepalived's keywords and flags."""

from __future__ import annotations

from pykeepalived.config.load import load_text
from pykeepalived.config.model import GlobalDefs
from pykeepalived.specs.snmp import DEFAULT_SOCKET, AgentxAddress, agentx_address, snmp_spec


def test_socket_spellings() -> None:
    assert agentx_address(None) == AgentxAddress(path=DEFAULT_SOCKET)
    assert agentx_address("unix:/run/x") == AgentxAddress(path="/run/x")
    assert agentx_address("/run/y") == AgentxAddress(path="/run/y")
    assert agentx_address("tcp:127.0.0.1:705") == AgentxAddress(host="127.0.0.1", port=705)
    assert agentx_address("localhost:7050") == AgentxAddress(host="localhost", port=7050)
    assert agentx_address("tcp:[::1]:705") == AgentxAddress(host="::1", port=705)
    assert str(agentx_address("tcp:h:1")) == "tcp:h:1"


def test_no_mib_no_subagent_and_traps_alone_are_not_enough() -> None:
    assert snmp_spec(GlobalDefs()) is None
    assert snmp_spec(GlobalDefs(enable_traps=True)) is None


def test_dash_x_turns_every_mib_on_and_dash_a_wins() -> None:
    spec = snmp_spec(GlobalDefs(snmp_socket="/from/config"), option=True, socket="/from/flag")
    assert spec is not None
    assert (spec.vrrp, spec.rfcv2, spec.rfcv3, spec.checker) == (True, True, True, True)
    assert spec.address == AgentxAddress(path="/from/flag")
    assert spec.traps is False


def test_keywords_reach_the_spec() -> None:
    text = ("global_defs {\n enable_snmp_keepalived\n enable_snmp_rfc\n enable_traps\n"
            " snmp_socket tcp:127.0.0.1:705\n}\n")
    result = load_text(text, path="k.conf")
    assert result.config is not None
    g = result.config.global_defs
    assert (g.enable_snmp_vrrp, g.enable_snmp_rfcv2, g.enable_snmp_rfcv3) == (True, True, True)
    spec = snmp_spec(g)
    assert spec is not None
    assert spec.vrrp_side
    assert spec.traps
    assert not spec.checker
    assert spec.address == AgentxAddress(host="127.0.0.1", port=705)
    checker_only = snmp_spec(GlobalDefs(enable_snmp_checker=True))
    assert checker_only is not None
    assert not checker_only.vrrp_side
