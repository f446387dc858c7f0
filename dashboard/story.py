"""The board's story: headline figures and each page's key chart, built once for the presentation view and the PDF.

Pure functions (no Streamlit): every figure comes from ``data_access.views`` and so has already been through
the viewer's data policy, or through disclosure control whatever the role when ``public=True`` (the board
pack, which may be published). Charts come from the ``dashboard.charts`` builders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Literal

import altair as alt
import polars as pl

from dashboard import charts
from data_access import comparators, views
from data_access.definitions import DEFINITIONS
from data_access.filters import Filters
from data_access.periods import (
    Period,
    academic_year_start,
    custom,
    format_date,
    term_of,
    terms_of_year,
    terms_up_to,
    year_before,
    year_label,
)
from data_access.snapshots import Snapshot
from data_access.suppression import FigureTable, ShownValue, format_shown

# The headline figures, in the order the board reads them, with which direction is better.
HEADLINES: Final[tuple[tuple[str, Literal["higher", "lower"] | None], ...]] = (
    ("children", None),
    ("attendance_rate", "higher"),
    ("persistent_absence_rate", "lower"),
    ("mental_health_referrals", "lower"),
    ("suspensions", "lower"),
    ("sdq_total_improved_pct", "higher"),
)
PERCENT_FIGURES: Final = frozenset({"attendance_rate", "persistent_absence_rate", "severe_absence_rate",
                                    "sdq_total_improved_pct"})  # fmt: skip
SHORT_LABELS: Final = {
    "school_id": "ID",
    "school_name": "School",
    "children": "Children",
    "attendance_rate": "Attendance %",
    "persistent_absence_rate": "Persistent absence %",
    "severe_absence_rate": "Severe absence %",
    "mental_health_referrals": "Mental health referrals",
    "mental_health_referrals_per_100": "Mental health referrals per 100",
    "suspensions": "Suspensions",
    "permanent_exclusions": "Permanent exclusions",
    "sdq_total_improved_pct": "Improved on SDQ %",
}
ALL_ROW_NAME: Final = "All schools shown"
# A period this short is drawn week by week; longer ones month by month.
WEEKLY_UP_TO_DAYS: Final = 92
TERM_COUNT: Final = 6


@dataclass(frozen=True)
class HeadlineFigure:
    """One headline figure now and a year before (both as shown), the change, and its comparators."""

    name: str
    title: str
    now: ShownValue
    before: ShownValue
    better: Literal["higher", "lower"] | None
    comparators: tuple[str, ...] = ()
    comparator_summary: str = ""

    @property
    def percent(self) -> bool:
        """True for a percentage (its change is in percentage points)."""
        return self.name in PERCENT_FIGURES

    @property
    def change(self) -> float | None:
        """Now minus before when both are shown numbers (never worked out from a hidden value)."""
        return views.Headline(self.name, self.now, self.before).change

    def value_text(self, value: ShownValue) -> str:
        """A value as the board reads it: ``c``, ``–`` (nothing to compute) or the number with its unit."""
        if isinstance(value, float) and self.percent:
            return f"{value:.1f}%"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return format_shown(value)

    @property
    def now_text(self) -> str:
        """The value now."""
        return self.value_text(self.now)

    @property
    def before_text(self) -> str:
        """The value a year before."""
        return self.value_text(self.before)

    @property
    def change_text(self) -> str:
        """The change in words-and-numbers: ``+1.2 points``, ``-3``, or ``–`` when either side is not shown."""
        change = self.change
        if change is None:
            return "–"
        if self.percent:
            return f"{change:+.1f} points"
        return f"{int(change):+d}" if float(change).is_integer() else f"{change:+.1f}"

    @property
    def direction_text(self) -> str:
        """Which way is better, for the reader."""
        return {"higher": "higher is better", "lower": "lower is better"}.get(self.better or "", "")


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

    @property
    def has_suppressed_values(self) -> bool:
        """True when the numbers behind the chart hold a ``c``."""
        return self.table.has_suppressed_values

    def shown(self) -> pl.DataFrame:
        """The table as shown (strings, ``c`` and ``–`` included), with the story's headings."""
        return self.table.display(self.labels)


