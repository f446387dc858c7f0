"""95% intervals and tests of change on shown tables (contract sections 4.2 and 4.3), done once for every page.

``shown_with_intervals`` is what ``views`` calls instead of ``disclosure.suppress`` for tables of board
figures: it returns the same shown ``FigureTable`` (the same ``figures``, ``rows()`` and ``display()``) with,
for every rate or percentage ``f`` that has an interval method in the registry, these extra columns:

- ``f__num`` / ``f__den``: the numerator and denominator counts **as shown** to this viewer. They are
  computed by passing the raw counts through the same disclosure function as any count figure
  (``disclosure.suppress`` with a count spec), so for a protected viewer they are published counts (``c``
  is null) and never exact ones; exact viewers get the exact counts. Attendance rates use sessions, so
  they have none.
- ``f__low`` / ``f__high``: the 95% interval, to one decimal place, by the registry's method (or the spec's
  own, for a rate not in the registry such as an SDQ band's share): Wilson on (``f__num``, ``f__den``, the
  numerator capped at the denominator as the percentage is), exact Poisson (Garwood) on ``f__num`` per 100
  ``f__den``, or for a rate of sessions (attendance, authorised or unauthorised absence) the cluster-robust
  ratio interval from sums over the children with a possible session (``ratio_sums``; contract 4.2: the
  rate and its interval come from sessions and are shown only where the rate is). Null where the figure is
  not shown or there is no interval (k < 2).
- ``f__se`` / ``f__exact``: for attendance rates, the standard error and the unrounded rate (for the test
  of change), null where the rate is not shown.

``change`` then calls a figure's change on its comparison period better / worse / no clear change by the
contract's tests, from those shown counts only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from data_access.cellkey import PublishedCount
from data_access.disclosure import (
    SUPPRESSED,
    FigureSpec,
    FigureTable,
    RawTable,
    ShownValue,
    empty_table,
    format_shown,
    suppress,
)
from data_access.registry import FIGURES, Figure

if (
    TYPE_CHECKING
):  # numpy and scipy (and statsmodels) load on first use: ``report`` without --intervals never needs them
    from data_access.intervals import AttendanceEstimate, Change, Interval

INTERVAL_COLUMNS: Final = ("__low", "__high")
# The children behind a rate of sessions (k of contract 4.2: children with at least one possible session).
WITH_SESSIONS: Final = "with_sessions"


def interval_figure(name: str) -> Figure | None:
    """The registry entry of ``name`` when it is a rate or percentage with an interval method, else None."""
    figure = FIGURES.get(name)
    if figure is None or figure.interval is None or figure.kind not in ("rate", "percentage"):
        return None
    return figure


def interval_method(spec: FigureSpec) -> str | None:
    """The 95% interval method of ``spec``: its registry entry's, else the spec's own (a rate only), else None."""
    figure = interval_figure(spec.name)
    if figure is not None:
        return figure.interval
    return spec.interval if spec.kind == "rate" and spec.denominator is not None else None


def _sum_names(numerator: str, denominator: str) -> tuple[str, str, str]:
    return (f"{numerator}_sq", f"{numerator}_{denominator}", f"{denominator}_sq")


def ratio_sums(spec: FigureSpec) -> tuple[str, str, str]:
    """The raw columns a rate of sessions a ÷ n needs for its cluster-robust interval, summed over the children
    with a possible session: Σa², Σa·n and Σn², named ``{a}_sq``, ``{a}_{n}`` and ``{n}_sq`` (for the attendance
    rate: ``present_sq``, ``present_possible``, ``possible_sq``). The raw table also carries ``with_sessions``."""
    return _sum_names(str(spec.numerator), str(spec.denominator))


def ratio_products(numerator: str, denominator: str) -> dict[str, pl.Expr]:
    """Per child, the products whose sums ``ratio_sums`` names: a², a·n and n² of the child's sessions (Int64)."""
    a, n = pl.col(numerator).cast(pl.Int64), pl.col(denominator).cast(pl.Int64)
    return dict(zip(_sum_names(numerator, denominator), (a * a, a * n, n * n), strict=True))


