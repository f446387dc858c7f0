"""Attendance: the session buckets and every attendance figure's raw counts (contract section 4.1).

This module owns the *bucket* rule: attendance is aggregated per child per bucket, the days of one ISO week
within one calendar month (a bucket starts on a Monday or on the 1st of a month). Every census boundary
(1 August, 1 January, Easter Monday) starts a bucket, so a year or a term is a sum of whole buckets; a custom
range adds the partial buckets at its ends from the raw sessions. The snapshot aggregate
(``data_access.aggregate``) builds the buckets with ``bucket_start``; ``period_buckets`` and
``attendance_by_child`` read them. Nothing here is shown: the trend functions return ``RawTable``s that
``data_access.views`` discloses under the viewer's policy.

Definitions used here beyond contract section 4 (stated on the pages, written once in the figure registry):

- **Weekly attendance rate**: for the children in scope for the period, present ÷ possible sessions in each
  week (Monday to Sunday) of the period. Children = children with at least one possible session that week.
- **Baseline year**: for the same children, the school weeks lying wholly within the 12 months before each
  child's enrolment date, aligned on the week of the academic year (week 0 is the week holding 1 August),
  so the first week of September of the baseline sits under the first week of September of the period.
- **Attendance around enrolment**: for the same children, present ÷ possible sessions per calendar month
  counted from the month of enrolment (month 0, which holds days both sides of the enrolment date), from 12
  months before to 12 months after, over every session on record (not only those within the period).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

import polars as pl

from data_access.cellkey import KEY_SUFFIX, RECORD_KEY, cell_key_expr, has_record_keys
from data_access.contract import AUTHORISED_CODES, POSSIBLE_CODES, PRESENT_CODES, UNAUTHORISED_CODES
from data_access.disclosure import FigureSpec, RawTable
from data_access.enrolment import children_in_scope
from data_access.filters import Filters
from data_access.periods import Period, mondays
from data_access.registry import spec
from data_access.uncertainty import WITH_SESSIONS, ratio_products, ratio_sums

if TYPE_CHECKING:
    from data_access.snapshots import Snapshot

SESSION_COLUMNS: Final = ("present", "possible", "authorised", "unauthorised")
ATTENDANCE_COLUMNS: Final = SESSION_COLUMNS
THIS_PERIOD: Final = "Selected period"
BASELINE: Final = "Baseline: 12 months before enrolment"
BASELINE_MONTHS: Final = 12
AROUND_ENROLMENT_MONTHS: Final = 12

RATE_SPEC: Final = spec("attendance_rate")
# Children behind a point of a trend: those with at least one possible session there (not children in scope).
CHILDREN_WITH_SESSIONS_SPEC: Final = FigureSpec("children_with_sessions", "count", "children")
ABSENCE_SPECS: Final = (spec("authorised_absence_rate"), spec("unauthorised_absence_rate"))


# ------------------------------------------------------------------------------------------------ buckets


def is_bucket_start(day: date) -> bool:
    """True when a bucket (one ISO week within one month) starts on ``day``: a Monday or a 1st."""
    return day.weekday() == 0 or day.day == 1


def bucket_start(day: date) -> date:
    """The first day of ``day``'s bucket: the later of its ISO week's Monday and its month's first day."""
    return max(day - timedelta(days=day.weekday()), day.replace(day=1))


def bucket_start_expr(day: pl.Expr) -> pl.Expr:
    """``bucket_start`` as a polars expression."""
    return pl.max_horizontal(week_start_expr(day), day.dt.truncate("1mo"))


def week_start_expr(day: pl.Expr) -> pl.Expr:
    """The Monday of ``day``'s ISO week."""
    return day - pl.duration(days=day.dt.weekday() - 1)


def next_bucket_start(day: date) -> date:
    """The first bucket start on or after ``day``."""
    while not is_bucket_start(day):
        day += timedelta(days=1)
    return day


def previous_bucket_start(day: date) -> date:
    """The last bucket start on or before ``day``."""
    while not is_bucket_start(day):
        day -= timedelta(days=1)
    return day


