"""The AgentX codec and the sans-I/O subagent session (RFC 2741)."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from pykeepalived.observe import snmp_agentx as ax
from pykeepalived.observe.snmp_agentx import (
    Header,
    MibView,
    PduType,
    SearchRange,
    Session,
    SessionState,
    Value,
    ValueType,
    VarBind,
)

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)


def test_oid_uses_the_internet_prefix_as_rfc_2741_shows() -> None:
    """RFC 2741 5.1: 1.3.6.1.2.1.1.1.0 is n_subid 4, prefix 2, then 1.1.1.0."""
    pdu = ax.response_pdu(Header(PduType.GET), [VarBind(SYS_DESCR, ax.integer(7))])
    body = pdu[ax.HEADER_SIZE + 8:]
    assert body[:4] == struct.pack("!HH", ValueType.INTEGER, 0)
    assert body[4:8] == bytes([4, 2, 0, 0])
    assert body[8:24] == struct.pack("!IIII", 1, 1, 1, 0)
    assert body[24:28] == struct.pack("!I", 7)


def test_octet_strings_are_padded_to_four_bytes() -> None:
    pdu = ax.response_pdu(Header(PduType.GET), [VarBind((1, 2), ax.octets("foo"))])
    assert pdu.endswith(struct.pack("!I", 3) + b"foo\x00")
    assert ax.payload_length(pdu[:20]) == len(pdu) - 20


def test_header_carries_ids_and_length_in_network_order() -> None:
    pdu = ax.ping_pdu(Header(PduType.PING, session_id=5, transaction_id=6, packet_id=7))
    assert pdu == bytes([1, PduType.PING, ax.NETWORK_BYTE_ORDER, 0]) + struct.pack(
        "!IIII", 5, 6, 7, 0)


_SUBID = st.integers(0, 2**32 - 1)
_OIDS = st.lists(_SUBID, min_size=1, max_size=12).map(tuple)
_VALUES = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(ax.integer),
    st.integers(0, 2**32 - 1).map(ax.gauge),
    st.integers(0, 2**32 - 1).map(ax.counter),
    st.integers(0, 2**64 - 1).map(ax.counter64),
    st.integers(0, 2**32 - 1).map(ax.ticks),
    st.binary(max_size=40).map(ax.octets),
    st.binary(min_size=4, max_size=4).map(ax.ip_address),
    _OIDS.map(ax.object_id),
    st.sampled_from([Value(ValueType.NULL), Value(ValueType.END_OF_MIB_VIEW),
                     Value(ValueType.NO_SUCH_OBJECT)]),
)


@given(st.lists(st.builds(VarBind, _OIDS, _VALUES), max_size=8),
       st.integers(0, 2**32 - 1), st.integers(0, 65535))
def test_response_round_trips(varbinds: list[VarBind], uptime: int, error: int) -> None:
    header = Header(PduType.GET, session_id=9, transaction_id=10, packet_id=11)
    decoded = ax.decode(ax.response_pdu(header, varbinds, uptime=uptime, error=error))
    assert decoded.header == Header(PduType.RESPONSE, ax.NETWORK_BYTE_ORDER, 9, 10, 11)
    assert (decoded.uptime, decoded.error) == (uptime, error)
    assert list(decoded.varbinds) == varbinds


@given(st.lists(st.builds(SearchRange, _OIDS, _OIDS, st.booleans()), max_size=6))
def test_get_next_ranges_round_trip(ranges: list[SearchRange]) -> None:
    decoded = ax.decode(ax.get_pdu(Header(PduType.GET_NEXT), ranges))
    assert list(decoded.ranges) == ranges


def test_little_endian_pdus_decode_too() -> None:
    """A master may send its own byte order (NETWORK_BYTE_ORDER clear)."""
    oid = struct.pack("<BBBBII", 2, 0, 1, 0, 1, 3) + struct.pack("<BBBB", 0, 0, 0, 0)
    header = bytes([1, PduType.GET, 0, 0]) + struct.pack("<IIII", 3, 4, 5, len(oid))
    decoded = ax.decode(header + oid)
    assert decoded.header.session_id == 3
    assert decoded.ranges == (SearchRange((1, 3), (), True),)


def test_broken_pdus_are_refused() -> None:
    good = ax.get_pdu(Header(PduType.GET), [SearchRange(SYS_DESCR, ())])
    for broken in (good[:10], good[:-2], bytes([2]) + good[1:], good[:1] + b"\x63" + good[2:]):
        try:
            ax.decode(broken)
        except ax.AgentxError:
            continue
        raise AssertionError(f"decoded {broken!r}")


# ------------------------------------------------------------------ answering
_ROWS = [((1, 3, 6, 1, 4, 1, 99, 1, 1, 0), ax.octets("a")),
         ((1, 3, 6, 1, 4, 1, 99, 2, 1, 2, 1), ax.integer(1)),
         ((1, 3, 6, 1, 4, 1, 99, 2, 1, 2, 2), ax.integer(2)),
         ((1, 3, 6, 1, 4, 1, 99, 2, 1, 3, 1), ax.gauge(3))]
VIEW = MibView.of(reversed(_ROWS))


def test_get_is_exact_and_says_what_is_missing() -> None:
    assert VIEW.get(_ROWS[1][0]) == ax.integer(1)
    assert VIEW.get((1, 3, 6, 1, 4, 1, 99, 2, 1, 2, 9)).type == ValueType.NO_SUCH_INSTANCE
    assert VIEW.get((1, 3, 6, 1, 4, 1, 77)).type == ValueType.NO_SUCH_OBJECT


def test_get_next_honours_include_and_the_range_end() -> None:
    start = _ROWS[1][0]
    assert VIEW.next(SearchRange(start, ())).oid == _ROWS[2][0]
    assert VIEW.next(SearchRange(start, (), include=True)).oid == start
    ended = VIEW.next(SearchRange(start, _ROWS[2][0]))
    assert ended == VarBind(start, Value(ValueType.END_OF_MIB_VIEW))
    assert VIEW.next(SearchRange(_ROWS[-1][0], ())).value.type == ValueType.END_OF_MIB_VIEW


@given(st.sets(st.lists(st.integers(0, 5), min_size=1, max_size=5).map(tuple), max_size=30),
       st.lists(st.integers(0, 6), max_size=6).map(tuple))
def test_get_next_walks_the_sorted_oids(oids: set[tuple[int, ...]], start: tuple[int, ...]
                                        ) -> None:
    """GetNext from any OID gives the least OID above it; a walk gives them all, sorted."""
    view = MibView.of((oid, ax.integer(len(oid))) for oid in oids)
    above = sorted(o for o in oids if o > start)
    found = view.next(SearchRange(start, ()))
    assert found.oid == (above[0] if above else start)
    walked: list[tuple[int, ...]] = []
    cursor: tuple[int, ...] = ()
    for _ in range(len(oids) + 1):
        step = view.next(SearchRange(cursor, ()))
        if step.value.type == ValueType.END_OF_MIB_VIEW:
            break
        walked.append(step.oid)
        cursor = step.oid
    assert walked == sorted(oids)


def test_get_bulk_repeats_from_where_each_round_ended() -> None:
    ranges = [SearchRange((1, 3, 6, 1, 4, 1, 99, 1), ()),
              SearchRange((1, 3, 6, 1, 4, 1, 99, 2, 1, 2), ())]
    found = ax.answer_get_bulk(VIEW, ranges, non_repeaters=1, max_repetitions=5)
    assert [vb.oid for vb in found] == [_ROWS[0][0], _ROWS[1][0], _ROWS[2][0], _ROWS[3][0],
                                        _ROWS[3][0]]
    assert found[-1].value.type == ValueType.END_OF_MIB_VIEW


# ------------------------------------------------------------------ the session
SUBTREES = ((1, 3, 6, 1, 4, 1, 99, 1), (1, 3, 6, 1, 4, 1, 99, 2))


def _opened() -> Session:
    session = Session(oid=(1, 3, 6, 1, 4, 1, 99), description="test", subtrees=SUBTREES,
                      view=lambda: VIEW, uptime=lambda: 42)
    opening = ax.decode(session.connected())
    assert opening.header.type == PduType.OPEN
    assert opening.header.session_id == 0
    registers = session.receive(ax.response_pdu(Header(PduType.RESPONSE, session_id=7,
                                                       packet_id=opening.header.packet_id),
                                                ()))
    decoded = [ax.decode(r) for r in registers]
    assert [d.header.type for d in decoded] == [PduType.REGISTER, PduType.REGISTER]
    assert {d.header.session_id for d in decoded} == {7}
    assert session.state is SessionState.REGISTERING
    for register in decoded:
        assert session.receive(ax.response_pdu(register.header, ())) == []
    assert session.state is SessionState.OPEN
    return session


def test_session_opens_registers_and_answers() -> None:
    session = _opened()
    request = ax.get_pdu(Header(PduType.GET_NEXT, session_id=7, transaction_id=3,
                                packet_id=99), [SearchRange(SUBTREES[1], ())])
    [answer] = session.receive(request)
    response = ax.decode(answer)
    assert response.header.type == PduType.RESPONSE
    assert (response.header.transaction_id, response.header.packet_id) == (3, 99)
    assert response.uptime == 42
    assert response.varbinds == (VarBind(*_ROWS[1]),)


def test_session_refuses_sets_and_foreign_sessions() -> None:
    session = _opened()
    test_set = ax.notify_pdu(Header(PduType.TEST_SET, session_id=7), [VarBind(*_ROWS[1])])
    assert ax.decode(session.receive(test_set)[0]).error == ax.NOT_WRITABLE
    stranger = ax.get_pdu(Header(PduType.GET, session_id=8), [SearchRange(_ROWS[0][0], ())])
    assert ax.decode(session.receive(stranger)[0]).error == ax.NOT_OPEN


def test_notify_only_once_open_and_registration_refusal_is_reported() -> None:
    session = Session(oid=(1,), description="t", subtrees=SUBTREES, view=lambda: VIEW)
    assert session.notify([VarBind(*_ROWS[0])]) is None
    opening = ax.decode(session.connected())
    registers = session.receive(ax.response_pdu(Header(PduType.RESPONSE, session_id=4,
                                                       packet_id=opening.header.packet_id),
                                                ()))
    first = ax.decode(registers[0])
    session.receive(ax.response_pdu(first.header, (), error=ax.DUPLICATE_REGISTRATION))
    assert any("refused" in p for p in session.problems)
    [early] = session.receive(ax.response_pdu(ax.decode(registers[1]).header, ()))
    assert ax.decode(early).header.type == PduType.NOTIFY  # made before the first open
    assert ax.decode(early).varbinds == (VarBind(*_ROWS[0]),)
    notify = session.notify([VarBind(*_ROWS[0])])
    assert notify is not None
    decoded = ax.decode(notify)
    assert decoded.header.type == PduType.NOTIFY
    assert decoded.header.session_id == 4
    assert decoded.varbinds == (VarBind(*_ROWS[0]),)
    session.lost()
    assert session.notify([VarBind(*_ROWS[0])]) is None
    # once it has been open, an outage loses notifications (as net-snmp's agent does)
    opening = ax.decode(session.connected())
    registers = session.receive(ax.response_pdu(Header(PduType.RESPONSE, session_id=5,
                                                       packet_id=opening.header.packet_id),
                                                ()))
    session.receive(ax.response_pdu(ax.decode(registers[0]).header, ()))
    assert session.receive(ax.response_pdu(ax.decode(registers[1]).header, ())) == []
