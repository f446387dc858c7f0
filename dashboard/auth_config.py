"""Which accounts may sign in, in which mode: demo (asked for and only on demo data) or production.

``load_config`` works out the mode and every reason the app must refuse to start (fail closed: an unknown
``IMPACT_ENV``, demo mode over real snapshots, weak or missing keys, a missing or bad credentials file).
``dashboard.auth`` signs people in with the accounts this module gives.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import streamlit as st

from dashboard.users import (
    DEMO_PREFIX,
    CredentialsError,
    UserRecord,
    configuration_problems,
    credentials_path,
    read_users_cached,
)
from data_access.contract import MANIFEST_NAME
from data_access.settings import (
    COOKIE_EXPIRY_DAYS,
    COOKIE_KEY,
    DEMO,
    ENVIRONMENT,
    PRODUCTION,
    SNAPSHOT_ROOT,
    SecretRefused,
    SettingError,
    environment,
    sdc_key,
    secret_problem,
)

DEMO_PASSWORD: Final = "demo-password"
DEMO_ACCOUNTS: Final = {
    "demo-councillor": ("Demo councillor", "councillor"),
    "demo-commissioner": ("Demo commissioner", "commissioner"),
    "demo-allchild": ("Demo AllChild staff", "allchild"),
    "demo-admin": ("Demo administrator", "admin"),
}


# Configuration -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthConfig:
    """The sign-in configuration in force, and why the app must refuse to start (if it must)."""

    demo: bool
    production: bool
    credentials_file: Path
    cookie_key: str
    cookie_expiry_days: float
    problems: tuple[str, ...]


def read_cookie_key() -> str:
    """The cookie key: ``IMPACT_COOKIE_KEY``, else ``cookie_key`` in ``.streamlit/secrets.toml``, else empty."""
    key = COOKIE_KEY.get().strip()
    if key:
        return key
    try:
        value = st.secrets.get("cookie_key")
    except Exception:  # no secrets file, or an unreadable one: treated as no key
        return ""
    return str(value).strip() if value else ""


def _is_demo_snapshot(folder: Any) -> bool:
    """True when a *valid* snapshot folder holds synthetic demo data.

    That is a ``"demo": true`` manifest, or only the generator's fictional schools. Only ever asked about
    folders that passed validation: a refused folder's manifest is never read for this.
    """
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if isinstance(manifest, dict) and manifest.get("demo") is True:
        return True
    try:
        from data_access.demo import DEMO_SCHOOLS
        from data_access.snapshots import open_snapshot

        names = set(open_snapshot(folder, validate=False).schools["school_name"].to_list())
    except Exception:  # an unreadable snapshot is not evidence of demo data
        return False
    return bool(names) and names <= {school[1] for school in DEMO_SCHOOLS}


_DEMO_CACHE: dict[tuple[str, str], bool] = {}


def non_demo_snapshots(root: str | None = None) -> list[str]:
    """The served (valid) snapshots under the root that are not demo data; refused folders are ignored.

    Args:
        root: The snapshot root (default: the ``IMPACT_SNAPSHOT_ROOT`` setting).

    Returns:
        Folder names, newest first; empty when every served snapshot is a demo one (or none is served).
    """
    from dashboard.data import current_state
    from data_access.snapshots import as_folder, manifest_digest

    state = current_state(as_folder(root if root is not None else SNAPSHOT_ROOT.get()))
    found: list[str] = []
    for folder in state.valid_folders:
        try:
            key = (str(folder), manifest_digest(folder))
        except OSError:
            found.append(folder.name)
            continue
        if key not in _DEMO_CACHE:
            _DEMO_CACHE[key] = _is_demo_snapshot(folder)
        if not _DEMO_CACHE[key]:
            found.append(folder.name)
    return found


def snapshot_root_is_demo(root: str | None = None) -> bool:
    """True when every snapshot the root serves is a demo one (refused folders are never read)."""
    return not non_demo_snapshots(root)


@cache
def _process_demo_key() -> str:
    # Demo mode without a configured key: a random key per process (cookies end with the process).
    return secrets.token_urlsafe(48)


def load_config() -> AuthConfig:
    """Work out the mode (demo or production) and every reason the app must refuse to start.

    Demo mode needs ``IMPACT_ENV=demo`` *and* every served snapshot to be a demo one; anything else is
    production, which needs a credentials file, a strong cookie key and a strong SDC key whose fingerprint
    matches the one recorded at first start.
    """
    path = credentials_path()
    problems: list[str] = []
    try:
        mode = environment()
    except SettingError as error:
        return AuthConfig(False, True, path, "", 1.0, (str(error),))
    try:
        expiry_days = float(COOKIE_EXPIRY_DAYS.get())
        if not 0 < expiry_days <= 366:
            raise ValueError
    except ValueError:
        problems.append(f"{COOKIE_EXPIRY_DAYS.name} must be a number of days above 0 and at most 366.")
        expiry_days = 1.0
    key = read_cookie_key()
    if mode == DEMO:
        try:
            real = non_demo_snapshots()
        except Exception as error:  # the root cannot be read: nothing shows it is demo data
            real = [f"(the snapshot root cannot be read: {error})"]
        if real:
            problems.append(
                f"{ENVIRONMENT.name}=demo, but the snapshot root serves snapshots that are not demo data "
                f"({', '.join(real)}). Demo accounts are only for the synthetic demo snapshot: set "
                f"{ENVIRONMENT.name}={PRODUCTION} with real credentials and keys."
            )
        if key:
            problem = secret_problem(key, f"cookie key ({COOKIE_KEY.name})")
            if problem:
                problems.append(problem)
        return AuthConfig(not problems, False, path, key or _process_demo_key(), expiry_days, tuple(problems))
    problem = secret_problem(key, f"cookie key ({COOKIE_KEY.name})")
    if problem:
        problems.append(problem + " It may also be `cookie_key` in .streamlit/secrets.toml.")
    try:
        sdc_key()
    except SecretRefused as error:
        problems.append(str(error))
    if not path.exists():
        problems.append(
            f"No credentials file at {path} (outside demo mode one is required): create it with "
            "`python -m dashboard users add NAME --role admin`."
        )
    else:
        try:
            users = read_users_cached(path)
        except CredentialsError as error:
            problems.append(str(error))
            users = {}
        demo_names = sorted(name for name in users if name.startswith(DEMO_PREFIX))
        if demo_names:
            problems.append(
                f"Demo accounts exist in {path} ({', '.join(demo_names)}); remove them with "
                "`python -m dashboard users remove NAME` — they are forbidden outside demo mode."
            )
        if not users and not problems:
            problems.append(
                f"The credentials file {path} has no accounts: add one with "
                "`python -m dashboard users add NAME --role admin`."
            )
        problems.extend(configuration_problems(users))
    return AuthConfig(False, True, path, key, expiry_days, tuple(problems))


@st.cache_resource(show_spinner=False)
def _demo_password_hash() -> str:
    """The bcrypt hash of the demo password, made once per process (never stored anywhere)."""
    from streamlit_authenticator import Hasher

    return str(Hasher.hash(DEMO_PASSWORD))


def demo_users() -> dict[str, UserRecord]:
    """The demo accounts, all with the password ``demo-password``."""
    password_hash = _demo_password_hash()
    return {
        username: UserRecord(username, name, role, None, password_hash)
        for username, (name, role) in DEMO_ACCOUNTS.items()
    }


def current_users(config: AuthConfig) -> dict[str, UserRecord]:
    """The accounts that may sign in: the demo accounts in demo mode, else the credentials file's."""
    return demo_users() if config.demo else read_users_cached(config.credentials_file)
