"""More altair builders for the Enrolment, Referrals and Suspensions pages: pure functions, frame in, chart out.

They follow ``dashboard.charts``: the same theme and palette, and a suppressed value (null, with a status of
``c``) is never drawn as a value: a heatmap cell shows a grey ``c``, a bar slot shows a ``c`` instead of a bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import polars as pl

from dashboard.charts import SUPPRESSED_NOTE, _finish

HIDDEN_FILL = "#E6E6E6"
HIDDEN_TEXT = "#6A1B9A"  # the same purple as the ``c`` markers of dashboard.charts


def _label(value: str, status: str | None, percent: bool) -> pl.Expr:
    shown = (
        pl.col(value).round(1).cast(pl.String) if percent else pl.col(value).cast(pl.Int64).cast(pl.String)
    )
    if status is None:
        return shown.fill_null("–")
    return pl.when(pl.col(status) == "c").then(pl.lit("c")).otherwise(shown.fill_null("–"))


def heatmap(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    value: str,
    status: str | None,
    title: str,
    description: str,
    x_title: str,
    y_title: str,
    x_sort: Sequence[str] | None = None,
    y_sort: Sequence[str] | None = None,
    percent: bool = False,
    subtitle: str | Sequence[str] = "",
    scale: float = 1.0,
    width: int | str = "container",
) -> alt.TopLevelMixin:
    """A grid of cells (e.g. month × school) coloured by value and labelled with it; hidden cells grey ``c``.

    Every cell carries its number as text, so the chart does not rely on colour; the single-hue blue scale
    reads the same with any colour vision.
    """
    data = frame.with_columns(_label(value, status, percent).alias("_label"))
    top = data.get_column(value).max()
    threshold = float(top) * 0.6 if isinstance(top, int | float) and top > 0 else 1.0
    x_enc = alt.X(
        f"{x}:O", title=x_title, sort=list(x_sort) if x_sort else None, axis=alt.Axis(labelAngle=-45)
    )
    y_enc = alt.Y(
        f"{y}:N", title=y_title, sort=list(y_sort) if y_sort else None, axis=alt.Axis(labelLimit=260)
    )
    tooltip = [alt.Tooltip(f"{y}:N", title=y_title), alt.Tooltip(f"{x}:O", title=x_title),
               alt.Tooltip("_label:N", title="Value")]  # fmt: skip
    base = alt.Chart(data).encode(x=x_enc, y=y_enc, tooltip=tooltip)
    cells = (
        base.transform_filter(alt.datum._label != "c")
        .mark_rect(stroke="white")
        .encode(color=alt.Color(f"{value}:Q", title=None, scale=alt.Scale(scheme="blues"), legend=None))
    )
    hidden = base.transform_filter(alt.datum._label == "c").mark_rect(stroke="white", color=HIDDEN_FILL)
    text = base.mark_text(fontSize=11).encode(
        text="_label:N",
        color=alt.when(alt.datum._label == "c")
        .then(alt.value(HIDDEN_TEXT))
        .when(f"datum['{value}'] > {threshold}")
        .then(alt.value("white"))
        .otherwise(alt.value("#1B1B1B")),
    )
    subtitle_lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    if status is not None and (data.get_column("_label") == "c").any():
        subtitle_lines.append(SUPPRESSED_NOTE + "; grey cells")
    return _finish(alt.layer(cells, hidden, text), title, subtitle_lines, description, scale, width,
                   alt.Step(26))  # fmt: skip


def bars(
    frame: pl.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    description: str,
    category_title: str,
    value_title: str,
    status: str | None = None,
    series: str | None = None,
    category_order: Sequence[str] | None = None,
    series_order: Sequence[str] | None = None,
    percent: bool = False,
    subtitle: str | Sequence[str] = "",
    scale: float = 1.0,
    width: int | str = "container",
) -> alt.TopLevelMixin:
    """Horizontal bars, one row per category (long school names stay readable), grouped by ``series`` in order.

    A hidden value has no bar; its slot shows a ``c`` at zero instead.
    """
    data = frame.with_columns(_label(value, status, percent).alias("_label"))
    y_enc = alt.Y(f"{category}:N", title=None, sort=list(category_order) if category_order else None,
                  axis=alt.Axis(labelLimit=300))  # fmt: skip
    encoding: dict[str, Any] = {"y": y_enc}
    tooltip = [alt.Tooltip(f"{category}:N", title=category_title), alt.Tooltip("_label:N", title=value_title)]
    if series:
        order = list(series_order) if series_order else None
        encoding["yOffset"] = alt.YOffset(f"{series}:N", sort=order)
        encoding["color"] = alt.Color(f"{series}:N", title=None, sort=order,
                                      scale=alt.Scale(domain=order) if order else alt.Undefined)  # fmt: skip
        tooltip.insert(0, alt.Tooltip(f"{series}:N", title=""))
    base = alt.Chart(data).encode(**encoding, tooltip=tooltip)
    shown = (
        base.transform_filter(alt.datum._label != "c")
        .mark_bar()
        .encode(x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=".1f" if percent else "d")))
    )
    layers: list[alt.Chart] = [shown]
    subtitle_lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    if status is not None and (data.get_column("_label") == "c").any():
        layers.append(
            base.transform_filter(alt.datum._label == "c")
            .mark_text(text="c", fontWeight="bold", fontSize=12, color=HIDDEN_TEXT, align="left", dx=3)
            .encode(x=alt.datum(0))
        )
        subtitle_lines.append(SUPPRESSED_NOTE)
    per_row = max(1, len(series_order or [])) if series else 1
    # A step, not a pixel height: Streamlit collapses a discrete axis given a fixed height.
    height = alt.Step(14 * per_row + 10)
    return _finish(alt.layer(*layers), title, subtitle_lines, description, scale, width, height)
