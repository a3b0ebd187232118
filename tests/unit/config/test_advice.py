"""pykeepalived's own `-t` advice: right facts, exact words, never a change of verdict."""

from __future__ import annotations

import functools
import shutil
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pykeepalived.cli import command as cli
from pykeepalived.cli import config_test
from pykeepalived.config.advice_peers import peer_advice
from pykeepalived.config.diagnostics import config_status, exit_code
from pykeepalived.config.host import HostFacts, ScriptFacts, interface_addresses
from pykeepalived.config.load import LoadResult, load_config, load_text, with_peer_advice

if TYPE_CHECKING:
    from pykeepalived.config.model import Config

DATA = Path(__file__).parent.parent.parent / "data" / "advice"
HOST = HostFacts(interfaces=frozenset({"lo", "eth0", "eth1"}),
                 scripts={"/bin/true": ScriptFacts(exists=True, executable=True)})
SCRIPT = 'vrrp_script chk {\n script "/bin/true"\n weight %d\n}\n'


def instance(priority: int, body: str = "", *, state: str = "BACKUP", vrid: int = 51,
             name: str = "VI_1", vip: str = "192.0.2.10/24") -> str:
    return (f"vrrp_instance {name} {{\n state {state}\n interface eth0\n"
            f" virtual_router_id {vrid}\n priority {priority}\n"
            f" virtual_ipaddress {{\n  {vip}\n }}\n{body}}}\n")


TRACK = " track_script {\n  chk\n }\n"


def load(text: str, path: str = "k.conf", host: HostFacts = HOST) -> LoadResult:
    return load_text(text, path=path, host=host)


def config(text: str, path: str = "peer.conf") -> Config:
    loaded = load(text, path)
    assert loaded.config is not None
    return loaded.config


def advice(text: str, host: HostFacts = HOST) -> list[tuple[int, str]]:
    return [(a.location.line if a.location else 0, a.message) for a in load(text, host=host).advice]


def weights(mine: str, *peers: str) -> list[str]:
    return [a.render() for a in peer_advice(config(mine, "k.conf"),
                                            [config(p, f"p{i}.conf") for i, p in
                                             enumerate(peers)])]


# --- the seed article's two weight rules, with peers known --------------------------------

def test_negative_weight_too_small_for_the_gap() -> None:
    assert weights(SCRIPT % -20 + instance(150, TRACK, state="MASTER"),
                   SCRIPT % -20 + instance(100, TRACK)) == [
        "(k.conf: Line 14) pykeepalived: track_script chk weight -20 can never move VI_1 off"
        " this node: when it fails, 150 - 20 = 130 is not below the peer's 100 (give a weight"
        " of at least -51)"]


@pytest.mark.parametrize("weight", [-51, -100])
def test_negative_weight_that_crosses_the_gap_is_fine(weight: int) -> None:
    assert weights(SCRIPT % weight + instance(150, TRACK), SCRIPT % weight
                   + instance(100, TRACK)) == []


def test_equal_priority_after_failure_does_not_preempt() -> None:
    found = weights(SCRIPT % -50 + instance(150, TRACK), instance(100))
    assert found[0].endswith("150 - 50 = 100 is not below the peer's 100 (give a weight of"
                             " at least -51)")


def test_positive_weight_both_nodes_track() -> None:
    assert weights(SCRIPT % 20 + instance(150, TRACK), SCRIPT % 20 + instance(100, TRACK)) == [
        "(k.conf: Line 14) pykeepalived: track_script chk weight 20 can never move VI_1 off"
        " this node: when it fails, 150 + 20 - 20 = 150 is not below the peer's 100 + 20"
        " = 120 (give a weight of at least 51)"]


def test_positive_weight_the_peer_does_not_track_needs_a_negative_one() -> None:
    found = weights(SCRIPT % 20 + instance(150, TRACK), instance(100))
    assert found[0].endswith("(no positive weight up to 253 can, as it also raises whoever"
                             " else tracks it; give a weight of at least -51)")


def test_positive_weight_that_makes_this_node_master_moves_it_back() -> None:
    assert weights(SCRIPT % 50 + instance(100, TRACK), instance(120)) == []