def _count_specs(specs: Sequence[FigureSpec]) -> tuple[FigureSpec, ...]:
    """Count specs (published like any count) for the numerator and denominator of each Wilson/Poisson rate."""
    out: list[FigureSpec] = []
    for spec in specs:
        if interval_method(spec) not in ("wilson", "poisson") or spec.denominator is None:
            continue
        out.append(FigureSpec(f"{spec.name}__num", "count", spec.numerator))
        out.append(FigureSpec(f"{spec.name}__den", "count", spec.denominator))
    return tuple(out)


def attendance_from_sums(
    present: int, possible: int, children: int, present_sq: int, present_possible: int, possible_sq: int
) -> AttendanceEstimate | None:
    """The cluster-robust ratio estimate (``intervals.attendance_estimate``) from sums over the k children
    with a possible session: P = Σp, N = Σn, k, Σp², Σp·n, Σn². Σ(p − R·n)² = (Σp²·N² − 2·P·N·Σpn + P²·Σn²) ÷ N²
    in exact integers, so the result does not depend on the order of the children."""
    from data_access.intervals import AttendanceEstimate

    if possible <= 0 or children <= 0:
        return None
    rate = present / possible * 100
    if children < 2:
        return AttendanceEstimate(present, possible, children, rate, None)
    squares_n2 = (
        present_sq * possible**2 - 2 * present * possible * present_possible + present**2 * possible_sq
    )
    squares = max(squares_n2, 0) / possible**2
    se = (children / (children - 1) * squares) ** 0.5 / possible * 100
    return AttendanceEstimate(present, possible, children, rate, se)


def _as_count(value: Any, status: str) -> int | None:
    return int(value) if status == "shown" and value is not None else None


def shown_with_intervals(
    raw: pl.DataFrame,
    keys: Sequence[str],
    specs: Sequence[FigureSpec],
    *,
    apply: bool,
    total_key: tuple[str, Any] | None = None,
    with_intervals: bool = True,
    rates_allowed: bool = True,
    complement: PublishedCount | None = None,
) -> FigureTable:
    """``disclosure.suppress(raw, keys, specs, ...)`` plus each rate's shown counts and 95% interval.

    The interval columns are not in ``figures``, so the table's ``rows()`` and ``display()`` are unchanged;
    read them with ``interval_rows`` / ``display_with_intervals`` / ``interval_of``. ``rates_allowed`` and
    ``complement`` are rule 5 for the selection as a whole (``disclosure.suppress``): a rate they hide has no
    interval.
    """
    table = suppress(
        raw, keys, specs, apply=apply, total_key=total_key, rates_allowed=rates_allowed, complement=complement
    )
    if not with_intervals:  # e.g. ``report`` without --intervals: no statistics library is loaded
        return table
    from data_access.intervals import poisson_rate_interval, round1, wilson_interval

    count_specs = _count_specs(specs)
    # Primary protection only: each count is published on its own (cell by cell), never shown by itself.
    counts = suppress(raw, keys, count_specs, apply=apply) if count_specs else None
    frame = table.frame
    extra: dict[str, pl.Series] = {}
    for spec in specs:
        method = interval_method(spec)
        if method is None:
            continue
        status = frame[f"{spec.name}__status"].to_list()
        lows: list[float | None] = []
        highs: list[float | None] = []
        if method == "cluster_ratio":
            assert spec.denominator is not None
            needed = (spec.numerator, spec.denominator, WITH_SESSIONS, *ratio_sums(spec))
            if not all(c in raw.columns for c in needed):
                continue  # a raw table without the children's sums (e.g. weekly attendance): no interval
            ses: list[float | None] = []
            exacts: list[float | None] = []
            for i, row in enumerate(raw.select(*needed).iter_rows()):
                estimate = attendance_from_sums(*(int(v or 0) for v in row)) if status[i] == "shown" else None
                band = estimate.interval if estimate is not None else None
                lows.append(round1(band.low) if band else None)
                highs.append(round1(band.high) if band else None)
                ses.append(estimate.se if estimate is not None else None)
                exacts.append(estimate.rate if estimate is not None else None)
            extra[f"{spec.name}__se"] = pl.Series(ses, dtype=pl.Float64)
            extra[f"{spec.name}__exact"] = pl.Series(exacts, dtype=pl.Float64)
        else:
            assert counts is not None
            num = [
                _as_count(v, s)
                for v, s in counts.frame.select(f"{spec.name}__num", f"{spec.name}__num__status").iter_rows()
            ]
            den = [
                _as_count(v, s)
                for v, s in counts.frame.select(f"{spec.name}__den", f"{spec.name}__den__status").iter_rows()
            ]
            for i in range(frame.height):
                interval: Interval | None = None
                if status[i] == "shown":
                    if method == "wilson":
                        # Rule 4: a percentage's published numerator is capped at its published denominator.
                        k, n = num[i], den[i]
                        interval = wilson_interval(
                            min(k, n) if spec.cap and k is not None and n is not None else k, n
                        )
                    else:
                        interval = poisson_rate_interval(num[i], den[i], per=spec.scale)
                lows.append(round1(interval.low) if interval else None)
                highs.append(round1(interval.high) if interval else None)
            extra[f"{spec.name}__num"] = pl.Series(num, dtype=pl.Int64)
            extra[f"{spec.name}__den"] = pl.Series(den, dtype=pl.Int64)
        extra[f"{spec.name}__low"] = pl.Series(lows, dtype=pl.Float64)
        extra[f"{spec.name}__high"] = pl.Series(highs, dtype=pl.Float64)
    frame = frame.with_columns(**extra) if extra else frame
    return FigureTable(frame, table.keys, table.figures, table.suppressed)


