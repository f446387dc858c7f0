"""The inputs of every protected output (contract section 6): rule 6's fixed selections (years and terms cut
at the last month end, month-end as-at dates, one school / township / all, one characteristic value), the keyed
snapshot the cell keys come from, and rule 5's gate on a selection and its complement. ``views`` applies them;
nothing else reads them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl

from data_access import enrolment
from data_access.cellkey import (
    RECORD_KEY,
    PublishedCount,
    count_with_key,
    publish_count,
    rates_allowed,
)
from data_access.disclosure import COMPLEMENT, RawTable
from data_access.filters import Filters, SelectionRefused, protected_selection_problems
from data_access.periods import Period, format_date, last_month_end, so_far_label
from data_access.record_keys import keyed
from data_access.snapshots import Snapshot


def townships_of(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    """Each township's schools (school_id order), for rule 6's "one township"."""
    out: dict[str, list[str]] = {}
    for row in snapshot.schools.select("school_id", "township").iter_rows():
        out.setdefault(str(row[1]), []).append(str(row[0]))
    return {name: tuple(sorted(ids)) for name, ids in sorted(out.items())}


def protected_span(period: Period, snapshot_date: date) -> Period | None:
    """What a protected output of ``period`` covers: nothing after the last month end on or before the snapshot
    date (contract 4.1 and section 6, rule 6), so [from, min(to, last month end)], named "so far" when cut;
    None when the period starts after that month end (no complete month yet)."""
    end = last_month_end(snapshot_date)
    if period.end <= end:
        return period
    if period.start > end:
        return None
    return Period(period.start, end, period.kind, so_far_label(period, end))


def protected_period(period: Period, snapshot_date: date) -> Period:
    """Contract 4.1 for protected roles: a period not over covers [from, last month end]; refused when it has
    no complete month yet."""
    span = protected_span(period, snapshot_date)
    if span is None:
        raise SelectionRefused(
            f"{period.label or 'This period'} has no complete month yet: figures for councillors, commissioners "
            f"and board papers run to the last month end ({format_date(last_month_end(snapshot_date))})."
        )
    return span


def protected_inputs(snapshot: Snapshot, filters: Filters) -> tuple[Snapshot, Filters]:
    """The keyed snapshot and the filters a protected output is computed with (contract section 6).

    Refuses (``SelectionRefused``) a set of schools that is not one school, one township or all schools, and
    more than one characteristic filter value (rule 6); a period not over is cut at the last month end (4.1).
    The periods offered (years and terms only) are the caller's (``filters.protected_selection_problems``):
    this function also serves the series points (calendar months) and comparison periods built from them.
    """
    problems = protected_selection_problems(filters, townships_of(snapshot), check_period=False)
    if problems:
        raise SelectionRefused(" ".join(problems))
    return keyed(snapshot), replace(filters, period=protected_period(filters.period, snapshot.snapshot_date))


def month_ends(first: date, snapshot_date: date) -> list[date]:
    """Every month end from the month of ``first`` to the last month end on or before ``snapshot_date``,
    newest first: the as-at dates a protected role may choose (rule 6)."""
    out: list[date] = []
    end = last_month_end(snapshot_date)
    while end >= first.replace(day=1) or not out:
        out.append(end)
        end = end.replace(day=1) - timedelta(days=1)
    return out


def protected_as_at(as_at: date) -> date:
    """Rule 6: as-at dates only at month ends (the last month end on or before ``as_at``)."""
    return last_month_end(as_at)


def _published_children(frame: pl.DataFrame) -> PublishedCount:
    n, key = frame.select(*count_with_key(None, RECORD_KEY, "n")).row(0)
    return publish_count(int(n), int(key))


def selection_gate(
    snapshot: Snapshot, filters: Filters, period: Period | None = None
) -> tuple[bool, PublishedCount | None]:
    """Rule 5 for a whole selection of a keyed snapshot: (rates allowed, the published complement or None).

    Rates need the selection's published children in scope to be at least 10 and, with a characteristic
    filter, its complement (children of the same schools in scope whom the filter leaves out) to be a true 0
    or published at 10 or more.
    """
    period = period or filters.period
    children = _published_children(enrolment.children_in_scope(snapshot, filters, period))
    complement: PublishedCount | None = None
    if enrolment.has_characteristic_filter(filters):
        complement = _published_children(enrolment.complement_in_scope(snapshot, filters, period))
    return rates_allowed(children, complement), complement


def _gated(raw: RawTable, snapshot: Snapshot, filters: Filters) -> RawTable:
    allowed, complement = selection_gate(snapshot, filters)
    return replace(raw, rates_allowed=allowed, complement=complement)


def _with_complement(raw: pl.DataFrame, snapshot: Snapshot, filters: Filters, period: Period) -> pl.DataFrame:
    """Rule 5 per row: each school row's complement and the ``all`` row's, with cell keys, as raw columns."""
    if not enrolment.has_characteristic_filter(filters):
        return raw
    left_out = enrolment.complement_in_scope(snapshot, filters, period)
    counts = count_with_key(None, RECORD_KEY, COMPLEMENT)
    per_school = left_out.group_by("school_id").agg(*counts)
    total = left_out.select(*counts).with_columns(school_id=pl.lit("all"))
    both = pl.concat([per_school, total.select(per_school.columns)])
    return raw.join(both, on="school_id", how="left").with_columns(
        pl.col(COMPLEMENT).fill_null(0), pl.col(f"{COMPLEMENT}__key").fill_null(0)
    )
