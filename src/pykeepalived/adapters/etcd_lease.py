"""etcd's v3 JSON gateway, just enough for a lease witness (ours): grant, take, renew, drop.

Why the JSON gateway over plain asyncio streams rather than a client library: the gateway
ships in every etcd v3 (Debian's etcd-server 3.4 included) and needs nothing but HTTP/1.1
POSTs of small JSON bodies; the Python gRPC clients for etcd are either unmaintained
(python-etcd3, last release 2020, pinned to an old protobuf) or pull in grpcio, a large
binary dependency, for four calls. One connection per request (`Connection: close`),
each bounded by a timeout, so a hung etcd can never stall the daemon.

Every failure is an `EtcdError` saying which of three it is: etcd served and refused
the request (HTTP 4xx, e.g. our lease expired: `refused_request`); etcd's host answered
but etcd did not serve (connection refused, a server error: `not_serving`), so the path
to etcd works and etcd does not; or etcd was not reached at all (timeout, unreachable
network): we cannot tell whether it is down or we are cut off. The lease runner
(daemon/leases.py) acts differently on each.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from dataclasses import dataclass
from typing import Any

from pykeepalived.adapters.etcd_errors import EtcdError

#: bytes of an answer we read at most (a range of one key is a few hundred)
MAX_ANSWER = 65536


@dataclass(frozen=True, slots=True)
class Taken:
    """The answer to put-if-absent: ours now (`revision` of our put), or someone's."""

    ours: bool
    revision: int
    holder: str = ""
    holder_lease: str = ""


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _text(b64: str) -> str:
    return base64.b64decode(b64).decode(errors="replace")


class EtcdLease:
    """Calls against the first endpoint that answers; each bounded by `timeout`."""

    def __init__(self, endpoints: tuple[str, ...], *, timeout: float) -> None:
        if not endpoints:
            raise ValueError("no etcd endpoint")
        self._endpoints = endpoints
        self._timeout = timeout

    async def grant(self, ttl: int) -> str:
        answer = await self._post("/v3/lease/grant", {"TTL": ttl})
        return str(answer["ID"])

    async def put_if_absent(self, key: str, value: str, lease: str) -> Taken:
        """One transaction: create `key` with our lease if nobody has it, else read it."""
        answer = await self._post("/v3/kv/txn", {
            "compare": [{"key": _b64(key), "target": "CREATE", "create_revision": "0"}],
            "success": [{"request_put": {"key": _b64(key), "value": _b64(value),
                                         "lease": lease}}],
            "failure": [{"request_range": {"key": _b64(key)}}]})
        revision = int(answer["header"]["revision"])
        if answer.get("succeeded"):
            return Taken(True, revision)
        kvs = answer["responses"][0]["response_range"].get("kvs", [])
        if not kvs:  # gone between compare and read: try again next round
            return Taken(False, revision)
        kv = kvs[0]
        holder_lease = str(kv.get("lease", ""))
        return Taken(holder_lease == lease, int(kv.get("mod_revision", revision)),
                     _text(kv.get("value", "")), holder_lease)

    async def keepalive(self, lease: str) -> int:
        """The lease's TTL after renewal; 0 when it had already expired."""
        answer = await self._post("/v3/lease/keepalive", {"ID": lease})
        return int(answer.get("result", {}).get("TTL", 0))

    async def revoke(self, lease: str) -> None:
        await self._post("/v3/lease/revoke", {"ID": lease})

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        errors: list[EtcdError] = []
        for endpoint in self._endpoints:
            try:
                return await asyncio.wait_for(self._one(endpoint, path, body), self._timeout)
            except EtcdError as exc:
                errors.append(exc)
            except TimeoutError:
                errors.append(EtcdError(f"{endpoint}: no answer within {self._timeout:g} s",
                                        reached=False))
            except ConnectionRefusedError:
                errors.append(EtcdError(f"{endpoint}: connection refused", reached=True))
            except OSError as exc:
                errors.append(EtcdError(f"{endpoint}: {exc.strerror or exc}", reached=False))
        if any(e.refused_request for e in errors):  # one etcd served, and said no
            raise next(e for e in errors if e.refused_request)
        reached = all(e.reached for e in errors)
        raise EtcdError("; ".join(str(e) for e in errors), reached=reached)

    @staticmethod
    async def _one(endpoint: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        host, _, port = endpoint.removeprefix("http://").rpartition(":")
        payload = json.dumps(body).encode()
        reader, writer = await asyncio.open_connection(host.strip("[]"), int(port))
        try:
            writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(payload)}"
                         "\r\nConnection: close\r\n\r\n".encode() + payload)
            await writer.drain()
            raw = await reader.read(MAX_ANSWER)
            for _ in range(64):  # bounded: Connection: close ends the answer
                more = await reader.read(MAX_ANSWER)
                if not more or len(raw) > MAX_ANSWER:
                    break
                raw += more
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        head, _, content = raw.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
        words = status_line.split()
        if len(words) < 2 or not words[1].isdigit():
            raise EtcdError(f"{endpoint}: not an HTTP answer: {status_line!r}", reached=True)
        if b"transfer-encoding: chunked" in head.lower():
            content = _unchunk(content)
        if int(words[1]) != 200:
            raise EtcdError(f"{endpoint}{path}: HTTP {words[1]}: "
                            f"{content[:200].decode(errors='replace')}", reached=True,
                            refused_request=400 <= int(words[1]) < 500)
        try:
            answer = json.loads(content)
        except ValueError as exc:
            raise EtcdError(f"{endpoint}{path}: not JSON: {exc}", reached=True) from None
        if not isinstance(answer, dict):
            raise EtcdError(f"{endpoint}{path}: not a JSON object", reached=True)
        if "error" in answer and "result" not in answer:
            raise EtcdError(f"{endpoint}{path}: {answer['error']}", reached=True,
                            refused_request=True)
        return answer


def _unchunk(data: bytes) -> bytes:
    """HTTP/1.1 chunked transfer coding, bounded by the data itself."""
    out = b""
    for _ in range(len(data) + 1):
        size_line, _, rest = data.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            return out
        if size == 0:
            return out
        out += rest[:size]
        data = rest[size + 2:]
    return out
