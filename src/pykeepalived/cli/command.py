"""Command line with keepalived's flags, spellings and `-t` exit codes.

Scripts, unit files and exporters call keepalived by its flags and parse what it
prints (`-v` banner on stderr, `--signum` numbers on stdout), so those match keepalived
2.2.7. Without `-t` it runs the VRRP daemon (daemon/service.py), in the foreground.
`pykeepalived status [...]` shows what a running daemon is doing (cli/status.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from pykeepalived import KEEPALIVED_COMPAT_VERSION, __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_CONFIG = "/etc/keepalived/keepalived.conf"

#: keepalived --signum answers (lib/signals.h; SIGRTMAX-1 and SIGRTMIN+2 on Linux).
SIGNUMS = {"STOP": 15, "RELOAD": 1, "DATA": 10, "STATS": 12, "STATS_CLEAR": 63, "JSON": 36}


class _Formatter(argparse.HelpFormatter):
    """argparse's help at a fixed width: its default asks shutil for the terminal's, and
    shutil loads three compression modules (0.6 MiB the daemon would keep for life)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=80)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pykeepalived", description="keepalived, rebuilt in Python", add_help=True,
        formatter_class=_Formatter)
    add = parser.add_argument
    add("-f", "--use-file", default=None, metavar="FILE", help="use the specified config file")
    add("-t", "--config-test", nargs="?", const="", default=None, metavar="FILE",
        help="check the configuration for obvious errors")
    add("-d", "--dump-conf", action="store_true", help="dump the configuration data")
    add("-i", "--config-id", metavar="ID", help="skip lines in config file not for this id")
    add("-e", "--all-config", action="store_true", help="fail if any config file is missing")
    add("-n", "--dont-fork", action="store_true", help="don't fork the daemon process")
    add("-l", "--log-console", action="store_true", help="log messages to local console")
    add("-D", "--log-detail", action="store_true", help="detailed log messages")
    add("-S", "--log-facility", metavar="0-7", help="set syslog facility to LOG_LOCAL[0-7]")
    add("-G", "--no-syslog", action="store_true", help="don't log via syslog")
    add("-p", "--pid", metavar="FILE", help="use specified pidfile for parent process")
    add("-r", "--vrrp_pid", metavar="FILE", help="use specified pidfile for VRRP child")
    add("-c", "--checkers_pid", metavar="FILE", help="use specified pidfile for checkers")
    add("-P", "--vrrp", action="store_true", help="only run with VRRP subsystem")
    add("-C", "--check", action="store_true", help="only run with health-checker subsystem")
    add("-V", "--dont-release-vrrp", action="store_true", help="don't remove VIPs on stop")
    add("-X", "--release-vips", action="store_true", help="drop VIPs on transition from signal")
    add("-R", "--dont-respawn", action="store_true", help="don't respawn child processes")
    add("-I", "--dont-release-ipvs", action="store_true",
        help="don't remove IPVS topology on daemon stop")
    add("-x", "--snmp", action="store_true", help="enable SNMP subsystem")
    add("-A", "--snmp-agent-socket", metavar="FILE",
        help="use the specified socket for master agent")
    add("--checker-child", action="store_true", help=argparse.SUPPRESS)
    add("-v", "--version", action="store_true", help="display the version number")
    add("--peer-config", action="append", default=[], metavar="FILE",
        help="pykeepalived: a peer node's config, so -t can judge tracker weights")
    add("--dump-dir", default="/tmp", metavar="DIR",
        help="pykeepalived: where DATA/STATS/JSON dumps go (keepalived: always /tmp)")
    add("--control-socket", default=None, metavar="PATH",
        help="pykeepalived: the control socket `pykeepalived status` asks (root only, mode"
        " 0600; default pykeepalived.sock beside the pid file; 'none': no socket)")
    add("--metrics-address", default=None, metavar="[ADDRESS:]PORT",
        help="pykeepalived: serve Prometheus metrics (/metrics) and the state check"
        " (/state/INSTANCE) over HTTP; a bare PORT binds loopback only")
    add("--signum", metavar="SIGFUNC", help="return signal number for STOP, RELOAD, DATA, "
        "STATS, STATS_CLEAR, JSON")
    return parser


def version_banner() -> str:
    """keepalived's `-v` layout; exporters parse `Keepalived v(\\S+)` from its first line."""
    return (f"Keepalived v{KEEPALIVED_COMPAT_VERSION} (pykeepalived {__version__})\n\n"
            "Copyright(C) 2001-2022 Alexandre Cassen, <acassen@gmail.com>\n"
            "pykeepalived: keepalived rebuilt in Python, GPL-2.0-or-later\n\n"
            f"Running on {os.uname().sysname} {os.uname().release}\n\n"
            "Config options:  VRRP VRRP_AUTH\n")


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] == ["status"]:
        from pykeepalived.cli.status import main_status

        return main_status(words[1:])
    genhash = _genhash_words(words)
    if genhash is not None:
        from pykeepalived.cli.genhash import main_genhash

        prog, genhash_args, argc = genhash
        return main_genhash(genhash_args, prog=prog, argc=argc)
    parser = build_parser()
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.version:
        print(version_banner(), file=sys.stderr, end="")
        return 0
    if args.signum is not None:
        number = SIGNUMS.get(args.signum)
        if number is None:
            print(f"Unknown sigfunc {args.signum}", file=sys.stderr)
            return 1
        print(number)
        return 0
    path = args.config_test or args.use_file or DEFAULT_CONFIG
    if args.config_test is not None or args.dump_conf:
        # the parser is imported here only: the daemon loads its config in a child
        from pykeepalived.cli.config_test import config_test
    if args.config_test is not None:
        return config_test(path, config_id=args.config_id, all_config=args.all_config,
                           dump=args.dump_conf, peers=args.peer_config)
    if args.dump_conf:
        config_test(path, config_id=args.config_id, all_config=args.all_config, dump=True)
    from pykeepalived.cli.daemon import run_daemon

    return run_daemon(args, path)


def _genhash_words(words: list[str]) -> tuple[str, list[str], int] | None:
    """genhash's usage name, arguments and keepalived's argc when this is a genhash run:
    `pykeepalived genhash ...`, keepalived's `--genhash`/`-T` first, or a program
    named `genhash` (keepalived's own link)."""
    program = sys.argv[0] if sys.argv and sys.argv[0] else "pykeepalived"
    if os.path.basename(program) == "genhash":
        return program, words, len(words) + 1
    if words[:1] == ["genhash"]:
        return f"{program} genhash", words[1:], len(words)
    if words[:1] in (["--genhash"], ["-T"]):
        return f"{program} --genhash", words[1:], len(words) + 1
    return None
