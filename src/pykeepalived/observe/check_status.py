"""Our check status document: what an operator asks of the health checks, and its table.

keepalived's checker answers only SIGUSR1 (keepalived_check.data, a long text made for
debugging). On the JSON dump signal, which the VRRP process passes on to it, our checker
writes `pykeepalived.check_status.json` beside keepalived.json: per virtual server its
quorum and sorry server, per real server whether it is alive and in IPVS with which
weight (configured, effective, the one we gave IPVS and the one the kernel really holds),
per checker its state and last result with the reason. `pykeepalived status` shows it
under the VRRP table, and metrics.py turns it into Prometheus text.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pykeepalived.observe.check_snapshot import (
        CheckerView,
        CheckSnapshot,
        RealServerView,
        VirtualServerView,
    )

CHECK_STATUS_FILE = "pykeepalived.check_status.json"


class CheckStatusError(Exception):
    """The check status file is not one of ours (worded for the operator)."""


@dataclass(frozen=True, slots=True)
class CheckerStatus:
    kind: str
    enabled: bool
    up: bool
    has_run: bool
    #: the last probe: ok, its reason and detail, latency (s) and when (epoch)
    last_ok: bool | None = None
    last_reason: str = ""
    last_detail: str = ""
    last_latency: float | None = None
    last_at: float | None = None
    failures: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RealServerStatus:
    #: `192.0.2.11:8080` and keepalived's `[192.0.2.11]:tcp:8080`
    address: str
    server: str
    alive: bool
    in_ipvs: bool
    weight: int
    effective_weight: int
    ipvs_weight: int
    kernel_weight: int | None = None
    failed_checkers: int = 0
    checkers: tuple[CheckerStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class VirtualServerStatus:
    label: str
    services: tuple[str, ...]
    quorum: int
    hysteresis: int
    quorum_up: bool
    alive_weight: int
    sorry_server: str | None = None
    sorry_server_in_use: bool = False
    real_servers: tuple[RealServerStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckStatusView:
    virtual_servers: tuple[VirtualServerStatus, ...]
    taken_at: float = 0.0
    pid: int = 0
    #: the kernel's weights were read (IPVS available)
    ipvs_read: bool = False


# ------------------------------------------------------------------ the checker's side
def encode_check_status(snapshot: CheckSnapshot) -> str:
    """The document the checker writes on the JSON dump signal."""
    by_server: dict[tuple[int, int], list[CheckerView]] = {}
    for checker in sorted(snapshot.checkers, key=lambda c: (c.vs_index, c.rs_index,
                                                            c.position)):
        by_server.setdefault((checker.vs_index, checker.rs_index), []).append(checker)
    document = {
        "taken_at": snapshot.taken_at, "pid": snapshot.pid, "ipvs_read": snapshot.ipvs_read,
        "virtual_servers": [_vs_doc(vs, [by_server.get((i, j), [])
                                         for j in range(len(vs.real_servers))])
                            for i, vs in enumerate(snapshot.virtual_servers)],
    }
    return json.dumps(document, indent=1) + "\n"


def _vs_doc(vs: VirtualServerView, checkers: list[list[CheckerView]]) -> dict[str, Any]:
    sorry = vs.sorry
    return {
        "label": vs.label, "services": list(vs.services), "quorum": vs.quorum,
        "hysteresis": vs.hysteresis, "quorum_up": vs.quorum_up,
        "alive_weight": vs.alive_weight,
        "sorry_server": None if sorry is None else sorry.text,
        "sorry_server_in_use": sorry is not None and sorry.alive,
        "real_servers": [_rs_doc(rs, mine)
                         for rs, mine in zip(vs.real_servers, checkers, strict=True)],
    }


def _rs_doc(rs: RealServerView, checkers: list[CheckerView]) -> dict[str, Any]:
    return {
        "address": rs.endpoint, "server": rs.text, "alive": rs.alive, "in_ipvs": rs.set,
        "weight": rs.iweight, "effective_weight": rs.effective,
        "ipvs_weight": rs.ipvs_weight, "kernel_weight": rs.kernel_weight,
        "failed_checkers": rs.failed,
        "checkers": [_checker_doc(c) for c in checkers],
    }


def _checker_doc(c: CheckerView) -> dict[str, Any]:
    last = None if c.last is None else {
        "ok": c.last.ok, "reason": c.last.reason, "detail": c.last.detail,
        "latency": c.last.latency, "at": c.last.at}
    return {"kind": c.kind.value, "enabled": c.enabled, "up": c.up, "has_run": c.has_run,
            "last": last, "failures": dict(c.failures)}


# ------------------------------------------------------------------ parsing
def parse_check_status(text: str) -> CheckStatusView:
    try:
        doc = json.loads(text)
        servers = tuple(_vs_status(vs) for vs in doc["virtual_servers"])
        return CheckStatusView(servers, float(doc["taken_at"]), int(doc["pid"]),
                               bool(doc["ipvs_read"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckStatusError(
            f"{CHECK_STATUS_FILE} is not a check status document: {exc!r}") from None


def _vs_status(vs: dict[str, Any]) -> VirtualServerStatus:
    sorry = vs["sorry_server"]
    return VirtualServerStatus(
        label=str(vs["label"]), services=tuple(str(s) for s in vs["services"]),
        quorum=int(vs["quorum"]), hysteresis=int(vs["hysteresis"]),
        quorum_up=bool(vs["quorum_up"]), alive_weight=int(vs["alive_weight"]),
        sorry_server=None if sorry is None else str(sorry),
        sorry_server_in_use=bool(vs["sorry_server_in_use"]),
        real_servers=tuple(_rs_status(rs) for rs in vs["real_servers"]))


def _rs_status(rs: dict[str, Any]) -> RealServerStatus:
    kernel = rs["kernel_weight"]
    return RealServerStatus(
        address=str(rs["address"]), server=str(rs["server"]), alive=bool(rs["alive"]),
        in_ipvs=bool(rs["in_ipvs"]), weight=int(rs["weight"]),
        effective_weight=int(rs["effective_weight"]), ipvs_weight=int(rs["ipvs_weight"]),
        kernel_weight=None if kernel is None else int(kernel),
        failed_checkers=int(rs["failed_checkers"]),
        checkers=tuple(_checker_status(c) for c in rs["checkers"]))


def _checker_status(c: dict[str, Any]) -> CheckerStatus:
    last = c["last"]
    failures = {str(k): int(v) for k, v in c["failures"].items()}
    if last is None:
        return CheckerStatus(str(c["kind"]), bool(c["enabled"]), bool(c["up"]),
                             bool(c["has_run"]), failures=failures)
    at = last["at"]
    return CheckerStatus(
        str(c["kind"]), bool(c["enabled"]), bool(c["up"]), bool(c["has_run"]),
        last_ok=bool(last["ok"]), last_reason=str(last["reason"]),
        last_detail=str(last["detail"]), last_latency=float(last["latency"]),
        last_at=None if at is None else float(at), failures=failures)


# ------------------------------------------------------------------ output
def check_table_lines(view: CheckStatusView) -> list[str]:
    """One row per virtual server, then one per real server, indented under it."""
    header = ("VIRTUAL/REAL SERVER", "STATE", "IPVS", "WEIGHT", "CHECKERS")
    rows: list[tuple[str, ...]] = [header]
    for vs in view.virtual_servers:
        state = f"quorum {'up' if vs.quorum_up else 'down'}"
        if vs.sorry_server_in_use:
            state += f", sorry server {vs.sorry_server}"
        weight = f"alive {vs.alive_weight}, quorum {vs.quorum}" + (
            f" hysteresis {vs.hysteresis}" if vs.hysteresis else "")
        rows.append((vs.label, state, "", weight, ""))
        rows += [(f"  {rs.address}", "up" if rs.alive else "down",
                  "set" if rs.in_ipvs else "-", _weights(rs), _checkers(rs))
                 for rs in vs.real_servers]
    widths = [max(len(row[col]) for row in rows) for col in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def _weights(rs: RealServerStatus) -> str:
    """configured/effective, then what IPVS was given and what the kernel holds."""
    text = f"{rs.weight}/{rs.effective_weight}"
    if rs.in_ipvs:
        text += f" ipvs {rs.ipvs_weight}"
    if rs.kernel_weight is not None:
        text += f" kernel {rs.kernel_weight}"
    return text


def _checkers(rs: RealServerStatus) -> str:
    return "; ".join(_checker_text(c) for c in rs.checkers) or "-"


def _checker_text(c: CheckerStatus) -> str:
    state = "up" if c.up else "down"
    if not c.enabled:
        state = "suspended"
    elif not c.has_run:
        state += " (not run yet)"
    if c.last_ok is None:
        return f"{c.kind} {state}"
    latency = "" if c.last_latency is None else f" {c.last_latency * 1000:.0f}ms"
    outcome = "ok" if c.last_ok else (c.last_reason or c.last_detail or "failed")
    return f"{c.kind} {state}, last {outcome}{latency} at {_when(c.last_at)}"


def _when(epoch: float | None) -> str:
    return "-" if not epoch else time.strftime("%H:%M:%S", time.localtime(epoch))


def check_status_json(view: CheckStatusView) -> list[dict[str, object]]:
    """The virtual servers as `pykeepalived status --json` prints them."""
    return [
        {"label": vs.label, "services": list(vs.services), "quorum": vs.quorum,
         "hysteresis": vs.hysteresis, "quorum_up": vs.quorum_up,
         "alive_weight": vs.alive_weight, "sorry_server": vs.sorry_server,
         "sorry_server_in_use": vs.sorry_server_in_use,
         "real_servers": [
             {"address": rs.address, "server": rs.server, "alive": rs.alive,
              "in_ipvs": rs.in_ipvs, "weight": rs.weight,
              "effective_weight": rs.effective_weight, "ipvs_weight": rs.ipvs_weight,
              "kernel_weight": rs.kernel_weight, "failed_checkers": rs.failed_checkers,
              "checkers": [
                  {"kind": c.kind, "enabled": c.enabled, "up": c.up, "has_run": c.has_run,
                   "last_ok": c.last_ok, "last_reason": c.last_reason,
                   "last_detail": c.last_detail, "last_latency": c.last_latency,
                   "last_at": c.last_at, "failures": c.failures}
                  for c in rs.checkers]}
             for rs in vs.real_servers]}
        for vs in view.virtual_servers]