def _nothing(keys: dict[str, pl.DataType | type[pl.DataType]], specs: Sequence[FigureSpec]) -> RawTable:
    """A table with nothing to show (no child in scope, no week with a session)."""
    return RawTable(pl.DataFrame(), tuple(keys), tuple(specs), empty_schema=dict(keys))


def _whole_and_edges(period: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole buckets of ``period`` (first start, last start) if any, and the partial days at its ends."""
    first_whole = next_bucket_start(period.start)
    after_last_whole = previous_bucket_start(period.end + timedelta(days=1))
    if first_whole < after_last_whole:
        edges = [(period.start, first_whole - timedelta(days=1)), (after_last_whole, period.end)]
        return (first_whole, after_last_whole - timedelta(days=1)), [(s, e) for s, e in edges if s <= e]
    return None, [(period.start, period.end)]


def _raw_counts(rows: pl.LazyFrame) -> pl.LazyFrame:
    code = pl.col("code")
    return rows.group_by("child_idx").agg(
        present=code.is_in(PRESENT_CODES).sum().cast(pl.Int64),
        possible=code.is_in(POSSIBLE_CODES).sum().cast(pl.Int64),
        authorised=code.is_in(AUTHORISED_CODES).sum().cast(pl.Int64),
        unauthorised=code.is_in(UNAUTHORISED_CODES).sum().cast(pl.Int64),
    )


def attendance_by_child(
    snapshot: Snapshot, period: Period, child_idx: pl.Series | None = None
) -> pl.DataFrame:
    """Present, possible, authorised and unauthorised sessions per child over attendance rows in ``period``.

    Whole buckets inside the period come from the cached aggregate; a period that starts or ends inside a
    bucket (custom ranges, some half-terms) takes those few days from the raw rows, so the answer is exact.
    """
    whole, edges = _whole_and_edges(period)
    parts: list[pl.LazyFrame] = []
    buckets = snapshot.attendance_buckets.lazy()
    if child_idx is not None:
        buckets = buckets.filter(pl.col("child_idx").is_in(child_idx.implode()))
    if whole is not None:
        parts.append(
            buckets.filter(pl.col("bucket_start").is_between(*whole))
            .group_by("child_idx")
            .agg(*(pl.col(c).sum().cast(pl.Int64) for c in ATTENDANCE_COLUMNS))
        )
    for start, end in edges:
        raw = snapshot.raw_attendance(start, end)
        if child_idx is not None:
            raw = raw.filter(pl.col("child_idx").is_in(child_idx.implode()))
        parts.append(_raw_counts(raw))
    schema = {"child_idx": pl.UInt32, **dict.fromkeys(ATTENDANCE_COLUMNS, pl.Int64)}
    if not parts:
        return pl.DataFrame(schema=schema)
    combined = pl.concat([p.select(list(schema)).cast(schema) for p in parts])  # type: ignore[arg-type]
    return combined.group_by("child_idx").agg(*(pl.col(c).sum() for c in ATTENDANCE_COLUMNS)).collect()


def _raw_bucket_counts(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Raw sessions summed per child per bucket, the way ``Snapshot.attendance_buckets`` is built."""
    code, day = pl.col("code"), pl.col("date")
    return (
        rows.with_columns(bucket_start=bucket_start_expr(day), week_start=week_start_expr(day))
        .group_by("child_idx", "bucket_start", "week_start")
        .agg(
            present=code.is_in(PRESENT_CODES).sum(),
            possible=code.is_in(POSSIBLE_CODES).sum(),
            authorised=code.is_in(AUTHORISED_CODES).sum(),
            unauthorised=code.is_in(UNAUTHORISED_CODES).sum(),
        )
    )


def period_buckets(snapshot: Snapshot, period: Period, child_idx: pl.Series) -> pl.LazyFrame:
    """Sessions per child per bucket over exactly ``period``, for the given children.

    Columns: child_idx, bucket_start, week_start and ``SESSION_COLUMNS`` (Int64). Whole buckets come from the
    cached aggregate; partial buckets at a custom period's ends are counted from the raw rows of those days.
    """
    whole, edges = _whole_and_edges(period)
    wanted = pl.col("child_idx").is_in(child_idx.implode())
    columns = ["child_idx", "bucket_start", "week_start", *SESSION_COLUMNS]
    schema = {
        "child_idx": pl.UInt32,
        "bucket_start": pl.Date,
        "week_start": pl.Date,
        **dict.fromkeys(SESSION_COLUMNS, pl.Int64),
    }
    parts: list[pl.LazyFrame] = []
    if whole is not None:
        parts.append(
            snapshot.attendance_buckets.lazy().filter(wanted & pl.col("bucket_start").is_between(*whole))
        )
    for start, end in edges:
        parts.append(_raw_bucket_counts(snapshot.raw_attendance(start, end).filter(wanted)))
    if not parts:
        return pl.DataFrame(schema=schema).lazy()
    return pl.concat([part.select(columns).cast(schema) for part in parts])  # type: ignore[arg-type]


def academic_week(week_start: pl.Expr) -> pl.Expr:
    """Week of the academic year of a Monday: 0 for the week holding 1 August, counting on from there.

    A week belongs to the academic year its Sunday falls in, so the week that holds 1 August is week 0.
    """
    sunday = week_start + pl.duration(days=6)
    year = pl.when(sunday.dt.month() >= 8).then(sunday.dt.year()).otherwise(sunday.dt.year() - 1)
    first_august = pl.date(year, 8, 1)
    origin = first_august - pl.duration(days=first_august.dt.weekday() - 1)
    return ((week_start - origin).dt.total_days() // 7).cast(pl.Int32)


def academic_week_of(monday: date) -> int:
    """``academic_week`` for one Monday (the plain-Python twin, for tests and labels)."""
    sunday = monday + timedelta(days=6)
    year = sunday.year if sunday.month >= 8 else sunday.year - 1
    first_august = date(year, 8, 1)
    return (monday - (first_august - timedelta(days=first_august.weekday()))).days // 7


def _per_point(
    frame: pl.LazyFrame,
    by: Sequence[str],
    columns: Sequence[str] = ("present", "possible"),
    keys: pl.DataFrame | None = None,
    sums: bool = False,
) -> pl.LazyFrame:
    """Sum per child per point first (a child counts once per point), then per point with children covered.

    ``keys`` (child_idx, record_key of the children in scope, on protected computations) adds the cell key
    ``children__key`` of each point's children with a possible session, in the same aggregation. ``sums`` adds
    what each rate of sessions c ÷ possible needs for its cluster-robust 95% interval (contract 4.2,
    ``uncertainty.ratio_sums``): Σc², Σc·possible and Σpossible² over the point's children, and
    ``with_sessions`` (k, the same children as ``children``).
    """
    per_child = frame.group_by("child_idx", *by).agg(pl.col(c).sum() for c in columns)
    with_sessions = pl.col("possible") > 0
    extra: list[pl.Expr] = []
    if sums:
        products: dict[str, pl.Expr] = {}
        for c in columns:
            if c != "possible":
                products |= ratio_products(c, "possible")
        per_child = per_child.with_columns(**products)
        extra += [pl.col(c).sum().cast(pl.Int64) for c in products]
        extra.append(with_sessions.sum().cast(pl.Int64).alias("with_sessions"))
    if keys is not None and has_record_keys(keys):
        per_child = per_child.join(keys.lazy().select("child_idx", RECORD_KEY), on="child_idx", how="inner")
        extra.append(cell_key_expr(RECORD_KEY, with_sessions).alias(f"children{KEY_SUFFIX}"))
    return per_child.group_by(*by).agg(
        *(pl.col(c).sum().cast(pl.Int64) for c in columns),
        with_sessions.sum().cast(pl.Int64).alias("children"),
        *extra,
    )


# ------------------------------------------------------------------------------------------------ trends


def weekly_attendance(snapshot: Snapshot, filters: Filters) -> RawTable:
    """Attendance rate per week of the period, and the same children's baseline year, one row per week and series.

    Keys: week_start (Monday), academic_week, series (``THIS_PERIOD`` or ``BASELINE``). Each point is a rate
    suppressed on its own (present sessions, possible sessions, children with a possible session that week),
    with the sums over its children its 95% interval needs (``_per_point(sums=True)``); there is no total row. Weeks with no possible session in either series at the ends are left out; holiday
    weeks inside are kept as nothing-to-compute, so lines break there.
    """
    keys: dict[str, pl.DataType | type[pl.DataType]] = {
        "week_start": pl.Date,
        "academic_week": pl.Int32,
        "series": pl.String,
    }
    period = filters.period
    end = min(period.end, snapshot.snapshot_date)
    scope = children_in_scope(snapshot, filters)
    weeks = pl.DataFrame({"week_start": mondays(period.start, end)}, schema={"week_start": pl.Date})
    if scope.is_empty() or weeks.is_empty():
        return _nothing(keys, [RATE_SPEC])
    weeks = weeks.with_columns(academic_week=academic_week(pl.col("week_start")))
    current = _per_point(
        period_buckets(snapshot, period, scope.get_column("child_idx")), ["week_start"], keys=scope, sums=True
    )
    enrolled = pl.col("enrolled_date")
    # Per child (not per row, which would be slow at scale): the window's first day, and the start of the bucket
    # holding the enrolment day. A bucket lies wholly in the window when it starts on or after the first and
    # before the second (buckets never overlap, so every earlier bucket ends before the enrolment day).
    windows = scope.lazy().select(
        "child_idx",
        window_start=enrolled.dt.offset_by(f"-{BASELINE_MONTHS}mo"),
        enrolment_bucket=bucket_start_expr(enrolled),
    )
    in_window = (pl.col("bucket_start") >= pl.col("window_start")) & (
        pl.col("bucket_start") < pl.col("enrolment_bucket")
    )
    baseline_rows = (
        snapshot.attendance_buckets.lazy().join(windows, on="child_idx", how="inner").filter(in_window)
    )
    week_numbers = (
        snapshot.attendance_buckets.lazy()
        .select(pl.col("week_start").unique())
        .with_columns(academic_week=academic_week(pl.col("week_start")))
    )
    baseline_rows = baseline_rows.join(week_numbers, on="week_start", how="inner")
    baseline = _per_point(baseline_rows, ["academic_week"], keys=scope, sums=True)
    current_frame, baseline_frame = pl.collect_all([current, baseline])
    # With each week's sums over its children for the rate's 95% interval (``_per_point(sums=True)``).
    counts = ["present", "possible", "children", *ratio_sums(RATE_SPEC), WITH_SESSIONS]
    if has_record_keys(scope):
        counts.append(f"children{KEY_SUFFIX}")
    raw = pl.concat(
        [
            weeks.join(current_frame, on="week_start", how="left").with_columns(series=pl.lit(THIS_PERIOD)),
            weeks.join(baseline_frame, on="academic_week", how="left").with_columns(series=pl.lit(BASELINE)),
        ]
    ).with_columns(pl.col(c).fill_null(0) for c in counts)
    with_data = raw.filter(pl.col("possible") > 0).get_column("week_start")
    if with_data.is_empty():
        return _nothing(keys, [RATE_SPEC])
    raw = raw.filter(pl.col("week_start").is_between(with_data.min(), with_data.max())).sort(
        "series", "week_start", descending=[True, False]
    )
    return RawTable(raw, tuple(keys), tuple([RATE_SPEC]))


def monthly_absence(snapshot: Snapshot, filters: Filters) -> RawTable:
    """Authorised and unauthorised absence rates per calendar month of the period (children in scope for it).

    Keys: month (``Sep 2025``), month_start. Each rate is suppressed on its own; no total row.
    """
    keys: dict[str, pl.DataType | type[pl.DataType]] = {"month": pl.String, "month_start": pl.Date}
    scope = children_in_scope(snapshot, filters)
    if scope.is_empty():
        return _nothing(keys, ABSENCE_SPECS)
    rows = period_buckets(snapshot, filters.period, scope.get_column("child_idx")).with_columns(
        month_start=pl.col("bucket_start").dt.truncate("1mo")
    )
    raw = (
        _per_point(rows, ["month_start"], SESSION_COLUMNS, keys=scope, sums=True)
        .filter(pl.col("possible") > 0)
        .sort("month_start")
        .with_columns(month=pl.col("month_start").dt.strftime("%b %Y"))
        .collect()
    )
    if raw.is_empty():
        return _nothing(keys, ABSENCE_SPECS)
    return RawTable(raw, tuple(keys), tuple(ABSENCE_SPECS))


def attendance_around_enrolment(snapshot: Snapshot, filters: Filters) -> RawTable:
    """Attendance rate per month relative to each child's enrolment month, −12 to +12, for children in scope.

    Keys: month_offset (−12 … 12), month (a label). Figures: attendance_rate and children_with_sessions, each
    suppressed per point (no total row).
    """
    keys: dict[str, pl.DataType | type[pl.DataType]] = {"month_offset": pl.Int32, "month": pl.String}
    specs = [RATE_SPEC, CHILDREN_WITH_SESSIONS_SPEC]
    scope = children_in_scope(snapshot, filters)
    if scope.is_empty():
        return _nothing(keys, specs)
    span = AROUND_ENROLMENT_MONTHS
    month_number = pl.col("bucket_start").dt.year().cast(pl.Int32) * 12 + pl.col(
        "bucket_start"
    ).dt.month().cast(pl.Int32)
    # Month numbers worked out once per distinct bucket start and once per child, then joined (fast at scale).
    bucket_months = (
        snapshot.attendance_buckets.lazy()
        .select(pl.col("bucket_start").unique())
        .with_columns(bucket_month=month_number)
    )
    enrolled = pl.col("enrolled_date")
    enrol_months = scope.lazy().select(
        "child_idx", enrol_month=enrolled.dt.year().cast(pl.Int32) * 12 + enrolled.dt.month().cast(pl.Int32)
    )
    rows = (
        snapshot.attendance_buckets.lazy()
        .join(enrol_months, on="child_idx", how="inner")
        .join(bucket_months, on="bucket_start", how="inner")
        .with_columns(month_offset=(pl.col("bucket_month") - pl.col("enrol_month")).cast(pl.Int32))
        .filter(pl.col("month_offset").is_between(-span, span))
    )
    counts = _per_point(rows, ["month_offset"], keys=scope, sums=True).collect()
    offsets = pl.DataFrame({"month_offset": list(range(-span, span + 1))}, schema={"month_offset": pl.Int32})
    raw = (
        offsets.join(counts, on="month_offset", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in counts.collect_schema().names() if c != "month_offset")
        .with_columns(month=offset_label(pl.col("month_offset")))
        .sort("month_offset")
    )
    return RawTable(raw, tuple(keys), tuple(specs))


def offset_label(offset: pl.Expr) -> pl.Expr:
    """``enrolment month``, ``3 months before``, ``1 month after`` ..."""
    size = offset.abs()
    unit = pl.when(size == 1).then(pl.lit(" month ")).otherwise(pl.lit(" months "))
    side = pl.when(offset < 0).then(pl.lit("before")).otherwise(pl.lit("after"))
    return (
        pl.when(offset == 0)
        .then(pl.lit("enrolment month"))
        .otherwise(pl.concat_str(size.cast(pl.String), unit, side))
    )


def school_monthly_attendance(snapshot: Snapshot, filters: Filters) -> RawTable:
    """Attendance rate per school per calendar month of the period, for children in scope; each point suppressed.

    Keys: school_id, school_name, month_start. Schools with no sessions in the period have no rows.
    """
    keys: dict[str, pl.DataType | type[pl.DataType]] = {
        "school_id": pl.String,
        "school_name": pl.String,
        "month_start": pl.Date,
    }
    scope = children_in_scope(snapshot, filters)
    if scope.is_empty():
        return _nothing(keys, [RATE_SPEC])
    rows = (
        period_buckets(snapshot, filters.period, scope.get_column("child_idx"))
        .join(scope.lazy().select("child_idx", "school_id"), on="child_idx", how="inner")
        .with_columns(month_start=pl.col("bucket_start").dt.truncate("1mo"))
    )
    raw = (
        _per_point(rows, ["school_id", "month_start"], keys=scope, sums=True)
        .filter(pl.col("possible") > 0)
        .join(snapshot.schools.lazy().select("school_id", "school_name"), on="school_id", how="left")
        .sort("school_id", "month_start")
        .collect()
    )
    if raw.is_empty():
        return _nothing(keys, [RATE_SPEC])
    return RawTable(raw, tuple(keys), tuple([RATE_SPEC]))
