"""Shaping shown tables: a month × category grid of raw counts, long rows for charts, board sorting.

Nothing here computes or protects a figure; these only reshape raw counts before disclosure
(``month_grid``) or shown tables after it (``long_form``, ``sorted_board``, ``only``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

import polars as pl

from data_access.cellkey import KEY_SPACE, KEY_SUFFIX, RECORD_KEY, cell_key_expr, has_record_keys
from data_access.disclosure import FigureTable
from data_access.periods import month_label
from data_access.registry import BOARD_FIGURES

TOTAL: Final = "Total"
ALL_IN_SCOPE: Final = "All children in scope"
ALL_EXITS: Final = "All exits"


def month_grid(
    events: pl.DataFrame, date_column: str, category: str, categories: Sequence[str], months: Sequence[date]
) -> pl.DataFrame:
    """Counts of ``events`` per month (rows, plus a ``Total`` row) and category (columns), zeros included.

    When ``events`` carries record keys (a protected computation), every count ``c`` comes with its cell key
    ``c__key`` from the same aggregation; a total's key is the exact sum of its months' keys mod 2**32, which
    is the cell key of the union of their records (the months' records are disjoint).
    """
    keyed = has_record_keys(events)
    aggregations = [pl.len().cast(pl.Int64).alias("n")]
    if keyed:
        aggregations.append(cell_key_expr(RECORD_KEY).alias("k"))
    counts = (
        events.with_columns(month_start=pl.col(date_column).dt.truncate("1mo"))
        .group_by("month_start", category)
        .agg(aggregations)
    )
    lookup = {(row["month_start"], row[category]): row for row in counts.iter_rows(named=True)}
    rows: list[dict[str, Any]] = []
    for month in months:
        row: dict[str, Any] = {"month": month_label(month), "month_start": month}
        for c in categories:
            found = lookup.get((month, c))
            row[c] = found["n"] if found else 0
            if keyed:
                row[f"{c}{KEY_SUFFIX}"] = found["k"] if found else 0
        rows.append(row)
    total: dict[str, Any] = {"month": TOTAL, "month_start": None}
    for c in categories:
        total[c] = sum(int(r[c]) for r in rows)
        if keyed:
            total[f"{c}{KEY_SUFFIX}"] = sum(int(r[f"{c}{KEY_SUFFIX}"]) for r in rows) % KEY_SPACE
    schema: dict[str, Any] = {
        "month": pl.String,
        "month_start": pl.Date,
        **dict.fromkeys(categories, pl.Int64),
    }
    if keyed:
        schema.update({f"{c}{KEY_SUFFIX}": pl.UInt32 for c in categories})
    return pl.DataFrame([*rows, total], schema=schema, orient="row")


def long_form(
    table: FigureTable,
    *,
    series: str = "series",
    value: str = "value",
    include_total: bool = False,
    figures: Sequence[str] | None = None,
    intervals: bool = False,
) -> pl.DataFrame:
    """A wide table's shown values as long rows for a chart: keys, ``series``, ``value``, ``value__status``.

    Suppressed cells stay null with status ``c`` (a chart draws a gap, never 0). Rows whose first key is the
    total (``Total``, ``all``, ``All …``) are left out unless ``include_total``. ``figures`` picks some of the
    table's figures (default all). ``intervals`` adds each figure's shown 95% interval ``f__low`` / ``f__high``
    (``uncertainty.shown_with_intervals``) as ``value__low`` / ``value__high``: null where the figure has none or
    is not shown (a hidden rate has no interval).
    """
    frame = table.frame
    if not include_total and frame.height:
        first = table.keys[0]
        frame = frame.filter(~pl.col(first).cast(pl.String).is_in([TOTAL, "all", ALL_IN_SCOPE, ALL_EXITS]))

    def bound(name: str, end: str) -> pl.Expr:
        column = f"{name}__{end}"
        found = pl.col(column) if column in frame.columns else pl.lit(None)
        shown = pl.when(pl.col(f"{name}__status") == "shown").then(found.cast(pl.Float64))
        return shown.otherwise(None).alias(f"{value}__{end}")

    parts = [
        frame.select(
            *table.keys,
            pl.lit(name, pl.String).alias(series),
            pl.col(name).cast(pl.Float64).alias(value),
            pl.col(f"{name}__status").alias(f"{value}__status"),
            *((bound(name, "low"), bound(name, "high")) if intervals else ()),
        )
        for name in (figures or table.figures)
    ]
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts)


def sorted_board(table: FigureTable, by: str, *, descending: bool = True) -> FigureTable:
    """The board table with its school rows ordered by a shown figure; hidden and empty values last, total last.

    Sorting uses only the shown values (a ``c`` is a null here), so the order cannot reveal a hidden number.
    Ties keep school_id order.
    """
    if by == "school_id" or by not in BOARD_FIGURES:
        return table
    frame = table.frame
    total = frame.filter(pl.col("school_id") == "all")
    schools = frame.filter(pl.col("school_id") != "all").sort(
        by, descending=descending, nulls_last=True, maintain_order=True
    )
    return FigureTable(pl.concat([schools, total]), table.keys, table.figures, table.suppressed)


def only(table: FigureTable, figures_shown: Sequence[str], keys: Sequence[str] | None = None) -> FigureTable:
    """The same shown table limited to some figures (and key columns), e.g. two figures of ``views.by_period``."""
    return FigureTable(table.frame, tuple(keys or table.keys), tuple(figures_shown), table.suppressed)