def test_the_best_of_several_peers_counts() -> None:
    mine = SCRIPT % -20 + instance(150, TRACK)
    assert weights(mine, instance(100), instance(140)) == []
    found = weights(mine, instance(100), instance(110))
    assert "is not below peer p1.conf's 110 (give a weight of at least -41)" in found[0]


def test_peer_trackers_are_judged_in_the_peer_file() -> None:
    found = weights(instance(100), "global_defs {\n router_id lb2\n}\n" + SCRIPT % -10
                    + instance(200, TRACK))
    assert found == [
        "(p0.conf: Line 17) pykeepalived: track_script chk weight -10 can never move VI_1 off"
        " peer lb2: when it fails, 200 - 10 = 190 is not below this node's 100 (give a weight"
        " of at least -101)"]


def test_a_nopreempt_backup_never_takes_over_whatever_the_weight() -> None:
    mine = SCRIPT % -100 + instance(150, TRACK + " nopreempt\n")
    assert weights(mine, instance(100, " nopreempt\n")) == [
        "(k.conf: Line 14) pykeepalived: track_script chk weight -100 can never move VI_1 off"
        " this node: the peer has nopreempt, and a backup with nopreempt never takes over"
        " from a live master whatever the priorities; use weight 0 so a failure sends VI_1 to"
        " FAULT and releases the VIP, or drop nopreempt on the backup"]
    found = weights(instance(100, " nopreempt\n"), SCRIPT % -10 + instance(150, TRACK))
    assert found[0].startswith("(k.conf: Line 1) pykeepalived: nopreempt on VI_1 does not")
    assert "off peer p0.conf: this node has nopreempt" in found[1]


def test_only_preempting_peers_can_receive_the_vip() -> None:
    mine = SCRIPT % -30 + instance(150, TRACK)
    assert weights(mine, instance(140, " nopreempt\n"), instance(100)) == [
        "(k.conf: Line 14) pykeepalived: track_script chk weight -30 can never move VI_1 off"
        " this node: when it fails, 150 - 30 = 120 is not below peer p1.conf's 100 (give a"
        " weight of at least -51)"]


def test_reverse_weight_lowers_while_the_script_succeeds() -> None:
    text = 'vrrp_script chk {\n script "/bin/true"\n weight 10 reverse\n}\n'
    found = weights(text + instance(150, TRACK), instance(100))
    assert "weight 10 reverse can never move VI_1 off this node: while it succeeds" \
           " (reverse), 150 - 10 = 140" in found[0]


def test_per_instance_weight_override_counts() -> None:
    body = " track_script {\n  chk weight -60\n }\n"
    assert weights(SCRIPT % -20 + instance(150, body), instance(100)) == []


def test_backups_and_unmatched_instances_are_not_judged() -> None:
    assert weights(SCRIPT % -5 + instance(100, TRACK), instance(150)) == []
    assert weights(SCRIPT % -5 + instance(150, TRACK), instance(100, vrid=52)) == []


def test_without_peers_no_gap_is_guessed() -> None:
    assert advice(SCRIPT % -1 + instance(254, TRACK)) == []


def test_track_interface_weight_is_judged_too() -> None:
    body = " track_interface {\n  eth1 weight -10\n }\n"
    found = weights(instance(150, body), instance(100))
    assert "track_interface eth1 weight -10 can never move VI_1" in found[0]


# --- weights one file can judge ----------------------------------------------------------

def test_weight_eaten_by_clamping() -> None:
    assert advice(SCRIPT % 20 + instance(250, TRACK)) == [
        (14, "track_script chk weight 20 moves VI_1's priority by only 4, not 20: keepalived"
             " keeps effective priorities within 1..254, so 270 is kept at 254")]
    assert advice(SCRIPT % -20 + instance(10, TRACK))[0][1].endswith("so -10 is kept at 1")


def test_weight_zero_script_faults_the_instance() -> None:
    assert advice(SCRIPT % 0 + instance(100, TRACK)) == [
        (14, "track_script chk has weight 0: while it fails, VI_1 goes to FAULT (it releases"
             " the VIP and stops advertising) instead of lowering its priority; give it a"
             " weight if you want the peers to take over by priority")]
    body = " track_script {\n  chk weight 0 reverse\n }\n"
    assert "while it succeeds (weight 0 reverse)" in advice(SCRIPT % -5 + instance(100, body))[0][1]