def disclose_with_intervals(raw: RawTable, apply: bool) -> FigureTable:
    """``disclosure.disclose(raw, apply)`` with each rate's interval columns (``shown_with_intervals``), rule 5's
    gate included; a table with nothing in scope gets empty interval columns, so charts can name them."""
    if raw.blocks:
        raise ValueError("tables shown block by block have no interval columns")
    if raw.empty_schema is not None:
        table = empty_table(raw.empty_schema, raw.specs, apply)
        names = [s.name for s in raw.specs if interval_method(s) is not None]
        frame = table.frame.with_columns(
            pl.lit(None, pl.Float64).alias(f"{n}{c}") for n in names for c in INTERVAL_COLUMNS
        )
        return FigureTable(frame, table.keys, table.figures, table.suppressed)
    return shown_with_intervals(raw.frame, raw.keys, raw.specs, apply=apply, rates_allowed=raw.rates_allowed,
                                complement=raw.complement)  # fmt: skip


def without_intervals(table: FigureTable, column: str, value: Any) -> FigureTable:
    """``table`` with no interval on the rows where ``column`` is ``value`` (a total row of shares, 100% of
    itself by definition, has nothing to estimate)."""
    names = [c for c in table.frame.columns if c.endswith(INTERVAL_COLUMNS)]
    at = pl.col(column) == value
    frame = table.frame.with_columns(pl.when(at).then(None).otherwise(pl.col(c)).alias(c) for c in names)
    return FigureTable(frame, table.keys, table.figures, table.suppressed)


def has_interval(table: FigureTable, name: str) -> bool:
    """True when the table carries an interval for the figure ``name``."""
    return f"{name}__low" in table.frame.columns


def interval_of(row: Mapping[str, Any], name: str) -> tuple[float, float] | None:
    """The shown interval (low, high) of ``name`` in a row of a table's frame, or None."""
    low, high = row.get(f"{name}__low"), row.get(f"{name}__high")
    if low is None or high is None:
        return None
    return float(low), float(high)


