"""Shown figures: every figure the data layer computes, passed through the viewer's data policy.

This is the only door figures leave the data layer by. Each function takes the snapshot, the filters and a
role (or ``public=True`` for exports meant for a public board paper) and returns ``FigureTable``s whose
suppressed cells are already ``c``. The concept modules (``enrolment``, ``attendance``, ``events``,
``assessments``) return raw counts (``RawTable``); only this module resolves the role's policy and calls
``data_access.disclosure``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

import polars as pl

from data_access import assessments, attendance, enrolment, events, figures
from data_access.cellkey import (
    KEY_SPACE,
)
from data_access.disclosure import (
    FigureSpec,
    FigureTable,
    RawTable,
    disclose,
    hide_rates_with_counts,
)
from data_access.filters import Filters, SelectionRefused
from data_access.periods import (
    Period,
    comparison_period,
    format_date,
    year_before,
)
from data_access.policy import policy_for
from data_access.protected import (
    _gated,
    _with_complement,
    month_ends,
    protected_as_at,
    protected_inputs,
    protected_period,
    protected_span,
    selection_gate,
    townships_of,
)
from data_access.registry import BOARD_FIGURES, FIGURES
from data_access.snapshots import Snapshot
from data_access.tables import TOTAL, long_form, only, sorted_board
from data_access.uncertainty import disclose_with_intervals, shown_with_intervals, without_intervals

__all__ = [
    "BOARD_FIGURES",
    "FigureTable",
    "long_form",
    "month_ends",
    "only",
    "protected_as_at",
    "protected_inputs",
    "protected_period",
    "protected_span",
    "selection_gate",
    "sorted_board",
    "townships_of",
]

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


def _shown(build: Callable[..., RawTable], snapshot: Snapshot, filters: Filters, role: str, public: bool,
           *args: Any, intervals: bool = False) -> FigureTable:  # fmt: skip
    """``build(snapshot, filters, *args)`` disclosed under the viewer's policy: exact, or computed on the keyed
    snapshot with rule 6's inputs and rule 5's gate for the selection, then perturbed. ``intervals`` adds each
    rate's 95% interval columns from the same shown counts (``uncertainty.disclose_with_intervals``)."""
    shown = disclose_with_intervals if intervals else disclose
    if not applies_suppression(role, public):
        return shown(build(snapshot, filters, *args), False)
    snapshot, filters = protected_inputs(snapshot, filters)
    return shown(_gated(build(snapshot, filters, *args), snapshot, filters), True)