def test_weighted_script_of_a_sync_group_member_is_explained() -> None:
    text = (SCRIPT % -20 + instance(150, TRACK) + instance(150, vrid=52, name="VI_2")
            + "vrrp_sync_group G1 {\n group {\n  VI_1\n  VI_2\n }\n}\n")
    assert advice(text) == [
        (14, "track_script chk weight -20 is ignored and never runs for VI_1: VI_1 is in"
             " vrrp_sync_group G1, whose members move together, so keepalived drops weighted"
             " trackers there; use weight 0 (a failure sends the whole group to FAULT) or set"
             " sync_group_tracking_weight in G1")]
    allowed = text.replace(" group {", " sync_group_tracking_weight\n group {")
    assert advice(allowed) == []


def test_weighted_script_of_the_address_owner_is_explained() -> None:
    found = advice(SCRIPT % -20 + instance(255, TRACK, state="MASTER"))
    assert found == [(14, "track_script chk weight -20 is ignored and never runs for VI_1:"
                          " VI_1 has priority 255 (address owner), which never changes; use"
                          " weight 0 to send it to FAULT on failure, or a lower priority")]


# --- nopreempt ---------------------------------------------------------------------------

def test_nopreempt_with_state_master() -> None:
    assert advice(instance(150, " nopreempt\n", state="MASTER")) == [
        (1, "nopreempt has no effect on VI_1: keepalived ignores nopreempt with `state"
            " MASTER`; to stop a recovered node taking the VIP back, set `state BACKUP` and"
            " nopreempt on every node and let priority choose the first master")]
    assert advice(instance(150, " nopreempt\n")) == []


def test_nopreempt_undone_by_a_preempting_peer() -> None:
    mine = instance(100, " nopreempt\n")
    assert weights(mine, instance(150, state="MASTER")) == [
        "(k.conf: Line 1) pykeepalived: nopreempt on VI_1 does not stop peer p0.conf"
        " (priority 150 with state MASTER, no nopreempt) from taking the VIP back when it"
        " returns: nopreempt only acts on the node that would preempt; set `state BACKUP`"
        " and nopreempt on every node"]
    assert weights(mine, instance(150, " nopreempt\n")) == []
    assert weights(mine, instance(90)) == []


# --- strict mode -------------------------------------------------------------------------

STRICT = "global_defs {\n vrrp_strict\n}\n"


def test_vrrp_strict_implies_no_accept_loudly() -> None:
    found = advice(STRICT + instance(100))
    assert found == [(4, "WARNING: vrrp_strict turns accept mode off for VI_1: as MASTER with"
                         " priority 100 (not the address owner, 255) it installs a firewall"
                         " rule that drops every packet sent to 192.0.2.10, so ping, TCP and"
                         " UDP to the VIP get no answer (keepalived issue #474); if services"
                         " must answer on the VIP, use version 3 with `accept` (strict VRRPv2"
                         " refuses accept), or remove vrrp_strict")]


@pytest.mark.parametrize("body", [" no_accept\n", " version 3\n accept\n"])
def test_strict_with_an_explicit_accept_choice_is_quiet(body: str) -> None:
    assert advice(STRICT + instance(100, body)) == []


def test_strict_mode_per_instance_and_v2_accept_reset() -> None:
    found = advice(instance(100, " strict_mode\n accept\n"))
    assert found[0][1].startswith("WARNING: strict_mode turns accept mode off for VI_1")
    assert advice(STRICT + instance(255, state="MASTER")) == []


def test_strict_ipv6_first_vip_must_be_link_local() -> None:
    body = " version 3\n no_accept\n"
    found = advice(STRICT + instance(100, body, vip="2001:db8::10/64"))
    assert found == [(10, "VI_1's first IPv6 VIP 2001:db8::10 is not link-local: RFC 5798"
                          " §5.2.9 makes the first address of an IPv6 advert the link-local"
                          " address routers use as next hop, and strict mode enforces it;"
                          " list a fe80:: VIP first")]
    assert advice(STRICT + instance(100, body, vip="fe80::10/64")) == []
    assert advice(instance(100, body, vip="2001:db8::10/64")) == []


