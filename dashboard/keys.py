"""The SDC key's recorded fingerprint: ``python -m dashboard sdc-key status|record-change --reason ...``.

Contract section 6, rule 1: the cell-key noise of every protected figure is drawn from ``IMPACT_SDC_KEY``, so a
new key re-draws the noise of everything already published. ``data_access.settings.sdc_key`` records the key's
fingerprint (an HMAC, never the key) under ``IMPACT_STATE_DIR`` at first start and refuses a different key
afterwards; this command is how an admin accepts a new key on purpose, with the reason, in the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from dashboard import audit
from data_access.settings import (
    SDC_KEY,
    SecretRefused,
    configured_sdc_key,
    fingerprint_path,
    sdc_key_fingerprint,
    write_private_json,
)
from data_access.settings import read_recorded_fingerprint as read_recorded

MIN_REASON_CHARACTERS = 10


def record_change(reason: str, actor: str | None) -> tuple[str | None, str]:
    """Accept the current ``IMPACT_SDC_KEY`` as the recorded one, with the reason (audited).

    Returns:
        The previous fingerprint (``None`` if none was recorded) and the new one.

    Raises:
        SecretRefused: the key is missing or weak, or the reason is too short.
    """
    if len(reason.strip()) < MIN_REASON_CHARACTERS:
        raise SecretRefused(f"Give the reason for the new key (at least {MIN_REASON_CHARACTERS} characters).")
    key = configured_sdc_key()
    path = fingerprint_path()
    recorded: dict[str, Any] = dict(read_recorded(path) or {})
    previous = recorded.get("fingerprint")
    new = sdc_key_fingerprint(key)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    history = list(recorded.get("history") or [])
    history.append(
        {"fingerprint": new, "at": now, "reason": reason.strip(), "by": actor, "previous": previous}
    )
    write_private_json(path, {"fingerprint": new, "recorded_at": now, "history": history})
    audit.record(
        audit.SDC_KEY_CHANGED, actor, reason=reason.strip(),
        previous=str(previous)[:12] if previous else None, fingerprint=new[:12],
    )  # fmt: skip
    return (str(previous) if previous else None), new


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m dashboard sdc-key ...``; 0 done, 1 the key does not match the record, 2 refused."""
    parser = argparse.ArgumentParser(prog="python -m dashboard sdc-key", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="action", required=True)
    commands.add_parser("status", help="the fingerprints of the configured and the recorded key")
    change = commands.add_parser("record-change", help="accept the configured key as the new one (audited)")
    change.add_argument("--reason", required=True, help="why the key changed (kept in the audit log)")
    args = parser.parse_args(argv)
    try:
        if args.action == "record-change":
            previous, new = record_change(args.reason, f"cli:{getpass.getuser()}")
            print(
                f"Recorded: {SDC_KEY.name} fingerprint {new[:12]}… (was {previous[:12] + '…' if previous else 'none'})."
            )
            return 0
        key = configured_sdc_key()
        recorded = read_recorded(fingerprint_path())
        current = sdc_key_fingerprint(key)
        print(f"configured: {current[:12]}…")
        print(
            f"recorded:   {str(recorded['fingerprint'])[:12] + '…' if recorded else 'none yet (first start records it)'}"
        )
        return 0 if recorded is None or recorded["fingerprint"] == current else 1
    except SecretRefused as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
