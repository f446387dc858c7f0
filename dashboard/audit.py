"""The audit log: one JSON line per event (sign-ins, lockouts, logouts, user changes, downloads, publications).

Lines go to ``IMPACT_STATE_DIR/audit.jsonl`` through ``data_access.audit_log.append_event`` (one ``O_APPEND``
write under ``flock`` per line), the same writer ``publish`` uses.
The log records who did what and when — never figures or anything about a child.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from typing import Any, Final

from data_access.audit_log import ChainReport, append_event, log_path, verify_chain

# A username as typed at a failed sign-in is kept only this long.
TYPED_USERNAME_LIMIT: Final = 64

SIGN_IN: Final = "sign_in"
SIGN_IN_FAILED: Final = "sign_in_failed"
LOCKOUT: Final = "lockout"
SIGN_OUT: Final = "sign_out"
COOKIE_REFUSED: Final = "cookie_refused"
USER_ADDED: Final = "user_added"
ROLE_CHANGED: Final = "role_changed"
USER_REMOVED: Final = "user_removed"
UNLOCKED: Final = "unlocked"
SDC_KEY_CHANGED: Final = "sdc_key_changed"


def truncate_typed(value: str | None, limit: int = TYPED_USERNAME_LIMIT) -> str | None:
    """A value typed by a stranger, bounded in length before it is logged."""
    if value is None:
        return None
    return value if len(value) <= limit else value[:limit] + "…"


def record(event: str, username: str | None, **details: Any) -> None:
    """Append one event to the audit log.

    Args:
        event: What happened, e.g. ``sign_in`` or ``download``.
        username: Who did it (``None`` when nobody is signed in).
        **details: Small JSON-serialisable facts about the event (file name, page, role); never figures
            or child-level data.
    """
    append_event(event, username, **details)


def _entries() -> Iterator[dict[str, Any]]:
    """Every readable entry of the log in force, oldest first (lines that are not an event are skipped)."""
    path = log_path()
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("event"), str):
                yield entry


def read_events(limit: int = 1000, events: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The newest events first.

    Args:
        limit: At most this many events.
        events: Only these event types (default: every type).

    Returns:
        Parsed entries (``timestamp``, ``event``, ``username``, ``details``); unreadable lines are skipped.
    """
    newest: deque[dict[str, Any]] = deque(maxlen=max(limit, 0))
    newest.extend(entry for entry in _entries() if events is None or entry["event"] in events)
    return list(reversed(newest))


def event_types() -> list[str]:
    """Every event type present in the log, sorted (for the audit page's filter)."""
    return sorted({entry["event"] for entry in _entries()})


def chain_report() -> ChainReport:
    """The hash chain of the log in force checked end to end (see ``data_access.audit_log``)."""
    return verify_chain(log_path())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m dashboard audit verify``: exit 0 when the chain holds, 1 with the first broken link."""
    if list(argv or []) != ["verify"]:
        print("usage: python -m dashboard audit verify", file=sys.stderr)
        return 2
    report = chain_report()
    path = log_path()
    if report.intact:
        note = (
            f" ({report.unchained} lines from before the chain are not covered)" if report.unchained else ""
        )
        print(f"OK: {path}: {report.lines} lines, the hash chain holds{note}. Head: {report.head}")
        return 0
    print(f"BROKEN: {path}: line {report.broken_at} of {report.lines}: {report.reason}.", file=sys.stderr)
    return 1
