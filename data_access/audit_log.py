"""Appending to the audit log: one JSON line per event in ``IMPACT_STATE_DIR/audit.jsonl``, hash-chained.

The one writer of the line format, used by ``dashboard.audit`` (sign-ins, downloads, exports) and by
``publish``. Each line is one ``write`` on a file opened with ``O_APPEND`` under an exclusive ``flock``, so lines
from concurrent sessions and processes never interleave. Never figures or anything about a child.

Tamper evidence: every line carries ``prev``, the SHA-256 of the line before it (the bytes as written, newline
included; 64 zeros for the first line), so editing, deleting or inserting a line breaks the chain at the line
after it, which ``verify_chain`` (``python -m dashboard audit verify``, the Audit page) reports. A chain has no
secret: someone able to rewrite the whole file can rebuild it, and cutting lines off the end leaves no trace —
copy ``head`` (the hash of the last line) somewhere else now and then to pin the log down to that point.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from data_access.settings import STATE_DIR

LOG_NAME: Final = "audit.jsonl"
GENESIS: Final = "0" * 64
_CHUNK: Final = 8192


def log_path(state_dir: Path | str | None = None) -> Path:
    """Where the audit log lives (default: under the ``IMPACT_STATE_DIR`` setting)."""
    return Path(state_dir if state_dir is not None else STATE_DIR.get()) / LOG_NAME


def line_hash(line: bytes) -> str:
    """The chain hash of one written line (its bytes, newline included)."""
    return hashlib.sha256(line).hexdigest()


def _last_line(descriptor: int) -> bytes | None:
    """The file's last line (with its newline), read backwards from the end; ``None`` for an empty file."""
    end = os.fstat(descriptor).st_size
    if end == 0:
        return None
    tail = b""
    while end > 0:
        start = max(0, end - _CHUNK)
        tail = os.pread(descriptor, end - start, start) + tail
        end = start
        newline = tail.rfind(b"\n", 0, len(tail) - 1)
        if newline >= 0:
            return tail[newline + 1 :]
    return tail


def append_event(event: str, username: str | None, **details: Any) -> None:
    """Append one event (timestamp, event, username, details, and ``prev``, the chain hash) as a JSON line."""
    entry: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "event": event,
        "username": username,
        "details": details,
    }
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            last = _last_line(descriptor)
            if last is not None and not last.endswith(b"\n"):
                # A torn last line (a crash mid-write): end it, so this line starts on its own.
                os.write(descriptor, b"\n")
                last += b"\n"
            entry["prev"] = GENESIS if last is None else line_hash(last)
            line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
            os.write(descriptor, line)
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found.

    Attributes:
        lines: Lines in the log.
        unchained: Lines at the start written before the chain existed (not protected).
        broken_at: The 1-based number of the first line whose ``prev`` does not match the line before it
            (the edit, deletion or insertion is just before it), or ``None`` when the chain holds.
        reason: Why that line breaks the chain.
        head: The chain hash of the last line (copy it elsewhere to pin the log).
    """

    lines: int
    unchained: int
    broken_at: int | None
    reason: str
    head: str

    @property
    def intact(self) -> bool:
        """True when every chained line links to the one before it."""
        return self.broken_at is None


def verify_chain(path: Path | str | None = None) -> ChainReport:
    """Walk the audit log and report the first broken link of its hash chain.

    Args:
        path: The log (default: ``audit.jsonl`` under ``IMPACT_STATE_DIR``).
    """
    path = Path(path) if path is not None else log_path()
    previous = GENESIS
    chained = False
    unchained = 0
    number = 0
    broken: tuple[int, str, str] | None = None
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return ChainReport(0, 0, None, "", GENESIS)
    with handle:
        for number, line in enumerate(handle, start=1):
            if broken is not None:
                continue  # only counting the lines now
            try:
                entry = json.loads(line)
                claimed = entry.get("prev") if isinstance(entry, dict) else None
            except ValueError:
                broken = (number, "the line is not JSON (edited or torn)", previous)
                continue
            if claimed is None and not chained:
                unchained += 1  # written before the chain existed
            elif claimed != previous:
                reason = (
                    "the line has no chain hash after chained lines"
                    if claimed is None
                    else "its chain hash does not match the line before it (a line was edited, deleted or "
                    "inserted just before this one)"
                )
                broken = (number, reason, previous)
                continue
            else:
                chained = True
            previous = line_hash(line if line.endswith(b"\n") else line + b"\n")
    if broken is not None:
        return ChainReport(number, unchained, broken[0], broken[1], broken[2])
    return ChainReport(number, unchained, None, "", previous)
