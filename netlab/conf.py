"""keepalived.conf text for the lab's daemons, from a few typed blocks.

Every test, benchmark, the demo and the golden capture tool write their configs here, so
a config reads the same wherever it comes from and a typo is a type error, not a daemon
that quietly ignores a keyword. Both implementations read the same text: a difference
seen on the wire or in a log is then the implementation's, never the config's.

Only what the lab uses has a field; anything else goes in an `extra` as plain lines
(`"use_vmac"`) or nested `Block`s, rendered in place. Lines come out in one fixed order
per block (keepalived does not care about the order inside a block):

    Config(instances=[Instance("VI_1", vrid=51, priority=150, vips=["192.0.2.51/24"],
                               state="BACKUP", advert="0.1")],
           global_defs=GlobalDefs(router_id="lab", vrrp_version=3)).text()

The check module's blocks (`VirtualServer`, `RealServer`, `Checker`) come after the
instances; `Config(virtual_servers=[...])` with no instance is a director's config, run by
`keepalived -C` / `pykeepalived -C` (netlab/peers.py `checker_daemon`).

The golden capture tool keeps its historical layout (`Style(inline=True, blank_line=True)`:
`virtual_ipaddress { 192.0.2.161/24 }`), because tests edit the stored text by string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence


@dataclass(frozen=True)
class Block:
    """`head { body }`: body lines are keepalived statements or nested blocks."""

    head: str
    body: Sequence[Line] = ()


Line = str | Block


@dataclass(frozen=True)
class Style:
    """Layout only: the same Config in any style loads to the same configuration."""

    indent: str = "    "
    #: a nested block with a single plain line on one line: `unicast_peer { 192.0.2.12 }`
    inline: bool = False
    #: an empty line between top-level blocks
    blank_line: bool = False


def render(block: Block, style: Style, depth: int = 0) -> Iterator[str]:
    pad = style.indent * depth
    body = list(block.body)
    if style.inline and depth and len(body) == 1 and isinstance(body[0], str):
        yield f"{pad}{block.head} {{ {body[0]} }}"
        return
    yield f"{pad}{block.head} {{"
    for line in body:
        if isinstance(line, Block):
            yield from render(line, style, depth + 1)
        else:
            if "\n" in line:
                raise ValueError(f"one statement per line (nest a Block instead): {line!r}")
            yield f"{pad}{style.indent}{line}"
    yield f"{pad}}}"


def _option(keyword: str, value: object) -> list[str]:
    """`keyword value`, or nothing when the value is unset."""
    return [] if value is None else [f"{keyword} {value}"]


def _flag(keyword: str, on: bool) -> list[str]:
    return [keyword] if on else []


def _listed(head: str, items: Sequence[str]) -> list[Line]:
    return [Block(head, list(items))] if items else []


@dataclass(frozen=True)
class GlobalDefs:
    """`global_defs`. `script_security` is `enable_script_security`, which refuses
    scripts in a directory anyone may write to (so not under /tmp)."""

    router_id: str | None = None
    vrrp_version: int | None = None
    garp_master_delay: int | None = None
    script_user: str | None = None
    script_security: bool = False
    extra: Sequence[Line] = ()

    def block(self) -> Block:
        return Block("global_defs", [
            *_option("router_id", self.router_id),
            *_option("vrrp_version", self.vrrp_version),
            *_option("vrrp_garp_master_delay", self.garp_master_delay),
            *_option("script_user", self.script_user),
            *_flag("enable_script_security", self.script_security),
            *self.extra])


@dataclass(frozen=True)
class Script:
    """`vrrp_script NAME`: `command` is run as given (quoted in the file)."""

    name: str
    command: str
    interval: int | None = None
    fall: int | None = None
    rise: int | None = None
    weight: int | None = None
    timeout: int | None = None

    def block(self) -> Block:
        return Block(f"vrrp_script {self.name}", [
            f'script "{self.command}"', *_option("interval", self.interval),
            *_option("timeout", self.timeout),
            *_option("fall", self.fall), *_option("rise", self.rise),
            *_option("weight", self.weight)])


@dataclass(frozen=True)
class TrackProcess:
    """`vrrp_track_process NAME`: up while `process` (a comm name) runs."""

    name: str
    process: str
    quorum: int | None = None
    weight: int | None = None

    def block(self) -> Block:
        return Block(f"vrrp_track_process {self.name}", [
            f"process {self.process}", *_option("quorum", self.quorum),
            *_option("weight", self.weight)])


@dataclass(frozen=True)
class SyncGroup:
    name: str
    members: Sequence[str]

    def block(self) -> Block:
        return Block(f"vrrp_sync_group {self.name}", [Block("group", list(self.members))])


@dataclass(frozen=True)
class Auth:
    """`authentication`: PASS (VRRPv2 only) or keepalived's AH (`auth_type AH`)."""

    kind: str
    password: str

    def block(self) -> Block:
        return Block("authentication", [f"auth_type {self.kind}", f"auth_pass {self.password}"])


