"""The checker process's answers to the dump signals: keepalived's file and our status.

SIGUSR1 (Control.DATA) writes keepalived's `keepalived_check.data`, logging keepalived's
`Printing checker data for process(%d) on signal`. The JSON dump signal (Control.JSON,
passed on by the VRRP process) writes our `pykeepalived.check_status.json`, with the
weights read back from the kernel. Both take one snapshot of the running cores
(observe/check_capture.py) and write atomically into the dump directory (`--dump-dir`,
/tmp by default). Scripts are shown as keepalived shows them: the program path it
resolves and the uid:gid it runs them as.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from pykeepalived.adapters.scripts import ScriptRefused, resolve_credentials
from pykeepalived.adapters.scripts_security import keepalived_path
from pykeepalived.daemon.signals import Control
from pykeepalived.observe.check_capture import build_check_snapshot
from pykeepalived.observe.check_dump import CHECK_DATA_FILE, render_check_data
from pykeepalived.observe.check_snapshot import ScriptLine
from pykeepalived.observe.check_status import CHECK_STATUS_FILE, encode_check_status
from pykeepalived.observe.dumps import write_named
from pykeepalived.observe.snapshot import cmd_str

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pykeepalived.check.lvs import DestSpec, ServiceSpec
    from pykeepalived.commands import ScriptCommand
    from pykeepalived.config.model import Config
    from pykeepalived.daemon.checking import CheckRuntime
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.observe.check_snapshot import CheckSnapshot


def describe_script(command: ScriptCommand) -> ScriptLine:
    """keepalived's view of a script: resolved program path, the ids it runs as (a user
    that does not exist shows as root, which is where keepalived would refuse it)."""
    argv = (keepalived_path(command.program), *command.argv[1:]) if command.argv else ()
    try:
        creds = resolve_credentials(command.user, command.group)
    except ScriptRefused:
        return ScriptLine(cmd_str(argv))
    return ScriptLine(cmd_str(argv), creds.uid, creds.gid)


class CheckReadouts:
    """Serves Control.DATA and Control.JSON for one running configuration."""

    def __init__(self, config: Config, runtime: CheckRuntime, log: LogSink, directory: str,
                 file_values: Callable[[], Mapping[str, int]]) -> None:
        self._config = config
        self._runtime = runtime
        self._log = log
        self._directory = directory
        self._file_values = file_values

    async def serve(self, control: Control) -> None:
        """Write the file a dump signal asks for; a failure to write is logged, as the
        VRRP process does, and the checker goes on."""
        try:
            if control is Control.DATA:
                self._log.log(f"Printing checker data for process({os.getpid()}) on signal")
                write_named(CHECK_DATA_FILE, render_check_data(self.snapshot()),
                            self._directory)
            elif control is Control.JSON:
                write_named(CHECK_STATUS_FILE, await self.document(), self._directory)
        except OSError as exc:
            self._log.log(f"Cannot write the checker's {control.value} dump: {exc}")

    async def document(self) -> str:
        """Our check status document, the kernel's weights read back when IPVS is there
        (the JSON dump signal's file, and the control socket's answer)."""
        if self._runtime.spec is None:  # asked before the checks have started
            return '{"taken_at": 0, "pid": 0, "ipvs_read": false, "virtual_servers": []}\n'
        kernel = None
        if self._runtime.ports.ipvs_available:
            kernel = await self._runtime.ipvs_table()
        return encode_check_status(self.snapshot(kernel))

    def snapshot(self, kernel: dict[ServiceSpec, tuple[DestSpec, ...]] | None = None,
                 ) -> CheckSnapshot:
        spec = self._runtime.spec
        assert spec is not None, "a dump is served only once the checks have started"
        return build_check_snapshot(
            self._config, spec, self._runtime.cores, wall_now=time.time(),
            mono_now=self._runtime.now(), pid=os.getpid(), files=self._file_values(),
            kernel=kernel, describe=describe_script, real_path=os.path.realpath)
