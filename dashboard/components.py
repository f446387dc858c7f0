"""Building blocks every page uses: a figure block (chart, table, download, definition) and headline tiles."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl
import pyarrow as pa
import streamlit as st

from data_access.contract import EXACT_FOOTNOTE, SUPPRESSION_FOOTNOTE
from data_access.disclosure import FigureTable
from data_access.registry import FIGURES, ROUNDING, Figure
from data_access.uncertainty import verdict_words

DESCRIPTION_PREFIX = "What this shows: "
ChartArg = alt.TopLevelMixin | Callable[[], alt.TopLevelMixin] | None
_RENDER_CACHE_SIZE = 1024

# What a rerun that changed nothing would otherwise redo for every figure (issue 14): the Vega-Lite spec of
# each chart (altair's ``to_dict`` with jsonschema validation, under Streamlit's global altair lock), the
# shown table, its Arrow conversion (polars -> pandas -> Arrow inside ``st.dataframe``) and its CSV.
_render_lock = threading.Lock()
_specs: OrderedDict[tuple[Hashable, ...], dict[str, Any]] = OrderedDict()
_tables: OrderedDict[tuple[Hashable, ...], _ShownTable] = OrderedDict()


@dataclass(frozen=True)
class _ShownTable:
    """A figure's table as shown: the frame of strings, the same as an Arrow table for ``st.dataframe``, CSV."""

    source: object  # the cached figure it was made from (kept so its id cannot be reused while cached)
    frame: pl.DataFrame
    arrow: pa.Table
    csv: bytes


def _remember(cache: OrderedDict[tuple[Hashable, ...], Any], key: tuple[Hashable, ...], value: Any) -> None:
    with _render_lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _RENDER_CACHE_SIZE:
            cache.popitem(last=False)


def _recall(cache: OrderedDict[tuple[Hashable, ...], Any], key: tuple[Hashable, ...]) -> Any:
    with _render_lock:
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
        return value


def clear_render_cache() -> None:
    """Forget every cached chart spec and shown table (tests; a new snapshot changes the keys anyway)."""
    with _render_lock:
        _specs.clear()
        _tables.clear()