# --- scripts nobody tracks, unicast sources ---------------------------------------------

def test_script_tracked_by_nobody() -> None:
    assert advice(SCRIPT % -20 + instance(100)) == [
        (1, "vrrp_script chk is not in any track_script block, so keepalived never runs it;"
            " track it from a vrrp_instance or vrrp_sync_group, or remove it")]
    group = ("vrrp_sync_group G1 {\n group {\n  VI_1\n  VI_2\n }\n track_script {\n  chk\n"
             " }\n}\n")
    assert advice(SCRIPT % 0 + instance(100) + instance(100, vrid=52, name="VI_2") + group) == []


UNICAST = " unicast_src_ip 192.0.2.11\n unicast_peer {\n  192.0.2.12\n }\n"


def test_unicast_src_not_on_the_interface() -> None:
    here = ip_address("192.0.2.2")
    host = HostFacts(interfaces=HOST.interfaces, addresses={"eth0": frozenset({here})})
    assert advice(instance(100, UNICAST), host) == [
        (1, "unicast_src_ip 192.0.2.11 of VI_1 is not an address of eth0 on this host right"
            " now: keepalived cannot send adverts from it until it is added (it logs `bind"
            " unicast_src 192.0.2.11 failed 99`), and the peers expect adverts from it")]
    elsewhere = HostFacts(interfaces=HOST.interfaces, addresses={
        "eth0": frozenset({here}), "eth1": frozenset({ip_address("192.0.2.11")})})
    assert "not an address of eth0 on this host (it is on eth1) right now" in advice(
        instance(100, UNICAST), elsewhere)[0][1]


def test_unicast_src_on_the_interface_or_unknown_is_quiet() -> None:
    mine = HostFacts(interfaces=HOST.interfaces,
                     addresses={"eth0": frozenset({ip_address("192.0.2.11")})})
    assert advice(instance(100, UNICAST), mine) == []
    assert advice(instance(100, UNICAST)) == []  # addresses not gathered: no guess


@pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2 (`ip`)")
def test_interface_addresses_reads_this_host() -> None:
    found = interface_addresses()
    assert found is not None
    assert ip_address("127.0.0.1") in found["lo"]


# --- the `-t` contract: printed after keepalived's lines, exit code untouched ------------

@pytest.fixture
def fixed_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_test, "load_config", functools.partial(load_config, host=HOST))


@pytest.mark.usefixtures("fixed_host")
def test_cli_prints_advice_without_changing_the_exit_code(
        capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "lb1.conf")
    verdict = exit_code(config_status(list(load_config(path, host=HOST).diagnostics)))
    assert cli.main(["-t", "-f", path, "--peer-config", str(DATA / "lb2.conf")]) == verdict
    assert verdict == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [f"({path}: Line 21) pykeepalived: track_script chk_haproxy weight -20 can"
                   " never move VI_1 off this node: when it fails, 150 - 20 = 130 is not below"
                   " the peer's 100 (give a weight of at least -51)"]


@pytest.mark.usefixtures("fixed_host")
def test_cli_advice_follows_keepalived_diagnostics(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text(instance(150, " nopreempt\n frobnicate\n", state="MASTER"))
    assert cli.main(["-t", "-f", str(conf)]) == 5
    err = capsys.readouterr().err.splitlines()
    ours = [i for i, line in enumerate(err) if "pykeepalived:" in line]
    assert ours == [len(err) - 1]
    assert err[-1].startswith("(Line 1) pykeepalived: nopreempt has no effect on VI_1")


def test_unreadable_peer_is_said_not_fatal(tmp_path: Path) -> None:
    loaded = load_config(str(DATA / "lb1.conf"), host=HOST)
    found = with_peer_advice(loaded, [str(tmp_path / "missing.conf")])
    assert [a.message.split(":")[0] for a in found] == [
        f"peer config {tmp_path / 'missing.conf'} not used"]
