"""The sign-in gate: login form, same message for every failure, lockout, roles, logout revoking the cookie.

Each test gets its own state folder, credentials file and cookie key; the clock (``dashboard.auth.now``)
and the cookie the browser would send (``dashboard.auth._cookie_from_request``) are replaced, so lockout
expiry and cookie replay are tested without waiting or a browser.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml
from keys_support import STRONG_COOKIE_KEY, STRONG_SDC_KEY
from streamlit.testing.v1 import AppTest

import dashboard.auth as auth
from dashboard import audit, auth_config, users
from dashboard.registry import PAGES, PAGES_BY_KEY
from dashboard.state import FIRST_DELAY_SECONDS, WINDOW_SECONDS, StateStore

ROOT = Path(__file__).resolve().parent.parent
SECRET = "SECRET FIGURE 42"
PASSWORD = "correct horse battery"
ACCOUNTS = {
    "ada": ("Ada Admin", "admin"),
    "carl": ("Carl Councillor", "councillor"),
    "cora": ("Cora Commissioner", "commissioner"),
    "alex": ("Alex AllChild", "allchild"),
}
PAGE = f"""
import streamlit as st
from dashboard.auth import require_viewer
require_viewer({{page_key!r}})
st.write({SECRET!r})
"""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = time.time()

    def __call__(self) -> float:
        return self.value


class Browser:
    """What the browser would send: the sign-in cookie (or nothing)."""

    def __init__(self) -> None:
        self.cookie: str | None = None


def write_credentials(path: Path, accounts: dict[str, tuple[str, str]], password: str = PASSWORD) -> None:
    """Write a credentials file with cheap (cost 4) hashes, so the tests stay fast."""
    password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
    entries = {
        name: {"name": title, "password": password_hash, "roles": [role]}
        for name, (title, role) in accounts.items()
    }
    path.write_text(yaml.safe_dump({"credentials": {"usernames": entries}}), encoding="utf-8")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    value = Clock()
    monkeypatch.setattr(auth, "now", value)
    return value


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Browser:
    value = Browser()
    monkeypatch.setattr(auth, "_cookie_from_request", lambda: value.cookie)
    return value


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock, browser: Browser) -> Iterator[Path]:
    """A real-mode site: credentials with one user per role, a strong cookie key, an empty snapshot root."""
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("IMPACT_CREDENTIALS_FILE", str(tmp_path / "credentials.yaml"))
    monkeypatch.setenv("IMPACT_SNAPSHOT_ROOT", str(tmp_path / "snapshots"))
    monkeypatch.setenv("IMPACT_COOKIE_KEY", STRONG_COOKIE_KEY)
    monkeypatch.setenv("IMPACT_SDC_KEY", STRONG_SDC_KEY)
    monkeypatch.setenv("IMPACT_ENV", "production")
    monkeypatch.delenv("IMPACT_COOKIE_EXPIRY_DAYS", raising=False)
    write_credentials(tmp_path / "credentials.yaml", ACCOUNTS)
    yield tmp_path
    auth._store_for.cache_clear()


@pytest.fixture
def page_file(tmp_path: Path) -> Callable[[str | None], Path]:
    """Write a tiny page guarded for ``page_key`` that shows a secret figure."""

    def make(page_key: str | None = "overview") -> Path:
        path = tmp_path / f"page_{page_key}.py"
        path.write_text(PAGE.format(page_key=page_key), encoding="utf-8")
        return path

    return make


def open_app(path: Path) -> AppTest:
    return AppTest.from_file(str(path), default_timeout=30).run()


def texts(at: AppTest) -> str:
    """Everything written on the page (markdown, errors, warnings), as one string."""
    parts = [element.value for element in at.markdown]
    parts += [element.value for element in at.error] + [element.value for element in at.warning]
    parts += [element.value for element in at.title] + [element.value for element in at.subheader]
    return "\n".join(str(part) for part in parts)


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return at.button(key="login_submit").click().run()


def shows_login_form(at: AppTest) -> bool:
    keys = {widget.key for widget in at.text_input}
    return {"login_username", "login_password"} <= keys and "login_submit" in {b.key for b in at.button}


def errors(at: AppTest) -> list[str]:
    return [element.value for element in at.error]


# Signed out ----------------------------------------------------------------------------------------------


def test_a_signed_out_visitor_sees_the_login_form_and_not_the_page(site: Path, page_file: Any) -> None:
    at = open_app(page_file("overview"))
    assert not at.exception
    assert shows_login_form(at)
    assert SECRET not in texts(at)
    assert "logout_button" not in {b.key for b in at.button}


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("carl", "not the password", id="wrong-password"),
        pytest.param("nobody", PASSWORD, id="unknown-user"),
        pytest.param("carl", "x" * 73, id="73-byte-password"),
        pytest.param("carl", "é" * 37, id="74-byte-password-of-37-characters"),
        pytest.param("nobody", "x" * 500, id="unknown-user-and-long-password"),
    ],
)
def test_every_failed_sign_in_gets_the_same_message_and_no_traceback(
    site: Path, page_file: Any, username: str, password: str
) -> None:
    at = sign_in(open_app(page_file("overview")), username, password)
    assert not at.exception
    assert errors(at) == [auth.WRONG_CREDENTIALS]
    assert SECRET not in texts(at)
    assert shows_login_form(at)


def test_a_failed_sign_in_is_audited_with_the_name_only_when_it_is_an_account(
    site: Path, page_file: Any
) -> None:
    at = sign_in(open_app(page_file("overview")), "carl", "wrong password here")
    # Issue 13, finding 6: a password typed into the Username box used to be logged verbatim.
    sign_in(at, "Hunter2-my-Password!", "oops, the password went in the wrong box")
    unknown, known = audit.read_events(events={audit.SIGN_IN_FAILED})
    assert known["username"] == "carl"
    assert unknown["username"] is None and unknown["details"]["unknown_username_length"] == 20
    log = (site / "state" / "audit.jsonl").read_text(encoding="utf-8")
    assert "Hunter2" not in log and "wrong password here" not in log


# Lockout -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["carl", "nobody"], ids=["existing-user", "unknown-user"])
def test_five_failures_from_one_address_slow_the_name_down_there(
    site: Path, page_file: Any, clock: Clock, username: str
) -> None:
    at = open_app(page_file("overview"))
    for attempt in range(1, 5):
        at = sign_in(at, username, f"wrong password {attempt}")
        assert errors(at) == [auth.WRONG_CREDENTIALS]
    at = sign_in(at, username, "wrong password 5")
    assert errors(at) == [auth.LOCKED_OUT]
    # Blocked: even the right password is refused, with the same words for a real and an unknown name.
    at = sign_in(at, username, PASSWORD)
    assert errors(at) == [auth.LOCKED_OUT]
    assert SECRET not in texts(at)
    clock.value += FIRST_DELAY_SECONDS - 2
    assert errors(sign_in(at, username, PASSWORD)) == [auth.LOCKED_OUT]
    clock.value += 4
    at = sign_in(at, username, PASSWORD)
    if username == "carl":
        assert SECRET in texts(at)
    else:  # a sixth failure: blocked again, now for twice as long
        assert errors(at) == [auth.LOCKED_OUT]
    assert audit.read_events(events={audit.LOCKOUT})


def test_the_block_is_shared_by_sessions_and_survives_a_restart(site: Path, page_file: Any) -> None:
    for attempt in range(5):  # five different browser sessions, one attempt each
        sign_in(open_app(page_file("overview")), "Carl ", f"wrong {attempt}")
    auth._store_for.cache_clear()  # a restarted server opens the state file afresh
    at = sign_in(open_app(page_file("overview")), "carl", PASSWORD)
    assert errors(at) == [auth.LOCKED_OUT]
    assert SECRET not in texts(at)


def test_old_failures_are_forgotten_after_the_window(site: Path, page_file: Any, clock: Clock) -> None:
    at = open_app(page_file("overview"))
    for attempt in range(4):
        at = sign_in(at, "carl", f"wrong {attempt}")
    clock.value += WINDOW_SECONDS + 1
    at = sign_in(at, "carl", "wrong again")
    assert errors(at) == [auth.WRONG_CREDENTIALS]
    assert SECRET in texts(sign_in(at, "carl", PASSWORD))


def run_in_processes(code: str, count: int, env: dict[str, str] | None = None) -> None:
    """Run ``code`` in ``count`` Python processes at once (``WORKER`` is each one's number)."""
    environment = {**os.environ, **(env or {})}
    processes = [
        subprocess.Popen([sys.executable, "-c", f"WORKER = {worker}\n{code}"], cwd=ROOT, env=environment)
        for worker in range(count)
    ]
    assert [process.wait(timeout=120) for process in processes] == [0] * count


def test_failures_from_concurrent_processes_all_count(tmp_path: Path) -> None:
    code = (
        "import time\nfrom dashboard.state import StateStore\n"
        f"store = StateStore({str(tmp_path)!r})\n"
        "for _ in range(2):\n    store.record_failure('carl', '192.0.2.7', time.time())\n"
    )
    run_in_processes(code, 4)
    store = StateStore(tmp_path)
    assert store.blocked_for("carl", "192.0.2.7", time.time()) > 0
    assert store.blocked_for("carl", "198.51.100.1", time.time()) == 0


# Signed in, roles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_the_right_password_signs_in_and_shows_who_is_signed_in(
    site: Path, page_file: Any, username: str
) -> None:
    at = sign_in(open_app(page_file("overview")), f"  {username.upper()} ", PASSWORD)
    assert not at.exception
    assert SECRET in texts(at)
    assert not shows_login_form(at)
    sidebar = "\n".join(element.value for element in at.sidebar.markdown)
    name, role = ACCOUNTS[username]
    assert name in sidebar and role in sidebar
    assert "logout_button" in {b.key for b in at.sidebar.button}
    assert "login_password" not in at.session_state or not at.session_state["login_password"]
    (event,) = audit.read_events(events={audit.SIGN_IN})
    assert event["username"] == username and event["details"]["method"] == "password"


