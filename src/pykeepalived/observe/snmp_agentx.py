"""AgentX (RFC 2741) as bytes in, bytes out: the PDUs keepalived's subagent speaks.

keepalived is an AgentX subagent of net-snmp's snmpd: it opens a session on snmpd's
master socket, registers its subtrees, answers Get / GetNext / GetBulk from its live
state and sends its traps as Notify PDUs. AgentX has its own binary encoding (RFC 2741
section 5: a 20-byte header, 4-byte aligned OIDs and octet strings, either byte order),
not BER, so pysnmp's BER codecs do not apply and the AgentX packages on PyPI (pyagentx,
pyagentx2/3) are unmaintained thread-based agents, not codecs. This module is that codec
written by hand, plus `Session`, a sans-I/O subagent: the adapter (adapters/agentx.py)
feeds it whole PDUs and writes what it returns.

The subagent's data is a `MibView`: a sorted list of (OID, value) built from a frozen
snapshot (observe/snmp_mib.py); Get is an exact lookup, GetNext a bisection.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

Oid = tuple[int, ...]

HEADER_SIZE = 20
VERSION = 1
#: h.flags bits (RFC 2741 6.1)
INSTANCE_REGISTRATION = 0x01
NEW_INDEX = 0x02
ANY_INDEX = 0x04
NON_DEFAULT_CONTEXT = 0x08
NETWORK_BYTE_ORDER = 0x10
_INTERNET = (1, 3, 6, 1)


class PduType(IntEnum):
    OPEN = 1
    CLOSE = 2
    REGISTER = 3
    UNREGISTER = 4
    GET = 5
    GET_NEXT = 6
    GET_BULK = 7
    TEST_SET = 8
    COMMIT_SET = 9
    UNDO_SET = 10
    CLEANUP_SET = 11
    NOTIFY = 12
    PING = 13
    INDEX_ALLOCATE = 14
    INDEX_DEALLOCATE = 15
    ADD_AGENT_CAPS = 16
    REMOVE_AGENT_CAPS = 17
    RESPONSE = 18


class ValueType(IntEnum):
    INTEGER = 2
    OCTET_STRING = 4
    NULL = 5
    OBJECT_IDENTIFIER = 6
    IP_ADDRESS = 64
    COUNTER32 = 65
    GAUGE32 = 66
    TIME_TICKS = 67
    OPAQUE = 68
    COUNTER64 = 70
    NO_SUCH_OBJECT = 128
    NO_SUCH_INSTANCE = 129
    END_OF_MIB_VIEW = 130


class CloseReason(IntEnum):
    OTHER = 1
    PARSE_ERROR = 2
    PROTOCOL_ERROR = 3
    TIMEOUTS = 4
    SHUTDOWN = 5
    BY_MANAGER = 6


#: res.error values we send or read (RFC 2741 6.2.16; SNMP's own for Set requests)
NO_ERROR = 0
NOT_WRITABLE = 17
OPEN_FAILED = 256
NOT_OPEN = 257
DUPLICATE_REGISTRATION = 263
PARSE_ERROR = 266
PROCESSING_ERROR = 268

_EMPTY_TYPES = (ValueType.NULL, ValueType.NO_SUCH_OBJECT, ValueType.NO_SUCH_INSTANCE,
                ValueType.END_OF_MIB_VIEW)
_INT32_TYPES = (ValueType.INTEGER, ValueType.COUNTER32, ValueType.GAUGE32,
                ValueType.TIME_TICKS)
_BYTES_TYPES = (ValueType.OCTET_STRING, ValueType.IP_ADDRESS, ValueType.OPAQUE)


class AgentxError(ValueError):
    """A PDU we cannot parse: the session answers parseError or closes."""


@dataclass(frozen=True, slots=True)
class Value:
    """One SNMP value: its AgentX type and a Python value (int, bytes, OID or None)."""

    type: ValueType
    value: int | bytes | Oid | None = None


@dataclass(frozen=True, slots=True)
class VarBind:
    oid: Oid
    value: Value


@dataclass(frozen=True, slots=True)
class SearchRange:
    start: Oid
    end: Oid
    include: bool = False


@dataclass(frozen=True, slots=True)
class Header:
    type: PduType
    flags: int = NETWORK_BYTE_ORDER
    session_id: int = 0
    transaction_id: int = 0
    packet_id: int = 0


@dataclass(frozen=True, slots=True)
class Pdu:
    """A decoded PDU: the header and what its type carries (the rest stays empty)."""

    header: Header
    ranges: tuple[SearchRange, ...] = ()
    varbinds: tuple[VarBind, ...] = ()
    non_repeaters: int = 0
    max_repetitions: int = 0
    #: Response: res.sysUpTime, res.error, res.index
    uptime: int = 0
    error: int = 0
    index: int = 0
    #: Close: its reason
    reason: int = 0
    context: bytes | None = None


def integer(value: int) -> Value:
    return Value(ValueType.INTEGER, value)


def gauge(value: int) -> Value:
    return Value(ValueType.GAUGE32, value)


def counter(value: int) -> Value:
    return Value(ValueType.COUNTER32, value & 0xFFFFFFFF)


def counter64(value: int) -> Value:
    return Value(ValueType.COUNTER64, value & 0xFFFFFFFFFFFFFFFF)


def ticks(value: int) -> Value:
    return Value(ValueType.TIME_TICKS, value)


def octets(value: bytes | str) -> Value:
    return Value(ValueType.OCTET_STRING, value.encode() if isinstance(value, str) else value)


def ip_address(packed: bytes) -> Value:
    return Value(ValueType.IP_ADDRESS, packed)


def object_id(value: Oid) -> Value:
    return Value(ValueType.OBJECT_IDENTIFIER, value)


def parse_oid(text: str) -> Oid:
    return tuple(int(part) for part in text.strip(".").split(".") if part)


def oid_text(oid: Oid) -> str:
    return "." + ".".join(str(part) for part in oid)


# ------------------------------------------------------------------ encoding
class _Writer:
    def __init__(self, order: str = "!") -> None:
        self.order = order
        self.parts: list[bytes] = []

    def u8(self, *values: int) -> None:
        self.parts.append(bytes(values))

    def u16(self, value: int) -> None:
        self.parts.append(struct.pack(f"{self.order}H", value))

    def u32(self, value: int) -> None:
        self.parts.append(struct.pack(f"{self.order}I", value))

    def u64(self, value: int) -> None:
        self.parts.append(struct.pack(f"{self.order}Q", value))

    def oid(self, oid: Oid, include: bool = False) -> None:
        prefix = 0
        subids = oid
        if len(oid) > 4 and oid[:4] == _INTERNET and 0 < oid[4] < 256:
            prefix, subids = oid[4], oid[5:]
        self.u8(len(subids), prefix, int(include), 0)
        for subid in subids:
            self.u32(subid)

    def octets(self, data: bytes) -> None:
        self.u32(len(data))
        self.parts.append(data + bytes(-len(data) % 4))

    def value(self, value: Value) -> None:
        kind = value.type
        if kind in _INT32_TYPES:
            assert isinstance(value.value, int)
            self.u32(value.value & 0xFFFFFFFF)
        elif kind == ValueType.COUNTER64:
            assert isinstance(value.value, int)
            self.u64(value.value)
        elif kind in _BYTES_TYPES:
            assert isinstance(value.value, bytes)
            self.octets(value.value)
        elif kind == ValueType.OBJECT_IDENTIFIER:
            assert isinstance(value.value, tuple)
            self.oid(value.value)

    def varbind(self, varbind: VarBind) -> None:
        self.u16(varbind.value.type)
        self.u16(0)
        self.oid(varbind.oid)
        self.value(varbind.value)

    def body(self) -> bytes:
        return b"".join(self.parts)


def encode(header: Header, body: bytes) -> bytes:
    """A whole PDU: header (network byte order) + body."""
    return struct.pack("!BBBBIIII", VERSION, header.type, header.flags | NETWORK_BYTE_ORDER,
                       0, header.session_id, header.transaction_id, header.packet_id,
                       len(body)) + body


def open_pdu(header: Header, *, timeout: int, oid: Oid, description: str) -> bytes:
    w = _Writer()
    w.u8(timeout, 0, 0, 0)
    w.oid(oid)
    w.octets(description.encode())
    return encode(header, w.body())


def close_pdu(header: Header, reason: CloseReason) -> bytes:
    w = _Writer()
    w.u8(reason, 0, 0, 0)
    return encode(header, w.body())


def register_pdu(header: Header, subtree: Oid, *, timeout: int = 0, priority: int = 127
                 ) -> bytes:
    w = _Writer()
    w.u8(timeout, priority, 0, 0)
    w.oid(subtree)
    return encode(header, w.body())


def response_pdu(header: Header, varbinds: Iterable[VarBind], *, uptime: int = 0,
                 error: int = NO_ERROR, index: int = 0) -> bytes:
    w = _Writer()
    w.u32(uptime)
    w.u16(error)
    w.u16(index)
    for varbind in varbinds:
        w.varbind(varbind)
    return encode(Header(PduType.RESPONSE, header.flags & ~NON_DEFAULT_CONTEXT,
                         header.session_id, header.transaction_id, header.packet_id),
                  w.body())


def notify_pdu(header: Header, varbinds: Iterable[VarBind]) -> bytes:
    w = _Writer()
    for varbind in varbinds:
        w.varbind(varbind)
    return encode(header, w.body())


def ping_pdu(header: Header) -> bytes:
    return encode(header, b"")


def get_pdu(header: Header, ranges: Iterable[SearchRange], *, non_repeaters: int = 0,
            max_repetitions: int = 0) -> bytes:
    """Get / GetNext / GetBulk as the master sends them (for tests and tools)."""
    w = _Writer()
    if header.type == PduType.GET_BULK:
        w.u16(non_repeaters)
        w.u16(max_repetitions)
    for search in ranges:
        w.oid(search.start, search.include)
        w.oid(search.end)
    return encode(header, w.body())


# ------------------------------------------------------------------ decoding
class _Reader:
    def __init__(self, data: bytes, order: str) -> None:
        self.data = data
        self.order = order
        self.at = 0

    def done(self) -> bool:
        return self.at >= len(self.data)

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise AgentxError("PDU shorter than its contents")
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = struct.unpack(f"{self.order}H", self.take(2))[0]
        return value

    def u32(self) -> int:
        value: int = struct.unpack(f"{self.order}I", self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack(f"{self.order}Q", self.take(8))[0]
        return value

    def oid(self) -> tuple[Oid, bool]:
        count, prefix, include, _ = self.take(4)
        subids = tuple(self.u32() for _ in range(count))
        if prefix:
            subids = (*_INTERNET, prefix, *subids)
        return subids, bool(include)

    def octets(self) -> bytes:
        size = self.u32()
        data = self.take(size)
        self.take(-size % 4)
        return data

    def value(self, kind: ValueType) -> Value:
        if kind in _INT32_TYPES:
            raw = self.u32()
            if kind == ValueType.INTEGER and raw >= 1 << 31:
                raw -= 1 << 32
            return Value(kind, raw)
        if kind == ValueType.COUNTER64:
            return Value(kind, self.u64())
        if kind in _BYTES_TYPES:
            return Value(kind, self.octets())
        if kind == ValueType.OBJECT_IDENTIFIER:
            return Value(kind, self.oid()[0])
        return Value(kind)

    def varbind(self) -> VarBind:
        raw_type = self.u16()
        self.u16()
        try:
            kind = ValueType(raw_type)
        except ValueError as exc:
            raise AgentxError(f"unknown varbind type {raw_type}") from exc
        oid, _ = self.oid()
        return VarBind(oid, self.value(kind))


def payload_length(header: bytes) -> int:
    """h.payload_length of a 20-byte header, in the byte order its flags say."""
    order = "!" if header[2] & NETWORK_BYTE_ORDER else "<"
    length: int = struct.unpack(f"{order}I", header[16:20])[0]
    return length


def decode(data: bytes) -> Pdu:
    """One whole PDU (header + payload) → Pdu; AgentxError when it does not parse."""
    if len(data) < HEADER_SIZE:
        raise AgentxError("short header")
    version, raw_type, flags, _ = data[:4]
    if version != VERSION:
        raise AgentxError(f"AgentX version {version}")
    order = "!" if flags & NETWORK_BYTE_ORDER else "<"
    session, transaction, packet, length = struct.unpack(f"{order}IIII", data[4:20])
    try:
        kind = PduType(raw_type)
    except ValueError as exc:
        raise AgentxError(f"unknown PDU type {raw_type}") from exc
    header = Header(kind, flags, session, transaction, packet)
    reader = _Reader(data[HEADER_SIZE:HEADER_SIZE + length], order)
    if len(reader.data) != length:
        raise AgentxError("PDU shorter than its header says")
    context = reader.octets() if flags & NON_DEFAULT_CONTEXT else None
    return _decode_body(header, reader, context)


def _decode_body(header: Header, reader: _Reader, context: bytes | None) -> Pdu:
    kind = header.type
    if kind in (PduType.GET, PduType.GET_NEXT, PduType.GET_BULK):
        non_repeaters = max_repetitions = 0
        if kind == PduType.GET_BULK:
            non_repeaters, max_repetitions = reader.u16(), reader.u16()
        ranges: list[SearchRange] = []
        while not reader.done():
            start, include = reader.oid()
            end, _ = reader.oid()
            ranges.append(SearchRange(start, end, include))
        return Pdu(header, ranges=tuple(ranges), non_repeaters=non_repeaters,
                   max_repetitions=max_repetitions, context=context)
    if kind == PduType.RESPONSE:
        uptime, error, index = reader.u32(), reader.u16(), reader.u16()
        return Pdu(header, varbinds=_varbinds(reader), uptime=uptime, error=error,
                   index=index)
    if kind in (PduType.NOTIFY, PduType.TEST_SET):
        return Pdu(header, varbinds=_varbinds(reader), context=context)
    if kind == PduType.CLOSE:
        return Pdu(header, reason=reader.u8())
    return Pdu(header, context=context)


def _varbinds(reader: _Reader) -> tuple[VarBind, ...]:
    found: list[VarBind] = []
    while not reader.done():
        found.append(reader.varbind())
    return tuple(found)


# ------------------------------------------------------------------ answering
@dataclass(frozen=True)
class MibView:
    """What the subagent shows: (OID, value) pairs sorted by OID, and the subtrees it
    registered (GetNext never leaves them: the master asks the next registrant)."""

    rows: tuple[tuple[Oid, Value], ...]
    _oids: list[Oid] = field(init=False, repr=False, compare=False)
    _index: dict[Oid, Value] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_oids", [oid for oid, _ in self.rows])
        object.__setattr__(self, "_index", dict(self.rows))

    @classmethod
    def of(cls, rows: Iterable[tuple[Oid, Value]]) -> MibView:
        return cls(tuple(sorted(rows, key=lambda row: row[0])))

    def get(self, oid: Oid) -> Value:
        found = self._index.get(oid)
        if found is not None:
            return found
        at = bisect.bisect_left(self._oids, oid)
        column = oid[:-1]
        under = any(len(self._oids[i]) == len(oid) and self._oids[i][:-1] == column
                    for i in (at - 1, at) if 0 <= i < len(self._oids))
        return Value(ValueType.NO_SUCH_INSTANCE if under else ValueType.NO_SUCH_OBJECT)

    def next(self, search: SearchRange) -> VarBind:
        """The first row after `start` (or at it, with include) and before `end`."""
        oids = self._oids
        at = (bisect.bisect_left if search.include else bisect.bisect_right)(oids,
                                                                             search.start)
        if at < len(oids) and (not search.end or oids[at] < search.end):
            return VarBind(oids[at], self.rows[at][1])
        return VarBind(search.start, Value(ValueType.END_OF_MIB_VIEW))


def answer_get(view: MibView, ranges: Sequence[SearchRange]) -> list[VarBind]:
    return [VarBind(search.start, view.get(search.start)) for search in ranges]


def answer_get_next(view: MibView, ranges: Sequence[SearchRange]) -> list[VarBind]:
    return [view.next(search) for search in ranges]


def answer_get_bulk(view: MibView, ranges: Sequence[SearchRange], non_repeaters: int,
                    max_repetitions: int, limit: int = 1000) -> list[VarBind]:
    """RFC 2741 7.2.3.3: the non-repeaters once, then the rest `max_repetitions` times,
    each round continuing where the previous one ended (bounded by `limit` varbinds)."""
    head = answer_get_next(view, ranges[:non_repeaters])
    repeating = list(ranges[non_repeaters:])
    out = list(head)
    for _ in range(min(max_repetitions, limit)):
        if not repeating or len(out) >= limit:
            break
        found = answer_get_next(view, repeating)
        out.extend(found)
        if all(vb.value.type == ValueType.END_OF_MIB_VIEW for vb in found):
            break
        repeating = [SearchRange(vb.oid, search.end) for vb, search in zip(found, repeating,
                                                                           strict=True)]
    return out


# ------------------------------------------------------------------ the session
#: notifications kept while the first session opens
EARLY_NOTIFIES = 64


class SessionState(IntEnum):
    CLOSED = 0
    OPENING = 1
    REGISTERING = 2
    OPEN = 3


@dataclass
class Session:
    """A subagent's side of one AgentX connection, sans I/O.

    `connected()` gives the Open PDU; `receive(pdu_bytes)` gives what to write back
    (Register PDUs after the Open's response, a Response to each request); `notify()`
    a Notify PDU once open. `view()` is called per request: the live data, from a
    snapshot the caller takes. `uptime()` is the Response's sysUpTime (centiseconds)."""

    oid: Oid
    description: str
    subtrees: tuple[Oid, ...]
    view: Callable[[], MibView]
    uptime: Callable[[], int] = lambda: 0
    timeout: int = 5
    state: SessionState = SessionState.CLOSED
    session_id: int = 0
    _packet_id: int = 0
    _pending: dict[int, Oid] = field(default_factory=dict)
    #: what went wrong, for the adapter to log (registration refused...)
    problems: list[str] = field(default_factory=list)
    #: notifications made before the first open, sent once registered: keepalived opens
    #: its session before its instances start, so its startup traps are never lost
    _early: list[list[VarBind]] = field(default_factory=list)
    _ever_open: bool = False

    @staticmethod
    def payload_length(header: bytes) -> int:
        return payload_length(header)

    def _next_header(self, kind: PduType) -> Header:
        self._packet_id = (self._packet_id + 1) & 0xFFFFFFFF
        return Header(kind, NETWORK_BYTE_ORDER, self.session_id, 0, self._packet_id)

    def connected(self) -> bytes:
        self.state, self.session_id = SessionState.OPENING, 0
        self._pending.clear()
        return open_pdu(self._next_header(PduType.OPEN), timeout=self.timeout, oid=self.oid,
                        description=self.description)

    def lost(self) -> None:
        self.state, self.session_id = SessionState.CLOSED, 0

    def close(self) -> bytes:
        out = close_pdu(self._next_header(PduType.CLOSE), CloseReason.SHUTDOWN)
        self.lost()
        return out

    def notify(self, varbinds: Sequence[VarBind]) -> bytes | None:
        """The Notify PDU to send now; None when not open (kept for later only before
        the first open, up to EARLY_NOTIFIES: later outages lose them, as net-snmp's)."""
        if self.state != SessionState.OPEN:
            if not self._ever_open and len(self._early) < EARLY_NOTIFIES:
                self._early.append(list(varbinds))
            return None
        return notify_pdu(self._next_header(PduType.NOTIFY), varbinds)

    def _opened(self) -> list[bytes]:
        self.state, self._ever_open = SessionState.OPEN, True
        early, self._early = self._early, []
        return [notify_pdu(self._next_header(PduType.NOTIFY), v) for v in early]

    def ping(self) -> bytes | None:
        if self.state != SessionState.OPEN:
            return None
        return ping_pdu(self._next_header(PduType.PING))

    def receive(self, data: bytes) -> list[bytes]:
        try:
            pdu = decode(data)
        except AgentxError as exc:
            self.problems.append(f"unparsable AgentX PDU: {exc}")
            return []
        if pdu.header.type == PduType.RESPONSE:
            return self._on_response(pdu)
        if pdu.header.type == PduType.CLOSE:
            self.lost()
            return []
        return [self._answer(pdu)]

    def _on_response(self, pdu: Pdu) -> list[bytes]:
        if self.state == SessionState.OPENING:
            if pdu.error != NO_ERROR:
                self.problems.append(f"AgentX open refused (error {pdu.error})")
                return []
            self.session_id = pdu.header.session_id
            self.state = SessionState.REGISTERING
            out: list[bytes] = []
            for subtree in self.subtrees:
                header = self._next_header(PduType.REGISTER)
                self._pending[header.packet_id] = subtree
                out.append(register_pdu(header, subtree))
            if not out:
                out = self._opened()
            return out
        registered = self._pending.get(pdu.header.packet_id)
        self._pending.pop(pdu.header.packet_id, ())
        if registered is not None and pdu.error != NO_ERROR:
            self.problems.append(f"AgentX registration of {oid_text(registered)} refused"
                                 f" (error {pdu.error})")
        if self.state == SessionState.REGISTERING and not self._pending:
            return self._opened()
        return []

    def _answer(self, pdu: Pdu) -> bytes:
        kind = pdu.header.type
        if pdu.header.session_id != self.session_id:
            return response_pdu(pdu.header, (), error=NOT_OPEN)
        if kind == PduType.PING:
            return response_pdu(pdu.header, (), uptime=self.uptime())
        if kind in (PduType.GET, PduType.GET_NEXT, PduType.GET_BULK):
            view = self.view()
            if kind == PduType.GET:
                found = answer_get(view, pdu.ranges)
            elif kind == PduType.GET_NEXT:
                found = answer_get_next(view, pdu.ranges)
            else:
                found = answer_get_bulk(view, pdu.ranges, pdu.non_repeaters,
                                        pdu.max_repetitions)
            return response_pdu(pdu.header, found, uptime=self.uptime())
        if kind == PduType.TEST_SET:
            return response_pdu(pdu.header, (), error=NOT_WRITABLE, index=1)
        # CommitSet/UndoSet/CleanupSet after a refused TestSet, and anything else
        return response_pdu(pdu.header, (), uptime=self.uptime())
