"""Issue 13, finding 4: lockout as a weapon, and failed sign-ins growing the log and the state without limit.

``attempt_sign_in`` is driven directly with client addresses (AppTest has none), against a real state store
and the audit log in a temporary folder. The clock is an argument-free function the tests move by hand.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest

import dashboard.auth as auth
from dashboard import audit
from dashboard.state import FREE_FAILURES, MAX_DELAY_SECONDS, StateStore, delay_after
from dashboard.users import UserRecord

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "the admins real password"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.10"
MEETING_ROOM = "192.0.2.1"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StateStore:
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path / "state"))
    clock = [1_800_000_000.0]
    monkeypatch.setattr(auth, "now", lambda: clock[0])
    store = StateStore(tmp_path / "state")
    store.clock = clock  # type: ignore[attr-defined]
    return store


@pytest.fixture(scope="module")
def users() -> dict[str, UserRecord]:
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    names = ["ada", "root-admin", *[f"person{i:02d}" for i in range(25)]]
    return {name: UserRecord(name, name.title(), "admin", None, password_hash) for name in names}


def test_an_anonymous_browser_cannot_lock_the_admins_out(
    store: StateStore, users: dict[str, UserRecord]
) -> None:
    # Before: five failures from anywhere locked "ada" for 15 minutes for everybody (both admins in 3.1 s).
    for name in ("ada", "root-admin"):
        for attempt in range(30):
            auth.attempt_sign_in(name, f"guess {attempt}", users, store, ATTACKER)
    assert auth.attempt_sign_in("ada", PASSWORD, users, store, ATTACKER) == auth.LOCKED_OUT
    # The owners, from their own address, sign in at once.
    assert isinstance(auth.attempt_sign_in("ada", PASSWORD, users, store, OWNER), auth.Viewer)
    assert isinstance(auth.attempt_sign_in("root-admin", PASSWORD, users, store, OWNER), auth.Viewer)


def test_a_meeting_room_of_25_people_signing_in_within_a_minute_is_not_slowed(
    store: StateStore, users: dict[str, UserRecord]
) -> None:
    for index in range(25):  # everyone mistypes once, then gets it right, from one shared address
        name = f"person{index:02d}"
        assert auth.attempt_sign_in(name, "typo", users, store, MEETING_ROOM) == auth.WRONG_CREDENTIALS
        assert isinstance(auth.attempt_sign_in(name, PASSWORD, users, store, MEETING_ROOM), auth.Viewer)
        store.clock[0] += 2  # type: ignore[attr-defined]
    assert not audit.read_events(events={audit.LOCKOUT})


def test_failures_from_a_stranger_add_a_bounded_number_of_lines_and_rows(
    store: StateStore, users: dict[str, UserRecord]
) -> None:
    for attempt in range(1000):
        auth.attempt_sign_in(f"user{attempt}", "guess", users, store, ATTACKER)
    lines = audit.read_events(limit=100_000)
    # The address allowance, then one block: everything after is refused before logging or counting.
    assert len(lines) <= FREE_FAILURES["address"] * 2 + 2
    assert len(store.throttled(store.clock[0])) <= FREE_FAILURES["address"] * 3  # type: ignore[attr-defined]


def test_old_rows_expire(store: StateStore, users: dict[str, UserRecord]) -> None:
    for attempt in range(10):
        auth.attempt_sign_in(f"user{attempt}", "guess", users, store, ATTACKER)
    store.clock[0] += MAX_DELAY_SECONDS + 3600  # type: ignore[attr-defined]
    auth.attempt_sign_in("someone", "guess", users, store, OWNER)
    import sqlite3

    with sqlite3.connect(store.path) as db:
        (rows,) = db.execute("SELECT count(*) FROM throttle").fetchone()
    assert rows == 3  # only the new failure's three scopes remain


def test_the_backoff_doubles_and_is_capped() -> None:
    assert [delay_after(n, 5) for n in (4, 5, 6, 7)] == [0.0, 30.0, 60.0, 120.0]
    assert delay_after(40, 5) == MAX_DELAY_SECONDS


def test_failing_from_twenty_addresses_slows_the_name_everywhere_and_unlock_lifts_it(
    store: StateStore, users: dict[str, UserRecord]
) -> None:
    for index in range(FREE_FAILURES["name"]):
        auth.attempt_sign_in("ada", "guess", users, store, f"203.0.113.{index}")
    assert auth.attempt_sign_in("ada", PASSWORD, users, store, OWNER) == auth.LOCKED_OUT
    assert store.unlock("ada") > 0
    assert isinstance(auth.attempt_sign_in("ada", PASSWORD, users, store, OWNER), auth.Viewer)


def test_the_unlock_command_lifts_a_block(
    tmp_path: Path, store: StateStore, users: dict[str, UserRecord]
) -> None:
    for attempt in range(6):
        auth.attempt_sign_in("ada", f"guess {attempt}", users, store, None)
    assert auth.attempt_sign_in("ada", PASSWORD, users, store, None) == auth.LOCKED_OUT
    env = {**os.environ, "IMPACT_STATE_DIR": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "dashboard", "users", "unlock", "ada"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Unlocked ada" in result.stdout
    assert isinstance(auth.attempt_sign_in("ada", PASSWORD, users, store, None), auth.Viewer)
    assert audit.read_events(events={audit.UNLOCKED})


def test_the_state_files_are_private(store: StateStore, users: dict[str, UserRecord], tmp_path: Path) -> None:
    # Before: auth.sqlite3 was created 0644 (world-readable) under the default umask.
    old = os.umask(0o022)
    try:
        fresh = StateStore(tmp_path / "other-state")
        auth.attempt_sign_in("ada", "guess", users, store, ATTACKER)
    finally:
        os.umask(old)
    for path in [fresh.path, store.path, tmp_path / "state" / "audit.jsonl"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_users_page_unlocks_a_throttled_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from apptest_support import page_path, point_app_at, sign_in
    from streamlit.testing.v1 import AppTest

    from data_access.demo import write_demo_snapshot

    root = tmp_path / "root"
    write_demo_snapshot(root, children=20, seed=1, snapshot_date="2026-11-20")
    point_app_at(root, tmp_path / "state", monkeypatch)
    store = StateStore(tmp_path / "state")
    now = auth.now()
    for attempt in range(6):
        store.record_failure("demo-councillor", ATTACKER, now + attempt)
        store.record_failure("Hunter2-typed-as-name", ATTACKER, now + attempt)
    assert store.blocked_for("demo-councillor", ATTACKER, now + 7) > 0

    at = AppTest.from_file(page_path("users"), default_timeout=120).run()
    at = sign_in(at, "demo-admin")
    assert not at.exception
    shown = at.dataframe[0].value.to_dict("records")  # the throttles come first on the page
    assert "Hunter2" not in str(shown)  # a name that is no account is never shown
    assert "demo-councillor" in at.selectbox(key="users_unlock_username").options
    at.selectbox(key="users_unlock_username").select("demo-councillor")
    at = at.button(key="users_unlock_submit").click().run()
    assert not at.exception
    assert store.blocked_for("demo-councillor", ATTACKER, now + 7) == 0
    (event,) = audit.read_events(events={audit.UNLOCKED})
    assert event["username"] == "demo-admin" and event["details"]["target"] == "demo-councillor"