def arrow_table(frame: pl.DataFrame) -> pa.Table:
    """The Arrow table ``st.dataframe`` would make from ``frame`` (polars -> pandas -> Arrow), made once.

    ``st.dataframe`` serialises a ``pyarrow.Table`` as it is, so passing this gives the browser the same
    bytes as passing the polars frame, without the conversion on every rerun.
    """
    from streamlit import dataframe_util

    return dataframe_util.convert_pandas_df_to_arrow_table(
        dataframe_util.convert_anything_to_pandas_df(frame, ensure_copy=False)
    )


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec ``st.altair_chart`` would send for ``chart``, without jsonschema validation.

    The same steps as Streamlit 1.67's ``_convert_altair_to_vega_lite_spec``: altair's "none" theme, the data
    as Arrow IPC bytes in named datasets (named by a hash of the bytes), under Streamlit's lock on altair's
    global settings; only ``to_dict(validate=False)`` differs. Every chart's spec is validated in the tests
    (``tests/test_chart_specs.py``), not on every rerun.
    """
    from streamlit.elements import vega_charts

    datasets: dict[str, Any] = {}
    alt.data_transformers.register("to_arrow_dataset", vega_charts._to_arrow_dataset)
    with vega_charts._altair_globals_lock:
        theme = alt.theme.enable("none") if alt.theme.active == "default" else nullcontext()
        with theme, alt.data_transformers.enable("to_arrow_dataset", datasets=datasets):
            spec: dict[str, Any] = chart.to_dict(validate=False)
    existing = spec.get("datasets")
    spec["datasets"] = {**existing, **datasets} if isinstance(existing, dict) else datasets
    return spec


def _built(chart: ChartArg) -> alt.TopLevelMixin | None:
    return chart() if callable(chart) and not isinstance(chart, alt.TopLevelMixin) else chart


def chart_spec(ctx: Any, figure: str, chart: ChartArg, *extra: Hashable) -> dict[str, Any] | None:
    """The chart's Vega-Lite spec, built once per (snapshot, filters, role, page, ``figure``, ``extra``).

    A figure's chart is a function of the cached figures, which are functions of the snapshot, the filters
    and the role; ``extra`` is for anything else a page lets a chart depend on. ``chart`` may be a
    zero-argument builder, then called only when the spec is not cached yet.
    """
    cache_key = (ctx.snapshot.id, ctx.filters, ctx.role, ctx.spec.key, figure, *extra)
    spec = _recall(_specs, cache_key)
    if spec is None:
        built = _built(chart)
        if built is None:
            return None
        spec = vega_lite_spec(built)
        _remember(_specs, cache_key, spec)
    return spec


def render_chart(ctx: Any, figure: str, chart: ChartArg, *extra: Hashable, **kwargs: Any) -> None:
    """``st.altair_chart(chart, **kwargs)``, with the spec from ``chart_spec`` (built once, not validated)."""
    spec = chart_spec(ctx, figure, chart, *extra)
    if spec is not None:
        # A shallow copy: Streamlit moves the datasets out of the top level of the dict it is given.
        st.vega_lite_chart(dict(spec), **kwargs)


def shown_table(table: FigureTable | pl.DataFrame, labels: dict[str, str] | None) -> _ShownTable:
    """The table as shown (strings, ``c`` and ``–``), its Arrow form and its CSV, made once per table.

    A ``FigureTable`` comes from ``dashboard.data.cached``, so a rerun that changed nothing passes the same
    object again: it is matched by identity. A frame made on the page (a table reshaped for showing) is new on
    every rerun, so it is matched by content: its schema and row hashes find the entry, and the frames must
    then be equal, so a hash collision can never show another table.
    """
    frame: pl.DataFrame | None = None
    if isinstance(table, FigureTable):
        cache_key: tuple[Hashable, ...] = (id(table), tuple(sorted((labels or {}).items())))
    else:
        frame = _shown_frame(table, labels)
        cache_key = ("content", tuple(frame.schema.items()), tuple(frame.hash_rows().to_list()))
    found: _ShownTable | None = _recall(_tables, cache_key)
    if found is not None and (found.source is table if frame is None else found.frame.equals(frame)):
        return found
    if frame is None:
        frame = _shown_frame(table, labels)
    made = _ShownTable(source=table, frame=frame, arrow=arrow_table(frame), csv=csv_bytes(frame))
    _remember(_tables, cache_key, made)
    return made


def slug(text: str) -> str:
    """A file-name-safe form of a title."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """CSV of exactly what a table shows, ``c`` included (UTF-8 with BOM so spreadsheets read it right).

    Text cells that a spreadsheet would run as a formula are neutralised (``dashboard.text.csv_safe``).
    """
    from dashboard.text import csv_safe

    return ("\ufeff" + csv_safe(frame).write_csv()).encode("utf-8")


def _size(n_bytes: int) -> str:
    return f"{n_bytes} bytes" if n_bytes < 1024 else f"{n_bytes / 1024:.1f} KB"


def _shown_frame(table: FigureTable | pl.DataFrame, labels: dict[str, str] | None) -> pl.DataFrame:
    if isinstance(table, FigureTable):
        from data_access.uncertainty import display_with_intervals, has_interval

        # A table that carries 95% intervals shows each rate with its own: "88.3 (86.9 to 89.6)".
        if any(has_interval(table, name) for name in table.figures):
            return display_with_intervals(table, labels)
        return table.display(labels)
    return table.rename({k: v for k, v in (labels or {}).items() if k in table.columns})


def definitions_text(names: Sequence[str | Figure]) -> str:
    """Markdown with the definition of each figure (a name in ``FIGURES`` or a ``Figure``), and rounding."""
    parts = []
    for name in names:
        d = name if isinstance(name, Figure) else FIGURES.get(name)
        if d is not None:
            parts.append(f"**{d.title}** ({d.unit}): {d.definition}")
    parts.append(ROUNDING)
    return "\n\n".join(parts)


def figure_block(
    ctx: Any,
    *,
    key: str,
    title: str,
    description: str,
    chart: ChartArg,
    table: FigureTable | pl.DataFrame,
    definitions: Sequence[str | Figure] = (),
    labels: dict[str, str] | None = None,
    note: str | None = None,
    suppressed: bool | None = None,
    chart_depends_on: Hashable = (),
    column_config: dict[str, Any] | None = None,
) -> None:
    """Render one figure: title, a one-sentence description, chart and table tabs, CSV download, definition.

    Args:
        ctx: the page context (``dashboard.page.PageContext``), for the policy, as-of date and audit.
        key: a stable key for the widgets of this block.
        title: states the figure, e.g. "Attendance rate by week".
        description: one sentence saying what the chart shows (also the chart's accessible description).
        chart: the altair chart (or a zero-argument function building it, called only when its spec is not
            cached), or None for a table-only figure. Its spec is built once per (snapshot, filters, role,
            page, ``key``, title, description, ``chart_depends_on``) and reused on later reruns.
        table: the shown numbers (a ``FigureTable`` is rendered with ``c`` and ``–``).
        definitions: names in ``data_access.registry.FIGURES`` (or ``Figure`` objects) to show
            under "Definition".
        labels: column name → heading.
        note: an extra caveat (e.g. about comparators).
        suppressed: whether the table holds a ``c`` (worked out from a ``FigureTable`` when not given).
        chart_depends_on: anything besides the snapshot, filters and role that the chart depends on (hashable).
        column_config: Streamlit column settings by shown heading (e.g. pin the school column, so that on a
            phone the figures scroll beside it instead of off-screen with it).
    """
    shown = shown_table(table, labels)
    has_c = (
        suppressed
        if suppressed is not None
        else isinstance(table, FigureTable) and table.has_suppressed_values
    )
    with st.container(border=True, key=f"fig_{key}"):
        st.subheader(title, anchor=slug(title))
        st.caption(
            f"{DESCRIPTION_PREFIX}{description}  \nData as of {ctx.as_of_text}; {ctx.filters.period.describe()}."
        )
        tab_chart, tab_table, tab_definition = st.tabs(["Chart", "Table", "Definition"], key=f"tabs_{key}")
        with tab_chart:
            if chart is None:
                st.dataframe(
                    shown.arrow, hide_index=True, key=f"chart_table_{key}", column_config=column_config
                )
            else:
                # The chart carries ``description`` itself (its aria label), so no ``alt=`` here.
                render_chart(
                    ctx, key, chart, title, description, chart_depends_on, width="stretch", key=f"chart_{key}"
                )
        with tab_table:
            st.dataframe(shown.arrow, hide_index=True, key=f"table_{key}", column_config=column_config)
        with tab_definition:
            st.markdown(definitions_text(definitions) if definitions else ROUNDING)
        if note:
            st.caption(note)
        protected = ctx.policy.suppressed or (isinstance(table, FigureTable) and table.suppressed)
        if has_c or protected:
            st.caption(SUPPRESSION_FOOTNOTE)
        else:
            st.caption(EXACT_FOOTNOTE)
        download_row(ctx, key=key, title=title, frame=shown.frame, chart=chart, csv=shown.csv)


def download_row(
    ctx: Any, *, key: str, title: str, frame: pl.DataFrame, chart: ChartArg, csv: bytes | None = None
) -> None:
    """CSV (and chart image) downloads of exactly what is shown, when the viewer's policy allows downloads."""
    if not ctx.policy.may_download:
        return
    data = csv if csv is not None else csv_bytes(frame)
    period = ctx.filters.period
    # A period not over is named so in the file name too (contract 4.1): "..._so-far-to-2026-11-20_...".
    so_far = f"_so-far-to-{period.end.isoformat()}" if " so far, to " in period.label else ""
    name = (
        f"{slug(title)}_{period.key.replace('..', '_to_')}{so_far}_{ctx.snapshot.snapshot_date.isoformat()}"
    )
    row = st.container(horizontal=True, gap="small", key=f"downloads_{key}")
    row.download_button(
        f"CSV ({_size(len(data))})", data, file_name=f"{name}.csv", mime="text/csv", key=f"dl_csv_{key}",
        on_click=ctx.audit_download, args=("csv", title), icon=":material/download:",
    )  # fmt: skip
    if chart is not None:
        from dashboard.images import chart_png, chart_svg

        row.download_button(
            "PNG image", lambda: chart_png(_built(chart)), file_name=f"{name}.png", mime="image/png",
            key=f"dl_png_{key}", on_click=ctx.audit_download, args=("png", title), icon=":material/image:",
        )  # fmt: skip
        row.download_button(
            "SVG image", lambda: chart_svg(_built(chart)), file_name=f"{name}.svg", mime="image/svg+xml",
            key=f"dl_svg_{key}", on_click=ctx.audit_download, args=("svg", title), icon=":material/image:",
        )  # fmt: skip


def change_delta(name: str, now: Any, before: Any, result: Any) -> tuple[str | None, Any]:
    """A tile's delta text and colour (contract 4.3): ``+3 · no clear change`` in grey, ``−4.2 points · better``
    in green, ``+2.0 points · worse`` in red, ``+1 · better per 100 children`` for a count of events (tested
    through its rate); a census count (children) with its change and no words; ``None``
    (no delta) when either side is ``c`` or null. Colour never says anything the words do not."""
    figure = FIGURES[name]
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return None, "off"
    difference = float(now) - float(before)
    if figure.percent:
        number = f"{difference:+.1f} points" if round(difference, 1) != 0 else "0.0 points"
    elif isinstance(now, float) or isinstance(before, float):
        number = f"{difference:+.1f}" if round(difference, 1) != 0 else "0.0"
    else:
        number = f"{int(difference):+d}" if difference != 0 else "0"
    words = result.words() if result is not None else ""
    if not words:
        return number, "off"
    colour = {"better": "green", "worse": "red"}.get(words, "off")
    return f"{number} · {verdict_words(name, words)}", colour


def value_text(value: Any, unit: str = "%") -> str:
    """A headline value as text: ``c``, ``–`` or the number with its unit."""
    if value is None:
        return "–"
    if value == "c":
        return "c"
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value:,}"
