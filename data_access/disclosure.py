"""Statistical disclosure control (contract section 6) and the exact rounding of figures (section 4).

Figures arrive here as raw integers (numerator, denominator, children covered) and leave as shown values:
a number, ``"c"`` (suppressed) or ``None`` (nothing to compute). Raw counts never leave this module in a
suppressed table, so no page or export can show what the rule hides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import polars as pl

from data_access.contract import SUPPRESSION_FOOTNOTE

SUPPRESSED: Final = "c"
MIN_COUNT: Final = 5  # counts 1..4 are hidden
MIN_DENOMINATOR: Final = 10
MIN_CHILDREN: Final = 10
Status = Literal["shown", "c", "none"]
ShownValue = int | float | str | None


def round_half_away(numerator: int, denominator: int, scale: int = 100, places: int = 1) -> float:
    """``numerator * scale / denominator`` rounded half away from zero to ``places`` decimals, exactly.

    Integer arithmetic only, so 1/16 = 6.25% gives 6.3 (``round()`` and float formatting would give 6.2).
    """
    if denominator == 0:
        raise ZeroDivisionError("a figure with a zero denominator has nothing to compute")
    factor = 10**places
    top = abs(numerator) * scale * factor
    bottom = abs(denominator)
    tenths = (2 * top + bottom) // (2 * bottom)
    sign = -1 if (numerator < 0) != (denominator < 0) and numerator != 0 else 1
    return float(sign * tenths / factor)


@dataclass(frozen=True)
class FigureSpec:
    """How a figure is computed from raw columns and how it is protected.

    Attributes:
        name: the figure's column name as shown and exported, e.g. ``attendance_rate``.
        kind: ``count`` (the numerator itself) or ``rate`` (numerator × scale ÷ denominator).
        numerator: raw column holding the underlying count.
        denominator: raw column of the denominator (rates only).
        children: raw column of the children in scope the row covers (rates only).
        scale: 100 for a percentage or a rate per 100.
        underlying: for a count whose own value is not what identifies children (sessions lost), the raw
            column whose 1 to 4 suppresses it (the number of events); default the numerator.
    """

    name: str
    kind: Literal["count", "rate"]
    numerator: str
    denominator: str | None = None
    children: str | None = None
    scale: int = 100
    underlying: str | None = None


@dataclass(frozen=True)
class Cell:
    """One shown figure before secondary suppression: its value, status and underlying count."""

    value: int | float | None
    status: Status
    underlying: int


def primary(spec: FigureSpec, row: dict[str, Any], apply: bool) -> Cell:
    """Compute one figure of a raw row and apply primary suppression when ``apply`` is set."""
    count = int(row[spec.numerator] or 0)
    if spec.kind == "count":
        underlying = int(row[spec.underlying] or 0) if spec.underlying else count
        if apply and (1 <= underlying < MIN_COUNT or (spec.underlying and 1 <= count < MIN_COUNT)):
            return Cell(None, "c", underlying)
        return Cell(count, "shown", underlying)
    assert spec.denominator is not None
    denominator = int(row[spec.denominator] or 0)
    if denominator == 0:
        return Cell(None, "none", count)
    children = int(row[spec.children] or 0) if spec.children else denominator
    if apply and (1 <= count < MIN_COUNT or denominator < MIN_DENOMINATOR or children < MIN_CHILDREN):
        return Cell(None, "c", count)
    return Cell(round_half_away(count, denominator, spec.scale), "shown", count)


def _secondary(cells: list[Cell], total_index: int | None, order: Sequence[int]) -> list[Cell]:
    """Rule 3 for one column: if exactly one non-total cell is suppressed, suppress one more (or the total)."""
    others = [i for i in order if i != total_index]
    suppressed = [i for i in others if cells[i].status == "c"]
    if total_index is None or len(suppressed) != 1:
        return cells
    candidates = [i for i in others if cells[i].status == "shown" and cells[i].underlying > 0]
    out = list(cells)
    # ``order`` is school_id order, and min() keeps the first of equals: ties go to the first by school_id.
    pick = min(candidates, key=lambda i: cells[i].underlying) if candidates else total_index
    out[pick] = Cell(None, "c", cells[pick].underlying)
    return out


@dataclass(frozen=True)
class FigureTable:
    """A table of shown figures: key columns, then one value and one status per figure.

    ``frame`` holds, per figure ``f``, the column ``f`` (a number, null when suppressed or nothing to compute)
    and ``f__status`` (``shown``, ``c`` or ``none``). Raw counts are not in it.
    """

    frame: pl.DataFrame
    keys: tuple[str, ...]
    figures: tuple[str, ...]
    suppressed: bool

    @property
    def has_suppressed_values(self) -> bool:
        """True when any cell is ``c`` (the page then shows the suppression footnote)."""
        return (
            any((self.frame[f"{f}__status"] == "c").any() for f in self.figures)
            if self.frame.height
            else False
        )

    @property
    def footnote(self) -> str | None:
        """The suppression footnote when the table holds a ``c``."""
        return SUPPRESSION_FOOTNOTE if self.has_suppressed_values else None

    def rows(self) -> list[dict[str, ShownValue]]:
        """Rows as exported: numbers, ``"c"`` where suppressed and ``None`` where there is nothing to compute."""
        out: list[dict[str, ShownValue]] = []
        for row in self.frame.iter_rows(named=True):
            shown: dict[str, ShownValue] = {k: row[k] for k in self.keys}
            for f in self.figures:
                status = row[f"{f}__status"]
                shown[f] = SUPPRESSED if status == "c" else (None if status == "none" else row[f])
            out.append(shown)
        return out

    def display(self, labels: dict[str, str] | None = None) -> pl.DataFrame:
        """A frame of strings for a table on screen or a CSV: ``c`` and ``–`` (nothing to compute) included."""
        labels = labels or {}
        data: dict[str, list[str]] = {}
        for key in self.keys:
            data[labels.get(key, key)] = ["" if v is None else str(v) for v in self.frame[key].to_list()]
        for f in self.figures:
            data[labels.get(f, f)] = [format_shown(v) for v in (row[f] for row in self.rows())]
        return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))

    def plottable(self) -> pl.DataFrame:
        """The frame for a chart: suppressed and empty values are nulls (a gap), never zeros."""
        return self.frame


def format_shown(value: ShownValue) -> str:
    """How a shown value is written in a table or CSV: ``c``, ``–`` for nothing to compute, else the number."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def suppress(
    raw: pl.DataFrame,
    keys: Sequence[str],
    specs: Sequence[FigureSpec],
    *,
    apply: bool,
    total_key: tuple[str, Any] | None = None,
    order_by: str | None = None,
) -> FigureTable:
    """Turn raw counts into shown figures, applying primary and (with a total row) secondary suppression.

    Args:
        raw: one row per table row, holding the key columns and every raw column the specs name.
        keys: the columns that identify a row (kept as they are).
        specs: the figures to compute.
        apply: whether the viewer's policy suppresses (``councillor``, ``commissioner``, public exports).
        total_key: ``(column, value)`` marking the total row, e.g. ``("school_id", "all")``; secondary
            suppression runs only for tables with a total row.
        order_by: the column whose order breaks ties in secondary suppression (default: the first key).
    """
    rows = raw.to_dicts()
    order_column = order_by or keys[0]
    total_index = None
    if total_key is not None:
        matches = [i for i, r in enumerate(rows) if r[total_key[0]] == total_key[1]]
        total_index = matches[0] if matches else None
    order = sorted(range(len(rows)), key=lambda i: (i == total_index, str(rows[i][order_column])))
    columns: dict[str, list[Any]] = {k: [r[k] for r in rows] for k in keys}
    for spec in specs:
        cells = [primary(spec, r, apply) for r in rows]
        if apply:
            cells = _secondary(cells, total_index, order)
        columns[spec.name] = [c.value if c.status == "shown" else None for c in cells]
        columns[f"{spec.name}__status"] = [c.status for c in cells]
    schema: dict[str, pl.DataType | type[pl.DataType]] = {k: raw.schema[k] for k in keys}
    for spec in specs:
        schema[spec.name] = pl.Int64 if spec.kind == "count" else pl.Float64
        schema[f"{spec.name}__status"] = pl.String
    frame = pl.DataFrame(columns, schema=schema)
    return FigureTable(frame, tuple(keys), tuple(s.name for s in specs), apply)


