"""Shown figures: the figure definitions passed through the viewer's data policy.

This is the only door figures leave the data layer by. Each function takes the snapshot, the filters and a
role (or ``public=True`` for exports meant for a public board paper) and returns ``FigureTable``s whose
suppressed cells are already ``c``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl

from data_access import figures
from data_access.filters import Filters
from data_access.periods import Period
from data_access.policy import policy_for
from data_access.snapshots import Snapshot
from data_access.suppression import FigureSpec, FigureTable, suppress

BOARD_SPECS: Final = (
    FigureSpec("children", "count", "children"),
    FigureSpec("attendance_rate", "rate", "present", "possible", "children"),
    FigureSpec("persistent_absence_rate", "rate", "persistent", "with_sessions", "children"),
    FigureSpec("severe_absence_rate", "rate", "severe", "with_sessions", "children"),
    FigureSpec("mental_health_referrals", "count", "mh_referrals"),
    FigureSpec("mental_health_referrals_per_100", "rate", "mh_referrals", "children", "children"),
    FigureSpec("suspensions", "count", "suspensions"),
    FigureSpec("permanent_exclusions", "count", "permanent_exclusions"),
    FigureSpec("sdq_total_improved_pct", "rate", "sdq_improved", "sdq_with_both", "children"),
)
BOARD_FIGURES: Final = tuple(spec.name for spec in BOARD_SPECS)
EXTRA_SPECS: Final = (
    FigureSpec("suspensions_per_100", "rate", "suspensions", "children", "children"),
    FigureSpec("permanent_exclusions_per_100", "rate", "permanent_exclusions", "children", "children"),
    FigureSpec("sessions_lost", "count", "sessions_lost", underlying="suspensions_and_exclusions"),
    FigureSpec("authorised_absence_rate", "rate", "authorised", "possible", "children"),
    FigureSpec("unauthorised_absence_rate", "rate", "unauthorised", "possible", "children"),
)


def applies_suppression(role: str, public: bool = False) -> bool:
    """True when figures for ``role`` (or any public export) go through disclosure control."""
    return public or policy_for(role).suppressed


def board_table(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False,
                period: Period | None = None) -> FigureTable:  # fmt: skip
    """The board figures: one row per school in school_id order, then ``all`` (the ``report`` rows)."""
    raw = figures.board_raw(snapshot, filters, period)
    return suppress(raw, ["school_id"], BOARD_SPECS, apply=applies_suppression(role, public),
                    total_key=("school_id", "all"))  # fmt: skip


def _with_events(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.with_columns(suspensions_and_exclusions=pl.col("suspensions") + pl.col("permanent_exclusions"))


def by_period(snapshot: Snapshot, filters: Filters, role: str, periods: Sequence[Period],
              specs: Sequence[FigureSpec] = BOARD_SPECS, *, public: bool = False) -> FigureTable:  # fmt: skip
    """Figures over all selected children for each of ``periods`` (each with its own children in scope)."""
    frames = []
    for index, period in enumerate(periods):
        stats = figures.sum_stats(figures.child_stats(snapshot, filters, period))
        frames.append(stats.with_columns(
            order=pl.lit(index), period=pl.lit(period.label), period_key=pl.lit(period.key),
            start=pl.lit(period.start), end=pl.lit(period.end),
        ))  # fmt: skip
    raw = _with_events(pl.concat(frames)) if frames else pl.DataFrame()
    if raw.is_empty():
        return _empty(["order", "period", "period_key", "start", "end"], specs)
    return suppress(raw, ["order", "period", "period_key", "start", "end"], specs,
                    apply=applies_suppression(role, public))  # fmt: skip


def by_school(snapshot: Snapshot, filters: Filters, role: str, specs: Sequence[FigureSpec], *,
              public: bool = False) -> FigureTable:  # fmt: skip
    """Any figures by school with a total row (secondary suppression applies)."""
    raw = _with_events(figures.board_raw(snapshot, filters))
    return suppress(
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


def funnel_table(snapshot: Snapshot, filters: Filters, role: str, as_at: date, *,
                 public: bool = False) -> FigureTable:  # fmt: skip
    """The enrolment funnel as at ``as_at``, by school then ``all``."""
    raw = figures.funnel_raw(snapshot, filters, as_at)
    specs = [FigureSpec(stage, "count", stage) for stage in ("identified", "enrolled", "active", "completed")]
    return suppress(
        raw, ["school_id"], specs, apply=applies_suppression(role, public), total_key=("school_id", "all")
    )