@dataclass(frozen=True)
class Story:
    """The board's story for one snapshot, period, set of filters and data policy."""

    snapshot_date: date
    programme: str
    period: Period
    before: Period
    filters: Filters
    suppressed: bool
    headlines: tuple[HeadlineFigure, ...]
    charts: tuple[StoryChart, ...]
    schools: StoryChart
    school_names: dict[str, str]

    @property
    def screens(self) -> tuple[str, ...]:
        """The screens in order: headline figures, each key chart, then the school-by-school table."""
        return ("headlines", *(c.key for c in self.charts), self.schools.key)

    def screen_title(self, index: int) -> str:
        """The title of screen ``index`` (0-based)."""
        if index == 0:
            return "Headline figures"
        return ([*self.charts, self.schools])[index - 1].title


def build_story(
    snapshot: Snapshot,
    filters: Filters,
    role: str = "councillor",
    *,
    public: bool = False,
    scale: float = 1.0,
    width: int | str = "container",
    height: int = 300,
) -> Story:
    """The story for ``filters`` as ``role`` would see it, or as a public board paper when ``public``.

    Args:
        snapshot: the loaded snapshot.
        filters: the period and characteristics of the view.
        role: whose data policy applies (ignored for suppression when ``public``: then it always applies).
        public: apply disclosure control whatever the role (board packs).
        scale: type scale of the charts (1.6 for a projector).
        width: chart width in pixels, or ``"container"`` to fill the page.
        height: chart height in pixels.
    """
    period = filters.period
    before = year_before(period)
    suppressed = views.applies_suppression(role, public)
    now_row = views.board_table(snapshot, filters, role, public=public).rows()[-1]
    before_row = views.board_table(snapshot, filters, role, public=public, period=before).rows()[-1]
    headlines = tuple(
        HeadlineFigure(
            name, DEFINITIONS[name].title, now_row[name], before_row[name], better, *_comparators_of(name)
        )
        for name, better in HEADLINES
    )
    size: dict[str, Any] = {"scale": scale, "width": width, "height": height}
    last_day = min(period.end, snapshot.snapshot_date)
    terms = terms_up_to(max(last_day, period.start), snapshot.first_day, TERM_COUNT)
    term_table = views.by_period(snapshot, filters, role, terms, (*views.BOARD_SPECS, *views.EXTRA_SPECS),
                                 public=public)  # fmt: skip
    school_names = dict(snapshot.schools.select("school_id", "school_name").iter_rows())
    story_charts = (
        attendance_chart(snapshot, filters, role, public=public, **size),
        persistent_absence_chart(term_table, **size),
        referrals_chart(snapshot, filters, role, public=public, **size),
        suspensions_chart(term_table, **size),
    )
    return Story(
        snapshot_date=snapshot.snapshot_date,
        programme=str(snapshot.manifest.get("programme") or "AllChild Impact Programmes - Wigan"),
        period=period,
        before=before,
        filters=filters,
        suppressed=suppressed,
        headlines=headlines,
        charts=story_charts,
        schools=school_table(snapshot, filters, role, school_names, public=public),
        school_names=school_names,
    )


def comparator_lines(indicator: str) -> pl.DataFrame | None:
    """Comparator lines for a chart (close values share one line): ``data_access.comparators.lines``."""
    return comparators.lines(indicator)


def short_term_label(label: str) -> str:
    """``Autumn 24/25`` for ``Autumn term 2024/25``: six of them fit side by side on a chart axis."""
    return label.replace(" term 20", " ")


def _short_terms(labels: pl.Expr) -> pl.Expr:
    return labels.str.replace_all(" term 20", " ", literal=True)


def _comparators_of(name: str) -> tuple[tuple[str, ...], str]:
    """A headline's comparator labels, and all of them in one short line for a tile."""
    rows = comparators.latest(name) if DEFINITIONS[name].comparator is not None else pl.DataFrame()
    if rows.is_empty():
        return (), ""
    year = rows.get_column("academic_year")[0]
    values = " · ".join(f"{g} {v:.1f}" for g, v in rows.select("geography", "value").iter_rows())
    return tuple(rows.get_column("label").to_list()), f"All pupils {year}: {values}"


def _subset(table: FigureTable, keys: Sequence[str], figures: Sequence[str]) -> FigureTable:
    """The same shown figures with fewer key and figure columns (what a chart's table shows)."""
    columns = [*keys, *(c for f in figures for c in (f, f"{f}__status"))]
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


