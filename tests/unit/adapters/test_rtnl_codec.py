"""rtnetlink bytes: round trips, real kernel messages, and malformed input that must fail cleanly.

The captured messages (rtnl_captured.json) were read from a real kernel by our own socket
in a network namespace (tests/netns/adapters/test_rtnl_iproute2.py writes them when
PYKEEPALIVED_CAPTURE_RTNL names a file, and checks a live capture the same way);
decoding them checks the codec against bytes it did not make itself.
"""

from __future__ import annotations

import contextlib
import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pykeepalived.adapters import rtnl_codec as rt
from pykeepalived.adapters.rtnl_codec import MalformedMessage
from tests.unit.adapters.rtnl_fixtures import CAPTURED, check_captured

attrs = st.lists(
    st.tuples(st.integers(0, rt.NLA_TYPE_MASK), st.binary(max_size=300)), max_size=12)


@given(attrs)
def test_rtattr_round_trip(items: list[tuple[int, bytes]]) -> None:
    packed = b"".join(rt.attr(kind, payload) for kind, payload in items)
    assert len(packed) % 4 == 0
    assert list(rt.split_attrs(packed)) == items


@given(st.lists(attrs, max_size=4))
def test_nested_rtattr_round_trip(nests: list[list[tuple[int, bytes]]]) -> None:
    packed = b"".join(
        rt.attr_nested(index | rt.NLA_F_NESTED, *(rt.attr(k, p) for k, p in items))
        for index, items in enumerate(nests))
    outer = list(rt.split_attrs(packed))
    assert [kind for kind, _ in outer] == list(range(len(nests)))  # NLA_F_NESTED masked
    assert [list(rt.split_attrs(payload)) for _, payload in outer] == nests


@given(st.lists(st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF),
                          st.integers(0, 2**32 - 1), st.binary(max_size=100)), max_size=5))
def test_messages_round_trip(items: list[tuple[int, int, int, bytes]]) -> None:
    datagram = b"".join(
        rt.message(kind, flags, seq, body) + bytes(rt.align(len(body)) - len(body))
        for kind, flags, seq, body in items)
    assert [(kind, flags, seq, body) for kind, flags, seq, _pid, body
            in rt.split_messages(datagram)] == items


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_malformed(data: bytes) -> None:
    """Garbage never loops and never raises anything but MalformedMessage."""
    with contextlib.suppress(MalformedMessage):
        rt.decode(data)


LINK = rt.message(rt.RTM_NEWLINK, 0, 1, rt.ifinfomsg(index=7)
                  + rt.attr_str(rt.IFLA_IFNAME, "vrrp.51")
                  + rt.attr_nested(rt.IFLA_LINKINFO, rt.attr_str(rt.IFLA_INFO_KIND, "macvlan"),
                                   rt.attr_nested(rt.IFLA_INFO_DATA,
                                                  rt.attr_u32(rt.IFLA_MACVLAN_MODE, 1))))


@given(st.lists(st.tuples(st.integers(0, len(LINK) - 1), st.integers(0, 255)), min_size=1,
                max_size=4))
def test_corrupted_real_messages_decode_or_raise_malformed(changes: list[tuple[int, int]]) -> None:
    """Bytes of a well-formed message overwritten (lengths included): no loop, no other error."""
    data = bytearray(LINK)
    for offset, value in changes:
        data[offset] = value
    with contextlib.suppress(MalformedMessage):
        rt.decode(bytes(data))


def test_every_truncation_of_a_message_is_malformed() -> None:
    whole = rt.message(rt.RTM_NEWADDR, 0, 1, rt.ifaddrmsg(family=rt.AF_INET, prefixlen=24)
                       + rt.attr_ip(rt.IFA_LOCAL, "192.0.2.1")
                       + rt.attr_str(rt.IFA_LABEL, "eth0:vip"))
    assert rt.decode(whole)[0]["IFA_LABEL"] == "eth0:vip"
    for cut in range(1, len(whole)):
        with pytest.raises(MalformedMessage):
            rt.decode(whole[:cut])


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x00" * 15, "shorter than nlmsghdr"),
        (struct.pack("=IHHII", 0, 16, 0, 1, 0), "nlmsg_len 0"),  # would never advance
        (struct.pack("=IHHII", 64, 16, 0, 1, 0), "nlmsg_len 64"),  # past the end
        (rt.message(rt.RTM_NEWLINK, 0, 1, b"\x00" * 8), "8 octets where 16"),
        (rt.message(rt.NLMSG_ERROR, 0, 1, b"\x00\x00"), "2 octets where 4"),
        (rt.message(rt.RTM_NEWADDR, 0, 1, rt.ifaddrmsg(family=2) + struct.pack("=HH", 0, 2)),
         "rta_len 0"),
        (rt.message(rt.RTM_NEWADDR, 0, 1, rt.ifaddrmsg(family=2) + struct.pack("=HH", 9, 2)
                    + b"\x01\x02"), "rta_len 9"),
        (rt.message(rt.RTM_NEWADDR, 0, 1, rt.ifaddrmsg(family=2) + rt.attr(rt.IFA_LOCAL, b"abc")),
         "3-octet address"),
        (rt.message(rt.RTM_NEWADDR, 0, 1, rt.ifaddrmsg(family=2) + b"\x05\x00"),
         "shorter than rtattr"),
    ],
)
def test_malformed_messages_say_why(data: bytes, why: str) -> None:
    with pytest.raises(MalformedMessage, match=why):
        rt.decode(data)


