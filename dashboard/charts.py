"""Altair chart builders: pure functions, frame in and chart out, in one colour-blind-safe theme.

Suppressed values arrive as nulls with a status of ``c``: lines break there and a ``c`` marker sits on the
axis, so nothing hidden is ever drawn as zero. Comparators are dashed reference lines, told apart by dash
pattern as well as label, never by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import altair as alt
import polars as pl

# Okabe & Ito (2008), ordered so the first colours keep the most contrast on white.
PALETTE: Final = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
COMPARATOR_DASHES: Final = {"England": [6, 3], "North West": [2, 2], "Wigan": [10, 4, 2, 4]}
FONT: Final = "Source Sans Pro, Arial, sans-serif"
SUPPRESSED_NOTE: Final = "c = hidden to protect children's privacy (not zero)"


def theme(scale: float = 1.0) -> dict[str, Any]:
    """The dashboard's Vega-Lite config; ``scale`` enlarges type for the presentation view and PDFs."""
    return {
        "font": FONT,
        "background": "white",
        "title": {"fontSize": 16 * scale, "anchor": "start", "subtitleFontSize": 12 * scale,
                  "subtitleColor": "#444444", "offset": 10},
        "axis": {"labelFontSize": 12 * scale, "titleFontSize": 12 * scale, "labelColor": "#1B1B1B",
                 "titleColor": "#1B1B1B", "gridColor": "#E3E7EB"},
        "legend": {"labelFontSize": 12 * scale, "titleFontSize": 12 * scale, "orient": "bottom",
                   "labelLimit": 320},
        "range": {"category": list(PALETTE)},
        "view": {"stroke": None},
        "line": {"strokeWidth": 2.5 * scale},
        "point": {"size": 50 * scale},
    }  # fmt: skip


def _finish(chart: alt.TopLevelMixin, title: str, subtitle: str | Sequence[str], description: str,
            scale: float, width: int | str, height: int) -> alt.TopLevelMixin:  # fmt: skip
    subtitle_lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    return chart.properties(
        title=alt.Title(title, subtitle=[s for s in subtitle_lines if s]),
        description=description,
        width=width,
        height=height,
    ).configure(**theme(scale))


def _suppressed_markers(frame: pl.DataFrame, x: str, status: str | None, x_type: str) -> alt.Chart | None:
    if status is None or status not in frame.columns:
        return None
    hidden = frame.filter(pl.col(status) == "c")
    if hidden.is_empty():
        return None
    return (
        alt.Chart(hidden.select(x).unique())
        .mark_text(text="c", fontWeight="bold", fontSize=13, color="#6A1B9A", dy=-8)
        # On the x axis (y = the plot's height in pixels), away from comparator labels near the top.
        .encode(x=alt.X(f"{x}:{x_type}"), y=alt.value({"expr": "height"}))
    )


def comparator_layer(comparators: pl.DataFrame | None) -> list[alt.Chart]:
    """Dashed horizontal lines with labels for comparator values (columns geography, value, label)."""
    if comparators is None or comparators.is_empty():
        return []
    layers = []
    # Comparators are often within a point of each other: stagger the labels so they never overlap.
    for index, row in enumerate(comparators.sort("value", descending=True).iter_rows(named=True)):
        one = pl.DataFrame({"value": [row["value"]], "label": [row["label"]]})
        base = alt.Chart(one)
        layers.append(base.mark_rule(color="#555555", strokeDash=COMPARATOR_DASHES.get(row["geography"], [4, 4]),
                                     strokeWidth=1.5).encode(y="value:Q"))  # fmt: skip
        layers.append(base.mark_text(align="right", baseline="bottom", dx=-4 - 150 * index, dy=-2, color="#333333",
                                     fontSize=11)
                      .encode(y="value:Q", x=alt.value("width"), text="label:N"))  # fmt: skip
    return layers


