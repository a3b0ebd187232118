"""The checker child: health checks in a process of their own, as keepalived runs them.

keepalived runs its checkers in a child process so that a thousand probes can never
delay a VRRP advert; we do the same. The VRRP process starts `pykeepalived
--checker-child` with the daemon's own options when the configuration has virtual
servers, passes on the signals an operator sends (reload, dumps, stop), waits for it at
stop (bounded), and starts it again if it dies, in keepalived's words ("Healthcheck child
process(%d) died: Respawning"), unless `-R` asks to stop instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pykeepalived.daemon.ports import LogSink

#: keepalived's grace between asking a child to stop and killing it
STOP_TIMEOUT = 10.0
#: pause before a respawn, so a child that dies at once does not spin
RESPAWN_DELAY = 1.0


def checker_argv(flags: Sequence[str]) -> list[str]:
    """The child's command line: this interpreter, our package, the daemon's own flags."""
    return [sys.executable, "-m", "pykeepalived", "--checker-child", *flags]


class CheckerChild:
    """Starts, watches, signals and stops the one checker process."""

    def __init__(self, argv: Sequence[str], log: LogSink, *, respawn: bool = True,
                 on_exit: Callable[[], None] | None = None) -> None:
        self._argv = list(argv)
        self._log = log
        self._respawn = respawn
        self._on_exit = on_exit
        self._process: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(*self._argv,
                                                             stdin=asyncio.subprocess.DEVNULL)
        self._log.log(f"Starting Healthcheck child process, pid={self._process.pid}")
        self._watch = asyncio.get_running_loop().create_task(self._wait(self._process))

    async def _wait(self, process: asyncio.subprocess.Process) -> None:
        status = await process.wait()
        if self._stopping:
            return
        if not self._respawn:
            self._log.log(f"Healthcheck child process({process.pid}) died: Exiting")
            if self._on_exit is not None:
                self._on_exit()
            return
        self._log.log(f"Healthcheck child process({process.pid}) died: Respawning"
                      f" (exit status {status})")
        await asyncio.sleep(RESPAWN_DELAY)
        if not self._stopping:
            await self.start()

    def signal(self, number: int) -> bool:
        """Pass an operator's signal on; False when no child runs."""
        process = self._process
        if process is None or process.returncode is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(number)
            return True
        return False

    async def stop(self, grace: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait (bounded), SIGKILL if it will not go; its exit status."""
        self._stopping = True
        process = self._process
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        if process is None:
            return None
        if process.returncode is None:
            self.signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                self._log.log(f"Healthcheck child process({process.pid}) did not stop:"
                              " killing it")
                process.kill()
                await process.wait()
        return process.returncode


class CheckerSupervisor:
    """Keeps a checker child exactly while the running configuration has virtual servers."""

    def __init__(self, flags: Sequence[str], log: LogSink, *, respawn: bool = True,
                 on_exit: Callable[[], None] | None = None) -> None:
        self._flags = tuple(flags)
        self._log = log
        self._respawn = respawn
        self._on_exit = on_exit
        self.child: CheckerChild | None = None

    async def follow(self, has_virtual_servers: bool) -> None:
        if has_virtual_servers and self.child is None:
            self.child = CheckerChild(checker_argv(self._flags), self._log,
                                      respawn=self._respawn, on_exit=self._on_exit)
            await self.child.start()
        elif not has_virtual_servers and self.child is not None:
            await self.stop()

    def signal(self, number: int) -> None:
        if self.child is not None:
            self.child.signal(number)

    async def stop(self) -> None:
        child, self.child = self.child, None
        if child is not None:
            await child.stop()
