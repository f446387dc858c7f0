"""Enrolment: which children a view covers (scope), the funnel, enrolments by month, children and exits.

Children in scope for a period are those enrolled on or before its last day who had not left before its
first day, and who match the filters. Every other concept module starts from ``children_in_scope``. The
breakdowns return ``RawTable``s; ``data_access.views`` discloses them under the viewer's policy.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from data_access.cellkey import KEY_SUFFIX, RECORD_KEY, cell_key_expr, count_with_key, has_record_keys
from data_access.contract import EXIT_REASONS, SEN_PROVISIONS, SEXES
from data_access.disclosure import FigureSpec, RawTable
from data_access.filters import Filters
from data_access.periods import Period, month_starts
from data_access.tables import ALL_EXITS, ALL_IN_SCOPE, month_grid

if TYPE_CHECKING:
    from data_access.snapshots import Snapshot

CHARACTERISTICS: Final[dict[str, str]] = {
    "year_group": "Year group",
    "sex": "Sex",
    "fsm_eligible": "Free school meals",
    "sen_provision": "SEN provision",
}
SEX_LABELS: Final = {"female": "Female", "male": "Male", "not recorded": "Not recorded"}

FSM_LABELS: Final = {True: "Eligible for free school meals", False: "Not eligible"}

SEN_LABELS: Final = {"none": "No SEN provision", "sen_support": "SEN support", "ehcp": "EHC plan"}

EXIT_LABELS: Final = {
    "completed": "Completed",
    "moved_school": "Moved school",
    "withdrew": "Withdrew",
    "other": "Other",
}

FUNNEL_STAGES: Final = ("identified", "enrolled", "active", "completed")


def has_characteristic_filter(filters: Filters) -> bool:
    """True when a year group, sex, FSM or SEN filter is in force (rule 5's complement then applies)."""
    return bool(filters.year_groups or filters.sexes or filters.sen) or filters.fsm is not None


def characteristic_condition(filters: Filters) -> pl.Expr:
    """The characteristic filters (year group, sex, FSM, SEN) as one condition on ``children``."""
    condition = pl.lit(True)
    if filters.year_groups:
        condition &= pl.col("year_group").is_in(list(filters.year_groups))
    if filters.sexes:
        condition &= pl.col("sex").is_in(list(filters.sexes))
    if filters.fsm is not None:
        condition &= pl.col("fsm_eligible") == filters.fsm
    if filters.sen:
        condition &= pl.col("sen_provision").is_in(list(filters.sen))
    return condition


def select_children(snapshot: Snapshot, filters: Filters) -> pl.DataFrame:
    """Children matching the characteristic filters (school, year group, sex, FSM, SEN), whatever the period."""
    condition = characteristic_condition(filters)
    if filters.schools:
        condition &= pl.col("school_id").is_in(list(filters.schools))
    return snapshot.children.filter(condition)


def complement_in_scope(snapshot: Snapshot, filters: Filters, period: Period | None = None) -> pl.DataFrame:
    """Rule 5's complement: children of the filters' schools in scope for the period whom the characteristic
    filters leave out."""
    schools = snapshot.children
    if filters.schools:
        schools = schools.filter(pl.col("school_id").is_in(list(filters.schools)))
    return in_scope(schools, period or filters.period).filter(~characteristic_condition(filters))


def in_scope(children: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Children in scope for ``period``: enrolled on or before its end, and not exited before its start."""
    return children.filter(
        pl.col("enrolled_date").is_not_null()
        & (pl.col("enrolled_date") <= period.end)
        & (pl.col("exit_date").is_null() | (pl.col("exit_date") >= period.start))
    )


def children_in_scope(snapshot: Snapshot, filters: Filters, period: Period | None = None) -> pl.DataFrame:
    """Children in scope for the filters' period (or ``period``) who match the filters."""
    return in_scope(select_children(snapshot, filters), period or filters.period)


def funnel_raw(snapshot: Snapshot, filters: Filters, as_at: date) -> pl.DataFrame:
    """Enrolment funnel as at ``as_at`` per school then ``all``: identified, enrolled, active, completed."""
    children = select_children(snapshot, filters)
    enrolled = pl.col("enrolled_date").is_not_null() & (pl.col("enrolled_date") <= as_at)
    counts = [
        (pl.col("identified_date") <= as_at).sum().cast(pl.Int64).alias("identified"),
        enrolled.sum().cast(pl.Int64).alias("enrolled"),
        (enrolled & (pl.col("exit_date").is_null() | (pl.col("exit_date") > as_at)))
        .sum()
        .cast(pl.Int64)
        .alias("active"),
        ((pl.col("exit_reason") == "completed") & (pl.col("exit_date") <= as_at))
        .sum()
        .cast(pl.Int64)
        .alias("completed"),
    ]
    if has_record_keys(children):
        # Each stage's count with its cell key in the same aggregation (contract section 6, rule 2).
        masks = {
            "identified": pl.col("identified_date") <= as_at,
            "enrolled": enrolled,
            "active": enrolled & (pl.col("exit_date").is_null() | (pl.col("exit_date") > as_at)),
            "completed": (pl.col("exit_reason") == "completed") & (pl.col("exit_date") <= as_at),
        }
        counts = [e for name, mask in masks.items() for e in count_with_key(mask, RECORD_KEY, name)]
    school_ids = list(filters.schools) or snapshot.schools.get_column("school_id").to_list()
    per_school = (
        pl.DataFrame({"school_id": school_ids}, schema={"school_id": pl.String})
        .join(children.group_by("school_id").agg(counts), on="school_id", how="left")
        .fill_null(0)
        .sort("school_id")
    )
    total = children.select(counts).with_columns(school_id=pl.lit("all")).select(per_school.columns)
    return pl.concat([per_school, total])


def funnel(snapshot: Snapshot, filters: Filters, as_at: date) -> RawTable:
    """The enrolment funnel as at ``as_at``, by school then ``all`` (secondary suppression)."""
    specs = tuple(FigureSpec(stage, "count", stage) for stage in FUNNEL_STAGES)
    return RawTable(
        funnel_raw(snapshot, filters, as_at), ("school_id",), specs, total_key=("school_id", "all")
    )


def enrolments_by_month(snapshot: Snapshot, filters: Filters, as_at: date) -> RawTable:
    """Enrolments per calendar month (rows) by school (columns) up to ``as_at``, with a ``Total`` row.

    Children are those matching the filters' characteristics (not the period: enrolment is about joining).
    The total row of a school equals the funnel's ``enrolled`` as at the same date, so the column rule of
    secondary suppression keeps the two tables from revealing a hidden month.
    """
    school_ids = list(filters.schools) or snapshot.schools.get_column("school_id").to_list()
    joined = select_children(snapshot, filters).filter(
        pl.col("enrolled_date").is_not_null() & (pl.col("enrolled_date") <= as_at)
    )
    first = joined.get_column("enrolled_date").min()
    months = month_starts(first, as_at) if isinstance(first, date) else []
    raw = month_grid(joined, "enrolled_date", "school_id", school_ids, months)
    return _grid(raw, school_ids, "columns")


def _grid(raw: pl.DataFrame, categories: list[str], rule: Any) -> RawTable:
    """A month × category grid (the column rule, or rows too) for ``disclosure.suppress_grid``."""
    specs = tuple(FigureSpec(c, "count", c) for c in categories)
    return RawTable(raw, ("month", "month_start"), specs, grid=rule)


def earliest_identified(snapshot: Snapshot) -> date:
    """The first identified_date in the snapshot (the earliest date a funnel can start); the snapshot date if none."""
    first = snapshot.children.get_column("identified_date").min()
    return first if isinstance(first, date) else snapshot.snapshot_date


def _categories(snapshot: Snapshot, filters: Filters, characteristic: str) -> list[tuple[Any, str]]:
    """(value, label) of every category shown for ``characteristic``, in their natural order."""
    if characteristic == "year_group":
        years = list(filters.year_groups) or sorted(
            snapshot.children.get_column("year_group").unique().to_list()
        )
        return [(y, "Reception" if y == 0 else f"Year {y}") for y in years]
    if characteristic == "sex":
        return [(s, SEX_LABELS[s]) for s in (filters.sexes or SEXES)]
    if characteristic == "fsm_eligible":
        return [(v, FSM_LABELS[v]) for v in ((filters.fsm,) if filters.fsm is not None else (True, False))]
    if characteristic == "sen_provision":
        return [(s, SEN_LABELS[s]) for s in (filters.sen or SEN_PROVISIONS)]
    raise ValueError(
        f"unknown characteristic {characteristic!r}; expected one of {', '.join(CHARACTERISTICS)}"
    )


def _category_table(
    frame: pl.DataFrame, column: str, categories: list[tuple[Any, str]], key: str, figure: str, total: str
) -> RawTable:
    """Children of ``frame`` per category of ``column`` (a row each, a true 0 when none), then the total row.

    Secondary suppression uses the total row; ties go to the first category in order.
    """
    counts = dict(frame.group_by(column).agg(n=pl.len()).iter_rows())
    rows: list[dict[str, Any]] = [
        {key: label, "order": f"{index:02d}", figure: int(counts.get(value, 0))}
        for index, (value, label) in enumerate(categories)
    ]
    rows.append({key: total, "order": "99", figure: frame.height})
    schema: dict[str, Any] = {key: pl.String, "order": pl.String, figure: pl.Int64}
    if has_record_keys(frame):
        keys = dict(frame.group_by(column).agg(cell_key_expr(RECORD_KEY).alias("k")).iter_rows())
        for row, (value, _) in zip(rows, categories, strict=False):
            row[f"{figure}{KEY_SUFFIX}"] = int(keys.get(value, 0))
        rows[-1][f"{figure}{KEY_SUFFIX}"] = int(frame.select(cell_key_expr(RECORD_KEY)).item())
        schema[f"{figure}{KEY_SUFFIX}"] = pl.UInt32
    raw = pl.DataFrame(rows, schema=schema)
    spec = FigureSpec(figure, "count", figure)
    return RawTable(raw, (key,), (spec,), total_key=(key, total), order_by="order")


def children_by(snapshot: Snapshot, filters: Filters, characteristic: str) -> RawTable:
    """Children in scope for the period by one characteristic, each category a row, then the total row
    (``All children in scope``, the Overview's children figure)."""
    scope = children_in_scope(snapshot, filters)
    categories = _categories(snapshot, filters, characteristic)
    return _category_table(scope, characteristic, categories, "group", "children", ALL_IN_SCOPE)


def exits_by_reason(snapshot: Snapshot, filters: Filters) -> RawTable:
    """Children in scope who left within the period, by exit reason, then ``All exits`` (secondary suppression)."""
    period = filters.period
    left = children_in_scope(snapshot, filters).filter(
        pl.col("exit_date").is_between(period.start, period.end)
    )
    categories = [(reason, EXIT_LABELS[reason]) for reason in EXIT_REASONS]
    return _category_table(left, "exit_reason", categories, "reason", "exits", ALL_EXITS)
