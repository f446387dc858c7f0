"""The audit log: one JSON line per event (sign-ins, lockouts, logouts, user changes, downloads, publications).

Lines go to ``IMPACT_STATE_DIR/audit.jsonl``. Each line is written with one ``write`` on a file opened with
``O_APPEND`` under an exclusive ``flock``, so lines from concurrent sessions and processes never interleave.
The log records who did what and when — never figures or anything about a child.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections import deque
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from data_access.settings import STATE_DIR

LOG_NAME: Final = "audit.jsonl"
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


def log_path(state_dir: Path | str | None = None) -> Path:
    """Where the audit log lives (default: under the ``IMPACT_STATE_DIR`` setting)."""
    return Path(state_dir if state_dir is not None else STATE_DIR.get()) / LOG_NAME


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
    entry = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "event": event,
        "username": username,
        "details": details,
    }
    line = (json.dumps(entry, ensure_ascii=False, default=str, sort_keys=False) + "\n").encode("utf-8")
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            os.write(descriptor, line)
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def read_events(limit: int = 1000, events: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The newest events first.

    Args:
        limit: At most this many events.
        events: Only these event types (default: every type).

    Returns:
        Parsed entries (``timestamp``, ``event``, ``username``, ``details``); unreadable lines are skipped.
    """
    path = log_path()
    if not path.exists():
        return []
    newest: deque[dict[str, Any]] = deque(maxlen=max(limit, 0))
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict) or "event" not in entry:
                continue
            if events is None or entry["event"] in events:
                newest.append(entry)
    return list(reversed(newest))


def event_types() -> list[str]:
    """Every event type present in the log, sorted (for the audit page's filter)."""
    path = log_path()
    if not path.exists():
        return []
    found: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("event"), str):
                found.add(entry["event"])
    return sorted(found)
