"""Building blocks every page uses: a figure block (chart, table, download, definition) and headline tiles."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from data_access.contract import SUPPRESSION_FOOTNOTE
from data_access.definitions import DEFINITIONS, ROUNDING, Definition
from data_access.suppression import FigureTable

DESCRIPTION_PREFIX = "What this shows: "


def slug(text: str) -> str:
    """A file-name-safe form of a title."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """CSV of exactly what a table shows, ``c`` included (UTF-8 with BOM so spreadsheets read it right)."""
    return ("\ufeff" + frame.write_csv()).encode("utf-8")


def _size(n_bytes: int) -> str:
    return f"{n_bytes} bytes" if n_bytes < 1024 else f"{n_bytes / 1024:.1f} KB"


def _shown_frame(table: FigureTable | pl.DataFrame, labels: dict[str, str] | None) -> pl.DataFrame:
    if isinstance(table, FigureTable):
        return table.display(labels)
    return table.rename({k: v for k, v in (labels or {}).items() if k in table.columns})


def definitions_text(names: Sequence[str | Definition]) -> str:
    """Markdown with the definition of each figure (a name in ``DEFINITIONS`` or a ``Definition``), and rounding."""
    parts = []
    for name in names:
        d = name if isinstance(name, Definition) else DEFINITIONS.get(name)
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
    chart: alt.TopLevelMixin | None,
    table: FigureTable | pl.DataFrame,
    definitions: Sequence[str | Definition] = (),
    labels: dict[str, str] | None = None,
    note: str | None = None,
    suppressed: bool | None = None,
    column_config: dict[str, Any] | None = None,
) -> None:
    """Render one figure: title, a one-sentence description, chart and table tabs, CSV download, definition.

    Args:
        ctx: the page context (``dashboard.page.PageContext``), for the policy, as-of date and audit.
        key: a stable key for the widgets of this block.
        title: states the figure, e.g. "Attendance rate by week".
        description: one sentence saying what the chart shows (also the chart's accessible description).
        chart: the altair chart, or None for a table-only figure.
        table: the shown numbers (a ``FigureTable`` is rendered with ``c`` and ``–``).
        definitions: names in ``data_access.definitions.DEFINITIONS`` (or ``Definition`` objects) to show
            under "Definition".
        labels: column name → heading.
        note: an extra caveat (e.g. about comparators).
        suppressed: whether the table holds a ``c`` (worked out from a ``FigureTable`` when not given).
        column_config: Streamlit column settings by shown heading (e.g. pin the school column, so that on a
            phone the figures scroll beside it instead of off-screen with it).
    """
    shown = _shown_frame(table, labels)
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
                st.dataframe(shown, hide_index=True, key=f"chart_table_{key}", column_config=column_config)
            else:
                # The chart carries ``description`` itself (its aria label), so no ``alt=`` here.
                st.altair_chart(chart, width="stretch", key=f"chart_{key}")
        with tab_table:
            st.dataframe(shown, hide_index=True, key=f"table_{key}", column_config=column_config)
        with tab_definition:
            st.markdown(definitions_text(definitions) if definitions else ROUNDING)
        if note:
            st.caption(note)
        if has_c:
            st.caption(SUPPRESSION_FOOTNOTE)
        download_row(ctx, key=key, title=title, frame=shown, chart=chart)


def download_row(
    ctx: Any, *, key: str, title: str, frame: pl.DataFrame, chart: alt.TopLevelMixin | None
) -> None:
    """CSV (and chart image) downloads of exactly what is shown, when the viewer's policy allows downloads."""
    if not ctx.policy.may_download:
        return
    data = csv_bytes(frame)
    name = f"{slug(title)}_{ctx.filters.period.key.replace('..', '_to_')}_{ctx.snapshot.snapshot_date.isoformat()}"
    row = st.container(horizontal=True, gap="small", key=f"downloads_{key}")
    row.download_button(
        f"CSV ({_size(len(data))})", data, file_name=f"{name}.csv", mime="text/csv", key=f"dl_csv_{key}",
        on_click=ctx.audit_download, args=("csv", title), icon=":material/download:",
    )  # fmt: skip
    if chart is not None:
        from dashboard.images import chart_png, chart_svg

        row.download_button(
            "PNG image", lambda: chart_png(chart), file_name=f"{name}.png", mime="image/png",
            key=f"dl_png_{key}", on_click=ctx.audit_download, args=("png", title), icon=":material/image:",
        )  # fmt: skip
        row.download_button(
            "SVG image", lambda: chart_svg(chart), file_name=f"{name}.svg", mime="image/svg+xml",
            key=f"dl_svg_{key}", on_click=ctx.audit_download, args=("svg", title), icon=":material/image:",
        )  # fmt: skip


def value_text(value: Any, unit: str = "%") -> str:
    """A headline value as text: ``c``, ``–`` or the number with its unit."""
    if value is None:
        return "–"
    if value == "c":
        return "c"
    if isinstance(value, float):
        return f"{value:.1f}{unit}"
    return f"{value:,}"
