"""Reshaping a shown frame for drawing (no figure is computed here: every number comes from ``data_access``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl


def long_form(
    frame: pl.DataFrame,
    keys: Sequence[str],
    figures: Mapping[str, str],
    *,
    series: str = "series",
    value: str = "value",
    intervals: bool = False,
) -> pl.DataFrame:
    """Stack several figures of a shown frame into one value column with a series label and a status column.

    Args:
        frame: a ``FigureTable.frame`` (figure ``f`` and ``f__status`` per figure).
        keys: columns kept on every row.
        figures: figure name → series label, in drawing order.
        intervals: also stack each figure's 95% interval ``f__low`` / ``f__high`` as ``value__low`` /
            ``value__high`` (null where the figure has none).
    """

    def bound(name: str, end: str) -> pl.Expr:
        column = f"{name}__{end}"
        found = pl.col(column) if column in frame.columns else pl.lit(None)
        return found.cast(pl.Float64).alias(f"{value}__{end}")

    parts = [
        frame.select(
            *keys,
            pl.lit(label).alias(series),
            pl.col(name).cast(pl.Float64).alias(value),
            pl.col(f"{name}__status").alias(f"{value}__status"),
            *((bound(name, "low"), bound(name, "high")) if intervals else ()),
        )
        for name, label in figures.items()
    ]
    return pl.concat(parts)
