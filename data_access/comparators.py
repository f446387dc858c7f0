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
