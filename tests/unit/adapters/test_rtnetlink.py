"""The asyncio rtnetlink socket: against the real kernel (reads only, no root needed), and
on a scripted socket for what a kernel will not do on demand (ENOBUFS, a notification
sharing a request's sequence number)."""

from __future__ import annotations

import asyncio
import errno
import json
import socket
import struct
import subprocess
import sys
from typing import Any

import pytest

from pykeepalived.adapters import rtnl_codec as rt
from pykeepalived.adapters.rtnetlink import RtnlSocket, create_socket
from pykeepalived.adapters.rtnl_codec import NetlinkError


def run(coroutine: Any) -> Any:
    async def bounded() -> Any:
        async with asyncio.timeout(10):
            return await coroutine

    return asyncio.run(bounded())


def test_real_requests_answers_and_refusals() -> None:
    async def scenario() -> None:
        rtnl = RtnlSocket.open()
        try:
            by_name = rt.ifinfomsg() + rt.attr_str(rt.IFLA_IFNAME, "lo")
            (lo,) = await rtnl.request(rt.RTM_GETLINK, 0, by_name)
            assert (lo["ifi_index"], lo["IFLA_IFNAME"]) == (socket.if_nametoindex("lo"), "lo")
            with pytest.raises(NetlinkError) as refused:
                await rtnl.request(rt.RTM_GETLINK, 0,
                                   rt.ifinfomsg() + rt.attr_str(rt.IFLA_IFNAME, "nosuch0"))
            assert refused.value.code == errno.ENODEV
            links = await rtnl.request(rt.RTM_GETLINK, rt.NLM_F_DUMP, rt.ifinfomsg())
            assert "lo" in {m["IFLA_IFNAME"] for m in links}
            # many at once on one socket: each gets its own answer
            names = [m["IFLA_IFNAME"] for m in links] * 10
            answers = await asyncio.gather(*(
                rtnl.request(rt.RTM_GETLINK, 0, rt.ifinfomsg() + rt.attr_str(rt.IFLA_IFNAME, n))
                for n in names))
            assert [a[0]["IFLA_IFNAME"] for a in answers] == names
        finally:
            rtnl.close()
        with pytest.raises(ConnectionError):
            await rtnl.request(rt.RTM_GETLINK, rt.NLM_F_DUMP, rt.ifinfomsg())
        assert await rtnl.read() == []

    run(scenario())


def test_bad_namespace_names_are_refused() -> None:
    for name in ("", "../x", "."):
        with pytest.raises(ValueError, match="bad network namespace name"):
            create_socket(name)
    with pytest.raises(FileNotFoundError):
        create_socket("pykeepalived-no-such-namespace")


class ScriptedSock:
    """recvfrom() answers from a script; its fd (a socketpair's) is never readable."""

    def __init__(self) -> None:
        self.pair = socket.socketpair()
        self.script: list[Any] = []
        self.sent: list[bytes] = []

    def fileno(self) -> int:
        return self.pair[0].fileno()

    def recvfrom(self, size: int) -> tuple[bytes, tuple[int, int]]:
        if not self.script:
            raise BlockingIOError
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        data, groups = item
        return data, (0, groups)

    def send(self, data: bytes) -> int:
        self.sent.append(data)
        return len(data)

    def close(self) -> None:
        for end in self.pair:
            end.close()


def sent_seq(sock: ScriptedSock) -> int:
    return int(struct.unpack_from("=IHHII", sock.sent[-1])[3])


