"""Sign-in and roles: ``require_viewer``, the one guard that ``app.py`` and every page call first.

Why our own form rather than streamlit-authenticator's ``Authenticate.login`` widget (0.4.2, read from its
source): the widget verifies with ``bcrypt.checkpw`` on whatever was typed (bcrypt 5 raises on more than 72
bytes), keeps its failed-attempt counter in the credentials dict of one process (reset by a restart, never
shared between processes, and only counted for usernames that exist), writes the whole credentials file
back on every sign-in when given a path, mutates the dict it is given (``logged_in``,
``failed_login_attempts``), and signs people in from a JWT cookie that carries only a username and an
expiry — so a cookie captured before logout signs its holder in again until it expires. Every one of those
is a hole this module must close, and closing them around the widget would mean re-implementing it anyway.

So we keep from the library what it does well and safely — bcrypt hashing (``Hasher``, in
``dashboard.users``) and its cookie transport (the ``extra_streamlit_components`` cookie manager it ships
with, and a PyJWT HS256 token like its ``CookieModel``) — and do the checks ourselves:

* the credentials are read by ``dashboard.users`` and never handed to the library, so nothing can rewrite
  the file on sign-in; accounts are immutable records, re-read when the file changes;
* a password is verified with ``bcrypt.checkpw`` only when it is at most 72 bytes, inside ``try``; an unknown
  user is checked against a dummy hash so that timing does not reveal who exists; every failure says the
  same "Wrong username or password.";
* failures are throttled in SQLite (``dashboard.state``) per typed username *and* client address: past a
  scope's allowance it is blocked for 30 s, doubling to at most 15 minutes — whether or not the name exists,
  across sessions, processes and restarts — so a stranger slows down their own address, not the account;
  ``python -m dashboard users unlock NAME`` and the Users page lift a throttle;
* a sign-in issues a server-side session; the cookie carries its random id; a cookie is honoured only while
  that session is known, unexpired and not revoked, and logout revokes it (so does removing the user);
* the viewer's role is re-read from the credentials file on every run, so a role change or removal takes
  effect at the next click;
* sign-in and logout end with ``st.rerun()``; the cookie lifetime is ``IMPACT_COOKIE_EXPIRY_DAYS``.
"""

from __future__ import annotations

import secrets
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Final

import bcrypt
import jwt
import streamlit as st

from dashboard import audit
from dashboard.auth_config import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    AuthConfig,
    current_users,
    load_config,
)
from dashboard.registry import PAGES_BY_KEY
from dashboard.state import StateStore, username_key
from dashboard.users import (
    MAX_PASSWORD_BYTES,
    CredentialsError,
    UserRecord,
)
from data_access.contract import ROLES
from data_access.settings import (
    STATE_DIR,
)

COOKIE_NAME: Final = "wigan_impact_session"
WRONG_CREDENTIALS: Final = "Wrong username or password."
LOCKED_OUT: Final = (
    "Too many failed sign-in attempts. Wait a few minutes before trying again, or ask an administrator to "
    "unlock your username."
)
NOT_FOR_ROLE: Final = "This page is not available for your role ({role})."


_AUTH_KEY: Final = "_impact_auth"
_COOKIE_OP_KEY: Final = "_impact_cookie_op"
_REFUSED_COOKIE_KEY: Final = "_impact_refused_cookie"
_RUN_KEY: Final = "_impact_auth_run"


def now() -> float:
    """The current time in Unix seconds; tests replace it to move the clock."""
    return time.time()


@dataclass(frozen=True)
class Viewer:
    """Who is signed in: their username, display name and role."""

    username: str
    name: str
    role: str


# Verification --------------------------------------------------------------------------------------------


