"""The one line builder (one chart, any number of series) and the small multiples built from the same layers.

Lines break where a value is hidden and the ``c`` layer marks the place on the axis. Several series differ by
colour, dash pattern and point shape together, on one legend. Dates read as what they are: months as
"Sep 2026", weeks as "01 Sep 2026", in UTC so no time zone moves a month's first day into the month before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import altair as alt
import polars as pl

from dashboard.charts.layers import c_layer, comparator_layers, has_hidden, series_encodings, series_names
from dashboard.charts.panels import panels
from dashboard.charts.theme import PALETTE, RULE, finish, theme

MAX_TICKS = 7


def time_axis(dates: Sequence[date], x_format: str | None = None) -> tuple[dict[str, Any], str]:
    """Axis options and tooltip format for dates: monthly ticks "Sep 2026" when every date is a 1st, else weekly.

    Ticks fall on month (or week) starts only, at most about ``MAX_TICKS`` of them, so a label never repeats.
    """
    days = sorted(set(dates))
    monthly = bool(days) and all(d.day == 1 for d in days)
    if monthly:
        months = (days[-1].year - days[0].year) * 12 + days[-1].month - days[0].month + 1
        tick = {"interval": "month", "step": max(1, math.ceil(months / MAX_TICKS))}
        return {"format": x_format or "%b %Y", "tickCount": tick}, "%B %Y"
    weeks = ((days[-1] - days[0]).days // 7 + 1) if days else 1
    tick = {"interval": "week", "step": max(1, math.ceil(weeks / MAX_TICKS))}
    return {"format": x_format or "%d %b %Y", "tickCount": tick}, "%d %b %Y"


def _x_encoding(frame: pl.DataFrame, x: str, x_type: str, title: str | None, x_sort: Sequence[str] | None,
                x_format: str | None) -> tuple[alt.X, alt.Tooltip]:  # fmt: skip
    if x_type == "T":
        options, tip_format = time_axis(frame.get_column(x).drop_nulls().to_list(), x_format)
        axis = alt.Axis(labelAngle=0, labelOverlap=True, labelLimit=120, **options)
        return (alt.X(f"{x}:T", title=title, axis=axis, scale=alt.Scale(type="utc")),
                alt.Tooltip(f"{x}:T", title=title or " ", format=tip_format, timeUnit="utcyearmonthdate"))  # fmt: skip
    axis_options: dict[str, Any] = {"format": x_format} if x_format else {}
    sort = list(x_sort) if x_sort else ("ascending" if x_type == "Q" else None)  # nominal: the frame's order
    return (alt.X(f"{x}:{x_type}", title=title, sort=sort, axis=alt.Axis(labelAngle=0, labelLimit=180, **axis_options)),
            alt.Tooltip(f"{x}:{x_type}", title=title or " "))  # fmt: skip


def _line_layers(frame: pl.DataFrame, *, x_enc: alt.X, x_tip: alt.Tooltip, y: str, y_title: str,
                 y_scale: alt.Scale, series: str | None, names: Sequence[str], status: str | None,
                 tooltip: Sequence[alt.Tooltip] = (), interval: tuple[str, str] | None = None,
                 partial: str | None = None, band: bool = False) -> list[alt.Chart]:  # fmt: skip
    tips = [x_tip, alt.Tooltip(f"{y}:Q", title=y_title, format=".1f"), *tooltip]
    if interval:
        tips += [alt.Tooltip(f"{interval[0]}:Q", title="95% interval from", format=".1f"),
                 alt.Tooltip(f"{interval[1]}:Q", title="95% interval to", format=".1f")]  # fmt: skip
    encoding: dict[str, Any] = {"x": x_enc, "y": alt.Y(f"{y}:Q", title=y_title, scale=y_scale)}
    if series:
        encoding |= series_encodings(series, names, dashes=True)
        tips.insert(0, alt.Tooltip(f"{series}:N", title=" "))
        # The points repeat the line's items: hidden from screen readers (an empty overlay, e.g. a panel whose
        # values are all hidden, would otherwise be an unnamed graphic: axe svg-img-alt).
        mark = alt.Chart().mark_line(point=alt.OverlayMarkDef(aria=False))
    else:
        mark = alt.Chart().mark_line(point=alt.OverlayMarkDef(color=PALETTE[0], aria=False), color=PALETTE[0])
    layers: list[alt.Chart] = [mark.encode(**encoding, tooltip=tips)]
    # Layers are added only when they draw something: an empty mark layer is an unnamed graphic to a screen
    # reader (axe svg-img-alt).
    if (
        band
        and interval
        and interval[0] in frame.columns
        and frame.get_column(interval[0]).drop_nulls().len()
    ):
        # A light band behind the line (small panels and long weekly series: bars would crowd them), in its
        # series' colour; one area is one item, so its tooltip would name one point: the points' tooltips give
        # each point's interval instead.
        low, high = interval
        band_colour: dict[str, Any] = {}
        if series:  # the lines' colours, on no legend of its own
            colours = alt.Scale(domain=list(names), range=list(PALETTE[: len(names)]))
            band_colour["color"] = alt.Color(f"{series}:N", sort=list(names), scale=colours, legend=None)
        shade = (
            alt.Chart()
            .mark_area(
                opacity=0.14 if series else 0.18, aria=False, **({} if series else {"color": PALETTE[0]})
            )
            .encode(x=x_enc, y=alt.Y(f"{low}:Q", scale=y_scale), y2=alt.Y2(f"{high}:Q"), **band_colour)
        )
        layers.insert(0, shade)
    elif interval and interval[0] in frame.columns and frame.get_column(interval[0]).drop_nulls().len():
        low, high = interval  # a 95% interval bar at each point, in its series' colour
        bar_colour = {"color": encoding["color"]} if series else {}
        bars = (
            alt.Chart()
            .mark_rule(strokeWidth=1.5, **({} if series else {"color": PALETTE[0]}))
            .encode(
                x=x_enc,
                y=alt.Y(f"{low}:Q", scale=y_scale),
                y2=alt.Y2(f"{high}:Q"),
                tooltip=tips,
                **bar_colour,
            )
        )
        layers.append(bars.transform_filter(f"isValid(datum['{low}']) && isValid(datum['{high}'])"))
    if partial and partial in frame.columns and bool(frame.get_column(partial).any()):
        # A point not over (a month or term so far): a white-filled ring over the point (it repeats the point's
        # item, so it is hidden from screen readers), and the words "so far".
        ring = alt.Chart().mark_point(
            filled=True, fill="white", size=70, strokeWidth=2, opacity=1, aria=False
        )
        ring_enc = {k: v for k, v in encoding.items() if k in ("x", "y", "color", "shape")}
        if not series:
            ring = alt.Chart().mark_point(filled=True, fill="white", size=70, strokeWidth=2, opacity=1,
                                          stroke=PALETTE[0], aria=False)  # fmt: skip
        layers.append(ring.encode(**ring_enc, tooltip=tips).transform_filter(f"datum['{partial}'] === true"))
        layers.append(
            alt.Chart().mark_text(align="left", dx=7, dy=-8, fontSize=11, color="#444444", text="so far")
            .encode(x=x_enc, y=alt.Y(f"{y}:Q", scale=y_scale))
            .transform_filter(f"datum['{partial}'] === true && isValid(datum['{y}'])")
        )  # fmt: skip
    if status:
        layers.append(c_layer(status, place="axis", x=x_enc))
    return layers


def _y_scale(frame: pl.DataFrame, y: str, y_domain: tuple[float, float] | None, zero: bool) -> alt.Scale:
    if y_domain is None and frame.get_column(y).drop_nulls().is_empty():
        y_domain = (0, 100)  # every value hidden or empty: a full scale, not one zoomed onto the comparators
    return alt.Scale(domain=list(y_domain)) if y_domain else alt.Scale(zero=zero)


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
    y_domain: tuple[float, float] | None = None,
    zero: bool = False,
    comparators: pl.DataFrame | None = None,
    x_marker: tuple[float, str] | None = None,
    subtitle: str | Sequence[str] = "",
    tooltip: Sequence[alt.Tooltip] = (),
    interval: tuple[str, str] | None = None,
    partial: str | None = None,
    band: bool = False,
    scale: float = 1.0,
    width: int | str = "container",
    height: int = 300,
) -> alt.TopLevelMixin:
    """Lines with points, one colour, dash and shape per series; gaps and ``c`` markers where suppressed.

    ``interval``: the columns (low, high) of each point's 95% interval, drawn as a bar through the point (or,
    with ``band``, as a light band behind each series' line, in its colour) and named in the tooltip. ``partial``: a boolean column marking a point whose term or month is not over: drawn
    as a hollow ring with the words "so far", never as if complete.

    ``x_type``: ``"T"`` dates (months or weeks, see ``time_axis``), ``"N"`` labels in ``x_sort`` or frame order,
    ``"Q"`` numbers. ``x_marker`` is ``(x value, label)`` for a dotted vertical line, e.g. the month of enrolment.
    """
    x_enc, x_tip = _x_encoding(frame, x, x_type, x_title, x_sort, x_format)
    names = series_names(frame, series) if series else []
    layers = _line_layers(frame, x_enc=x_enc, x_tip=x_tip, y=y, y_title=y_title, y_scale=_y_scale(frame, y, y_domain, zero),
                          series=series, names=names, status=status, tooltip=tooltip, interval=interval,
                          partial=partial, band=band)  # fmt: skip
    layers.extend(comparator_layers(comparators))
    if x_marker is not None:
        at = alt.Chart(pl.DataFrame({"at": [x_marker[0]], "label": [x_marker[1]]}))
        layers.append(at.mark_rule(color=RULE, strokeDash=[1, 3]).encode(x=alt.X(f"at:{x_type}")))
        layers.append(
            at.mark_text(align="left", baseline="top", dx=4, y=4, fontSize=11).encode(
                x=alt.X(f"at:{x_type}"), text="label:N"
            )
        )
    return finish(alt.layer(*layers, data=frame), title=title, subtitle=subtitle, hidden=has_hidden(frame, status),
                  description=description, scale=scale, width=width, height=height)  # fmt: skip


def small_multiples(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    facet: str,
    title: str,
    description: str,
    y_title: str,
    status: str | None = None,
    comparators: pl.DataFrame | None = None,
    facet_sort: Sequence[str] | None = None,
    interval: tuple[str, str] | None = None,
    scale: float = 1.0,
    height: int = 110,
) -> alt.TopLevelMixin:
    """One small line chart per ``facet`` value (e.g. a school), sharing axes, stacked to reflow at any width.

    Only the England comparator is drawn on the panels (unlabelled there: the subtitle names it).
    ``interval``: the columns (low, high) of each point's 95% interval, drawn as a light band behind the line
    and named in the tooltip.
    """
    x_enc, x_tip = _x_encoding(frame, x, "T", None, None, None)
    layers = _line_layers(frame, x_enc=x_enc, x_tip=x_tip, y=y, y_title=y_title, y_scale=_y_scale(frame, y, None, False),
                          series=None, names=(), status=status, interval=interval, band=True,
                          tooltip=[alt.Tooltip(f"{facet}:N", title=" ")])  # fmt: skip
    england = comparator_layers(comparators, only="England", labelled=False)
    order = list(facet_sort) if facet_sort else frame.get_column(facet).unique(maintain_order=True).to_list()
    subtitle = " ".join(
        t for t in (england_subtitle(comparators), "Shaded: 95% interval." if interval else "") if t
    )
    return finish(panels([*layers, *england], frame, by=facet, order=order, height=height, scale=scale),
                  title=title, subtitle=subtitle, hidden=has_hidden(frame, status),
                  description=description, scale=scale)  # fmt: skip


def england_subtitle(comparators: pl.DataFrame | None) -> str:
    """The subtitle naming the England reference line of the small multiples, when there is one."""
    if comparators is None or comparators.is_empty():
        return ""
    england = comparators.filter(pl.col("geography") == "England")
    return f"Dashed line: {england.item(0, 'label')} (all pupils)." if not england.is_empty() else ""


def sparkline(labels: Sequence[str], values: Sequence[float], *, description: str, percent: bool,
              height: int = 44) -> alt.TopLevelMixin:  # fmt: skip
    """A headline tile's small line: no axes, the values in its tooltip and its description as the SVG's name.

    Drawn by us rather than by ``st.metric(chart_data=…)``, whose graphics have no accessible name (axe
    svg-img-alt). Only whole series of shown values arrive here: a tile never draws a hidden value.
    """
    frame = pl.DataFrame({"label": list(labels), "value": [float(v) for v in values]})
    tip = alt.Tooltip("value:Q", title="Value", format=".1f" if percent else ",.0f")
    chart = (
        alt.Chart(frame)
        .mark_line(color=PALETTE[0], point=alt.OverlayMarkDef(color=PALETTE[0], size=24, aria=False))
        .encode(
            x=alt.X("label:N", sort=None, axis=None),
            y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("label:N", title="Term"), tip],
        )
    )
    return (
        chart.properties(description=description, height=height, width="container")
        .configure(**theme(1.0))
        .configure_view(stroke=None)
    )
