"""The AgentX connection to snmpd: connect, hand PDUs to the session, reconnect.

The protocol itself (PDU codec, Open/Register, answering requests from a snapshot) is
sans-I/O in observe/snmp_agentx.py; this adapter only moves bytes. It must never hold
up the VRRP side: it is one task on the daemon's loop that reads whole PDUs and writes
the answers the session computes (no await between a request and its answer but the
write), writes never block (asyncio buffers them), and while snmpd is absent it retries
with a growing pause (up to MAX_BACKOFF) and says so once per outage, as keepalived's
net-snmp library does.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.specs.snmp import AgentxAddress

HEADER_SIZE = 20
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 5.0
#: a PDU bigger than this is not one snmpd sends a subagent: the stream is broken
MAX_PDU = 1 << 20


class AgentxSessionLike(Protocol):
    """observe.snmp_agentx.Session: the protocol, bytes in and out."""

    problems: list[str]

    def payload_length(self, header: bytes) -> int: ...
    def connected(self) -> bytes: ...
    def receive(self, data: bytes) -> list[bytes]: ...
    def lost(self) -> None: ...
    def close(self) -> bytes: ...


class AgentxClient:
    """One subagent connection, kept up for the daemon's life."""

    def __init__(self, address: AgentxAddress, session: AgentxSessionLike,
                 log: Callable[[str], None]) -> None:
        self.address = address
        self.session = session
        self._log = log
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._outage_logged = False
        #: connections made (a reconnect after snmpd restarts counts again)
        self.connections = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="agentx")

    @property
    def connected(self) -> bool:
        return self._writer is not None

    def send(self, data: bytes | None) -> bool:
        """Queue one PDU (a Notify); False while snmpd is not connected."""
        if data is None or self._writer is None or self._writer.is_closing():
            return False
        self._writer.write(data)
        return True

    async def close(self) -> None:
        """Close the session politely (snmpd unregisters us at once), then stop."""
        writer = self._writer
        if writer is not None and not writer.is_closing():
            with contextlib.suppress(OSError):
                writer.write(self.session.close())
                await asyncio.wait_for(writer.drain(), 0.5)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._drop()

    async def _run(self) -> None:
        pause = FIRST_BACKOFF
        while True:
            try:
                reader, writer = await self._connect()
            except OSError as exc:
                if not self._outage_logged:
                    self._log(f"Warning: Failed to connect to the agentx master agent"
                              f" ({self.address}): {exc.strerror or exc}")
                    self._outage_logged = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_BACKOFF)
                continue
            pause = FIRST_BACKOFF
            self._writer = writer
            self.connections += 1
            if self._outage_logged:
                self._log(f"Connected to the agentx master agent ({self.address})")
            self._outage_logged = False
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
                await self._serve(reader, writer)
            self.session.lost()
            await self._drop()
            if not self._outage_logged:
                self._log(f"Lost the agentx master agent ({self.address}); reconnecting")
                self._outage_logged = True
            await asyncio.sleep(FIRST_BACKOFF)

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.address.path is not None:
            return await asyncio.wait_for(asyncio.open_unix_connection(self.address.path),
                                          5.0)
        assert self.address.host is not None
        return await asyncio.wait_for(asyncio.open_connection(self.address.host,
                                                              self.address.port), 5.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                     ) -> None:
        writer.write(self.session.connected())
        while True:
            header = await reader.readexactly(HEADER_SIZE)
            length = self.session.payload_length(header)
            if length > MAX_PDU:
                raise ValueError(f"AgentX PDU of {length} bytes")
            body = await reader.readexactly(length)
            for answer in self.session.receive(header + body):
                writer.write(answer)
            for problem in self.session.problems:
                self._log(f"SNMP: {problem}")
            self.session.problems.clear()

    async def _drop(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 0.5)