def test_replies_and_notifications_are_told_apart_then_enobufs() -> None:
    link = rt.ifinfomsg(index=1) + rt.attr_str(rt.IFLA_IFNAME, "lo")

    async def scenario() -> None:
        fake = ScriptedSock()
        rtnl = RtnlSocket(fake, groups=rt.RTMGRP_LINK)  # type: ignore[arg-type]
        dump = asyncio.create_task(rtnl.request(rt.RTM_GETLINK, rt.NLM_F_DUMP, rt.ifinfomsg()))
        await asyncio.sleep(0)
        seq = sent_seq(fake)
        assert struct.unpack_from("=IHHII", fake.sent[-1])[2] == rt.NLM_F_REQUEST | rt.NLM_F_DUMP
        fake.script += [
            # a notification caused by another socket's request with the same number
            (rt.message(rt.RTM_NEWLINK, 0, seq, link, pid=999), rt.RTMGRP_LINK),
            (rt.message(rt.RTM_NEWLINK, rt.NLM_F_MULTI, seq, link), 0),
            (rt.message(rt.NLMSG_DONE, rt.NLM_F_MULTI, seq, struct.pack("=i", 0)), 0),
        ]
        rtnl._on_readable()
        (part,) = await dump
        assert part["nlmsg_pid"] == 0
        (event,) = await rtnl.read()
        assert event["nlmsg_pid"] == 999

        waiting = asyncio.create_task(rtnl.request(rt.RTM_NEWLINK, 0, link))
        await asyncio.sleep(0)
        assert struct.unpack_from("=IHHII", fake.sent[-1])[2] == rt.NLM_F_REQUEST | rt.NLM_F_ACK
        fake.script.append(OSError(errno.ENOBUFS, "No buffer space available"))
        rtnl._on_readable()
        with pytest.raises(OSError, match="No buffer space"):
            await waiting  # its answer may have been among the lost: never wait forever
        with pytest.raises(OSError, match="No buffer space"):
            await rtnl.read()

        refused = asyncio.create_task(rtnl.request(rt.RTM_NEWLINK, 0, link))
        await asyncio.sleep(0)
        error = struct.pack("=i", -errno.EPERM) + fake.sent[-1][:16]
        fake.script += [(b"\x01\x02\x03", 0),  # garbage: logged, and the request fails
                        (rt.message(rt.NLMSG_ERROR, 0, sent_seq(fake), error), 0)]
        rtnl._on_readable()
        with pytest.raises(rt.MalformedMessage):
            await refused
        refused = asyncio.create_task(rtnl.request(rt.RTM_NEWLINK, 0, link))
        await asyncio.sleep(0)
        error = struct.pack("=i", -errno.EPERM) + fake.sent[-1][:16]
        fake.script.append((rt.message(rt.NLMSG_ERROR, 0, sent_seq(fake), error), 0))
        rtnl._on_readable()
        with pytest.raises(NetlinkError) as why:
            await refused
        assert why.value.code == errno.EPERM

        reader = asyncio.create_task(rtnl.read())
        await asyncio.sleep(0)
        rtnl.close()
        assert await reader == []

    run(scenario())


def test_an_interrupted_dump_is_asked_again() -> None:
    """NLM_F_DUMP_INTR: the table changed during the dump, so its parts may be stale."""
    stale = rt.ifinfomsg(index=1) + rt.attr_str(rt.IFLA_IFNAME, "stale")
    fresh = rt.ifinfomsg(index=1) + rt.attr_str(rt.IFLA_IFNAME, "fresh")
    done = struct.pack("=i", 0)

    async def answer(fake: ScriptedSock, rtnl: RtnlSocket, body: bytes, intr: int) -> None:
        await asyncio.sleep(0)
        seq = sent_seq(fake)
        fake.script += [
            (rt.message(rt.RTM_NEWLINK, rt.NLM_F_MULTI | intr, seq, body), 0),
            (rt.message(rt.NLMSG_DONE, rt.NLM_F_MULTI | intr, seq, done), 0),
        ]
        rtnl._on_readable()

    async def scenario() -> None:
        fake = ScriptedSock()
        rtnl = RtnlSocket(fake, groups=0)  # type: ignore[arg-type]
        dump = asyncio.create_task(rtnl.request(rt.RTM_GETLINK, rt.NLM_F_DUMP, rt.ifinfomsg()))
        await answer(fake, rtnl, stale, rt.NLM_F_DUMP_INTR)
        await answer(fake, rtnl, fresh, 0)
        (part,) = await dump
        assert part["IFLA_IFNAME"] == "fresh"
        assert len(fake.sent) == 2
        rtnl.close()

    run(scenario())


def test_the_vrrp_side_imports_no_pyroute2() -> None:
    """netlink, its events and vmac in a fresh interpreter: no pyroute2 module, no
    multiprocessing, no ctypes (only opening in another namespace would want it, and not
    on 3.12+). (ssl comes with asyncio itself.)"""
    probe = ("import json, sys\n"
             "import pykeepalived.adapters.netlink, pykeepalived.adapters.netlink_events\n"
             "import pykeepalived.adapters.vmac\n"
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pyroute2.')\n"
             "                        or m in ('ctypes', 'multiprocessing', 'pickle'))))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
