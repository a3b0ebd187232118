"""What a VRRP daemon process holds: the parts a plain configuration does not use stay
out of its memory (issue 15's RSS target: 25 MiB at 200 instances, keepalived 13).

Run in a fresh interpreter the way cli.run_daemon starts (flags parsed, asyncio without
OpenSSL, the service imported); each module named here cost 0.1-2.5 MiB of RSS when it
was imported at start. They load when first used: the parser in the config child, the
read-outs at the first status request or dump, ctypes at the first script, the digests
with authentication, the etcd, SNMP and witness adapters when configured.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

#: module -> why a plain VRRP daemon must not import it at start
NOT_AT_START = {
    "pykeepalived.config.load": "the parser: read in the config child",
    "pykeepalived.config.schema_vrrp": "the parser",
    "pykeepalived.cli.config_test": "-t and -d only",
    "pykeepalived.observe.capture": "read-outs: at the first status or dump",
    "pykeepalived.observe.snapshot": "read-outs",
    "pykeepalived.observe.control": "read-outs (JSON documents)",
    "pykeepalived.specs.check_build": "the checker's specs",
    "pykeepalived.check.params": "the checker's values",
    "pykeepalived.adapters.etcd_lease": "lease witness only",
    "pykeepalived.adapters.agentx": "SNMP only",
    "pykeepalived.adapters.witness_probe": "witness only",
    "shutil": "argparse's terminal width and shutil.which: three compressors",
    "ctypes": "prctl for scripts: at the first script",
    "fractions": "timer arithmetic in integers",
    "hashlib": "AH and PASS authentication only",
    "json": "read-outs and etcd only",
    "platform": "os.uname() says the same",
    "urllib.parse": "metrics endpoint only",
}


def test_a_plain_vrrp_daemon_imports_none_of_the_optional_parts() -> None:
    code = textwrap.dedent("""
        import sys
        from pykeepalived.cli.command import build_parser
        args = build_parser().parse_args(["-n", "-l", "-D", "-f", "/nonexistent.conf"])
        from pykeepalived.daemon.openssl_free import load_asyncio
        load_asyncio()
        import asyncio
        from pykeepalived.daemon.logs import DaemonLog, LogSettings, install_bridge
        from pykeepalived.daemon.service import serve
        print(" ".join(sorted(sys.modules)))  # not json: it must not be imported here
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    loaded = set(done.stdout.strip().splitlines()[-1].split())
    assert "pykeepalived.daemon.runtime" in loaded  # the probe did import the daemon
    assert {name: why for name, why in NOT_AT_START.items() if name in loaded} == {}


def test_the_readouts_load_in_a_worker_thread_at_the_first_request() -> None:
    code = textwrap.dedent("""
        import asyncio, importlib, sys, threading
        from pykeepalived.daemon.readout_servers import READOUT_MODULES, load_readouts
        seen = []
        real = importlib.import_module
        def spy(name, package=None):
            seen.append((name, threading.get_ident() != threading.main_thread().ident))
            return real(name, package)
        importlib.import_module = spy
        before = [name in sys.modules for name in READOUT_MODULES]
        asyncio.run(load_readouts())
        asyncio.run(load_readouts())  # the second time: nothing left to import
        print(repr((before, [name in sys.modules for name in READOUT_MODULES], seen)))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    before, after, seen = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert (before, after) == ([False] * 3, [True] * 3)
    # each imported once, none on the loop's (main) thread
    assert seen == [("pykeepalived.observe.capture", True),
                    ("pykeepalived.observe.control", True),
                    ("pykeepalived.observe.dumps", True)]
