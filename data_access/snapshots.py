"""Finding, validating and loading snapshots.

A snapshot root holds one folder per snapshot, named by its date. The newest folder that validates is the
current snapshot; newer folders that do not validate are reported as refused and never loaded. Loaded
snapshots are cached by id (date plus a digest of the manifest's checksums), and their heavy aggregates are
built once, on first use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from data_access.contract import (
    AUTHORISED_CODES,
    MANIFEST_NAME,
    POSSIBLE_CODES,
    PRESENT_CODES,
    TABLE_FILES,
    UNAUTHORISED_CODES,
)
from data_access.manifest import read_manifest, sha256_of
from data_access.settings import SNAPSHOT_ROOT, STATE_DIR

if TYPE_CHECKING:  # numpy and pyarrow are imported where the aggregate is built, not by `report` (issue 14)
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CACHE_SIZE: Final = 4
# Below this many attendance rows the plain polars build is quicker than the streamed one and not cached.
_SMALL_ATTENDANCE_ROWS: Final = 1_000_000


class SnapshotError(Exception):
    """A snapshot could not be used: refused by validation, or unreadable while being served."""


class ObjectPath:
    """A file or folder in object storage (``s3://bucket/prefix/...``, ``az://...``), read through pyarrow.fs.

    It offers the few ``pathlib.Path`` methods the data layer uses (``/``, ``name``, ``is_dir``, ``is_file``,
    ``iterdir``, ``read_bytes``, ``read_text``, ``open``, ``resolve``), so discovery, manifests and checksums
    work unchanged. S3 credentials come from the usual ``AWS_*`` variables, the endpoint from
    ``AWS_ENDPOINT_URL`` (an S3-compatible server, e.g. MinIO or a local test server).
    """

    def __init__(self, url: str, kind: str | None = None) -> None:
        self.url = url.rstrip("/")
        self._kind = kind  # "dir" or "file" when known from a listing

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"ObjectPath({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectPath) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __lt__(self, other: ObjectPath) -> bool:
        return self.url < other.url

    def __truediv__(self, name: str) -> ObjectPath:
        return ObjectPath(f"{self.url}/{name}")

    @property
    def name(self) -> str:
        """The last segment of the URL."""
        return self.url.rsplit("/", 1)[-1]

    @property
    def filesystem(self) -> Any:
        """The pyarrow filesystem and the path within it."""
        return _filesystem(self.url)

    def resolve(self) -> ObjectPath:
        """The URL itself (object storage has no relative paths)."""
        return self

    def _type(self) -> Any:
        import pyarrow.fs as pafs

        fs, path = self.filesystem
        return fs.get_file_info(path).type, pafs.FileType

    def is_dir(self) -> bool:
        """True when objects exist under this prefix."""
        if self._kind is not None:
            return self._kind == "dir"
        kind, types = self._type()
        return bool(kind == types.Directory)

    def is_file(self) -> bool:
        """True when an object exists at this URL."""
        if self._kind is not None:
            return self._kind == "file"
        kind, types = self._type()
        return bool(kind == types.File)

    def exists(self) -> bool:
        """True when a file or a folder exists here."""
        kind, types = self._type()
        return bool(kind != types.NotFound)

    def iterdir(self) -> list[ObjectPath]:
        """The files and folders directly under this prefix."""
        import pyarrow.fs as pafs

        fs, path = self.filesystem
        infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        directory = pafs.FileType.Directory
        return [ObjectPath(f"{self.url}/{i.base_name}", "dir" if i.type == directory else "file")
                for i in infos]  # fmt: skip

    def open(self, mode: str = "rb") -> Any:
        """A binary, seekable reader (a pyarrow ``NativeFile``); only reading is supported."""
        if mode != "rb":
            raise ValueError("object-storage snapshots are read-only here")
        fs, path = self.filesystem
        return fs.open_input_file(path)

    def read_bytes(self) -> bytes:
        """The whole object."""
        with self.open() as handle:
            return bytes(handle.read())

    def read_text(self, encoding: str = "utf-8") -> str:
        """The whole object as text."""
        return self.read_bytes().decode(encoding)


Folder = Path | ObjectPath
"""A snapshot root or folder: a local path, or an object-storage URL."""


def is_url(location: str | Path | ObjectPath) -> bool:
    """True for an object-storage URL such as ``s3://bucket/prefix``."""
    return isinstance(location, ObjectPath) or "://" in str(location)


def as_folder(location: str | Path | ObjectPath) -> Folder:
    """A local ``Path``, or an ``ObjectPath`` for a URL."""
    if isinstance(location, Path | ObjectPath):
        return location
    return ObjectPath(location) if is_url(location) else Path(location)


def _filesystem(url: str) -> tuple[Any, str]:
    """The pyarrow filesystem for ``url`` and the path within it (S3 honours ``AWS_ENDPOINT_URL``)."""
    import pyarrow.fs as pafs

    scheme, _, rest = url.partition("://")
    if scheme in ("s3", "s3a"):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        options: dict[str, Any] = {}
        if endpoint:
            endpoint_scheme, _, host = endpoint.partition("://")
            options = {"endpoint_override": host or endpoint, "scheme": endpoint_scheme if host else "https"}
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            options["region"] = region
        return pafs.S3FileSystem(**options), rest
    fs, path = pafs.FileSystem.from_uri(url)
    return fs, path


def storage_options(url: str) -> dict[str, str] | None:
    """polars' ``storage_options`` for ``url``: the endpoint (and plain HTTP for a local test server)."""
    if not url.startswith(("s3://", "s3a://")):
        return None
    options: dict[str, str] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["aws_endpoint_url"] = endpoint
        if endpoint.startswith("http://"):
            options["aws_allow_http"] = "true"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["aws_region"] = region
    return options or None


def snapshot_root() -> Folder:
    """The snapshot root in force (``IMPACT_SNAPSHOT_ROOT``, default ``data/snapshots``; may be a URL)."""
    return as_folder(SNAPSHOT_ROOT.get())


def snapshot_folders(root: Folder) -> list[Folder]:
    """Dated snapshot folders under ``root``, newest first (hidden and temporary folders are ignored)."""
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and _DATED.match(p.name)), reverse=True)