def line_chart(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    description: str,
    x_title: str,
    y_title: str,
    series: str | None = None,
    status: str | None = None,
    x_type: str = "T",
    y_domain: tuple[float, float] | None = None,
    comparators: pl.DataFrame | None = None,
    subtitle: str | Sequence[str] = "",
    percent: bool = True,
    scale: float = 1.0,
    width: int | str = "container",
    height: int = 300,
) -> alt.TopLevelMixin:
    """A line chart with points; null values break the line and suppressed ones get a ``c`` marker."""
    y_scale = alt.Scale(domain=list(y_domain)) if y_domain else alt.Scale(zero=False)
    encoding: dict[str, Any] = {
        "x": alt.X(f"{x}:{x_type}", title=x_title),
        "y": alt.Y(f"{y}:Q", title=y_title, scale=y_scale),
        "tooltip": [alt.Tooltip(f"{x}:{x_type}", title=x_title),
                    alt.Tooltip(f"{y}:Q", title=y_title, format=".1f" if percent else ",d")],
    }  # fmt: skip
    if series:
        encoding["color"] = alt.Color(f"{series}:N", title=None)
        encoding["strokeDash"] = alt.StrokeDash(f"{series}:N", title=None)
        # No shape channel: Vega-Lite draws it as a second legend; colour plus dash already tell lines apart.
        encoding["tooltip"].insert(0, alt.Tooltip(f"{series}:N", title=""))
    mark = (
        {} if series else {"color": PALETTE[0]}
    )  # one series: the palette's first colour, not Vega's default
    base = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(**mark) if mark else True, **mark)
        .encode(**encoding)
    )
    layers: list[alt.Chart] = [base, *comparator_layer(comparators)]
    marker = _suppressed_markers(frame, x, status, x_type)
    if marker is not None:
        layers.append(marker)
        subtitle = [*([subtitle] if isinstance(subtitle, str) else subtitle), SUPPRESSED_NOTE]
    return _finish(alt.layer(*layers), title, subtitle, description, scale, width, height)


def bar_chart(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    description: str,
    x_title: str,
    y_title: str,
    series: str | None = None,
    status: str | None = None,
    x_type: str = "N",
    x_sort: Sequence[str] | None = None,
    stacked: bool = False,
    comparators: pl.DataFrame | None = None,
    subtitle: str | Sequence[str] = "",
    percent: bool = False,
    scale: float = 1.0,
    width: int | str = "container",
    height: int = 300,
) -> alt.TopLevelMixin:
    """Bars (grouped by ``series`` unless ``stacked``); suppressed bars are absent, with a ``c`` marker."""
    x_enc = alt.X(f"{x}:{x_type}", title=x_title, sort=list(x_sort) if x_sort else None,
                  axis=alt.Axis(labelAngle=0 if x_type == "N" else -45, labelLimit=160))  # fmt: skip
    encoding: dict[str, Any] = {
        "x": x_enc,
        "y": alt.Y(f"{y}:Q", title=y_title, stack="zero" if stacked else None),
        "tooltip": [alt.Tooltip(f"{x}:{x_type}", title=x_title),
                    alt.Tooltip(f"{y}:Q", title=y_title, format=".1f" if percent else ",d")],
    }  # fmt: skip
    if series:
        encoding["color"] = alt.Color(f"{series}:N", title=None)
        encoding["tooltip"].insert(0, alt.Tooltip(f"{series}:N", title=""))
        if not stacked:
            encoding["xOffset"] = alt.XOffset(f"{series}:N")
    mark = {} if series else {"color": PALETTE[0]}
    base = alt.Chart(frame.filter(pl.col(y).is_not_null())).mark_bar(**mark).encode(**encoding)
    layers: list[alt.Chart] = [base, *comparator_layer(comparators)]
    marker = _suppressed_markers(frame, x, status, x_type)
    if marker is not None:
        layers.append(marker.encode(x=x_enc))
        subtitle = [*([subtitle] if isinstance(subtitle, str) else subtitle), SUPPRESSED_NOTE]
    return _finish(alt.layer(*layers), title, subtitle, description, scale, width, height)


def small_multiples(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    facet: str,
    title: str,
    description: str,
    y_title: str,
    columns: int = 4,
    scale: float = 1.0,
) -> alt.TopLevelMixin:
    """One small line chart per ``facet`` value (e.g. a school), sharing axes."""
    chart = (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(color=PALETTE[0]), color=PALETTE[0])
        .encode(
            x=alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=-45)),
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip(f"{facet}:N"),
                alt.Tooltip(f"{x}:T", format="%B %Y"),
                alt.Tooltip(f"{y}:Q", format=".1f"),
            ],
        )
        .properties(width=170, height=110)
        .facet(facet=alt.Facet(f"{facet}:N", title=None), columns=columns)
    )
    return chart.properties(title=alt.Title(title), description=description).configure(**theme(scale))
