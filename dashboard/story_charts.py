"""The story's screens: each page's key chart (and the school table) with the numbers behind it.

Pure functions (no Streamlit): every figure comes from ``data_access.views``, already through the viewer's
data policy (or disclosure control whatever the role when ``public=True``); titles and labels of figures come
from the figure registry. ``dashboard.story`` puts the screens together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

import altair as alt
import polars as pl

from dashboard import charts
from data_access import comparators, views
from data_access.disclosure import SUPPRESSED, FigureTable, ShownValue
from data_access.filters import Filters
from data_access.periods import (
    Period,
    academic_year_start,
    bucket_a_year_before,
    cut_short,
    month_period,
    named_period,
    partial_points,
    short_term_label,
    so_far_label,
    term_of,
    terms_of_period_year,
    time_buckets,
    year_before,
    year_label,
)
from data_access.registry import FIGURES
from data_access.snapshots import Snapshot
from data_access.uncertainty import display_with_intervals, has_interval, interval_rows, range_text

SCHOOL_LABELS: Final = {"school_id": "ID", "school_name": "School"}
ALL_ROW_NAME: Final = "All schools shown"


@dataclass(frozen=True)
class StoryChart:
    """One screen of the story: a key chart (or table) with its title, description and the numbers behind it."""

    key: str
    title: str
    description: str
    chart: alt.TopLevelMixin | None
    table: FigureTable
    labels: dict[str, str] = field(default_factory=dict)
    definitions: tuple[str, ...] = ()
    note: str | None = None
    intervals: bool = True

    @property
    def has_suppressed_values(self) -> bool:
        """True when the numbers behind the chart hold a ``c``."""
        return self.table.has_suppressed_values

    def shown(self) -> pl.DataFrame:
        """The table as shown (strings, ``c`` and ``–`` included), with the story's headings."""
        if not self.intervals:
            return self.table.display(self.labels)
        return display_with_intervals(self.table, self.labels)

    def intervals_shown(self) -> pl.DataFrame | None:
        """Each rate's 95% interval as "lo to hi" beside the table's keys, for a table that keeps its figures in
        narrow cells (``intervals=False``): ``c`` where the figure is ``c``, ``–`` where it has none. None when
        no figure of the table has an interval."""
        names = [name for name in self.table.figures if has_interval(self.table, name)]
        if not names:
            return None
        rows = interval_rows(self.table)  # X_low / X_high: numbers, "c" where X is c, None where it has none
        data: dict[str, list[str]] = {
            self.labels.get(key, key): [str(row[key]) for row in rows] for key in self.table.keys
        }
        for name in names:
            data[self.labels.get(name, name)] = [
                _range_text(row[f"{name}_low"], row[f"{name}_high"]) for row in rows
            ]
        return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))


def _range_text(low: ShownValue, high: ShownValue) -> str:
    """An interval as a table cell: ``86.9 to 89.6``, ``c`` for a hidden figure, ``–`` where there is none."""
    if low == SUPPRESSED:
        return "c"
    return "–" if low is None or high is None else range_text((float(low), float(high)))


def comparator_lines(indicator: str) -> pl.DataFrame | None:
    """Comparator lines for a chart (close values share one line): ``data_access.comparators.lines``."""
    return comparators.lines(indicator)


def _short_terms(labels: pl.Expr) -> pl.Expr:
    return labels.str.replace_all(" term 20", " ", literal=True)


def _so_far_terms(table: FigureTable) -> pl.Series:
    """Each term's short label, with " (so far)" for a term cut short at the period's end (contract 4.1)."""
    out = []
    for label, start, end in table.frame.select("period", "start", "end").iter_rows():
        term = Period(start, end, "term", label)
        named = named_period(term)
        out.append(short_term_label(named.label) + (" (so far)" if cut_short(term) else ""))
    return pl.Series("term", out, dtype=pl.String)


