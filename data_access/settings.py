"""Every setting of the dashboard, declared once with its default and help text.

A setting is read from the environment; the README's settings table is checked against this list by a test,
so a setting cannot exist without being documented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Setting:
    """One environment setting: its name, default and what it does."""

    name: str
    default: str
    help: str

    def get(self) -> str:
        """The value in force: the environment's, else the default."""
        return os.environ.get(self.name, self.default)


SNAPSHOT_ROOT: Final = Setting(
    "IMPACT_SNAPSHOT_ROOT", "data/snapshots",
    "Folder (or s3:// / az:// URL) holding one dated folder per snapshot; the newest valid one is served.",
)  # fmt: skip
ENVIRONMENT: Final = Setting(
    "IMPACT_ENV", "",
    "Set to `production` to forbid demo accounts and the default cookie key even on the demo snapshot.",
)  # fmt: skip
CREDENTIALS_FILE: Final = Setting(
    "IMPACT_CREDENTIALS_FILE", "config/credentials.yaml",
    "YAML credentials file (streamlit-authenticator's shape, bcrypt hashes only); git-ignored.",
)  # fmt: skip
COOKIE_KEY: Final = Setting(
    "IMPACT_COOKIE_KEY", "",
    "Secret key signing the sign-in cookie; else `cookie_key` in .streamlit/secrets.toml. Required outside demo mode.",
)  # fmt: skip
COOKIE_EXPIRY_DAYS: Final = Setting(
    "IMPACT_COOKIE_EXPIRY_DAYS", "1", "Days a sign-in cookie stays valid (it is also revoked at logout).",
)  # fmt: skip
STATE_DIR: Final = Setting(
    "IMPACT_STATE_DIR", "data/state",
    "Folder for server-side state: revoked sessions, sign-in lockouts and the audit log (JSON lines).",
)  # fmt: skip

ALL_SETTINGS: Final = (
    SNAPSHOT_ROOT,
    ENVIRONMENT,
    CREDENTIALS_FILE,
    COOKIE_KEY,
    COOKIE_EXPIRY_DAYS,
    STATE_DIR,
)