def manifest_digest(folder: Folder) -> str:
    """A short digest of the manifest file's bytes: changes whenever any file's checksum changes."""
    return hashlib.sha256((folder / MANIFEST_NAME).read_bytes()).hexdigest()[:12]


class Snapshot:
    """One loaded snapshot. Small tables are read eagerly; attendance is scanned lazily and aggregated once."""

    def __init__(self, folder: Folder, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.snapshot_date: date = date.fromisoformat(str(manifest["snapshot_date"]))
        digest = hashlib.sha256(json.dumps(manifest.get("files", {}), sort_keys=True).encode()).hexdigest()[
            :12
        ]
        self.id = f"{self.snapshot_date.isoformat()}-{digest}"
        self._lock = threading.Lock()

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
        folder = cache_folder(Path(STATE_DIR.get()), self.id)
        cached = read_cached(folder)
        if cached is not None:
            return cached
        path = self.path_of("attendance")
        if not isinstance(path, ObjectPath) and (
            pl.scan_parquet(path).select(pl.len()).collect().item() < _SMALL_ATTENDANCE_ROWS
        ):  # the row count from the file's metadata, without importing pyarrow (issue 14)
            built = self._build_attendance_polars()
            write_cached(folder, *built)  # a later process (e.g. `report`) reads it instead of rebuilding
            return built
        import pyarrow.parquet as pq

        source = path.open() if isinstance(path, ObjectPath) else path
        parquet = pq.ParquetFile(source, read_dictionary=["child_id", "code"])
        if parquet.metadata.num_rows < _SMALL_ATTENDANCE_ROWS:
            built = self._build_attendance_polars()
        else:
            built = build_buckets(parquet, self.children.get_column("child_id"))
            write_cached(folder, *built)
        return built

    def _build_attendance_polars(self) -> tuple[pl.DataFrame, pl.Series]:
        """The aggregate's definition in polars (used for small snapshots, and as the reference in tests)."""
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

CACHE_VERSION: Final = "v1"
"""Part of the cached file names: bump it when the aggregate's shape or meaning changes."""
BUCKET_SCHEMA: Final = {
    "child_idx": pl.UInt32,
    "bucket_start": pl.Date,
    "week_start": pl.Date,
    "present": pl.Int32,
    "possible": pl.Int32,
    "authorised": pl.Int32,
    "unauthorised": pl.Int32,
    "recorded": pl.Int32,
}
_EPOCH: Final = date(1970, 1, 1)
_PRESENT, _AUTHORISED, _UNAUTHORISED, _OTHER = 0, 1, 2, 3
_CATEGORY_OF: Final = (
    dict.fromkeys(PRESENT_CODES, _PRESENT)
    | dict.fromkeys(AUTHORISED_CODES, _AUTHORISED)
    | dict.fromkeys(UNAUTHORISED_CODES, _UNAUTHORISED)
)
# Largest dense partial count per row group before falling back to a sort-based count (unsorted files).
_MAX_DENSE_SPAN: Final = 1 << 23


def _epoch_day(day: date) -> int:
    return (day - _EPOCH).days


def _bucket_start(day: date) -> date:
    """The first day of ``day``'s bucket: the later of its ISO week's Monday and its month's first day."""
    return max(day - timedelta(days=day.weekday()), day.replace(day=1))


def _date_range(parquet: pq.ParquetFile, column: int) -> tuple[int, int] | None:
    """The (min, max) epoch day of the date column from row-group statistics, or None when unknown."""
    low: int | None = None
    high: int | None = None
    for index in range(parquet.metadata.num_row_groups):
        group = parquet.metadata.row_group(index)
        if group.num_rows == 0:
            continue
        stats = group.column(column).statistics
        if stats is None or not stats.has_min_max:
            return None
        lo, hi = _epoch_day(stats.min), _epoch_day(stats.max)
        low = lo if low is None else min(low, lo)
        high = hi if high is None else max(high, hi)
    return None if low is None or high is None else (low, high)


def build_buckets(parquet: pq.ParquetFile, child_ids: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
    """Sessions per child per bucket, and every date with a recorded session, from ``attendance.parquet``.

    Args:
        parquet: the attendance file opened with ``read_dictionary=["child_id", "code"]``.
        child_ids: the snapshot's child_id values sorted ascending (position = child_idx); rows of other
            children are dropped, like the inner join of the polars definition.

    Returns:
        The bucket frame (``BUCKET_SCHEMA``, sorted by child_idx then bucket_start) and the school days.
    """
    import numpy as np
    import pyarrow.compute as pc

    names = parquet.schema_arrow.names
    date_column = names.index("date")
    span = _date_range(parquet, date_column)
    if span is None:  # no statistics: one cheap pass over the date column alone
        days_only = parquet.read(columns=["date"]).column("date")
        if len(days_only) == days_only.null_count:
            span = None
        else:
            bounds = pc.min_max(days_only)
            span = (_epoch_day(bounds["min"].as_py()), _epoch_day(bounds["max"].as_py()))
    empty_days = pl.Series("date", [], dtype=pl.Date)
    if span is None:
        return pl.DataFrame(schema=BUCKET_SCHEMA), empty_days
    first, last = span
    calendar = [_EPOCH + timedelta(days=d) for d in range(first, last + 1)]
    starts = sorted({_bucket_start(d) for d in calendar})
    bucket_index = {start: i for i, start in enumerate(starts)}
    bucket_of_day = np.array([bucket_index[_bucket_start(d)] for d in calendar], dtype=np.int64)
    buckets = len(starts)
    children = child_ids.len()
    counts = np.zeros(children * buckets * 4, dtype=np.uint16)
    seen_day = np.zeros(last - first + 1, dtype=bool)
    index_of_child = pl.DataFrame({"child_id": child_ids}).with_row_index("child_idx")

    for group in range(parquet.metadata.num_row_groups):
        table = parquet.read_row_group(group, columns=["child_id", "date", "code"])
        for child_chunk, day_chunk, code_chunk in zip(
            table.column("child_id").chunks,
            table.column("date").chunks,
            table.column("code").chunks,
            strict=True,
        ):
            _count_chunk(child_chunk, day_chunk, code_chunk, index_of_child, first, bucket_of_day, buckets,
                         counts, seen_day)  # fmt: skip

    dense = counts.reshape(children, buckets, 4)
    recorded = dense.sum(axis=2, dtype=np.int32)
    child_idx, bucket = np.nonzero(recorded)  # C order: by child, then bucket (= bucket_start order)
    cells = dense[child_idx, bucket].astype(np.int32)
    bucket_starts = np.array([_epoch_day(s) for s in starts], dtype=np.int32)
    week_starts = np.array([_epoch_day(s - timedelta(days=s.weekday())) for s in starts], dtype=np.int32)
    frame = pl.DataFrame(
        {
            "child_idx": child_idx.astype(np.uint32),
            "bucket_start": pl.Series(bucket_starts[bucket]).cast(pl.Date),
            "week_start": pl.Series(week_starts[bucket]).cast(pl.Date),
            "present": cells[:, _PRESENT],
            "possible": cells[:, _PRESENT] + cells[:, _AUTHORISED] + cells[:, _UNAUTHORISED],
            "authorised": cells[:, _AUTHORISED],
            "unauthorised": cells[:, _UNAUTHORISED],
            "recorded": recorded[child_idx, bucket],
        }
    ).cast(BUCKET_SCHEMA)  # type: ignore[arg-type]
    days = pl.Series("date", np.flatnonzero(seen_day).astype(np.int32) + first).cast(pl.Date)
    return frame, days


def _indices(array: pa.Array) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any] | None]:
    """Dictionary indices of ``array`` as int64 (nulls as 0) and a mask of valid rows (None when no nulls)."""
    import numpy as np

    if array.null_count:
        valid = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        return np.asarray(array.indices.fill_null(0).to_numpy(), dtype=np.int64), valid
    return np.asarray(array.indices.to_numpy(), dtype=np.int64), None


