"""Run-time script security: may this script run as root, given who can write its path?

keepalived (lib/notify.c check_security) refuses, under `enable_script_security`, a script
that runs as root while the script or any directory leading to it could be changed by
someone other than root: an owner other than root, or write permission for a non-root
group or for everyone (a directory with the sticky bit is exempt from the write rule,
as /tmp is). keepalived only says "Unsafe permissions found for script '...'"; we name
the offending path component and the command that fixes it.

`unsafe_component` is the pure decision over `PathFact`s (stat facts, no I/O);
`gather_path_facts` and `script_security_problem` are the thin I/O around it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True, slots=True)
class PathFact:
    """lstat facts about one component of a script's path ("/", "/etc", ... the file)."""

    path: str
    uid: int
    gid: int
    mode: int


@dataclass(frozen=True, slots=True)
class Unsafe:
    """Why a path component makes the script unsafe, and how to fix it."""

    path: str
    problem: str
    fix: str

    def message(self, script: str) -> str:
        return (f"Unsafe permissions found for script '{script}' - disabling: "
                f"{self.path} {self.problem}; fix with `{self.fix}`")


def _write_problem(fact: PathFact) -> Unsafe | None:
    """Group/other write permission that a non-root user could use."""
    exempt = stat.S_ISDIR(fact.mode) and fact.mode & stat.S_ISVTX
    if exempt or not (stat.S_ISDIR(fact.mode) or stat.S_ISREG(fact.mode)):
        return None
    group_w = bool(fact.gid != 0 and fact.mode & stat.S_IWGRP)
    other_w = bool(fact.mode & stat.S_IWOTH)
    if not (group_w or other_w):
        return None
    who = " and ".join(w for w, on in ((f"group {fact.gid}", group_w), ("everyone", other_w))
                       if on)
    bits = ("g" if group_w else "") + ("o" if other_w else "")
    return Unsafe(fact.path, f"is writable by {who}", f"chmod {bits}-w {fact.path}")


def unsafe_component(facts: Sequence[PathFact]) -> Unsafe | None:
    """The first component (from "/" down to the file) that a non-root user could alter."""
    last = len(facts) - 1
    for index, fact in enumerate(facts):
        if index < last and not stat.S_ISDIR(fact.mode):
            return Unsafe(fact.path, "is not a directory", f"ls -ld {fact.path}")
        if index == last and not (stat.S_ISREG(fact.mode) or stat.S_ISLNK(fact.mode)):
            return Unsafe(fact.path, "is not a regular file", f"ls -ld {fact.path}")
        if fact.uid != 0:
            return Unsafe(fact.path, f"is owned by uid {fact.uid}, not root",
                          f"chown root {fact.path}")
        problem = _write_problem(fact)
        if problem is not None:
            return problem
    return None


def needs_protection(uid: int, gid: int, file_mode: int, file_uid: int, file_gid: int) -> bool:
    """keepalived checks a script only when it gains root: run as root, or set-id root."""
    setuid_root = file_uid == 0 and file_mode & stat.S_ISUID and file_mode & stat.S_IXUSR
    setgid_root = file_gid == 0 and file_mode & stat.S_ISGID and file_mode & stat.S_IXGRP
    return uid == 0 or gid == 0 or bool(setuid_root) or bool(setgid_root)


def path_components(path: str) -> list[str]:
    """"/a/b/c" -> ["/", "/a", "/a/b", "/a/b/c"]."""
    parts = [p for p in path.split("/") if p]
    return ["/"] + ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def gather_path_facts(path: str) -> list[PathFact]:
    """lstat every component of an absolute path; OSError if one is missing."""
    facts = []
    for component in path_components(path):
        st = os.lstat(component)
        facts.append(PathFact(component, st.st_uid, st.st_gid, st.st_mode))
    return facts


def resolve_program(program: str) -> str | None:
    """The absolute path keepalived would execute: PATH search for bare names."""
    if "/" not in program:
        import shutil  # only for a bare name: shutil loads three compressors (0.6 MiB)

        found = shutil.which(program)
        return os.path.abspath(found) if found else None
    return os.path.abspath(program)


def keepalived_path(program: str) -> str:
    """The program path keepalived shows and runs (lib/notify.c check_script_secure):
    found on PATH if bare, symlinks resolved, but the name as written kept when it is
    another name for the same file; a script it cannot find stays as written."""
    if program.startswith("<"):
        return program  # "</file": a readability check, never executed
    path = resolve_program(program)
    if path is None:
        return program
    real = os.path.realpath(path)
    name = os.path.basename(path)
    if os.path.basename(real) == name:
        return real
    kept = os.path.join(os.path.dirname(real), name)
    try:
        return kept if os.path.samefile(kept, real) else real
    except OSError:
        return real


def script_security_problem(program: str, *, uid: int, gid: int) -> str | None:
    """Why this script must not run as `uid`:`gid`, or None if it may.

    Both the path as written and its symlink-resolved real path are checked, as keepalived
    does. A missing script is a problem too (keepalived disables it).
    """
    path = resolve_program(program)
    if path is None:
        return f"Cannot find script {program} in path - disabling"
    try:
        st = os.stat(path)
        if not needs_protection(uid, gid, st.st_mode, st.st_uid, st.st_gid):
            return None
        for candidate in dict.fromkeys((path, os.path.realpath(path))):
            unsafe = unsafe_component(gather_path_facts(candidate))
            if unsafe is not None:
                return unsafe.message(program)
    except OSError as exc:
        return f"Script {program} cannot be accessed - {exc.strerror}"
    return None
