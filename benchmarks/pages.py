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

from data_access import enrolment, views
from data_access.filters import Filters
from data_access.periods import academic_year_start, academic_years, terms_up_to, year_before
from data_access.snapshots import Snapshot

Call = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


def _terms(snapshot: Snapshot, filters: Filters) -> tuple[Any, ...]:
    return terms_up_to(min(filters.period.end, snapshot.snapshot_date), snapshot.first_day)


def _as_at(snapshot: Snapshot, filters: Filters) -> date:
    return min(filters.period.end, snapshot.snapshot_date)


def page_calls(snapshot: Snapshot, filters: Filters, *, protected: bool = True) -> dict[str, list[Call]]:
    """Per page, the ``ctx.view`` calls it makes (function, extra args, kwargs) for these filters; ``protected``:
    as a protected role sees the page (no week-by-week series, contract section 6, rule 6)."""
    terms = _terms(snapshot, filters)
    years = academic_years(snapshot.first_day, snapshot.snapshot_date)
    as_at = _as_at(snapshot, filters)
    return {
        "overview": [
            (views.board_table, (), {}),
            (views.board_table, (), {"period": year_before(filters.period)}),
            (views.by_period, (terms,), {}),
        ],
        "enrolment": [
            (views.funnel_table, (as_at,), {}),
            (views.enrolments_by_month, (as_at,), {}),
            *((views.children_by, (c,), {}) for c in enrolment.CHARACTERISTICS),
            (views.exits_by_reason, (), {}),
        ],
        "attendance": [
            *([] if protected else [(views.weekly_attendance, (), {})]),  # weeks: exact roles only (rule 6)
            (views.by_period, (terms,), {}),
            (views.monthly_absence, (), {}),
            (views.attendance_around_enrolment, (), {}),
        ],
        "referrals": [
            (views.referrals_by_month, ("service",), {}),
            (views.referrals_by_month, ("reason",), {}),
            (views.mental_health_year_on_year, (), {}),
            (views.mental_health_by_school, (), {}),
        ],
        "suspensions": [
            (views.suspensions_by_period, (terms,), {}),
            (views.suspensions_by_period, (years,), {}),
            (views.suspensions_by_school, (), {}),
        ],
        "school_progress": [
            (views.board_table, (), {}),
            (views.school_monthly_attendance, (), {}),
            (views.sdq_bands, (), {}),
            (views.sdq_band_movement, (), {}),
            (views.attainment_levels, (), {}),
        ],
    }


def academic_year_of(day: date) -> int:
    """The academic year (its starting calendar year) holding ``day``."""
    return academic_year_start(day)