def comparators_of(name: str) -> tuple[tuple[str, ...], str]:
    """A headline's comparator labels, and all of them in one short line for a tile."""
    rows = comparators.latest(name) if FIGURES[name].comparator is not None else pl.DataFrame()
    if rows.is_empty():
        return (), ""
    year = rows.get_column("academic_year")[0]
    values = " · ".join(f"{g} {v:.1f}" for g, v in rows.select("geography", "value").iter_rows())
    return tuple(rows.get_column("label").to_list()), f"All pupils {year}: {values}"


def _subset(table: FigureTable, keys: Sequence[str], figures: Sequence[str]) -> FigureTable:
    """The same shown figures with fewer key and figure columns (what a chart's table shows)."""
    columns = [*keys, *(c for f in figures for c in table.frame.columns if c == f or c.startswith(f"{f}__"))]
    return FigureTable(table.frame.select(columns), tuple(keys), tuple(figures), table.suppressed)


def _long(
    table: FigureTable, figures: dict[str, str], x: str, extra: dict[str, Any] | None = None
) -> pl.DataFrame:
    """A long frame for a chart: one row per key row and figure, with ``value`` (null when hidden) and ``status``."""
    frame = table.frame
    parts = [
        frame.select(
            pl.col(x),
            pl.lit(label).alias("series"),
            pl.col(name).cast(pl.Float64).alias("value"),
            pl.col(f"{name}__status").alias("status"),
            *(pl.lit(v).alias(k) for k, v in (extra or {}).items()),
        )
        for name, label in figures.items()
    ]
    return pl.concat(parts) if parts else pl.DataFrame()


def attendance_chart(
    snapshot: Snapshot,
    filters: Filters,
    role: str,
    *,
    public: bool,
    scale: float,
    width: int | str,
    height: int,
) -> StoryChart:
    """Attendance rate week by week (short periods, exact outputs) or month by month, against a year before."""
    period = filters.period
    protected = views.applies_suppression(role, public)
    buckets, unit = time_buckets(period, snapshot.snapshot_date, weeks_allowed=not protected)
    spec = [s for s in views.BOARD_SPECS if s.name == "attendance_rate"]
    now = views.by_period(snapshot, filters, role, buckets, spec, public=public)
    before = views.by_period(
        snapshot, filters, role, [bucket_a_year_before(b) for b in buckets], spec, public=public
    )
    this_label, before_label = "This period", "A year before"
    partial = partial_points(
        [month_period(b.start) if unit == "month" else b for b in buckets], snapshot.snapshot_date
    )
    if unit == "week":  # a week is partial when it runs past the data's last day
        partial = [
            b.end < b.start + timedelta(days=6 - b.start.weekday()) and b.end == period.end for b in buckets
        ]
    now_frame = _long(now, {"attendance_rate": this_label}, "start").with_columns(
        low=now.frame.get_column("attendance_rate__low"), high=now.frame.get_column("attendance_rate__high"),
        partial=pl.Series(partial, dtype=pl.Boolean),
    )  # fmt: skip
    before_frame = _long(before, {"attendance_rate": before_label}, "start").with_columns(
        low=before.frame.get_column("attendance_rate__low"), high=before.frame.get_column("attendance_rate__high"),
        partial=pl.lit(False),
    )  # fmt: skip
    if buckets:
        # Draw the year before on this period's dates so the two lines overlay week for week.
        before_frame = before_frame.with_columns(start=pl.Series([b.start for b in buckets]))
    frame = pl.concat([now_frame, before_frame]) if buckets else now_frame
    title = f"Attendance rate by {unit}"
    description = (
        f"The share of possible school sessions attended each {unit} of {period.label or 'the period'}, "
        f"with the same {unit}s a year before for comparison."
    )
    chart = charts.line_chart(
        frame,
        x="start",
        y="value",
        series="series",
        status="status",
        title=title,
        description=description,
        x_title=unit.capitalize(),
        y_title="Attendance rate (%)",
        comparators=comparator_lines("attendance_rate"),
        interval=("low", "high"),
        partial="partial",
        subtitle=f"{period.describe()}; bars: 95% intervals; hollow: {unit} not over; dashed line: all pupils (DfE)",
        scale=scale,
        width=width,
        height=height,
    )
    # Each rate with its 95% interval, this period's and the year before's ("88.3 (85.9 to 90.7)").
    table_frame = now.frame.select(
        "period",
        "attendance_rate",
        "attendance_rate__status",
        "attendance_rate__low",
        "attendance_rate__high",
    )
    figures: tuple[str, ...] = ("attendance_rate",)
    if buckets:
        table_frame = table_frame.with_columns(
            before=before.frame.get_column("attendance_rate"),
            before__status=before.frame.get_column("attendance_rate__status"),
            before__low=before.frame.get_column("attendance_rate__low"),
            before__high=before.frame.get_column("attendance_rate__high"),
        )
        figures = ("attendance_rate", "before")
    table = FigureTable(table_frame, ("period",), figures, now.suppressed)
    return StoryChart(
        "attendance",
        title,
        description,
        chart,
        table,
        labels={
            "period": unit.capitalize(),
            "attendance_rate": "Attendance % this period",
            "before": "Attendance % a year before",
        },
        definitions=("attendance_rate",),
        note=comparators.CAVEAT,
    )


