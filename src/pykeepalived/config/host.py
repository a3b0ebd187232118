"""What validation needs to know about this host, gathered once, passed in as a value.

keepalived's verdict depends on the machine (does eth1 exist? is the script executable?
does the SMTP host name resolve?). Gathering is I/O and lives only here
(`device_facts` for what the parser looks up while reading, `gather_host_facts` for the
rest); validation takes a `HostFacts`, so tests use fake facts and stay pure.
"""

from __future__ import annotations

import grp
import ipaddress
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pykeepalived.config.values import strtoul

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from ipaddress import IPv4Address, IPv6Address


@dataclass(frozen=True, slots=True)
class ScriptFacts:
    exists: bool
    executable: bool = False
    #: writable by a non-root user somewhere along its path (keepalived's "Unsafe permissions")
    insecure: bool = False
    #: not a program at all (a `</path` open test): never a security concern
    system: bool = False


MISSING = ScriptFacts(exists=False)


@dataclass(frozen=True, slots=True)
class HostFacts:
    interfaces: frozenset[str] = frozenset({"lo"})
    loopbacks: frozenset[str] = frozenset({"lo"})
    scripts: Mapping[str, ScriptFacts] = field(default_factory=dict)
    users: frozenset[str] = frozenset({"root"})
    groups: frozenset[str] = frozenset({"root"})
    resolvable: frozenset[str] = frozenset()
    #: interface name -> its addresses; None when not gathered (then nothing is judged)
    addresses: Mapping[str, frozenset[IPv4Address | IPv6Address]] | None = None
    #: can this kernel run IPVS (loaded, or a module to load)? None: not asked
    ipvs: bool | None = None
    #: online CPUs (sysconf), for `*_cpu_affinity`; None: not asked, any id is taken
    cpus: int | None = None
    #: the interfaces that are VRF devices (a route's `vrf NAME`)
    vrfs: frozenset[str] = frozenset()
    #: /etc/protocols names (a rule's `ipproto NAME`); None: not read, the usual ones
    protocols: frozenset[str] | None = None
    #: are `interfaces` this host's? False for another host's file (a peer's), whose
    #: addresses, routes and rules are then not dropped for a device missing here
    own_interfaces: bool = True
    #: /etc/iproute2 entries (id, name) by file, for route and rule words
    rt_names: Mapping[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)

    def script(self, path: str) -> ScriptFacts:
        return self.scripts.get(path, MISSING)


def list_interfaces() -> tuple[frozenset[str], frozenset[str]]:
    names = frozenset(name for _, name in socket.if_nameindex())
    loopbacks = frozenset(n for n in names if _is_loopback(n))
    return names, loopbacks


