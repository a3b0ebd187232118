"""netlab/vm.py's plumbing, with a stand-in for vng that runs the guest script on the host.

Booting the real VM takes a minute (tests/ipvs does it once per session); what can go
wrong around it, reading the exit status and output back and killing a VM that overruns
its deadline, is checked here in milliseconds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from netlab import vm

# Runs the last argument (`sh <rwdir>/vm-run.sh`) as the guest would, then exits 255 like
# vng without a terminal.
FAKE_VNG = """#!/bin/sh
for last; do :; done
eval "$last"
exit 255
"""


@pytest.fixture
def fake_vng(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "vng").write_text(FAKE_VNG)
    (bin_dir / "vng").chmod(0o755)
    kernel = tmp_path / "vmlinuz-test"
    kernel.write_text("")
    monkeypatch.setattr(vm, "venv_bin", lambda: bin_dir)
    monkeypatch.setattr(vm, "find_kernel", lambda: kernel)
    return tmp_path / "rw"


def test_status_and_output_come_back(fake_vng: Path) -> None:
    result = vm.run_in_vm("echo hello; echo oops >&2; exit 3", rwdir=fake_vng, timeout=30)
    assert result.status == 3
    assert not result.ok
    assert result.output == "hello\noops\n"
    assert not result.timed_out
    assert result.boot_seconds is not None
    assert result.boot_seconds <= result.total_seconds


def test_the_guest_environment_is_set(fake_vng: Path) -> None:
    result = vm.run_in_vm(
        'pwd; echo "$PYTHONDONTWRITEBYTECODE"; command -v vng', rwdir=fake_vng, timeout=30
    )
    assert result.ok
    cwd, no_bytecode, vng = result.output.splitlines()
    assert (Path(cwd), no_bytecode) == (vm.REPO_ROOT, "1")
    assert Path(vng).parent == vm.venv_bin()


def _gone(pid: int, deadline: float) -> bool:
    """The process no longer runs (absent, or a zombie waiting for its reaper)."""
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_an_overrunning_vm_is_killed_with_its_children(fake_vng: Path) -> None:
    command = f"sh -c 'echo $$ > {fake_vng}/pid; exec sleep 60'"
    started = time.monotonic()
    result = vm.run_in_vm(command, rwdir=fake_vng, timeout=1.5)
    assert result.timed_out
    assert result.status is None
    assert time.monotonic() - started < 10
    pid = int((fake_vng / "pid").read_text())
    assert _gone(pid, time.monotonic() + 5), f"sleep {pid} outlived the VM's deadline"


def test_a_stale_status_from_an_earlier_run_is_not_reported(fake_vng: Path) -> None:
    assert vm.run_in_vm("exit 0", rwdir=fake_vng, timeout=30).ok
    # The whole "VM" dies before the command ends: no status of this run exists.
    result = vm.run_in_vm("kill -9 0", rwdir=fake_vng, timeout=30)
    assert result.status is None
    assert not result.timed_out


def test_an_rwdir_unfit_for_the_kernel_command_line_is_refused(fake_vng: Path) -> None:
    with pytest.raises(ValueError, match="must use only"):
        vm.run_in_vm("true", rwdir=fake_vng.parent / "a b", timeout=1)


def test_vng_is_asked_for_software_emulation_and_root() -> None:
    argv = vm.vng_argv(Path("/k/vmlinuz"), Path("/rw"))
    assert argv[:3] == ["vng", "--run", "/k/vmlinuz"]
    for flag in ("--disable-kvm", "--verbose"):
        assert flag in argv
    assert argv[argv.index("--rwdir") + 1] == "/rw"
    assert argv[argv.index("--user") + 1] == "root"
    assert argv[-2:] == ["--", "sh /rw/vm-run.sh"]


def test_find_kernel_wants_modules_beside_the_image(tmp_path: Path) -> None:
    image = tmp_path / "linux-image-x" / "boot" / "vmlinuz-6.1.0-9-amd64"
    image.parent.mkdir(parents=True)
    image.write_text("")
    assert vm.find_kernel(tmp_path) is None
    modules = tmp_path / "linux-image-x" / "lib" / "modules" / "6.1.0-9-amd64"
    modules.mkdir(parents=True)
    (modules / "modules.dep").write_text("")
    assert vm.find_kernel(tmp_path) == image


def test_check_names_every_missing_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(vm, "find_kernel", lambda: None)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(vm, "venv_bin", lambda: Path("/nonexistent"))
    reasons = " | ".join(vm.unavailable_reasons())
    for piece in ("not root", "qemu-system-x86_64", "busybox", "vng", "no kernel"):
        assert piece in reasons
