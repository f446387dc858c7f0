"""The figure definitions of contract section 4, computed with polars from a loaded snapshot.

Every function here returns *raw* integers (numerators, denominators, children covered); ``data_access.views``
turns them into shown figures under the viewer's policy. Nothing in this module is ever shown directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from data_access.contract import AUTHORISED_CODES, MEASURES, POSSIBLE_CODES, PRESENT_CODES, UNAUTHORISED_CODES
from data_access.filters import Filters
from data_access.periods import Period
from data_access.snapshots import Snapshot

ATTENDANCE_COLUMNS = ("present", "possible", "authorised", "unauthorised")
STAT_COLUMNS = (
    "children", "present", "possible", "authorised", "unauthorised", "with_sessions", "persistent", "severe",
    "mh_referrals", "referrals", "suspensions", "permanent_exclusions", "sessions_lost",
    "sdq_with_both", "sdq_improved",
)  # fmt: skip


def select_children(snapshot: Snapshot, filters: Filters) -> pl.DataFrame:
    """Children matching the characteristic filters (school, year group, sex, FSM, SEN), whatever the period."""
    condition = pl.lit(True)
    if filters.schools:
        condition &= pl.col("school_id").is_in(list(filters.schools))
    if filters.year_groups:
        condition &= pl.col("year_group").is_in(list(filters.year_groups))
    if filters.sexes:
        condition &= pl.col("sex").is_in(list(filters.sexes))
    if filters.fsm is not None:
        condition &= pl.col("fsm_eligible") == filters.fsm
    if filters.sen:
        condition &= pl.col("sen_provision").is_in(list(filters.sen))
    return snapshot.children.filter(condition)


def in_scope(children: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Children in scope for ``period``: enrolled on or before its end, and not exited before its start."""
    return children.filter(
        pl.col("enrolled_date").is_not_null()
        & (pl.col("enrolled_date") <= period.end)
        & (pl.col("exit_date").is_null() | (pl.col("exit_date") >= period.start))
    )


def children_in_scope(snapshot: Snapshot, filters: Filters, period: Period | None = None) -> pl.DataFrame:
    """Children in scope for the filters' period (or ``period``) who match the filters."""
    return in_scope(select_children(snapshot, filters), period or filters.period)


def _is_boundary(day: date) -> bool:
    """True when a bucket (one ISO week within one month) starts on ``day``."""
    return day.weekday() == 0 or day.day == 1


def _next_boundary(day: date) -> date:
    while not _is_boundary(day):
        day += timedelta(days=1)
    return day


def _previous_boundary(day: date) -> date:
    while not _is_boundary(day):
        day -= timedelta(days=1)
    return day


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
    first_whole = _next_boundary(period.start)
    after_last_whole = _previous_boundary(period.end + timedelta(days=1))
    parts: list[pl.LazyFrame] = []
    buckets = snapshot.attendance_buckets.lazy()
    if child_idx is not None:
        buckets = buckets.filter(pl.col("child_idx").is_in(child_idx.implode()))
    if first_whole < after_last_whole:
        parts.append(
            buckets.filter(
                pl.col("bucket_start").is_between(first_whole, after_last_whole - timedelta(days=1))
            )
            .group_by("child_idx")
            .agg(*(pl.col(c).sum().cast(pl.Int64) for c in ATTENDANCE_COLUMNS))
        )
        edges = [(period.start, first_whole - timedelta(days=1)), (after_last_whole, period.end)]
    else:
        edges = [(period.start, period.end)]
    for start, end in edges:
        if start <= end:
            raw = snapshot.raw_attendance(start, end)
            if child_idx is not None:
                raw = raw.filter(pl.col("child_idx").is_in(child_idx.implode()))
            parts.append(_raw_counts(raw))
    schema = {"child_idx": pl.UInt32, **dict.fromkeys(ATTENDANCE_COLUMNS, pl.Int64)}
    if not parts:
        return pl.DataFrame(schema=schema)
    combined = pl.concat([p.select(list(schema)).cast(schema) for p in parts])  # type: ignore[arg-type]
    return combined.group_by("child_idx").agg(*(pl.col(c).sum() for c in ATTENDANCE_COLUMNS)).collect()


def improvement_by_child(
    snapshot: Snapshot, measure: str, children: pl.DataFrame, as_at: date
) -> pl.DataFrame:
    """Per child with both scores: the earliest baseline (≤ ``as_at``), the latest later score, and whether improved.

    Ties on one date (not ruled on by the contract) are broken conservatively: the better of two baseline
    scores and the worse of two latest scores, so a tie never makes a child look improved.
    """
    spec = MEASURES[measure]
    better_first = not spec.higher_is_better  # for sdq_total, lower is better: ascending puts best first
    scores = snapshot.assessments.lazy().filter(
        (pl.col("measure") == measure)
        & (pl.col("assessment_date") <= as_at)
        & pl.col("child_idx").is_in(children.get_column("child_idx").implode())
    )
    baseline = (
        scores.filter(pl.col("wave") == "baseline")
        .sort(["child_idx", "assessment_date", "score"], descending=[False, False, not better_first])
        .group_by("child_idx", maintain_order=True)
        .first()
        .select("child_idx", baseline_date="assessment_date", baseline_score="score")
    )
    latest = (
        scores.join(baseline, on="child_idx", how="inner")
        .filter(pl.col("assessment_date") > pl.col("baseline_date"))
        .sort(["child_idx", "assessment_date", "score"], descending=[False, True, better_first])
        .group_by("child_idx", maintain_order=True)
        .first()
        .select(
            "child_idx",
            "baseline_date",
            "baseline_score",
            latest_date="assessment_date",
            latest_score="score",
        )
    )
    gain = (
        pl.col("latest_score") - pl.col("baseline_score")
        if spec.higher_is_better
        else pl.col("baseline_score") - pl.col("latest_score")
    )
    return latest.with_columns(improved=gain >= spec.meaningful_change).collect()


