"""Statistical disclosure control (contract section 6) and the exact rounding of figures (section 4).

Figures arrive here as raw integers (numerator, denominator, children covered) and leave as shown values:
a number, ``"c"`` (protected) or ``None`` (nothing to compute). For protected outputs (``apply``) every count
is perturbed by the cell key method (``data_access.cellkey``: each raw count ``n`` comes with its cell key
``n__key``, computed in the same aggregation), rates and percentages are computed from the published counts,
and rules 4-5's thresholds apply; there is no secondary suppression (version 1's rule is withdrawn). For
exact outputs the figures are the exact ones. Raw counts never leave this module in a protected table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import polars as pl

from data_access.cellkey import (
    KEY_SUFFIX,
    SUPPRESSED,
    PublishedCount,
    PublishedRate,
    publish_attendance_rate,
    publish_count,
    publish_percentage,
    publish_rate,
    publish_sessions_lost,
)
from data_access.contract import EXACT_FOOTNOTE, SUPPRESSION_FOOTNOTE
from data_access.rounding import round_half_away

__all__ = ["SUPPRESSED", "round_half_away"]

Status = Literal["shown", "c", "none"]
ShownValue = int | float | str | None
COMPLEMENT: Final = "complement"
"""With a characteristic filter, the raw column of a row's complement (rule 5), with its cell key."""


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
        underlying: for a magnitude that is not itself a count of records (sessions lost), the raw count of
            the records behind it (the number of events): protected outputs show it rounded to 10, and only
            when that count is shown (rule 4).
        cap: a percentage of children (rule 4: the published numerator is capped at the published
            denominator); a rate per 100 is not capped.
        sessions: numerator and denominator are attendance sessions, not records: exact, shown only where
            the row's published ``children`` is at least 10 (rule 4).
        interval: the 95% interval method (contract 4.2) of a rate that is not in the figure registry (e.g. an
            SDQ band's share: ``wilson``); registered figures take theirs from the registry.
    """

    name: str
    kind: Literal["count", "rate"]
    numerator: str
    denominator: str | None = None
    children: str | None = None
    scale: int = 100
    underlying: str | None = None
    cap: bool = False
    sessions: bool = False
    interval: Literal["wilson", "poisson", "cluster_ratio"] | None = None


@dataclass(frozen=True)
class Cell:
    """One shown figure: its value and status."""

    value: int | float | None
    status: Status


def exact(spec: FigureSpec, row: dict[str, Any]) -> Cell:
    """One figure of a raw row, exact (``allchild`` and ``admin`` inside the dashboard)."""
    count = int(row[spec.numerator] or 0)
    if spec.kind == "count":
        return Cell(count, "shown")
    assert spec.denominator is not None
    denominator = int(row[spec.denominator] or 0)
    if denominator == 0:
        return Cell(None, "none")
    return Cell(round_half_away(count, denominator, spec.scale), "shown")


def published(row: dict[str, Any], column: str) -> PublishedCount:
    """Rule 3: the published form of the raw count ``column`` of ``row``, from its cell key ``column__key``.

    Raises ``KeyError`` when the count came without its cell key: a protected count is never published
    without one (fail closed, never a guess).
    """
    key_column = f"{column}{KEY_SUFFIX}"
    if key_column not in row:
        raise KeyError(f"the protected count {column!r} came without its cell key {key_column!r}")
    return publish_count(int(row[column] or 0), int(row[key_column] or 0))


def _cell(value: PublishedCount | PublishedRate) -> Cell:
    if value is None:
        return Cell(None, "none")
    if value == SUPPRESSED:
        return Cell(None, "c")
    assert not isinstance(value, str)
    return Cell(value, "shown")


def protect(
    spec: FigureSpec,
    row: dict[str, Any],
    *,
    rates_allowed: bool = True,
    complement: PublishedCount | None = None,
) -> Cell:
    """One figure of a raw row under the cell key method (contract section 6, rules 2-5 and 7).

    Args:
        spec: the figure.
        row: the raw row, with a cell key ``n__key`` for every count ``n`` the figure reads.
        rates_allowed: False when the selection as a whole may show no rates (rule 5: its published children
            in scope below 10, or its complement ``c`` or below 10).
        complement: the published complement of the selection (rule 5), when a characteristic filter is in
            force and the row carries no complement of its own.
    """
    if spec.kind == "count":
        if spec.underlying is not None:
            events = published(row, spec.underlying)
            return _cell(publish_sessions_lost(int(row[spec.numerator] or 0), events))
        return _cell(published(row, spec.numerator))
    assert spec.denominator is not None
    if COMPLEMENT in row:
        complement = published(row, COMPLEMENT) if row[COMPLEMENT] is not None else None
    children = published(row, spec.children) if spec.children else None
    if spec.sessions:
        possible = int(row[spec.denominator] or 0)
        if possible == 0:
            return Cell(None, "none")
        if not rates_allowed:
            return Cell(None, "c")
        value = publish_attendance_rate(int(row[spec.numerator] or 0), possible, children, complement)
        return _cell(value)
    numerator = published(row, spec.numerator)
    denominator = published(row, spec.denominator)
    if denominator == 0:
        return Cell(None, "none")  # rule 7: a true 0 denominator has nothing to compute
    if not rates_allowed:
        return Cell(None, "c")
    if spec.cap:
        value = publish_percentage(numerator, denominator, children=children, complement=complement)
    else:
        value = publish_rate(
            numerator, denominator, children=children, complement=complement, scale=spec.scale
        )
    return _cell(value)


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
    def footnote(self) -> str:
        """What every table says under it: the adjustment (protected) or "Exact figures — internal use only"."""
        return SUPPRESSION_FOOTNOTE if self.suppressed else EXACT_FOOTNOTE

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
    rates_allowed: bool = True,
    complement: PublishedCount | None = None,
) -> FigureTable:
    """Turn raw counts into shown figures: exact, or (``apply``) protected by the cell key method.

    Args:
        raw: one row per table row, holding the key columns and every raw column the specs name (and, when
            ``apply``, every count's cell key ``n__key``).
        keys: the columns that identify a row (kept as they are).
        specs: the figures to compute.
        apply: whether the viewer's policy protects (``councillor``, ``commissioner``, public exports).
        total_key: the total row, if any (kept for callers; a total is perturbed like any other count).
        order_by: unused since version 1's secondary suppression was withdrawn (kept for callers).
        rates_allowed: rule 5 for the selection as a whole (see ``protect``).
        complement: the selection's published complement (rule 5), when a characteristic filter is in force.
    """
    del total_key, order_by
    rows = raw.to_dicts()
    columns: dict[str, list[Any]] = {k: [r[k] for r in rows] for k in keys}
    for spec in specs:
        if apply:
            cells = [protect(spec, r, rates_allowed=rates_allowed, complement=complement) for r in rows]
        else:
            cells = [exact(spec, r) for r in rows]
        columns[spec.name] = [c.value if c.status == "shown" else None for c in cells]
        columns[f"{spec.name}__status"] = [c.status for c in cells]
    schema: dict[str, pl.DataType | type[pl.DataType]] = {k: raw.schema[k] for k in keys}
    for spec in specs:
        schema[spec.name] = pl.Int64 if spec.kind == "count" else pl.Float64
        schema[f"{spec.name}__status"] = pl.String
    frame = pl.DataFrame(columns, schema=schema)
    return FigureTable(frame, tuple(keys), tuple(s.name for s in specs), apply)


def suppress_grid(
    raw: pl.DataFrame, categories: Sequence[str], *, apply: bool, row_rule: bool = False, total: str = "Total"
) -> FigureTable:
    """Counts in a month × category grid with a ``Total`` row: every cell (totals too) perturbed on its own
    when ``apply`` (each cell ``c`` carries its cell key ``c__key``), else exact. ``row_rule`` and ``total``
    are kept for callers: version 1's row and column rules are withdrawn."""
    del row_rule, total
    specs = [FigureSpec(c, "count", c) for c in categories]
    return suppress(raw, ["month", "month_start"], specs, apply=apply)


# A rate per 100 and the count it is built from (both shown side by side in some tables).
RATE_COUNTS: Final = {
    "mental_health_referrals_per_100": "mental_health_referrals",
    "suspensions_per_100": "suspensions",
    "permanent_exclusions_per_100": "permanent_exclusions",
}


def hide_rates_with_counts(table: FigureTable, pairs: dict[str, str] = RATE_COUNTS) -> FigureTable:
    """Hide a rate per 100 wherever its count is hidden (rule 4 already does: a rate comes from published
    counts and is ``c`` when its numerator is; kept as a guard for tables built from other rows)."""
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
        total_key: ``(column, value)`` of the total row, or ``None``.
        order_by: the column that orders rows of equal standing (kept for callers).
        grid: for a month × category grid, ``"columns"`` or ``"rows"`` (how version 1 protected it; every
            cell is now perturbed on its own).
        blocks: tables protected one by one and shown one under the other (the frame is then unused).
        empty_schema: key dtypes of a table with nothing to show (then ``frame`` is ignored).
        rates_allowed: rule 5 for the selection as a whole.
        complement: the selection's published complement (rule 5) with a characteristic filter.
    """

    frame: pl.DataFrame
    keys: tuple[str, ...]
    specs: tuple[FigureSpec, ...]
    total_key: tuple[str, Any] | None = None
    order_by: str | None = None
    grid: Literal["columns", "rows"] | None = None
    blocks: tuple[RawTable, ...] = ()
    empty_schema: dict[str, Any] | None = None
    rates_allowed: bool = True
    complement: PublishedCount | None = None


def empty_table(keys: dict[str, Any], specs: Sequence[FigureSpec], protected: bool = False) -> FigureTable:
    """A table with no rows (nothing in scope), typed like a shown one."""
    schema: dict[str, Any] = dict(keys)
    for spec in specs:
        schema[spec.name] = pl.Int64 if spec.kind == "count" else pl.Float64
        schema[f"{spec.name}__status"] = pl.String
    return FigureTable(pl.DataFrame(schema=schema), tuple(keys), tuple(s.name for s in specs), protected)


def disclose(raw: RawTable, apply: bool) -> FigureTable:
    """Shown figures from raw counts: exact, or protected by the cell key method when ``apply``."""
    if raw.empty_schema is not None:
        return empty_table(raw.empty_schema, raw.specs, apply)
    if raw.blocks:
        blocks = [
            RawTable(b.frame, b.keys, b.specs, b.total_key, b.order_by, b.grid, b.blocks, b.empty_schema,
                     raw.rates_allowed and b.rates_allowed, b.complement if b.complement is not None else raw.complement)
            for b in raw.blocks
        ]  # fmt: skip
        tables = [disclose(block, apply) for block in blocks]
        return FigureTable(pl.concat([t.frame for t in tables]), tables[0].keys, tables[0].figures, apply)
    return suppress(
        raw.frame,
        raw.keys,
        raw.specs,
        apply=apply,
        rates_allowed=raw.rates_allowed,
        complement=raw.complement,
    )
