"""Every setting of the dashboard, declared once with its default and help text.

A setting is read from the environment; the README's settings table is checked against this list by a test,
so a setting cannot exist without being documented.
"""

from __future__ import annotations

import hmac
import itertools
import json
import math
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
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
    "IMPACT_ENV", "production",
    "Exactly `demo` or `production` (unset means production; anything else refuses to start). Demo accounts "
    "exist only with `demo` and only while every served snapshot is a demo one.",
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
SDC_KEY: Final = Setting(
    "IMPACT_SDC_KEY", "",
    "Secret key of the cell-key disclosure control (contract section 6, rule 1); at least 32 random characters. "
    "Required in production; its fingerprint is recorded at first start and a change must be recorded with "
    "`python -m dashboard sdc-key record-change --reason ...`.",
)  # fmt: skip
REPLICAS: Final = Setting(
    "IMPACT_REPLICAS", "",
    "Streamlit processes started by `make serve` behind the reverse proxy (default: the number of CPU cores).",
)  # fmt: skip
TLS_CERT: Final = Setting(
    "IMPACT_TLS_CERT", "",
    "PEM certificate (chain) the proxy of `make serve` presents; unset: a self-signed one made at each start.",
)  # fmt: skip
TLS_KEY: Final = Setting(
    "IMPACT_TLS_KEY", "", "PEM private key of `IMPACT_TLS_CERT` (required with it).",
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
    SDC_KEY,
    REPLICAS,
    TLS_CERT,
    TLS_KEY,
)


# Environment ---------------------------------------------------------------------------------------------

DEMO: Final = "demo"
PRODUCTION: Final = "production"


class SettingError(Exception):
    """A setting's value is unusable; the message names the setting and what to do."""


class SecretRefused(SettingError):
    """A secret (cookie key, SDC key) is missing, weak, or changed without a recorded reason."""


def environment() -> str:
    """``demo`` or ``production`` (unset means production).

    Raises:
        SettingError: for any other value (a typo must never mean "not production").
    """
    value = os.environ.get(ENVIRONMENT.name)
    if value is None or value == "":
        return PRODUCTION
    if value in (DEMO, PRODUCTION):
        return value
    raise SettingError(
        f"{ENVIRONMENT.name}={value!r} is not understood: it must be exactly {DEMO!r} or {PRODUCTION!r} "
        "(unset means production). The dashboard refuses to start."
    )


# Secrets -------------------------------------------------------------------------------------------------

MIN_SECRET_LENGTH: Final = 32
# Published or guessable values: never acceptable as a secret.
KNOWN_PLACEHOLDERS: Final = frozenset(
    {
        "replace-with-a-long-random-secret",
        "replace-with-a-long-random-sdc-secret",
        "some_key",
        "some_signature_key",
        "change-me",
        "changeme",
        "secret",
        "your-secret-key",
        "your_secret_key",
        "insecure",
        "password",
    }
)
# Words a person reaches for when asked for a secret; a key made of these (plus digits and punctuation) is
# guessable however long it is.
COMMON_WORDS: Final = (
    "password", "passwd", "secret", "changeme", "change", "replace", "random", "example", "default",
    "placeholder", "letmein", "welcome", "admin", "qwerty", "asdf", "dragon", "monkey", "master", "login",
    "wigan", "impact", "dashboard", "council", "allchild", "cookie", "signing", "session", "token", "key",
    "test", "demo", "production", "prod", "long", "very", "super", "string", "value", "here", "your", "the",
    "this", "and", "for", "sdc", "cell", "noise", "streamlit", "spring", "summer", "autumn", "winter",
    "football", "sunshine", "iloveyou", "trustno", "abc", "xyz",
)  # fmt: skip
_MIN_DISTINCT_CHARACTERS: Final = 6
# Length × the Shannon entropy of the key's own character frequencies: a 32-character hex token never scores
# under 90, a key of two characters alternating scores its length.
_MIN_OBSERVED_BITS: Final = 80.0
_MIN_CHARACTERS_OUTSIDE_WORDS: Final = 20


def _observed_bits(value: str) -> float:
    counts = Counter(value)
    return -sum(count * math.log2(count / len(value)) for count in counts.values())


