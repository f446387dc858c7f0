"""Chart specs are validated here, once, instead of by altair on every rerun (issue 14).

``dashboard.components`` builds each chart's Vega-Lite spec with ``to_dict(validate=False)`` and reuses it
for the same (snapshot, filters, role, page, figure); these tests check that what is sent is what
``st.altair_chart`` would send, that every chart every page sends is valid Vega-Lite, and that a rerun
that changed nothing neither rebuilds a spec nor re-converts a table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import altair as alt
import polars as pl
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import load_schema
from apptest_support import open_page

from dashboard import components
from dashboard.registry import PAGES_BY_KEY
from data_access.disclosure import FigureTable

VEGA_LITE = load_schema()
# The pages whose figure blocks draw charts (the overview has tables and tiles only).
CHART_PAGES = ("enrolment", "attendance", "referrals", "suspensions", "school_progress")


def small_chart() -> alt.TopLevelMixin:
    """Two series over three weeks, one value hidden (a gap), as a layered chart like the dashboard's."""
    frame = pl.DataFrame(
        {
            "week_start": [date(2025, 9, 1), date(2025, 9, 8), date(2025, 9, 15)] * 2,
            "series": ["Period"] * 3 + ["Baseline"] * 3,
            "rate": [91.0, None, 93.5, 88.0, 87.5, 89.0],
        }
    )
    base = alt.Chart(frame).encode(x=alt.X("week_start:T", title="Week"), y=alt.Y("rate:Q", title="Rate (%)"))
    lines = base.mark_line().encode(color="series:N")
    points = base.mark_point().encode(shape="series:N")
    return alt.layer(lines, points).properties(title="Rate by week", description="A test chart.")


def test_the_spec_is_the_one_st_altair_chart_would_send_only_not_validated() -> None:
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    chart = small_chart()
    ours = components.vega_lite_spec(chart)
    assert ours == _convert_altair_to_vega_lite_spec(chart)
    assert ours["datasets"] and all(isinstance(v, bytes) for v in ours["datasets"].values())


def test_the_validator_used_here_rejects_a_broken_spec() -> None:
    """So the page test below can fail: a mark Vega-Lite does not know is refused."""
    spec = components.vega_lite_spec(small_chart())
    spec.pop("datasets")
    validate_jsonschema(spec, VEGA_LITE)
    broken = json.loads(json.dumps(spec).replace('"mark": {"type": "line"', '"mark": {"type": "squiggle"', 1))
    assert broken != spec
    with pytest.raises(Exception, match="squiggle"):
        validate_jsonschema(broken, VEGA_LITE)


@pytest.mark.slow
@pytest.mark.parametrize("role", ["allchild", "councillor"])
@pytest.mark.parametrize("page", CHART_PAGES)
def test_every_chart_a_page_sends_is_valid_vega_lite(demo_env: Any, page: str, role: str) -> None:
    assert page in PAGES_BY_KEY
    at = open_page(page, role, query={"period": "2025-26"})
    assert not at.exception, at.exception
    charts = at.get("vega_lite_chart")
    # A protected role may see a table instead of a chart where too few children are shown (contract 6).
    assert charts or role != "allchild", f"{page} sent no chart"
    for element in charts:
        spec = json.loads(element.proto.spec)
        assert element.proto.datasets, "the data travels as Arrow datasets, not inside the spec"
        validate_jsonschema(spec, VEGA_LITE)


@dataclass(frozen=True)
class FakeSpec:
    key: str = "attendance"


@dataclass(frozen=True)
class FakeCtx:
    """The parts of ``dashboard.page.PageContext`` the render cache keys on."""

    snapshot: Any
    filters: Any
    role: str
    spec: FakeSpec = FakeSpec()


@dataclass(frozen=True)
class FakeSnapshot:
    id: str


def test_a_chart_spec_is_built_once_per_snapshot_filters_role_and_figure() -> None:
    components.clear_render_cache()
    built: list[str] = []

    def builder() -> alt.TopLevelMixin:
        built.append("x")
        return small_chart()

    ctx = FakeCtx(FakeSnapshot("2026-11-20-abc"), ("2025-26", ()), "councillor")
    first = components.chart_spec(ctx, "weekly", builder, "title")
    again = components.chart_spec(ctx, "weekly", builder, "title")
    assert again is first and built == ["x"]
    # Any part of the key changing builds it again: filters, role, snapshot, figure, extra.
    for other, figure, extra in (
        (FakeCtx(ctx.snapshot, ("2025-26", ("S01",)), "councillor"), "weekly", "title"),
        (FakeCtx(ctx.snapshot, ctx.filters, "allchild"), "weekly", "title"),
        (FakeCtx(FakeSnapshot("2026-11-27-def"), ctx.filters, "councillor"), "weekly", "title"),
        (ctx, "by_term", "title"),
        (ctx, "weekly", "another title"),
    ):
        components.chart_spec(other, figure, builder, extra)
    assert len(built) == 6
    components.clear_render_cache()


