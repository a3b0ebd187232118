"""Run a command inside a VM that boots Debian's own kernel, for tests that need real IPVS.

The host kernel has no IPVS, so tests of the IPVS programming boot Debian's kernel
(unpacked by scripts/vm-kernel.sh into .vm/kernel/) under qemu with virtme-ng. The guest
shares the host's root filesystem read-only, so it runs the checkout and its venv as they
are; only --rwdir comes back writable. /tmp and /run are writable inside too (memory-backed
overlays that vanish at power-off).

Two facts of this machine shape the code:

- KVM fails here (`failed to set MSR 0x10a`): the guest runs under software emulation, so
  boots take 15-50 s and CPU-heavy work is 10x+ slower. Use the VM for correctness only.
- Without a terminal `vng` always exits 255, and prints the command's output only among
  the console messages: the command's exit status and output are written to files in the
  rwdir instead, and read back after the VM has powered off.

`python -m netlab.vm --check` says whether the VM can run here and, if not, why.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
KERNEL_CACHE = REPO_ROOT / ".vm" / "kernel"
MEMORY = "2G"
CPUS = 2
POLL_SECONDS = 0.2

# The rwdir's path reaches the guest on the kernel command line (virtme_initmount0=...),
# where a space or a quote would split or break it.
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9_./+-]+$")

# Files of one run inside the rwdir: written by the guest, read by the host after power-off.
STARTED = "vm-started"
STATUS = "vm-status"
OUTPUT = "vm-output.log"
SCRIPT = "vm-run.sh"
CONSOLE = "vm-console.log"


@dataclass(frozen=True)
class VmResult:
    """What one VM run gave back.

    `status` is the command's own exit status, None when it never finished (timeout,
    guest crash, qemu failure); `console_log` then says what the guest kernel saw.
    """

    status: int | None
    output: str
    boot_seconds: float | None
    total_seconds: float
    timed_out: bool
    console_log: Path

    @property
    def ok(self) -> bool:
        """The command ran to its end and exited 0."""
        return self.status == 0


def find_kernel(cache: Path = KERNEL_CACHE) -> Path | None:
    """The cached Debian kernel image whose modules sit beside it, newest first.

    vng finds the modules itself from the image's path (<pkg>/lib/modules/<ver>) and links
    them into the guest's /lib/modules, so an image without them cannot load ip_vs.
    """
    for image in sorted(cache.glob("*/boot/vmlinuz-*"), reverse=True):
        version = image.name.removeprefix("vmlinuz-")
        if (image.parents[1] / "lib" / "modules" / version / "modules.dep").is_file():
            return image
    return None


def venv_bin() -> Path:
    """The bin/ of the Python running this: vng calls `virtme-run` by name from PATH."""
    return Path(sys.prefix) / "bin"


def _host_path() -> str:
    return os.pathsep.join([str(venv_bin()), os.environ.get("PATH", os.defpath)])


def unavailable_reasons() -> list[str]:
    """Why the VM cannot run on this machine; empty when it can."""
    reasons: list[str] = []
    if os.geteuid() != 0:
        reasons.append("not root (the VM set-up and the guest's root need it)")
    path = _host_path()
    for tool, package in (("qemu-system-x86_64", "qemu-system-x86"), ("busybox", "busybox-static")):
        if shutil.which(tool, path=path) is None:
            reasons.append(f"no {tool} (Debian package {package}; `make vm` installs it)")
    if shutil.which("vng", path=path) is None:
        reasons.append(f"no vng in {venv_bin()} (virtme-ng, in pyproject's test extra)")
    if find_kernel() is None:
        reasons.append(f"no kernel with modules under {KERNEL_CACHE} (`make vm` unpacks it)")
    return reasons


def _inner_script(command: str, rwdir: Path) -> str:
    """The guest side: mark the start, run the command, keep its output and exit status.

    PYTHONDONTWRITEBYTECODE: the checkout is read-only inside, so bytecode writes would
    only fail. Hypothesis keeps its database under the rwdir for the same reason.
    """
    rw = shlex.quote(str(rwdir))
    return "\n".join(
        [
            f": > {rw}/{STARTED}",
            f"cd {shlex.quote(str(REPO_ROOT))}",
            f"export PATH={shlex.quote(str(venv_bin()))}:$PATH",
            "export PYTHONDONTWRITEBYTECODE=1",
            f"export HYPOTHESIS_STORAGE_DIRECTORY={rw}/hypothesis",
            f"( {command}\n) > {rw}/{OUTPUT} 2>&1 < /dev/null",
            f"echo $? > {rw}/{STATUS}",
            "",
        ]
    )


def vng_argv(kernel: Path, rwdir: Path) -> list[str]:
    """The vng command line: software emulation, the rwdir shared, the script as root."""
    return [
        "vng",
        "--run",
        str(kernel),
        "--disable-kvm",
        "--verbose",
        "--rwdir",
        str(rwdir),
        "--user",
        "root",
        "--memory",
        MEMORY,
        "--cpus",
        str(CPUS),
        "--",
        f"sh {shlex.quote(str(rwdir / SCRIPT))}",
    ]


def _prepare_rwdir(command: str, rwdir: Path) -> Path:
    rwdir = rwdir.resolve()
    if not _SAFE_PATH.match(str(rwdir)):
        raise ValueError(f"rwdir {rwdir} must use only [A-Za-z0-9_./+-] (kernel command line)")
    rwdir.mkdir(parents=True, exist_ok=True)
    for name in (STARTED, STATUS, OUTPUT):
        (rwdir / name).unlink(missing_ok=True)
    (rwdir / SCRIPT).write_text(_inner_script(command, rwdir))
    return rwdir


def _wait(
    proc: subprocess.Popen[bytes], started: Path, t0: float, timeout: float
) -> tuple[float | None, bool]:
    """Wait until vng ends or the deadline passes.

    Returns the seconds until the guest began the command (None if it never did) and
    whether the deadline came first. The start marker is polled, so the boot time is
    known to within POLL_SECONDS.
    """
    boot: float | None = None
    deadline = t0 + timeout
    while True:
        if boot is None and started.exists():
            boot = time.monotonic() - t0
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return boot, True
        try:
            proc.wait(timeout=min(POLL_SECONDS, remaining))
        except subprocess.TimeoutExpired:
            continue
        if boot is None and started.exists():
            boot = time.monotonic() - t0
        return boot, False


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill vng and its qemu: the process group we started, while its leader is ours.

    Only while the leader is unreaped is its PID (= the group id) surely still ours, so a
    group whose leader has exited is left alone.
    """
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _read_status(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def run_in_vm(command: str, *, rwdir: Path, timeout: float) -> VmResult:
    """Boot the VM, run `command` (a shell command) as root inside, and power off.

    `rwdir` is the one host folder the guest can write (created if absent); results of
    the command should go there. The whole run, boot included, is bounded by `timeout`
    seconds, after which the VM is killed and `timed_out` is set.
    """
    kernel = find_kernel()
    if kernel is None:
        raise RuntimeError(f"no kernel under {KERNEL_CACHE}: run `make vm` as root")
    rwdir = _prepare_rwdir(command, rwdir)
    console = rwdir / CONSOLE
    env = {**os.environ, "PATH": _host_path()}
    t0 = time.monotonic()
    with console.open("wb") as log:
        proc = subprocess.Popen(
            vng_argv(kernel, rwdir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            boot, timed_out = _wait(proc, rwdir / STARTED, t0, timeout)
        finally:
            _kill_group(proc)
    output_path = rwdir / OUTPUT
    return VmResult(
        status=None if timed_out else _read_status(rwdir / STATUS),
        output=output_path.read_text(errors="replace") if output_path.exists() else "",
        boot_seconds=boot,
        total_seconds=time.monotonic() - t0,
        timed_out=timed_out,
        console_log=console,
    )


def main(argv: list[str] | None = None) -> int:
    """`--check`: can the VM run here? `--run CMD --rwdir DIR`: run one command by hand."""
    parser = argparse.ArgumentParser(prog="python -m netlab.vm", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="say whether the VM can run here")
    parser.add_argument("--run", metavar="CMD", help="run a shell command in the VM")
    parser.add_argument("--rwdir", type=Path, help="writable folder for --run")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    reasons = unavailable_reasons()
    if args.check or args.run is None:
        if reasons:
            print("the VM cannot run here:\n  " + "\n  ".join(reasons))
            return 1
        print(f"the VM can run here: kernel {find_kernel()}")
        return 0
    if reasons:
        parser.error("; ".join(reasons))
    if args.rwdir is None:
        parser.error("--run needs --rwdir")
    result = run_in_vm(args.run, rwdir=args.rwdir, timeout=args.timeout)
    sys.stdout.write(result.output)
    boot = "never" if result.boot_seconds is None else f"{result.boot_seconds:.1f} s"
    print(f"[vm] status {result.status}, boot {boot}, total {result.total_seconds:.1f} s,"
          f" console {result.console_log}" + (" (timed out)" if result.timed_out else ""))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
