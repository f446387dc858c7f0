"""Finding, validating and loading snapshots.

A snapshot root holds one folder per snapshot, named by its date. The newest folder that validates is the
current snapshot; newer folders that do not validate are reported as refused and never loaded. Loaded
snapshots are cached by id (date plus a digest of the manifest's checksums), and their heavy aggregates are
built once, on first use.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import polars as pl

from data_access.contract import (
    ABSENT_CODES,
    AUTHORISED_CODES,
    MANIFEST_NAME,
    POSSIBLE_CODES,
    PRESENT_CODES,
    TABLE_FILES,
    UNAUTHORISED_CODES,
)
from data_access.manifest import read_manifest
from data_access.settings import SNAPSHOT_ROOT

_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CACHE_SIZE: Final = 4


class SnapshotError(Exception):
    """A snapshot could not be used: refused by validation, or unreadable while being served."""


def snapshot_root() -> Path:
    """The snapshot root in force (``IMPACT_SNAPSHOT_ROOT``, default ``data/snapshots``)."""
    return Path(SNAPSHOT_ROOT.get())


def snapshot_folders(root: Path) -> list[Path]:
    """Dated snapshot folders under ``root``, newest first (hidden and temporary folders are ignored)."""
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and _DATED.match(p.name)), reverse=True)


def manifest_digest(folder: Path) -> str:
    """A short digest of the manifest file's bytes: changes whenever any file's checksum changes."""
    return hashlib.sha256((folder / MANIFEST_NAME).read_bytes()).hexdigest()[:12]


class Snapshot:
    """One loaded snapshot. Small tables are read eagerly; attendance is scanned lazily and aggregated once."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.snapshot_date: date = date.fromisoformat(str(manifest["snapshot_date"]))
        digest = hashlib.sha256(json.dumps(manifest.get("files", {}), sort_keys=True).encode()).hexdigest()[:12]
        self.id = f"{self.snapshot_date.isoformat()}-{digest}"
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Snapshot({self.id!r}, {str(self.folder)!r})"

    def path_of(self, table: str) -> Path:
        """The Parquet file of ``table``."""
        return self.folder / TABLE_FILES[table]

    def scan(self, table: str) -> pl.LazyFrame:
        """A lazy scan of ``table`` (predicate and projection push-down happen in polars)."""
        return pl.scan_parquet(self.path_of(table))

    @cached_property
    def schools(self) -> pl.DataFrame:
        """Schools in school_id order."""
        return self.scan("schools").select("school_id", "school_name", "township", "phase").sort("school_id").collect()

    @cached_property
    def children(self) -> pl.DataFrame:
        """Children with a dense integer ``child_idx`` used to join the other tables cheaply."""
        return (
            self.scan("children")
            .sort("child_id")
            .with_row_index("child_idx")
            .with_columns(pl.col("child_idx").cast(pl.UInt32))
            .collect()
        )

    def _with_idx(self, table: str, columns: list[str]) -> pl.DataFrame:
        ids = self.children.lazy().select("child_id", "child_idx")
        return self.scan(table).select(columns).join(ids, on="child_id", how="inner").drop("child_id").collect()

    @cached_property
    def referrals(self) -> pl.DataFrame:
        """Referrals keyed by child_idx."""
        return self._with_idx("referrals", ["child_id", "referral_date", "service", "reason"])

    @cached_property
    def suspensions(self) -> pl.DataFrame:
        """Suspensions and permanent exclusions keyed by child_idx."""
        return self._with_idx("suspensions", ["child_id", "start_date", "kind", "sessions"])

    @cached_property
    def assessments(self) -> pl.DataFrame:
        """Assessment scores keyed by child_idx."""
        return self._with_idx("assessments", ["child_id", "assessment_date", "wave", "measure", "score"])

    def _build_attendance(self) -> tuple[pl.DataFrame, pl.Series]:
        ids = self.children.lazy().select("child_id", "child_idx")
        code = pl.col("code")
        day = pl.col("date")
        week_start = day - pl.duration(days=day.dt.weekday() - 1)
        month_start = day.dt.truncate("1mo")
        rows = self.scan("attendance").select("child_id", "date", "code")
        buckets = (
            rows.join(ids, on="child_id", how="inner")
            .with_columns(
                bucket_start=pl.max_horizontal(week_start, month_start),
                week_start=week_start,
            )
            .group_by("child_idx", "bucket_start", "week_start")
            .agg(
                present=code.is_in(PRESENT_CODES).sum().cast(pl.Int32),
                possible=code.is_in(POSSIBLE_CODES).sum().cast(pl.Int32),
                authorised=code.is_in(AUTHORISED_CODES).sum().cast(pl.Int32),
                unauthorised=code.is_in(UNAUTHORISED_CODES).sum().cast(pl.Int32),
                recorded=pl.len().cast(pl.Int32),
            )
            .sort("child_idx", "bucket_start")
        )
        days = rows.select(day.unique().sort())
        bucket_frame, day_frame = pl.collect_all([buckets, days])
        return bucket_frame, day_frame.get_column("date")

    def _attendance(self) -> tuple[pl.DataFrame, pl.Series]:
        with self._lock:
            cached = self.__dict__.get("_attendance_cache")
            if cached is None:
                cached = self._build_attendance()
                self.__dict__["_attendance_cache"] = cached
            return cached  # type: ignore[no-any-return]

    @property
    def attendance_buckets(self) -> pl.DataFrame:
        """Sessions per child per *bucket*: the days of one ISO week within one calendar month.

        Every census boundary (1 August, 1 January, Easter Monday) starts a bucket, so a year or term is a
        sum of whole buckets; other ranges add the partial buckets at their ends from the raw rows.
        """
        return self._attendance()[0]

    @property
    def school_days(self) -> pl.Series:
        """Every date with at least one recorded session, ascending."""
        return self._attendance()[1]

    @property
    def first_day(self) -> date:
        """The first date with a recorded session (or the snapshot date when there is none)."""
        days = self.school_days
        return days[0] if days.len() else self.snapshot_date  # type: ignore[no-any-return]

    def raw_attendance(self, start: date, end: date) -> pl.LazyFrame:
        """Raw sessions dated within [start, end], with child_idx, for the edges of custom periods."""
        ids = self.children.lazy().select("child_id", "child_idx")
        return (
            self.scan("attendance")
            .select("child_id", "date", "code")
            .filter(pl.col("date").is_between(start, end))
            .join(ids, on="child_id", how="inner")
            .drop("child_id")
        )