@pytest.mark.parametrize("page_key", [page.key for page in PAGES])
@pytest.mark.parametrize("username", sorted(ACCOUNTS))
def test_a_role_sees_only_the_pages_the_registry_allows(
    site: Path, page_file: Any, username: str, page_key: str
) -> None:
    at = sign_in(open_app(page_file(page_key)), username, PASSWORD)
    role = ACCOUNTS[username][1]
    allowed = role in next(page for page in PAGES if page.key == page_key).roles
    assert not at.exception
    if allowed:
        assert SECRET in texts(at)
        assert not errors(at)
    else:
        assert SECRET not in texts(at)
        assert errors(at) == [f"This page is not available for your role ({role})."]


def test_an_unknown_page_key_is_refused_for_everyone(site: Path, page_file: Any) -> None:
    at = sign_in(open_app(page_file("no_such_page")), "ada", PASSWORD)
    assert SECRET not in texts(at)
    assert errors(at) == ["This page is not available for your role (admin)."]


def test_the_guard_is_idempotent_within_one_run(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "twice.py"
    path.write_text(
        "import streamlit as st\nfrom dashboard.auth import require_viewer\n"
        "a = require_viewer(None)\nb = require_viewer('overview')\nassert a == b\nst.write('SECRET FIGURE 42')\n",
        encoding="utf-8",
    )
    at = open_app(path)
    assert len([w for w in at.text_input if w.key == "login_username"]) == 1
    at = sign_in(at, "alex", PASSWORD)
    assert not at.exception
    assert SECRET in texts(at)
    assert [b.key for b in at.button].count("logout_button") == 1
    assert at.run().button(key="logout_button") is not None
    assert not at.exception


def test_a_role_change_takes_effect_at_the_next_click(site: Path, page_file: Any) -> None:
    at = sign_in(open_app(page_file("school_progress")), "cora", PASSWORD)
    assert SECRET in texts(at)
    users.set_role("cora", "councillor", path=site / "credentials.yaml")
    at.run()
    assert SECRET not in texts(at)
    assert errors(at) == ["This page is not available for your role (councillor)."]


def test_removing_a_user_signs_them_out(site: Path, page_file: Any) -> None:
    at = sign_in(open_app(page_file("overview")), "carl", PASSWORD)
    assert SECRET in texts(at)
    users.remove_user("carl", path=site / "credentials.yaml")
    at.run()
    assert SECRET not in texts(at)
    assert shows_login_form(at)


# Logout and the cookie -----------------------------------------------------------------------------------


def issued_cookie(at: AppTest) -> str:
    """The cookie value the app asked the browser to store."""
    operation = at.session_state[auth._COOKIE_OP_KEY]
    assert operation["op"] == "set"
    return str(operation["token"])


def test_the_cookie_signs_in_a_new_browser_session_until_logout_then_never(
    site: Path, page_file: Any, browser: Browser
) -> None:
    at = sign_in(open_app(page_file("overview")), "ada", PASSWORD)
    captured = issued_cookie(at)

    browser.cookie = captured  # a reload: a new browser session sending the cookie
    again = open_app(page_file("overview"))
    assert SECRET in texts(again)

    browser.cookie = None
    at.button(key="logout_button").click().run()
    assert shows_login_form(at)
    assert SECRET not in texts(at)
    assert at.session_state[auth._COOKIE_OP_KEY]["op"] == "delete"

    browser.cookie = captured  # the cookie captured before logout, replayed
    replay = open_app(page_file("overview"))
    assert shows_login_form(replay)
    assert SECRET not in texts(replay)
    assert replay.session_state[auth._COOKIE_OP_KEY]["op"] == "delete"
    # The open session that was signed in by the cookie is signed out at its next click too.
    again.run()
    assert SECRET not in texts(again)
    assert {event["event"] for event in audit.read_events()} >= {
        audit.SIGN_IN,
        audit.SIGN_OUT,
        audit.COOKIE_REFUSED,
    }


def test_a_cookie_signed_with_another_key_or_expired_is_refused(
    site: Path, page_file: Any, browser: Browser, clock: Clock
) -> None:
    store = StateStore(site / "state")
    session_id = store.issue_session("ada", clock.value, 86400)
    browser.cookie = auth.issue_token("ada", session_id, clock.value + 86400, "another-key-" * 4)
    assert shows_login_form(open_app(page_file("overview")))
    browser.cookie = auth.issue_token("ada", "made-up-session-id", clock.value + 86400, STRONG_COOKIE_KEY)
    assert shows_login_form(open_app(page_file("overview")))
    browser.cookie = auth.issue_token("ada", session_id, clock.value + 86400, STRONG_COOKIE_KEY)
    assert SECRET in texts(open_app(page_file("overview")))
    clock.value += 86401
    assert shows_login_form(open_app(page_file("overview")))


def test_the_cookie_lifetime_is_a_setting(
    site: Path, page_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPACT_COOKIE_EXPIRY_DAYS", "0.5")
    at = sign_in(open_app(page_file("overview")), "ada", PASSWORD)
    assert at.session_state[auth._COOKIE_OP_KEY]["max_age"] == 43200
    claims = auth.read_token(issued_cookie(at), STRONG_COOKIE_KEY)
    assert claims is not None and abs(claims["exp"] - auth.now() - 43200) < 5


# Refusing to start, and demo mode -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"IMPACT_COOKIE_KEY": ""}, "No cookie key", id="no-key"),
        pytest.param(
            {"IMPACT_COOKIE_KEY": "replace-with-a-long-random-secret"}, "published example", id="example-key"
        ),
        pytest.param({"IMPACT_COOKIE_KEY": "short"}, "too short", id="short-key"),
        pytest.param({"IMPACT_COOKIE_EXPIRY_DAYS": "soon"}, "IMPACT_COOKIE_EXPIRY_DAYS", id="bad-expiry"),
    ],
)
def test_outside_demo_mode_a_weak_key_stops_the_app(
    site: Path, page_file: Any, monkeypatch: pytest.MonkeyPatch, change: dict[str, str], message: str
) -> None:
    for name, value in change.items():
        monkeypatch.setenv(name, value)
    at = open_app(page_file("overview"))
    assert not shows_login_form(at)
    assert SECRET not in texts(at)
    assert any(message in error for error in errors(at))


