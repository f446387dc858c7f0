"""The funnel plot, the XmR (SPC) chart and the shrinking-cohort line: their data from shown tables and their
chart specs (valid Vega-Lite, never colour alone, partial and hidden points marked), on hand-built tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import load_schema

from dashboard.charts import uncertainty as charts
from data_access import chart_data
from data_access.disclosure import FigureTable

VEGA_LITE = load_schema()
NAME = "persistent_absence_rate"


def board(rows: list[tuple[str, Any, str, int | None, int | None]], suppressed: bool) -> FigureTable:
    """A shown board table of persistent absence: (school, value, status, shown numerator, shown denominator)."""
    frame = pl.DataFrame(
        {
            "school_id": [r[0] for r in rows],
            NAME: [r[1] for r in rows],
            f"{NAME}__status": [r[2] for r in rows],
            f"{NAME}__num": [r[3] for r in rows],
            f"{NAME}__den": [r[4] for r in rows],
        },
        schema={"school_id": pl.String, NAME: pl.Float64, f"{NAME}__status": pl.String,
                f"{NAME}__num": pl.Int64, f"{NAME}__den": pl.Int64},
    )  # fmt: skip
    return FigureTable(frame, ("school_id",), (NAME,), suppressed)


def layers_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("layer", []))


def test_funnel_places_schools_by_the_limits_and_leaves_off_hidden_ones() -> None:
    table = board(
        [
            ("S01", 90.0, "shown", 18, 20),  # 18 of 20 against 40%: P(X ≥ 18 | 20, 0.4) ≈ 5e-6, above 99.8%
            ("S02", 50.0, "shown", 1, 2),  # 1 of 2: the limits at n = 2 span 0 to 100%: within
            ("S03", None, "c", None, 8),  # hidden: left off
            ("S04", 30.0, "shown", 24, 80),
            ("all", 40.0, "shown", 40, 100),  # the programme: 40 of 100 = 40%
        ],
        suppressed=False,
    )
    funnel = chart_data.funnel_of(table, NAME)
    assert funnel.centre == 40.0
    placed = {r["school_id"]: (r["position"], r["verdict"]) for r in funnel.schools.iter_rows(named=True)}
    assert placed["S01"] == ("above 99.8%", "worse")  # lower is better for persistent absence
    assert placed["S02"] == ("within", "within")
    assert funnel.left_off == ("S03",)
    # 24 of 80 = 30% against 40%: binomial 95% lower limit at n = 80 is about 29.4%: within.
    assert placed["S04"][1] == "within"
    # Protected: a shown figure on fewer than 10 (published) children is left off as well.
    protected = chart_data.funnel_of(
        board([("S02", 50.0, "shown", 5, 8), ("all", 40.0, "shown", 40, 100)], True), NAME
    )
    assert protected.left_off == ("S02",) and protected.schools.is_empty()


def test_funnel_plot_spec_is_valid_and_not_colour_alone() -> None:
    table = board(
        [("S01", 90.0, "shown", 18, 20), ("S02", 35.0, "shown", 7, 20), ("all", 40.0, "shown", 40, 100)],
        False,
    )
    funnel = chart_data.funnel_of(table, NAME)
    points = funnel.schools.with_columns(school=pl.col("school_id"), label=pl.col("school_id"))
    chart = charts.funnel_plot(points, funnel.limits, centre=40.0, title="Funnel", description="A funnel.",
                               y_title="Persistent absence %")  # fmt: skip
    spec = chart.to_dict()
    validate_jsonschema(spec, VEGA_LITE)
    assert spec["description"] == "A funnel."
    marks = [layer for layer in layers_of(spec) if layer.get("mark", {}).get("type") == "point"]
    assert marks and marks[0]["encoding"]["color"]["field"] == "group"
    assert marks[0]["encoding"]["shape"]["field"] == "group"  # shape as well as colour
    lines = [layer for layer in layers_of(spec) if layer.get("encoding", {}).get("strokeDash")]
    assert lines[0]["encoding"]["strokeDash"]["scale"]["domain"] == ["95% limits", "99.8% limits"]


def monthly_table(values: list[float | None], statuses: list[str]) -> FigureTable:
    starts = [date(2025 + (m // 12), m % 12 + 1, 1) for m in range(len(values))]
    frame = pl.DataFrame(
        {"period": [d.strftime("%b %Y") for d in starts], "start": starts, "attendance_rate": values,
         "attendance_rate__status": statuses},
        schema={"period": pl.String, "start": pl.Date, "attendance_rate": pl.Float64,
                "attendance_rate__status": pl.String},
    )  # fmt: skip
    return FigureTable(frame, ("period", "start"), ("attendance_rate",), False)


def test_monthly_spc_names_variation_and_marks_partial_and_hidden_months() -> None:
    # 16 months Jan 2025 – Apr 2026; the snapshot is 10 Apr 2026, so April is partial. Mar 2026 drops to 70:
    # with the other points at 88–90 (mean moving range about 1.4 before the drop) it lies below the lower
    # process limit: special cause, concern (higher is better for attendance). Jun 2025 is hidden (c).
    values: list[float | None] = [88, 90, 89, 88, 90, None, 89, 88, 90, 89, 88, 90, 89, 88, 70, 60]
    statuses = ["shown"] * 16
    statuses[5] = "c"
    spc = chart_data.monthly_spc(monthly_table(values, statuses), "attendance_rate", date(2026, 4, 10))
    groups = spc.frame.get_column("group").to_list()
    assert groups[-1] == "Partial month" and spc.frame.get_column("label")[-1] == "Apr 2026 (so far)"
    assert groups[5] == "No value"
    assert groups[-2] == "Special cause: concern"
    assert "Special cause variation — concern" in spc.summary
    chart = charts.spc_chart(spc.frame, centre=spc.chart.centre, upper=spc.chart.upper_limit,
                             lower=spc.chart.lower_limit, title="SPC", description="An XmR chart.",
                             y_title="Attendance rate (%)", status="status")  # fmt: skip
    spec = chart.to_dict()
    validate_jsonschema(spec, VEGA_LITE)
    filters = [str(t.get("filter")) for layer in layers_of(spec) for t in layer.get("transform", [])]
    assert any("Partial month" in f for f in filters)  # the hollow layer for a month not over
    assert any("=== 'c'" in f for f in filters)  # the c marker of a hidden month
    assert "c = hidden" in " ".join(spec["title"]["subtitle"])


def test_cohort_frame_greys_the_line_below_half_the_starting_children() -> None:
    frame = pl.DataFrame(
        {"month_offset": [-1, 0, 1, 2], "attendance_rate": [80.0, 85.0, 90.0, 95.0],
         "attendance_rate__status": ["shown"] * 4, "children_with_sessions": [10, 8, 5, None],
         "children_with_sessions__status": ["shown", "shown", "shown", "c"]},
        schema={"month_offset": pl.Int32, "attendance_rate": pl.Float64, "attendance_rate__status": pl.String,
                "children_with_sessions": pl.Int64, "children_with_sessions__status": pl.String},
    )  # fmt: skip
    table = FigureTable(frame, ("month_offset",), ("attendance_rate", "children_with_sessions"), True)
    cohort, start = chart_data.cohort_frame(
        table, "month_offset", "attendance_rate", "children_with_sessions"
    )
    assert start == 10
    rows = cohort.to_dicts()
    # 10, 8 and 5 are at least half of 10; the hidden count (c) is not known to be: grey from there, with the
    # last point of the first group repeated so the line carries on.
    assert [r["group"].startswith("Half") for r in rows] == [True, True, True, False, False]
    assert rows[3]["month_offset"] == 1 and rows[3]["label_here"] is False
    assert [r["children_text"] for r in rows if r["label_here"]] == ["10", "8", "5", "c"]
    chart = charts.cohort_line(cohort, x="month_offset", y="attendance_rate", children="children_text",
                               group="group", title="Cohort", description="A cohort line.", x_title="Months",
                               y_title="Attendance (%)", status="status")  # fmt: skip
    validate_jsonschema(chart.to_dict(), VEGA_LITE)
