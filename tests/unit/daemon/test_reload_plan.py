"""Reload planning (pure): which instances are kept, restarted, removed, added."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config.load import LoadResult
from pykeepalived.daemon.reload import FAILED_LINE, load_errors
from pykeepalived.specs.reload import plan_reload
from tests.unit.daemon.rt_specs import HOST, daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path


def specs(tmp_path: Path, text: str, name: str) -> dict:
    return {s.name: s for s in daemon_from(text, tmp_path, name).instances}


def test_identical_config_keeps_everything(tmp_path: Path) -> None:
    old = specs(tmp_path, instance_text(), "a.conf")
    plan = plan_reload(old, old.values())
    assert [name for name, _ in plan.keep] == ["VI_T"]
    assert (plan.change, plan.remove, plan.add) == ((), (), ())


def test_priority_change_is_a_change_of_the_same_instance(tmp_path: Path) -> None:
    old = specs(tmp_path, instance_text(priority=100), "a.conf")
    new = specs(tmp_path, instance_text(priority=120), "b.conf")
    plan = plan_reload(old, new.values())
    assert [(name, spec.params.priority) for name, spec in plan.change] == [("VI_T", 120)]
    assert plan.summary() == "0 kept, 1 changed, 0 removed, 0 added"


def test_matched_by_vrid_family_interface_not_by_name(tmp_path: Path) -> None:
    old = specs(tmp_path, instance_text(name="VI_OLD"), "a.conf")
    new = specs(tmp_path, instance_text(name="VI_NEW"), "b.conf")
    plan = plan_reload(old, new.values())
    assert [(name, spec.name) for name, spec in plan.change] == [("VI_OLD", "VI_NEW")]


def test_new_vrid_is_remove_plus_add(tmp_path: Path) -> None:
    old = specs(tmp_path, instance_text(vrid=171) + instance_text(name="VI_K", vrid=175,
                                                                    vips="192.0.2.175/24"),
                "a.conf")
    new = specs(tmp_path, instance_text(vrid=172) + instance_text(name="VI_K", vrid=175,
                                                                    vips="192.0.2.175/24"),
                "b.conf")
    plan = plan_reload(old, new.values())
    assert plan.remove == ("VI_T",)
    assert [s.params.vrid for s in plan.add] == [172]
    assert [name for name, _ in plan.keep] == ["VI_K"]


def test_unicast_and_multicast_never_match(tmp_path: Path) -> None:
    old = specs(tmp_path, instance_text(), "a.conf")
    extra = "unicast_src_ip 192.0.2.11\n unicast_peer {\n 192.0.2.12\n }"
    new = specs(tmp_path, instance_text(extra=extra), "b.conf")
    plan = plan_reload(old, new.values())
    assert (plan.remove, len(plan.add)) == (("VI_T",), 1)


def test_a_fatal_diagnostic_refuses_the_reload(tmp_path: Path) -> None:
    from pykeepalived.config.load import load_config

    path = tmp_path / "bad.conf"
    path.write_text(instance_text().replace("virtual_router_id 171", "virtual_router_id 351"))
    result = load_config(str(path), host=HOST)
    errors = load_errors(result)
    assert errors, result.diagnostics
    assert FAILED_LINE == "Reload failed, keeping the running configuration"


def test_missing_file_and_empty_config_refuse_the_reload(tmp_path: Path) -> None:
    from pykeepalived.config.load import load_config

    assert load_errors(load_config(str(tmp_path / "none.conf"), host=HOST))
    assert load_errors(LoadResult(None, (), (), aborted=True)) == [
        "Configuration cannot be read"]
    empty = tmp_path / "empty.conf"
    empty.write_text("global_defs {\n router_id x\n}\n")
    assert load_errors(load_config(str(empty), host=HOST)) == ["No VRRP instances configured"]


def test_good_config_has_no_errors(tmp_path: Path) -> None:
    from pykeepalived.config.load import load_config

    path = tmp_path / "good.conf"
    path.write_text(instance_text())
    assert load_errors(load_config(str(path), host=HOST)) == []