def suppress_grid(
    raw: pl.DataFrame, categories: Sequence[str], *, apply: bool, row_rule: bool, total: str = "Total"
) -> FigureTable:
    """Counts in a month × category grid with a ``Total`` row: primary and column rule 3, optionally rows too.

    With ``row_rule``, a month row holding exactly one ``c`` gets a second one (its smallest other shown
    count above 0, ties to the first category), because the month's total across categories is known from
    another table; the column rule is then applied again, and both repeat until nothing changes. Rows'
    totals are never shown here, so a row with no candidate is left as it is.
    """
    specs = [FigureSpec(c, "count", c) for c in categories]
    table = suppress(
        raw, ["month", "month_start"], specs, apply=apply, total_key=("month", total), order_by="month_start"
    )
    if not apply or not row_rule:
        return table
    values = {c: table.frame[c].to_list() for c in categories}
    status = {c: table.frame[f"{c}__status"].to_list() for c in categories}
    total_index = table.frame.height - 1
    body = range(total_index)

    def hide(column: str, index: int) -> None:
        values[column][index] = None
        status[column][index] = SUPPRESSED

    changed = True
    while changed:
        changed = False
        for i in body:
            hidden = [c for c in categories if status[c][i] == SUPPRESSED]
            if len(hidden) != 1:
                continue
            candidates = [c for c in categories if status[c][i] == "shown" and (values[c][i] or 0) > 0]
            if candidates:
                hide(min(candidates, key=lambda c: values[c][i]), i)
                changed = True
        for c in categories:
            hidden_rows = [i for i in body if status[c][i] == SUPPRESSED]
            if len(hidden_rows) != 1:
                continue
            candidates_rows = [i for i in body if status[c][i] == "shown" and (values[c][i] or 0) > 0]
            if candidates_rows:
                hide(c, min(candidates_rows, key=lambda i: values[c][i]))
                changed = True
            elif status[c][total_index] != SUPPRESSED:
                hide(c, total_index)
                changed = True
    frame = table.frame.with_columns(
        *(pl.Series(c, values[c], dtype=pl.Int64) for c in categories),
        *(pl.Series(f"{c}__status", status[c], dtype=pl.String) for c in categories),
    )
    return FigureTable(frame, table.keys, table.figures, table.suppressed)


