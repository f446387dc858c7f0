"""The board figures' raw counts per child and per school (contract section 4), from the concept modules.

Every function here returns *raw* integers (numerators, denominators, children covered); ``data_access.views``
turns them into shown figures under the viewer's policy. Nothing in this module is ever shown directly. The
counts themselves are owned by ``enrolment`` (scope), ``attendance``, ``events`` and ``assessments``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from data_access.assessments import improvement_by_child
from data_access.attendance import attendance_by_child
from data_access.cellkey import KEY_SUFFIX, RECORD_KEY, finish_key, has_record_keys
from data_access.enrolment import children_in_scope
from data_access.events import referrals_by_child, suspensions_by_child
from data_access.filters import Filters
from data_access.periods import Period
from data_access.uncertainty import ratio_products

if TYPE_CHECKING:
    from data_access.snapshots import Snapshot

STAT_COLUMNS = (
    "children",
    "present",
    "possible",
    "authorised",
    "unauthorised",
    "with_sessions",
    "persistent",
    "severe",
    "mh_referrals",
    "referrals",
    "suspensions",
    "permanent_exclusions",
    "sessions_lost",
    "sdq_with_both",
    "sdq_improved",
    # The attendance rate's cluster-robust interval (contract 4.2) from sums: Σp², Σp·n, Σn² over children.
    "present_sq",
    "present_possible",
    "possible_sq",
)
KEYED_COUNTS = (
    "children",
    "with_sessions",
    "persistent",
    "severe",
    "mh_referrals",
    "referrals",
    "suspensions",
    "permanent_exclusions",
    "sdq_with_both",
    "sdq_improved",
)
"""The counts of records (children or events) among ``STAT_COLUMNS``: on a keyed snapshot each has a cell key
column ``{name}__key`` (sessions are not records; sessions lost are protected by their events' count)."""
KEY_COLUMNS = tuple(f"{name}{KEY_SUFFIX}" for name in KEYED_COUNTS)


def key_columns(frame: pl.DataFrame) -> tuple[str, ...]:
    """The cell key columns ``frame`` carries (none on exact computations)."""
    return tuple(c for c in KEY_COLUMNS if c in frame.columns)


_SQUARES = ("present_sq", "present_possible", "possible_sq")


def child_stats(snapshot: Snapshot, filters: Filters, period: Period | None = None) -> pl.DataFrame:
    """One row per child in scope with every raw count the board figures need, over ``period``.

    Columns: child_idx, school_id and ``STAT_COLUMNS`` (``children`` is 1 for every row, so sums count them).
    On a keyed snapshot (protected outputs) also ``KEY_COLUMNS``: per child, the UInt64 sum of the record keys
    behind each count (the child's own key for a child count, its events' keys for an event count), so that
    ``sum_stats`` gives every count and its cell key in the same aggregation.
    """
    period = period or filters.period
    keyed = has_record_keys(snapshot.children)
    scope = children_in_scope(snapshot, filters, period).select(
        "child_idx", "school_id", *([RECORD_KEY] if keyed else [])
    )
    idx = scope.get_column("child_idx")
    attendance = attendance_by_child(snapshot, period, idx)
    referrals = referrals_by_child(snapshot, period, idx)
    suspensions = suspensions_by_child(snapshot, period, idx)
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
            if c not in ("children", "with_sessions", "persistent", "severe", *_SQUARES)
        )
        .with_columns(
            children=pl.lit(1, pl.Int64),
            with_sessions=(possible > 0).cast(pl.Int64),
            # absence ÷ possible ≥ 10% and ≥ 50%, in integers so the boundaries are exact
            persistent=((possible > 0) & (10 * absent >= possible)).cast(pl.Int64),
            severe=((possible > 0) & (2 * absent >= possible)).cast(pl.Int64),
            **ratio_products("present", "possible"),
        )
    )
    if not keyed:
        return frame.select("child_idx", "school_id", *STAT_COLUMNS).collect()
    own = pl.col(RECORD_KEY).cast(pl.UInt64)
    event_keys = ("mh_referrals", "referrals", "suspensions", "permanent_exclusions")
    frame = frame.with_columns(
        *(pl.col(f"{c}{KEY_SUFFIX}").fill_null(0).cast(pl.UInt64) for c in event_keys),
        *(
            (own * pl.col(c).cast(pl.UInt64)).alias(f"{c}{KEY_SUFFIX}")
            for c in KEYED_COUNTS
            if c not in event_keys
        ),
    )
    return frame.select("child_idx", "school_id", *STAT_COLUMNS, *KEY_COLUMNS).collect()


def sum_stats(stats: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Sum per-child stats, by the given columns or over everything (cell keys: exact sums mod 2**32)."""
    sums = [pl.col(c).sum().cast(pl.Int64) for c in STAT_COLUMNS]
    sums += [finish_key(c) for c in key_columns(stats)]
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
        .with_columns(pl.col(c).fill_null(0) for c in (*STAT_COLUMNS, *key_columns(per_school)))
        .sort("school_id")
    )
    total = sum_stats(stats).with_columns(school_id=pl.lit("all")).select(rows.columns)
    return pl.concat([rows, total])