def test_a_demo_account_in_the_credentials_file_stops_the_app_in_production(
    site: Path, page_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPACT_ENV", "production")
    write_credentials(site / "credentials.yaml", {**ACCOUNTS, "demo-admin": ("Demo", "admin")})
    at = open_app(page_file("overview"))
    assert not shows_login_form(at)
    assert any("demo-admin" in error for error in errors(at))


@pytest.fixture
def demo_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock, browser: Browser
) -> Iterator[Path]:
    """Demo mode: ``IMPACT_ENV=demo``, the default (empty) snapshot root, no credentials file, no key."""
    monkeypatch.chdir(tmp_path)
    for name in ("IMPACT_SNAPSHOT_ROOT", "IMPACT_COOKIE_KEY", "IMPACT_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMPACT_ENV", "demo")
    monkeypatch.setenv("IMPACT_STATE_DIR", str(tmp_path / "state"))
    yield tmp_path
    auth._store_for.cache_clear()


def test_demo_mode_offers_the_demo_accounts_under_a_demo_data_banner(demo_site: Path, page_file: Any) -> None:
    at = open_app(page_file("overview"))
    banner = "\n".join(element.value for element in at.warning)
    assert "Demo data" in banner
    for name in auth.DEMO_ACCOUNTS:
        assert name in banner
    assert "demo-password" in banner
    at = sign_in(at, "demo-commissioner", "demo-password")
    assert SECRET in texts(at)
    assert "commissioner" in "\n".join(element.value for element in at.sidebar.markdown)


