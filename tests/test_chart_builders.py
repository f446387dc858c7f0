"""The chart builders by kind: same data in and out, hidden values never drawn, accessible by construction.

Tested through ``chart.to_dict()`` (the Vega-Lite spec Streamlit draws) and, where the drawing itself matters
(labels shown, sizes), through the SVG/PNG that vl-convert renders offline.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import altair as alt
import polars as pl
import pytest

from dashboard import charts
from dashboard.charts.theme import MARK_COLOURS, PALETTE, TEXT_COLOURS, contrast_ratio, theme
from dashboard.images import CONTAINER_WIDTH, chart_png, chart_svg

COMPARATORS = pl.DataFrame(
    {"geography": ["England", "North West"], "value": [92.0, 91.5], "label": ["England 92.0%", "NW 91.5%"]}
)
LEVELS = ["1 Well below expected", "2 Below expected", "3 At expected", "4 Above expected"]
SCHOOLS = ["Alder Primary", "Beech High", "Cedar Primary"]


def grouped_frame() -> pl.DataFrame:
    # Two series per school; Cedar's "Latest" is hidden (null, status c).
    return pl.DataFrame(
        {
            "school": [s for s in SCHOOLS for _ in (0, 1)],
            "series": ["Baseline", "Latest"] * 3,
            "value": [10.0, 12.0, 20.0, 18.0, 7.0, None],
            "status": ["shown"] * 5 + ["c"],
        }
    )


def monthly_frame() -> pl.DataFrame:
    months = [date(2025, 9, 1), date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)]
    return pl.DataFrame(
        {
            "month": months * 2,
            "series": ["This period"] * 4 + ["A year before"] * 4,
            "rate": [91.0, None, 92.5, 93.0, 90.0, 90.5, 91.0, 91.5],
            "status": ["shown", "c", "shown", "shown"] + ["shown"] * 4,
            "school": ["Alder Primary"] * 4 + ["Beech High"] * 4,
        }
    )


def attainment_frame() -> pl.DataFrame:
    rows = [(m, level, s, float(i + 2 * k + 1)) for m in ("Reading", "Maths") for i, level in enumerate(LEVELS)
            for k, s in enumerate(("Baseline", "Latest"))]  # fmt: skip
    frame = pl.DataFrame(rows, schema=["measure", "level", "series", "value"], orient="row")
    hidden = (pl.col("measure") == "Maths") & (pl.col("level") == LEVELS[3]) & (pl.col("series") == "Latest")
    return frame.with_columns(  # Maths, level 4, latest is hidden
        value=pl.when(hidden).then(None).otherwise(pl.col("value")),
        status=pl.when(hidden).then(pl.lit("c")).otherwise(pl.lit("shown")),
    )


BUILDERS: dict[str, Callable[[], alt.TopLevelMixin]] = {
    "bars": lambda: charts.bar_chart(
        grouped_frame().filter(pl.col("series") == "Latest"), x="school", y="value", status="status",
        title="One series", description="One bar per school.", x_title="School", y_title="Children",
        comparators=COMPARATORS,
    ),
    "grouped bars": lambda: charts.bar_chart(
        grouped_frame(), x="school", y="value", series="series", status="status", title="Grouped",
        description="Baseline and latest per school.", x_title="School", y_title="Children",
    ),
    "horizontal grouped bars": lambda: charts.bar_chart(
        grouped_frame(), x="school", y="value", series="series", status="status", horizontal=True,
        series_sort=["Baseline", "Latest"], title="Funnel", description="Stages per school.",
        x_title="School", y_title="Children",
    ),
    "bar panels": lambda: charts.bar_chart(
        attainment_frame(), x="level", y="value", series="series", status="status", x_sort=LEVELS,
        horizontal=True, facet="measure", facet_sort=["Reading", "Maths"], title="Attainment levels",
        description="Levels per subject.", x_title="Level", y_title="Children",
    ),
    "lines": lambda: charts.line_chart(
        monthly_frame(), x="month", y="rate", series="series", status="status", title="Attendance",
        description="Attendance by month.", x_title="Month", y_title="Attendance (%)", comparators=COMPARATORS,
    ),
    "small multiples": lambda: charts.small_multiples(
        monthly_frame(), x="month", y="rate", facet="school", status="status", title="By school",
        description="One panel per school.", y_title="Attendance (%)", comparators=COMPARATORS,
    ),
    "heatmap": lambda: charts.heatmap(
        grouped_frame(), x="series", y="school", value="value", status="status", title="Grid",
        description="A grid.", x_title="Series", y_title="School",
    ),
}  # fmt: skip


def units(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every single-mark view in a spec (through layers and stacked panels)."""
    if "mark" in spec:
        yield spec
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for child in spec.get(key, []):
            yield from units(child)
    if "spec" in spec:
        yield from units(spec["spec"])


