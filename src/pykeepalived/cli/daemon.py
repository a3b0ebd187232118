"""Starting the daemon from keepalived's flags: VRRP, the checker child, or both.

Without `-n` the daemon goes to the background first, as keepalived does. The VRRP
process starts the checker child (daemon/children.py) when the configuration has
virtual servers, unless `-P`; `-C` runs only the checker. The child is this same
program with `--checker-child` and the daemon's own logging, config and pid flags.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

#: keepalived's default pid file of the checker process
CHECKERS_PIDFILE = "/run/keepalived_checkers.pid"


def daemonize() -> bool:
    """Go to the background as keepalived does without `-n`: double fork, new session,
    cwd /, standard streams on /dev/null. True in the daemon, False in the caller, which
    exits 0 at once (start-up errors then only reach syslog, as with keepalived)."""
    if os.fork() > 0:
        return False
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    null = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(null, stream)
    os.close(null)
    return True


def control_socket_path(args: argparse.Namespace, main_pid: str) -> str | None:
    """`--control-socket`, or pykeepalived.sock beside the main pid file; None for 'none'.
    The checker child is handed its own path (the parent's + `.check`) by checker_flags."""
    from pykeepalived.observe.control_names import CONTROL_SOCKET_NAME

    value = args.control_socket
    if value is None:
        return os.path.join(os.path.dirname(main_pid), CONTROL_SOCKET_NAME)
    return None if value in ("", "none") else os.path.abspath(value)


def checker_flags(args: argparse.Namespace, path: str, pid_file: str,
                  control: str | None = None) -> tuple[str, ...]:
    """The flags the checker child needs to be the same daemon, checking."""
    from pykeepalived.observe.control_names import CHECK_SOCKET_SUFFIX

    flags = ["-n", "-f", path, "-c", pid_file, "--dump-dir", os.path.abspath(args.dump_dir),
             "--control-socket", "none" if control is None else control + CHECK_SOCKET_SUFFIX]
    for present, flag in ((args.log_console, "-l"), (args.log_detail, "-D"),
                          (args.no_syslog, "-G"), (args.all_config, "-e"),
                          (args.dont_release_ipvs, "-I"), (args.snmp, "-x")):
        if present:
            flags.append(flag)
    if args.log_facility is not None:
        flags += ["-S", args.log_facility]
    if args.config_id is not None:
        flags += ["-i", args.config_id]
    if args.snmp_agent_socket is not None:
        flags += ["-A", args.snmp_agent_socket]
    return tuple(flags)


def run_daemon(args: argparse.Namespace, path: str) -> int:
    """The daemon; in the background unless `-n` (the Debian unit passes `-n`)."""
    from pykeepalived.daemon.openssl_free import load_asyncio

    load_asyncio()  # first: asyncio and hashlib without OpenSSL (4.5 MiB less)
    import asyncio

    from pykeepalived.daemon.logs import DaemonLog, LogSettings, install_bridge
    from pykeepalived.daemon.options import DaemonOptions
    from pykeepalived.daemon.pidfile import MAIN_PIDFILE, VRRP_PIDFILE

    # the daemon changes directory to /: every path it keeps must be absolute
    path = os.path.abspath(path)
    main_pid = os.path.abspath(args.pid or MAIN_PIDFILE)
    checkers_pid = os.path.abspath(args.checkers_pid or CHECKERS_PIDFILE)
    checking = args.checker_child or args.check
    if checking:
        pid_files: tuple[str, ...] = (checkers_pid,) if args.checker_child else (
            main_pid, checkers_pid)
    else:
        pid_files = (main_pid, os.path.abspath(args.vrrp_pid or VRRP_PIDFILE))
    # the child is told its socket by the parent (checker_flags): taken as given
    control = control_socket_path(args, main_pid) if not args.checker_child else (
        None if args.control_socket in (None, "", "none") else args.control_socket)
    if not args.dont_fork and not args.checker_child and not daemonize():
        return 0
    settings = LogSettings.from_flags(
        log_console=args.log_console, dont_fork=args.dont_fork, no_syslog=args.no_syslog,
        log_detail=args.log_detail, facility=args.log_facility)
    if checking:
        settings = LogSettings(settings.console, settings.use_syslog, settings.detail,
                               settings.debug, settings.facility, "Keepalived_healthcheckers")
    log = DaemonLog(settings)
    options = DaemonOptions(
        config_path=path, config_id=args.config_id, all_config=args.all_config,
        release_vips=not args.dont_release_vrrp, pid_files=pid_files,
        command_line=" ".join(sys.argv), process_name="keepalived",
        dump_directory=os.path.abspath(args.dump_dir), log_detail=args.log_detail,
        checker_argv=None if args.vrrp or checking else checker_flags(args, path,
                                                                      checkers_pid, control),
        respawn=not args.dont_respawn, release_ipvs=not args.dont_release_ipvs,
        control_socket=control, metrics_address=args.metrics_address,
        main_process=not args.checker_child,
        snmp=args.snmp, snmp_socket=args.snmp_agent_socket)
    remove_bridge = install_bridge(log)
    try:
        if checking:
            from pykeepalived.daemon.check_service import serve_checker
            from pykeepalived.daemon.real_check_ports import open_check_ports
            from pykeepalived.specs.check_build import check_spec

            return asyncio.run(serve_checker(options, log, check_spec, open_check_ports))
        # the VRRP side only here: the checker (child or -C) never imports its runtime
        from pykeepalived.daemon.service import serve

        return asyncio.run(serve(options, log))
    except KeyboardInterrupt:
        return 0
    finally:
        remove_bridge()
        log.close()
