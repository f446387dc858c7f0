"""Trend and distribution figures for the Attendance and School progress pages, already suppressed.

Every public function takes ``(snapshot, filters, role)`` and returns a ``FigureTable`` that has been through
``data_access.suppression.suppress`` under the role's policy, so nothing hidden leaves the data layer.
Attendance trends read the per-child bucket aggregate (``Snapshot.attendance_buckets``); only the few days at
the ends of a custom period that cut through a bucket are read from the raw sessions, as in
``figures.attendance_by_child``.

Definitions used here beyond contract section 4 (stated on the pages, written once in ``TREND_DEFINITIONS``):

- **Weekly attendance rate**: for the children in scope for the period, present ÷ possible sessions in each
  week (Monday to Sunday) of the period. Children = children with at least one possible session that week.
- **Baseline year**: for the same children, the school weeks lying wholly within the 12 months before each
  child's enrolment date, aligned on the week of the academic year (week 0 is the week holding 1 August),
  so the first week of September of the baseline sits under the first week of September of the period.
- **Attendance around enrolment**: for the same children, present ÷ possible sessions per calendar month
  counted from the month of enrolment (month 0, which holds days both sides of the enrolment date), from 12
  months before to 12 months after, over every session on record (not only those within the period).
- **SDQ bands** and **attainment levels**: the baseline and latest scores of the improvement rule
  (``figures.improvement_by_child``) put into the contract's bands and levels.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Final

import polars as pl

from data_access import figures
from data_access.contract import (
    ATTAINMENT_LEVELS,
    AUTHORISED_CODES,
    MEASURES,
    POSSIBLE_CODES,
    PRESENT_CODES,
    SDQ_TOTAL_BANDS,
    UNAUTHORISED_CODES,
)
from data_access.definitions import Definition
from data_access.filters import Filters
from data_access.periods import Period
from data_access.snapshots import Snapshot
from data_access.suppression import FigureSpec, FigureTable, suppress
from data_access.views import BOARD_FIGURES, applies_suppression

SESSION_COLUMNS: Final = ("present", "possible", "authorised", "unauthorised")
THIS_PERIOD: Final = "Selected period"
BASELINE: Final = "Baseline: 12 months before enrolment"
BASELINE_MONTHS: Final = 12
AROUND_ENROLMENT_MONTHS: Final = 12
ATTAINMENT_MEASURES: Final = ("reading", "writing", "maths")
TOTAL: Final = "Total"

RATE_SPEC: Final = FigureSpec("attendance_rate", "rate", "present", "possible", "children")
CHILDREN_SPEC: Final = FigureSpec("children_with_sessions", "count", "children")
ABSENCE_SPECS: Final = (
    FigureSpec("authorised_absence_rate", "rate", "authorised", "possible", "children"),
    FigureSpec("unauthorised_absence_rate", "rate", "unauthorised", "possible", "children"),
)
LEVEL_SPECS: Final = (
    FigureSpec("baseline_children", "count", "baseline"),
    FigureSpec("latest_children", "count", "latest"),
)
SHARE_SPECS: Final = (
    *LEVEL_SPECS,
    FigureSpec("baseline_pct", "rate", "baseline", "with_both", "with_both"),
    FigureSpec("latest_pct", "rate", "latest", "with_both", "with_both"),
)
MOVEMENT_SPECS: Final = (
    FigureSpec("children", "count", "children"),
    FigureSpec("children_pct", "rate", "children", "with_both", "with_both"),
)
MOVEMENTS: Final = (
    "Moved to a lower (better) band",
    "Stayed in the same band",
    "Moved to a higher (worse) band",
)

TREND_DEFINITIONS: Final[dict[str, Definition]] = {
    d.name: d
    for d in (
        Definition(
            "weekly_attendance",
            "Weekly attendance rate against the baseline year",
            "% of possible sessions",
            "For the children in scope for the period: present ÷ possible sessions in each week (Monday to "
            "Sunday) of the period, so the weeks add up to the period's attendance rate. The baseline line is "
            "the same children's attendance in the school weeks lying wholly within the 12 months before "
            "each child's own enrolment date, lined up by week of the academic year (the week holding "
            "1 August is week 0), so each week of the period sits above the same week of the school year "
            "before the child joined. Each point covers the children with a possible session that week.",
            "present sessions",
        ),
        Definition(
            "attendance_around_enrolment",
            "Attendance before and after enrolment",
            "% of possible sessions",
            "For the children in scope for the period: present ÷ possible sessions in each calendar month "
            "counted from the month the child enrolled (month 0, which holds days both before and after the "
            "enrolment date), from 12 months before to 12 months after, over every session on record. "
            "Later months cover only the children who have been on the programme that long, so the "
            "number of children behind each point is shown.",
            "present sessions",
        ),
        Definition(
            "monthly_absence",
            "Authorised and unauthorised absence by month",
            "% of possible sessions",
            "For the children in scope for the period: authorised (or unauthorised) absence sessions ÷ "
            "possible sessions in each calendar month of the period.",
            "absence sessions",
        ),
        Definition(
            "sdq_bands",
            "SDQ total difficulties bands at baseline and latest",
            "children",
            "For each child in scope with both scores (the same baseline and latest scores as the SDQ "
            "improvement figure), the band of the teacher-rated SDQ total difficulties score: "
            + "; ".join(f"{name} {low}–{high}" for name, low, high in SDQ_TOTAL_BANDS)
            + ". A lower band is better.",
            "children",
        ),
        Definition(
            "attainment_levels",
            "Reading, writing and maths levels at baseline and latest",
            "children",
            "For each child in scope with both scores (the earliest baseline assessment dated on or before "
            "the period's end, and the latest assessment after it and on or before the period's end), the "
            "teacher-assessed level: " + "; ".join(f"{k} {v}" for k, v in ATTAINMENT_LEVELS.items()) + ".",
            "children",
        ),
    )
}


# ------------------------------------------------------------------------------------------------ helpers


def _empty(keys: dict[str, pl.DataType | type[pl.DataType]], specs: Sequence[FigureSpec]) -> FigureTable:
    schema: dict[str, pl.DataType | type[pl.DataType]] = dict(keys)
    for spec in specs:
        schema[spec.name] = pl.Int64 if spec.kind == "count" else pl.Float64
        schema[f"{spec.name}__status"] = pl.String
    return FigureTable(pl.DataFrame(schema=schema), tuple(keys), tuple(s.name for s in specs), False)


def _raw_bucket_counts(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Raw sessions summed per child per bucket, the way ``Snapshot.attendance_buckets`` is built."""
    code, day = pl.col("code"), pl.col("date")
    week_start = day - pl.duration(days=day.dt.weekday() - 1)
    return (
        rows.with_columns(
            bucket_start=pl.max_horizontal(week_start, day.dt.truncate("1mo")), week_start=week_start
        )
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
    first_whole = figures._next_boundary(period.start)
    after_last_whole = figures._previous_boundary(period.end + timedelta(days=1))
    wanted = pl.col("child_idx").is_in(child_idx.implode())
    columns = ["child_idx", "bucket_start", "week_start", *SESSION_COLUMNS]
    schema = {
        "child_idx": pl.UInt32,
        "bucket_start": pl.Date,
        "week_start": pl.Date,
        **dict.fromkeys(SESSION_COLUMNS, pl.Int64),
    }
    parts: list[pl.LazyFrame] = []
    if first_whole < after_last_whole:
        parts.append(
            snapshot.attendance_buckets.lazy().filter(
                wanted & pl.col("bucket_start").is_between(first_whole, after_last_whole - timedelta(days=1))
            )
        )
        edges = [(period.start, first_whole - timedelta(days=1)), (after_last_whole, period.end)]
    else:
        edges = [(period.start, period.end)]
    for start, end in edges:
        if start <= end:
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
    frame: pl.LazyFrame, by: Sequence[str], columns: Sequence[str] = ("present", "possible")
) -> pl.LazyFrame:
    """Sum per child per point first (a child counts once per point), then per point with children covered."""
    return (
        frame.group_by("child_idx", *by)
        .agg(pl.col(c).sum() for c in columns)
        .group_by(*by)
        .agg(
            *(pl.col(c).sum().cast(pl.Int64) for c in columns),
            children=(pl.col("possible") > 0).sum().cast(pl.Int64),
        )
    )


