"""What the cell key method publishes for a hand-listed set of records, worked out from the contract alone.

Contract section 6, rules 1-3: each record's key is the first 4 bytes of HMAC-SHA-256(secret, "<table>:<id>");
a count's cell key is the sum of its records' keys mod 2**32; the count is published as n + d (``c`` below 5).
Tests list the ids a cell counts (worked out on paper from the snapshot they build) and compare the data
layer's published value with this, computed with the tests' own key (``conftest.TEST_SDC_KEY``, production
mode) by ``hmac`` directly rather than by the data layer's record-key code.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from data_access.cellkey import PublishedCount, perturbation

KEY_SPACE = 2**32


def published(table: str, ids: Iterable[str]) -> PublishedCount:
    """The published count of the records ``ids`` of ``table`` (children, referrals or suspensions)."""
    import os

    secret = os.environ["IMPACT_SDC_KEY"].encode()
    ids = list(ids)
    if not ids:
        return 0
    total = sum(
        int.from_bytes(hmac.new(secret, f"{table}:{i}".encode(), hashlib.sha256).digest()[:4], "big")
        for i in ids
    )
    value = len(ids) + perturbation(total % KEY_SPACE)
    return "c" if value < 5 else value


def children(prefix: str, n: int) -> list[str]:
    """The ids ``tests.test_breakdowns.many`` gives: ``prefix00`` …"""
    return [f"{prefix}{i:02d}" for i in range(n)]