def test_a_shown_table_is_converted_once_per_figure_object_and_matches_st_dataframe() -> None:
    from streamlit import dataframe_util

    components.clear_render_cache()
    frame = pl.DataFrame(
        {"school_id": ["S01", "S02"], "children": [5, None], "children__status": ["shown", "c"]}
    )
    table = FigureTable(frame, keys=("school_id",), figures=("children",), suppressed=True)
    shown = components.shown_table(table, {"children": "Children"})
    assert components.shown_table(table, {"children": "Children"}) is shown
    assert shown.frame["Children"].to_list() == ["5", "c"]
    # The bytes st.dataframe sends for the Arrow table equal those it sends for the polars frame.
    from_polars = dataframe_util.convert_pandas_df_to_arrow_bytes(
        dataframe_util.convert_anything_to_pandas_df(shown.frame, ensure_copy=False)
    )
    assert dataframe_util.convert_arrow_table_to_arrow_bytes(shown.arrow) == from_polars
    assert shown.csv == components.csv_bytes(shown.frame)
    # A different object (new filters) is converted afresh, even with equal contents.
    copy = FigureTable(frame.clone(), keys=("school_id",), figures=("children",), suppressed=True)
    assert components.shown_table(copy, {"children": "Children"}) is not shown
    components.clear_render_cache()


def test_a_frame_made_on_the_page_is_matched_by_content_never_by_a_hash_alone() -> None:
    components.clear_render_cache()
    made = pl.DataFrame({"Period": ["Autumn", "Spring"], "Children": ["12", "c"]})
    shown = components.shown_table(made, None)
    # The next rerun makes an equal frame again: the same conversion is reused.
    assert components.shown_table(made.clone(), None) is shown
    # One cell different, or another column name or type, is converted afresh.
    for other in (
        made.with_columns(pl.Series("Children", ["13", "c"])),
        made.rename({"Children": "Pupils"}),
        made.with_columns(pl.Series("Children", [12, None])),
    ):
        assert components.shown_table(other, None) is not shown
    # Even a forced hash collision shows the right table: the frames must be equal.
    key = next(k for k, v in components._tables.items() if v is shown)
    impostor = made.with_columns(pl.Series("Children", ["99", "c"]))
    components._tables[("content", key[1], tuple(impostor.hash_rows().to_list()))] = shown
    assert components.shown_table(impostor, None).frame.equals(impostor)
    components.clear_render_cache()


@pytest.mark.slow
@pytest.mark.parametrize("role", ["allchild", "councillor"])
@pytest.mark.parametrize("page", CHART_PAGES)
def test_a_rerun_that_changed_nothing_builds_no_chart(
    demo_env: Any, page: str, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages pass chart builders, not charts: building an altair chart (its encodings and properties are
    validated against the schema as they are set) took about 60% of the server's samples per page before
    (issue 14's profile), even when the spec came from the cache. Tables are not converted again either."""
    at = open_page(page, role, query={"period": "2025-26"})
    assert not at.exception, at.exception
    sent = len(at.get("vega_lite_chart"))
    built: list[str] = []
    original = alt.Chart.__init__

    def counting_init(self: alt.Chart, *args: Any, **kwargs: Any) -> None:
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    converted: list[int] = []
    original_arrow = components.arrow_table

    def counting_arrow(frame: pl.DataFrame) -> Any:
        converted.append(frame.height)
        return original_arrow(frame)

    monkeypatch.setattr(alt.Chart, "__init__", counting_init)
    monkeypatch.setattr(components, "arrow_table", counting_arrow)
    at.run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == sent, "the rerun sent the same charts"
    assert built == [], f"{page} built {len(built)} altair charts on a rerun that changed nothing"
    assert converted == [], f"{page} converted {len(converted)} tables again on a rerun that changed nothing"


def test_what_a_page_derives_from_cached_figures_is_made_once_per_object_and_arguments() -> None:
    from dashboard import data

    data.clear_figures()
    calls: list[tuple[int, tuple[str, ...]]] = []

    def shaped(table: FigureTable, figures: list[str], labels: dict[str, str]) -> pl.DataFrame:
        calls.append((id(table), tuple(figures)))
        return table.frame.select("school_id", *figures).rename(labels, strict=False)

    frame = pl.DataFrame(
        {"school_id": ["S01"], "a": [1], "a__status": ["shown"], "b": [2], "b__status": ["shown"]}
    )
    table = FigureTable(frame, keys=("school_id",), figures=("a", "b"), suppressed=False)
    first = data.derived(shaped, table, ["a"], labels={"a": "A"})
    # A rerun passes the same cached object and equal (new) lists and dicts: no second call.
    assert data.derived(shaped, table, ["a"], labels={"a": "A"}) is first
    assert len(calls) == 1
    # Other arguments, or another object with equal contents (new filters), are made afresh.
    data.derived(shaped, table, ["b"], labels={"a": "A"})
    data.derived(shaped, table, ["a"], labels={"a": "Alpha"})
    twin = FigureTable(frame.clone(), keys=("school_id",), figures=("a", "b"), suppressed=False)
    data.derived(shaped, twin, ["a"], labels={"a": "A"})
    assert len(calls) == 4
    data.clear_figures()


@pytest.mark.slow
@pytest.mark.parametrize("screen", ["2", "3", "4", "5"])
def test_a_presentation_screen_rerun_makes_no_chart_spec_again(
    demo_env: Any, screen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The presentation's charts go through the same spec cache as the pages: ``st.altair_chart`` would run
    altair's ``to_dict`` with schema validation on every rerun (the board's 25 people on one screen)."""
    at = open_page("presentation", "allchild", query={"period": "2025-26", "screen": screen})
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 1
    made: list[str] = []
    original = alt.TopLevelMixin.to_dict

    def counting_to_dict(self: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(type(self).__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(alt.TopLevelMixin, "to_dict", counting_to_dict)
    at.run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 1
    assert made == [], f"screen {screen} made {len(made)} chart specs again on a rerun that changed nothing"
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    validate_jsonschema(spec, VEGA_LITE)
    assert spec.get("description") and not spec.get("title", {}).get("text"), (
        "described, and no repeated title"
    )
