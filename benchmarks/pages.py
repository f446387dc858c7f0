"""The figures each page asks the data layer for, as (name, call) pairs, mirroring ``pages/*.py``.

A filter change makes a page ask for all of its figures again with the new filters; the benchmark times
exactly these calls through ``dashboard.data.cached`` (the figure cache every page uses), so "cold" is a
cleared figure cache and "warm" is the same filters asked again. Keep this in step with the pages: a call
that no longer matches a page's signature shows up as an error in the benchmark table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from data_access import breakdowns, trends, views
from data_access.filters import Filters
from data_access.periods import academic_year_start, terms_up_to, year_before
from data_access.snapshots import Snapshot

Call = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


def _terms(snapshot: Snapshot, filters: Filters) -> tuple[Any, ...]:
    return terms_up_to(min(filters.period.end, snapshot.snapshot_date), snapshot.first_day)


def _as_at(snapshot: Snapshot, filters: Filters) -> date:
    return min(filters.period.end, snapshot.snapshot_date)


def page_calls(snapshot: Snapshot, filters: Filters) -> dict[str, list[Call]]:
    """Per page, the ``ctx.view`` calls it makes (function, extra args, kwargs) for these filters."""
    terms = _terms(snapshot, filters)
    years = breakdowns.academic_years(snapshot.first_day, snapshot.snapshot_date)
    as_at = _as_at(snapshot, filters)
    return {
        "overview": [
            (views.board_table, (), {}),
            (views.board_table, (), {"period": year_before(filters.period)}),
            (views.by_period, (terms,), {}),
        ],
        "enrolment": [
            (views.funnel_table, (as_at,), {}),
            (breakdowns.enrolments_by_month, (as_at,), {}),
            *((breakdowns.children_by, (c,), {}) for c in breakdowns.CHARACTERISTICS),
            (breakdowns.exits_by_reason, (), {}),
        ],
        "attendance": [
            (trends.weekly_attendance, (), {}),
            (views.by_period, (terms,), {}),
            (trends.monthly_absence, (), {}),
            (trends.attendance_around_enrolment, (), {}),
        ],
        "referrals": [
            (breakdowns.referrals_by_month, ("service",), {}),
            (breakdowns.referrals_by_month, ("reason",), {}),
            (breakdowns.mental_health_year_on_year, (), {}),
            (breakdowns.mental_health_by_school, (), {}),
        ],
        "suspensions": [
            (breakdowns.suspensions_by_period, (terms,), {}),
            (breakdowns.suspensions_by_period, (years,), {}),
            (breakdowns.suspensions_by_school, (), {}),
        ],
        "school_progress": [
            (views.board_table, (), {}),
            (trends.school_monthly_attendance, (), {}),
            (trends.sdq_bands, (), {}),
            (trends.sdq_band_movement, (), {}),
            (trends.attainment_levels, (), {}),
        ],
    }


def academic_year_of(day: date) -> int:
    """The academic year (its starting calendar year) holding ``day``."""
    return academic_year_start(day)
