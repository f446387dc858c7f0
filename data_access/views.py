"""Shown figures: every figure the data layer computes, passed through the viewer's data policy.

This is the only door figures leave the data layer by. Each function takes the snapshot, the filters and a
role (or ``public=True`` for exports meant for a public board paper) and returns ``FigureTable``s whose
suppressed cells are already ``c``. The concept modules (``enrolment``, ``attendance``, ``events``,
``assessments``) return raw counts (``RawTable``); only this module resolves the role's policy and calls
``data_access.disclosure``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import polars as pl

from data_access import assessments, attendance, enrolment, events, figures
from data_access.disclosure import (
    FigureSpec,
    FigureTable,
    RawTable,
    disclose,
    hide_rates_with_counts,
)
from data_access.filters import Filters
from data_access.periods import Period, format_date, year_before
from data_access.policy import policy_for
from data_access.registry import BOARD_FIGURES, FIGURES
from data_access.snapshots import Snapshot
from data_access.tables import long_form, only, sorted_board
from data_access.uncertainty import shown_with_intervals

__all__ = ["BOARD_FIGURES", "FigureTable", "long_form", "only", "sorted_board"]

BOARD_SPECS: Final = tuple(FIGURES[name].spec for name in BOARD_FIGURES)
EXTRA_SPECS: Final = tuple(f.spec for f in FIGURES.values() if f.section == "extra")
MH_SPECS: Final = tuple(
    FIGURES[n].spec for n in ("children", "mental_health_referrals", "mental_health_referrals_per_100")
)
SUSPENSION_SPECS: Final = tuple(
    FIGURES[n].spec
    for n in (
        "suspensions",
        "permanent_exclusions",
        "suspensions_per_100",
        "permanent_exclusions_per_100",
        "sessions_lost",
    )
)


def applies_suppression(role: str, public: bool = False) -> bool:
    """True when figures for ``role`` (or any public export) go through disclosure control."""
    return public or policy_for(role).suppressed


def _show(raw: RawTable, role: str, public: bool) -> FigureTable:
    return disclose(raw, applies_suppression(role, public))


def board_table(
    snapshot: Snapshot,
    filters: Filters,
    role: str,
    *,
    public: bool = False,
    period: Period | None = None,
    intervals: bool = True,
) -> FigureTable:
    """The board figures: one row per school in school_id order, then ``all`` (the ``report`` rows), with each
    rate's 95% interval columns unless ``intervals`` is False (``uncertainty.shown_with_intervals``)."""
    raw = figures.board_raw(snapshot, filters, period)
    return shown_with_intervals(
        raw,
        ["school_id"],
        BOARD_SPECS,
        apply=applies_suppression(role, public),
        total_key=("school_id", "all"),
        with_intervals=intervals,
    )


