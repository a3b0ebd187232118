"""Which keywords keepalived gives a block, read off the schema tables.

keepalived nests by keyword, not by braces (lib/parser.c process_stream): a keyword
with a sub-level opens it whether or not a `{` follows, a value-block keyword reads
value lines up to `}`, and any other keyword followed by `{` gets "Unexpected '{' -
ignoring" while the lines after it stay at the current level. Each schema `Block`
declares its `sublevels` and `value_blocks`; this module turns them into the
`takes_block` answer the tree builder asks for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config.schema_static import ROOT
from pykeepalived.config.tree import Nesting

if TYPE_CHECKING:
    from pykeepalived.config.schema import Block

__all__ = ["block_at", "takes_block"]


def block_at(parents: tuple[str, ...], root: Block = ROOT) -> Block | Nesting:
    """The keyword table in force inside `parents`, or how lines there nest when no
    table applies (value lines, or a block we keep raw)."""
    block = root
    for parent in parents:
        if parent in block.value_blocks:
            return Nesting.STATEMENT
        inner = block.sublevels.get(parent)
        if inner is None:
            return Nesting.BRACES
        block = inner
    return block


def takes_block(parents: tuple[str, ...], keyword: str) -> Nesting:
    """keepalived's nesting of `keyword` inside the blocks `parents`."""
    block = block_at(parents)
    if isinstance(block, Nesting):
        return block
    if keyword in block.sublevels:
        return Nesting.BLOCK
    if keyword in block.value_blocks:
        return Nesting.VALUE_BLOCK
    return Nesting.STATEMENT