def secret_problem(value: str, name: str) -> str | None:
    """Why ``value`` is not acceptable as the secret ``name``, or ``None`` when it is.

    Refused: empty, shorter than 32 characters, a known placeholder, too few distinct characters (a repeated
    character or pattern), a run of consecutive characters (``abcdef…``, ``12345…``), or made mostly of
    common words and punctuation. A key from
    ``python -c "import secrets; print(secrets.token_urlsafe(48))"`` always passes.
    """
    how = 'use e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
    if not value:
        return f"No {name} is set; {how}."
    if value.strip().lower() in KNOWN_PLACEHOLDERS:
        return f"The {name} is the published example or a placeholder; {how}."
    if len(value) < MIN_SECRET_LENGTH:
        return f"The {name} is too short: use at least {MIN_SECRET_LENGTH} random characters; {how}."
    if len(set(value)) < _MIN_DISTINCT_CHARACTERS or _observed_bits(value) < _MIN_OBSERVED_BITS:
        return f"The {name} is low-entropy (a repeated character or few distinct ones); {how}."
    if any(
        value == (value[:period] * (len(value) // period + 1))[: len(value)]
        for period in range(1, len(value) // 2 + 1)
    ):
        return f"The {name} is low-entropy (a repeated pattern); {how}."
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(value)]
    if sum(1 for step in steps if step in (-1, 0, 1)) > len(steps) // 2:
        return f"The {name} is low-entropy (runs of consecutive or repeated characters); {how}."
    remainder = value.lower()
    for word in sorted(COMMON_WORDS, key=len, reverse=True):
        remainder = remainder.replace(word, "")
    if sum(1 for character in remainder if character.isalnum()) < _MIN_CHARACTERS_OUTSIDE_WORDS:
        return f"The {name} is made of common words and punctuation (a guessable phrase); {how}."
    return None


# The disclosure-control key (contract section 6, rule 1) ------------------------------------------------

DEMO_SDC_KEY: Final = b"wigan-impact-demo-sdc-key:synthetic-data-only:not-a-secret"
"""The fixed SDC key of demo mode: published on purpose (demo data is synthetic), never used in production."""

SDC_FINGERPRINT_FILE: Final = "sdc-key-fingerprint.json"
_FINGERPRINT_MESSAGE: Final = b"wigan-impact-dashboard sdc key fingerprint v1"


# Fingerprint checks that passed, by file: (fingerprint, the file's mtime) — so a hot path pays one stat().
_checked: dict[str, tuple[str, int]] = {}


def sdc_key_fingerprint(key: bytes) -> str:
    """A fingerprint of the SDC key that does not reveal it: hex HMAC-SHA-256 of a fixed message under the key."""
    return hmac.new(key, _FINGERPRINT_MESSAGE, "sha256").hexdigest()


def fingerprint_path(state_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the recorded SDC-key fingerprint lives (under ``IMPACT_STATE_DIR``)."""
    return Path(state_dir if state_dir is not None else STATE_DIR.get()) / SDC_FINGERPRINT_FILE


def read_recorded_fingerprint(path: Path) -> dict[str, object] | None:
    """The recorded SDC-key fingerprint file as a dict, or ``None`` when none was recorded yet."""

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise SecretRefused(f"The recorded SDC-key fingerprint {path} cannot be read: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("fingerprint"), str):
        raise SecretRefused(
            f"The recorded SDC-key fingerprint {path} is malformed; restore it from a backup."
        )
    return data


def write_private_json(path: os.PathLike[str], data: object) -> None:
    """Write ``data`` as JSON to ``path`` atomically with mode 0600 (a temporary file, then a rename)."""

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def configured_sdc_key() -> bytes:
    """The ``IMPACT_SDC_KEY`` as bytes after the strength checks (no fingerprint check).

    Raises:
        SecretRefused: when it is missing or weak.
    """
    value = SDC_KEY.get()
    problem = secret_problem(value, f"SDC key ({SDC_KEY.name})")
    if problem is not None:
        raise SecretRefused(problem)
    return value.encode("utf-8")


def check_sdc_fingerprint(key: bytes, state_dir: str | os.PathLike[str] | None = None) -> None:
    """Record the key's fingerprint at first start; refuse a key whose fingerprint differs from the record.

    Raises:
        SecretRefused: when the key changed and no admin recorded the change.
    """
    path = fingerprint_path(state_dir)
    fingerprint = sdc_key_fingerprint(key)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        stamp = None
    if stamp is not None and _checked.get(str(path)) == (fingerprint, stamp):
        return
    recorded = read_recorded_fingerprint(path)
    if recorded is None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        write_private_json(
            path,
            {
                "fingerprint": fingerprint,
                "recorded_at": now,
                "history": [{"fingerprint": fingerprint, "at": now, "reason": "first start"}],
            },
        )
        return
    if recorded["fingerprint"] != fingerprint:
        raise SecretRefused(
            f"The SDC key ({SDC_KEY.name}) is not the one recorded in {path} (fingerprint "
            f"{str(recorded['fingerprint'])[:12]}…, this key {fingerprint[:12]}…). A new key re-draws the noise of "
            "every published protected figure (contract section 6, rule 1). Restore the old key, or have an "
            'admin record the change: python -m dashboard sdc-key record-change --reason "..."'
        )
    _checked[str(path)] = (fingerprint, path.stat().st_mtime_ns)


def sdc_key(*, for_demo_data: bool | None = None) -> bytes:
    """The secret key of the cell-key method (contract section 6, rule 1), as bytes.

    With ``IMPACT_ENV=demo`` it is ``DEMO_SDC_KEY`` (fixed and published: demo data is synthetic). Otherwise
    it is ``IMPACT_SDC_KEY``, refused when missing, shorter than 32 characters or low-entropy, and when its
    fingerprint differs from the one recorded under ``IMPACT_STATE_DIR`` at first start (unless an admin
    recorded the change with ``python -m dashboard sdc-key record-change``).

    Args:
        for_demo_data: Whether the figures being protected come from a demo snapshot, when the caller knows
            (e.g. ``snapshot.manifest.get("demo") is True``). ``False`` with ``IMPACT_ENV=demo`` is refused:
            the published demo key must never protect real data (a command run on a real folder).

    Raises:
        SecretRefused: the key is missing, weak or changed without a record (the message says which), or the
            demo key was asked for real data.
        SettingError: ``IMPACT_ENV`` is neither ``demo`` nor ``production``.
    """
    if environment() == DEMO and for_demo_data is False:
        raise SecretRefused(
            f"{ENVIRONMENT.name}=demo, but these figures come from a snapshot that is not demo data: the published "
            f"demo SDC key must never protect real figures. Set {ENVIRONMENT.name}=production and {SDC_KEY.name}."
        )
    if environment() == DEMO:
        return DEMO_SDC_KEY
    key = configured_sdc_key()
    check_sdc_fingerprint(key)
    return key