def mark_type(unit: dict[str, Any]) -> str:
    return unit["mark"] if isinstance(unit["mark"], str) else unit["mark"]["type"]


def rows_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for rows in spec["datasets"].values() for row in rows]


# --------------------------------------------------------------------------------------------- contrast (WCAG 2.2)
def test_the_contrast_formula_gives_the_known_ratios() -> None:
    # Ratios from the issue and WebAIM's checker: the old orange and the old grey labels failed.
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#E69F00") == pytest.approx(2.25, abs=0.01)
    assert contrast_ratio("#808495") == pytest.approx(3.72, abs=0.01)
    assert contrast_ratio("#FFFFFF") == pytest.approx(1.0)


@pytest.mark.parametrize("colour", MARK_COLOURS)
def test_every_mark_colour_has_3_to_1_contrast_on_white(colour: str) -> None:
    assert contrast_ratio(colour) >= 3.0


@pytest.mark.parametrize("colour", TEXT_COLOURS)
def test_every_text_colour_has_4_5_to_1_contrast_on_white(colour: str) -> None:
    assert contrast_ratio(colour) >= 4.5


def test_the_theme_sets_every_label_and_title_colour_to_readable_text() -> None:
    config = theme()
    colours = [config["title"]["color"], config["title"]["subtitleColor"]]
    for part in ("axis", "legend", "header"):
        colours += [config[part]["labelColor"], config[part]["titleColor"]]
    assert all(contrast_ratio(c) >= 4.5 for c in colours)
    assert config["range"]["category"] == list(PALETTE)


@pytest.mark.parametrize("name", BUILDERS)
def test_every_colour_a_chart_uses_passes_its_contrast(name: str) -> None:
    spec = BUILDERS[name]().to_dict()
    for unit in units(spec):
        mark = unit["mark"] if isinstance(unit["mark"], dict) else {}
        enc = unit.get("encoding", {})
        colours = [mark.get("color"), *enc.get("color", {}).get("scale", {}).get("range", [])]
        needed = 4.5 if mark_type(unit) == "text" else 3.0
        for colour in filter(None, colours):
            if isinstance(colour, str) and colour.startswith("#") and colour != "#E6E6E6":
                assert contrast_ratio(colour) >= needed, (name, colour)


# ------------------------------------------------------------------------------------------- never colour alone
@pytest.mark.parametrize("name", BUILDERS)
def test_series_told_apart_by_colour_are_also_told_apart_by_shape_or_dash(name: str) -> None:
    spec = BUILDERS[name]().to_dict()
    coloured = {
        unit["encoding"]["color"]["field"]
        for unit in units(spec)
        if "field" in unit.get("encoding", {}).get("color", {})
        and unit["encoding"]["color"]["type"] == "nominal"
    }
    cued = {
        unit["encoding"][channel]["field"]
        for unit in units(spec)
        for channel in ("shape", "strokeDash")
        if "field" in unit.get("encoding", {}).get(channel, {})
    }
    assert coloured <= cued, f"{name}: {coloured - cued} differ by colour only"
    if name in ("grouped bars", "horizontal grouped bars", "bar panels", "lines"):
        assert coloured == {"series"}


def test_a_heatmap_carries_every_value_as_text() -> None:
    spec = BUILDERS["heatmap"]().to_dict()
    assert any(mark_type(u) == "text" and u["encoding"]["text"]["field"] == "_label" for u in units(spec))


# ---------------------------------------------------------------------------------------------- names and data
@pytest.mark.parametrize("name", BUILDERS)
def test_every_chart_has_its_title_and_an_accessible_description(name: str) -> None:
    spec = BUILDERS[name]().to_dict()
    # Vega puts the top-level description into the chart's aria-label (role graphics-document).
    assert spec["description"] and spec["description"].endswith(".")
    assert spec["title"]["text"]


@pytest.mark.parametrize("name", BUILDERS)
def test_builders_are_deterministic_so_specs_can_be_cached_by_value(name: str) -> None:
    assert BUILDERS[name]().to_dict() == BUILDERS[name]().to_dict()


@pytest.mark.parametrize("name", ["bars", "grouped bars", "horizontal grouped bars", "lines", "heatmap"])
def test_the_chart_holds_exactly_the_frame_it_was_given(name: str) -> None:
    spec = BUILDERS[name]().to_dict()
    frame = grouped_frame() if "bar" in name or name == "heatmap" else monthly_frame()
    if name == "bars":
        frame = frame.filter(pl.col("series") == "Latest")
    data = [r for r in rows_of(spec) if "status" in r]
    assert [(r["value"] if "value" in r else r["rate"]) for r in data] == frame.get_column(
        "value" if "value" in frame.columns else "rate"
    ).to_list()
    assert [r["status"] for r in data] == frame.get_column("status").to_list()


