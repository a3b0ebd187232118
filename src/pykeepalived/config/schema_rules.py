"""virtual_rules / static_rules lines, checked word by word as keepalived 2.2.7's
alloc_rule (vrrp_iprule.c) reads them while parsing: each complaint in keepalived's words
on the line's own line, and the line dropped where keepalived drops it. A rule without
a preference is numbered down from RULE_START_PRIORITY per family, in file order, as
keepalived does. The shared reader is schema_rule_route.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.config import values
from pykeepalived.config.schema_rule_route import (
    RTPROT_KEEPALIVED,
    Line,
    Stop,
    read_line,
    realms,
    rtn_type,
    track_group,
)
from pykeepalived.constants import UINT_MAX

if TYPE_CHECKING:
    from pykeepalived.config.model import RouteLine
    from pykeepalived.config.schema import Ctx, NodeLike

__all__ = ["check_rule"]


#: keepalived numbers rules without a preference down from here, per family, in file order
RULE_START_PRIORITY = 16384


def check_rule(ctx: Ctx, node: NodeLike, *, static: bool) -> RouteLine | None:
    """One rule line as alloc_rule reads it: None when keepalived drops it."""
    return read_line(ctx, node, _rule_words, static=static)


@dataclass
class _Rule:
    action: str | None = None
    priority: int | None = None
    goto: int = 0
    table_option: bool = False
    table: bool = False
    l3mdev: bool = False
    protocol: int | None = None
    no_track: bool = False
    track_group: bool = False
    iif: bool = False


_ACTION_TWICE = ("Cannot specify more than one of table/nop/goto/blackhole/prohibit/"
                 "unreachable{} for rule")


def _rule_words(line: Line, static: bool) -> bool:
    r = _Rule()
    mixed = "rule specification has mixed IPv4 and IPv6"
    words = line.words
    try:
        while line.i < len(words):
            word = words[line.i]
            if word in ("inet", "inet6"):
                line.family_word(word, "rule")
            elif word in ("from", "to"):
                text = line.next()
                parsed, family = line.route(text)
                if not parsed:
                    raise line.drop(f"Invalid rule {word} address {text}")
                if family is not None or not line.explicit:  # `inet6 from all` (_destination)
                    line.claim(family, mixed)
            elif word in ("table", "lookup"):
                text = line.next()
                table = line.rt_name("rt_tables", text, UINT_MAX)
                if table is None:
                    raise line.drop(f"Routing table {text} not found for rule")
                if table == 0:
                    raise line.drop("Table 0 is not valid")
                r.table = True
                if r.action is not None:
                    raise line.drop(_ACTION_TWICE.format(""))
                r.action = "table"
            elif word == "not":
                pass
            elif word in ("preference", "order", "priority"):
                text = line.next()
                r.priority = values.strtoul(text) if not text.lstrip().startswith("-") else None
                if r.priority is None or r.priority > UINT_MAX:
                    values.read_unsigned(text, 0, UINT_MAX, line.ctx.reporter(line.node.location))
                    raise line.drop(f"Invalid rule preference {word} specified")
            elif word in ("tos", "dsfield"):
                text = line.next()
                if line.rt_name("rt_dsfield", text, 255) is None:
                    raise line.drop(f"TOS value {text} is invalid")
            elif word == "fwmark":
                text = line.next()
                if not _fwmark(text):
                    raise line.drop(f"Invalid rule fwmark {text.lstrip()} specified")
            elif word == "realms":
                text = line.next()
                if not realms(line, text):
                    raise line.drop(f"invalid realms {text} for rule")
                r.table_option = True
                line.claim(4, "realms is only valid for IPv4")
            elif word in ("suppress_prefixlength", "sup_pl"):
                line.unsigned(line.next(), 2**31 - 1,
                              f"Invalid suppress_prefixlength {word} specified")
                r.table_option = True
            elif word in ("suppress_ifgroup", "sup_group"):
                text = line.next()
                if line.rt_name("group", text, 2**31 - 1) is None:
                    raise line.drop(f"suppress_group {text} is invalid")
                r.table_option = True
            elif word in ("dev", "iif", "oif"):
                line.device(line.next(), "WARNING - interface {} for rule doesn't exist")
                r.iif = r.iif or word != "oif"
            elif word == "tunnel-id":
                text = line.next()
                if values.strtoul(text) is None or text.lstrip().startswith("-"):
                    values.read_unsigned(text, 0, 2**64 - 1, line.ctx.reporter(line.node.location))
                    raise line.drop(f"Invalid tunnel-id {word} specified")
            elif word == "uidrange":
                first, dash, last = line.next().partition("-")
                if not (dash and first.isdigit() and last[:1].isdigit()):
                    raise line.drop(f"Invalid uidrange {word} specified")
            elif word == "l3mdev":
                r.l3mdev = True
                if r.action is not None:
                    raise line.drop("Cannot specify l3mdev with other action")
                r.action = "table"
            elif word == "protocol":
                text = line.next()
                r.protocol = values.read_unsigned(text, 0, 255,
                                                  line.ctx.reporter(line.node.location))
                if r.protocol is None:
                    line.say(f"Invalid protocol {text}")
            elif word == "ipproto":
                text = line.next()
                if not _ipproto(line, text):
                    line.say(f"Invalid ipproto {text}")
            elif word in ("sport", "dport"):
                text = line.next()
                if not _port_range(text):
                    line.say(f"invalid {word} range {text}")
            elif word == "no_track":
                r.no_track = True
            elif static and word == "track_group":
                r.track_group = track_group(line, r.track_group)
            else:
                _rule_action(line, r, word)
            line.i += 1
    except Stop:
        pass
    if r.action == "goto":
        if r.priority is None:
            raise line.drop(f"Invalid rule - goto target {r.goto} specified without preference")
        if r.priority >= r.goto:
            raise line.drop(f"Invalid rule - preference {r.priority} >= goto target {r.goto}")
    if r.action is None:
        raise line.drop("No action specified for rule - ignoring")
    if r.action != "table" and r.table_option:
        raise line.drop("suppressor/realm specified for non table action - skipping")
    if r.table and r.l3mdev:
        raise line.drop("table cannot be specified for l3mdev rules")
    if not r.no_track and r.protocol is not None and r.protocol != RTPROT_KEEPALIVED:
        line.say("Rule cannot be tracked if protocol is not"
                 f" RTPROT_KEEPALIVED({RTPROT_KEEPALIVED}), resetting protocol")
    if r.track_group and not r.iif:
        line.say("Static rule cannot have track_group if dev/iif not specified")
    if r.priority is None:
        family = line.family or 4
        number = line.ctx.rule_priority.get(family, RULE_START_PRIORITY)
        line.ctx.rule_priority[family] = number - 1
        line.say(f"Rule has no preference specified - setting to {number}. This is probably"
                 " not what you want.")
    return r.no_track


#: names getprotobyname knows on a usual host, when /etc/protocols was not read
_IP_PROTOS = frozenset({"ip", "icmp", "igmp", "tcp", "udp", "ipv6", "gre", "esp", "ah",
                        "ipv6-icmp", "sctp", "udplite", "dccp", "pim", "ipip", "egp", "pup",
                        "idp", "rsvp", "l2tp", "mptcp"})


def _ipproto(line: Line, text: str) -> bool:
    """inet_proto_a2n: a decimal number up to 127, else a protocol name."""
    word = text.lstrip(" \t")
    if not word or word.startswith("-"):
        return False
    digits = len(word) - len(word.lstrip("0123456789"))
    if digits and int(word[:digits]) > 127:
        return False
    if digits == len(word):
        return True
    names = line.ctx.protocols
    return word in (_IP_PROTOS if names is None else names)


def _rule_action(line: Line, r: _Rule, word: str) -> None:
    if word == "type":
        word = line.next()
    if word == "goto":
        text = line.next()
        target = values.read_unsigned(text, 0, UINT_MAX, line.ctx.reporter(line.node.location))
        if target is None:
            raise line.drop(f"Invalid target {word} specified")
        r.goto = target
        action = "goto"
    elif word == "nop":
        action = "nop"
    elif (number := rtn_type(word)) is not None:
        names = {6: "blackhole", 7: "unreachable", 8: "prohibit"}
        if number not in names:
            raise line.drop(f"Invalid rule action {word}")
        action = names[number]
    else:
        raise line.drop(f"Unknown rule option {word}")
    if r.action is not None:
        raise line.drop(_ACTION_TWICE.format("/l3mdev"))
    r.action = action


def _fwmark(text: str) -> bool:
    word = text.lstrip(" \t")
    mark, slash, mask = word.partition("/")
    if word.startswith("-") or (slash and (mask[:1].isspace() or mask.startswith("-"))):
        return False
    # strtoul reads nothing from an empty part, which then counts as 0
    first = values.strtoul(mark) if mark else 0
    if first is None or first > UINT_MAX:
        return False
    if slash:
        second = values.strtoul(mask) if mask else 0
        return second is not None and second <= UINT_MAX
    return True


def _port_range(text: str) -> bool:
    """sscanf("%hu-%hu") == 2. keepalived 2.2.7 means to take one port too, but tests
    the count after widening it, so `sport 80` is complained about (and, there, the rule
    is installed without the port; specs/ does not install port selectors at all)."""
    first, dash, last = text.partition("-")
    return first.isdigit() and bool(dash) and last[:1].isdigit()
