"""Users (admin only): who may sign in and with which role; add, change role, remove; lift sign-in throttles.

The same functions as ``python -m dashboard users``: the credentials file is written atomically under a lock,
passwords are held to the same rules, and removing a user revokes their sessions at once.
"""

import time
from datetime import UTC, datetime

import streamlit as st

from dashboard.auth import DEMO_ACCOUNTS, current_users, load_config, require_viewer
from dashboard.state import StateStore
from dashboard.users import (
    MAX_PASSWORD_BYTES,
    MIN_PASSWORD_CHARACTERS,
    CredentialsError,
    add_user,
    list_users,
    remove_user,
    set_role,
    unlock,
)
from data_access.contract import ROLES

viewer = require_viewer("users")
config = load_config()

st.title("Users", anchor=False)
st.caption("Who may sign in, and with which role. Changes take effect at each user's next click.")

flash = st.session_state.pop("users_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")


def _done(message: str) -> None:
    """Show ``message`` after a fresh run, so the table below already includes the change."""
    st.session_state["users_flash"] = message
    st.rerun()


def _throttles() -> None:
    """Failed sign-ins being throttled now, and a button to lift the throttle on a username or address."""
    st.subheader("Sign-in throttles", anchor=False)
    rows = StateStore().throttled(time.time())
    known = set(current_users(config))
    blocked = [row for row in rows if row.blocked_until is not None]
    if not blocked:
        st.caption("No username or address is being slowed down after failed sign-ins.")
        return
    # Names typed at the sign-in form that are no account are never shown: people type passwords there.
    st.dataframe(
        [
            {
                "username": (row.username if row.username in known else "(not an account)")
                if row.username is not None else "(any)",
                "address": row.address or "(any)",
                "failures": row.failures,
                "blocked until (UTC)": datetime.fromtimestamp(row.blocked_until or 0, UTC).strftime("%H:%M:%S"),
            }
            for row in blocked
        ],
        hide_index=True,
        width="stretch",
        key="users_throttles",
    )  # fmt: skip
    names = sorted({row.username for row in blocked if row.username in known})
    addresses = sorted({row.address for row in blocked if row.address})
    with st.form("users_unlock_form"):
        name = st.selectbox("Username", ["", *names], key="users_unlock_username")
        address = st.selectbox("Client address", ["", *addresses], key="users_unlock_address")
        if st.form_submit_button("Unlock", key="users_unlock_submit"):
            if not name and not address:
                st.error("Choose a username or an address to unlock.")
            else:
                removed = unlock(name or None, address=address or None, actor=viewer.username)
                _done(f"Unlocked {' and '.join(filter(None, [name, address]))} ({removed} throttles lifted).")


_throttles()

if config.demo:
    st.info(
        "Demo mode: the accounts are the built-in demo accounts and cannot be changed here. To leave demo mode, "
        "create a credentials file with `python -m dashboard users add NAME --role admin` and set a cookie key "
        "(see docs/deployment-security.md).",
        icon=":material/science:",
    )
    st.dataframe(
        [{"username": name, "name": title, "role": role} for name, (title, role) in DEMO_ACCOUNTS.items()],
        hide_index=True,
        width="stretch",
    )
    st.stop()

try:
    accounts = list_users(config.credentials_file)
except CredentialsError as error:
    st.error(str(error))
    st.stop()

st.subheader("Accounts", anchor=False)
st.dataframe(
    [
        {"username": user.username, "name": user.name, "role": user.role, "email": user.email or ""}
        for user in accounts
    ],
    hide_index=True,
    width="stretch",
)
others = [user.username for user in accounts if user.username != viewer.username]

st.subheader("Add a user", anchor=False)
with st.form("users_add_form", clear_on_submit=True):
    new_username = st.text_input(
        "Username", key="users_add_username", help="Lower-case letters, digits, . _ -"
    )
    new_name = st.text_input("Display name", key="users_add_display_name")
    new_email = st.text_input("Email (optional)", key="users_add_email")
    new_role = st.selectbox("Role", ROLES, key="users_add_role")
    new_password = st.text_input(
        "Password", type="password", key="users_add_password", autocomplete="new-password",
        help=f"At least {MIN_PASSWORD_CHARACTERS} characters and at most {MAX_PASSWORD_BYTES} bytes.",
    )  # fmt: skip
    confirm = st.text_input("Password again", type="password", key="users_add_password_confirm",
                            autocomplete="new-password")  # fmt: skip
    if st.form_submit_button("Add user", key="users_add_submit", type="primary"):
        if new_password != confirm:
            st.error("The two passwords differ; nothing was changed.")
        else:
            try:
                added = add_user(new_username or "", new_role, new_password or "", new_name or None,
                                 new_email or None, actor=viewer.username, path=config.credentials_file)  # fmt: skip
            except CredentialsError as error:
                st.error(str(error))
            else:
                _done(f"Added {added.username} ({added.role}).")

st.subheader("Change a role", anchor=False)
if not others:
    st.caption("There is nobody else to change. (Your own role is changed by another admin.)")
else:
    with st.form("users_role_form"):
        target = st.selectbox("User", others, key="users_role_username")
        role = st.selectbox("New role", ROLES, key="users_role_role")
        if st.form_submit_button("Change role", key="users_role_submit"):
            try:
                changed = set_role(target, role, actor=viewer.username, path=config.credentials_file)
            except CredentialsError as error:
                st.error(str(error))
            else:
                _done(f"{changed.username} is now {changed.role}.")

st.subheader("Remove a user", anchor=False)
if not others:
    st.caption("There is nobody else to remove. (You cannot remove your own account.)")
else:
    with st.form("users_remove_form"):
        target = st.selectbox("User", others, key="users_remove_username")
        sure = st.checkbox("Yes, remove this account and sign it out everywhere", key="users_remove_confirm")
        if st.form_submit_button("Remove user", key="users_remove_submit"):
            if not sure:
                st.error("Tick the box to confirm.")
            else:
                try:
                    remove_user(target, actor=viewer.username, path=config.credentials_file)
                except CredentialsError as error:
                    st.error(str(error))
                else:
                    _done(f"Removed {target} and revoked its sessions.")