def time_buckets(period: Period, last_day: date) -> tuple[list[Period], str]:
    """Weeks (short periods) or calendar months of ``period`` up to ``last_day``, clipped to the period."""
    end = min(period.end, last_day)
    weekly = period.days <= WEEKLY_UP_TO_DAYS
    out: list[Period] = []
    start = period.start
    while start <= end:
        if weekly:
            stop = start + timedelta(days=6 - start.weekday())
        else:
            next_month = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
            stop = next_month - timedelta(days=1)
        stop = min(stop, end)
        label = f"w/c {format_date(start)}" if weekly else start.strftime("%b %Y")
        out.append(Period(start, stop, "custom", label))
        start = stop + timedelta(days=1)
    return out, "week" if weekly else "month"


def _shifted(bucket: Period) -> Period:
    shifted = year_before(custom(bucket.start, bucket.end))
    return Period(shifted.start, shifted.end, "custom", bucket.label)


def attendance_chart(snapshot: Snapshot, filters: Filters, role: str, *, public: bool, scale: float,
                     width: int | str, height: int) -> StoryChart:  # fmt: skip
    """Attendance rate week by week (short periods) or month by month, against the same weeks a year before."""
    period = filters.period
    buckets, unit = time_buckets(period, snapshot.snapshot_date)
    spec = [s for s in views.BOARD_SPECS if s.name == "attendance_rate"]
    now = views.by_period(snapshot, filters, role, buckets, spec, public=public)
    before = views.by_period(snapshot, filters, role, [_shifted(b) for b in buckets], spec, public=public)
    this_label, before_label = "This period", "A year before"
    now_frame = _long(now, {"attendance_rate": this_label}, "start")
    before_frame = _long(before, {"attendance_rate": before_label}, "start")
    if buckets:
        # Draw the year before on this period's dates so the two lines overlay week for week.
        before_frame = before_frame.with_columns(start=pl.Series([b.start for b in buckets]))
    frame = pl.concat([now_frame, before_frame]) if buckets else now_frame
    title = f"Attendance rate by {unit}"
    description = (f"The share of possible school sessions attended each {unit} of {period.label or 'the period'}, "
                   f"with the same {unit}s a year before for comparison.")  # fmt: skip
    chart = charts.line_chart(
        frame, x="start", y="value", series="series", status="status", title=title, description=description,
        x_title=unit.capitalize(), y_title="Attendance rate (%)", comparators=comparator_lines("attendance_rate"),
        subtitle=f"{period.describe()}; dashed line: all pupils (DfE)", scale=scale, width=width, height=height,
    )  # fmt: skip
    table_frame = now.frame.select("period", "attendance_rate", "attendance_rate__status")
    figures: tuple[str, ...] = ("attendance_rate",)
    if buckets:
        table_frame = table_frame.with_columns(
            before=before.frame.get_column("attendance_rate"),
            before__status=before.frame.get_column("attendance_rate__status"),
        )
        figures = ("attendance_rate", "before")
    table = FigureTable(table_frame, ("period",), figures, now.suppressed)
    return StoryChart(
        "attendance", title, description, chart, table,
        labels={"period": unit.capitalize(), "attendance_rate": "Attendance % this period",
                "before": "Attendance % a year before"},
        definitions=("attendance_rate",), note=comparators.CAVEAT,
    )  # fmt: skip


def persistent_absence_chart(
    term_table: FigureTable, *, scale: float, width: int | str, height: int
) -> StoryChart:
    """Persistent absence by term, with Wigan, North West and England lines."""
    table = _subset(term_table, ("period",), ("persistent_absence_rate", "severe_absence_rate"))
    title = "Persistent absence by term"
    description = ("The share of children missing 10% or more of their possible sessions in each of the last "
                   "terms, with the rates for all pupils in Wigan, the North West and England.")  # fmt: skip
    frame = term_table.frame.with_columns(term=_short_terms(pl.col("period")))
    order = frame.get_column("term").to_list()
    chart = charts.bar_chart(
        frame, x="term", y="persistent_absence_rate", status="persistent_absence_rate__status",
        title=title, description=description, x_title="Term", y_title="Persistently absent (%)", x_sort=order,
        comparators=comparator_lines("persistent_absence_rate"), percent=True,
        subtitle="Dashed line: all pupils (DfE), context not a target", scale=scale, width=width, height=height,
    )  # fmt: skip
    return StoryChart(
        "persistent_absence", title, description, chart, table,
        labels={"period": "Term", "persistent_absence_rate": "Persistent absence %",
                "severe_absence_rate": "Severe absence %"},
        definitions=("persistent_absence_rate", "severe_absence_rate"), note=comparators.CAVEAT,
    )  # fmt: skip


