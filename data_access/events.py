"""Events: referrals, suspensions and permanent exclusions of children in scope (contract section 4).

Per-child event counts feed the board figures (``figures.child_stats``); the referral grids return
``RawTable``s that ``data_access.views`` discloses under the viewer's policy.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Final

import polars as pl
from polars.lazyframe.group_by import LazyGroupBy

from data_access.cellkey import has_record_keys, key_sum
from data_access.contract import REFERRAL_REASONS, SERVICES
from data_access.disclosure import FigureSpec, RawTable
from data_access.enrolment import children_in_scope
from data_access.filters import Filters
from data_access.periods import Period, month_starts
from data_access.tables import month_grid

if TYPE_CHECKING:
    from data_access.snapshots import Snapshot

SERVICE_LABELS: Final = {
    "camhs": "CAMHS",
    "early_help": "Early Help",
    "childrens_social_care": "Children's social care",
    "school_nursing": "School nursing",
    "community": "Community services",
    "other": "Other service",
}

REASON_LABELS: Final = {
    "mental_health": "Mental health",
    "behaviour": "Behaviour",
    "safeguarding": "Safeguarding",
    "neurodevelopmental": "Neurodevelopmental",
    "family_support": "Family support",
    "other": "Other reason",
}


def _per_child(events: pl.DataFrame, date_column: str, period: Period, child_idx: pl.Series) -> LazyGroupBy:
    """The events of the given children dated within ``period``, grouped by child."""
    within = pl.col(date_column).is_between(period.start, period.end)
    return events.lazy().filter(within & pl.col("child_idx").is_in(child_idx.implode())).group_by("child_idx")


def referrals_by_child(snapshot: Snapshot, period: Period, child_idx: pl.Series) -> pl.LazyFrame:
    """Per child: mental health referrals and all referrals dated within ``period``."""
    mental_health = pl.col("reason") == "mental_health"
    keys = (
        [key_sum(mental_health).alias("mh_referrals__key"), key_sum().alias("referrals__key")]
        if has_record_keys(snapshot.referrals)
        else []
    )
    return _per_child(snapshot.referrals, "referral_date", period, child_idx).agg(
        *keys, mh_referrals=mental_health.sum().cast(pl.Int64), referrals=pl.len().cast(pl.Int64)
    )


def suspensions_by_child(snapshot: Snapshot, period: Period, child_idx: pl.Series) -> pl.LazyFrame:
    """Per child: suspensions, permanent exclusions and the sessions they lost, starting within ``period``."""
    suspension = pl.col("kind") == "suspension"
    exclusion = pl.col("kind") == "permanent_exclusion"
    keys = (
        [key_sum(suspension).alias("suspensions__key"), key_sum(exclusion).alias("permanent_exclusions__key")]
        if has_record_keys(snapshot.suspensions)
        else []
    )
    return _per_child(snapshot.suspensions, "start_date", period, child_idx).agg(
        *keys,
        suspensions=suspension.sum().cast(pl.Int64),
        permanent_exclusions=exclusion.sum().cast(pl.Int64),
        sessions_lost=pl.col("sessions").cast(pl.Int64).sum(),
    )


def referrals_by_month(
    snapshot: Snapshot, filters: Filters, by: str, *, as_of: date | None = None
) -> RawTable:
    """Referrals of children in scope per calendar month of the period (rows) by ``service`` or ``reason``.

    Months run from the period's first to its last (or the snapshot date's, when earlier, or ``as_of``'s);
    the ``Total`` row is the period's count per category. Suppression: primary, column rule 3 and the row
    rule of ``suppress_grid`` (the months' totals can be read from the other breakdown).
    """
    if by not in ("service", "reason"):
        raise ValueError(f"referrals are broken down by 'service' or 'reason', not {by!r}")
    period = filters.period
    categories = list(SERVICES if by == "service" else REFERRAL_REASONS)
    last = min(period.end, as_of or snapshot.snapshot_date)
    idx = children_in_scope(snapshot, filters).get_column("child_idx")
    events = snapshot.referrals.filter(
        pl.col("referral_date").is_between(period.start, period.end)
        & pl.col("child_idx").is_in(idx.implode())
    )
    months = month_starts(period.start, max(last, period.start))
    raw = month_grid(events, "referral_date", by, categories, months)
    specs = tuple(FigureSpec(c, "count", c) for c in categories)
    return RawTable(raw, ("month", "month_start"), specs, grid="rows")
