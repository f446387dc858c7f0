"""Record keys on a snapshot (contract section 6, rule 1): the frames protected figures are counted from.

``keyed(snapshot)`` returns the same snapshot whose ``children``, ``referrals`` and ``suspensions`` frames
carry a UInt32 ``record_key`` column (HMAC-SHA-256 of "<table>:<id>" under the SDC key, first 4 bytes), made
once per snapshot and key. The concept modules see the column and compute every count together with its
cell key (``{count}__key``) in the same polars aggregation; on a plain snapshot (exact roles) they compute
the exact counts alone, exactly as before.
"""

from __future__ import annotations

import threading
import weakref
from functools import cached_property

import polars as pl

from data_access.cellkey import RECORD_KEY, record_keys
from data_access.settings import DEMO, environment, sdc_key, sdc_key_fingerprint
from data_access.snapshots import Snapshot

_lock = threading.Lock()
_keyed: weakref.WeakKeyDictionary[Snapshot, dict[str, KeyedSnapshot]] = weakref.WeakKeyDictionary()


def is_demo_snapshot(snapshot: Snapshot) -> bool:
    """True when the snapshot holds synthetic demo data, by the rule the sign-in uses
    (``dashboard.auth``): a ``"demo": true`` manifest, or (asked only in demo mode) only the demo generator's
    fictional schools."""
    if snapshot.manifest.get("demo") is True:
        return True
    if environment() != DEMO:
        return False  # production never uses the demo key, whatever the snapshot
    from data_access.demo import DEMO_SCHOOLS  # numpy/pyarrow: imported only here (keeps `report` light)

    names = set(snapshot.schools.get_column("school_name").to_list())
    return bool(names) and names <= {school[1] for school in DEMO_SCHOOLS}


class KeyedSnapshot(Snapshot):
    """A snapshot whose children and events carry their record keys; everything else is the base's own."""

    def __init__(self, base: Snapshot, key: bytes) -> None:
        self.base = base
        self.folder = base.folder
        self.manifest = base.manifest
        self.snapshot_date = base.snapshot_date
        self.id = base.id
        self._digest = base._digest
        self._stamps = base._stamps
        self._lock = base._lock
        self._key = key

    def unchanged(self) -> bool:
        """As the base snapshot."""
        return self.base.unchanged()

    def __repr__(self) -> str:
        return f"KeyedSnapshot({self.id!r})"

    @cached_property
    def schools(self) -> pl.DataFrame:
        """The base's schools."""
        return self.base.schools

    @cached_property
    def children(self) -> pl.DataFrame:
        """The base's children with ``record_key`` (from ``child_id``)."""
        children = self.base.children
        keys = record_keys(self._key, "children", children.get_column("child_id").to_list())
        return children.with_columns(keys.alias(RECORD_KEY))

    def _keyed_events(self, table: str, id_column: str, columns: list[str]) -> pl.DataFrame:
        ids = self.base.children.lazy().select("child_id", "child_idx")
        frame = (
            self.scan(table)
            .select(id_column, *columns)
            .join(ids, on="child_id", how="inner")
            .drop("child_id")
            .collect()
        )
        keys = record_keys(self._key, table, frame.get_column(id_column).to_list())
        return frame.with_columns(keys.alias(RECORD_KEY)).drop(id_column)

    @cached_property
    def referrals(self) -> pl.DataFrame:
        """The base's referral columns with ``record_key`` (from ``referral_id``)."""
        return self._keyed_events(
            "referrals", "referral_id", ["child_id", "referral_date", "service", "reason"]
        )

    @cached_property
    def suspensions(self) -> pl.DataFrame:
        """The base's suspension columns with ``record_key`` (from ``event_id``)."""
        return self._keyed_events("suspensions", "event_id", ["child_id", "start_date", "kind", "sessions"])

    @cached_property
    def assessments(self) -> pl.DataFrame:
        """The base's assessments."""
        return self.base.assessments

    def _attendance(self) -> tuple[pl.DataFrame, pl.Series]:
        return self.base._attendance()


def keyed(snapshot: Snapshot, key: bytes | None = None) -> KeyedSnapshot:
    """``snapshot`` with record keys under ``key`` (default: ``settings.sdc_key`` for this snapshot: the demo
    key for a demo snapshot in demo mode; refused for real data in demo mode or without a strong key).

    Raises:
        SecretRefused / SettingError: from ``settings.sdc_key``.
    """
    if isinstance(snapshot, KeyedSnapshot):
        if key is None or key == snapshot._key:
            return snapshot
        snapshot = snapshot.base
    if key is None:
        key = sdc_key(for_demo_data=is_demo_snapshot(snapshot))
    fingerprint = sdc_key_fingerprint(key)
    with _lock:
        by_key = _keyed.setdefault(snapshot, {})
        found = by_key.get(fingerprint)
        if found is None:
            found = KeyedSnapshot(snapshot, key)
            by_key[fingerprint] = found
        return found