@dataclass(frozen=True)
class Unicast:
    """Adverts to `peers` from `source` instead of to the multicast group."""

    source: str
    peers: Sequence[str]

    def lines(self) -> list[Line]:
        return [f"unicast_src_ip {self.source}", Block("unicast_peer", list(self.peers))]


@dataclass(frozen=True)
class Instance:
    """`vrrp_instance NAME`. Unset fields are left out (keepalived's defaults apply).

    `notify` maps a notify keyword (`notify_master`, `notify`...) to its script, quoted;
    `extra` lines come last but for the VIPs."""

    name: str
    vrid: int
    priority: int | None
    vips: Sequence[str]
    state: str | None = None
    nopreempt: bool = False
    interface: str = "eth0"
    advert: str | None = None
    version: int | None = None
    auth: Auth | None = None
    unicast: Unicast | None = None
    notify: Mapping[str, str] = field(default_factory=dict)
    track_interfaces: Sequence[str] = ()
    track_scripts: Sequence[str] = ()
    track_processes: Sequence[str] = ()
    extra: Sequence[Line] = ()

    def block(self) -> Block:
        return Block(f"vrrp_instance {self.name}", [
            *_option("state", self.state),
            *_flag("nopreempt", self.nopreempt),
            f"interface {self.interface}",
            f"virtual_router_id {self.vrid}",
            *_option("priority", self.priority),
            *_option("advert_int", self.advert),
            *_option("version", self.version),
            *([self.auth.block()] if self.auth else []),
            *(self.unicast.lines() if self.unicast else []),
            *(f'{keyword} "{script}"' for keyword, script in self.notify.items()),
            *_listed("track_interface", self.track_interfaces),
            *_listed("track_script", self.track_scripts),
            *_listed("track_process", self.track_processes),
            *self.extra,
            Block("virtual_ipaddress", list(self.vips))])


@dataclass(frozen=True)
class Checker:
    """A real_server's health checker: `kind` is the block's keyword (TCP_CHECK, HTTP_GET,
    SMTP_CHECK, MISC_CHECK...), `lines` its body as written (`url { path / }` as a Block)."""

    kind: str
    lines: Sequence[Line] = ()

    def block(self) -> Block:
        return Block(self.kind, list(self.lines))


def tcp_check(*, connect_timeout: float | None = None, connect_port: int | None = None,
              retry: int | None = None, delay_before_retry: float | None = None,
              extra: Sequence[Line] = ()) -> Checker:
    return Checker("TCP_CHECK", [
        *_option("connect_port", connect_port), *_option("connect_timeout", connect_timeout),
        *_option("retry", retry), *_option("delay_before_retry", delay_before_retry), *extra])


@dataclass(frozen=True)
class RealServer:
    """`real_server ADDRESS [PORT]`; notify scripts are quoted command lines."""

    address: str
    port: int | None = None
    weight: int | None = None
    inhibit_on_failure: bool = False
    notify_up: str | None = None
    notify_down: str | None = None
    checkers: Sequence[Checker] = ()
    extra: Sequence[Line] = ()

    def block(self) -> Block:
        head = f"real_server {self.address}" + ("" if self.port is None else f" {self.port}")
        return Block(head, [
            *_option("weight", self.weight),
            *_flag("inhibit_on_failure", self.inhibit_on_failure),
            *(f'{k} "{v}"' for k, v in (("notify_up", self.notify_up),
                                          ("notify_down", self.notify_down)) if v),
            *self.extra, *(c.block() for c in self.checkers)])