def _as_at(as_at: date, role: str, public: bool) -> date:
    return protected_as_at(as_at) if applies_suppression(role, public) else as_at


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
    rate's 95% interval columns unless ``intervals`` is False (``uncertainty.shown_with_intervals``).

    Protected outputs (contract section 6): the keyed snapshot, counts perturbed by their cell keys, rates
    from published counts (and intervals from published counts), rule 5 per row (a school row's complement is
    that school's children left out by the filter), a period not over cut at the last month end.
    """
    apply = applies_suppression(role, public)
    if not apply:
        raw = figures.board_raw(snapshot, filters, period)
    else:
        snapshot, filters = protected_inputs(snapshot, replace(filters, period=period or filters.period))
        raw = _with_complement(figures.board_raw(snapshot, filters), snapshot, filters, filters.period)
    return shown_with_intervals(
        raw, ["school_id"], BOARD_SPECS, apply=apply, total_key=("school_id", "all"), with_intervals=intervals
    )


def _with_events(raw: pl.DataFrame) -> pl.DataFrame:
    combined = raw.with_columns(
        suspensions_and_exclusions=pl.col("suspensions") + pl.col("permanent_exclusions")
    )
    if "suspensions__key" in raw.columns:
        total = pl.col("suspensions__key").cast(pl.UInt64) + pl.col("permanent_exclusions__key").cast(
            pl.UInt64
        )
        combined = combined.with_columns(suspensions_and_exclusions__key=(total % KEY_SPACE).cast(pl.UInt32))
    return combined


def by_period(
    snapshot: Snapshot,
    filters: Filters,
    role: str,
    periods: Sequence[Period],
    specs: Sequence[FigureSpec] = BOARD_SPECS,
    *,
    public: bool = False,
) -> FigureTable:
    """Figures over all selected children for each of ``periods`` (each with its own children in scope).

    Protected outputs: a period not over runs to the last month end, and one with no complete month yet (the
    current month as a series point) shows nothing (a dash), never a figure (contract 4.1 and section 6,
    rule 6).
    """
    apply = applies_suppression(role, public)
    if apply:
        snapshot, _ = protected_inputs(snapshot, filters)
    frames = []
    not_yet: list[int] = []
    for index, asked in enumerate(periods):
        period = protected_span(asked, snapshot.snapshot_date) if apply else asked
        if period is None:  # protected: a period with no complete month yet (this month) shows nothing
            not_yet.append(index)
            period = asked
        stats = figures.sum_stats(figures.child_stats(snapshot, filters, period))
        if apply:
            stats = _with_complement(stats.with_columns(school_id=pl.lit("all")), snapshot, filters, period)
            stats = stats.drop("school_id")
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
    table = shown_with_intervals(raw, ["order", "period", "period_key", "start", "end"], specs, apply=apply)
    if not not_yet:
        return table
    # Every column of such a row is blanked, its interval columns too: nothing is shown for it.
    blank = pl.col("order").is_in(not_yet)
    statuses = {f"{f}__status" for f in table.figures}
    frame = table.frame.with_columns(
        pl.when(blank).then(pl.lit("none") if c in statuses else None).otherwise(pl.col(c)).alias(c)
        for c in table.frame.columns
        if c not in table.keys
    )
    return FigureTable(frame, table.keys, table.figures, table.suppressed)


def by_school(
    snapshot: Snapshot, filters: Filters, role: str, specs: Sequence[FigureSpec], *, public: bool = False
) -> FigureTable:
    """Any figures by school with a total row (protected as ``board_table``), with interval columns."""
    apply = applies_suppression(role, public)
    if not apply:
        raw = _with_events(figures.board_raw(snapshot, filters))
    else:
        snapshot, filters = protected_inputs(snapshot, filters)
        raw = _with_complement(
            _with_events(figures.board_raw(snapshot, filters)), snapshot, filters, filters.period
        )
    return shown_with_intervals(raw, ["school_id"], specs, apply=apply, total_key=("school_id", "all"))


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
    return _shown(enrolment.funnel, snapshot, filters, role, public, _as_at(as_at, role, public))


# ------------------------------------------------------------------------------------------------ enrolment


def enrolments_by_month(
    snapshot: Snapshot, filters: Filters, role: str, as_at: date, *, public: bool = False
) -> FigureTable:
    """Enrolments per month by school up to ``as_at`` (``enrolment.enrolments_by_month``), shown."""
    return _shown(enrolment.enrolments_by_month, snapshot, filters, role, public, _as_at(as_at, role, public))


def children_by(
    snapshot: Snapshot, filters: Filters, role: str, characteristic: str, *, public: bool = False
) -> FigureTable:
    """Children in scope by one characteristic, then the total row (``enrolment.children_by``), shown."""
    return _shown(enrolment.children_by, snapshot, filters, role, public, characteristic)


def exits_by_reason(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False) -> FigureTable:
    """Exits within the period by reason, then ``All exits`` (``enrolment.exits_by_reason``), shown."""
    return _shown(enrolment.exits_by_reason, snapshot, filters, role, public)


# ------------------------------------------------------------------------------------------------ attendance


WEEKS_REFUSED: Final = (
    "Week-by-week figures are for AllChild staff only: for protected figures a series has calendar months as its "
    "points (contract section 6, rule 6)."
)


def weekly_attendance(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Attendance per week and the baseline year (``attendance.weekly_attendance``) with each week's 95% interval,
    for exact roles only.

    Raises:
        SelectionRefused: for protected outputs: contract section 6, rule 6 allows calendar months only as the
            points of a series (weeks would be one more route for differencing).
    """
    if applies_suppression(role, public):
        raise SelectionRefused(WEEKS_REFUSED)
    return _shown(attendance.weekly_attendance, snapshot, filters, role, public, intervals=True)


def monthly_absence(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False) -> FigureTable:
    """Authorised and unauthorised absence per month (``attendance.monthly_absence``), shown with intervals."""
    return _shown(attendance.monthly_absence, snapshot, filters, role, public, intervals=True)


def attendance_around_enrolment(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Attendance by month from enrolment, −12 to +12 (``attendance.attendance_around_enrolment``), shown with
    intervals."""
    return _shown(attendance.attendance_around_enrolment, snapshot, filters, role, public, intervals=True)


def school_monthly_attendance(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Attendance per school per month (``attendance.school_monthly_attendance``), shown with intervals."""
    return _shown(attendance.school_monthly_attendance, snapshot, filters, role, public, intervals=True)


# ------------------------------------------------------------------------------------------------ assessments


def sdq_bands(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False) -> FigureTable:
    """Children per SDQ band at baseline and latest, with shares and their intervals (none on the total row,
    100% by definition) and a total (``assessments.sdq_bands``)."""
    table = _shown(assessments.sdq_bands, snapshot, filters, role, public, intervals=True)
    return without_intervals(table, "level", TOTAL)


def sdq_band_movement(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Children whose SDQ band got better, stayed or got worse (``assessments.sdq_band_movement``), shown with
    each share's interval (none on the total row, 100% by definition)."""
    table = _shown(assessments.sdq_band_movement, snapshot, filters, role, public, intervals=True)
    return without_intervals(table, "movement", TOTAL)


def attainment_levels(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Children per reading, writing and maths level (``assessments.attainment_levels``), each block shown."""
    return _shown(assessments.attainment_levels, snapshot, filters, role, public)


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
    if applies_suppression(role, public) and as_of is not None:
        as_of = protected_as_at(as_of)
    return _shown(_referrals_by_month, snapshot, filters, role, public, by, as_of)


def _referrals_by_month(snapshot: Snapshot, filters: Filters, by: str, as_of: date | None) -> RawTable:
    return events.referrals_by_month(snapshot, filters, by, as_of=as_of)


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

    Both rows are the board table's ``all`` row for their period, as shown (the same records give the same
    published values, so the two pages can never disagree). For protected roles a period not over runs to
    the last month end and is compared with the same span a year earlier (contract 4.1).
    """
    rows = []
    before, this = year_before(filters.period), filters.period
    if applies_suppression(role, public):
        before = comparison_period(filters.period, snapshot.snapshot_date, protected=True) or before
        this = protected_period(filters.period, snapshot.snapshot_date)
    for which, period in (("Year before", before), ("This period", this)):
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
