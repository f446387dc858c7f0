"""An automated differencing attack on protected outputs (contract section 6, "the threat"), for the tests.

The attacker sees only published values. They ask for many selections (routes): school sets, a
characteristic filter or its complement, periods (years, terms, the "so far" periods to the last month end
and their comparison periods, months of a series), and read every count each returns. Each published count
is a linear combination of unknown atomic true counts; its published value says the true count lies in an
interval (``interpret``). Intersecting every route by linear programming (scipy's HiGHS) gives, for each
hidden small count, the least and greatest value consistent with everything published. A count of 1 to 4
is **known with certainty** when that least and greatest value are equal.

The atoms. Records (children in scope, mental health referrals, suspensions, permanent exclusions) are
grouped by (measure, school, signature), the signature being the set of route periods in which the record
is counted (a child is counted in every period it is in scope for; an event in every period holding its
date for which its child is in scope), so every route's count is an exact sum of atoms. Characteristic
filters are modelled by one-way margins: for each dimension d (year group, sex, FSM, SEN) and value v an
unknown x[m, s, d, v, sig], with Σ_v x[m, s, d, v, sig] = T[m, s, sig] (the unfiltered atom) for every d;
routes use at most one dimension, so nothing is lost against the full cross-classification (a table with
given one-way margins always exists). The attacker is also told which atoms are non-empty (an unknown is
made only for an atom holding at least one record): a stronger attacker than a real one, so a method that
holds here holds against the real one.

The interface (``run_attack``): a ``Publisher`` is any callable taking a ``Selection`` and returning the
``PublishedCell``s the attacker reads for it (each row's school set, measure and published value).
``integrated_publisher`` reads the integrated outputs (``views.board_table`` and ``report`` with the app's own
key); ``SimulatedCellKey`` publishes each route's true count with ``data_access.cellkey.publish_count`` and the
route's cell key (the two must agree value for value); ``v1_publisher`` applies version 1's withdrawn rule to
the same raw counts, as the control that shows the attack works.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix

from data_access import cellkey
from data_access.periods import Period, academic_year, terms_of_year

MEASURES: Final = ("children", "mental_health_referrals", "suspensions", "permanent_exclusions")
DIMENSIONS: Final[dict[str, tuple[Any, ...]]] = {
    "year_group": tuple(range(14)),
    "sex": ("female", "male", "not recorded"),
    "fsm_eligible": (True, False),
    "sen_provision": ("none", "sen_support", "ehcp"),
}

PublishedValue = int | str | None
Interpretation = Callable[[int | str], tuple[float, float]]


@dataclass(frozen=True)
class Selection:
    """One route: what the attacker chooses in the sidebar or on the command line.

    ``schools`` is the sorted school set; ``characteristic`` is ``(dimension, values)`` (one dimension of
    ``DIMENSIONS``, one or more of its values) or ``None`` for everyone.
    """

    schools: tuple[str, ...]
    period: Period
    characteristic: tuple[str, tuple[Any, ...]] | None = None


@dataclass(frozen=True)
class PublishedCell:
    """One published count as the attacker reads it: the schools its row covers, its measure, its value."""

    schools: tuple[str, ...]
    measure: str
    value: PublishedValue
    source: str = "board"


Publisher = Callable[[Selection], Sequence[PublishedCell]]


def interpret_v1(value: int | str) -> tuple[float, float]:
    """Version 1, as public: a shown count is exact; ``c`` is at least 1 (1-4, or any size when suppressed
    second to protect another cell)."""
    if value == "c":
        return 1.0, math.inf
    assert isinstance(value, int)
    return float(value), float(value)


def interpret_cell_key(value: int | str) -> tuple[float, float]:
    """Version 2, as public: v stands for [v - 3, v + 3] (at least 1), ``c`` for [1, 7], 0 for exactly 0."""
    low, high = cellkey.published_bounds(value)  # type: ignore[arg-type]
    return float(low), float(high)


# ---------------------------------------------------------------------------------------------- snapshot


@dataclass
class Records:
    """The snapshot's records as the attack's ground truth (read from the Parquet files, not the data layer).

    ``children``: one row per child with school_id, the four characteristics, enrolled_date, exit_date,
    child_id. ``events``: one row per counted event with measure, child_id, record_id, day.
    """

    children: pl.DataFrame
    events: pl.DataFrame
    schools: pl.DataFrame
    snapshot_date: date

    @classmethod
    def read(cls, folder: Path) -> Records:
        children = pl.read_parquet(folder / "children.parquet")
        referrals = pl.read_parquet(folder / "referrals.parquet").filter(pl.col("reason") == "mental_health")
        suspensions = pl.read_parquet(folder / "suspensions.parquet")
        events = pl.concat(
            [
                referrals.select(
                    measure=pl.lit("mental_health_referrals"),
                    table=pl.lit("referrals"),
                    record_id=pl.col("referral_id"),
                    child_id=pl.col("child_id"),
                    day=pl.col("referral_date"),
                ),
                suspensions.select(
                    measure=pl.when(pl.col("kind") == "suspension")
                    .then(pl.lit("suspensions"))
                    .otherwise(pl.lit("permanent_exclusions")),
                    table=pl.lit("suspensions"),
                    record_id=pl.col("event_id"),
                    child_id=pl.col("child_id"),
                    day=pl.col("start_date"),
                ),
            ]
        )
        import json

        manifest = json.loads((folder / "manifest.json").read_text())
        return cls(
            children,
            events,
            pl.read_parquet(folder / "schools.parquet"),
            date.fromisoformat(manifest["snapshot_date"]),
        )

    @property
    def school_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self.schools.get_column("school_id").to_list()))

    def townships(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = defaultdict(list)
        for row in self.schools.iter_rows(named=True):
            out[row["township"]].append(row["school_id"])
        return {name: tuple(sorted(ids)) for name, ids in sorted(out.items())}


def last_month_end(day: date) -> date:
    """The last month end on or before ``day`` (contract 4.1 for protected roles)."""
    following = day + timedelta(days=1)
    return day if following.day == 1 else day.replace(day=1) - timedelta(days=1)


def month_periods(first: date, last: date) -> list[Period]:
    """The calendar months from the month holding ``first`` to the one ending at ``last`` (a month end)."""
    out = []
    start = first.replace(day=1)
    while start <= last:
        nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append(Period(start, nxt - timedelta(days=1), "custom", start.strftime("%b %Y")))
        start = nxt
    return out


def protected_periods(records: Records, months: bool = True) -> list[Period]:
    """What rule 6 lets a protected role choose: academic years and terms (a period not over ends at the
    last month end), the comparison period of a period not over, and calendar months as series points."""
    end = last_month_end(records.snapshot_date)
    first_year = records.children.get_column("enrolled_date").min()
    assert isinstance(first_year, date)
    start_year = first_year.year if first_year.month >= 8 else first_year.year - 1
    out: list[Period] = []
    for year in range(start_year, end.year + 1):
        for period in [academic_year(year), *terms_of_year(year)]:
            if period.start > end:
                continue
            if period.end > end:
                so_far = Period(period.start, end, period.kind, period.label + " so far")
                before = Period(
                    _year_earlier(period.start), _year_earlier(end), "custom", period.label + " last year"
                )
                out.extend([so_far, before])
            else:
                out.append(period)
    if months:
        out.extend(month_periods(date(start_year, 8, 1), end))
    return sorted(set(out), key=lambda p: (p.start, p.end))


def _year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)


# ---------------------------------------------------------------------------------------------- atoms


@dataclass
class AtomModel:
    """Unknowns, their true counts and record-key sums, and how routes sum them.

    ``variables`` rows: measure, school_id, dimension ("" for the unfiltered atom T), value (as text),
    signature (a tuple of period indices), count, keysum (exact sum of the record keys, Python int).
    """

    periods: list[Period]
    variables: pl.DataFrame
    index: dict[tuple[str, str, str, str], list[tuple[int, tuple[int, ...]]]] = field(default_factory=dict)

    @classmethod
    def build(cls, records: Records, periods: Sequence[Period], key: bytes | None = None) -> AtomModel:
        periods = list(periods)
        starts = [p.start for p in periods]
        ends = [p.end for p in periods]
        children = records.children.filter(pl.col("enrolled_date").is_not_null())
        child_rows = {
            row["child_id"]: row for row in children.select(
                "child_id", "school_id", *DIMENSIONS, "enrolled_date", "exit_date"
            ).iter_rows(named=True)
        }  # fmt: skip

        def in_scope(row: Mapping[str, Any], i: int) -> bool:
            return bool(
                row["enrolled_date"] <= ends[i]
                and (row["exit_date"] is None or row["exit_date"] >= starts[i])
            )

        items: list[tuple[str, str, str, int]] = []  # measure, child_id, table, record id index
        record_ids: list[tuple[str, str]] = []
        signatures: list[tuple[int, ...]] = []
        for child_id, row in child_rows.items():
            sig = tuple(i for i in range(len(periods)) if in_scope(row, i))
            if sig:
                items.append(("children", child_id, "children", len(record_ids)))
                record_ids.append(("children", child_id))
                signatures.append(sig)
        for event in records.events.iter_rows(named=True):
            row = child_rows.get(event["child_id"])
            if row is None:
                continue
            day = event["day"]
            sig = tuple(i for i in range(len(periods)) if starts[i] <= day <= ends[i] and in_scope(row, i))
            if sig:
                items.append((event["measure"], event["child_id"], event["table"], len(record_ids)))
                record_ids.append((event["table"], event["record_id"]))
                signatures.append(sig)
        keys = (
            [cellkey.record_key(key, t, i) for t, i in record_ids]
            if key is not None
            else [0] * len(record_ids)
        )
        totals: dict[tuple[str, str, str, str, tuple[int, ...]], list[int]] = defaultdict(lambda: [0, 0])
        for (measure, child_id, _table, rid), sig in zip(items, signatures, strict=True):
            row = child_rows[child_id]
            cells = [("", "")] + [(d, str(row[d])) for d in DIMENSIONS]
            for dimension, value in cells:
                entry = totals[(measure, row["school_id"], dimension, value, sig)]
                entry[0] += 1
                entry[1] += keys[rid]
        # The attacker knows which (measure, school, signature) classes exist, never which characteristics
        # their records have: every value of every dimension gets an unknown (empty ones with a true 0).
        for measure, school, _dimension, _value, sig in [k for k in totals if k[2] == ""]:
            for dim, values in DIMENSIONS.items():
                for value in values:
                    totals.setdefault((measure, school, dim, str(value), sig), [0, 0])
        frame = pl.DataFrame(
            [(m, s, d, v, list(sig), c, k) for (m, s, d, v, sig), (c, k) in totals.items()],
            schema={"measure": pl.String, "school_id": pl.String, "dimension": pl.String, "value": pl.String,
                    "signature": pl.List(pl.Int64), "count": pl.Int64, "keysum": pl.Int64},
            orient="row",
        )  # fmt: skip
        model = cls(periods, frame)
        for position, (m, s, d, v, sig) in enumerate(
            frame.select("measure", "school_id", "dimension", "value", "signature").iter_rows()
        ):
            model.index.setdefault((m, s, d, v), []).append((position, tuple(sig)))
        return model

    def cell_variables(self, measure: str, schools: Iterable[str], period: Period,
                       characteristic: tuple[str, tuple[Any, ...]] | None) -> list[int]:  # fmt: skip
        """The unknowns whose sum is the route's true count."""
        p = self.periods.index(period)
        if characteristic is None:
            wanted = [("", "")]
        else:
            wanted = [(characteristic[0], str(v)) for v in characteristic[1]]
        out = []
        for school in schools:
            for dimension, value in wanted:
                for position, sig in self.index.get((measure, school, dimension, value), ()):
                    if p in sig:
                        out.append(position)
        return out

    def linking(self) -> list[list[tuple[int, int]]]:
        """Σ_v x[m, s, d, v, sig] − T[m, s, sig] = 0 for every (m, s, sig) and dimension d (coefficients)."""
        groups: dict[tuple[str, str, tuple[int, ...]], dict[str, list[int]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for position, (m, s, d, sig) in enumerate(
            self.variables.select("measure", "school_id", "dimension", "signature").iter_rows()
        ):
            groups[(m, s, tuple(sig))][d].append(position)
        rows = []
        for by_dim in groups.values():
            total = by_dim.get("", [])
            for dimension in DIMENSIONS:
                rows.append([(i, 1) for i in by_dim.get(dimension, [])] + [(i, -1) for i in total])
        return rows


# ---------------------------------------------------------------------------------------------- publishers


class SimulatedCellKey:
    """The cell key method on the atoms: each route's count is the sum of its atoms' counts, its cell key
    the sum of their record-key sums mod 2**32 (disjoint record sets), published with ``publish_count``."""

    def __init__(self, model: AtomModel) -> None:
        self.model = model
        self.counts = model.variables.get_column("count").to_list()
        self.keysums = model.variables.get_column("keysum").to_list()

    def __call__(self, selection: Selection) -> list[PublishedCell]:
        out = []
        for measure in MEASURES:
            variables = self.model.cell_variables(
                measure, selection.schools, selection.period, selection.characteristic
            )
            n = sum(self.counts[i] for i in variables)
            key = sum(self.keysums[i] for i in variables) % cellkey.KEY_SPACE
            out.append(PublishedCell(selection.schools, measure, cellkey.publish_count(n, key), "simulated"))
        return out


def _filters_of(selection: Selection) -> Any:
    from data_access.filters import Filters

    kwargs: dict[str, Any] = {}
    if selection.characteristic is not None:
        dimension, values = selection.characteristic
        if dimension == "year_group":
            kwargs["year_groups"] = tuple(values)
        elif dimension == "sex":
            kwargs["sexes"] = tuple(values)
        elif dimension == "fsm_eligible":
            (kwargs["fsm"],) = values
        else:
            kwargs["sen"] = tuple(values)
    return Filters(period=selection.period, schools=selection.schools, **kwargs)


BOARD_COUNTS: Final = {
    "children": "children",
    "mental_health_referrals": "mh_referrals",
    "suspensions": "suspensions",
    "permanent_exclusions": "permanent_exclusions",
}


def v1_suppress(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, PublishedValue]]:
    """Version 1's rule for the board's counts (withdrawn by contract version 2; kept here only as the
    attack's control): a count of 1-4 is ``c``; then, per column with a total row, if exactly one school cell
    is ``c``, the smallest other shown count above 0 is hidden too (ties to the first by school_id), or else
    the total."""
    out: list[dict[str, PublishedValue]] = [{"school_id": r["school_id"]} for r in raw]
    total = next(i for i, r in enumerate(raw) if r["school_id"] == "all")
    order = sorted((i for i in range(len(raw)) if i != total), key=lambda i: str(raw[i]["school_id"]))
    for measure, column in BOARD_COUNTS.items():
        values: list[PublishedValue] = ["c" if 1 <= int(r[column]) <= 4 else int(r[column]) for r in raw]
        hidden = [i for i in order if values[i] == "c"]
        if len(hidden) == 1:
            candidates = [i for i in order if values[i] != "c" and int(raw[i][column]) > 0]
            pick = min(candidates, key=lambda i: int(raw[i][column])) if candidates else total
            values[pick] = "c"
        for row, value in zip(out, values, strict=True):
            row[measure] = value
    return out


def v1_publisher(snapshot: Any) -> Publisher:
    """Version 1 as a councillor saw it: the board's raw counts (``figures.board_raw``, one row per school of
    the set, then ``all``) under version 1's suppression (``v1_suppress``)."""
    from data_access.figures import board_raw

    def publish(selection: Selection) -> list[PublishedCell]:
        raw = board_raw(snapshot, _filters_of(selection)).to_dicts()
        return _cells(selection, v1_suppress(raw), "v1")

    return publish


def _cells(selection: Selection, rows: Iterable[Mapping[str, Any]], source: str) -> list[PublishedCell]:
    out = []
    for row in rows:
        covers = selection.schools if row["school_id"] == "all" else (str(row["school_id"]),)
        for measure in MEASURES:
            value = row[measure]
            out.append(PublishedCell(covers, measure, value if value in (None, "c") else int(value), source))
    return out


def _named(period: Period, snapshot_date: date) -> Period | None:
    """The academic year or term ``report`` is asked for to publish ``period``: the period itself, or for a
    period not over ("so far", to the last month end) the whole year or term (report cuts it); else None."""
    if period.kind not in ("year", "term"):
        return None
    year = period.start.year if period.start.month >= 8 else period.start.year - 1
    for candidate in (academic_year(year), *terms_of_year(year)):
        same = candidate.start == period.start and candidate.kind == period.kind
        if same and (candidate.end == period.end or snapshot_date < candidate.end > period.end):
            return candidate
    return None


def integrated_publisher(snapshot: Any, role: str = "councillor") -> Publisher:
    """The INTEGRATED outputs as a protected role reads them, with the app's own key (``settings.sdc_key``):
    ``views.board_table`` (every page's board figures and the presentation's school table), and for the
    routes ``report`` accepts (academic years and terms) ``report_rows`` too — which must publish the very
    same values (checked: the same records give the same value through every door)."""
    from data_access.report import report_rows
    from data_access.views import board_table

    def publish(selection: Selection) -> list[PublishedCell]:
        filters = _filters_of(selection)
        rows = board_table(snapshot, filters, role).rows()
        named = _named(selection.period, snapshot.snapshot_date)
        # report is asked for the routes without a characteristic filter and those with each dimension's first
        # value (every route would double the attack's time; test_report_demo covers report's filters)
        sampled = selection.characteristic is None or (
            selection.characteristic[1][0] == DIMENSIONS[selection.characteristic[0]][0]
        )
        if named is not None and sampled:
            via_report = report_rows(
                snapshot.folder, named.start, named.end, list(selection.schools), role,
                year_groups=list(filters.year_groups), sexes=list(filters.sexes), fsm=filters.fsm,
                sen=list(filters.sen),
            )["rows"]  # fmt: skip
            assert via_report == rows, f"report and the pages disagree for {selection}"
        return _cells(selection, rows, "integrated")

    return publish


# ---------------------------------------------------------------------------------------------- routes


def characteristic_filters(complements: bool) -> list[tuple[str, tuple[Any, ...]] | None]:
    """No filter, every single value of every dimension, and (``complements``) every value left out."""
    out: list[tuple[str, tuple[Any, ...]] | None] = [None]
    for dimension, values in DIMENSIONS.items():
        for value in values:
            out.append((dimension, (value,)))
            rest = tuple(v for v in values if v != value)
            if complements and len(rest) > 1:
                out.append((dimension, rest))
    return out


def protected_school_sets(records: Records) -> list[tuple[str, ...]]:
    """Rule 6: one school, one township, or all schools."""
    ids = records.school_ids
    sets = {(s,) for s in ids} | set(records.townships().values()) | {ids}
    return sorted(sets, key=lambda s: (len(s), s))


def routes(school_sets: Sequence[tuple[str, ...]], periods: Sequence[Period],
           filters: Sequence[tuple[str, tuple[Any, ...]] | None]) -> list[Selection]:  # fmt: skip
    return [Selection(s, p, f) for p in periods for s in school_sets for f in filters]


# ---------------------------------------------------------------------------------------------- attack


@dataclass
class AttackResult:
    """``attacked``: hidden small counts (true 1-4) the attack tried; ``certain``: those whose least and
    greatest consistent value met (all at the true value: checked); ``guessed``: the rest whose attacker's
    best guess (the middle of the consistent range) happened to be right; ``examples``: a few certain ones."""

    attacked: int
    certain: int
    guessed: int | None
    routes: int
    cells: int
    examples: list[str]

    @property
    def share_certain(self) -> float:
        return self.certain / self.attacked if self.attacked else 0.0


def _cell_name(cell: PublishedCell, selection: Selection) -> str:
    what = (
        "everyone"
        if selection.characteristic is None
        else f"{selection.characteristic[0]}={selection.characteristic[1]}"
    )
    return f"{cell.measure} {'+'.join(cell.schools)} {what} {selection.period.start}..{selection.period.end}"


def run_attack(
    model: AtomModel,
    selections: Sequence[Selection],
    publisher: Publisher,
    interpret: Interpretation,
    *,
    targets: str = "hidden",
    full_ranges: bool = False,
    max_targets: int | None = None,
) -> AttackResult:
    """Collect every route's published counts, intersect them, and bound each small count.

    Args:
        model: the atoms (ground truth: each cell's true count is the sum of its atoms).
        selections: the routes the attacker asks for.
        publisher: what the attacker reads for a route.
        interpret: the public meaning of a published value as an interval for the true count.
        targets: ``hidden`` — cells published ``c`` with a true count of 1-4 (version 1's hidden cells);
            ``small`` — every cell with a true count of 1-4, whatever was published (the cell key method,
            where a true 2-4 may be shown as 5-7).
        full_ranges: solve both bounds for every target (needed for ``guessed``), not only until a target
            is shown uncertain.
        max_targets: attack at most this many targets (the first, in route order), to bound CI time.
    """
    counts = np.array(model.variables.get_column("count").to_list(), dtype=float)
    rows: list[list[int]] = []
    lows: list[float] = []
    highs: list[float] = []
    seen: dict[tuple[Any, ...], int] = {}
    target_rows: list[tuple[int, int, str]] = []  # constraint row, true count, name
    for selection in selections:
        for cell in publisher(selection):
            if cell.value is None:
                continue
            variables = model.cell_variables(
                cell.measure, cell.schools, selection.period, selection.characteristic
            )
            true = int(counts[variables].sum()) if variables else 0
            low, high = interpret(cell.value)
            if not low <= true <= high:
                raise AssertionError(f"the published value {cell.value!r} does not cover the truth {true} "
                                     f"for {_cell_name(cell, selection)}: the atom model and the figures disagree")  # fmt: skip
            signature = (cell.measure, tuple(sorted(variables)), cell.value)
            is_target = 1 <= true <= 4 and (targets == "small" or cell.value == "c")
            if signature in seen:
                continue
            seen[signature] = len(rows)
            if not variables:
                continue
            rows.append(variables)
            lows.append(low)
            highs.append(high)
            if is_target:
                target_rows.append((len(rows) - 1, true, _cell_name(cell, selection)))
    # one target per distinct set of atoms (the same cell read twice is one cell)
    unique: dict[tuple[int, ...], tuple[int, int, str]] = {}
    for r, true, name in target_rows:
        unique.setdefault(tuple(sorted(rows[r])), (r, true, name))
    target_list = list(unique.values())
    if max_targets is not None:
        target_list = target_list[:max_targets]

    measure_of = model.variables.get_column("measure").to_list()
    link = model.linking()
    certain = 0
    guessed = 0
    examples: list[str] = []
    for measure in MEASURES:
        wanted = [i for i in range(len(rows)) if measure_of[rows[i][0]] == measure]
        mine = [t for t in target_list if measure_of[rows[t[0]][0]] == measure]
        if not mine:
            continue
        found = _bound_targets(
            [rows[i] for i in wanted], [lows[i] for i in wanted], [highs[i] for i in wanted],
            [c for c in link if c and measure_of[c[0][0]] == measure], counts,
            [(wanted.index(r), true, name) for r, true, name in mine], full_ranges,
        )  # fmt: skip
        certain += found[0]
        guessed += found[1]
        examples.extend(found[2][: 5 - len(examples)])
    return AttackResult(
        attacked=len(target_list), certain=certain, guessed=guessed if full_ranges else None,
        routes=len(selections), cells=len(rows), examples=examples,
    )  # fmt: skip


def _bound_targets(
    rows: list[list[int]],
    lows: list[float],
    highs: list[float],
    link: list[list[tuple[int, int]]],
    counts: np.ndarray,
    target_list: list[tuple[int, int, str]],
    full_ranges: bool,
) -> tuple[int, int, list[str]]:
    """One measure's linear programme: (certain, guessed right, examples) over its targets."""
    used = sorted({v for r in rows for v in r} | {v for c in link for v, _ in c})
    local = {v: i for i, v in enumerate(used)}
    n_vars = len(used)
    data, ri, ci = [], [], []
    for r, variables in enumerate(rows):
        for v in variables:
            ri.append(r)
            ci.append(local[v])
            data.append(1.0)
    base = len(rows)
    for k, coefficients in enumerate(link):
        for v, coefficient in coefficients:
            ri.append(base + k)
            ci.append(local[v])
            data.append(float(coefficient))
    matrix = csr_matrix(coo_matrix((data, (ri, ci)), shape=(base + len(link), n_vars)))
    lb = np.array(lows + [0.0] * len(link))
    ub = np.array(highs + [0.0] * len(link))
    constraint = LinearConstraint(matrix, lb, ub)
    bounds = Bounds(np.zeros(n_vars), np.full(n_vars, np.inf))
    truth_x = counts[used]
    assert np.all(matrix @ truth_x >= lb - 1e-9) and np.all(matrix @ truth_x <= ub + 1e-9), "truth infeasible"

    def solve(objective: np.ndarray) -> np.ndarray | None:
        """A solution minimising ``objective``; ``None`` when it is unbounded below (a ``c`` of version 1
        that nothing bounds above)."""
        result = milp(objective, constraints=constraint, bounds=bounds, options={"presolve": True})
        if result.status == 3:  # unbounded
            return None
        if result.x is None:
            raise AssertionError(f"the attack's linear programme failed: {result.message}")
        return np.asarray(result.x)

    row_of = {r: matrix[r].toarray().ravel() for r, _, _ in target_list}
    open_targets = {r for r, _, _ in target_list}
    truth = {r: t for r, t, _ in target_list}
    # Batch elimination: push a random positive combination of the open targets up, then down; a target
    # whose value in a solution is at least 1 away from its truth is not certain. Stop when a round
    # eliminates few; then bound the rest one by one.
    rng = np.random.default_rng(0)
    if not full_ranges:
        for round_ in range(40):
            if len(open_targets) < 3:
                break
            weights = np.zeros(n_vars)
            for r in open_targets:
                weights += rng.uniform(0.5, 1.5) * row_of[r]
            x = solve(-weights if round_ % 2 == 0 else weights)
            if x is None:
                continue
            before = len(open_targets)
            for r in list(open_targets):
                if abs(float(row_of[r] @ x) - truth[r]) >= 1 - 1e-6:
                    open_targets.discard(r)
            if round_ % 2 == 1 and before - len(open_targets) < max(2, before // 50):
                break
    if os.environ.get("ATTACK_DEBUG"):
        print(
            f"  {n_vars} unknowns, {len(rows)} cells, {len(target_list)} targets, {len(open_targets)} left after batches"
        )
    certain = 0
    guessed = 0
    examples: list[str] = []
    for r, true, name in target_list:
        if r not in open_targets:
            continue
        objective = row_of[r]
        top = solve(-objective)
        high = math.inf if top is None else math.floor(float(objective @ top) + 1e-6)
        if high > true and not full_ranges:
            continue
        bottom = solve(objective)
        assert bottom is not None, "a count is never below 0"
        low = math.ceil(float(objective @ bottom) - 1e-6)
        assert low <= true <= high, f"the attack's bounds [{low}, {high}] miss the truth {true} for {name}"
        if low == high:
            certain += 1
            if len(examples) < 5:
                examples.append(f"{name} = {true}")
        elif high != math.inf and (low + high) // 2 == true:
            guessed += 1
    return certain, guessed, examples
