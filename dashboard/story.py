"""The board's story: headline figures and each page's key chart, built once for the presentation view and the PDF.

Pure functions (no Streamlit): every figure comes from ``data_access.views`` and so has already been through
the viewer's data policy, or through disclosure control whatever the role when ``public=True`` (the board
pack, which may be published). Charts come from the ``dashboard.charts`` builders.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final, Literal

from dashboard.story_charts import (
    StoryChart,
    attendance_chart,
    comparators_of,
    persistent_absence_chart,
    referrals_chart,
    school_table,
    suspensions_chart,
)
from data_access import uncertainty, views
from data_access.disclosure import ShownValue, format_shown
from data_access.filters import Filters
from data_access.periods import (
    Period,
    as_shown,
    cut_short,
    so_far_label,
    terms_up_to,
    year_before,
)
from data_access.registry import FIGURES, HEADLINES
from data_access.snapshots import Snapshot

__all__ = ["HeadlineFigure", "Story", "StoryChart", "build_story"]

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
    verdict: str = ""
    interval: tuple[float, float] | None = None
    so_far: bool = False
    comparator_words: str = ""

    @property
    def percent(self) -> bool:
        """True for a percentage (its change is in percentage points)."""
        return FIGURES[self.name].percent

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
        """The change in words-and-numbers: ``+1.2 points · no clear change``, ``-3 · better``, or ``–`` when
        either side is not shown (no change and no test from a hidden value)."""
        change = self.change
        if change is None:
            return "–"
        if self.percent:
            number = f"{change:+.1f} points" if change != 0 else "0.0 points"
        elif float(change).is_integer():
            number = f"{int(change):+d}" if change != 0 else "0"
        else:
            number = f"{change:+.1f}"
        return f"{number} · {uncertainty.verdict_words(self.name, self.verdict)}" if self.verdict else number

    @property
    def colour(self) -> str:
        """The delta's colour: green or red only for a significant change, else grey (``off``)."""
        return {"better": "green", "worse": "red"}.get(self.verdict, "off")

    @property
    def interval_text(self) -> str:
        """``95% interval 85.9 to 90.7``, or '' when the figure has none."""
        if self.interval is None:
            return ""
        return f"95% interval {uncertainty.range_text(self.interval)}"

    @property
    def before_label(self) -> str:
        """What the figure is compared with, in words."""
        return "Same point last year" if self.so_far else "Year before"

    @property
    def direction_text(self) -> str:
        """Which way is better, for the reader."""
        return FIGURES[self.name].direction_text


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
    suppressed = views.applies_suppression(role, public)
    # A period not over covers [start, snapshot date], or to the last month end when protected (contract 4.1).
    period = as_shown(filters.period, snapshot.snapshot_date, suppressed)
    filters = replace(filters, period=period)
    before = year_before(period)
    now_table = views.board_table(snapshot, filters, role, public=public)
    before_table = views.board_table(snapshot, filters, role, public=public, period=before)
    now_row, before_row = now_table.rows()[-1], before_table.rows()[-1]
    now_detail, before_detail = now_table.frame.row(-1, named=True), before_table.frame.row(-1, named=True)
    headlines = tuple(
        HeadlineFigure(
            name,
            FIGURES[name].title,
            now_row[name],
            before_row[name],
            FIGURES[name].better,
            *comparators_of(name),
            verdict=uncertainty.change(name, now_detail, before_detail).words(),
            interval=uncertainty.interval_of(now_detail, name) if isinstance(now_row[name], float) else None,
            so_far=cut_short(period),
            comparator_words=uncertainty.comparator_words(
                name,
                uncertainty.interval_of(now_detail, name) if isinstance(now_row[name], float) else None,
                complete_year=period.kind == "year"
                and period.end <= snapshot.snapshot_date
                and not cut_short(period),
            ),
        )
        for name in HEADLINES
    )
    size: dict[str, Any] = {"scale": scale, "width": width, "height": height}
    last_day = min(period.end, snapshot.snapshot_date)
    # The last term may not be over: it runs to the period's end ("so far") and is labelled so.
    terms = tuple(
        Period(t.start, period.end, t.kind, so_far_label(t, period.end)) if t.end > period.end else t
        for t in terms_up_to(max(last_day, period.start), snapshot.first_day, TERM_COUNT)
    )
    term_table = views.by_period(
        snapshot, filters, role, terms, (*views.BOARD_SPECS, *views.EXTRA_SPECS), public=public
    )
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
