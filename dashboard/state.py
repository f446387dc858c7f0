"""Server-side sign-in state: issued sessions (so a logout revokes a cookie) and failed-sign-in throttles.

Both live in one SQLite file under ``IMPACT_STATE_DIR``, so they survive a restart and are shared by every
browser session and every server process. SQLite's own locking makes each read-modify-write atomic
(``BEGIN IMMEDIATE``), which a JSON file could not do safely across processes.

The store never holds a usable secret: sessions are keyed by the SHA-256 of their random id, and the id is
only ever sent to the browser inside the signed cookie.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from data_access.settings import STATE_DIR

DB_NAME: Final = "auth.sqlite3"
# Failed sign-ins are throttled per scope, each with its own allowance of free failures within the window:
# a typed username from one client address (a person mistyping), one client address whatever the name (a
# meeting room of 25 people each mistyping twice stays well under 50), and one username from 20 different
# addresses (a guess spread over many addresses). Past its allowance a scope is blocked for 30 s, doubling
# with each further failure up to 15 minutes. A stranger can therefore slow down only their own address,
# never shut an account out for everybody, unless they fail at it from 20 addresses within the window.
WINDOW_SECONDS: Final = 15 * 60
FREE_FAILURES: Final = {"name_address": 5, "address": 50, "name": 20}
FIRST_DELAY_SECONDS: Final = 30.0
MAX_DELAY_SECONDS: Final = 15 * 60.0
# However many strangers fail, the table never holds more rows than this (oldest forgotten first).
MAX_THROTTLE_ROWS: Final = 20_000
# A typed username is stored only this long: enough for any real name, and a bound on what a stranger can
# make the server keep.
USERNAME_KEY_LENGTH: Final = 128
ADDRESS_KEY_LENGTH: Final = 64
LOCAL_ADDRESS: Final = "local"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    sid_hash   TEXT PRIMARY KEY,
    username   TEXT NOT NULL,
    issued_at  REAL NOT NULL,
    expires_at REAL NOT NULL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (username);
DROP TABLE IF EXISTS failed_logins;
CREATE TABLE IF NOT EXISTS throttle (
    scope         TEXT NOT NULL,
    key           TEXT NOT NULL,
    username      TEXT,
    address       TEXT,
    failures      INTEGER NOT NULL,
    last_failure  REAL NOT NULL,
    blocked_until REAL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS throttle_by_last_failure ON throttle (last_failure);
"""


