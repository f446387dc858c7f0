"""The data behind the comparison charts of contract 4.3 and issue 12, from shown tables only: the funnel plot
of schools (``funnel_of``), statistical process control month by month (``monthly_spc``) and the shrinking
cohort of the before-and-after-enrolment line (``cohort_frame``). Chart builders are in
``dashboard.charts.uncertainty``; intervals and tests of change are in ``data_access.uncertainty``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from data_access.disclosure import FigureTable
from data_access.registry import FIGURES

# ------------------------------------------------------------------------------------------------ funnel plot


FUNNEL_FIGURES: Final = tuple(
    f.name for f in FIGURES.values() if f.section == "board" and f.interval in ("wilson", "poisson")
)


@dataclass(frozen=True)
class Funnel:
    """A funnel plot of one figure by school: points, limits, the programme's figure, schools left off."""

    figure: str
    schools: pl.DataFrame  # school_id, n, value, position, verdict, group
    limits: pl.DataFrame  # n, lower998, lower95, upper95, upper998
    centre: float | None
    left_off: tuple[str, ...]


def funnel_of(table: FigureTable, name: str) -> Funnel:
    """The funnel plot of figure ``name`` from a shown board table (schools, then ``all``).

    Each school's point is its shown figure against its shown denominator (children, or children with a
    possible session / with both scores); the centre is the programme's figure from the ``all`` row's shown
    counts. A school whose figure is not shown (``c``, nothing to compute, or fewer than 10 in its shown
    denominator for a protected table) is left off and named in ``left_off``. The 95% limits decide a school's
    verdict (better / worse / within), by the figure's better direction.
    """
    from data_access.funnel import classify, funnel_denominators, funnel_limits, funnel_verdict

    figure = FIGURES[name]
    kind: Any = "proportion" if figure.interval == "wilson" else "rate"
    rows = table.frame.to_dicts()
    total = next((r for r in rows if r.get("school_id") == "all"), None)
    centre = None
    if total is not None and total.get(f"{name}__num") is not None and total.get(f"{name}__den"):
        centre = (
            min(total[f"{name}__num"], total[f"{name}__den"]) * 100 / total[f"{name}__den"]
            if kind == "proportion"
            else total[f"{name}__num"] * 100 / total[f"{name}__den"]
        )
    points: list[dict[str, Any]] = []
    left_off: list[str] = []
    for row in rows:
        school = row.get("school_id")
        if school == "all":
            continue
        n = int(row.get(f"{name}__den") or 0)
        shown = row.get(f"{name}__status") == "shown" and n > 0
        if not shown or (table.suppressed and n < 10) or centre is None:
            left_off.append(str(school))
            continue
        value = float(row[name])
        position = classify(value, n, centre, kind)
        verdict = funnel_verdict(position, figure.better or "higher")
        group = {
            "within": "Within the 95% limits",
            "better": "Outside 95%: better",
            "worse": "Outside 95%: worse",
        }[verdict]
        points.append({"school_id": school, "n": n, "value": value, "position": position, "verdict": verdict,
                       "group": group})  # fmt: skip
    schema = {"school_id": pl.String, "n": pl.Int64, "value": pl.Float64, "position": pl.String,
              "verdict": pl.String, "group": pl.String}  # fmt: skip
    frame = pl.DataFrame(points, schema=schema)
    largest = max([p["n"] for p in points], default=10)
    limits = pl.DataFrame(
        [
            {"n": lim.denominator, "lower998": lim.lower998, "lower95": lim.lower95, "upper95": lim.upper95,
             "upper998": lim.upper998}
            for lim in (funnel_limits(centre, funnel_denominators(largest), kind) if centre is not None else [])
        ],
        schema={"n": pl.Int64, "lower998": pl.Float64, "lower95": pl.Float64, "upper95": pl.Float64,
                "upper998": pl.Float64},
    )  # fmt: skip
    return Funnel(name, frame, limits, centre, tuple(left_off))


# ------------------------------------------------------------------------------------------------ SPC (XmR)


@dataclass(frozen=True)
class MonthlySpc:
    """An XmR chart of one figure month by month, with the frame a chart draws and the summary in words."""

    figure: str
    frame: pl.DataFrame  # month, label, value, status, partial, variation, group, rules
    chart: Any  # data_access.spc.XmR
    hidden_share: float

    def table(self, value_title: str) -> pl.DataFrame:
        """The chart's numbers as shown: month, value (``c``, ``–``), variation and the rules broken."""
        return self.frame.select(
            pl.col("label").alias("Month"),
            pl.when(pl.col("status") == "c").then(pl.lit("c")).when(pl.col("value").is_null()).then(pl.lit("–"))
            .otherwise(pl.col("value").round(1).cast(pl.String)).alias(value_title),
            pl.col("variation").alias("Variation"),
            pl.col("rules").alias("Rules broken"),
        )  # fmt: skip

    @property
    def summary(self) -> str:
        """The latest complete month's variation in words (Making Data Count)."""
        text: str = self.chart.summary()
        if self.chart.provisional:
            text += f" The limits are provisional: fewer than {15} complete months."
        return text