@dataclass(frozen=True)
class VirtualServer:
    """`virtual_server TARGET`: TARGET is `ADDRESS PORT`, `fwmark N` or `group NAME`.
    Unset fields are left out (keepalived's defaults apply); quorum scripts are quoted."""

    target: str
    real_servers: Sequence[RealServer] = ()
    scheduler: str | None = "rr"
    method: str | None = "NAT"
    protocol: str | None = "TCP"
    delay_loop: float | None = None
    persistence_timeout: int | None = None
    quorum: int | None = None
    hysteresis: int | None = None
    alpha: bool = False
    omega: bool = False
    inhibit_on_failure: bool = False
    quorum_up: str | None = None
    quorum_down: str | None = None
    sorry_server: str | None = None
    extra: Sequence[Line] = ()

    def block(self) -> Block:
        return Block(f"virtual_server {self.target}", [
            *_option("delay_loop", self.delay_loop), *_option("lvs_sched", self.scheduler),
            *_option("lvs_method", self.method), *_option("protocol", self.protocol),
            *_option("persistence_timeout", self.persistence_timeout),
            *_option("quorum", self.quorum), *_option("hysteresis", self.hysteresis),
            *_flag("alpha", self.alpha), *_flag("omega", self.omega),
            *_flag("inhibit_on_failure", self.inhibit_on_failure),
            *(f'{k} "{v}"' for k, v in (("quorum_up", self.quorum_up),
                                          ("quorum_down", self.quorum_down)) if v),
            *_option("sorry_server", self.sorry_server),
            *self.extra, *(rs.block() for rs in self.real_servers)])


@dataclass(frozen=True)
class Config:
    """A whole keepalived.conf: global_defs, trackers, sync groups, instances, virtual
    servers, then any other top-level `blocks` (static_ipaddress...), in that order."""

    instances: Sequence[Instance] = ()
    global_defs: GlobalDefs | None = None
    scripts: Sequence[Script] = ()
    track_processes: Sequence[TrackProcess] = ()
    sync_groups: Sequence[SyncGroup] = ()
    virtual_servers: Sequence[VirtualServer] = ()
    blocks: Sequence[Block] = ()
    style: Style = Style()

    def text(self) -> str:
        blocks = [*([self.global_defs.block()] if self.global_defs else []),
                  *(s.block() for s in self.scripts),
                  *(t.block() for t in self.track_processes),
                  *(g.block() for g in self.sync_groups),
                  *(i.block() for i in self.instances),
                  *(v.block() for v in self.virtual_servers), *self.blocks]
        rendered = ["\n".join(render(block, self.style)) for block in blocks]
        return ("\n\n" if self.style.blank_line else "\n").join(rendered) + "\n"


def instance_conf(*, vrid: int, priority: int, vip: str, version: int = 3,
                  advert: str = "0.1", nopreempt: bool = False, auth: Auth | None = None,
                  unicast: Unicast | None = None, notify: Mapping[str, str] | None = None,
                  extra: Sequence[Line] = (), script_security: bool = False,
                  global_extra: Sequence[Line] = ()) -> Config:
    """The lab's usual node: one instance VI_T in state BACKUP, router_id `pyka<vrid>`,
    VRRPv3 at 0.1 s (Master_Down_Interval about 0.36 s), GARP repeat after 1 s."""
    return Config(
        global_defs=GlobalDefs(router_id=f"pyka{vrid}", vrrp_version=version,
                               garp_master_delay=1,
                               script_user="root" if script_security else None,
                               script_security=script_security, extra=global_extra),
        instances=[Instance("VI_T", vrid, priority, [vip], state="BACKUP", advert=advert,
                            nopreempt=nopreempt, auth=auth, unicast=unicast,
                            notify=notify or {}, extra=extra)])
