"""LoadResult: what reading keepalived.conf gives, apart from the parser that made it.

The daemon reads its configuration in a child process (daemon/config_child.py) and gets
this back pickled; unpickling imports the module that defines each class, so this one
imports only the model's vocabulary, never the parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.config.advice import Advice
    from pykeepalived.config.diagnostics import Diagnostic
    from pykeepalived.config.model import Config


@dataclass(frozen=True, slots=True)
class LoadResult:
    """`config` is None exactly when keepalived stopped reading (`aborted`)."""

    config: Config | None
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]
    #: keepalived stopped reading at once (missing parameter): `-t` exits 2
    aborted: bool = False
    #: pykeepalived's own advice (config/advice.py); never part of the `-t` verdict
    advice: tuple[Advice, ...] = ()