# A rate per 100 and the count it is built from (both shown side by side in some tables).
RATE_COUNTS: Final = {
    "mental_health_referrals_per_100": "mental_health_referrals",
    "suspensions_per_100": "suspensions",
    "permanent_exclusions_per_100": "permanent_exclusions",
}


def hide_rates_with_counts(table: FigureTable, pairs: dict[str, str] = RATE_COUNTS) -> FigureTable:
    """Hide a rate per 100 wherever its count is hidden (only ever hides more than the contract requires).

    Rule 3 runs per column, so a count hidden by secondary suppression could otherwise be worked back from
    its row's rate per 100 and the children figure shown beside it (rate × children ÷ 100), undoing the
    protection of the count it was hidden to protect.
    """
    if not table.suppressed or not table.frame.height:
        return table
    frame = table.frame
    for rate, count in pairs.items():
        if rate in table.figures and count in table.figures:
            hidden = (pl.col(f"{count}__status") == SUPPRESSED) & (pl.col(f"{rate}__status") == "shown")
            frame = frame.with_columns(
                pl.when(hidden).then(None).otherwise(pl.col(rate)).alias(rate),
                pl.when(hidden)
                .then(pl.lit(SUPPRESSED))
                .otherwise(pl.col(f"{rate}__status"))
                .alias(f"{rate}__status"),
            )
    return FigureTable(frame, table.keys, table.figures, table.suppressed)


# ------------------------------------------------------------------------------------ raw tables, then shown


@dataclass(frozen=True)
class RawTable:
    """Raw counts of a table and how disclosure control is to be applied to them (``disclose``).

    The concept modules (``attendance``, ``events``, ``assessments``, ``enrolment``) return these; only
    ``views`` turns them into shown ``FigureTable``s under the viewer's policy, so no figure leaves the data
    layer unprotected.

    Attributes:
        frame: one row per table row: the key columns and every raw column the specs name.
        keys: the columns that identify a row.
        specs: the figures to compute.
        total_key: ``(column, value)`` of the total row (secondary suppression), or ``None``.
        order_by: the column that breaks ties in secondary suppression.
        grid: for a month × category grid, ``"columns"`` (column rule) or ``"rows"`` (rows too).
        blocks: tables protected one by one and shown one under the other (the frame is then unused).
        empty_schema: key dtypes of a table with nothing to show (then ``frame`` is ignored).
    """

    frame: pl.DataFrame
    keys: tuple[str, ...]
    specs: tuple[FigureSpec, ...]
    total_key: tuple[str, Any] | None = None
    order_by: str | None = None
    grid: Literal["columns", "rows"] | None = None
    blocks: tuple[RawTable, ...] = ()
    empty_schema: dict[str, Any] | None = None


def empty_table(keys: dict[str, Any], specs: Sequence[FigureSpec]) -> FigureTable:
    """A table with no rows (nothing in scope), typed like a shown one."""
    schema: dict[str, Any] = dict(keys)
    for spec in specs:
        schema[spec.name] = pl.Int64 if spec.kind == "count" else pl.Float64
        schema[f"{spec.name}__status"] = pl.String
    return FigureTable(pl.DataFrame(schema=schema), tuple(keys), tuple(s.name for s in specs), False)


def disclose(raw: RawTable, apply: bool) -> FigureTable:
    """Shown figures from raw counts: primary, secondary and grid rules when ``apply`` (the policy says so)."""
    if raw.empty_schema is not None:
        return empty_table(raw.empty_schema, raw.specs)
    if raw.blocks:
        tables = [disclose(block, apply) for block in raw.blocks]
        return FigureTable(pl.concat([t.frame for t in tables]), tables[0].keys, tables[0].figures, apply)
    if raw.grid is not None:
        return suppress_grid(raw.frame, [s.name for s in raw.specs], apply=apply, row_rule=raw.grid == "rows")
    return suppress(
        raw.frame, raw.keys, raw.specs, apply=apply, total_key=raw.total_key, order_by=raw.order_by
    )