@cache
def _dummy_hash() -> bytes:
    # Checked against for unknown usernames so that they cost the same time as known ones.
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(12))


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches ``password_hash``; never raises.

    Passwords over bcrypt's 72-byte limit, malformed hashes and a missing hash are all simply ``False``.
    """
    candidate = password.encode("utf-8")
    if len(candidate) > MAX_PASSWORD_BYTES or not password_hash:
        bcrypt.checkpw(b"not-a-password", _dummy_hash())  # same cost as a real check
        return False
    try:
        return bool(bcrypt.checkpw(candidate, password_hash.encode("utf-8")))
    except (ValueError, TypeError):
        return False


def logged_username(typed_username: str, users: dict[str, UserRecord]) -> str | None:
    """What the audit log may keep of a typed username: the account's name when it exists, else nothing.

    People type passwords into the Username box; an unknown name is therefore never written down (the event
    says the name was unknown and how long it was).
    """
    key = username_key(typed_username)
    return key if key in users else None


def client_address() -> str | None:
    """The browser's address as Streamlit sees it (``None`` on loopback or in tests).

    Behind the proxy of ``make serve`` this is the real client: the proxy overwrites ``X-Forwarded-For``
    with the address it was connected from, and Streamlit's server (uvicorn) trusts that header only from
    ``FORWARDED_ALLOW_IPS`` (default 127.0.0.1), i.e. from the proxy on loopback.
    """
    try:
        address = st.context.ip_address
    except Exception:  # no browser session (a script or a test harness without one)
        return None
    return address if isinstance(address, str) and address else None


def attempt_sign_in(
    typed_username: str,
    password: str,
    users: dict[str, UserRecord],
    store: StateStore,
    address: str | None = None,
) -> Viewer | str:
    """Check a sign-in attempt against the throttles and the accounts.

    Args:
        typed_username: The username as typed.
        password: The password as typed.
        users: The accounts that may sign in.
        store: The server-side state (throttles).
        address: The client's address (``None``: local or unknown).

    Returns:
        The viewer on success, else the message to show (the same for an unknown user, a wrong password
        and an over-long password; the same throttle message whether or not the name exists).
    """
    key = username_key(typed_username)
    if not key or not password:
        return "Enter your username and password."
    moment = now()
    if store.blocked_for(key, address, moment) > 0:
        # Refused without checking the password and without a log line: a stranger hammering a blocked
        # name cannot grow the log or the state.
        return LOCKED_OUT
    user = users.get(key)
    matched = verify_password(password, user.password_hash if user else None)
    if matched and user is not None and user.role in ROLES:
        store.clear_failures(key, address)
        return Viewer(user.username, user.name, user.role)
    outcome = store.record_failure(key, address, moment)
    logged = logged_username(typed_username, users)
    details: dict[str, Any] = {"reason": "wrong_credentials", "failures": outcome.failures}
    if logged is None:
        details["unknown_username_length"] = len(typed_username.strip())
    audit.record(audit.SIGN_IN_FAILED, logged, address=address, **details)
    if outcome.blocked_scopes:
        audit.record(
            audit.LOCKOUT, logged, address=address, scopes=list(outcome.blocked_scopes),
            seconds=int(outcome.blocked_seconds),
        )  # fmt: skip
        return LOCKED_OUT
    return WRONG_CREDENTIALS


# Cookie --------------------------------------------------------------------------------------------------


def issue_token(username: str, session_id: str, expires_at: float, key: str) -> str:
    """The signed cookie value: a HS256 JWT naming the user and the server-side session id."""
    return jwt.encode({"sub": username, "sid": session_id, "exp": int(expires_at)}, key, algorithm="HS256")


def read_token(token: str, key: str) -> dict[str, Any] | None:
    """The claims of a cookie value when its signature is good and it has not expired; else ``None``."""
    try:
        claims = jwt.decode(
            token, key, algorithms=["HS256"], options={"require": ["sub", "sid", "exp"], "verify_exp": False}
        )
    except jwt.InvalidTokenError:
        return None
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("sid"), str):
        return None
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now():
        return None
    return dict(claims)


def _cookie_from_request() -> str | None:
    """The sign-in cookie sent with this browser session's first request (tests replace this)."""
    value = st.context.cookies.get(COOKIE_NAME)
    return value if isinstance(value, str) and value else None


def _served_over_https() -> bool:
    url = st.context.url or ""
    forwarded = st.context.headers.get("X-Forwarded-Proto", "")
    return url.startswith("https://") or forwarded.lower() == "https"


def _render_cookie_op() -> None:
    """Set or delete the cookie in the browser through the cookie manager streamlit-authenticator ships with.

    The operation stays in session state and is rendered on every run (same key, so the browser acts once),
    because a component rendered just before ``st.rerun()`` may be removed before it runs in the browser.
    """
    operation = st.session_state.get(_COOKIE_OP_KEY)
    if not operation:
        return
    from extra_streamlit_components.CookieManager import _component_func as cookie_manager

    st.markdown(
        "<style>.element-container:has(iframe[height='0']){display:none;}</style>", unsafe_allow_html=True
    )
    if operation["op"] == "set":
        options = {
            "path": "/",
            "expires": operation["expires"],
            "maxAge": operation["max_age"],
            "sameSite": "strict",
            "secure": operation["secure"],
        }
        cookie_manager(method="set", cookie=COOKIE_NAME, value=operation["token"], options=options,
                       key=operation["key"], default=False)  # fmt: skip
    else:
        cookie_manager(method="delete", cookie=COOKIE_NAME, key=operation["key"], default=False)


