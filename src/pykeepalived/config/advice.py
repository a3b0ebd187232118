"""pykeepalived's own config advice: configs keepalived accepts that cannot do what they say.

keepalived's `-t` judges syntax and values; it is silent when a tracker weight is too small
to ever move the VIP, when nopreempt is set where it is ignored, when vrrp_strict quietly
firewalls the VIP, or when a vrrp_script is never run. Those are the questions users keep
asking (keepalived-reference.md §3.1 items 8-10), so we answer them here (checks that
need the peers' configs are in advice_peers.py). Advice never changes `-t`'s exit code:
it is a separate list, printed after keepalived's diagnostics, each line marked
`pykeepalived:` so operators can tell ours from keepalived's.

Weight arithmetic follows keepalived (vrrp_track.c): a tracker moves the priority by
|weight| between its two states; positive weights add while OK, negative ones subtract
while KO, `reverse` swaps the states; the sum is kept within 1..254 and a priority of 255
never moves. A weight can move the VIP only if the master's priority with that tracker in
its lowering state falls *below* the best backup's (equal priorities do not preempt).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.config.advice_check import check_notes
from pykeepalived.config.advice_weights import (
    HIGH,
    LOW,
    OWNER,
    clamp_priority,
    instance_trackers,
    priority_total,
)

if TYPE_CHECKING:
    from pykeepalived.config.diagnostics import Location
    from pykeepalived.config.host import HostFacts
    from pykeepalived.config.model import Config, TrackedRef, VrrpInstanceConfig
    from pykeepalived.config.schema import Fields

__all__ = ["HERE", "PREFIX", "Advice", "Declared", "advise", "declared_instances"]

#: marks our lines apart from keepalived's in `-t` output
PREFIX = "pykeepalived: "
#: how the advice names the node whose config is being checked
HERE = "this node"


@dataclass(frozen=True, slots=True)
class Advice:
    """Not a keepalived diagnostic: never counts towards the `-t` verdict."""

    message: str
    location: Location | None = None

    def render(self, *, with_file: bool = True) -> str:
        """keepalived's `(FILE: Line N)` framing, then our prefix."""
        text = PREFIX + self.message
        where = self.location
        if where is None or where.line == 0:
            return text
        if with_file:
            return f"({where.path}: Line {where.line}) {text}"
        return f"(Line {where.line}) {text}"


@dataclass(frozen=True, slots=True)
class Declared:
    """What an instance asked for before keepalived's corrections cleared it (resolve
    drops nopreempt under state MASTER and weighted scripts of sync-group members)."""

    name: str
    location: Location
    state: str | None = None
    nopreempt: bool = False
    track_scripts: tuple[TrackedRef, ...] = ()
    #: as written: resolve resets `accept` for strict VRRPv2, as keepalived does
    accept: bool | None = None


def declared_instances(root: Fields) -> dict[str, Declared]:
    """Snapshot of the parsed instance fields; call before `resolve` mutates them."""
    return {f["name"]: Declared(f["name"], f["location"], f.get("state"),
                                bool(f.get("nopreempt")), tuple(f.get("track_scripts", [])),
                                f.get("accept"))
            for f in root.get("instances", [])}


def advise(config: Config, *, declared: dict[str, Declared] | None = None,
           host: HostFacts | None = None) -> tuple[Advice, ...]:
    """Everything one node's config can tell on its own (no peer priorities needed)."""
    said = declared or {}
    out = _untracked_scripts(config, said)
    for inst in config.instances:
        out += _fault_scripts(config, inst)
        out += _clamped_weights(config, inst)
        out += _strict_no_accept(config, inst, said.get(inst.name))
        out += _strict_ipv6(config, inst)
        out += _unicast_src(inst, host)
        out += _witness_timing(inst)
    for entry in said.values():
        out += _ignored_nopreempt(config, entry)
        out += _dropped_weighted_scripts(config, entry)
    out += [Advice(message, where) for message, where in check_notes(config, host)]
    return tuple(out)


# --- single-node advice -----------------------------------------------------------------

def _witness_timing(inst: VrrpInstanceConfig) -> list[Advice]:
    """Ours (docs/split-brain.md): the witness verdict must beat the peer's down timer."""
    if not inst.witness:
        return []
    detection = inst.witness_interval_us * inst.witness_loss / 1e6
    down = 3 * inst.advert_int_us / 1e6  # the peer's Master_Down_Interval, less its skew
    if detection < down:
        return []
    return [Advice(
        f"{inst.name}: witness_interval x witness_loss ({detection:g} s) is not shorter"
        f" than 3 x advert_int ({down:g} s): a master cut off from its witnesses and its"
        " peer still holds the VIP when the peer takes over, so both hold it meanwhile;"
        " ask more often or give up after fewer rounds", inst.location)]


def _untracked_scripts(config: Config, said: dict[str, Declared]) -> list[Advice]:
    tracked = {r.name for e in said.values() for r in e.track_scripts}
    tracked |= {r.name for i in config.instances for r in i.track_scripts}
    tracked |= {r.name for g in config.sync_groups for r in g.track_scripts}
    return [Advice(f"vrrp_script {s.name} is not in any track_script block, so keepalived"
                   " never runs it; track it from a vrrp_instance or vrrp_sync_group, or"
                   " remove it", s.location)
            for s in config.vrrp_scripts if s.name not in tracked]


def _fault_scripts(config: Config, inst: VrrpInstanceConfig) -> list[Advice]:
    out = []
    for tracker in instance_trackers(config, inst):
        if tracker.kind != "track_script" or tracker.weight:
            continue
        when = "succeeds (weight 0 reverse)" if tracker.reverse else "fails"
        out.append(Advice(
            f"track_script {tracker.name} has weight 0: while it {when}, {inst.name} goes to"
            " FAULT (it releases the VIP and stops advertising) instead of lowering its"
            " priority; give it a weight if you want the peers to take over by priority",
            tracker.location))
    return out


