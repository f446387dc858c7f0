"""The attendance aggregate of a snapshot: sessions per child per bucket, built once and kept on disk.

The bucket rule (one ISO week within one calendar month) is ``data_access.attendance``'s; this module only
builds the per-child bucket counts from ``attendance.parquet`` (a streamed numpy pass for large files, the
polars definition ``build_polars`` for small ones and as the reference in tests) and caches them under the
state directory, keyed by the snapshot id.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from data_access.attendance import bucket_start, bucket_start_expr, week_start_expr
from data_access.contract import AUTHORISED_CODES, POSSIBLE_CODES, PRESENT_CODES, UNAUTHORISED_CODES

if TYPE_CHECKING:  # numpy and pyarrow are imported where the streamed build runs, not by `report` (issue 14)
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

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
    starts = sorted({bucket_start(d) for d in calendar})
    bucket_index = {start: i for i, start in enumerate(starts)}
    bucket_of_day = np.array([bucket_index[bucket_start(d)] for d in calendar], dtype=np.int64)
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
            _count_chunk(
                child_chunk,
                day_chunk,
                code_chunk,
                index_of_child,
                first,
                bucket_of_day,
                buckets,
                counts,
                seen_day,
            )

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


def build_polars(rows: pl.LazyFrame, ids: pl.LazyFrame) -> tuple[pl.DataFrame, pl.Series]:
    """The aggregate's definition in polars, from the raw sessions (child_id, date, code) and child ids."""
    code = pl.col("code")
    day = pl.col("date")
    buckets = (
        rows.join(ids, on="child_id", how="inner")
        .with_columns(bucket_start=bucket_start_expr(day), week_start=week_start_expr(day))
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


# --- on-disk cache -----------------------------------------------------------------------------------


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
