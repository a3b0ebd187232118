"""The captured kernel dumps (rtnl_captured.json) and what they must decode to.

Shared by the unit test that decodes the saved copy and the netns test that captures a
live one (and, with PYKEEPALIVED_CAPTURE_RTNL=path, saves it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pykeepalived.adapters import rtnl_codec as rt

CAPTURED = Path(__file__).with_name("rtnl_captured.json")


def check_captured(data: dict[str, Any]) -> None:
    """The dumps (hex datagrams) hold the objects `data` describes, decoded right."""
    links = [m for chunk in data["links"] for m in rt.decode(bytes.fromhex(chunk))]
    by_name = {m["IFLA_IFNAME"]: m for m in links if m["event"] == "RTM_NEWLINK"}
    assert by_name["lo"]["ifi_index"] == 1
    vmac = by_name[data["vmac"]["ifname"]]
    assert vmac["IFLA_ADDRESS"] == data["vmac"]["mac"]
    assert vmac["IFLA_LINKINFO"]["IFLA_INFO_KIND"] == "macvlan"
    assert vmac["IFLA_LINKINFO"]["IFLA_INFO_DATA"] == {"IFLA_MACVLAN_MODE": 1}
    assert vmac["IFLA_AF_SPEC"]["AF_INET6"]["IFLA_INET6_ADDR_GEN_MODE"] == 1
    addrs = [m for chunk in data["addresses"] for m in rt.decode(bytes.fromhex(chunk))]
    vip = next(m for m in addrs if m.get("IFA_LOCAL") == data["vip"]["address"])
    assert (vip["ifa_prefixlen"], vip.get("IFA_LABEL"), vip["IFA_BROADCAST"]) == (
        data["vip"]["prefixlen"], data["vip"]["label"], data["vip"]["broadcast"])
    vip6 = next(m for m in addrs if m.get("IFA_ADDRESS") == data["vip6"]["address"])
    assert vip6["IFA_CACHEINFO"]["ifa_preferred"] == 0
    assert vip6["IFA_FLAGS"] & 0x02  # nodad
    routes = [m for chunk in data["routes"] for m in rt.decode(bytes.fromhex(chunk))]
    route = next(m for m in routes if m.get("RTA_TABLE") == data["route"]["table"])
    assert (route["RTA_DST"], route["rtm_dst_len"], route["RTA_GATEWAY"]) == (
        data["route"]["dst"], data["route"]["dst_len"], data["route"]["gateway"])
    assert route["rtm_protocol"] == rt.RTPROT_KEEPALIVED
    rules = [m for chunk in data["rules"] for m in rt.decode(bytes.fromhex(chunk))]
    rule = next(m for m in rules if m.get("FRA_PRIORITY") == data["rule"]["priority"])
    assert (rule.get("FRA_TABLE"), rule["action"], rule.get("FRA_FWMARK")) == (
        data["rule"]["table"], rt.FR_ACT_TO_TBL, data["rule"]["fwmark"])
    assert all(m["event"] == "NLMSG_DONE" for m in (links[-1], addrs[-1], routes[-1], rules[-1]))
