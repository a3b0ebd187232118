"""`-t` says clearly when the kernel has no IPVS, without changing keepalived's exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config.advice_check import check_notes
from pykeepalived.config.host import HostFacts, kernel_has_ipvs
from pykeepalived.config.load import load_config

if TYPE_CHECKING:
    from pathlib import Path

CONF = """virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.0.2.12 80 {
        TCP_CHECK {
        }
    }
}
"""


def test_kernel_has_ipvs_reads_proc_then_the_module_tree(tmp_path: Path) -> None:
    proc, modules = tmp_path / "ip_vs", tmp_path / "modules"
    assert not kernel_has_ipvs(str(proc), str(modules))
    proc.write_text("")
    assert kernel_has_ipvs(str(proc), str(modules))


def test_the_note_names_the_first_virtual_server_only_without_ipvs(tmp_path: Path) -> None:
    path = tmp_path / "k.conf"
    path.write_text(CONF)
    config = load_config(str(path), host=HostFacts()).config
    assert config is not None
    assert check_notes(config, HostFacts(ipvs=True)) == []
    (message, where), = check_notes(config, HostFacts(ipvs=False))
    assert message.startswith("this kernel has no IPVS")
    assert where is not None
    assert where.line == 1