def _count_chunk(
    child_chunk: pa.Array,
    day_chunk: pa.Array,
    code_chunk: pa.Array,
    index_of_child: pl.DataFrame,
    first: int,
    bucket_of_day: np.ndarray[Any, Any],
    buckets: int,
    counts: np.ndarray[Any, Any],
    seen_day: np.ndarray[Any, Any],
) -> None:
    """Add one chunk's sessions to ``counts`` (child × bucket × category) and mark its days in ``seen_day``."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_dictionary(child_chunk.type):
        child_chunk = child_chunk.dictionary_encode()
    if not pa.types.is_dictionary(code_chunk.type):
        code_chunk = code_chunk.dictionary_encode()
    # child_id dictionary -> child_idx (-1 for ids not in children: dropped like the inner join)
    names = pl.Series("child_id", child_chunk.dictionary.cast(pa.large_string()))
    lookup = (
        pl.DataFrame({"child_id": names})
        .join(index_of_child, on="child_id", how="left", maintain_order="left")
        .get_column("child_idx")
        .cast(pl.Int64)
        .fill_null(-1)
        .to_numpy()
    )
    child_rows, child_valid = _indices(child_chunk)
    child_idx = lookup[child_rows] if len(lookup) else np.full(len(child_rows), -1, dtype=np.int64)
    category_of_code = [_CATEGORY_OF.get(code, _OTHER) for code in code_chunk.dictionary.to_pylist()]
    categories = np.array(category_of_code, dtype=np.int64)
    code_rows, code_valid = _indices(code_chunk)
    category = categories[code_rows] if len(categories) else np.full(len(code_rows), _OTHER, dtype=np.int64)
    if code_valid is not None:
        category[~code_valid] = _OTHER  # a null code is recorded but neither present nor possible
    days = np.asarray(day_chunk.cast(pa.int32()).fill_null(first).to_numpy(), dtype=np.int64) - first
    keep = child_idx >= 0
    if child_valid is not None:
        keep &= child_valid
    if day_chunk.null_count:
        keep &= np.asarray(day_chunk.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if not keep.all():
        child_idx, category, days = child_idx[keep], category[keep], days[keep]
    if not len(days):
        return
    seen_day[days] = True
    key = (child_idx * buckets + bucket_of_day[days]) * 4 + category
    low, high = int(key.min()), int(key.max())
    if high - low < _MAX_DENSE_SPAN:
        partial = np.bincount(key - low, minlength=high - low + 1)
        counts[low : high + 1] += partial.astype(np.uint16)
    else:  # rows not ordered by child: count the distinct keys instead of a huge dense range
        unique, times = np.unique(key, return_counts=True)
        counts[unique] += times.astype(np.uint16)


# --- on-disk cache -----------------------------------------------------------------------------------


def cache_folder(state_dir: Path, snapshot_id: str) -> Path:
    """Where one snapshot's derived files live: ``<state dir>/cache/<snapshot id>/``."""
    return state_dir / "cache" / snapshot_id


