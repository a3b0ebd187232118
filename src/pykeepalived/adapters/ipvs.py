"""IPVS over generic netlink: virtual services, real servers, timeouts and the sync daemon.

One pyroute2 generic-netlink socket, opened at start and bound to the kernel's "IPVS"
family, carries every command as keepalived 2.2.7 sends it (the messages are built in
`ipvs_wire`); each request is awaited on the daemon's loop, nothing blocks it and no
thread is needed. A refusal becomes `IpvsError(errno)`, which the check driver logs in
keepalived's words and, for "already there" / "already gone", treats as done. The errno
is the one keepalived sees: it talks through libnl, which folds the kernel's codes into
its own and back (`keepalived_errno`), so a missing service (the kernel's ESRCH) is
ENOENT to keepalived, and to its rules.

Two of keepalived's rules live here because they are about the kernel, not the checker:

- an EDIT_DEST refused with ENOENT (the kernel lost the destination, or never had it) is
  sent again as ADD_DEST (ipvswrapper.c:ipvs_talk);
- the timeouts a SET_CONFIG leaves unset are the ones read before the first change, so
  `set_timeouts(Timeouts())` at exit restores them (libipvs.c:ipvs_set_timeout).

A kernel without IPVS (no "IPVS" family even after `modprobe ip_vs`) raises
`IpvsUnavailable` from `open()` with keepalived's one line, so the daemon can say it once
and go on with VRRP.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from typing import TYPE_CHECKING, Any, Final

from pyroute2.netlink import NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.generic import AsyncGenericNetlinkSocket

from pykeepalived.adapters import ipvs_wire as wire
from pykeepalived.check.lvs import (
    DestSpec,
    IpvsError,
    IpvsUnavailable,
    ServiceSpec,
    SyncDaemonSpec,
    SyncState,
    Timeouts,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pykeepalived.check.syncd import SyncCommand

#: libnl's nl_syserr2nlerr followed by keepalived's nlerr2syserr (libipvs.c): the kernel's
#: errno -> the errno keepalived logs and decides on; any other code becomes
#: NLE_FAILURE, which keepalived passes on as 1
_LIBNL_FOLDS: Final = {
    errno.ESRCH: errno.ENOENT, errno.EADDRINUSE: errno.EEXIST, errno.ENOTSOCK: errno.EBADF,
    errno.ENOPROTOOPT: errno.EINVAL, errno.EFAULT: errno.EINVAL, errno.ENOBUFS: errno.ENOMEM,
}
_LIBNL_KEEPS: Final = frozenset({
    errno.EBADF, errno.EEXIST, errno.EADDRNOTAVAIL, errno.ENOENT, errno.EINTR, errno.EAGAIN,
    errno.EACCES, errno.EINVAL, errno.ENOMEM, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT,
    errno.EOPNOTSUPP, errno.EPERM, errno.EBUSY, errno.ERANGE, errno.ENODEV,
})
_NLE_FAILURE: Final = 1

MODPROBE: Final = ("modprobe", "ip_vs")
#: bound on `modprobe ip_vs` (it loads one module and its few dependencies)
MODPROBE_LIMIT: Final = 20.0
#: bound on one request: the kernel answers IPVS commands at once
REQUEST_LIMIT: Final = 10.0


class _IpvsSocket(AsyncGenericNetlinkSocket):  # type: ignore[misc]
    """pyroute2's generic-netlink socket; a missing family is ours to report, not its."""

    module_err_level = "debug"