def child_stats(snapshot: Snapshot, filters: Filters, period: Period | None = None) -> pl.DataFrame:
    """One row per child in scope with every raw count the board figures need, over ``period``.

    Columns: child_idx, school_id and ``STAT_COLUMNS`` (``children`` is 1 for every row, so sums count them).
    """
    period = period or filters.period
    scope = children_in_scope(snapshot, filters, period).select("child_idx", "school_id")
    idx = scope.get_column("child_idx")
    attendance = attendance_by_child(snapshot, period, idx)
    within = pl.col("date_col").is_between(period.start, period.end)
    referrals = (
        snapshot.referrals.lazy()
        .rename({"referral_date": "date_col"})
        .filter(within & pl.col("child_idx").is_in(idx.implode()))
        .group_by("child_idx")
        .agg(
            mh_referrals=(pl.col("reason") == "mental_health").sum().cast(pl.Int64),
            referrals=pl.len().cast(pl.Int64),
        )
    )
    suspensions = (
        snapshot.suspensions.lazy()
        .rename({"start_date": "date_col"})
        .filter(within & pl.col("child_idx").is_in(idx.implode()))
        .group_by("child_idx")
        .agg(
            suspensions=(pl.col("kind") == "suspension").sum().cast(pl.Int64),
            permanent_exclusions=(pl.col("kind") == "permanent_exclusion").sum().cast(pl.Int64),
            sessions_lost=pl.col("sessions").cast(pl.Int64).sum(),
        )
    )
    improved = improvement_by_child(snapshot, "sdq_total", scope, period.end).select(
        "child_idx", sdq_with_both=pl.lit(1, pl.Int64), sdq_improved=pl.col("improved").cast(pl.Int64)
    )
    possible = pl.col("possible")
    absent = possible - pl.col("present")
    frame = (
        scope.lazy()
        .join(attendance.lazy(), on="child_idx", how="left")
        .join(referrals, on="child_idx", how="left")
        .join(suspensions, on="child_idx", how="left")
        .join(improved.lazy(), on="child_idx", how="left")
        .with_columns(
            pl.col(c).fill_null(0)
            for c in STAT_COLUMNS
            if c not in ("children", "with_sessions", "persistent", "severe")
        )
        .with_columns(
            children=pl.lit(1, pl.Int64),
            with_sessions=(possible > 0).cast(pl.Int64),
            # absence ÷ possible ≥ 10% and ≥ 50%, in integers so the boundaries are exact
            persistent=((possible > 0) & (10 * absent >= possible)).cast(pl.Int64),
            severe=((possible > 0) & (2 * absent >= possible)).cast(pl.Int64),
        )
    )
    return frame.select("child_idx", "school_id", *STAT_COLUMNS).collect()


def sum_stats(stats: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Sum per-child stats, by the given columns or over everything."""
    sums = [pl.col(c).sum().cast(pl.Int64) for c in STAT_COLUMNS]
    if by:
        return stats.group_by(list(by)).agg(sums)
    return stats.select(sums)


def board_raw(snapshot: Snapshot, filters: Filters, period: Period | None = None) -> pl.DataFrame:
    """Raw board counts: one row per school (of the filter, else the snapshot) in school_id order, then ``all``."""
    school_ids = list(filters.schools) or snapshot.schools.get_column("school_id").to_list()
    stats = child_stats(snapshot, filters, period)
    per_school = sum_stats(stats, ["school_id"])
    rows = (
        pl.DataFrame({"school_id": school_ids}, schema={"school_id": pl.String})
        .join(per_school, on="school_id", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in STAT_COLUMNS)
        .sort("school_id")
    )
    total = sum_stats(stats).with_columns(school_id=pl.lit("all")).select(rows.columns)
    return pl.concat([rows, total])


def funnel_raw(snapshot: Snapshot, filters: Filters, as_at: date) -> pl.DataFrame:
    """Enrolment funnel as at ``as_at`` per school then ``all``: identified, enrolled, active, completed."""
    children = select_children(snapshot, filters)
    enrolled = pl.col("enrolled_date").is_not_null() & (pl.col("enrolled_date") <= as_at)
    counts = [
        (pl.col("identified_date") <= as_at).sum().cast(pl.Int64).alias("identified"),
        enrolled.sum().cast(pl.Int64).alias("enrolled"),
        (enrolled & (pl.col("exit_date").is_null() | (pl.col("exit_date") > as_at)))
        .sum()
        .cast(pl.Int64)
        .alias("active"),
        ((pl.col("exit_reason") == "completed") & (pl.col("exit_date") <= as_at))
        .sum()
        .cast(pl.Int64)
        .alias("completed"),
    ]
    school_ids = list(filters.schools) or snapshot.schools.get_column("school_id").to_list()
    per_school = (
        pl.DataFrame({"school_id": school_ids}, schema={"school_id": pl.String})
        .join(children.group_by("school_id").agg(counts), on="school_id", how="left")
        .fill_null(0)
        .sort("school_id")
    )
    total = children.select(counts).with_columns(school_id=pl.lit("all")).select(per_school.columns)
    return pl.concat([per_school, total])