def hash_session_id(session_id: str) -> str:
    """The key a session is stored under: the hex SHA-256 of its id."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def username_key(typed: str) -> str:
    """The throttle key of a username as typed: trimmed, lower-cased (as sign-in compares it) and bounded."""
    return typed.strip().lower()[:USERNAME_KEY_LENGTH]


def address_key(address: str | None) -> str:
    """The throttle key of a client address (``local`` when Streamlit gives none: loopback or a test)."""
    return (address or LOCAL_ADDRESS).strip()[:ADDRESS_KEY_LENGTH] or LOCAL_ADDRESS


def delay_after(failures: int, free: int) -> float:
    """Seconds a scope is blocked after its ``failures``-th failure, given its allowance of ``free`` ones."""
    if failures < free:
        return 0.0
    return float(min(FIRST_DELAY_SECONDS * 2 ** min(failures - free, 20), MAX_DELAY_SECONDS))


def _scope_keys(name: str, address: str) -> dict[str, tuple[str, str | None, str | None]]:
    return {
        "name_address": (f"{name}\n{address}", name, address),
        "address": (address, None, address),
        "name": (name, name, None),
    }


@dataclass(frozen=True)
class FailureOutcome:
    """What one failed attempt did: failures of this name from this address, and any block it started."""

    failures: int
    blocked_scopes: tuple[str, ...]
    blocked_seconds: float


@dataclass(frozen=True)
class Throttled:
    """One throttle row in force, for the admin page: who or where, failures, and until when it is blocked."""

    scope: str
    username: str | None
    address: str | None
    failures: int
    blocked_until: float | None


def _make_private(path: Path) -> None:
    """Create ``path`` (if missing) with mode 0600 and make sure an existing file has it too."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    os.chmod(path, 0o600)


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
        _make_private(self.path)
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

    # Throttling failed sign-ins -------------------------------------------------------------------------

    def blocked_for(self, typed_username: str, address: str | None, now: float) -> float:
        """Seconds until this name may be tried again from this address (0 when it may be tried now)."""
        keys = _scope_keys(username_key(typed_username), address_key(address))
        with self._connect() as db:
            rows = db.execute(
                "SELECT blocked_until FROM throttle WHERE blocked_until > ? AND ("
                + " OR ".join("(scope = ? AND key = ?)" for _ in keys)
                + ")",
                (now, *[value for scope, (key, _, _) in keys.items() for value in (scope, key)]),
            ).fetchall()
        return max((float(row[0]) - now for row in rows), default=0.0)

    def record_failure(self, typed_username: str, address: str | None, now: float) -> FailureOutcome:
        """Count one failed attempt in every scope; a scope past its allowance is blocked (see the module).

        Failures older than the window are forgotten, so an occasional typo never adds up to a block, and
        rows that are neither recent nor blocked are deleted (the table stays bounded). Attempts made while
        blocked are refused before they get here, so they never extend a block.
        """
        keys = _scope_keys(username_key(typed_username), address_key(address))
        blocked: list[str] = []
        longest = 0.0
        pair_failures = 0
        with self._transaction() as db:
            db.execute(
                "DELETE FROM throttle WHERE last_failure < ? AND (blocked_until IS NULL OR blocked_until <= ?)",
                (now - WINDOW_SECONDS, now),
            )
            for scope, (key, username, where) in keys.items():
                row = db.execute(
                    "SELECT failures, last_failure FROM throttle WHERE scope = ? AND key = ?", (scope, key)
                ).fetchone()
                fresh = row is None or now - row[1] > WINDOW_SECONDS
                if scope == "name" and pair_failures > 1 and not fresh:
                    # The name-wide scope counts failing *addresses*: one stranger's repeated failures
                    # never add up to a block of the account for everybody.
                    db.execute(
                        "UPDATE throttle SET last_failure = ? WHERE scope = ? AND key = ?", (now, scope, key)
                    )
                    continue
                failures = 1 if fresh or row is None else int(row[0]) + 1
                delay = delay_after(failures, FREE_FAILURES[scope])
                if delay:
                    blocked.append(scope)
                    longest = max(longest, delay)
                if scope == "name_address":
                    pair_failures = failures
                db.execute(
                    "INSERT INTO throttle (scope, key, username, address, failures, last_failure, blocked_until) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET "
                    "failures = excluded.failures, last_failure = excluded.last_failure, "
                    "blocked_until = excluded.blocked_until",
                    (scope, key, username, where, failures, now, now + delay if delay else None),
                )
            (count,) = db.execute("SELECT count(*) FROM throttle").fetchone()
            if count > MAX_THROTTLE_ROWS:
                db.execute(
                    "DELETE FROM throttle WHERE rowid IN (SELECT rowid FROM throttle ORDER BY last_failure "
                    "LIMIT ?)",
                    (count - MAX_THROTTLE_ROWS,),
                )
        return FailureOutcome(pair_failures, tuple(blocked), longest)

    def clear_failures(self, typed_username: str, address: str | None) -> None:
        """Forget this name's failures from this address after a successful sign-in."""
        key = _scope_keys(username_key(typed_username), address_key(address))["name_address"][0]
        with self._transaction() as db:
            db.execute("DELETE FROM throttle WHERE scope = 'name_address' AND key = ?", (key,))

    def unlock(self, typed_username: str) -> int:
        """Lift every throttle on a username (from every address); returns how many rows were removed."""
        name = username_key(typed_username)
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM throttle WHERE scope IN ('name', 'name_address') AND username = ?", (name,)
            )
            return cursor.rowcount

    def unlock_address(self, address: str) -> int:
        """Lift the throttle on a client address (and on every name from it); returns rows removed."""
        where = address_key(address)
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM throttle WHERE scope IN ('address', 'name_address') AND address = ?", (where,)
            )
            return cursor.rowcount

    def throttled(self, now: float) -> list[Throttled]:
        """Every row with a recent failure or a block in force, most recent first (for the admin page)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT scope, username, address, failures, blocked_until FROM throttle "
                "WHERE last_failure >= ? OR blocked_until > ? ORDER BY last_failure DESC LIMIT 500",
                (now - WINDOW_SECONDS, now),
            ).fetchall()
        return [
            Throttled(scope, username, address, int(failures), until if until and until > now else None)
            for scope, username, address, failures, until in rows
        ]