def _clamped_weights(config: Config, inst: VrrpInstanceConfig) -> list[Advice]:
    trackers = [t for t in instance_trackers(config, inst) if t.weight]
    if inst.priority == OWNER:
        return []
    out = []
    good = priority_total(inst.priority, trackers, None, {})
    for tracker in trackers:
        low = priority_total(inst.priority, trackers, tracker.key, {})
        moved = clamp_priority(good) - clamp_priority(low)
        if moved >= abs(tracker.weight):
            continue
        cut = f"{good} is kept at {HIGH}" if good > HIGH else f"{low} is kept at {LOW}"
        out.append(Advice(
            f"{tracker.shown()} moves {inst.name}'s priority by only {moved}, not"
            f" {abs(tracker.weight)}: keepalived keeps effective priorities within"
            f" {LOW}..{HIGH}, so {cut}", tracker.location))
    return out


def _strict(config: Config, inst: VrrpInstanceConfig) -> str | None:
    """Which keyword turned strict mode on, if it is on."""
    if inst.strict_mode is None:
        return "vrrp_strict" if config.global_defs.vrrp_strict else None
    return "strict_mode" if inst.strict_mode else None


def _strict_no_accept(config: Config, inst: VrrpInstanceConfig,
                      declared: Declared | None) -> list[Advice]:
    keyword = _strict(config, inst)
    accept = declared.accept if declared is not None else inst.accept
    if keyword is None or inst.priority == OWNER or accept is False:
        return []
    if accept and inst.version != 2:
        return []
    vips = ", ".join(str(v.address) for v in inst.virtual_ipaddresses[:3]) or "its VIPs"
    fix = ("use version 3 with `accept` (strict VRRPv2 refuses accept)" if inst.version == 2
           else "add `accept` to the instance")
    return [Advice(
        f"WARNING: {keyword} turns accept mode off for {inst.name}: as MASTER with priority"
        f" {inst.priority} (not the address owner, 255) it installs a firewall rule that"
        f" drops every packet sent to {vips}, so ping, TCP and UDP to the VIP get no answer"
        f" (keepalived issue #474); if services must answer on the VIP, {fix}, or remove"
        f" {keyword}", inst.location)]


def _strict_ipv6(config: Config, inst: VrrpInstanceConfig) -> list[Advice]:
    vips = inst.virtual_ipaddresses
    if (inst.family != 6 or inst.unicast or not vips or _strict(config, inst) is None
            or vips[0].address.is_link_local):
        return []
    return [Advice(
        f"{inst.name}'s first IPv6 VIP {vips[0].address} is not link-local: RFC 5798"
        " §5.2.9 makes the first address of an IPv6 advert the link-local address routers"
        " use as next hop, and strict mode enforces it; list a fe80:: VIP first",
        vips[0].location)]


def _unicast_src(inst: VrrpInstanceConfig, host: HostFacts | None) -> list[Advice]:
    source = inst.unicast_src_ip
    if source is None or host is None or host.addresses is None:
        return []
    addresses = host.addresses
    if inst.interface is not None:
        if inst.interface not in addresses or source in addresses[inst.interface]:
            return []
        owners = sorted(n for n, found in addresses.items() if source in found)
        where = f"{inst.interface} on this host" + (
            f" (it is on {', '.join(owners)})" if owners else "")
    elif any(source in found for found in addresses.values()):
        return []
    else:
        where = "any interface on this host"
    return [Advice(
        f"unicast_src_ip {source} of {inst.name} is not an address of {where} right now:"
        f" keepalived cannot send adverts from it until it is added (it logs `bind"
        f" unicast_src {source} failed 99`), and the peers expect adverts from it",
        inst.location)]


def _ignored_nopreempt(config: Config, entry: Declared) -> list[Advice]:
    inst = config.instance(entry.name)
    if not entry.nopreempt or inst is None:
        return []
    if inst.priority == OWNER:
        why = "the address owner (priority 255) always takes the VIP"
    elif entry.state == "MASTER":
        why = "keepalived ignores nopreempt with `state MASTER`"
    else:
        return []
    return [Advice(
        f"nopreempt has no effect on {entry.name}: {why}; to stop a recovered node taking"
        " the VIP back, set `state BACKUP` and nopreempt on every node and let priority"
        " choose the first master", entry.location)]


def _dropped_weighted_scripts(config: Config, entry: Declared) -> list[Advice]:
    inst = config.instance(entry.name)
    if inst is None:
        return []
    group = next((g for g in config.sync_groups if g.name == inst.sync_group), None)
    in_sync = group is not None and not group.sync_group_tracking_weight
    if not in_sync and inst.priority != OWNER:
        return []
    out = []
    for ref in entry.track_scripts:
        script = config.script(ref.name)
        weight = ref.weight if ref.weight is not None else (script.weight if script else 0)
        if not weight:
            continue
        if group is not None and in_sync:
            why = (f"{entry.name} is in vrrp_sync_group {group.name}, whose members move"
                   " together, so keepalived drops weighted trackers there; use weight 0"
                   f" (a failure sends the whole group to FAULT) or set"
                   f" sync_group_tracking_weight in {group.name}")
        else:
            why = (f"{entry.name} has priority 255 (address owner), which never changes;"
                   " use weight 0 to send it to FAULT on failure, or a lower priority")
        out.append(Advice(f"track_script {ref.name} weight {weight} is ignored and never"
                          f" runs for {entry.name}: {why}", ref.location))
    return out
