"""Official comparator rates (DfE statistics via LAIT) shipped as reference data from the contract's benchmarks.csv."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

import polars as pl

BENCHMARKS_FILE: Final = Path(__file__).parent / "reference" / "benchmarks.csv"
CAVEAT: Final = (
    "Comparators are context, not targets: programme children were selected because they were at risk, so their "
    "rates are expected to differ from all pupils'."
)


@lru_cache(maxsize=1)
def benchmarks() -> pl.DataFrame:
    """Every comparator row: indicator, academic_year, geography, value, unit, source."""
    return pl.read_csv(BENCHMARKS_FILE, schema_overrides={"value": pl.Float64})


@lru_cache(maxsize=32)
def latest(indicator: str) -> pl.DataFrame:
    """The newest year's values of ``indicator`` for England, North West and Wigan (empty if none).

    For ``attendance_rate`` the comparator is 100 − the overall absence rate.
    """
    source = "overall_absence_rate" if indicator == "attendance_rate" else indicator
    rows = benchmarks().filter(pl.col("indicator") == source)
    if rows.is_empty():
        return rows
    newest = rows.get_column("academic_year").max()
    rows = rows.filter(pl.col("academic_year") == newest)
    if indicator == "attendance_rate":
        rows = rows.with_columns(
            value=(100 - pl.col("value")).round(2), unit=pl.lit("percent of sessions attended")
        )
    # Rates under 1 per 100 (permanent exclusions) need more than one decimal to be told apart.
    shown = pl.when(pl.col("value") < 1).then(pl.col("value").round(3)).otherwise(pl.col("value").round(1))
    return rows.with_columns(label=pl.col("geography") + " " + pl.col("academic_year") + ": "
                             + shown.cast(pl.String))  # fmt: skip


# Comparator values closer than this (in the figure's unit) are drawn as one line with one label.
CLOSE_COMPARATORS: Final = 1.5


@lru_cache(maxsize=32)
def lines(indicator: str) -> pl.DataFrame | None:
    """Comparator lines for a chart (``latest`` rows); values closer than ``CLOSE_COMPARATORS`` share one line.

    Three labels a tenth of a point apart print over each other and three dash patterns merge into a hatched
    band, so close values become one line at Wigan's value, labelled with all three.
    """
    rows = latest(indicator)
    if rows.is_empty():
        return None
    values = rows.get_column("value")
    if float(values.max()) - float(values.min()) >= CLOSE_COMPARATORS:  # type: ignore[arg-type]
        return rows
    year = rows.get_column("academic_year")[0]
    label = f"All pupils {year}: " + ", ".join(
        f"{g} {v:.1f}"
        for g, v in rows.select("geography", "value").sort("geography", descending=True).iter_rows()
    )
    wigan = rows.filter(pl.col("geography") == "Wigan")
    return (wigan if wigan.height else rows.head(1)).with_columns(label=pl.lit(label))
