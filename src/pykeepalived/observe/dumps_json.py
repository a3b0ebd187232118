"""keepalived's JSON dump (SIGRTMIN+2, /tmp/keepalived.json) rendered from a snapshot.

Apart from the text dumps because it has its own writer to match: keepalived's
json_writer, whose key order, `/` escaping and number formats exporters parse (the
fixture tests/data/dumps/keepalived.json was captured from 2.2.7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.observe.snapshot import STATE_CODES

if TYPE_CHECKING:
    from pykeepalived.observe.snapshot import DumpSnapshot, InstanceSnapshot


def render_json(snapshot: DumpSnapshot) -> str:
    """keepalived's json_writer output: compact, `/` escaped, no whitespace, one newline."""
    objects = [
        "{" + _field("data", _object(_json_data(inst))) + ","
        + _field("stats", _object([(k, str(v)) for k, v in inst.stats])) + "}"
        for inst in snapshot.instances
    ]
    return "[" + ",".join(objects) + "]\n"


def _json_data(inst: InstanceSnapshot) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [
        ("iname", _str(inst.name)), ("dont_track_primary", _uint(inst.dont_track_primary)),
        ("skip_check_adv_addr", _uint(inst.skip_check_adv_addr)),
        ("strict_mode", _uint(inst.strict_mode)), ("vmac_ifname", _str(inst.vmac_ifname)),
    ]
    if inst.interface is not None:
        out.append(("ifp_ifname", _str(inst.interface)))
    out += [
        ("master_priority", str(inst.master_priority)),
        ("last_transition", f"{inst.last_transition or 0.0:f}"),
        ("garp_delay", _float(inst.garp_delay_s)), ("garp_refresh", str(inst.garp_refresh_s)),
        ("garp_rep", str(inst.garp_repeat)), ("garp_refresh_rep", str(inst.garp_refresh_repeat)),
        ("garp_lower_prio_delay", str(inst.garp_lower_prio_delay_s)),
        ("garp_lower_prio_rep", str(inst.garp_lower_prio_repeat)),
        ("lower_prio_no_advert", _uint(inst.lower_prio_no_advert)),
        ("higher_prio_send_advert", _uint(inst.higher_prio_send_advert)),
        ("vrid", str(inst.vrid)), ("base_priority", str(inst.base_priority)),
        ("effective_priority", str(inst.effective_priority)), ("vipset", _bool(inst.vipset)),
        ("promote_secondaries", _bool(inst.promote_secondaries)),
        ("adver_int", _float(inst.adver_int_cs / 100)),
        ("master_adver_int", _float(inst.master_adver_int_cs / 100)),
        ("accept", _uint(inst.accept)), ("nopreempt", _bool(inst.nopreempt)),
        ("preempt_delay", str(int(inst.preempt_delay_s))), ("state", str(inst.state_code)),
        ("wantstate", str(STATE_CODES[inst.wantstate])), ("version", str(inst.version)),
        ("smtp_alert", _bool(inst.smtp_alert)), ("notify_deleted", _bool(inst.notify_deleted)),
    ]
    out += [(entry.json_key, _str(entry.command)) for entry in inst.notify_scripts]
    arrays = (("vips", inst.vips), ("evips", inst.evips), ("vroutes", inst.vroutes),
              ("vrules", inst.vrules),
              ("track_ifp", tuple(name for name, _ in inst.track_interfaces)),
              ("track_script", tuple(ts.command for ts in inst.track_scripts)))
    out += [(key, "[" + ",".join(_str(v) for v in values) + "]")
            for key, values in arrays if values]
    out.append(("auth_type", str(inst.auth_type)))
    if inst.auth_type:
        out.append(("auth_data", _str(inst.auth_data)))
    return out


def _field(name: str, value: str) -> str:
    return f"{_str(name)}:{value}"


def _object(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(_field(k, v) for k, v in pairs) + "}"


_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f", "\b": "\\b",
            "\\": "\\\\", '"': '\\"', "/": "\\/"}


def _str(text: str) -> str:
    escaped = "".join(
        _ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 else c) for c in text)
    return f'"{escaped}"'


def _uint(flag: bool) -> str:
    return "1" if flag else "0"


def _bool(flag: bool) -> str:
    return "true" if flag else "false"


def _float(value: float) -> str:
    """C's `%g`: shortest of 6 significant digits, no trailing zeros."""
    return f"{value:g}"
