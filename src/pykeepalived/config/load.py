"""load_config / load_text: keepalived.conf text to a validated Config plus diagnostics.

One pipeline: `tree` (lines, braces, quotes, include, $params, @id), nested by the
schema's own block tables (`nesting.takes_block`, so block-vs-statement is decided by
keyword as keepalived decides it), then the schema walk and `resolve`. Host facts are
gathered here (I/O) unless the caller passes them, so validation itself stays pure.
Nothing here raises on bad input: every problem is a `Diagnostic`.

A missing main config file is a deliberate difference from keepalived 2.2.7: its `-t`
prints "Config files missing ..." and exits 0 unless `-e` is given, so a CI check or a
`reload_check_config` guard passes for a config that does not exist (reported upstream
as a bug, acassen/keepalived#955). We report it as FILE_NOT_FOUND, so `-t` exits 4 with
or without `-e`; a missing *included* file still follows keepalived (only `-e` or
`include_check` make it an error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config import tree
from pykeepalived.config.advice import Advice, advise, declared_instances
from pykeepalived.config.advice_peers import peer_advice
from pykeepalived.config.diagnostics import Diagnostic, Kind
from pykeepalived.config.host import (
    HostFacts,
    account_exists,
    device_facts,
    gather_host_facts,
    resolves,
)
from pykeepalived.config.nesting import takes_block
from pykeepalived.config.resolve import resolve
from pykeepalived.config.resolve_scripts import script_accounts, script_programs
from pykeepalived.config.result import LoadResult
from pykeepalived.config.schema import Abort, Ctx, Fields, NodeLike, walk
from pykeepalived.config.schema_static import ROOT

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pykeepalived.config.model import Config

__all__ = ["EXIT_MISSING_PARAMETER", "LoadResult", "load_config", "load_text", "validate",
           "with_peer_advice"]

#: keepalived exits with KEEPALIVED_EXIT_CONFIG (2) on a keyword missing its parameter.
EXIT_MISSING_PARAMETER = 2


def load_config(path: str, *, config_id: str | None = None, all_config: bool = False,
                host: HostFacts | None = None,
                random_source: Callable[[], int] | None = None) -> LoadResult:
    """Read `path` (a glob, as keepalived allows) with its includes and validate it."""
    parsed = tree.parse_file(path, config_id=config_id, all_config=all_config,
                             random_source=random_source, takes_block=takes_block)
    return validate(parsed.nodes, parsed.diagnostics, parsed.files, host=host)


def load_text(text: str, *, path: str = "<string>", config_id: str | None = None,
              host: HostFacts | None = None,
              random_source: Callable[[], int] | None = None) -> LoadResult:
    """As load_config, for text already in memory (tests, reload of a checked copy);
    includes resolve from the directory of `path`."""
    parsed = tree.parse_text(text, path=path, config_id=config_id,
                             random_source=random_source, takes_block=takes_block)
    return validate(parsed.nodes, parsed.diagnostics, parsed.files, host=host)


def with_peer_advice(result: LoadResult, peer_paths: Sequence[str]) -> tuple[Advice, ...]:
    """`result.advice` plus the checks that need the peers' priorities. Peer files are
    another host's, so they are read with neutral host facts (no I/O on their behalf)
    and their own diagnostics are not ours to report, unless they cannot be read."""
    if result.config is None:
        return result.advice
    peers: list[Config] = []
    unreadable: list[Advice] = []
    for path in peer_paths:
        peer = load_config(path, host=HostFacts(own_interfaces=False))
        missing = next((d for d in peer.diagnostics if d.kind is Kind.FILE_NOT_FOUND), None)
        if peer.config is None or missing is not None:
            why = missing.render() if missing else "keepalived would stop reading it"
            unreadable.append(Advice(f"peer config {path} not used: {why}"))
            continue
        peers.append(peer.config)
    return (*result.advice, *unreadable, *peer_advice(result.config, peers))


def validate(nodes: tuple[NodeLike, ...], syntax: tuple[Diagnostic, ...] = (),
             files: tuple[str, ...] = (), *, host: HostFacts | None = None) -> LoadResult:
    """Schema + resolution over already-parsed nodes."""
    facts = device_facts() if host is None else host
    ctx = Ctx(diagnostics=list(syntax),
              account=account_exists if host is None else _accounts_of(host),
              cpus=facts.cpus,
              resolves=resolves if host is None else host.resolvable.__contains__,
              interfaces=facts.interfaces if facts.own_interfaces else None,
              loopbacks=facts.loopbacks, vrfs=facts.vrfs, protocols=facts.protocols,
              rt_names=facts.rt_names)
    root: Fields = {}
    try:
        walk(ctx, ROOT, nodes, root)
    except Abort:
        return LoadResult(None, _read_before_abort(syntax, ctx.diagnostics), files,
                          aborted=True)
    if host is None:
        sources = any(f.get("unicast_src_ip") for f in root.get("instances", []))
        users, groups = script_accounts(root)
        host = gather_host_facts(script_programs(root), users, groups=groups,
                                 addresses=sources, devices=facts)
    declared = declared_instances(root)
    config = resolve(ctx, root, host)
    return LoadResult(config, tuple(ctx.diagnostics), files,
                      advice=advise(config, declared=declared, host=host))


def _accounts_of(host: HostFacts) -> Callable[[str, str | None], bool]:
    return lambda user, group: user in host.users and (group is None or group in host.groups)


def _read_before_abort(syntax: tuple[Diagnostic, ...], reported: list[Diagnostic]
                       ) -> tuple[Diagnostic, ...]:
    """keepalived stops reading at the aborting line, so syntax problems found after it
    in that file (say the `{` of `priority {`) were never reported; a quote problem on
    the line itself was, since splitting comes before the handler."""
    abort = reported[-1].location
    if abort is None:
        return tuple(reported)

    def seen(diagnostic: Diagnostic) -> bool:
        where = diagnostic.location
        if where is None or where.path != abort.path or where.line < abort.line:
            return True
        return where.line == abort.line and diagnostic.kind is Kind.UNMATCHED_QUOTE

    return (*(d for d in syntax if seen(d)), *reported[len(syntax):])