def _mondays(start: date, end: date) -> list[date]:
    first = start - timedelta(days=start.weekday())
    return [first + timedelta(days=7 * n) for n in range((end - first).days // 7 + 1)] if end >= start else []


# ------------------------------------------------------------------------------------------------ attendance


def weekly_attendance(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Attendance rate per week of the period, and the same children's baseline year, one row per week and series.

    Keys: week_start (Monday), academic_week, series (``THIS_PERIOD`` or ``BASELINE``). Each point is a rate
    suppressed on its own (present sessions, possible sessions, children with a possible session that week);
    there is no total row. Weeks with no possible session in either series at the ends are left out; holiday
    weeks inside are kept as nothing-to-compute, so lines break there.
    """
    keys: dict[str, pl.DataType | type[pl.DataType]] = {
        "week_start": pl.Date,
        "academic_week": pl.Int32,
        "series": pl.String,
    }
    period = filters.period
    end = min(period.end, snapshot.snapshot_date)
    scope = figures.children_in_scope(snapshot, filters)
    weeks = pl.DataFrame({"week_start": _mondays(period.start, end)}, schema={"week_start": pl.Date})
    if scope.is_empty() or weeks.is_empty():
        return _empty(keys, [RATE_SPEC])
    weeks = weeks.with_columns(academic_week=academic_week(pl.col("week_start")))
    current = _per_point(period_buckets(snapshot, period, scope.get_column("child_idx")), ["week_start"])
    enrolled = pl.col("enrolled_date")
    # Per child (not per row, which would be slow at scale): the window's first day, and the start of the bucket
    # holding the enrolment day. A bucket lies wholly in the window when it starts on or after the first and
    # before the second (buckets never overlap, so every earlier bucket ends before the enrolment day).
    windows = scope.lazy().select(
        "child_idx",
        window_start=enrolled.dt.offset_by(f"-{BASELINE_MONTHS}mo"),
        enrolment_bucket=pl.max_horizontal(enrolled - pl.duration(days=enrolled.dt.weekday() - 1),
                                           enrolled.dt.truncate("1mo")),
    )  # fmt: skip
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
    baseline = _per_point(baseline_rows, ["academic_week"])
    current_frame, baseline_frame = pl.collect_all([current, baseline])
    counts = ["present", "possible", "children"]
    raw = pl.concat(
        [
            weeks.join(current_frame, on="week_start", how="left").with_columns(series=pl.lit(THIS_PERIOD)),
            weeks.join(baseline_frame, on="academic_week", how="left").with_columns(series=pl.lit(BASELINE)),
        ]
    ).with_columns(pl.col(c).fill_null(0) for c in counts)
    with_data = raw.filter(pl.col("possible") > 0).get_column("week_start")
    if with_data.is_empty():
        return _empty(keys, [RATE_SPEC])
    raw = raw.filter(pl.col("week_start").is_between(with_data.min(), with_data.max())).sort(
        "series", "week_start", descending=[True, False]
    )
    return suppress(raw, list(keys), [RATE_SPEC], apply=applies_suppression(role, public))


def monthly_absence(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False) -> FigureTable:
    """Authorised and unauthorised absence rates per calendar month of the period (children in scope for it).

    Keys: month (``Sep 2025``), month_start. Each rate is suppressed on its own; no total row.
    """
    keys: dict[str, pl.DataType | type[pl.DataType]] = {"month": pl.String, "month_start": pl.Date}
    scope = figures.children_in_scope(snapshot, filters)
    if scope.is_empty():
        return _empty(keys, ABSENCE_SPECS)
    rows = period_buckets(snapshot, filters.period, scope.get_column("child_idx")).with_columns(
        month_start=pl.col("bucket_start").dt.truncate("1mo")
    )
    raw = (
        _per_point(rows, ["month_start"], SESSION_COLUMNS)
        .filter(pl.col("possible") > 0)
        .sort("month_start")
        .with_columns(month=pl.col("month_start").dt.strftime("%b %Y"))
        .collect()
    )
    if raw.is_empty():
        return _empty(keys, ABSENCE_SPECS)
    return suppress(raw, list(keys), ABSENCE_SPECS, apply=applies_suppression(role, public))


def attendance_around_enrolment(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Attendance rate per month relative to each child's enrolment month, −12 to +12, for children in scope.

    Keys: month_offset (−12 … 12), month (a label). Figures: attendance_rate and children_with_sessions, each
    suppressed per point (no total row).
    """
    keys: dict[str, pl.DataType | type[pl.DataType]] = {"month_offset": pl.Int32, "month": pl.String}
    specs = [RATE_SPEC, CHILDREN_SPEC]
    scope = figures.children_in_scope(snapshot, filters)
    if scope.is_empty():
        return _empty(keys, specs)
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
    counts = _per_point(rows, ["month_offset"]).collect()
    offsets = pl.DataFrame({"month_offset": list(range(-span, span + 1))}, schema={"month_offset": pl.Int32})
    raw = (
        offsets.join(counts, on="month_offset", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("present", "possible", "children"))
        .with_columns(month=offset_label(pl.col("month_offset")))
        .sort("month_offset")
    )
    return suppress(raw, list(keys), specs, apply=applies_suppression(role, public))


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


def school_monthly_attendance(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Attendance rate per school per calendar month of the period, for children in scope; each point suppressed.

    Keys: school_id, school_name, month_start. Schools with no sessions in the period have no rows.
    """
    keys: dict[str, pl.DataType | type[pl.DataType]] = {
        "school_id": pl.String,
        "school_name": pl.String,
        "month_start": pl.Date,
    }
    scope = figures.children_in_scope(snapshot, filters)
    if scope.is_empty():
        return _empty(keys, [RATE_SPEC])
    rows = (
        period_buckets(snapshot, filters.period, scope.get_column("child_idx"))
        .join(scope.lazy().select("child_idx", "school_id"), on="child_idx", how="inner")
        .with_columns(month_start=pl.col("bucket_start").dt.truncate("1mo"))
    )
    raw = (
        _per_point(rows, ["school_id", "month_start"])
        .filter(pl.col("possible") > 0)
        .join(snapshot.schools.lazy().select("school_id", "school_name"), on="school_id", how="left")
        .sort("school_id", "month_start")
        .collect()
    )
    if raw.is_empty():
        return _empty(keys, [RATE_SPEC])
    return suppress(raw, list(keys), [RATE_SPEC], apply=applies_suppression(role, public))


# ------------------------------------------------------------------------------------------------ assessments


def sdq_band(score: pl.Expr) -> pl.Expr:
    """The band number (1 close to average … 4 very high) of an SDQ total difficulties score."""
    expr = pl.lit(len(SDQ_TOTAL_BANDS), pl.Int32)
    for number, (_, _, high) in reversed(list(enumerate(SDQ_TOTAL_BANDS[:-1], start=1))):
        expr = pl.when(score <= high).then(pl.lit(number, pl.Int32)).otherwise(expr)
    return expr


def _scores(snapshot: Snapshot, filters: Filters, measure: str) -> pl.DataFrame:
    scope = figures.children_in_scope(snapshot, filters)
    return figures.improvement_by_child(snapshot, measure, scope, filters.period.end)


def _level_table(
    per_child: pl.DataFrame,
    names: Sequence[str],
    specs: Sequence[FigureSpec],
    apply: bool,
    extra: dict[str, str] | None = None,
) -> FigureTable:
    """Counts of children per level (1-based) at baseline and latest, with a total row, suppressed."""
    with_both = per_child.height
    base = per_child.group_by("baseline_level").len("baseline").rename({"baseline_level": "level_number"})
    late = per_child.group_by("latest_level").len("latest").rename({"latest_level": "level_number"})
    levels = pl.DataFrame(
        {"level_number": list(range(1, len(names) + 1)), "level": list(names)},
        schema={"level_number": pl.Int32, "level": pl.String},
    )
    rows = (
        levels.join(base.cast({"level_number": pl.Int32}), on="level_number", how="left")
        .join(late.cast({"level_number": pl.Int32}), on="level_number", how="left")
        .with_columns(
            pl.col("baseline", "latest").fill_null(0).cast(pl.Int64), with_both=pl.lit(with_both, pl.Int64)
        )
    )
    total = pl.DataFrame(
        {
            "level_number": [99],
            "level": [TOTAL],
            "baseline": [with_both],
            "latest": [with_both],
            "with_both": [with_both],
        },
        schema=rows.schema,
    )
    raw = pl.concat([rows, total])
    keys = ["level"]
    if extra:
        raw = raw.with_columns(pl.lit(value).alias(name) for name, value in extra.items())
        keys = [*extra, "level"]
    return suppress(raw, keys, specs, apply=apply, total_key=("level", TOTAL), order_by="level_number")


def sdq_bands(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False) -> FigureTable:
    """Children in each SDQ total difficulties band at baseline and at latest, with shares and a total row."""
    per_child = _scores(snapshot, filters, "sdq_total").with_columns(
        baseline_level=sdq_band(pl.col("baseline_score")), latest_level=sdq_band(pl.col("latest_score"))
    )
    return _level_table(
        per_child, [band[0] for band in SDQ_TOTAL_BANDS], SHARE_SPECS, applies_suppression(role, public)
    )


def sdq_band_movement(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Children whose SDQ band got better, stayed the same or got worse from baseline to latest, with a total."""
    per_child = _scores(snapshot, filters, "sdq_total").with_columns(
        move=sdq_band(pl.col("latest_score")) - sdq_band(pl.col("baseline_score"))
    )
    with_both = per_child.height
    counts = [
        per_child.filter(pl.col("move") < 0).height,
        per_child.filter(pl.col("move") == 0).height,
        per_child.filter(pl.col("move") > 0).height,
    ]
    raw = pl.DataFrame(
        {
            "order": [1, 2, 3, 9],
            "movement": [*MOVEMENTS, TOTAL],
            "children": [*counts, with_both],
            "with_both": [with_both] * 4,
        },
        schema={"order": pl.Int32, "movement": pl.String, "children": pl.Int64, "with_both": pl.Int64},
    )
    return suppress(
        raw,
        ["movement"],
        MOVEMENT_SPECS,
        apply=applies_suppression(role, public),
        total_key=("movement", TOTAL),
        order_by="order",
    )


def attainment_levels(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Children at each reading, writing and maths level at baseline and latest; a total row per measure.

    Suppression (with secondary suppression against each measure's total) is applied to each measure's block.
    """
    apply = applies_suppression(role, public)
    tables = []
    for measure in ATTAINMENT_MEASURES:
        per_child = _scores(snapshot, filters, measure).with_columns(
            baseline_level=pl.col("baseline_score").round(0).cast(pl.Int32),
            latest_level=pl.col("latest_score").round(0).cast(pl.Int32),
        )
        label = MEASURES[measure].label.split(" (")[0]
        names = [f"{number} {name}" for number, name in ATTAINMENT_LEVELS.items()]
        tables.append(_level_table(per_child, names, LEVEL_SPECS, apply, extra={"measure": label}))
    return FigureTable(pl.concat([t.frame for t in tables]), tables[0].keys, tables[0].figures, apply)


# ------------------------------------------------------------------------------------------------ board table


def sorted_board(table: FigureTable, by: str, *, descending: bool = True) -> FigureTable:
    """The board table with its school rows ordered by a shown figure; hidden and empty values last, total last.

    Sorting uses only the shown values (a ``c`` is a null here), so the order cannot reveal a hidden number.
    Ties keep school_id order.
    """
    if by == "school_id" or by not in BOARD_FIGURES:
        return table
    frame = table.frame
    total = frame.filter(pl.col("school_id") == "all")
    schools = frame.filter(pl.col("school_id") != "all").sort(
        by, descending=descending, nulls_last=True, maintain_order=True
    )
    return FigureTable(pl.concat([schools, total]), table.keys, table.figures, table.suppressed)


def only(table: FigureTable, figures_shown: Sequence[str], keys: Sequence[str] | None = None) -> FigureTable:
    """The same shown table limited to some figures (and key columns), e.g. two figures of ``views.by_period``."""
    return FigureTable(table.frame, tuple(keys or table.keys), tuple(figures_shown), table.suppressed)
