"""Script and notify command keywords: the one place a command line becomes an argv.

keepalived splits these lines twice, both times with the quoted-and-escaped splitter
(lexer.split_script_words, man keepalived.conf "Quoted strings"): first the whole raw
line, whose second word is the command and whose third and fourth are the optional
user and group, then that second word into the argv (lib/notify.c
set_script_params_array). So `notify_master "/bin/n.sh 'a b'" user` runs `/bin/n.sh`
with the single argument `a b` as `user`, and an unquoted `script killall -0 haproxy`
runs plain `killall`, exactly as keepalived does.
"""

from __future__ import annotations

from pykeepalived.config import values
from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.lexer import split_script_words
from pykeepalived.config.model import NotifyScript
from pykeepalived.config.schema import Ctx, Fields, Handler, NodeLike, arg

__all__ = ["make_script", "script", "script_line_words"]


def script_line_words(ctx: Ctx, node: NodeLike, text: str) -> tuple[str, ...] | None:
    """Split `text` with keepalived's script rules, reporting what keepalived reports;
    None when keepalived could not split it."""
    split = split_script_words(text)
    if split.problem is not None:
        ctx.report(split.kind, split.problem, node.location)
    return split.words


def make_script(ctx: Ctx, node: NodeLike, *, with_user: bool = True) -> NotifyScript | None:
    """The command on `node`'s line; an empty argv when the line names none."""
    raw = node.raw or " ".join((node.keyword, *node.args))
    line = script_line_words(ctx, node, raw)
    if line is None:
        return None
    if len(line) < 2:
        return NotifyScript((), node.location)
    argv = script_line_words(ctx, node, line[1]) or ()
    if not argv:
        ctx.report(Kind.OK, f"Unable to parse script '{line[1]}' - ignoring", node.location)
        return None
    user, group = values.split_user_group(line[2:4]) if with_user else (None, None)
    return NotifyScript(argv, node.location, user, group)


def script(name: str) -> Handler:
    """`keyword "program args" [user [group]]`, as notify_*, misc_path and the
    global startup/shutdown/fifo scripts take it."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        arg(ctx, node)  # keepalived stops reading when the command is missing
        command = make_script(ctx, node)
        if command is not None:
            fields[name] = command

    return handle
