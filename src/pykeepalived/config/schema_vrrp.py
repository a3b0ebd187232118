"""vrrp_instance keywords, with keepalived/vrrp/vrrp_parser.c's checks and words.

Checks that need the host (does the interface exist?) or the whole instance (version
vs. address family, auth vs. version ...) live in resolve.py; what keepalived checks on
the line itself is here, reported on that line.
"""

from __future__ import annotations

from dataclasses import dataclass

from pykeepalived.config import values
from pykeepalived.config.model import (
    Authentication,
    TrackedRef,
    UnicastPeerConfig,
)
from pykeepalived.config.schema import (
    Block,
    Ctx,
    Fields,
    Handler,
    NodeLike,
    arg,
    boolean,
    children,
    decimal,
    flag,
    recognise,
    signed,
    to_option,
    unsigned,
    walk,
)
from pykeepalived.config.schema_address import parse_address_line, parse_route_line
from pykeepalived.config.schema_global import garp_refresh, garp_repeat
from pykeepalived.config.schema_lvs import instance_syncd_interface
from pykeepalived.config.schema_script import script
from pykeepalived.config.values import TIMER_HZ
from pykeepalived.constants import INT_MAX, UINT_MAX


def _state(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    value = arg(ctx, node)
    if value in ("MASTER", "BACKUP"):
        if value == "BACKUP" and fields.get("state") == "MASTER":
            ctx.error(f"({fields['name']}) state previously set as MASTER - ignoring BACKUP",
                      node.location)
            return
        fields["state"] = value
        return
    ctx.error(f"({fields['name']}) unknown state '{value}', defaulting to BACKUP", node.location)
    fields["state"] = "BACKUP"


def _interface(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    name = arg(ctx, node)
    if len(name) >= 16:
        ctx.error(f"Interface name '{name}' too long - ignoring", node.location)
        return
    fields["interface_location"] = node.location
    if not ctx.interface_exists(name):  # looked up while parsing, as keepalived does
        ctx.bad_interface = True
        ctx.error(f"WARNING - interface {name} for vrrp_instance {fields['name']} doesn't"
                  " exist", node.location)
    elif name in ctx.loopbacks and not ctx.dynamic_interfaces:
        ctx.error(f"({fields['name']}) cannot use a loopback interface ({name}) for vrrp"
                  " - ignoring", node.location)
        fields.pop("interface", None)
        return
    fields["interface"] = name


def _vips(name: str, *, excluded: bool) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        entries = fields.setdefault(name, [])
        for child in children(node):
            vip = parse_address_line(ctx, child, static=False)
            if vip is None:
                continue
            unseen = vip.dev is not None and not ctx.interface_exists(vip.dev)
            if not excluded and not unseen and not _same_family(fields, vip.address.version):
                ctx.error(f"({fields['name']}): address family must match VRRP instance "
                          f"[{child.keyword}] - ignoring", child.location)
                continue
            entries.append(vip)

    return handle


def _routes(name: str, kind: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        entries = fields.setdefault(name, [])
        for child in children(node):
            line = parse_route_line(ctx, child, kind)
            if line is not None:
                entries.append(line)

    return handle


def _same_family(fields: Fields, version: int) -> bool:
    """keepalived's instance family is set by the first address read of the source,
    multicast destination, unicast peers or VIPs (in file order); later ones must match."""
    family = fields.setdefault("family", version)
    return bool(family == version)


def _src_ip(name: str) -> Handler:
    """unicast_src_ip / mcast_src_ip: one source address in keepalived (the later keyword
    replaces the earlier one, and a refused address leaves none)."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        if name == "unicast_src_ip":
            fields["unicast_configured"] = True
        raw = arg(ctx, node)
        fields.pop("unicast_src_ip", None)
        fields.pop("mcast_src_ip", None)
        address = values.inet_address(raw)
        who = f"Configuration error: VRRP instance[{fields['name']}]"
        if address is None:
            ctx.error(f"{who} malformed src address[{raw}]. Skipping...", node.location)
            return
        if not _same_family(fields, address.version):
            ctx.error(f"{who} and src address[{raw}] MUST be of the same family !!!"
                      " Skipping...", node.location)
            return
        fields[name] = address

    return handle


def _mcast_dst_ip(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """Checked as keepalived checks it; kept verbatim as an option when taken."""
    raw = arg(ctx, node)
    who = f"({fields['name']})"
    address = values.inet_address(raw)
    if address is None:
        ctx.error(f"{who} malformed mcast dest address {raw}. Skipping...", node.location)
        return
    if not _same_family(fields, address.version):
        ctx.error(f"{who} mcast dest address {raw} MUST match VRRP instance family."
                  " Skipping...", node.location)
        return
    if address.version == 4 and not address.is_multicast:
        ctx.error(f"{who} mcast_dst_ip {raw} not multicast. Skipping...", node.location)
        return
    if address.version == 6 and not (address.is_multicast and address.packed[1] & 0x0F == 2):
        ctx.error(f"{who} mcast_dst_ip {raw} not link-local multicast. Skipping...",
                  node.location)
        return
    fields.setdefault("options", []).append(to_option(node))


def _native_ipv6(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if fields.get("family") == 4:
        ctx.error(f"({fields['name']}) Cannot specify native_ipv6 with IPv4 addresses",
                  node.location)
        return
    fields.update(family=6, version=3, native_ipv6=True)


def _witnesses(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """pykeepalived's own `witness ADDRESS...` (repeatable). One line, never a block:
    keepalived skips an unknown keyword's line, but an unknown block's `}` would close
    the vrrp_instance for it."""
    found = fields.setdefault("witness", [])
    if not node.args:
        ctx.error(f"({fields['name']}) witness needs at least one address", node.location)
    for word in node.args:
        address = values.parse_ip(word)
        if address is None:
            ctx.error(f"({fields['name']}) witness {word} is not an address - ignoring",
                      node.location)
        elif address in found:
            ctx.error(f"({fields['name']}) witness {address} listed twice - ignoring",
                      node.location)
        else:
            found.append(address)


def _lease_endpoints(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """Ours: `lease_witness http://HOST:PORT...` (etcd's v3 JSON gateway)."""
    found = fields.setdefault("lease_witness", [])
    if not node.args:
        ctx.error(f"({fields['name']}) lease_witness needs at least one http://host:port",
                  node.location)
    for word in node.args:
        host, _, port = word.removeprefix("http://").rstrip("/").rpartition(":")
        if not word.startswith("http://") or not host or not port.isdigit() \
                or not 0 < int(port) < 65536:
            ctx.error(f"({fields['name']}) lease_witness {word} is not http://host:port"
                      " - ignoring", node.location)
        else:
            found.append(word.rstrip("/"))


def _lease_key(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    value = arg(ctx, node)
    if value and not value.startswith("/"):
        ctx.error(f"({fields['name']}) lease_key {value} must start with / - ignoring",
                  node.location)
        return
    fields["lease_key"] = value


def _lease_unreachable(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    value = arg(ctx, node)
    if value not in ("vrrp", "release"):
        ctx.error(f"({fields['name']}) lease_unreachable {value} not valid! must be vrrp or"
                  " release - using vrrp", node.location)
        return
    fields["lease_unreachable"] = value


def _unicast_peers(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    fields["unicast_configured"] = True
    peers = fields.setdefault("unicast_peers", [])
    name = fields["name"]
    for child in children(node):
        address = values.inet_address(child.keyword)
        if address is None:
            ctx.error(f"Configuration error: VRRP instance[{name}] malformed unicast"
                      f" peer address[{child.keyword}]. Skipping...", child.location)
            continue
        if not _same_family(fields, address.version):
            ctx.error(f"Configuration error: VRRP instance[{name}] and unicast peer address"
                      f"[{child.keyword}] MUST be of the same family !!! Skipping...",
                      child.location)
            continue
        given = _peer_ttls(ctx, child, name)
        low, high = given.get("min_ttl", 0), given.get("max_ttl", 255)
        if low > high:
            ctx.error(f"({name}) min_ttl {low} > max_ttl {high}"
                      " - all packets will be discarded", child.location)
        peers.append(UnicastPeerConfig(address, child.location, given.get("min_ttl"),
                                       given.get("max_ttl")))


def _peer_ttls(ctx: Ctx, child: NodeLike, name: str) -> dict[str, int]:
    """`min_ttl N` / `max_ttl N` pairs after a peer, read as keepalived reads them: the
    number first (a bad one is skipped with the reader's complaint), then the word; a
    missing value or an unknown word ends the list, and the peer is kept regardless."""
    given: dict[str, int] = {}
    args = child.args
    for i in range(0, len(args), 2):
        if i + 1 >= len(args):
            ctx.error(f"({name}) {args[i]} is missing a value", child.location)
            break
        value = values.read_unsigned(args[i + 1], 0, 255, ctx.reporter(child.location))
        if value is None:
            continue
        if args[i] not in ("min_ttl", "max_ttl"):
            ctx.error(f"({name}) unknown unicast_peer option {args[i]}", child.location)
            break
        given[args[i]] = value
    return given


def tracked_refs(field_name: str, what: str, known: str | None) -> Handler:
    """`track_* { NAME [weight N [reverse|noreverse]] }` with keepalived's lookup rule.

    keepalived looks the name up while parsing, so a tracker defined *after* the
    instance is "not found" just as an undefined one is (`known` names the Ctx registry).
    """

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        refs = fields.setdefault(field_name, [])
        owner = fields["name"]
        for child in children(node):
            name = child.keyword
            if known is not None and name not in ctx.known.get(known, set()):
                ctx.error(f"({owner}) {what} {name} not found, ignoring...", child.location)
                continue
            if known is None and not ctx.interface_exists(name):  # track_interface
                ctx.bad_interface = True
                ctx.error(f"({owner}) tracked interface {name} doesn't exist", child.location)
                continue
            if any(ref.name == name for ref in refs):
                ctx.error(f"({owner}) duplicate {field_name[:-1]} {name} - ignoring",
                          child.location)
                continue
            ref = _weighted_ref(ctx, child, owner, what)
            if ref is not None:
                refs.append(ref)

    return handle


@dataclass(frozen=True)
class _RefRules:
    """How keepalived 2.2.7 reads `NAME weight N [reverse]` for one kind of tracker
    (vrrp_track.c, track_file.c): its words, and what a bad weight or word leaves."""

    #: "(%s) unknown ... option %s": the words before "option", the tracked name after?
    unknown_option: str
    named_option: bool
    #: for "weight without value specified for ..."
    noun: str
    #: a weight outside [-254, 254]: the message ({owner}, {word}, {name}), and the
    #: weight left (None: the tracker's own; 0 for an interface)
    bad_weight: str
    bad_weight_value: int | None
    #: +/-254 is clamped to +/-253 (interfaces and scripts) or taken as is
    clamp_254: bool
    #: "noreverse" is a word too (not for interfaces)
    noreverse: bool
    #: "(%s) unknown <this> %s weight option %s - ignoring"
    unknown_word: str
    #: an unknown fourth word drops the entry (track_file) or only the word
    unknown_word_drops: bool = False


_REF_RULES = {
    "track_interface": _RefRules(
        "track_interface", True, "track_interface",
        "({owner}) weight {word} for {name} must be between [-253..253] inclusive. "
        "Ignoring...", 0, True, False, "track_interace"),  # keepalived's own typo
    "track script": _RefRules(
        "track script", False, "track script",
        "({owner}) track script {name}: weight must be between [-253..253] inclusive, "
        "ignoring...", None, True, True, "track_script"),
    "track process": _RefRules(
        "track process", False, "track process",
        "({owner}) weight for track process {name} must be in [-254..254] inclusive. "
        "Ignoring...", None, False, True, "track_process"),
    "track file": _RefRules(
        "track file", False, "track file",
        "({owner}) weight for track file {name} must be in [-254..254] inclusive. "
        "Ignoring...", None, False, True, "track file", unknown_word_drops=True),
}


def _weighted_ref(ctx: Ctx, child: NodeLike, owner: str, what: str) -> TrackedRef | None:
    """One entry, read as keepalived reads it: what it drops, it drops; a bad weight
    falls back (the tracker's weight, or 0 for an interface); a weight given without
    a reverse word keeps the tracker's own direction (`reverse=None`)."""
    rules = _REF_RULES[what]
    name = child.keyword
    args = child.args
    if not args:
        return TrackedRef(name, child.location)
    if args[0] != "weight":
        named = f" {name}" if rules.named_option else ""
        ctx.error(f"({owner}) unknown {rules.unknown_option}{named} option {args[0]}"
                  " - ignoring", child.location)
        return None
    if len(args) == 1:
        ctx.error(f"({owner}) weight without value specified for {rules.noun} {name}"
                  " - ignoring", child.location)
        return None
    weight = values.read_int(args[1], -254, 254, ctx.reporter(child.location))
    if weight is None:
        ctx.error(rules.bad_weight.format(owner=owner, word=args[1], name=name),
                  child.location)
        weight = rules.bad_weight_value
    elif rules.clamp_254 and abs(weight) == 254:
        ctx.error(f"({owner}) weight for {name} cannot be +/-254. Setting to +/-253",
                  child.location)
        weight = 253 if weight > 0 else -253
    reverse: bool | None = None
    if len(args) > 2:
        word = args[2]
        if word == "reverse":
            reverse = True
        elif word == "noreverse" and rules.noreverse:
            reverse = False
        else:
            ctx.error(f"({owner}) unknown {rules.unknown_word} {name} weight option {word}"
                      " - ignoring", child.location)
            if rules.unknown_word_drops:
                return None
    return TrackedRef(name, child.location, weight, reverse)


def _auth_type(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    value = arg(ctx, node)
    if value in ("AH", "PASS"):
        fields["auth_type"] = value
    else:
        ctx.error(f"({fields['name']}) unknown authentication type '{value}'", node.location)


def _auth_pass(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    value = arg(ctx, node)
    if len(value.encode()) > 8:
        ctx.error("Truncating auth_pass to 8 characters", node.location)
        value = value.encode()[:8].decode(errors="ignore")
    fields["auth_pass"] = value


AUTHENTICATION = Block(keywords={"auth_type": _auth_type, "auth_pass": _auth_pass})


def _authentication(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    sub: Fields = {"name": fields["name"]}
    walk(ctx, AUTHENTICATION, children(node), sub)
    if "auth_type" in sub:
        fields["authentication"] = Authentication(sub["auth_type"], sub.get("auth_pass", ""),
                                                  node.location)


def _use_vmac(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """`use_vmac [NAME] [MAC]`, kept as written ("" for the bare keyword): the name's
    default depends on the VRID and vmac_prefix, which the daemon's build decides."""
    fields["use_vmac"] = " ".join(node.args[:2])


def _optional_word(name: str, default: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        fields[name] = node.args[0] if node.args else default

    return handle


def _garp_delay(name: str) -> Handler:
    return unsigned(name, 0, UINT_MAX // TIMER_HZ,
                    "({name}): " + name + " '{value}' invalid - ignoring")


def _debug(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        fields["debug"] = 1
        return
    value = values.read_unsigned(node.args[0], 0, 4, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"({fields['name']}) Invalid debug level '{node.args[0]}'", node.location)
        return
    fields["debug"] = value


_BOOL_INVALID = "({name}) invalid {kw} {value} specified"


def _bool(name: str) -> Handler:
    return boolean(name, _BOOL_INVALID.replace("{kw}", name))


INSTANCE = Block(
    keywords={
        "lvs_sync_daemon_interface": instance_syncd_interface,
        "state": _state,
        "interface": _interface,
        "virtual_router_id": unsigned(
            "virtual_router_id", 1, 255,
            "({name}): VRID '{value}' not valid - must be between 1 & 255"),
        "priority": unsigned(
            "priority", 1, 255,
            "({name}) Priority not valid! must be between 1 & 255. Using default 100"),
        "advert_int": decimal("advert_int_us", TIMER_HZ // 100, 255 * TIMER_HZ,
                              "({name}) Advert interval ({value}) not valid! Must be > 0"
                              " - ignoring"),
        "version": signed("version", 2, 3, "({name}): Version must be either 2 or 3"),
        "nopreempt": flag("nopreempt"),
        "preempt": flag("nopreempt", False),
        "preempt_delay": decimal("preempt_delay_us", 0, 1000 * TIMER_HZ,
                                 "({name}) Preempt_delay not valid! must be between 0-1000"),
        "authentication": _authentication,
        "virtual_ipaddress": _vips("virtual_ipaddresses", excluded=False),
        "virtual_ipaddress_excluded": _vips("virtual_ipaddresses_excluded", excluded=True),
        "virtual_routes": _routes("virtual_routes", "route"),
        "virtual_rules": _routes("virtual_rules", "rule"),
        "unicast_src_ip": _src_ip("unicast_src_ip"),
        "mcast_src_ip": _src_ip("mcast_src_ip"),
        "mcast_dst_ip": _mcast_dst_ip,
        "unicast_peer": _unicast_peers,
        "track_script": tracked_refs("track_scripts", "track script", "script"),
        "track_interface": tracked_refs("track_interfaces", "track_interface", None),
        "track_file": tracked_refs("track_files", "track file", "file"),
        "track_process": tracked_refs("track_processes", "track process", "process"),
        "dont_track_primary": flag("dont_track_primary"),
        "notify_master": script("notify_master"),
        "notify_backup": script("notify_backup"),
        "notify_fault": script("notify_fault"),
        "notify_stop": script("notify_stop"),
        "notify_deleted": script("notify_deleted"),
        "notify": script("notify"),
        "notify_master_rx_lower_pri": script("notify_master_rx_lower_pri"),
        "smtp_alert": boolean("smtp_alert", "Invalid vrrp_instance smtp_alert parameter {value}"),
        "garp_master_delay": _garp_delay("garp_master_delay"),
        "garp_master_repeat": garp_repeat("garp_master_repeat", instance=True),
        "garp_master_refresh": garp_refresh(
            "garp_master_refresh", "({name}): Invalid garp_master_refresh '{value}' - ignoring"),
        "garp_master_refresh_repeat": garp_repeat("garp_master_refresh_repeat", instance=True),
        "garp_lower_prio_delay": _garp_delay("garp_lower_prio_delay"),
        "garp_lower_prio_repeat": unsigned("garp_lower_prio_repeat", 0, INT_MAX,
                                           "({name}): Invalid garp_lower_prio_repeat '{value}'"),
        "accept": flag("accept"),
        "no_accept": flag("accept", False),
        "strict_mode": _bool("strict_mode"),
        "skip_check_adv_addr": _bool("skip_check_adv_addr"),
        "lower_prio_no_advert": _bool("lower_prio_no_advert"),
        "higher_prio_send_advert": _bool("higher_prio_send_advert"),
        # pykeepalived's own (docs/split-brain.md); keepalived warns and carries on
        "split_brain_announce": _bool("split_brain_announce"),
        "witness": _witnesses,
        "witness_interval": decimal("witness_interval_us", TIMER_HZ // 100, 60 * TIMER_HZ,
                                    "({name}) witness_interval {value} not valid! must be"
                                    " 0.01-60 seconds"),
        "witness_loss": unsigned("witness_loss", 1, 100,
                                 "({name}) witness_loss {value} not valid! must be 1-100"),
        "lease_witness": _lease_endpoints,
        "lease_ttl": unsigned("lease_ttl", 2, 3600,
                              "({name}) lease_ttl {value} not valid! must be 2-3600 seconds"),
        "lease_key": _lease_key,
        "lease_unreachable": _lease_unreachable,
        "down_timer_adverts": unsigned("down_timer_adverts", 1, 100,
                                       "({name}): Invalid down_timer_adverts [1:100] '{value}'"),
        "use_vmac": _use_vmac,
        "vmac_xmit_base": flag("vmac_xmit_base"),
        "native_ipv6": _native_ipv6,
        "unicast_ttl": unsigned("unicast_ttl", 0, 255),
        "check_unicast_src": flag("check_unicast_src"),
        "unicast_fault_no_peer": flag("unicast_fault_no_peer"),
        "old_unicast_checksum": _optional_word("old_unicast_checksum", "always"),
        "promote_secondaries": flag("promote_secondaries"),
        "debug": _debug,
    },
    recognised=recognise(
        "use_vmac_addr", "use_ipvlan", "vrf", "track_src_ip",
        "linkbeat_use_polling", "garp_extra_if",
        "vmac_garp_intvl", "kernel_rx_buf_size", "notify_priority_changes", "track_bfd",
    ),
    sublevels={"authentication": AUTHENTICATION},
    value_blocks=recognise(
        "virtual_ipaddress", "virtual_ipaddress_excluded", "virtual_routes", "virtual_rules",
        "unicast_peer", "track_script", "track_interface", "track_file", "track_process",
        "track_bfd",
    ),
)


def vrrp_instance(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """Root handler: one dict per instance, parsed in file order."""
    name = node.args[0] if node.args else ""
    sub: Fields = {"name": name, "location": node.location}
    walk(ctx, INSTANCE, children(node), sub)
    fields.setdefault("instances", []).append(sub)


__all__ = ["INSTANCE", "tracked_refs", "vrrp_instance"]
