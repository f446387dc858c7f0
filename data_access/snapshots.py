"""The registry of snapshots: discovery, validation (with markers that outlive the process) and the served state.

A snapshot root holds one folder per snapshot, named by its date. The newest folder that validates is the
current snapshot; newer folders that do not validate are reported as refused and never loaded. Loaded
snapshots are cached by id (date plus ``storage.manifest_digest``), and their attendance aggregate is built
once, on first use (``data_access.aggregate``).

Validation markers. A folder that validated is remembered in ``<state dir>/cache/<date>-<digest>/validated.json``
with the manifest digest, a digest of the validator's and contract's source, and each listed file's size and
modification time (``storage.file_stamp``). A new process trusts a marker whose manifest digest, validator
digest and every file's size and mtime still match, without reading the files again: re-hashing every file of
every snapshot made start-up grow with the number of snapshots. Size plus mtime is the check ``make`` and
``rsync`` rely on: replacing or rewriting a file changes its mtime (and usually its size), and the manifest
digest catches any republished manifest. A change that keeps both (a deliberate ``touch -d`` after editing in
place) is not seen here; it is seen by any read that fails while the snapshot is served, which evicts it.

Storage (local folders and object storage) lives in ``data_access.storage`` and is re-exported here for the
callers that find snapshots and open them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import polars as pl

from data_access.contract import MANIFEST_NAME, TABLE_FILES
from data_access.manifest import read_manifest
from data_access.settings import STATE_DIR
from data_access.storage import (
    Folder,
    ObjectPath,
    as_folder,
    cache_folder,
    file_stamp,
    is_url,
    manifest_digest,
    snapshot_folders,
    snapshot_root,
    storage_options,
)

__all__ = [
    "Folder",
    "ObjectPath",
    "Refusal",
    "Snapshot",
    "SnapshotError",
    "SnapshotState",
    "as_folder",
    "forget_cached",
    "is_url",
    "manifest_digest",
    "open_snapshot",
    "snapshot_folders",
    "snapshot_root",
    "snapshot_state",
]
_CACHE_SIZE: Final = 4
# Below this many attendance rows the plain polars build is quicker than the streamed one and not cached.
_SMALL_ATTENDANCE_ROWS: Final = 1_000_000


class SnapshotError(Exception):
    """A snapshot could not be used: refused by validation, or unreadable while being served."""


class Snapshot:
    """One loaded snapshot. Small tables are read eagerly; attendance is scanned lazily and aggregated once."""

    def __init__(self, folder: Folder, manifest: dict[str, Any], digest: str) -> None:
        self.folder = folder
        self.manifest = manifest
        self.snapshot_date: date = date.fromisoformat(str(manifest["snapshot_date"]))
        self.id = f"{self.snapshot_date.isoformat()}-{digest}"
        self._digest = digest
        self._stamps = self._file_stamps()
        self._lock = threading.Lock()

    def _file_stamps(self) -> dict[str, tuple[int, int]] | None:
        try:
            return {name: file_stamp(self.folder / name) for name in TABLE_FILES.values()}
        except OSError:
            return None

    def unchanged(self) -> bool:
        """True when the manifest and every table file are still as they were when the snapshot was opened.

        A failure while computing a figure of an unchanged snapshot is a fault in the code, not in the data.
        """
        try:
            return manifest_digest(self.folder) == self._digest and self._file_stamps() == self._stamps
        except OSError:
            return False

    def __repr__(self) -> str:
        return f"Snapshot({self.id!r}, {str(self.folder)!r})"

    def path_of(self, table: str) -> Folder:
        """The Parquet file of ``table``."""
        return self.folder / TABLE_FILES[table]

    def scan(self, table: str) -> pl.LazyFrame:
        """A lazy scan of ``table`` (predicate and projection push-down happen in polars, also over s3://)."""
        path = self.path_of(table)
        if isinstance(path, ObjectPath):
            return pl.scan_parquet(path.url, storage_options=storage_options(path.url))
        return pl.scan_parquet(path)

    @cached_property
    def schools(self) -> pl.DataFrame:
        """Schools in school_id order."""
        return (
            self.scan("schools")
            .select("school_id", "school_name", "township", "phase")
            .sort("school_id")
            .collect()
        )

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
        return (
            self.scan(table).select(columns).join(ids, on="child_id", how="inner").drop("child_id").collect()
        )

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
        """The aggregate from the on-disk cache when a process built it before, else built and persisted."""
        # numpy and pyarrow are imported only for the streamed build, not at module level: `report` imports
        # this module, and a later `report` reads the persisted aggregate instead (issue 14).
        from data_access.aggregate import read_cached, write_cached

        if (
            not self.unchanged()
        ):  # the persisted aggregate stands for the files as validated, not as they are now
            raise FileNotFoundError(
                f"{self.folder}: a file changed or went missing since the snapshot was opened"
            )
        folder = cache_folder(Path(STATE_DIR.get()), self.id)
        cached = read_cached(folder)
        if cached is not None:
            return cached
        path = self.path_of("attendance")
        if not isinstance(path, ObjectPath) and (
            pl.scan_parquet(path).select(pl.len()).collect().item() < _SMALL_ATTENDANCE_ROWS
        ):  # the row count from the file's metadata, without importing pyarrow
            built = self._build_attendance_polars()
            write_cached(folder, *built)
            return built
        import pyarrow.parquet as pq

        from data_access.aggregate import build_buckets

        source = path.open() if isinstance(path, ObjectPath) else path
        parquet = pq.ParquetFile(source, read_dictionary=["child_id", "code"])
        if parquet.metadata.num_rows < _SMALL_ATTENDANCE_ROWS:
            built = self._build_attendance_polars()
        else:
            built = build_buckets(parquet, self.children.get_column("child_id"))
            write_cached(folder, *built)
        return built

    def _build_attendance_polars(self) -> tuple[pl.DataFrame, pl.Series]:
        """The aggregate by its polars definition (small snapshots, and the reference in tests)."""
        from data_access.aggregate import build_polars

        ids = self.children.lazy().select("child_id", "child_idx")
        return build_polars(self.scan("attendance").select("child_id", "date", "code"), ids)

    def _attendance(self) -> tuple[pl.DataFrame, pl.Series]:
        with self._lock:
            cached = self.__dict__.get("_attendance_cache")
            if cached is None:
                cached = self._build_attendance()
                self.__dict__["_attendance_cache"] = cached
            return cached

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
        return days[0] if days.len() else self.snapshot_date

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


# --- the attendance aggregate, built in one streamed pass and kept on disk ------------------------------


@dataclass(frozen=True)
class Refusal:
    """A snapshot folder that failed validation, with the validator's findings."""

    folder: Folder
    summary: str
    problems: tuple[dict[str, Any], ...]

    @property
    def rules_text(self) -> str:
        """``3 broken rules`` from the validator's findings (``see below`` when the folder could not be opened)."""
        count = len(self.problems)
        return f"{count} broken rule{'s' if count != 1 else ''}" if count else "see below"


@dataclass(frozen=True)
class SnapshotState:
    """What a root offers: the snapshot being served, the refused newer folders and every valid one.

    ``refused`` holds the refused folders newer than the served one (the banner); ``every_refusal`` every
    refused folder, newest first (the Snapshots page lists them without validating again).
    """

    root: Folder
    current: Snapshot | None
    refused: tuple[Refusal, ...]
    valid_folders: tuple[Folder, ...]
    every_refusal: tuple[Refusal, ...] = ()


_loaded: OrderedDict[tuple[str, str], Snapshot] = OrderedDict()
_validated: dict[tuple[str, str], Refusal | None] = {}
_registry_lock = threading.Lock()


def _validator_digest() -> str:
    """A digest of the validator's and the contract's source: a marker from another validator is not trusted."""
    # The modules' files are found without importing them: the validator pulls in pyarrow, which a `report` of an
    # already-validated snapshot must not pay for (issue 14).
    digest = hashlib.sha256()
    for name in ("validate", "validate_tables", "findings", "contract"):
        spec = importlib.util.find_spec(f"data_access.{name}")
        if spec is None or spec.origin is None:
            raise OSError(f"data_access.{name} cannot be found")
        digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()[:16]


def _listed_files(folder: Folder) -> list[str]:
    """The files the manifest lists (read again: the marker must describe what the manifest says now)."""
    files = read_manifest(folder)["files"]  # type: ignore[arg-type]  # ObjectPath offers what it uses
    return sorted(files)


def _validation_marker(folder: Folder) -> tuple[Path, dict[str, Any]]:
    """Where the "validated" marker of ``folder`` lives, and what it must say to be trusted."""
    digest = manifest_digest(folder)
    stamps = {name: list(file_stamp(folder / name)) for name in _listed_files(folder)}
    expected = {"folder": folder.name, "manifest": digest, "validator": _validator_digest(), "files": stamps}
    marker = cache_folder(Path(STATE_DIR.get()), f"{folder.name}-{digest}") / "validated.json"
    return marker, expected


def _validated_before(folder: Folder) -> bool:
    """True when this validator passed this manifest before (in any process) and every listed file still has
    the size and modification time it had then, so the validation need not run again (module docstring)."""
    try:
        marker, expected = _validation_marker(folder)
        return bool(json.loads(marker.read_text(encoding="utf-8")) == expected)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _remember_valid(folder: Folder) -> None:
    """Write the "validated" marker atomically; a failure only means the next process validates again."""
    try:
        marker, expected = _validation_marker(folder)
        marker.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".validated.", dir=marker.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(expected, out)
        os.replace(temporary, marker)
    except OSError:
        return


def _validate_object_folder(folder: ObjectPath) -> tuple[bool, str, tuple[dict[str, Any], ...]]:
    """Validate a snapshot in object storage: download its manifest and files into a temporary folder of the
    same name and run the full validator there (it reads local files), naming the URL in its findings.

    Only the manifest and the files it lists (plus the required ones) are fetched. This runs once per
    manifest version; afterwards the "validated" marker and a streamed checksum check stand in for it.
    """
    from data_access.validate import validate_snapshot

    with tempfile.TemporaryDirectory(prefix="snapshot-") as temporary:
        local = Path(temporary) / folder.name
        local.mkdir()
        names = {MANIFEST_NAME, *TABLE_FILES.values()}
        try:
            listed = json.loads((folder / MANIFEST_NAME).read_text()).get("files", {})
            if isinstance(listed, dict):
                plain = (n for n in listed if isinstance(n, str) and n and "/" not in n)
                names |= {n for n in plain if n not in (".", "..")}
        except (OSError, ValueError, AttributeError):
            pass
        for name in sorted(names):
            source = folder / name
            try:
                with source.open() as reader, (local / name).open("wb") as writer:
                    for block in iter(lambda r=reader: r.read(1 << 22), b""):  # type: ignore[misc]
                        writer.write(block)
            except (OSError, FileNotFoundError):
                continue  # a missing file is reported by the validator
        result = validate_snapshot(local)
        summary = result.format().replace(str(local), folder.url)
        problems = tuple(problem.to_dict() for problem in result.problems)
    return result.ok, summary, problems


def _validation(folder: Folder) -> Refusal | None:
    """Validate ``folder`` once per manifest version; None when valid."""
    try:
        key = (str(folder.resolve()), manifest_digest(folder))
    except OSError:
        key = (str(folder), "no-manifest")
    with _registry_lock:
        if key in _validated:
            return _validated[key]
    refusal = None
    if not _validated_before(folder):
        if isinstance(folder, ObjectPath):
            ok, summary, problems = _validate_object_folder(folder)
        else:
            from data_access.validate import validate_snapshot

            result = validate_snapshot(folder)
            ok, summary = result.ok, result.format()
            problems = tuple(problem.to_dict() for problem in result.problems)
        if ok:
            _remember_valid(folder)
        else:
            refusal = Refusal(folder, summary, problems)
    with _registry_lock:
        _validated[key] = refusal
    return refusal


def open_snapshot(folder: Folder | str, *, validate: bool = True) -> Snapshot:
    """Load one snapshot folder (cached by path and manifest); raises ``SnapshotError`` when refused."""
    folder = as_folder(folder)
    if validate:
        refusal = _validation(folder)
        if refusal is not None:
            raise SnapshotError(refusal.summary)
    try:
        key = (str(folder.resolve()), manifest_digest(folder))
        manifest = read_manifest(folder)  # type: ignore[arg-type]  # ObjectPath offers what it uses
    except (OSError, ValueError) as error:
        raise SnapshotError(f"{folder}: the manifest cannot be read ({error})") from error
    with _registry_lock:
        snapshot = _loaded.get(key)
        if snapshot is None:
            snapshot = Snapshot(folder, manifest, key[1])
            _loaded[key] = snapshot
            while len(_loaded) > _CACHE_SIZE:
                _loaded.popitem(last=False)
        else:
            _loaded.move_to_end(key)
    return snapshot


def snapshot_state(root: Folder | str | None = None) -> SnapshotState:
    """The newest valid snapshot under ``root`` and every newer folder that was refused."""
    root = as_folder(root) if root else snapshot_root()
    refused: list[Refusal] = []
    every: list[Refusal] = []
    current: Snapshot | None = None
    valid: list[Folder] = []
    for folder in snapshot_folders(root):
        refusal = _validation(folder)
        if refusal is not None:
            every.append(refusal)
            if current is None:
                refused.append(refusal)
            continue
        valid.append(folder)
        if current is None:
            try:
                current = open_snapshot(folder, validate=False)
            except SnapshotError as error:
                refused.append(Refusal(folder, str(error), ()))
                every.append(refused[-1])
    return SnapshotState(root, current, tuple(refused), tuple(valid), tuple(every))


def forget_cached(folder: Folder | None = None) -> None:
    """Drop cached validations and loaded snapshots (all, or those of one folder); for tests and admin."""
    with _registry_lock:
        for store in (_loaded, _validated):
            for key in [k for k in store if folder is None or k[0] == str(folder.resolve())]:
                del store[key]
