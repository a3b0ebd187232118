"""The daemon's options, from keepalived's flags (cli/daemon.py builds them).

A module of their own because both processes read them: the VRRP process (service.py)
and the checker (check_service.py), which service.py starts in-process for a checker-only
configuration; with the options inside service.py the two modules imported each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DaemonOptions:
    config_path: str
    config_id: str | None = None
    all_config: bool = False
    release_vips: bool = True
    pid_files: tuple[str, ...] = ()
    dump_directory: str = "/tmp"
    command_line: str = ""
    #: comm to take once running (exporters look for a process named keepalived)
    process_name: str | None = None
    #: -D: keepalived's detail lines (here: resource usage at stop)
    log_detail: bool = False
    #: the checker child's command line (None: -P, or a process that is the checker)
    checker_argv: tuple[str, ...] | None = None
    #: not -R: start the checker again if it dies
    respawn: bool = True
    #: not -I: the checker removes its IPVS services at stop
    release_ipvs: bool = True
    #: pykeepalived: the control socket's path (None: no socket)
    control_socket: str | None = None
    #: pykeepalived: `[ADDRESS:]PORT` of the metrics endpoint (None: global_defs decides)
    metrics_address: str | None = None
    #: the process systemd started (not the checker child): it sends READY=1, WATCHDOG=1
    main_process: bool = True
    #: -x: every MIB on (keepalived's snmp_option); -A: snmpd's AgentX socket
    snmp: bool = False
    snmp_socket: str | None = None