@pytest.mark.parametrize("name", BUILDERS)
def test_a_hidden_value_is_never_drawn_and_gets_the_one_c_layer(name: str) -> None:
    spec = BUILDERS[name]().to_dict()
    drawn = [
        u for u in units(spec) if mark_type(u) in ("bar", "line", "rect", "point") and "status" in str(u)
    ]
    hidden_rect = [u for u in drawn if mark_type(u) == "rect" and "=== 'c'" in str(u.get("transform"))]
    for unit in drawn:
        if unit in hidden_rect:  # the heatmap's grey cell: a colour with no value
            assert "color" not in unit.get("encoding", {})
            continue
        assert {"filter": "datum['status'] !== 'c'"} in unit.get("transform", []), (name, unit["mark"])
    c_marks = [u for u in units(spec) if isinstance(u["mark"], dict) and u["mark"].get("text") == "c"]
    assert c_marks and all(u["transform"] == [{"filter": "datum['status'] === 'c'"}] for u in c_marks)
    assert "c = hidden to protect children's privacy (not zero)" in spec["title"]["subtitle"]


def test_a_category_left_out_of_the_order_is_not_drawn() -> None:
    # The table's total row stays in the table: only the x_sort categories reach the chart.
    frame = pl.concat([grouped_frame(), pl.DataFrame({"school": ["All"], "series": ["Baseline"], "value": [49.0],
                                                      "status": ["shown"]})])  # fmt: skip
    spec = charts.bar_chart(frame, x="school", y="value", series="series", status="status", x_sort=SCHOOLS,
                            title="t", description="d.", x_title="School", y_title="Children").to_dict()  # fmt: skip
    assert {r["school"] for r in rows_of(spec)} == set(SCHOOLS)


# -------------------------------------------------------------------------------------------------- readability
def test_monthly_dates_read_as_months_with_one_tick_per_month_at_most() -> None:
    x = BUILDERS["lines"]().to_dict()["layer"][0]["encoding"]["x"]
    assert x["axis"]["format"] == "%b %Y"
    assert x["axis"]["tickCount"] == {"interval": "month", "step": 1}
    svg = chart_svg(BUILDERS["lines"]()).decode()
    labels = re.findall(r">((?:Sep|Oct|Nov|Dec) 2025)</text>", svg)
    assert labels == ["Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025"]


def test_weekly_dates_read_as_days_and_a_long_run_of_months_thins_its_ticks() -> None:
    weeks = pl.DataFrame({"week": [date(2025, 9, 1), date(2025, 9, 8)], "rate": [90.0, 91.0]})
    x = charts.line_chart(weeks, x="week", y="rate", title="t", description="d.", x_title="Week",
                          y_title="%").to_dict()["layer"][0]["encoding"]["x"]  # fmt: skip
    assert x["axis"]["format"] == "%d %b %Y" and x["axis"]["tickCount"]["interval"] == "week"
    months = pl.DataFrame({"m": [date(2024 + (9 + i) // 12, (8 + i) % 12 + 1, 1) for i in range(24)],
                           "rate": [90.0] * 24})  # fmt: skip
    x = charts.line_chart(months, x="m", y="rate", title="t", description="d.", x_title="Month",
                          y_title="%").to_dict()["layer"][0]["encoding"]["x"]  # fmt: skip
    assert x["axis"]["tickCount"] == {"interval": "month", "step": 4}  # 24 months: at most 7 ticks


def test_small_multiples_name_each_month_once_per_panel() -> None:
    svg = chart_svg(BUILDERS["small multiples"]()).decode()
    # Two panels, four months each: each month label appears once per panel, never repeated within one.
    assert svg.count(">Sep 2025</text>") == 2
    assert ">Alder Primary</text>" in svg and ">Beech High</text>" in svg


def test_panels_are_stacked_and_fitted_to_the_width_so_they_reflow() -> None:
    for name in ("small multiples", "bar panels"):
        spec = BUILDERS[name]().to_dict()
        assert "facet" not in str(spec)  # a facet has a fixed pixel width
        assert spec["autosize"] == {"type": "fit-x", "contains": "padding"} and len(spec["vconcat"]) == 2
        png = chart_png(BUILDERS[name](), 1.0)
        assert struct.unpack(">I", png[16:20])[0] == CONTAINER_WIDTH


def test_the_attainment_panels_label_every_level() -> None:
    svg = chart_svg(BUILDERS["bar panels"]()).decode()
    for level in LEVELS:
        assert svg.count(f">{level}</text>") == 2  # once in each subject's panel


def test_horizontal_bars_grow_by_category_with_the_legend_on_top() -> None:
    spec = BUILDERS["horizontal grouped bars"]().to_dict()
    assert spec["height"] == {"step": 32, "for": "position"}  # 12 px per series + 8: 3 schools are 96 px
    assert (spec["config"]["legend"]["orient"], spec["config"]["legend"]["columns"]) == ("top", 2)
    png = chart_png(BUILDERS["horizontal grouped bars"](), 1.0)
    assert struct.unpack(">I", png[20:24])[0] < 250