def monthly_spc(table: FigureTable, name: str, snapshot_date: Any) -> MonthlySpc:
    """The XmR chart of figure ``name`` over the months of a ``views.by_period`` table (one row per month,
    keys ``period`` and ``start``). Hidden (``c``) and empty months are gaps; a month not over at
    ``snapshot_date`` is partial (drawn hollow, left out of the limits and rules)."""
    from data_access.periods import partial_points
    from data_access.spc import xmr

    figure = FIGURES[name]
    rows = table.frame.to_dicts()
    values = [
        float(r[name]) if r[f"{name}__status"] == "shown" and r[name] is not None else None for r in rows
    ]
    starts = [r["start"] for r in rows]
    partial = partial_points(starts, snapshot_date)
    chart = xmr(values, figure.better or "higher", partial)
    groups = []
    for point in chart.points:
        if point.value is None:
            groups.append("No value")
        elif point.partial:
            groups.append("Partial month")
        elif point.variation == "special cause — improvement":
            groups.append("Special cause: improvement")
        elif point.variation == "special cause — concern":
            groups.append("Special cause: concern")
        else:
            groups.append("Common cause")
    frame = pl.DataFrame(
        {
            "month": starts,
            "label": [r["period"] + (" (so far)" if p else "") for r, p in zip(rows, partial, strict=True)],
            "value": values,
            "status": [r[f"{name}__status"] for r in rows],
            "partial": partial,
            "variation": [
                "partial month (not in the limits)"
                if p.partial and p.value is not None
                else (p.variation or "–")
                for p in chart.points
            ],
            "group": groups,
            "rules": [", ".join(p.rules) for p in chart.points],
        },
        schema={"month": pl.Date, "label": pl.String, "value": pl.Float64, "status": pl.String,
                "partial": pl.Boolean, "variation": pl.String, "group": pl.String, "rules": pl.String},
    )  # fmt: skip
    hidden = sum(1 for r in rows if r[f"{name}__status"] == "c")
    return MonthlySpc(name, frame, chart, hidden / len(rows) if rows else 0.0)


# ------------------------------------------------------------------------------------------------ cohort lines


def cohort_frame(table: FigureTable, x: str, value: str, children: str) -> tuple[pl.DataFrame, int | None]:
    """The rows of a shrinking-cohort series (e.g. attendance by month from enrolment) for ``cohort_line``:
    ``children_text`` (the shown number of children behind each point, or ``c``), ``enough`` (at least half
    the starting children, the first shown count) and ``group``; the last point with enough children is
    repeated in the second group so the line carries on, greyed; ``{value}__low`` / ``{value}__high``, the point's
    95% interval where the table has one and the value is shown. Returns the frame and the starting count."""
    rows = table.frame.to_dicts()
    counts = [r[children] if r[f"{children}__status"] == "shown" else None for r in rows]
    start = next((c for c in counts if c), None)
    out: list[dict[str, Any]] = []
    previous_enough: dict[str, Any] | None = None
    for row, count in zip(rows, counts, strict=True):
        enough = start is not None and count is not None and 2 * count >= start
        shown = row[f"{value}__status"] == "shown"
        record = {
            x: row[x], value: row[value] if shown else None, "status": row[f"{value}__status"],
            "children_text": "c" if row[f"{children}__status"] == "c" else ("–" if count is None else str(count)),
            "group": "Half or more of the starting children" if enough else "Fewer than half: read with care",
            "label_here": True,
            f"{value}__low": row.get(f"{value}__low") if shown else None,
            f"{value}__high": row.get(f"{value}__high") if shown else None,
        }  # fmt: skip
        if not enough and previous_enough is not None:
            out.append({**previous_enough, "group": record["group"], "label_here": False})
        previous_enough = record if enough else None
        out.append(record)
    schema: dict[str, Any] = {x: table.frame.schema[x], value: pl.Float64, "status": pl.String, "children_text": pl.String,
              "group": pl.String, "label_here": pl.Boolean, f"{value}__low": pl.Float64,
              f"{value}__high": pl.Float64}  # fmt: skip
    return pl.DataFrame(out, schema=schema), start