def persistent_absence_chart(
    term_table: FigureTable, *, scale: float, width: int | str, height: int
) -> StoryChart:
    """Persistent absence by term, with Wigan, North West and England lines."""
    table = _subset(term_table, ("period",), ("persistent_absence_rate", "severe_absence_rate"))
    title = "Persistent absence by term"
    description = (
        "The share of children missing 10% or more of their possible sessions in each of the last "
        "terms, with the rates for all pupils in Wigan, the North West and England."
    )
    frame = term_table.frame.with_columns(term=_so_far_terms(term_table))
    order = frame.get_column("term").to_list()
    chart = charts.bar_chart(
        frame,
        x="term",
        y="persistent_absence_rate",
        status="persistent_absence_rate__status",
        interval=("persistent_absence_rate__low", "persistent_absence_rate__high"),
        title=title,
        description=description,
        x_title="Term",
        y_title="Persistently absent (%)",
        x_sort=order,
        comparators=comparator_lines("persistent_absence_rate"),
        percent=True,
        subtitle="Black bars: 95% intervals; dashed line: all pupils (DfE), context not a target",
        scale=scale,
        width=width,
        height=height,
    )
    return StoryChart(
        "persistent_absence",
        title,
        description,
        chart,
        table,
        labels={"period": "Term"}
        | {n: FIGURES[n].short_label for n in ("persistent_absence_rate", "severe_absence_rate")},
        definitions=("persistent_absence_rate", "severe_absence_rate"),
        note=comparators.CAVEAT,
    )


