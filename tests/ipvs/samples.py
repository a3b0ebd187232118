"""Debian's 16 sample configs with a virtual_server, adapted to the lab (reference §9).

Each sample keeps its services, schedulers, methods, persistence, groups, real servers
and checkers; only what cannot run in a lab changes:

- addresses: VIPs (and virtual_server_group entries) move to 192.0.2.0/24 or
  2001:db8:0:2::/64, real servers, sorry servers and checker targets to 198.51.100.0/24
  or 2001:db8:1::/64 on the lab's one real-server host ("rs"), `bindto` addresses to the
  director's own; a token is rewritten by the map of its line's context (the
  virtual_server_group sample uses 192.168.200.1 both as a VIP and as a real server);
- `global_defs` (mail to nowhere), `vrrp_instance` and `vrrp_sync_group` blocks go, and
  the quorum sample's quorum_up/quorum_down scripts, which do not exist;
- the fwmark sample's mark 1 becomes 11, so the samples can share one config with the
  virtual_server_group sample's marks 1 and 2;
- each virtual_server gets `warmup 0`: keepalived spreads first checks over up to
  delay_loop (60 s in the SMTP sample), which would only make the run longer.

MISC_CHECK's /usr/local/bin/script.sh does not exist either, but that stays: keepalived
then drops the checker and keeps the real server (reference §1.7), which is worth
comparing. What answers in the lab is listed per sample (`answering`): every other
target refuses at once, so each checker's verdict is known before the run. (The SMTP
sample's host{} checkers have a connect timeout of 0 s in keepalived: an answer then
races the timeout, so each server with host{} blocks has one that refuses.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from netlab.nsservers import Kind

SAMPLES = Path("/usr/share/doc/keepalived/samples")
#: the director's extra back-LAN addresses, for the SMTP sample's `bindto`
DIRECTOR_EXTRA = ("198.51.100.2", "198.51.100.3")
_REAL_CONTEXT = {"real_server", "sorry_server", "connect_ip", "bindto"}
_DROPPED_BLOCKS = {"global_defs", "vrrp_instance", "vrrp_sync_group"}
_DROPPED_LINES = {"quorum_up", "quorum_down"}


@dataclass(frozen=True)
class Target:
    """Something in the lab that answers a checker: `kind` as netlab.nsservers serves."""

    address: str
    port: int
    kind: Kind


@dataclass(frozen=True)
class Sample:
    name: str
    vips: Mapping[str, str]
    reals: Mapping[str, str]
    answering: tuple[Target, ...] = ()
    fwmarks: Mapping[str, str] = field(default_factory=dict)
    #: the fwmark services that are this sample's (after `fwmarks`)
    marks: tuple[str, ...] = ()
    #: what the lab's checks make of it, for the report
    note: str = ""

    @property
    def path(self) -> Path:
        return SAMPLES / f"keepalived.conf.{self.name}"

    def adapted(self) -> str:
        """The sample's text, ready for the lab (see the module's docstring)."""
        lines = _drop_blocks([_uncomment(line) for line in self.path.read_text().splitlines()])
        out: list[str] = []
        for line in lines:
            words = line.split()
            if not words or words[0] in _DROPPED_LINES:
                continue
            table = self.reals if words[0] in _REAL_CONTEXT else self.vips
            if words[:2] == ["virtual_server", "fwmark"]:
                words[2] = self.fwmarks.get(words[2], words[2])
            out.append(" ".join(table.get(word, word) for word in words))
            if words[0] == "virtual_server":
                out.append("warmup 0")
        return "\n".join(out) + "\n"

    def real_addresses(self) -> set[str]:
        return {a for a in self.reals.values() if a not in DIRECTOR_EXTRA}

    def owns(self, service_row: str) -> bool:
        """Is this `ipvsadm -Ln` service row one of the sample's services?"""
        kind, where = service_row.split()[:2]
        if kind == "FWM":
            return where in self.marks
        address = where.rsplit(":", 1)[0].strip("[]")
        return any(ip_address(address) in _expand(vip) for vip in self.vips.values())


def _uncomment(line: str) -> str:
    return re.split(r"[!#]", line, maxsplit=1)[0].rstrip()


def _drop_blocks(lines: list[str]) -> list[str]:
    """Without the top-level blocks keepalived -C does not need (braces counted)."""
    out: list[str] = []
    depth = 0
    for line in lines:
        words = line.split()
        if depth == 0 and words and words[0] in _DROPPED_BLOCKS:
            depth = line.count("{") - line.count("}")
            continue
        if depth > 0:
            depth += line.count("{") - line.count("}")
            continue
        out.append(line)
    return out


def _expand(vip: str) -> set[object]:
    """An address, or a keepalived range `A.B.C.D-E` / `X::Y-Z`, as a set of addresses."""
    if "-" not in vip:
        return {ip_address(vip)}
    first, last = vip.rsplit("-", 1)
    start = ip_address(first)
    base = 10 if start.version == 4 else 16
    end = int(last, base)
    step = int(first.rsplit("." if start.version == 4 else ":", 1)[1] or "0", base)
    return {start + offset for offset in range(end - step + 1)}