def interval_rows(table: FigureTable) -> list[dict[str, ShownValue]]:
    """``table.rows()`` with every rate or percentage ``X`` followed by ``X_low`` and ``X_high`` (contract 7):
    numbers to one decimal, ``"c"`` where the figure is ``c``, ``None`` where there is no interval."""
    out: list[dict[str, ShownValue]] = []
    for shown, row in zip(table.rows(), table.frame.iter_rows(named=True), strict=True):
        wide: dict[str, ShownValue] = {}
        for column, value in shown.items():
            wide[column] = value
            if column in table.figures and (
                interval_figure(column) is not None or has_interval(table, column)
            ):
                if value == SUPPRESSED:
                    wide[f"{column}_low"] = wide[f"{column}_high"] = SUPPRESSED
                else:
                    bounds = interval_of(row, column) if value is not None else None
                    wide[f"{column}_low"] = bounds[0] if bounds else None
                    wide[f"{column}_high"] = bounds[1] if bounds else None
        out.append(wide)
    return out


def verdict_words(name: str, words: str) -> str:
    """The verdict as the reader sees it: counts of events are tested through their rates per 100 children
    (contract 4.3), so with more children a higher count can be a lower rate: their verdict says so."""
    figure = FIGURES[name]
    if figure.kind == "count" and figure.counts != "children" and words in ("better", "worse"):
        return f"{words} per 100 children"
    return words


def range_text(bounds: tuple[float, float]) -> str:
    """An interval's ends as shown, ``86.9 to 89.6`` (one decimal, as ``interval_of`` gives them)."""
    return f"{bounds[0]:.1f} to {bounds[1]:.1f}"


def interval_text(value: ShownValue, bounds: tuple[float, float] | None) -> str:
    """``88.3 (86.9 to 89.6)``; the value alone when there is no interval (``c``, ``–``, k < 2)."""
    text = format_shown(value)
    if bounds is None or not isinstance(value, int | float):
        return text
    return f"{text} ({range_text(bounds)})"


def interval_column(table: FigureTable, name: str, title: str = "95% interval") -> pl.Series:
    """The shown 95% interval of ``name`` on each row of ``table`` as text, ``86.9 to 89.6``, for a table whose
    value column is written elsewhere (an SPC chart's table); '' where the figure is not shown or has none."""
    if not has_interval(table, name):
        return pl.Series(title, [""] * table.frame.height, dtype=pl.String)
    rows = table.frame.select(f"{name}__status", f"{name}__low", f"{name}__high").iter_rows(named=True)
    bounds = [interval_of(row, name) if row[f"{name}__status"] == "shown" else None for row in rows]
    return pl.Series(title, ["" if b is None else range_text(b) for b in bounds], dtype=pl.String)


def display_with_intervals(table: FigureTable, labels: dict[str, str] | None = None) -> pl.DataFrame:
    """``table.display(labels)`` with each rate or percentage written with its 95% interval,
    ``88.3 (86.9 to 89.6)``."""
    shown = table.display(labels)
    labels = labels or {}
    replace: dict[str, list[str]] = {}
    rows = table.rows()
    raw_rows = table.frame.to_dicts()
    for name in table.figures:
        if not has_interval(table, name):
            continue
        replace[labels.get(name, name)] = [
            interval_text(shown_row[name], interval_of(raw, name))
            for shown_row, raw in zip(rows, raw_rows, strict=True)
        ]
    return shown.with_columns(pl.Series(k, v, dtype=pl.String) for k, v in replace.items())


BRACKETS_NOTE: Final = (
    "Brackets give the 95% interval: the range the figure would plausibly take if the same children's "
    "year were run again."
)
INTERVAL_NOTE: Final = (
    BRACKETS_NOTE + " A change is called better or worse only when it is statistically significant "
    "(at the 5% level); the two periods share children, so these tests are approximate."
)


# ------------------------------------------------------------------------------------------ tests of change


def _estimate(row: Mapping[str, Any], name: str) -> AttendanceEstimate | None:
    from data_access.intervals import AttendanceEstimate

    if row.get(f"{name}__status") != "shown" or row.get(f"{name}__exact") is None:
        return None
    return AttendanceEstimate(0, 0, 0, float(row[f"{name}__exact"]), row.get(f"{name}__se"))


def _shown_count(row: Mapping[str, Any], column: str) -> int | None:
    if row.get(f"{column}__status", "shown") != "shown" or row.get(column) is None:
        return None
    return int(row[column])