def referrals_chart(
    snapshot: Snapshot,
    filters: Filters,
    role: str,
    *,
    public: bool,
    scale: float,
    width: int | str,
    height: int,
) -> StoryChart:
    """Mental health referrals per 100 children, term by term, against the same terms a year before."""
    now_terms, _ = terms_of_period_year(filters.period, snapshot.snapshot_date)
    # A term not over runs to the period's end and is compared with the same span a year earlier (contract 4.1).
    end = filters.period.end
    now_terms = [
        Period(t.start, end, t.kind, so_far_label(t, end)) if t.end > end else t
        for t in now_terms
        if t.start <= end
    ]
    before_terms = [year_before(t) for t in now_terms]
    specs = [s for s in views.BOARD_SPECS if s.name.startswith("mental_health_referrals")]
    table = views.by_period(snapshot, filters, role, [*before_terms, *now_terms], specs, public=public)
    terms = [*before_terms, *now_terms]
    so_far = [cut_short(t) for t in now_terms]
    frame = table.frame.with_columns(
        term=pl.Series([term_of(t.start).capitalize() + (" (so far)" if p else "")
                        for t, p in zip(terms, so_far + so_far, strict=True)], dtype=pl.String),
        year=pl.Series([year_label(academic_year_start(now.start) - (i < len(now_terms)))
                        for i, now in enumerate(now_terms + now_terms)], dtype=pl.String),
    )  # fmt: skip
    title = FIGURES["mental_health_referrals_per_100"].title
    description = (
        "Referrals for mental health support per 100 children on the programme in each term of this "
        "academic year, beside the same term a year before (for a term not over, the same dates a year before), "
        "each with its 95% interval."
    )
    chart = charts.bar_chart(
        frame,
        x="term",
        y="mental_health_referrals_per_100",
        series="year",
        status="mental_health_referrals_per_100__status",
        title=title,
        description=description,
        x_title="Term",
        y_title="Referrals per 100 children",
        x_sort=list(dict.fromkeys(frame.get_column("term").to_list())),
        interval=("mental_health_referrals_per_100__low", "mental_health_referrals_per_100__high"),
        # One line (the legend names the years): the chart must keep its height on a projector.
        subtitle="Black bars: 95% intervals; a term not over against the same dates a year earlier",
        percent=True,
        scale=scale,
        width=width,
        height=height,
    )
    return StoryChart(
        "referrals",
        title,
        description,
        chart,
        _subset(table, ("period",), [s.name for s in specs]),
        labels={
            "period": "Term",
            "mental_health_referrals": FIGURES["mental_health_referrals"].short_label,
            "mental_health_referrals_per_100": FIGURES["mental_health_referrals_per_100"].title,
        },
        definitions=("mental_health_referrals", "mental_health_referrals_per_100"),
    )


def suspensions_chart(term_table: FigureTable, *, scale: float, width: int | str, height: int) -> StoryChart:
    """Suspensions and permanent exclusions per term."""
    figures = ("suspensions", "permanent_exclusions", "suspensions_per_100", "sessions_lost")
    table = _subset(term_table, ("period",), figures)
    frame = _long(
        term_table, {n: FIGURES[n].title for n in ("suspensions", "permanent_exclusions")}, "period"
    ).with_columns(term=pl.concat([_so_far_terms(term_table)] * 2))
    title = "Suspensions and permanent exclusions by term"
    description = (
        "The number of suspensions and permanent exclusions starting in each of the last terms, for "
        "children on the programme."
    )
    order = _so_far_terms(term_table).to_list()
    chart = charts.bar_chart(
        frame,
        x="term",
        y="value",
        series="series",
        status="status",
        title=title,
        description=description,
        x_title="Term",
        y_title="Events",
        x_sort=order,
        scale=scale,
        width=width,
        height=height,
    )
    return StoryChart(
        "suspensions",
        title,
        description,
        chart,
        table,
        labels={"period": "Term"}
        | {n: FIGURES[n].title for n in figures[:3]}
        | {"sessions_lost": FIGURES["sessions_lost"].short_label},
        definitions=figures,
    )


def school_table(
    snapshot: Snapshot, filters: Filters, role: str, school_names: dict[str, str], *, public: bool
) -> StoryChart:
    """The school-by-school board table: exactly the ``report`` rows for the period and schools."""
    board = views.board_table(snapshot, filters, role, public=public)
    names = [
        school_names.get(s, ALL_ROW_NAME if s == "all" else s) for s in board.frame.get_column("school_id")
    ]
    frame = board.frame.with_columns(school_name=pl.Series(names, dtype=pl.String))
    table = FigureTable(
        frame.select("school_id", "school_name", *frame.columns[1:-1]),
        ("school_id", "school_name"),
        board.figures,
        board.suppressed,
    )
    return StoryChart(
        "schools",
        "School-by-school board figures",
        "One row per school with every board figure for the period, then the total for all the schools shown.",
        None,
        table,
        labels=SCHOOL_LABELS | {name: FIGURES[name].short_label for name in views.BOARD_FIGURES},
        definitions=views.BOARD_FIGURES,
        note="Each rate's 95% interval is in the table of intervals that goes with this one (and in "
        "`report --intervals`); a school's figure on a few children is very uncertain.",
        # The figures exactly as the report prints them, in one narrow cell each (a projector, a printed page).
        intervals=False,
    )
