"""`-t` and `-d`: the configuration checked and shown as keepalived's `-t` does.

Its own module so that the daemon never imports the configuration parser (it loads its
configuration in a short-lived child: daemon/config_child.py).
"""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from pykeepalived.config.diagnostics import config_status, exit_code
from pykeepalived.config.load import EXIT_MISSING_PARAMETER, load_config, with_peer_advice
from pykeepalived.config.model import Config, RouteLine, VirtualAddress

if TYPE_CHECKING:
    from collections.abc import Sequence

_LEAVES = (VirtualAddress, RouteLine)


def dump_config(config: Config) -> str:
    """A readable, indented dump of the resolved model (set values only)."""
    out: list[str] = ["------< pykeepalived configuration >------"]
    _dump_value(out, config, 0)
    return "\n".join(out)


def _dump_value(out: list[str], value: Any, depth: int) -> None:
    pad = "  " * depth
    for item in dataclasses.fields(value):
        attr = getattr(value, item.name)
        if item.name == "location" or attr in (None, (), False) or attr == item.default:
            continue
        if dataclasses.is_dataclass(attr):
            out.append(f"{pad}{item.name}:")
            _dump_value(out, attr, depth + 1)
        elif isinstance(attr, tuple) and attr and dataclasses.is_dataclass(attr[0]):
            out.append(f"{pad}{item.name}:")
            for entry in attr:
                label = getattr(entry, "name", None) or str(entry)
                out.append(f"{pad}  - {label}")
                if not isinstance(entry, _LEAVES):
                    _dump_value(out, entry, depth + 2)
        else:
            out.append(f"{pad}{item.name} = {_shown(attr)}")


def _shown(value: Any) -> str:
    """Words as words, bytes (digests, payloads) as hex, nested tuples flattened."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return " ".join(_shown(v) for v in value)
    return str(value)


def config_test(path: str, *, config_id: str | None, all_config: bool, dump: bool,
                peers: Sequence[str] = ()) -> int:
    result = load_config(path, config_id=config_id, all_config=all_config)
    with_file = len(result.files) > 1
    for diagnostic in result.diagnostics:
        print(diagnostic.render(with_file=with_file), file=sys.stderr)
    for advice in with_peer_advice(result, peers):  # ours, never part of the exit code
        print(advice.render(with_file=with_file or bool(peers)), file=sys.stderr)
    if dump and result.config is not None:
        print(dump_config(result.config), file=sys.stderr)
    if result.aborted:
        return EXIT_MISSING_PARAMETER
    return exit_code(config_status(list(result.diagnostics)))