def test_production_turns_demo_mode_off(
    demo_site: Path, page_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPACT_ENV", "production")
    at = open_app(page_file("overview"))
    assert not shows_login_form(at)
    assert any("No cookie key" in error for error in errors(at))


def test_a_valid_snapshot_is_demo_by_its_manifest_marker_never_a_refused_one(tmp_path: Path) -> None:
    from builders import make_snapshot

    from dashboard.data import refresh_state

    root = tmp_path / "root"
    folder = make_snapshot(root, "2026-11-20")  # "S01 School": not a demo school
    refresh_state()
    assert not auth_config.snapshot_root_is_demo(str(root))
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "demo": True}))
    refresh_state()
    assert auth_config.snapshot_root_is_demo(str(root))
    refused = root / "2026-12-01"  # newer, refused (no files): its flag is never read
    refused.mkdir()
    (refused / "manifest.json").write_text(json.dumps({"demo": False}))
    refresh_state()
    assert auth_config.snapshot_root_is_demo(str(root))
    refresh_state()


def test_the_generated_demo_snapshot_is_recognised(tmp_path: Path) -> None:
    from dashboard.data import refresh_state

    demo = pytest.importorskip("data_access.demo", reason="data_access.demo is not written yet")
    folder = demo.write_demo_snapshot(tmp_path / "root", children=20, seed=1, snapshot_date="2026-11-20")
    assert Path(folder).is_dir()
    refresh_state()
    assert auth_config.snapshot_root_is_demo(str(tmp_path / "root"))


