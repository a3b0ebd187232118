"""What the control socket answers: the live status in one JSON document, and its parsing.

The daemon answers the request `status` with one document: our status document
(status.py, the same values as `pykeepalived.status.json`, plus the last transitions
with their reasons, transition counts and the daemon's operation counters) and, when a
checker child runs, the checker's own document (check_status.py) under `check`. The
request `check` asks a checker process for its document alone (the VRRP process asks
its child that way). Both sides render from one snapshot each: nothing here reads live
objects.

`pykeepalived status` parses the answer into the same `StatusView` the dump files give,
so the table, `--json`, `--metrics` and `--watch` show one thing whichever way it came.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pykeepalived.observe.check_status import CheckStatusError, parse_check_status
from pykeepalived.observe.control_names import (
    CHECK_SOCKET_SUFFIX,
    CONTROL_SOCKET_NAME,
    REQUEST_CHECK,
    REQUEST_STATUS,
)
from pykeepalived.observe.status import StatusError, parse_status_document, status_document

__all__ = ["CHECK_SOCKET_SUFFIX", "CONTROL_SOCKET_NAME", "REQUEST_CHECK", "REQUEST_STATUS",
           "control_answer", "error_answer", "live_view", "parse_answer"]

if TYPE_CHECKING:
    from pykeepalived.observe.snapshot import DumpSnapshot
    from pykeepalived.observe.status import StatusView

#: the answer's format; a client refuses a document with another number
CONTROL_VERSION = 1
SOURCE = "control socket"


def control_status(snapshot: DumpSnapshot) -> dict[str, Any]:
    """Our status document plus what only the live daemon has: counts, operations."""
    status = status_document(snapshot)
    status["transition_counts"] = [list(entry) for entry in snapshot.transition_counts]
    status["operations"] = dict(snapshot.operations)
    return status


def live_view(snapshot: DumpSnapshot, check_text: str | None = None) -> StatusView:
    """The view of a snapshot taken here (the metrics endpoint): the same values the
    control socket's client gets, without the JSON round trip."""
    return _view(control_status(snapshot), check_text)


def control_answer(snapshot: DumpSnapshot, check_text: str | None = None) -> bytes:
    """The answer to `status`: our status document (+ history, counts, operations) and
    the checker's document verbatim (it is JSON already) or null."""
    head = json.dumps({"pykeepalived_control": CONTROL_VERSION,
                       "status": control_status(snapshot)})
    check = check_text.strip() if check_text else "null"
    return f'{head[:-1]}, "check": {check}}}\n'.encode()


def error_answer(message: str) -> bytes:
    return f"error: {message}\n".encode()


def parse_answer(raw: bytes) -> StatusView:
    """The client's side: a `status` answer into a StatusView (check side included)."""
    text = raw.decode(errors="replace")
    if text.startswith("error:"):
        raise StatusError(f"the daemon answered: {text.removeprefix('error:').strip()}")
    try:
        doc = json.loads(text)
        if doc.get("pykeepalived_control") != CONTROL_VERSION:
            raise StatusError(f"the {SOURCE} answered an unknown document version")
        check = doc.get("check")
        return _view(doc["status"], None if check is None else json.dumps(check))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StatusError(f"the {SOURCE} answer is not a status document: {exc}") from None


def _view(status: dict[str, Any], check_text: str | None) -> StatusView:
    view = parse_status_document(status, SOURCE)
    try:
        operations = {str(k): float(v) for k, v in status.get("operations", {}).items()}
        counts = tuple((str(i), str(s), str(r), int(n))
                       for i, s, r, n in status.get("transition_counts", ()))
        check = None if check_text is None else parse_check_status(check_text)
    except (ValueError, TypeError, AttributeError, CheckStatusError) as exc:
        raise StatusError(f"the {SOURCE} answer is not a status document: {exc}") from None
    return replace(view, check=check, operations=operations, transition_counts=counts)
