"""Breakdown figures for the Enrolment, Referrals and Suspensions pages: by month, by characteristic, by reason.

Every function takes ``(snapshot, filters, role, ...)`` and returns a suppression-applied ``FigureTable``, like
``data_access.views``. Tables with a total row get the contract's secondary suppression (rule 3).

Month-by-category grids (referrals per month by service, and by reason) get one more protection: the two grids
split the same referrals, so a month's total across services can be read off the reasons grid. When exactly
one cell of a month row is ``c``, the smallest other shown count of that row is hidden too, and the column
rule is re-checked, until nothing changes. This only ever hides more than rule 3 requires; see
``suppress_grid``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final, Literal

import polars as pl

from data_access import figures, views
from data_access.contract import EXIT_REASONS, REFERRAL_REASONS, SEN_PROVISIONS, SERVICES, SEXES
from data_access.definitions import DEFINITIONS
from data_access.filters import Filters
from data_access.periods import Period, academic_year, academic_year_start, format_date, year_before
from data_access.snapshots import Snapshot
from data_access.suppression import SUPPRESSED, FigureSpec, FigureTable, suppress

TOTAL: Final = "Total"
ALL_IN_SCOPE: Final = "All children in scope"
ALL_EXITS: Final = "All exits"
Characteristic = Literal["year_group", "sex", "fsm_eligible", "sen_provision"]
CHARACTERISTICS: Final[dict[str, str]] = {
    "year_group": "Year group",
    "sex": "Sex",
    "fsm_eligible": "Free school meals",
    "sen_provision": "SEN provision",
}
SEX_LABELS: Final = {"female": "Female", "male": "Male", "not recorded": "Not recorded"}
FSM_LABELS: Final = {True: "Eligible for free school meals", False: "Not eligible"}
SEN_LABELS: Final = {"none": "No SEN provision", "sen_support": "SEN support", "ehcp": "EHC plan"}
EXIT_LABELS: Final = {"completed": "Completed", "moved_school": "Moved school", "withdrew": "Withdrew",
                      "other": "Other"}  # fmt: skip
SERVICE_LABELS: Final = {
    "camhs": "CAMHS", "early_help": "Early Help", "childrens_social_care": "Children's social care",
    "school_nursing": "School nursing", "community": "Community services", "other": "Other service",
}  # fmt: skip
REASON_LABELS: Final = {
    "mental_health": "Mental health", "behaviour": "Behaviour", "safeguarding": "Safeguarding",
    "neurodevelopmental": "Neurodevelopmental", "family_support": "Family support", "other": "Other reason",
}  # fmt: skip
MH_SPECS: Final = tuple(s for s in views.BOARD_SPECS if s.name in ("children", "mental_health_referrals",
                                                                   "mental_health_referrals_per_100"))  # fmt: skip


# Written once in data_access.definitions (rendered on About the data too); named here for the pages.
EXTRA_DEFINITIONS: Final = {
    name: DEFINITIONS[name] for name in ("enrolments", "children_by_characteristic", "exits", "referrals")
}


# ----------------------------------------------------------------------------------------------- helpers


def _apply(role: str, public: bool) -> bool:
    return views.applies_suppression(role, public)


def _months(first: date, last: date) -> list[date]:
    """First days of every calendar month from ``first``'s to ``last``'s, inclusive."""
    if last < first:
        return []
    return list(pl.date_range(first.replace(day=1), last.replace(day=1), "1mo", eager=True).to_list())


def _month_label(day: date) -> str:
    return day.strftime("%b %Y")


def _month_grid(
    events: pl.DataFrame, date_column: str, category: str, categories: Sequence[str], months: Sequence[date]
) -> pl.DataFrame:
    """Counts of ``events`` per month (rows, plus a ``Total`` row) and category (columns), zeros included."""
    counts = (
        events.with_columns(month_start=pl.col(date_column).dt.truncate("1mo"))
        .group_by("month_start", category)
        .agg(n=pl.len().cast(pl.Int64))
    )
    lookup = {(row["month_start"], row[category]): row["n"] for row in counts.iter_rows(named=True)}
    rows: list[dict[str, Any]] = []
    for month in months:
        row: dict[str, Any] = {"month": _month_label(month), "month_start": month}
        row.update({c: lookup.get((month, c), 0) for c in categories})
        rows.append(row)
    total: dict[str, Any] = {"month": TOTAL, "month_start": None}
    total.update({c: sum(int(r[c]) for r in rows) for c in categories})
    schema: dict[str, Any] = {
        "month": pl.String,
        "month_start": pl.Date,
        **dict.fromkeys(categories, pl.Int64),
    }
    return pl.DataFrame([*rows, total], schema=schema, orient="row")


def suppress_grid(
    raw: pl.DataFrame, categories: Sequence[str], *, apply: bool, row_rule: bool
) -> FigureTable:
    """Counts in a month × category grid with a ``Total`` row: primary and column rule 3, optionally rows too.

    With ``row_rule``, a month row holding exactly one ``c`` gets a second one (its smallest other shown
    count above 0, ties to the first category), because the month's total across categories is known from
    another table; the column rule is then applied again, and both repeat until nothing changes. Rows'
    totals are never shown here, so a row with no candidate is left as it is.
    """
    specs = [FigureSpec(c, "count", c) for c in categories]
    table = suppress(raw, ["month", "month_start"], specs, apply=apply, total_key=("month", TOTAL),
                     order_by="month_start")  # fmt: skip
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


def long_form(table: FigureTable, *, series: str = "series", value: str = "value", include_total: bool = False,
              figures: Sequence[str] | None = None) -> pl.DataFrame:  # fmt: skip
    """A wide table's shown values as long rows for a chart: keys, ``series``, ``value``, ``value__status``.

    Suppressed cells stay null with status ``c`` (a chart draws a gap, never 0). Rows whose first key is the
    total (``Total``, ``all``, ``All …``) are left out unless ``include_total``. ``figures`` picks some of the
    table's figures (default all).
    """
    frame = table.frame
    if not include_total and frame.height:
        first = table.keys[0]
        frame = frame.filter(~pl.col(first).cast(pl.String).is_in([TOTAL, "all", ALL_IN_SCOPE, ALL_EXITS]))
    parts = [
        frame.select(
            *table.keys,
            pl.lit(name, pl.String).alias(series),
            pl.col(name).cast(pl.Float64).alias(value),
            pl.col(f"{name}__status").alias(f"{value}__status"),
        )
        for name in (figures or table.figures)
    ]
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts)


# ------------------------------------------------------------------------------------------------ enrolment


def enrolments_by_month(snapshot: Snapshot, filters: Filters, role: str, as_at: date, *,
                        public: bool = False) -> FigureTable:  # fmt: skip
    """Enrolments per calendar month (rows) by school (columns) up to ``as_at``, with a ``Total`` row.

    Children are those matching the filters' characteristics (not the period: enrolment is about joining).
    The total row of a school equals the funnel's ``enrolled`` as at the same date, so the column rule of
    secondary suppression keeps the two tables from revealing a hidden month.
    """
    school_ids = list(filters.schools) or snapshot.schools.get_column("school_id").to_list()
    joined = figures.select_children(snapshot, filters).filter(
        pl.col("enrolled_date").is_not_null() & (pl.col("enrolled_date") <= as_at)
    )
    first = joined.get_column("enrolled_date").min()
    months = _months(first, as_at) if isinstance(first, date) else []
    raw = _month_grid(joined, "enrolled_date", "school_id", school_ids, months)
    return suppress_grid(raw, school_ids, apply=_apply(role, public), row_rule=False)


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


def children_by(snapshot: Snapshot, filters: Filters, role: str, characteristic: str, *,
                public: bool = False) -> FigureTable:  # fmt: skip
    """Children in scope for the period by one characteristic, each category a row, then the total row.

    Categories with no child are shown as a true 0. Secondary suppression uses the total row
    (``All children in scope``, the Overview's children figure); ties go to the first category in order.
    """
    scope = figures.children_in_scope(snapshot, filters)
    counts = dict(scope.group_by(characteristic).agg(n=pl.len()).iter_rows())
    rows: list[dict[str, Any]] = [
        {"group": label, "order": f"{index:02d}", "children": int(counts.get(value, 0))}
        for index, (value, label) in enumerate(_categories(snapshot, filters, characteristic))
    ]
    rows.append({"group": ALL_IN_SCOPE, "order": "99", "children": scope.height})
    raw = pl.DataFrame(rows, schema={"group": pl.String, "order": pl.String, "children": pl.Int64})
    return suppress(raw, ["group"], [FigureSpec("children", "count", "children")], apply=_apply(role, public),
                    total_key=("group", ALL_IN_SCOPE), order_by="order")  # fmt: skip


def exits_by_reason(snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False) -> FigureTable:
    """Children in scope who left within the period, by exit reason, then ``All exits`` (secondary suppression)."""
    period = filters.period
    scope = figures.children_in_scope(snapshot, filters)
    left = scope.filter(pl.col("exit_date").is_between(period.start, period.end))
    counts = dict(left.group_by("exit_reason").agg(n=pl.len()).iter_rows())
    rows: list[dict[str, Any]] = [
        {"reason": EXIT_LABELS[r], "order": f"{i:02d}", "exits": int(counts.get(r, 0))}
        for i, r in enumerate(EXIT_REASONS)
    ]
    rows.append({"reason": ALL_EXITS, "order": "99", "exits": left.height})
    raw = pl.DataFrame(rows, schema={"reason": pl.String, "order": pl.String, "exits": pl.Int64})
    return suppress(raw, ["reason"], [FigureSpec("exits", "count", "exits")], apply=_apply(role, public),
                    total_key=("reason", ALL_EXITS), order_by="order")  # fmt: skip


# ------------------------------------------------------------------------------------------------ referrals


def referrals_by_month(snapshot: Snapshot, filters: Filters, role: str, by: str, *, as_of: date | None = None,
                       public: bool = False) -> FigureTable:  # fmt: skip
    """Referrals of children in scope per calendar month of the period (rows) by ``service`` or ``reason``.

    Months run from the period's first to its last (or the snapshot date's, when earlier, or ``as_of``'s);
    the ``Total`` row is the period's count per category. Suppression: primary, column rule 3 and the row
    rule of ``suppress_grid`` (the months' totals can be read from the other breakdown).
    """
    if by not in ("service", "reason"):
        raise ValueError(f"referrals are broken down by 'service' or 'reason', not {by!r}")
    period = filters.period
    categories = list(SERVICES if by == "service" else REFERRAL_REASONS)
    last = min(period.end, as_of or snapshot.snapshot_date)
    idx = figures.children_in_scope(snapshot, filters).get_column("child_idx")
    events = snapshot.referrals.filter(
        pl.col("referral_date").is_between(period.start, period.end)
        & pl.col("child_idx").is_in(idx.implode())
    )
    months = _months(period.start, max(last, period.start))
    raw = _month_grid(events, "referral_date", by, categories, months)
    return suppress_grid(raw, categories, apply=_apply(role, public), row_rule=True)


def _last_row(table: FigureTable, **keys: Any) -> pl.DataFrame:
    return table.frame.tail(1).select(
        *(pl.lit(v, pl.String).alias(k) for k, v in keys.items()),
        *(pl.col(c) for f in table.figures for c in (f, f"{f}__status")),
    )


def mental_health_year_on_year(snapshot: Snapshot, filters: Filters, role: str, *,
                               public: bool = False) -> FigureTable:  # fmt: skip
    """Mental health referrals (count and per 100 children) for the period and the same period a year before.

    Both rows are the board table's ``all`` row for their period, as shown (so secondary suppression of the
    board table carries over and the two pages can never disagree).
    """
    rows = []
    for which, period in (("Year before", year_before(filters.period)), ("This period", filters.period)):
        board = views.board_table(snapshot, filters, role, public=public, period=period)
        mh = FigureTable(board.frame.select("school_id", *(c for s in MH_SPECS for c in (s.name, f"{s.name}__status"))),
                         board.keys, tuple(s.name for s in MH_SPECS), board.suppressed)  # fmt: skip
        rows.append(_last_row(mh, period=which, dates=f"{format_date(period.start)} – {format_date(period.end)}",
                              label=period.label or "Custom range"))  # fmt: skip
    table = FigureTable(pl.concat(rows), ("period", "dates", "label"), tuple(s.name for s in MH_SPECS),
                        _apply(role, public))  # fmt: skip
    return hide_rates_with_counts(table)


def mental_health_by_school(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """Mental health referrals and referrals per 100 children by school, then ``all`` (the board figures).

    These are exactly the board table's and ``report``'s figures (contract section 6, column by column), so
    the page and ``report`` agree. The contract's column-by-column rule can let a hidden count be worked out
    from its rate per 100 beside it; that is raised with the contract's owners rather than changed here.
    """
    return views.by_school(snapshot, filters, role, MH_SPECS, public=public)


# ---------------------------------------------------------------------------------------------- suspensions

SUSPENSION_COUNT_SPECS: Final = tuple(
    s for s in views.BOARD_SPECS if s.name in ("suspensions", "permanent_exclusions")
)
SUSPENSION_RATE_SPECS: Final = tuple(s for s in views.EXTRA_SPECS
                                     if s.name in ("suspensions_per_100", "permanent_exclusions_per_100"))  # fmt: skip
SESSIONS_LOST_SPEC: Final = next(s for s in views.EXTRA_SPECS if s.name == "sessions_lost")
SUSPENSION_SPECS: Final = (*SUSPENSION_COUNT_SPECS, *SUSPENSION_RATE_SPECS, SESSIONS_LOST_SPEC)
CHILDREN_SPEC: Final = views.BOARD_SPECS[0]


def suspensions_by_period(snapshot: Snapshot, filters: Filters, role: str, periods: Sequence[Period], *,
                          public: bool = False) -> FigureTable:  # fmt: skip
    """Suspensions, permanent exclusions, their rates per 100 children in scope and sessions lost, per period."""
    table = views.by_period(
        snapshot, filters, role, periods, (CHILDREN_SPEC, *SUSPENSION_SPECS), public=public
    )
    return hide_rates_with_counts(table)


def suspensions_by_school(
    snapshot: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> FigureTable:
    """The suspension figures by school, then ``all``, with secondary suppression per column."""
    return hide_rates_with_counts(views.by_school(snapshot, filters, role, (CHILDREN_SPEC, *SUSPENSION_SPECS),
                                                  public=public))  # fmt: skip


def academic_years(first_day: date, last_day: date) -> tuple[Period, ...]:
    """Every academic year from the one holding ``first_day`` to the one holding ``last_day``, oldest first."""
    return tuple(
        academic_year(y) for y in range(academic_year_start(first_day), academic_year_start(last_day) + 1)
    )