def test_link_message_round_trip() -> None:
    body = (rt.ifinfomsg(index=7, flags=0x1043, change=1)
            + rt.attr_str(rt.IFLA_IFNAME, "vrrp.51")
            + rt.attr_mac(rt.IFLA_ADDRESS, "00:00:5e:00:01:33")
            + rt.attr_u8(rt.IFLA_OPERSTATE, 6)
            + rt.attr_u32(rt.IFLA_LINK, 2)
            + rt.attr(999, b"unknown attributes are skipped")
            + rt.attr_nested(rt.IFLA_LINKINFO, rt.attr_str(rt.IFLA_INFO_KIND, "macvlan"),
                             rt.attr_nested(rt.IFLA_INFO_DATA,
                                            rt.attr_u32(rt.IFLA_MACVLAN_MODE, 1)))
            + rt.attr_nested(rt.IFLA_AF_SPEC, rt.attr_nested(
                rt.AF_INET6, rt.attr_u8(rt.IFLA_INET6_ADDR_GEN_MODE, 1))))
    (msg,) = rt.decode(rt.message(rt.RTM_NEWLINK, rt.NLM_F_MULTI, 9, body, pid=77))
    assert msg == {
        "event": "RTM_NEWLINK", "nlmsg_type": 16, "nlmsg_flags": rt.NLM_F_MULTI,
        "nlmsg_seq": 9, "nlmsg_pid": 77,
        "ifi_family": 0, "ifi_type": 0, "ifi_index": 7, "ifi_flags": 0x1043, "ifi_change": 1,
        "IFLA_IFNAME": "vrrp.51", "IFLA_ADDRESS": "00:00:5e:00:01:33", "IFLA_OPERSTATE": "UP",
        "IFLA_LINK": 2,
        "IFLA_LINKINFO": {"IFLA_INFO_KIND": "macvlan",
                          "IFLA_INFO_DATA": {"IFLA_MACVLAN_MODE": 1}},
        "IFLA_AF_SPEC": {"AF_INET6": {"IFLA_INET6_ADDR_GEN_MODE": 1}},
    }


def test_other_link_kinds_keep_their_data_undecoded() -> None:
    info = rt.attr_nested(rt.IFLA_LINKINFO, rt.attr_str(rt.IFLA_INFO_KIND, "veth"),
                          rt.attr(rt.IFLA_INFO_DATA, b"\x01\x02\x03\x04"))
    (msg,) = rt.decode(rt.message(rt.RTM_NEWLINK, 0, 1, rt.ifinfomsg(index=3) + info))
    assert msg["IFLA_LINKINFO"] == {"IFLA_INFO_KIND": "veth", "IFLA_INFO_DATA": b"\x01\x02\x03\x04"}


def test_error_ack_and_done() -> None:
    request = rt.message(rt.RTM_NEWADDR, rt.NLM_F_REQUEST, 5, b"")
    datagram = (rt.message(rt.NLMSG_ERROR, 0, 5, struct.pack("=i", -17) + request)
                + rt.message(rt.NLMSG_ERROR, 0, 6, struct.pack("=i", 0) + request)
                + rt.message(rt.NLMSG_DONE, rt.NLM_F_MULTI, 7, struct.pack("=i", 0))
                + rt.message(rt.NLMSG_DONE, rt.NLM_F_MULTI, 8, b""))
    assert [(m["event"], m["error"], m["nlmsg_seq"]) for m in rt.decode(datagram)] == [
        ("NLMSG_ERROR", 17, 5), ("NLMSG_ERROR", 0, 6), ("NLMSG_DONE", 0, 7), ("NLMSG_DONE", 0, 8),
    ]


def test_address_cacheinfo_and_flags() -> None:
    body = (rt.ifaddrmsg(family=rt.AF_INET6, prefixlen=128, flags=0x02, index=3)
            + rt.attr_ip(rt.IFA_ADDRESS, "2001:db8::100")
            + rt.attr_u32(rt.IFA_FLAGS, 0x2A2)
            + rt.attr(rt.IFA_CACHEINFO, rt.CACHEINFO.pack(0, rt.INFINITY_LIFE_TIME, 10, 20)))
    (msg,) = rt.decode(rt.message(rt.RTM_NEWADDR, 0, 0, body))
    assert (msg["IFA_ADDRESS"], msg["IFA_FLAGS"], msg["ifa_flags"]) == ("2001:db8::100", 0x2A2, 2)
    assert msg["IFA_CACHEINFO"] == {"ifa_preferred": 0, "ifa_valid": 0xFFFFFFFF,
                                    "cstamp": 10, "tstamp": 20}


def test_attribute_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        rt.attr(1, bytes(0x10000))


def test_captured_kernel_dumps_decode() -> None:
    """What a real kernel said about a namespace we set up (see rtnl_captured.json)."""
    check_captured(json.loads(CAPTURED.read_text()))
