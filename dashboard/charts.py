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
C_COLOUR: Final = "#6A1B9A"
SHAPES: Final = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down")
DASHES: Final = ([1, 0], [6, 3], [2, 2], [10, 4, 2, 4])
# Where along the line each comparator's label sits (fraction of the width), and how it is anchored.
LABEL_PLACES: Final = {"Wigan": (0.01, "left"), "North West": (0.5, "center"), "England": (0.99, "right")}


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


def _with_subtitle(subtitle: str | Sequence[str], hidden: bool) -> list[str]:
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    return [*lines, SUPPRESSED_NOTE] if hidden else lines


def comparator_layers(comparators: pl.DataFrame | None) -> list[alt.Chart]:
    """Dashed reference lines (one dash pattern per geography), each labelled at its own place along the line."""
    if comparators is None or comparators.is_empty():
        return []
    layers: list[alt.Chart] = []
    for index, row in enumerate(comparators.iter_rows(named=True)):
        one = alt.Chart(pl.DataFrame({"value": [row["value"]], "label": [row["label"]]}))
        dash = COMPARATOR_DASHES.get(row["geography"], [4, 4])
        layers.append(one.mark_rule(color="#555555", strokeDash=dash, strokeWidth=1.5).encode(y="value:Q"))
        place, align = LABEL_PLACES.get(row["geography"], (0.5 + 0.1 * index, "center"))
        layers.append(
            one.mark_text(align=align, baseline="bottom", dy=-3, color="#333333", fontSize=11).encode(
                y="value:Q", x=alt.XValue(alt.ExprRef(f"width * {place}")), text="label:N"
            )
        )
    return layers


def _c_markers(frame: pl.DataFrame, x: alt.X, status: str) -> alt.Chart | None:
    if status not in frame.columns:
        return None
    hidden = frame.filter(pl.col(status) == "c")
    if hidden.is_empty():
        return None
    return (
        alt.Chart(hidden)
        .mark_text(text="c", fontWeight="bold", fontSize=13, color=C_COLOUR, baseline="bottom", dy=-3)
        .encode(x=x, y=alt.YValue("height"))
    )


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
    x_sort: Sequence[str] | None = None,
    x_format: str | None = None,
    tooltip_format: str | None = None,
    y_domain: tuple[float, float] | None = None,
    zero: bool = False,
    comparators: pl.DataFrame | None = None,
    x_marker: tuple[float, str] | None = None,
    subtitle: str | Sequence[str] = "",
    tooltip: Sequence[alt.Tooltip] = (),
    scale: float = 1.0,
    width: int | str = "container",
    height: int = 300,
) -> alt.TopLevelMixin:
    """Lines with points, one colour, dash and shape per series; gaps and ``c`` markers where suppressed.

    ``x_marker`` is ``(x value, label)`` for a dotted vertical line, e.g. the month of enrolment.
    """
    axis_options: dict[str, Any] = {"format": x_format} if x_format else {}
    axis = alt.Axis(labelAngle=0 if x_type != "T" else -30, labelLimit=180, **axis_options)
    # Nominal axes keep the frame's order (terms, months) unless told otherwise.
    default_sort = "ascending" if x_type in ("T", "Q") else None
    x_enc = alt.X(f"{x}:{x_type}", title=x_title, sort=list(x_sort) if x_sort else default_sort, axis=axis)
    tip_format = tooltip_format or x_format
    if y_domain is None and frame.get_column(y).drop_nulls().is_empty():
        y_domain = (0, 100)  # every value hidden or empty: a full scale, not one zoomed onto the comparators
    y_scale = alt.Scale(domain=list(y_domain)) if y_domain else alt.Scale(zero=zero)
    tips = [
        alt.Tooltip(f"{x}:{x_type}", title=x_title, format=tip_format)
        if tip_format
        else alt.Tooltip(f"{x}:{x_type}", title=x_title),
        alt.Tooltip(f"{y}:Q", title=y_title, format=".1f"),
        *tooltip,
    ]
    encoding: dict[str, Any] = {
        "x": x_enc,
        "y": alt.Y(f"{y}:Q", title=y_title, scale=y_scale),
        "tooltip": tips,
    }
    if series:
        names = frame.get_column(series).unique(maintain_order=True).to_list()
        encoding["color"] = alt.Color(
            f"{series}:N",
            title=None,
            sort=names,
            scale=alt.Scale(domain=names, range=list(PALETTE[: len(names)])),
        )
        encoding["strokeDash"] = alt.StrokeDash(
            f"{series}:N",
            title=None,
            sort=names,
            scale=alt.Scale(domain=names, range=list(DASHES[: len(names)])),
        )
        encoding["shape"] = alt.Shape(
            f"{series}:N",
            title=None,
            sort=names,
            scale=alt.Scale(domain=names, range=list(SHAPES[: len(names)])),
        )
        tips.insert(0, alt.Tooltip(f"{series}:N", title=" "))
    layers: list[alt.Chart] = [
        alt.Chart(frame).mark_line(point=True).encode(**encoding),
        *comparator_layers(comparators),
    ]
    if x_marker is not None:
        at = alt.Chart(pl.DataFrame({"at": [x_marker[0]], "label": [x_marker[1]]}))
        layers.append(at.mark_rule(color="#333333", strokeDash=[1, 3]).encode(x=alt.X(f"at:{x_type}")))
        layers.append(
            at.mark_text(align="left", baseline="top", dx=4, y=4, color="#333333", fontSize=11).encode(
                x=alt.X(f"at:{x_type}"), text="label:N"
            )
        )
    marker = _c_markers(frame, x_enc, status) if status else None
    if marker is not None:
        layers.append(marker)
    return _finish(
        alt.layer(*layers),
        title,
        _with_subtitle(subtitle, marker is not None),
        description,
        scale,
        width,
        height,
    )


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
    # A nominal axis keeps the frame's order, hidden categories included (they are only in the c layer).
    order = list(x_sort) if x_sort else (frame.get_column(x).unique(maintain_order=True).to_list()
                                         if x_type == "N" else None)  # fmt: skip
    x_enc = alt.X(f"{x}:{x_type}", title=x_title, sort=order,
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
    layers: list[alt.Chart] = [base, *comparator_layers(comparators)]
    marker = _c_markers(frame, x_enc, status) if status else None
    if marker is not None:
        layers.append(marker)
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