def _with_events(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.with_columns(suspensions_and_exclusions=pl.col("suspensions") + pl.col("permanent_exclusions"))


def by_period(
    snapshot: Snapshot,
    filters: Filters,
    role: str,
    periods: Sequence[Period],
    specs: Sequence[FigureSpec] = BOARD_SPECS,
    *,
    public: bool = False,
) -> FigureTable:
    """Figures over all selected children for each of ``periods`` (each with its own children in scope)."""
    frames = []
    for index, period in enumerate(periods):
        stats = figures.sum_stats(figures.child_stats(snapshot, filters, period))
        frames.append(
            stats.with_columns(
                order=pl.lit(index),
                period=pl.lit(period.label),
                period_key=pl.lit(period.key),
                start=pl.lit(period.start),
                end=pl.lit(period.end),
            )
        )
    raw = _with_events(pl.concat(frames)) if frames else pl.DataFrame()
    if raw.is_empty():
        return _empty(["order", "period", "period_key", "start", "end"], specs)
    return shown_with_intervals(
        raw, ["order", "period", "period_key", "start", "end"], specs, apply=applies_suppression(role, public)
    )


def by_school(
    snapshot: Snapshot, filters: Filters, role: str, specs: Sequence[FigureSpec], *, public: bool = False
) -> FigureTable:
    """Any figures by school with a total row (secondary suppression applies)."""
    raw = _with_events(figures.board_raw(snapshot, filters))
    return shown_with_intervals(
        raw, ["school_id"], specs, apply=applies_suppression(role, public), total_key=("school_id", "all")
    )


def _empty(keys: Sequence[str], specs: Sequence[FigureSpec]) -> FigureTable:
    schema: dict[str, type[pl.DataType]] = dict.fromkeys(keys, pl.String)
    for spec in specs:
        schema[spec.name] = pl.Float64
        schema[f"{spec.name}__status"] = pl.String
    return FigureTable(pl.DataFrame(schema=schema), tuple(keys), tuple(s.name for s in specs), False)


@dataclass(frozen=True)
class Headline:
    """One headline figure now and in the same period a year before, both as shown to the viewer."""

    name: str
    now: int | float | str | None
    before: int | float | str | None

    @property
    def change(self) -> float | None:
        """Now minus before, when both are shown numbers."""
        if isinstance(self.now, int | float) and isinstance(self.before, int | float):
            return round(float(self.now) - float(self.before), 1)
        return None


def funnel_table(
    snapshot: Snapshot, filters: Filters, role: str, as_at: date, *, public: bool = False
) -> FigureTable:
    """The enrolment funnel as at ``as_at``, by school then ``all``."""
    return _show(enrolment.funnel(snapshot, filters, as_at), role, public)


# ------------------------------------------------------------------------------------------------ enrolment


def enrolments_by_month(
    snapshot: Snapshot, filters: Filters, role: str, as_at: date, *, public: bool = False
) -> FigureTable:
    """Enrolments per month by school up to ``as_at`` (``enrolment.enrolments_by_month``), shown."""
    return _show(enrolment.enrolments_by_month(snapshot, filters, as_at), role, public)


def children_by(
    snapshot: Snapshot, filters: Filters, role: str, characteristic: str, *, public: bool = False
) -> FigureTable:
    """Children in scope by one characteristic, then the total row (``enrolment.children_by``), shown."""
    return _show(enrolment.children_by(snapshot, filters, characteristic), role, public)


def exits_by_reason(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False) -> FigureTable:
    """Exits within the period by reason, then ``All exits`` (``enrolment.exits_by_reason``), shown."""
    return _show(enrolment.exits_by_reason(snapshot, filters), role, public)


# ------------------------------------------------------------------------------------------------ attendance


def weekly_attendance(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Attendance per week and the baseline year (``attendance.weekly_attendance``), each point shown."""
    return _show(attendance.weekly_attendance(snapshot, filters), role, public)


def monthly_absence(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False) -> FigureTable:
    """Authorised and unauthorised absence per month (``attendance.monthly_absence``), shown."""
    return _show(attendance.monthly_absence(snapshot, filters), role, public)


def attendance_around_enrolment(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Attendance by month from enrolment, −12 to +12 (``attendance.attendance_around_enrolment``), shown."""
    return _show(attendance.attendance_around_enrolment(snapshot, filters), role, public)


def school_monthly_attendance(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Attendance per school per month (``attendance.school_monthly_attendance``), shown."""
    return _show(attendance.school_monthly_attendance(snapshot, filters), role, public)


# ------------------------------------------------------------------------------------------------ assessments


def sdq_bands(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False) -> FigureTable:
    """Children per SDQ band at baseline and latest, with shares and a total (``assessments.sdq_bands``)."""
    return _show(assessments.sdq_bands(snapshot, filters), role, public)


def sdq_band_movement(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Children whose SDQ band got better, stayed or got worse (``assessments.sdq_band_movement``), shown."""
    return _show(assessments.sdq_band_movement(snapshot, filters), role, public)


def attainment_levels(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Children per reading, writing and maths level (``assessments.attainment_levels``), each block shown."""
    return _show(assessments.attainment_levels(snapshot, filters), role, public)


# ------------------------------------------------------------------------------------------------ events


def referrals_by_month(
    snapshot: Snapshot,
    filters: Filters,
    role: str,
    by: str,
    *,
    as_of: date | None = None,
    public: bool = False,
) -> FigureTable:
    """Referrals per month by ``service`` or ``reason`` (``events.referrals_by_month``), shown."""
    return _show(events.referrals_by_month(snapshot, filters, by, as_of=as_of), role, public)


def _last_row(table: FigureTable, **keys: Any) -> pl.DataFrame:
    # Each figure's value and status, then its interval columns where it has them (``uncertainty``).
    extra = [
        c
        for f in table.figures
        for c in table.frame.columns
        if c.startswith(f"{f}__") and c != f"{f}__status"
    ]
    return table.frame.tail(1).select(
        *(pl.lit(v, pl.String).alias(k) for k, v in keys.items()),
        *(pl.col(c) for f in table.figures for c in (f, f"{f}__status")),
        *(pl.col(c) for c in extra),
    )


def mental_health_year_on_year(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Mental health referrals (count and per 100 children) for the period and the same period a year before.

    Both rows are the board table's ``all`` row for their period, as shown (so secondary suppression of the
    board table carries over and the two pages can never disagree).
    """
    rows = []
    for which, period in (("Year before", year_before(filters.period)), ("This period", filters.period)):
        board = board_table(snapshot, filters, role, public=public, period=period)
        mh = FigureTable(
            board.frame.select(
                "school_id",
                *(
                    c
                    for s in MH_SPECS
                    for c in board.frame.columns
                    if c == s.name or c.startswith(f"{s.name}__")
                ),
            ),
            board.keys,
            tuple(s.name for s in MH_SPECS),
            board.suppressed,
        )
        rows.append(
            _last_row(
                mh,
                period=which,
                dates=f"{format_date(period.start)} – {format_date(period.end)}",
                label=period.label or "Custom range",
            )
        )
    table = FigureTable(
        pl.concat(rows),
        ("period", "dates", "label"),
        tuple(s.name for s in MH_SPECS),
        applies_suppression(role, public),
    )
    return hide_rates_with_counts(table)


def mental_health_by_school(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Mental health referrals and referrals per 100 children by school, then ``all`` (the board figures).

    These are exactly the board table's and ``report``'s figures (contract section 6, column by column), so
    the page and ``report`` agree. The contract's column-by-column rule can let a hidden count be worked out
    from its rate per 100 beside it; that is raised with the contract's owners rather than changed here.
    """
    return by_school(snapshot, filters, role, MH_SPECS, public=public)


def suspensions_by_period(
    snapshot: Snapshot, filters: Filters, role: str, periods: Sequence[Period], *, public: bool = False
) -> FigureTable:
    """Suspensions, permanent exclusions, their rates per 100 children in scope and sessions lost, per period."""
    table = by_period(snapshot, filters, role, periods, (BOARD_SPECS[0], *SUSPENSION_SPECS), public=public)
    return hide_rates_with_counts(table)


def suspensions_by_school(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """The suspension figures by school, then ``all``, with secondary suppression per column."""
    return hide_rates_with_counts(
        by_school(snapshot, filters, role, (BOARD_SPECS[0], *SUSPENSION_SPECS), public=public)
    )
