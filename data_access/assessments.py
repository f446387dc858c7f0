"""Assessments: SDQ, wellbeing and attainment scores, the improvement rule, bands and levels.

The improvement rule (contract section 4): for each child in scope, the earliest baseline score dated on or
before the period's end and the latest later score on or before it; improved when the change is at least the
measure's meaningful change in the better direction. **SDQ bands** and **attainment levels** put the same two
scores into the contract's bands and levels. The tables return ``RawTable``s that ``data_access.views``
discloses under the viewer's policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Final

import polars as pl

from data_access.cellkey import KEY_SUFFIX, RECORD_KEY, cell_key_expr, has_record_keys
from data_access.contract import ATTAINMENT_LEVELS, MEASURES, SDQ_TOTAL_BANDS
from data_access.disclosure import FigureSpec, RawTable
from data_access.enrolment import children_in_scope
from data_access.filters import Filters
from data_access.tables import TOTAL

if TYPE_CHECKING:
    from data_access.snapshots import Snapshot

ATTAINMENT_MEASURES: Final = ("reading", "writing", "maths")
LEVEL_SPECS: Final = (
    FigureSpec("baseline_children", "count", "baseline"),
    FigureSpec("latest_children", "count", "latest"),
)

SHARE_SPECS: Final = (
    *LEVEL_SPECS,
    # Shares of children (contract 4.2: Wilson on the shown band count and children with both scores).
    FigureSpec("baseline_pct", "rate", "baseline", "with_both", "with_both", cap=True, interval="wilson"),
    FigureSpec("latest_pct", "rate", "latest", "with_both", "with_both", cap=True, interval="wilson"),
)

MOVEMENT_SPECS: Final = (
    FigureSpec("children", "count", "children"),
    # Shares of children (contract 4.2: Wilson on the shown count and children with both scores).
    FigureSpec("children_pct", "rate", "children", "with_both", "with_both", cap=True, interval="wilson"),
)

MOVEMENTS: Final = (
    "Moved to a lower (better) band",
    "Stayed in the same band",
    "Moved to a higher (worse) band",
)


def improvement_by_child(
    snapshot: Snapshot, measure: str, children: pl.DataFrame, as_at: date
) -> pl.DataFrame:
    """Per child with both scores: the earliest baseline (≤ ``as_at``), the latest later score, and whether improved.

    Ties on one date (not ruled on by the contract) are broken conservatively: the better of two baseline
    scores and the worse of two latest scores, so a tie never makes a child look improved.
    """
    spec = MEASURES[measure]
    better_first = not spec.higher_is_better  # for sdq_total, lower is better: ascending puts best first
    scores = snapshot.assessments.lazy().filter(
        (pl.col("measure") == measure)
        & (pl.col("assessment_date") <= as_at)
        & pl.col("child_idx").is_in(children.get_column("child_idx").implode())
    )
    baseline = (
        scores.filter(pl.col("wave") == "baseline")
        .sort(["child_idx", "assessment_date", "score"], descending=[False, False, not better_first])
        .group_by("child_idx", maintain_order=True)
        .first()
        .select("child_idx", baseline_date="assessment_date", baseline_score="score")
    )
    latest = (
        scores.join(baseline, on="child_idx", how="inner")
        .filter(pl.col("assessment_date") > pl.col("baseline_date"))
        .sort(["child_idx", "assessment_date", "score"], descending=[False, True, better_first])
        .group_by("child_idx", maintain_order=True)
        .first()
        .select(
            "child_idx",
            "baseline_date",
            "baseline_score",
            latest_date="assessment_date",
            latest_score="score",
        )
    )
    gain = (
        pl.col("latest_score") - pl.col("baseline_score")
        if spec.higher_is_better
        else pl.col("baseline_score") - pl.col("latest_score")
    )
    return latest.with_columns(improved=gain >= spec.meaningful_change).collect()


def sdq_band(score: pl.Expr) -> pl.Expr:
    """The band number (1 close to average … 4 very high) of an SDQ total difficulties score."""
    expr = pl.lit(len(SDQ_TOTAL_BANDS), pl.Int32)
    for number, (_, _, high) in reversed(list(enumerate(SDQ_TOTAL_BANDS[:-1], start=1))):
        expr = pl.when(score <= high).then(pl.lit(number, pl.Int32)).otherwise(expr)
    return expr


def _scores(snapshot: Snapshot, filters: Filters, measure: str) -> pl.DataFrame:
    scope = children_in_scope(snapshot, filters)
    per_child = improvement_by_child(snapshot, measure, scope, filters.period.end)
    if has_record_keys(scope):
        per_child = per_child.join(scope.select("child_idx", RECORD_KEY), on="child_idx", how="inner")
    return per_child


def _counted(per_child: pl.DataFrame, by: str, name: str) -> pl.DataFrame:
    """Children per value of ``by`` as ``name`` (and, on a protected computation, its cell key)."""
    aggregations = [pl.len().cast(pl.Int64).alias(name)]
    if has_record_keys(per_child):
        aggregations.append(cell_key_expr(RECORD_KEY).alias(f"{name}{KEY_SUFFIX}"))
    return per_child.group_by(by).agg(aggregations)


def _total_key(per_child: pl.DataFrame, mask: pl.Expr | None = None) -> int:
    return int(per_child.select(cell_key_expr(RECORD_KEY, mask)).item())


def _level_table(
    per_child: pl.DataFrame,
    names: Sequence[str],
    specs: Sequence[FigureSpec],
    extra: dict[str, str] | None = None,
) -> RawTable:
    """Counts of children per level (1-based) at baseline and latest, with a total row."""
    with_both = per_child.height
    keyed = has_record_keys(per_child)
    base = _counted(per_child, "baseline_level", "baseline").rename({"baseline_level": "level_number"})
    late = _counted(per_child, "latest_level", "latest").rename({"latest_level": "level_number"})
    levels = pl.DataFrame(
        {"level_number": list(range(1, len(names) + 1)), "level": list(names)},
        schema={"level_number": pl.Int32, "level": pl.String},
    )
    rows = (
        levels.join(base.cast({"level_number": pl.Int32}), on="level_number", how="left")
        .join(late.cast({"level_number": pl.Int32}), on="level_number", how="left")
        .with_columns(
            pl.col("baseline", "latest").fill_null(0).cast(pl.Int64), with_both=pl.lit(with_both, pl.Int64)
        )
    )
    total_row: dict[str, list[object]] = {
        "level_number": [99],
        "level": [TOTAL],
        "baseline": [with_both],
        "latest": [with_both],
        "with_both": [with_both],
    }
    if keyed:
        both_key = _total_key(per_child)
        rows = rows.with_columns(
            pl.col("baseline__key", "latest__key").fill_null(0),
            with_both__key=pl.lit(both_key, pl.UInt32),
        ).select("level_number", "level", "baseline", "latest", "with_both", "baseline__key", "latest__key",
                 "with_both__key")  # fmt: skip
        total_row.update(
            {"baseline__key": [both_key], "latest__key": [both_key], "with_both__key": [both_key]}
        )
    total = pl.DataFrame(total_row, schema=rows.schema)
    raw = pl.concat([rows, total])
    keys = ["level"]
    if extra:
        raw = raw.with_columns(pl.lit(value).alias(name) for name, value in extra.items())
        keys = [*extra, "level"]
    return RawTable(raw, tuple(keys), tuple(specs), total_key=("level", TOTAL), order_by="level_number")


def sdq_bands(snapshot: Snapshot, filters: Filters) -> RawTable:
    """Children in each SDQ total difficulties band at baseline and at latest, with shares and a total row."""
    per_child = _scores(snapshot, filters, "sdq_total").with_columns(
        baseline_level=sdq_band(pl.col("baseline_score")), latest_level=sdq_band(pl.col("latest_score"))
    )
    return _level_table(per_child, [band[0] for band in SDQ_TOTAL_BANDS], SHARE_SPECS)


def sdq_band_movement(snapshot: Snapshot, filters: Filters) -> RawTable:
    """Children whose SDQ band got better, stayed the same or got worse from baseline to latest, with a total."""
    per_child = _scores(snapshot, filters, "sdq_total").with_columns(
        move=sdq_band(pl.col("latest_score")) - sdq_band(pl.col("baseline_score"))
    )
    with_both = per_child.height
    moves = [pl.col("move") < 0, pl.col("move") == 0, pl.col("move") > 0]
    counts = [per_child.filter(m).height for m in moves]
    columns: dict[str, list[object]] = {
        "order": [1, 2, 3, 9],
        "movement": [*MOVEMENTS, TOTAL],
        "children": [*counts, with_both],
        "with_both": [with_both] * 4,
    }
    schema: dict[str, object] = {
        "order": pl.Int32, "movement": pl.String, "children": pl.Int64, "with_both": pl.Int64,
    }  # fmt: skip
    if has_record_keys(per_child):
        both_key = _total_key(per_child)
        columns["children__key"] = [*(_total_key(per_child, m) for m in moves), both_key]
        columns["with_both__key"] = [both_key] * 4
        schema.update({"children__key": pl.UInt32, "with_both__key": pl.UInt32})
    raw = pl.DataFrame(columns, schema=schema)  # type: ignore[arg-type]
    return RawTable(raw, ("movement",), MOVEMENT_SPECS, total_key=("movement", TOTAL), order_by="order")


def attainment_levels(snapshot: Snapshot, filters: Filters) -> RawTable:
    """Children at each reading, writing and maths level at baseline and latest; a total row per measure.

    Suppression (with secondary suppression against each measure's total) is applied to each measure's block.
    """
    tables = []
    for measure in ATTAINMENT_MEASURES:
        per_child = _scores(snapshot, filters, measure).with_columns(
            baseline_level=pl.col("baseline_score").round(0).cast(pl.Int32),
            latest_level=pl.col("latest_score").round(0).cast(pl.Int32),
        )
        label = MEASURES[measure].label.split(" (")[0]
        names = [f"{number} {name}" for number, name in ATTAINMENT_LEVELS.items()]
        tables.append(_level_table(per_child, names, LEVEL_SPECS, extra={"measure": label}))
    return RawTable(pl.DataFrame(), tables[0].keys, tables[0].specs, blocks=tuple(tables))