class Ipvs:
    """The checker's IPVS: one generic-netlink socket in the daemon's (or a test's) netns."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        #: the kernel's timeouts before our first SET_CONFIG (keepalived's originals)
        self._original_timeouts: Timeouts | None = None

    @classmethod
    async def open(cls, netns: str | None = None, *, modprobe: Sequence[str] = MODPROBE,
                   family: str = wire.GENL_NAME) -> Ipvs:
        """Bind to the IPVS family, loading ip_vs first if the kernel lacks it.

        `netns` names a network namespace (tests); None is the daemon's own. `modprobe`
        and `family` exist for the tests of the unavailable path.
        """
        sock = await _bind(netns, family)
        if sock is None:
            loaded = await _modprobe(modprobe)
            sock = await _bind(netns, family)
            if sock is None:
                raise IpvsUnavailable(
                    "IPVS: Can't initialize ipvs: Protocol not available (no generic netlink"
                    f" family {family}; {loaded})")
        return cls(sock)

    async def close(self) -> None:
        self._sock.close()

    async def __aenter__(self) -> Ipvs:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ services

    async def add_service(self, service: ServiceSpec) -> None:
        await self._send(wire.service_command(wire.NEW_SERVICE, service), service.text())

    async def edit_service(self, service: ServiceSpec) -> None:
        await self._send(wire.service_command(wire.SET_SERVICE, service), service.text())

    async def del_service(self, service: ServiceSpec) -> None:
        await self._send(wire.service_command(wire.DEL_SERVICE, service), service.text())

    # ------------------------------------------------------------------ destinations

    async def add_dest(self, service: ServiceSpec, dest: DestSpec) -> None:
        await self._send(wire.dest_command(wire.NEW_DEST, service, dest), _what(service, dest))

    async def edit_dest(self, service: ServiceSpec, dest: DestSpec) -> None:
        """SET_DEST; a destination the kernel does not have is added (keepalived's rule)."""
        try:
            await self._send(wire.dest_command(wire.SET_DEST, service, dest),
                             _what(service, dest))
        except IpvsError as exc:
            if exc.code != errno.ENOENT:
                raise
            await self.add_dest(service, dest)

    async def del_dest(self, service: ServiceSpec, dest: DestSpec) -> None:
        await self._send(wire.dest_command(wire.DEL_DEST, service, dest), _what(service, dest))

    # ------------------------------------------------------------------ whole table

    async def flush(self) -> None:
        await self._send(wire.request(wire.FLUSH), "table")

    async def dump(self) -> dict[ServiceSpec, tuple[DestSpec, ...]]:
        """Every service with its destinations, as the specs that would program them.

        Destinations are sorted by address and port (the kernel lists the newest first).
        """
        services = [wire.parse_service(m)
                    for m in await self._query(wire.request(wire.GET_SERVICE), dump=True)]
        table: dict[ServiceSpec, tuple[DestSpec, ...]] = {}
        for service in services:
            dests = [wire.parse_dest(m)
                     for m in await self._query(wire.dest_dump(service), dump=True)]
            table[service] = tuple(sorted(dests, key=_dest_order))
        return table

    # ------------------------------------------------------------------ timeouts

    async def timeouts(self) -> Timeouts:
        """The kernel's tcp, tcpfin and udp timeouts now (GET_CONFIG)."""
        replies = await self._query(wire.request(wire.GET_CONFIG), dump=False)
        if not replies:
            raise IpvsError(errno.EPROTO, "IPVS GET_CONFIG gave no reply")
        return wire.parse_timeouts(replies[0])

    async def set_timeouts(self, timeouts: Timeouts) -> None:
        """SET_CONFIG with all three; unset ones at their values before our first change.

        Nothing is sent while nothing was ever changed and nothing is asked (keepalived's
        ipvs_set_timeout(NULL) at exit when lvs_timeouts was never configured).
        """
        if self._original_timeouts is None:
            if timeouts == Timeouts():
                return
            self._original_timeouts = await self.timeouts()
        original = self._original_timeouts
        await self._send(wire.set_config(
            _pick(timeouts.tcp, original.tcp), _pick(timeouts.tcp_fin, original.tcp_fin),
            _pick(timeouts.udp, original.udp)), "timeouts")

    # ------------------------------------------------------------------ sync daemon

    async def start_daemon(self, state: SyncState, sync: SyncDaemonSpec) -> None:
        await self._send(wire.daemon_command(wire.NEW_DAEMON, state, sync),
                         f"sync daemon {state} on {sync.interface}")

    async def stop_daemon(self, state: SyncState, sync: SyncDaemonSpec) -> None:
        await self._send(wire.daemon_command(wire.DEL_DAEMON, state, sync),
                         f"sync daemon {state}")

    async def apply_sync(self, commands: Sequence[SyncCommand]
                         ) -> list[tuple[SyncCommand, IpvsError]]:
        """Send check.syncd's commands in order; the refusals of the non-quiet ones.

        As keepalived's ipvs_syncd_cmd, a refusal does not stop the next command; a quiet
        command's refusal (EEXIST, or ENOENT for a role not running) is expected and
        dropped, the others are returned for the caller to log.
        """
        failed: list[tuple[SyncCommand, IpvsError]] = []
        for command in commands:
            send = self.start_daemon if command.start else self.stop_daemon
            try:
                await send(command.state, command.sync)
            except IpvsError as exc:
                if not command.quiet:
                    failed.append((command, exc))
        return failed

    async def daemons(self) -> dict[SyncState, SyncDaemonSpec]:
        """The running sync daemons by role, with the kernel's defaults filled in."""
        replies = await self._query(wire.request(wire.GET_DAEMON), dump=True)
        return dict(wire.parse_daemon(m) for m in replies)

    # ------------------------------------------------------------------ the socket

    async def _send(self, msg: wire.IpvsMessage, what: str) -> None:
        """A command with an ACK; a refusal becomes IpvsError naming command and object."""
        await self._exchange(msg, NLM_F_REQUEST | NLM_F_ACK, what)

    async def _query(self, msg: wire.IpvsMessage, *, dump: bool) -> list[Any]:
        """A GET: a dump (multipart) or a single reply.

        A single GET is sent without NLM_F_ACK: its reply ends the exchange, and an ACK
        after it would arrive for a sequence number pyroute2 has already forgotten.
        """
        flags = NLM_F_REQUEST | (NLM_F_DUMP if dump else 0)
        return await self._exchange(msg, flags, wire.COMMAND_NAMES[msg["cmd"]])

    async def _exchange(self, msg: wire.IpvsMessage, flags: int, what: str) -> list[Any]:
        name = wire.COMMAND_NAMES.get(msg["cmd"], str(msg["cmd"]))
        try:
            async with asyncio.timeout(REQUEST_LIMIT):
                replies = await self._sock.nlm_request(msg, msg_type=self._sock.prid,
                                                       msg_flags=flags)
                return [reply async for reply in replies]
        except NetlinkError as exc:
            raise IpvsError(keepalived_errno(exc.code),
                            f"IPVS {name} {what}: {os.strerror(exc.code)}") from exc
        except TimeoutError as exc:
            raise IpvsError(errno.ETIMEDOUT, f"IPVS {name} {what}: no answer in"
                            f" {REQUEST_LIMIT:g} s") from exc


def keepalived_errno(code: int) -> int:
    """The errno keepalived 2.2.7 reports for the kernel's `code` (through libnl)."""
    code = abs(code)
    if code in _LIBNL_FOLDS:
        return _LIBNL_FOLDS[code]
    return code if code in _LIBNL_KEEPS else _NLE_FAILURE


def _what(service: ServiceSpec, dest: DestSpec) -> str:
    return f"{service.text()} -> [{dest.address}]:{dest.port}"


def _dest_order(dest: DestSpec) -> tuple[int, int, int]:
    return (dest.address.version, int(dest.address), dest.port)


def _pick(wanted: int | None, original: int | None) -> int:
    return wanted if wanted is not None else original or 0


async def _bind(netns: str | None, family: str) -> Any | None:
    """A socket bound to `family`, or None when the kernel has no such family."""
    sock = _IpvsSocket(netns=netns)
    try:
        await sock.bind(family, wire.IpvsMessage)
    except NetlinkError as exc:
        sock.close()
        if exc.code == errno.ENOENT:
            return None
        raise IpvsUnavailable(f"IPVS: Can't initialize ipvs: {os.strerror(exc.code)}") from exc
    except OSError as exc:
        sock.close()
        raise IpvsUnavailable(f"IPVS: Can't initialize ipvs: {exc}") from exc
    return sock


async def _modprobe(argv: Sequence[str]) -> str:
    """Run modprobe once, bounded; what became of it, for the unavailable message."""
    shown = " ".join(argv)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
    except OSError as exc:
        return f"{shown}: {exc.strerror}"
    try:
        async with asyncio.timeout(MODPROBE_LIMIT):
            _, err = await proc.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        return f"{shown}: no answer in {MODPROBE_LIMIT:g} s"
    lines = err.decode(errors="replace").strip().splitlines()
    if proc.returncode == 0:
        return f"{shown} succeeded"
    return f"{shown} exited {proc.returncode}" + (f": {lines[-1]}" if lines else "")