def read_protocols(path: str = "/etc/protocols") -> frozenset[str] | None:
    """The protocol names and aliases getprotobyname knows; None when unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            lines = file.read().splitlines()
    except OSError:
        return None
    names: set[str] = set()
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) >= 2:
            names.update((words[0], *words[2:]))
    return frozenset(names)


def list_vrfs(names: frozenset[str]) -> frozenset[str]:
    """The interfaces that are VRF devices (their uevent says DEVTYPE=vrf)."""
    found = set()
    for name in names:
        try:
            with open(f"/sys/class/net/{name}/uevent", encoding="ascii",
                      errors="replace") as handle:
                if "DEVTYPE=vrf" in handle.read().split():
                    found.add(name)
        except OSError:
            continue
    return frozenset(found)


def _is_loopback(name: str) -> bool:
    try:
        with open(f"/sys/class/net/{name}/type", encoding="ascii") as handle:
            return handle.read().strip() == "772"  # ARPHRD_LOOPBACK
    except OSError:
        return name == "lo"


def inspect_script(program: str) -> ScriptFacts:
    """Find the program as keepalived does (PATH search when no '/'), judge its mode."""
    if program.startswith("<") and program[1:].lstrip(" \t").startswith("/"):
        # "</dev/tcp/..." only tests that a file opens; keepalived runs no program
        return ScriptFacts(exists=True, executable=True, system=True)
    path = program if "/" in program else shutil.which(program)
    if path is None or not os.path.isfile(path):
        return MISSING
    executable = os.access(path, os.X_OK)
    return ScriptFacts(exists=True, executable=executable, insecure=_insecure(path))


def _insecure(path: str) -> bool:
    current = os.path.realpath(path)
    while True:
        try:
            info = os.stat(current)
        except OSError:
            return True
        if info.st_uid != 0 or (info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not (
            stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX
        )):
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def resolves(name: str) -> bool:
    """Does getaddrinfo know this host name (as keepalived asks for smtp_server)?"""
    try:
        socket.getaddrinfo(name, 25, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    return True


def interface_addresses() -> dict[str, frozenset[IPv4Address | IPv6Address]] | None:
    """Addresses per interface from `ip -j addr` (a subprocess, so it is safe from any
    thread or event loop); None when they cannot be read, so no advice guesses."""
    ip = shutil.which("ip")
    if ip is None:
        return None
    try:
        done = subprocess.run([ip, "-j", "addr", "show"], capture_output=True, text=True,
                              timeout=5, check=True)
        links = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    found: dict[str, frozenset[IPv4Address | IPv6Address]] = {}
    for link in links if isinstance(links, list) else []:
        local = set()
        for info in link.get("addr_info", []):
            try:
                local.add(ipaddress.ip_address(info.get("local", "")))
            except ValueError:
                continue
        found[str(link.get("ifname", ""))] = frozenset(local)
    return found


def _existing(names: Iterable[str], lookup: Callable[[str], object]) -> set[str]:
    found = set()
    for name in names:
        try:
            lookup(name)
        except (KeyError, ValueError):
            continue
        found.add(name)
    return found


def account_exists(user: str, group: str | None) -> bool:
    """Is there such a user (and group) on this host, as getpwnam/getgrnam say?"""
    return bool(_existing([user], pwd.getpwnam)) and (
        group is None or bool(_existing([group], grp.getgrnam)))


def kernel_has_ipvs(proc: str = "/proc/net/ip_vs", modules: str = "/lib/modules") -> bool:
    """IPVS is loaded, or the running kernel ships the module `modprobe ip_vs` would load
    (the daemon loads it at start, as keepalived does)."""
    if os.path.exists(proc):
        return True
    release = os.uname().release
    base = os.path.join(modules, release, "kernel", "net", "netfilter", "ipvs")
    return any(os.path.exists(os.path.join(base, f"ip_vs.ko{suffix}"))
               for suffix in ("", ".xz", ".zst", ".gz"))


def device_facts() -> HostFacts:
    """What keepalived's parser looks up while it reads: the interfaces (and which are
    loopbacks or VRFs), /etc/protocols and /etc/iproute2 names, the online CPUs."""
    names, loopbacks = list_interfaces()
    return HostFacts(interfaces=names, loopbacks=loopbacks, vrfs=list_vrfs(names),
                     protocols=read_protocols(), cpus=online_cpus(), rt_names=read_rt_names())


def gather_host_facts(programs: Iterable[str] = (), users: Iterable[str] = (), *,
                      groups: Iterable[str] = (), addresses: bool = False,
                      devices: HostFacts | None = None) -> HostFacts:
    """The rest of the facts, once the file is read, over `devices` (device_facts(),
    read again unless the caller already has them)."""
    return replace(
        device_facts() if devices is None else devices,
        scripts={program: inspect_script(program) for program in set(programs)},
        users=frozenset({"root"} | _existing({"keepalived_script", *users}, pwd.getpwnam)),
        groups=frozenset({"root"} | _existing(groups, grp.getgrnam)),
        addresses=interface_addresses() if addresses else None,
        ipvs=kernel_has_ipvs(),
    )


#: the /etc/iproute2 files keepalived reads names from (lib/rttables.c), with the
#: largest id each takes
RT_FILES = {"rt_tables": 2**32 - 1, "rt_dsfield": 255, "rt_realms": 255, "rt_protos": 255,
            "rt_scopes": 255, "group": 2**31 - 1}


def read_rt_names(directory: str = "/etc/iproute2"
                  ) -> dict[str, tuple[tuple[int, str], ...]]:
    """Each file's `ID NAME` lines as keepalived reads them (two words, an unsigned id in
    any base up to the file's bound; anything else skipped)."""
    found: dict[str, tuple[tuple[int, str], ...]] = {}
    for name, bound in RT_FILES.items():
        try:
            with open(os.path.join(directory, name), encoding="utf-8",
                      errors="replace") as file:
                lines = file.read().splitlines()
        except OSError:
            continue
        entries = []
        for line in lines:
            words = line.split("#", 1)[0].split()
            if len(words) != 2 or words[0].startswith("-"):
                continue
            number = strtoul(words[0])
            if number is not None and number <= bound:
                entries.append((number, words[1]))
        found[name] = tuple(entries)
    return found


def online_cpus() -> int | None:
    """sysconf(_SC_NPROCESSORS_ONLN), which keepalived checks CPU ids against."""
    try:
        count = os.sysconf("SC_NPROCESSORS_ONLN")
    except (ValueError, OSError):
        return None
    return count if count > 0 else None