def read_cached(folder: Path) -> tuple[pl.DataFrame, pl.Series] | None:
    """The persisted aggregate and school days, or None when absent or unreadable (then it is rebuilt)."""
    buckets_file = folder / f"attendance_buckets.{CACHE_VERSION}.parquet"
    days_file = folder / f"school_days.{CACHE_VERSION}.parquet"
    if not (buckets_file.is_file() and days_file.is_file()):
        return None
    try:
        frame = pl.read_parquet(buckets_file)
        days = pl.read_parquet(days_file).get_column("date")
    except (OSError, pl.exceptions.PolarsError):
        return None
    if dict(frame.schema) != BUCKET_SCHEMA or days.dtype != pl.Date:
        return None
    return frame, days


def write_cached(folder: Path, frame: pl.DataFrame, days: pl.Series) -> None:
    """Persist the aggregate atomically (temporary file, then rename); failures are ignored (cache only)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in (
            (f"school_days.{CACHE_VERSION}.parquet", days.to_frame("date")),
            (f"attendance_buckets.{CACHE_VERSION}.parquet", frame),
        ):
            handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
            os.close(handle)
            try:
                data.write_parquet(temporary, compression="zstd", compression_level=1, statistics=False)
                os.replace(temporary, folder / name)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
    except OSError:
        return


@dataclass(frozen=True)
class Refusal:
    """A snapshot folder that failed validation, with the validator's findings."""

    folder: Folder
    summary: str
    problems: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SnapshotState:
    """What a root offers: the snapshot being served, the refused newer folders and every valid one."""

    root: Folder
    current: Snapshot | None
    refused: tuple[Refusal, ...]
    valid_folders: tuple[Folder, ...]