def _tcp(*addresses: str, port: int, kind: Kind = "tcp") -> tuple[Target, ...]:
    return tuple(Target(a, port, kind) for a in addresses)


R = "198.51.100."
SAMPLES_WITH_VS: tuple[Sample, ...] = (
    Sample("HTTP_GET.port", {"192.168.200.100": "192.0.2.101"},
           {"192.168.201.100": R + "101"}, note="SSL_GET to port 444 refused: down"),
    Sample("IPv6", {"ae00::1": "2001:db8:0:2::1", "ae00::2-9": "2001:db8:0:2::2-9"},
           {"ae00::10": "2001:db8:1::102"}, _tcp("2001:db8:1::102", port=25, kind="smtp"),
           note="SMTP answers: up"),
    Sample("PING_CHECK", {"10.10.10.2": "192.0.2.103"}, {"192.168.200.6": R + "103"},
           note="the address answers ping: up"),
    Sample("SMTP_CHECK", {"192.168.200.100": "192.0.2.104"},
           {"172.16.1.10": R + "104", "172.16.1.11": R + "105", "192.168.155.10": R + "106",
            "64.233.167.99": R + "107", "172.16.1.12": R + "108", "192.168.155.11": R + "109",
            "64.233.167.100": R + "110", "172.16.1.2": DIRECTOR_EXTRA[0],
            "192.168.155.2": DIRECTOR_EXTRA[1]},
           _tcp(*(R + str(n) for n in (104, 105, 106, 108, 109)), port=25, kind="smtp"),
           note="one up; one host{} of each other server refuses: down after retries"),
    Sample("SSL_GET", {"192.168.200.100": "192.0.2.105"}, {"192.168.201.100": R + "111"},
           (Target(R + "111", 443, "tcp"), Target(R + "111", 80, "http")),
           note="no TLS on 443, a wrong digest on 80: both down"),
    Sample("UDP_CHECK", {"10.10.10.2": "192.0.2.106"}, {"192.168.200.6": R + "112"},
           (Target(R + "112", 1358, "udp"),), note="UDP echo: up"),
    Sample("fwmark", {}, {"192.168.201.100": R + "113", "192.168.201.101": R + "114"},
           _tcp(R + "113", port=80), fwmarks={"1": "11"}, marks=("11",),
           note="one up, one refused"),
    Sample("inhibit", {"10.10.10.2": "192.0.2.108"}, {"192.168.200.2": R + "115"},
           (Target(R + "115", 1358, "http"),), note="wrong digest: weight 0 (inhibited)"),
    Sample("misc_check", {"10.10.10.2": "192.0.2.109"}, {"192.168.200.6": R + "116"},
           note="script missing: checker dropped, server up"),
    Sample("misc_check_arg", {"10.10.10.2": "192.0.2.110"}, {"192.168.200.6": R + "117"},
           note="script missing: checker dropped, server up"),
    Sample("quorum", {"10.0.1.1": "192.0.2.111"},
           {f"10.0.0.{n}": R + str(120 + n) for n in range(1, 11)},
           _tcp(*(R + str(120 + n) for n in range(1, 10)), port=80),
           note="alpha: 9 of 10 come up, quorum 7+2 gained"),
    Sample("sample", {"10.10.10.2": "192.0.2.112"},
           {"192.168.200.2": R + "118", "192.168.200.200": R + "119"},
           note="the server refuses: quorum lost, sorry server in"),
    Sample("status_code", {"192.168.200.100": "192.0.2.113"}, {"192.168.201.100": R + "120"},
           note="refused: down"),
    Sample("virtual_server_group",
           {"10.0.0.1": "192.0.2.114", "10.0.0.2": "192.0.2.115",
            "192.168.200.1": "192.0.2.116", "192.168.200.3-10": "192.0.2.117-124"},
           {"192.168.200.1": R + "131", "192.168.200.2": R + "132"},
           (Target(R + "131", 1358, "http"),), marks=("1", "2"),
           note="13 services; a wrong digest and a refusal: both servers down"),
    Sample("virtualhost", {"192.168.200.100": "192.0.2.125"}, {"192.168.201.100": R + "133"},
           (Target(R + "133", 80, "http"),), note="plain HTTP to SSL_GET: down"),
    Sample("vrrp.lvs_syncd", {"192.168.200.19": "192.0.2.126"},
           {"192.168.201.100": R + "134"}, _tcp(R + "134", port=80), note="up"),
)


def combined_config(global_lines: Sequence[str] = ()) -> str:
    """All samples in one config: one start of each daemon checks them all."""
    body = "".join(f"    {line}\n" for line in ("router_id lab_samples", *global_lines))
    parts = [f"global_defs {{\n{body}}}\n"]
    parts += [f"# --- {sample.name}\n{sample.adapted()}" for sample in SAMPLES_WITH_VS]
    return "\n".join(parts)
