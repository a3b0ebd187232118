"""Instance building and keepalived's cross checks, on fake host facts (no I/O)."""

from __future__ import annotations

from pykeepalived.config.diagnostics import Kind, config_status, exit_code
from pykeepalived.config.host import HostFacts, ScriptFacts
from pykeepalived.config.load import LoadResult, load_text

HOST = HostFacts(interfaces=frozenset({"lo", "eth0"}))


def load(text: str, host: HostFacts = HOST) -> LoadResult:
    return load_text(text, path="k.conf", config_id="node1", host=host)


def instance(body: str, *, head: str = "") -> str:
    return (head + "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
            " virtual_ipaddress {\n  192.0.2.10/24\n }\n" + body + "}\n")


def messages(result: LoadResult) -> list[str]:
    return [d.render() for d in result.diagnostics]


def verdict(result: LoadResult) -> int:
    return exit_code(config_status(list(result.diagnostics)))


def test_minimal_instance_defaults() -> None:
    result = load(instance(""))
    assert result.diagnostics == ()
    assert result.config is not None
    vi = result.config.instances[0]
    assert (vi.state, vi.priority, vi.version, vi.advert_int_us, vi.family) == (
        "BACKUP", 100, 2, 1_000_000, 4)
    assert vi.location.line == 1


def test_out_of_range_vrid_names_file_and_line_and_drops_instance() -> None:
    result = load(instance(" virtual_router_id 300\n"))
    assert messages(result) == [
        "(k.conf: Line 7) number '300' outside range [1, 255]",
        "(k.conf: Line 7) (VI_1): VRID '300' not valid - must be between 1 & 255",
    ]
    assert verdict(result) == 5


def test_missing_vrid() -> None:
    result = load("vrrp_instance VI_3 {\n interface eth0\n"
                  " virtual_ipaddress {\n 192.0.2.3\n }\n}\n")
    assert "(VI_3) the virtual router id must be set" in messages(result)[0]
    assert result.config is not None
    assert result.config.instances == ()


def test_unknown_keyword_and_parsing_continues() -> None:
    result = load(instance(" foo bar\n priority 90\n"))
    assert messages(result) == ["(k.conf: Line 7) Unknown keyword 'foo'"]
    assert result.config is not None
    assert result.config.instances[0].priority == 90
    assert result.diagnostics[0].kind is Kind.UNKNOWN_KEYWORD


def test_unknown_state_defaults_to_backup() -> None:
    result = load(instance(" state EQUAL\n"))
    assert messages(result) == [
        "(k.conf: Line 7) (VI_1) unknown state 'EQUAL', defaulting to BACKUP"]


def test_state_master_without_priority_is_owner() -> None:
    result = load(instance(" state MASTER\n"))
    assert result.config is not None
    assert result.config.instances[0].priority == 255


def test_v2_fractional_advert_int_is_rounded() -> None:
    result = load(instance(" advert_int 1.5\n"))
    assert messages(result) == [
        "(VI_1) VRRPv2 advertisement interval 1.500000s must be an integer. rounding"]
    assert result.config is not None
    assert result.config.instances[0].advert_int_us == 2_000_000


def test_ipv6_vips_force_version_3_and_centisecond_advert() -> None:
    text = ("vrrp_instance VI_6 {\n interface eth0\n virtual_router_id 66\n advert_int 0.5\n"
            " virtual_ipaddress {\n  2001:db8::66/64\n }\n}\n")
    result = load(text)
    assert result.diagnostics == ()
    assert result.config is not None
    vi = result.config.instances[0]
    assert (vi.version, vi.family, vi.advert_int_us) == (3, 6, 500_000)


def test_mixed_family_vip_is_ignored() -> None:
    result = load(instance(" virtual_ipaddress {\n  2001:db8::1/64\n }\n"))
    assert messages(result) == [
        "(k.conf: Line 8) (VI_1): address family must match VRRP instance"
        " [2001:db8::1/64] - ignoring"]


def test_auth_pass_truncated_and_ignored_for_v3() -> None:
    auth = " authentication {\n  auth_type PASS\n  auth_pass 123456789\n }\n"
    result = load(instance(auth))
    assert messages(result) == ["(k.conf: Line 9) Truncating auth_pass to 8 characters"]
    assert result.config is not None
    assert result.config.instances[0].authentication is not None
    assert result.config.instances[0].authentication.auth_pass == "12345678"
    v3 = load(instance(" version 3\n" + auth.replace("123456789", "1234")))
    assert messages(v3) == [
        "(VI_1) VRRP version 3 does not support authentication. Ignoring."]


def test_nopreempt_with_state_master_is_cleared() -> None:
    result = load(instance(" state MASTER\n priority 100\n nopreempt\n"))
    assert "(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing" in (
        messages(result)[0])
    assert result.config is not None
    assert not result.config.instances[0].nopreempt


