"""Read keepalived.conf in a short-lived child, so the daemon never holds the parser.

The parser (lexer, schemas, resolver, advice: some 40 modules) and the garbage of a
parse are needed for a few milliseconds at start and at each reload, yet once imported
they stay in the daemon's memory for its whole life (2.5 MiB and more of RSS at 200
instances; keepalived's whole VRRP process is 13). So the daemon forks, the child
imports the parser, reads the file and sends the result back pickled over a pipe, and
exits; the daemon keeps only the model it runs (config/model*.py) and never imports
config/load.py. keepalived forks its VRRP and checker children for the same reason,
the other way round: each child reads the file again.

A child that dies without answering (killed, out of memory) is an error the caller
handles as any unreadable configuration: at start the daemon does not start, at reload
the running configuration stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import signal
import struct
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.config.result import LoadResult

#: the message's length, ahead of it
_LENGTH = struct.Struct("=Q")


class ConfigChildError(RuntimeError):
    """The child read no configuration (it died, or the parser raised)."""


async def load_in_child(path: str, *, config_id: str | None,
                        all_config: bool) -> LoadResult:
    """load_config(path, ...) run in a forked child; its result, unpickled here."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _answer(write_end, path, config_id=config_id, all_config=all_config)
    os.close(write_end)
    try:
        data = await _read_to_end(read_end)
    except BaseException:  # cancelled (the daemon stops): the child's answer is not wanted
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        _reap(pid)
    try:
        ok, value = pickle.loads(data)
    except Exception as exc:  # nothing or a torn message: the child died mid-way
        raise ConfigChildError(
            f"the configuration reader (pid {pid}) ended without an answer") from exc
    if not ok:
        raise ConfigChildError(value)
    result: LoadResult = value
    return result


def _answer(fd: int, path: str, *, config_id: str | None, all_config: bool) -> None:
    """In the child: read the file, write (ok, result or error text), exit at once."""
    status = 1
    try:
        # the daemon's signal wake-up fd is shared: a signal to this child must not be
        # taken for one to the daemon (systemd signals the whole cgroup)
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1,
                    signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        from pykeepalived.config.load import load_config

        try:
            # advice is `-t`'s alone (config/advice.py): not unpickled, not imported here
            answer: tuple[bool, object] = (True, replace(load_config(
                path, config_id=config_id, all_config=all_config), advice=()))
        except Exception as exc:
            answer = (False, f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(_LENGTH.pack(len(data)) + data)
        while view:  # a blocking pipe: each write takes what fits until the parent reads
            view = view[os.write(fd, view):]
        status = 0
    finally:
        os._exit(status)  # no atexit, no buffered output, no event loop of the parent


async def _read_to_end(fd: int) -> bytearray:
    """The child's message, read on the event loop (no thread): its length first, then
    the pickle straight into one buffer of that size. One allocation of the whole size
    (mapped, and unmapped when dropped) rather than pipe-sized chunks and their join,
    which left holes in the heap the daemon keeps after every reload. Empty when the
    child ended before a whole message."""
    os.set_blocking(fd, False)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    header = bytearray()
    body = bytearray()
    filled = 0

    def whole() -> bool:
        return len(header) == _LENGTH.size and filled == len(body)

    def readable() -> None:
        nonlocal body, filled
        try:
            if len(header) < _LENGTH.size:
                chunk = os.read(fd, _LENGTH.size - len(header))
                header.extend(chunk)
                if len(header) == _LENGTH.size:
                    body = bytearray(_LENGTH.unpack(header)[0])
                got = len(chunk)
            else:
                got = os.readv(fd, [memoryview(body)[filled:]])
                filled += got
        except BlockingIOError:
            return
        except OSError as exc:
            if not done.done():
                done.set_exception(exc)
            return
        if (got == 0 or whole()) and not done.done():
            done.set_result(None)

    loop.add_reader(fd, readable)
    try:
        await done
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    return body if whole() else bytearray()


def _reap(pid: int) -> None:
    """The child has closed its pipe: it is exiting; collect it (it may already be)."""
    with contextlib.suppress(ChildProcessError):  # reaped elsewhere: nothing to do
        os.waitpid(pid, 0)