# Helpers that must never raise ---------------------------------------------------------------------------


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$2b$12$" + "x" * 10, None])
def test_verify_password_never_raises(stored: str | None) -> None:
    assert auth.verify_password("whatever password", stored) is False
    assert auth.verify_password("y" * 100, stored) is False


def test_audit_lines_from_concurrent_processes_never_interleave(tmp_path: Path) -> None:
    code = (
        "from dashboard import audit\nfor index in range(200):\n"
        "    audit.record('download', f'worker-{WORKER}', file=f'table-{index}.csv', padding='p' * 3000)\n"
    )
    run_in_processes(code, 4, {"IMPACT_STATE_DIR": str(tmp_path)})
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 * 200
    assert all(json.loads(line)["event"] == "download" for line in lines)


# Every real page file, run directly while signed out -----------------------------------------------------


@pytest.mark.parametrize("spec", PAGES, ids=[page.key for page in PAGES])
def test_every_page_file_run_directly_shows_only_the_login_form(site: Path, spec: Any) -> None:
    path = ROOT / spec.path
    if not path.exists():
        pytest.skip(f"{spec.path} is not written yet (the pages issue); this test runs once it exists")
    at = AppTest.from_file(str(path), default_timeout=60).run()
    assert not at.exception
    assert shows_login_form(at)
    assert not at.dataframe and not at.table and not at.metric
    assert not at.download_button
    assert SECRET not in texts(at)


# The admin pages ------------------------------------------------------------------------------------------