def test_missing_interface_is_reported_and_bad_if() -> None:
    result = load(instance(" interface eth1\n"))
    assert messages(result) == [
        "(k.conf: Line 7) WARNING - interface eth1 for vrrp_instance VI_1 doesn't exist",
        "Non-existent interface specified in configuration",
    ]
    assert verdict(result) == 5


def test_loopback_refused() -> None:
    result = load(instance(" interface lo\n"))
    assert "(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring" in messages(result)[0]
    assert "(VI_1) Unknown interface!" in messages(result)[1]


def test_track_script_must_be_defined_before_use() -> None:
    script = 'vrrp_script chk {\n script "/x/chk.sh"\n}\n'
    host = HostFacts(interfaces=HOST.interfaces, scripts={"/x/chk.sh": ScriptFacts(True, True)})
    after = load(instance(" track_script {\n  chk\n }\n") + script, host)
    assert "(VI_1) track script chk not found, ignoring..." in messages(after)[0]
    before = load(script + instance(" track_script {\n  chk weight -20\n }\n"), host)
    assert before.config is not None
    ref = before.config.instances[0].track_scripts[0]
    assert (ref.name, ref.weight) == ("chk", -20)
    assert messages(before) == ["SECURITY VIOLATION - scripts are being executed but "
                                "script_security not enabled."]
    assert verdict(before) == 6


def test_missing_track_script_program_disables_it() -> None:
    text = 'vrrp_script chk {\n script "/nope.sh"\n}\n' + instance(" track_script {\n  chk\n }\n")
    result = load(text)
    assert messages(result) == ["Disabling track script chk since not found/accessible"]


def test_duplicate_vrid_on_same_interface() -> None:
    text = instance("") + instance("").replace("VI_1", "VI_2")
    result = load(text)
    assert messages(result) == ["VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0"]


def test_duplicate_vrid_on_another_group_or_family_is_fine() -> None:
    other_group = instance(" mcast_dst_ip 224.0.0.19\n").replace("VI_1", "VI_2")
    assert messages(load(instance("") + other_group)) == []
    v6 = instance("").replace("VI_1", "VI_2").replace("192.0.2.10/24", "2001:db8::10/64")
    assert messages(load(instance("") + v6)) == []


def test_unicast_duplicate_vrid_needs_the_same_source_and_a_shared_peer() -> None:
    def uni(name: str, src: str, peer: str) -> str:
        return instance(f" unicast_src_ip {src}\n unicast_peer {{\n  {peer}\n }}\n").replace(
            "VI_1", name)
    same = uni("VI_1", "192.0.2.60", "192.0.2.50") + uni("VI_2", "192.0.2.60", "192.0.2.50")
    assert messages(load(same)) == ["(VI_1) duplicate VRID conflict with VI_2 VRID 51"]
    other_src = uni("VI_1", "192.0.2.60", "192.0.2.50") + uni("VI_2", "192.0.2.61", "192.0.2.50")
    assert messages(load(other_src)) == []
    other_peer = uni("VI_1", "192.0.2.60", "192.0.2.50") + uni("VI_2", "192.0.2.60", "192.0.2.51")
    assert messages(load(other_peer)) == []


def test_sync_group_weights_ignored_and_dangling_member() -> None:
    text = ("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
            " virtual_ipaddress {\n  192.0.2.10/24\n }\n track_interface {\n  eth1\n }\n}\n"
            "vrrp_sync_group G {\n group {\n  VI_1\n  VI_9\n }\n}\n")
    host = HostFacts(interfaces=frozenset({"eth0", "eth1"}))
    result = load(text, host)
    assert messages(result) == [
        "(k.conf: Line 11) Virtual router VI_9 specified in sync group G doesn't exist - ignoring",
        "Sync group G has only 1 virtual router(s) - this probably isn't what you want",
    ]


def test_missing_parameter_aborts() -> None:
    result = load(instance(" priority\n"))
    assert result.aborted
    assert result.config is None
    assert messages(result) == ["(k.conf: Line 7) *** Configuration line starting `priority` is "
                                "missing a parameter after keyword `priority` at word position 2"]


def test_checker_keywords_are_recognised() -> None:
    text = ("virtual_server 192.0.2.1 80 {\n delay_loop 6\n lvs_sched rr\n protocol TCP\n"
            " lvs_method NAT\n"
            " real_server 192.0.2.2 80 {\n  weight 2\n  HTTP_GET {\n   url {\n    path /\n"
            "    status_code 200\n   }\n   connect_timeout 3\n  }\n }\n}\n")
    result = load(text)
    assert result.diagnostics == ()
    assert result.config is not None
    server = result.config.virtual_servers[0]
    assert server.real_servers[0].weight == 2
    assert server.real_servers[0].checkers[0].kind == "HTTP_GET"