@dataclass(frozen=True)
class Refusal:
    """A snapshot folder that failed validation, with the validator's findings."""

    folder: Path
    summary: str
    problems: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SnapshotState:
    """What a root offers: the snapshot being served, the refused newer folders and every valid one."""

    root: Path
    current: Snapshot | None
    refused: tuple[Refusal, ...]
    valid_folders: tuple[Path, ...]


_loaded: OrderedDict[tuple[str, str], Snapshot] = OrderedDict()
_validated: dict[tuple[str, str], Refusal | None] = {}
_registry_lock = threading.Lock()


def _validation(folder: Path) -> Refusal | None:
    """Validate ``folder`` once per manifest version; None when valid."""
    from data_access.validate import validate_snapshot

    try:
        key = (str(folder.resolve()), manifest_digest(folder))
    except OSError:
        key = (str(folder), "no-manifest")
    with _registry_lock:
        if key in _validated:
            return _validated[key]
    result = validate_snapshot(folder)
    refusal = None
    if not result.ok:
        problems = tuple(result.to_dict().get("problems", ()))
        refusal = Refusal(folder, result.format(), problems)
    with _registry_lock:
        _validated[key] = refusal
    return refusal


def open_snapshot(folder: Path, *, validate: bool = True) -> Snapshot:
    """Load one snapshot folder (cached by path and manifest); raises ``SnapshotError`` when refused."""
    if validate:
        refusal = _validation(folder)
        if refusal is not None:
            raise SnapshotError(refusal.summary)
    try:
        key = (str(folder.resolve()), manifest_digest(folder))
        manifest = read_manifest(folder)
    except (OSError, ValueError) as error:
        raise SnapshotError(f"{folder}: the manifest cannot be read ({error})") from error
    with _registry_lock:
        snapshot = _loaded.get(key)
        if snapshot is None:
            snapshot = Snapshot(folder, manifest)
            _loaded[key] = snapshot
            while len(_loaded) > _CACHE_SIZE:
                _loaded.popitem(last=False)
        else:
            _loaded.move_to_end(key)
    return snapshot


def snapshot_state(root: Path | None = None) -> SnapshotState:
    """The newest valid snapshot under ``root`` and every newer folder that was refused."""
    root = root or snapshot_root()
    refused: list[Refusal] = []
    current: Snapshot | None = None
    valid: list[Path] = []
    for folder in snapshot_folders(root):
        refusal = _validation(folder)
        if refusal is not None:
            if current is None:
                refused.append(refusal)
            continue
        valid.append(folder)
        if current is None:
            try:
                current = open_snapshot(folder, validate=False)
            except SnapshotError as error:
                refused.append(Refusal(folder, str(error), ()))
    return SnapshotState(root, current, tuple(refused), tuple(valid))


def forget_cached(folder: Path | None = None) -> None:
    """Drop cached validations and loaded snapshots (all, or those of one folder); for tests and admin."""
    with _registry_lock:
        for store in (_loaded, _validated):
            for key in [k for k in store if folder is None or k[0] == str(folder.resolve())]:
                del store[key]