def _capped_count(row: Mapping[str, Any], name: str) -> int | None:
    """The shown numerator of the percentage ``name`` capped at its shown denominator, as rule 4 computes the
    percentage and ``shown_with_intervals`` its Wilson interval (a published numerator can exceed its published
    denominator); None where the percentage is not shown."""
    count = _shown_count(row, f"{name}__num") if _shown_count(row, name) is not None else None
    denominator = row.get(f"{name}__den")
    if count is None or not isinstance(denominator, int) or isinstance(denominator, bool):
        return count
    return min(count, denominator)


def change(name: str, now: Mapping[str, Any], before: Mapping[str, Any]) -> Change:
    """The change of figure ``name`` from ``before`` to ``now`` (rows of shown tables with their interval
    columns, e.g. the ``all`` rows of two ``views.board_table``s) and what it may be called (contract 4.3).

    Percentages: Newcombe on the shown counts (the numerator capped at the denominator, as rule 4 does); rates per 100 and counts of events: the exact conditional
    test with the shown children as exposure; attendance: the normal test on the cluster-robust SEs;
    children: a census, no test; anything else (sessions lost): no test. No test when either side is
    ``c`` or null.
    """
    from data_access.intervals import (
        Change,
        census_change,
        compare_attendance,
        compare_proportions,
        compare_rates,
    )

    figure = FIGURES[name]
    better = figure.better
    if name == "children" or (figure.counts == "children" and figure.kind == "count"):
        return census_change(_shown_count(now, name), _shown_count(before, name))
    if better is None:
        return Change(None, None, "none")
    if figure.interval == "cluster_ratio":
        return compare_attendance(_estimate(now, name), _estimate(before, name), better)
    if figure.interval == "wilson":
        return compare_proportions(
            _capped_count(now, name), now.get(f"{name}__den"),
            _capped_count(before, name), before.get(f"{name}__den"), better,
        )  # fmt: skip
    if figure.interval == "poisson":
        return compare_rates(
            _shown_count(now, f"{name}__num") if _shown_count(now, name) is not None else None,
            now.get(f"{name}__den"),
            _shown_count(before, f"{name}__num") if _shown_count(before, name) is not None else None,
            before.get(f"{name}__den"),
            better,
        )
    if figure.kind == "count" and figure.counts in ("referrals", "suspensions"):
        # A count of events is tested through its rate per 100 children (contract 4.3).
        return compare_rates(
            _shown_count(now, name), _shown_count(now, "children"),
            _shown_count(before, name), _shown_count(before, "children"), better,
        )  # fmt: skip
    return Change(None, None, "none")


def change_words(result: Change, figure: Figure) -> str:
    """The change in words for a tile or a table: ``better (lower is better)``, ``no clear change``, or ''
    when there is no test."""
    if result.verdict is None:
        return ""
    if result.verdict == "no clear change":
        return "no clear change"
    return f"{result.verdict} ({figure.direction_text})" if figure.direction_text else result.verdict


# ------------------------------------------------------------------------------------------------ comparators


def comparator_words(name: str, bounds: tuple[float, float] | None, complete_year: bool) -> str:
    """A figure against Wigan, the North West and England in words only (contract 4.3): ``Higher than Wigan,
    North West and England (all pupils 2024/25)`` where its 95% interval lies above them, ``similar to`` where
    it holds them. '' unless the period is a complete academic year and the figure has an interval and a
    comparator. A comparator is context, not a target: no colour, no better or worse."""
    from data_access import comparators
    from data_access.intervals import Interval, against_comparator

    if not complete_year or bounds is None or FIGURES[name].comparator is None:
        return ""
    rows = comparators.latest(name)
    if rows.is_empty():
        return ""
    interval = Interval(bounds[0], bounds[1], "wilson")
    grouped: dict[str, list[str]] = {}
    for geography, value in rows.select("geography", "value").iter_rows():
        words = against_comparator(interval, float(value), True)
        if words:
            grouped.setdefault(words, []).append(str(geography))
    year = rows.get_column("academic_year")[0]
    parts = []
    for wording, places in grouped.items():
        listed = places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]
        parts.append(f"{wording} {listed}")
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]} (all pupils {year})" if text else ""
