"""Appending to the audit log: one JSON line per event in ``IMPACT_STATE_DIR/audit.jsonl``.

The one writer of the line format, used by ``dashboard.audit`` (sign-ins, downloads, exports) and by
``publish``. Each line is one ``write`` on a file opened with ``O_APPEND`` under an exclusive ``flock``, so lines
from concurrent sessions and processes never interleave. Never figures or anything about a child.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from data_access.settings import STATE_DIR

LOG_NAME: Final = "audit.jsonl"


def log_path(state_dir: Path | str | None = None) -> Path:
    """Where the audit log lives (default: under the ``IMPACT_STATE_DIR`` setting)."""
    return Path(state_dir if state_dir is not None else STATE_DIR.get()) / LOG_NAME


def append_event(event: str, username: str | None, **details: Any) -> None:
    """Append one event (timestamp, event, username, details) as a JSON line."""
    entry = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "event": event,
        "username": username,
        "details": details,
    }
    line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
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