def _schedule_cookie_set(token: str, lifetime_seconds: float) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=lifetime_seconds)
    st.session_state[_COOKIE_OP_KEY] = {
        "op": "set", "token": token, "expires": expires.isoformat(), "max_age": int(lifetime_seconds),
        "secure": _served_over_https(), "key": f"impact_cookie_set_{secrets.token_hex(4)}",
    }  # fmt: skip


def _schedule_cookie_delete() -> None:
    st.session_state[_COOKIE_OP_KEY] = {"op": "delete", "key": f"impact_cookie_delete_{secrets.token_hex(4)}"}


# The guard -----------------------------------------------------------------------------------------------


def _this_run() -> dict[str, Any]:
    """State shared by every ``require_viewer`` call of one script run (app.py's and the page's).

    A run is recognised by the identity of the run context's cursor dict, which Streamlit replaces at the
    start of every run.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    marker = ctx.cursors if ctx is not None else None
    stored = st.session_state.get(_RUN_KEY)
    if not isinstance(stored, tuple) or stored[0] is not marker:
        stored = (marker, {})
        st.session_state[_RUN_KEY] = stored
    run: dict[str, Any] = stored[1]
    return run


def _refuse_to_start(problems: Sequence[str]) -> None:
    st.error(
        "**The dashboard refuses to start** until its sign-in configuration is safe:\n\n"
        + "\n".join(f"- {problem}" for problem in problems)
        + "\n\nSee docs/deployment-security.md.",
        icon=":material/lock:",
    )
    st.stop()


@cache
def _store_for(folder: str) -> StateStore:
    return StateStore(folder)


def _store() -> StateStore:
    return _store_for(STATE_DIR.get())


def _signed_in_viewer(config: AuthConfig, users: dict[str, UserRecord], store: StateStore) -> Viewer | None:
    """The viewer of this browser session, from session state or a valid cookie; ``None`` when signed out."""
    moment = now()
    auth = st.session_state.get(_AUTH_KEY)
    if isinstance(auth, dict):
        user = users.get(auth.get("username", ""))
        if (
            user is not None
            and user.role in ROLES
            and store.session_is_active(auth["sid"], user.username, moment)
        ):
            return Viewer(user.username, user.name, user.role)
        # Ended elsewhere: logout in another tab, user removed, demoted to no role, or expired.
        del st.session_state[_AUTH_KEY]
        _schedule_cookie_delete()
    token = _cookie_from_request()
    if not token or token == st.session_state.get(_REFUSED_COOKIE_KEY):
        return None
    claims = read_token(token, config.cookie_key)
    user = users.get(claims["sub"]) if claims else None
    if (
        claims
        and user is not None
        and user.role in ROLES
        and store.session_is_active(claims["sid"], user.username, moment)
    ):
        st.session_state[_AUTH_KEY] = {"username": user.username, "sid": claims["sid"]}
        audit.record(audit.SIGN_IN, user.username, method="cookie", role=user.role)
        return Viewer(user.username, user.name, user.role)
    # Forged, expired, revoked, unknown, or its user is gone: refuse it once and delete it.
    st.session_state[_REFUSED_COOKIE_KEY] = token
    audit.record(audit.COOKIE_REFUSED, logged_username(claims["sub"], users) if claims else None)
    _schedule_cookie_delete()
    return None


def _render_demo_banner() -> None:
    accounts = ", ".join(f"`{name}`" for name in DEMO_ACCOUNTS)
    st.warning(
        f"**Demo data.** This dashboard is showing a synthetic demo snapshot: fictional schools and children. "
        f"Sign in with one of the demo accounts {accounts} — the password of each is `{DEMO_PASSWORD}`.",
        icon=":material/science:",
    )


def _render_login(config: AuthConfig, users: dict[str, UserRecord], store: StateStore) -> None:
    """Show the sign-in form, handle a submission, and stop the run (nothing of the page renders)."""
    # Signed out, the sidebar holds nothing of use, and on a deep link to a fresh server it would list every
    # page file (Streamlit's automatic navigation): hide it.
    st.markdown(
        '<style>[data-testid="stSidebar"],[data-testid="stSidebarCollapsedControl"],'
        '[data-testid="stExpandSidebarButton"]{display:none !important;}</style>',
        unsafe_allow_html=True,
    )
    st.title("Wigan Impact Dashboard")
    if config.demo:
        _render_demo_banner()
    st.subheader("Sign in")
    with st.form("login_form"):
        typed_username = st.text_input("Username", key="login_username", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="login_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Sign in", key="login_submit", type="primary")
    if submitted:
        result = attempt_sign_in(typed_username or "", password or "", users, store, client_address())
        if isinstance(result, Viewer):
            lifetime = config.cookie_expiry_days * 86400
            moment = now()
            session_id = store.issue_session(result.username, moment, lifetime)
            st.session_state[_AUTH_KEY] = {"username": result.username, "sid": session_id}
            st.session_state[_REFUSED_COOKIE_KEY] = _cookie_from_request()
            _schedule_cookie_set(
                issue_token(result.username, session_id, moment + lifetime, config.cookie_key), lifetime
            )
            audit.record(
                audit.SIGN_IN, result.username, method="password", role=result.role, address=client_address()
            )
            st.rerun()
        st.error(result, icon=":material/error:")
    st.caption("Access is for the Wigan partnership's people only. Ask an administrator for an account.")
    _render_cookie_op()
    st.stop()


def _sign_out(viewer: Viewer, store: StateStore) -> None:
    auth = st.session_state.get(_AUTH_KEY)
    if isinstance(auth, dict):
        store.revoke_session(auth["sid"], now())
        del st.session_state[_AUTH_KEY]
    # This browser session's first request may have carried the (now revoked) cookie: don't retry it.
    st.session_state[_REFUSED_COOKIE_KEY] = _cookie_from_request()
    _schedule_cookie_delete()
    audit.record(audit.SIGN_OUT, viewer.username)
    st.rerun()


def _render_user_box(viewer: Viewer, config: AuthConfig, store: StateStore) -> None:
    with st.sidebar:
        st.markdown(f"Signed in as **{viewer.name}**  \n`{viewer.username}` · role: **{viewer.role}**")
        if config.demo:
            st.caption(":material/science: Demo data — fictional schools and children.")
        if st.button("Log out", key="logout_button", icon=":material/logout:"):
            _sign_out(viewer, store)
        _render_cookie_op()


def require_viewer(page_key: str | None) -> Viewer:
    """The guard: return the signed-in viewer, or show the sign-in form and stop the run.

    Called first by ``app.py`` (``page_key=None``) and by every page (through ``dashboard.page.page_setup``).
    Idempotent within one run: the sign-in form and the sidebar user box are rendered once.

    Args:
        page_key: The registry key of the page being opened; ``None`` checks only that someone is signed in.

    Returns:
        The viewer, whose role may open ``page_key``.
    """
    run = _this_run()
    viewer: Viewer | None = run.get("viewer")
    if viewer is None:
        config = load_config()
        if config.problems:
            _refuse_to_start(config.problems)
        try:
            store = _store()
            users = current_users(config)
            viewer = _signed_in_viewer(config, users, store)
            if viewer is None:
                _render_login(config, users, store)
        except (OSError, CredentialsError, sqlite3.Error) as error:
            _refuse_to_start([f"The sign-in state or credentials cannot be read: {error}"])
        assert viewer is not None
        run["viewer"] = viewer
        _render_user_box(viewer, config, store)
    if page_key is not None:
        page = PAGES_BY_KEY.get(page_key)
        if page is None or viewer.role not in page.roles:
            st.error(NOT_FOR_ROLE.format(role=viewer.role), icon=":material/block:")
            st.stop()
    return viewer


# `python -m dashboard check` ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m dashboard check``: exit 0 when the app may start, 2 (listing why) when it must refuse."""
    if argv:
        print("usage: python -m dashboard check", file=sys.stderr)
        return 2
    config = load_config()
    mode = "demo mode (demo accounts, synthetic data)" if config.demo else "real mode (credentials file)"
    if config.problems:
        print(f"REFUSED ({mode}): the dashboard will not start:", file=sys.stderr)
        for problem in config.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    print(f"OK: {mode}; credentials {config.credentials_file}; state in {STATE_DIR.get()}.")
    return 0