_loaded: OrderedDict[tuple[str, str], Snapshot] = OrderedDict()
_validated: dict[tuple[str, str], Refusal | None] = {}
_registry_lock = threading.Lock()


def _validator_digest() -> str:
    """A digest of the validator's and the contract's source: a marker from another validator is not trusted."""
    spec = importlib.util.find_spec("data_access.validate")  # its file, without importing it (and pyarrow)
    validator_file = spec.origin if spec is not None and spec.origin else "data_access/validate.py"
    digest = hashlib.sha256()
    for module in (validator_file, __file__.replace("snapshots.py", "contract.py")):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:16]


def _validation_marker(folder: Folder) -> tuple[Path, dict[str, str]]:
    """Where the "validated" marker of ``folder`` lives, and what it must say to be trusted."""
    manifest_sha = hashlib.sha256((folder / MANIFEST_NAME).read_bytes()).hexdigest()
    expected = {"folder": folder.name, "manifest_sha256": manifest_sha, "validator": _validator_digest()}
    marker = cache_folder(Path(STATE_DIR.get()), f"{folder.name}-{manifest_sha[:12]}") / "validated.json"
    return marker, expected


def _validated_before(folder: Folder) -> bool:
    """True when this validator passed these exact bytes before (in any process): the marker matches and
    every file listed in the manifest still has its checksum, so the row rules need not be run again.

    Identical bytes give an identical validation result, so this is the same answer, minus the row scans.
    """
    try:
        marker, expected = _validation_marker(folder)
        if json.loads(marker.read_text(encoding="utf-8")) != expected:
            return False
        files = read_manifest(folder)["files"]  # type: ignore[arg-type]
        return all(sha256_of(folder / name) == entry["sha256"] for name, entry in files.items())
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
            from data_access.validate import validate_snapshot  # only when it must run (it imports pyarrow)

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
            snapshot = Snapshot(folder, manifest)
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
    current: Snapshot | None = None
    valid: list[Folder] = []
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


def forget_cached(folder: Folder | None = None) -> None:
    """Drop cached validations and loaded snapshots (all, or those of one folder); for tests and admin."""
    with _registry_lock:
        for store in (_loaded, _validated):
            for key in [k for k in store if folder is None or k[0] == str(folder.resolve())]:
                del store[key]
