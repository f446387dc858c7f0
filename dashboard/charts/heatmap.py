"""The heatmap: a grid of cells (e.g. month × school) coloured by value and labelled with it.

Every cell carries its number as text, so the chart never relies on colour; a hidden cell is grey with the
shared ``c`` layer on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from dashboard.charts.layers import c_layer, has_hidden, shown_only
from dashboard.charts.theme import HIDDEN_FILL, TEXT, finish


def _label(value: str, percent: bool) -> pl.Expr:
    shown = (
        pl.col(value).round(1).cast(pl.String) if percent else pl.col(value).cast(pl.Int64).cast(pl.String)
    )
    return shown.fill_null("–")


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
    """Cells coloured on a single-hue blue scale (it reads the same with any colour vision), each with its value."""
    data = frame.with_columns(_label(value, percent).alias("_label"))
    top = data.get_column(value).max()
    threshold = float(top) * 0.6 if isinstance(top, int | float) and top > 0 else 1.0
    position = {
        "x": alt.X(
            f"{x}:O", title=x_title, sort=list(x_sort) if x_sort else None, axis=alt.Axis(labelAngle=-45)
        ),
        "y": alt.Y(
            f"{y}:N", title=y_title, sort=list(y_sort) if y_sort else None, axis=alt.Axis(labelLimit=260)
        ),
    }
    tooltip = [alt.Tooltip(f"{y}:N", title=y_title), alt.Tooltip(f"{x}:O", title=x_title),
               alt.Tooltip("_label:N", title="Value")]  # fmt: skip
    base = alt.Chart().encode(**position, tooltip=tooltip)
    cells = shown_only(base.mark_rect(stroke="white"), status).encode(
        color=alt.Color(f"{value}:Q", title=None, scale=alt.Scale(scheme="blues"), legend=None)
    )
    text = shown_only(base.mark_text(fontSize=11), status).encode(
        text="_label:N",
        color=alt.when(f"datum['{value}'] > {threshold}").then(alt.value("white")).otherwise(alt.value(TEXT)),
    )
    layers: list[alt.Chart] = [cells, text]
    hidden = has_hidden(frame, status)
    # Only when a cell is hidden: an empty mark layer is an unnamed graphic to a screen reader (axe svg-img-alt).
    if status and hidden:
        hidden_cells = base.mark_rect(stroke="white", color=HIDDEN_FILL).transform_filter(
            f"datum['{status}'] === 'c'"
        )
        layers += [hidden_cells, c_layer(status, place="cell", **position)]
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    return finish(alt.layer(*layers, data=data), title=title, subtitle=lines + (["Grey cells: hidden (c)"] if hidden else []),
                  hidden=hidden, description=description, scale=scale, width=width, height=alt.Step(26))  # fmt: skip