def open_page(key: str) -> AppTest:
    return AppTest.from_file(str(ROOT / PAGES_BY_KEY[key].path), default_timeout=60).run()


def table_rows(at: AppTest) -> list[dict[str, Any]]:
    """The rows of the page's one table."""
    (table,) = at.dataframe
    rows: list[dict[str, Any]] = table.value.to_dict("records")
    return rows


@pytest.mark.parametrize("page_key", ["users", "audit"])
@pytest.mark.parametrize("username", ["carl", "cora", "alex"])
def test_the_admin_pages_are_refused_to_other_roles(site: Path, page_key: str, username: str) -> None:
    at = sign_in(open_page(page_key), username, PASSWORD)
    assert not at.exception
    assert errors(at) == [f"This page is not available for your role ({ACCOUNTS[username][1]})."]
    assert not at.dataframe


def test_the_users_page_adds_changes_and_removes_an_account(site: Path) -> None:
    credentials = site / "credentials.yaml"
    at = sign_in(open_page("users"), "ada", PASSWORD)
    assert not at.exception
    assert {row["username"] for row in table_rows(at)} == set(ACCOUNTS)
    assert "$2" not in json.dumps(table_rows(at))

    at.text_input(key="users_add_username").input("newbie")
    at.text_input(key="users_add_display_name").input("New Bie")
    at.selectbox(key="users_add_role").select("commissioner")
    at.text_input(key="users_add_password").input("a long enough password")
    at.text_input(key="users_add_password_confirm").input("a long enough password")
    at = at.button(key="users_add_submit").click().run()
    assert not at.exception and not errors(at)
    assert users.read_users(credentials)["newbie"].role == "commissioner"
    assert "newbie" in {row["username"] for row in table_rows(at)}

    at.selectbox(key="users_role_username").select("newbie")
    at.selectbox(key="users_role_role").select("allchild")
    at = at.button(key="users_role_submit").click().run()
    assert users.read_users(credentials)["newbie"].role == "allchild"

    at.selectbox(key="users_remove_username").select("newbie")
    at.checkbox(key="users_remove_confirm").check()
    at = at.button(key="users_remove_submit").click().run()
    assert "newbie" not in users.read_users(credentials)
    changes = [(e["event"], e["username"], e["details"].get("target")) for e in audit.read_events()]
    assert changes[:3] == [
        (audit.USER_REMOVED, "ada", "newbie"),
        (audit.ROLE_CHANGED, "ada", "newbie"),
        (audit.USER_ADDED, "ada", "newbie"),
    ]


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("too short", "too short", "at least 12 characters"),
        ("x" * 73, "x" * 73, "at most 72 bytes"),
        ("a long enough password", "a different password", "differ"),
    ],
)
def test_the_users_page_holds_passwords_to_the_rules(
    site: Path, password: str, confirm: str, message: str
) -> None:
    at = sign_in(open_page("users"), "ada", PASSWORD)
    at.text_input(key="users_add_username").input("newbie")
    at.text_input(key="users_add_password").input(password)
    at.text_input(key="users_add_password_confirm").input(confirm)
    at = at.button(key="users_add_submit").click().run()
    assert not at.exception
    assert any(message in error for error in errors(at))
    assert "newbie" not in users.read_users(site / "credentials.yaml")


def test_an_admin_cannot_remove_or_demote_themselves_on_the_page(site: Path) -> None:
    at = sign_in(open_page("users"), "ada", PASSWORD)
    assert "ada" not in at.selectbox(key="users_role_username").options
    assert "ada" not in at.selectbox(key="users_remove_username").options


def test_the_audit_page_shows_events_newest_first_and_filters_by_type(site: Path, clock: Clock) -> None:
    audit.record("download", "cora", figure="Attendance rate", format="csv")
    at = sign_in(open_page("audit"), "nobody", "wrong password")  # a failed sign-in is logged too
    at = sign_in(at, "ada", PASSWORD)
    assert not at.exception
    rows = table_rows(at)
    assert [row["event"] for row in rows] == [audit.SIGN_IN, audit.SIGN_IN_FAILED, "download"]
    at.multiselect(key="audit_event_types").select("download")
    at = at.run()
    rows = table_rows(at)
    assert [(row["event"], row["username"]) for row in rows] == [("download", "cora")]