def referral_terms(period: Period, last_day: date) -> tuple[list[Period], list[Period]]:
    """The census terms of ``period``'s academic year (up to ``last_day``) and the same terms a year before."""
    year = academic_year_start(min(period.end, max(last_day, period.start)))
    now = [t for t in terms_of_year(year) if t.start <= last_day]
    return now, terms_of_year(year - 1)[: len(now)]


def referrals_chart(snapshot: Snapshot, filters: Filters, role: str, *, public: bool, scale: float,
                    width: int | str, height: int) -> StoryChart:  # fmt: skip
    """Mental health referrals per 100 children, term by term, against the same terms a year before."""
    now_terms, before_terms = referral_terms(filters.period, snapshot.snapshot_date)
    specs = [s for s in views.BOARD_SPECS if s.name.startswith("mental_health_referrals")]
    table = views.by_period(snapshot, filters, role, [*before_terms, *now_terms], specs, public=public)
    terms = [*before_terms, *now_terms]
    frame = table.frame.with_columns(
        term=pl.Series([term_of(t.start).capitalize() for t in terms], dtype=pl.String),
        year=pl.Series([year_label(academic_year_start(t.start)) for t in terms], dtype=pl.String),
    )
    title = "Mental health referrals per 100 children"
    description = ("Referrals for mental health support per 100 children on the programme in each term of this "
                   "academic year, beside the same term a year before.")  # fmt: skip
    chart = charts.bar_chart(
        frame, x="term", y="mental_health_referrals_per_100", series="year",
        status="mental_health_referrals_per_100__status", title=title, description=description, x_title="Term",
        y_title="Referrals per 100 children", x_sort=[t.capitalize() for t in ("autumn", "spring", "summer")],
        subtitle=f"Academic years {', '.join(dict.fromkeys(frame.get_column('year').to_list()))}",
        percent=True, scale=scale, width=width, height=height,
    )  # fmt: skip
    return StoryChart(
        "referrals", title, description, chart, _subset(table, ("period",), [s.name for s in specs]),
        labels={"period": "Term", "mental_health_referrals": "Mental health referrals",
                "mental_health_referrals_per_100": "Mental health referrals per 100 children"},
        definitions=("mental_health_referrals", "mental_health_referrals_per_100"),
    )  # fmt: skip


def suspensions_chart(term_table: FigureTable, *, scale: float, width: int | str, height: int) -> StoryChart:
    """Suspensions and permanent exclusions per term."""
    figures = ("suspensions", "permanent_exclusions", "suspensions_per_100", "sessions_lost")
    table = _subset(term_table, ("period",), figures)
    frame = _long(term_table, {"suspensions": "Suspensions", "permanent_exclusions": "Permanent exclusions"},
                  "period").with_columns(term=_short_terms(pl.col("period")))  # fmt: skip
    title = "Suspensions and permanent exclusions by term"
    description = ("The number of suspensions and permanent exclusions starting in each of the last terms, for "
                   "children on the programme.")  # fmt: skip
    order = [short_term_label(p) for p in term_table.frame.get_column("period").to_list()]
    chart = charts.bar_chart(
        frame, x="term", y="value", series="series", status="status", title=title, description=description,
        x_title="Term", y_title="Events", x_sort=order, scale=scale, width=width, height=height,
    )  # fmt: skip
    return StoryChart(
        "suspensions", title, description, chart, table,
        labels={"period": "Term", "suspensions": "Suspensions", "permanent_exclusions": "Permanent exclusions",
                "suspensions_per_100": "Suspensions per 100 children", "sessions_lost": "Sessions lost"},
        definitions=figures,
    )  # fmt: skip


def school_table(snapshot: Snapshot, filters: Filters, role: str, school_names: dict[str, str], *,
                 public: bool) -> StoryChart:  # fmt: skip
    """The school-by-school board table: exactly the ``report`` rows for the period and schools."""
    board = views.board_table(snapshot, filters, role, public=public)
    names = [
        school_names.get(s, ALL_ROW_NAME if s == "all" else s) for s in board.frame.get_column("school_id")
    ]
    frame = board.frame.with_columns(school_name=pl.Series(names, dtype=pl.String))
    table = FigureTable(frame.select("school_id", "school_name", *frame.columns[1:-1]),
                        ("school_id", "school_name"), board.figures, board.suppressed)  # fmt: skip
    return StoryChart(
        "schools", "School-by-school board figures",
        "One row per school with every board figure for the period, then the total for all the schools shown.",
        None, table, labels=dict(SHORT_LABELS), definitions=views.BOARD_FIGURES,
    )  # fmt: skip
