"""Server-side sign-in state: issued sessions (so a logout revokes a cookie) and failed-attempt lockouts.

Both live in one SQLite file under ``IMPACT_STATE_DIR``, so they survive a restart and are shared by every
browser session and every server process. SQLite's own locking makes each read-modify-write atomic
(``BEGIN IMMEDIATE``), which a JSON file could not do safely across processes.

The store never holds a usable secret: sessions are keyed by the SHA-256 of their random id, and the id is
only ever sent to the browser inside the signed cookie.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from data_access.settings import STATE_DIR

DB_NAME: Final = "auth.sqlite3"
MAX_FAILED_ATTEMPTS: Final = 5
LOCKOUT_SECONDS: Final = 15 * 60
# A typed username is stored only this long: enough for any real name, and a bound on what a stranger can
# make the server keep.
USERNAME_KEY_LENGTH: Final = 128

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    sid_hash   TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    issued_at  REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (username);
CREATE TABLE IF NOT EXISTS failed_logins (
    username_key TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_failure REAL NOT NULL,
    locked_until REAL
);
"""


def hash_session_id(session_id: str) -> str:
    """The key a session is stored under: the hex SHA-256 of its id."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def username_key(typed: str) -> str:
    """The lockout key of a username as typed: trimmed, lower-cased (as sign-in compares it) and bounded."""
    return typed.strip().lower()[:USERNAME_KEY_LENGTH]


@dataclass(frozen=True)
class FailureOutcome:
    """What one failed attempt did: failures now counted, whether it locked the name, whether it is locked."""

    failures: int
    locked_now: bool
    locked: bool


class StateStore:
    """The SQLite file of sessions and lockouts; every method opens, uses and closes its own connection."""

    def __init__(self, folder: Path | str | None = None) -> None:
        """Use ``folder`` (default: the ``IMPACT_STATE_DIR`` setting), creating it when missing.

        Args:
            folder: Where ``auth.sqlite3`` lives.
        """
        self.folder = Path(folder if folder is not None else STATE_DIR.get())
        self.path = self.folder / DB_NAME
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 15000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken up front, so two processes never interleave a read-modify-write."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # Sessions ---------------------------------------------------------------------------------------------

    def issue_session(self, username: str, now: float, lifetime_seconds: float) -> str:
        """Record a new signed-in session and return its random id (to be put in the signed cookie).

        Args:
            username: Who signed in.
            now: The current time (Unix seconds).
            lifetime_seconds: How long the session (and its cookie) may be used.

        Returns:
            The session id; only its hash is stored.
        """
        session_id = secrets.token_urlsafe(32)
        with self._transaction() as db:
            # Forget sessions that expired more than a day ago; revoked rows are kept until then so that
            # a captured cookie is refused for as long as it could otherwise have been used.
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (now - 86400,))
            db.execute(
                "INSERT INTO sessions (sid_hash, username, issued_at, expires_at) VALUES (?, ?, ?, ?)",
                (hash_session_id(session_id), username, now, now + lifetime_seconds),
            )
        return session_id

    def session_is_active(self, session_id: str, username: str, now: float) -> bool:
        """True only when the session was issued here, to ``username``, is unexpired and not revoked.

        An unknown id is refused like a revoked one: the store is an allow-list, not a deny-list.
        """
        with self._connect() as db:
            row = db.execute(
                "SELECT username, expires_at, revoked_at FROM sessions WHERE sid_hash = ?",
                (hash_session_id(session_id),),
            ).fetchone()
        if row is None:
            return False
        stored_username, expires_at, revoked_at = row
        return bool(stored_username == username and revoked_at is None and expires_at > now)

    def revoke_session(self, session_id: str, now: float) -> None:
        """Revoke one session (logout): its cookie never signs anyone in again."""
        with self._transaction() as db:
            db.execute(
                "UPDATE sessions SET revoked_at = ? WHERE sid_hash = ? AND revoked_at IS NULL",
                (now, hash_session_id(session_id)),
            )

    def revoke_user_sessions(self, username: str, now: float) -> int:
        """Revoke every session of ``username`` (removed user); returns how many were revoked."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE sessions SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
                (now, username),
            )
            return cursor.rowcount

    # Lockouts ---------------------------------------------------------------------------------------------

    def locked_until(self, typed_username: str, now: float) -> float | None:
        """When the lock on this username ends, or ``None`` when it is not locked."""
        with self._connect() as db:
            row = db.execute(
                "SELECT locked_until FROM failed_logins WHERE username_key = ?",
                (username_key(typed_username),),
            ).fetchone()
        if row is None or row[0] is None or row[0] <= now:
            return None
        return float(row[0])

    def record_failure(self, typed_username: str, now: float) -> FailureOutcome:
        """Count one failed attempt; the fifth within the window locks the name for 15 minutes.

        Failures older than the lockout window are forgotten, so an occasional typo never adds up to a lock.
        Attempts made while locked are refused before they get here, so they never extend the lock.
        """
        key = username_key(typed_username)
        with self._transaction() as db:
            row = db.execute(
                "SELECT failures, last_failure, locked_until FROM failed_logins WHERE username_key = ?",
                (key,),
            ).fetchone()
            if row is not None and row[2] is not None and row[2] > now:
                # Already locked (another session got there first): the lock stands, unextended.
                return FailureOutcome(failures=MAX_FAILED_ATTEMPTS, locked_now=False, locked=True)
            failures = 1 if row is None or now - row[1] > LOCKOUT_SECONDS else int(row[0]) + 1
            locked_now = failures >= MAX_FAILED_ATTEMPTS
            db.execute(
                "INSERT INTO failed_logins (username_key, failures, last_failure, locked_until) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (username_key) DO UPDATE SET "
                "failures = excluded.failures, last_failure = excluded.last_failure, "
                "locked_until = excluded.locked_until",
                (key, 0 if locked_now else failures, now, now + LOCKOUT_SECONDS if locked_now else None),
            )
        return FailureOutcome(failures=failures, locked_now=locked_now, locked=locked_now)

    def clear_failures(self, typed_username: str) -> None:
        """Forget the failures of a name after a successful sign-in."""
        with self._transaction() as db:
            db.execute("DELETE FROM failed_logins WHERE username_key = ?", (username_key(typed_username),))
