"""The one bar builder: vertical or horizontal, one series or grouped, optionally one panel per facet value.

A hidden value has no bar; the ``c`` layer marks its slot. Grouped bars carry a shape marker at the end of each
bar as well as a colour, on one legend, so the series are told apart without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import polars as pl

from dashboard.charts.layers import (
    c_layer,
    comparator_layers,
    has_hidden,
    series_encodings,
    series_names,
    shown_only,
)
from dashboard.charts.panels import panels
from dashboard.charts.theme import PALETTE, finish


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
    x_sort: Sequence[str] | None = None,
    series_sort: Sequence[str] | None = None,
    horizontal: bool = False,
    facet: str | None = None,
    facet_sort: Sequence[str] | None = None,
    comparators: pl.DataFrame | None = None,
    subtitle: str | Sequence[str] = "",
    percent: bool = False,
    interval: tuple[str, str] | None = None,
    scale: float = 1.0,
    width: int | str = "container",
    height: int = 300,
) -> alt.TopLevelMixin:
    """Bars of ``y`` per category ``x``, in ``x_sort`` order (only those categories: a total row stays out).

    Args:
        frame: one row per bar (``status`` ``c`` where the value is hidden: no bar, a ``c`` instead).
        horizontal: categories down the side (long school names stay readable); the height follows the
            number of bars.
        facet: one panel per value of this column (e.g. subject), stacked so they reflow to any width.
        comparators: dashed reference lines (vertical bars only).
        interval: the columns of each bar's 95% interval (``low``, ``high``), drawn as a thin black error bar
            and named in the tooltip; none where the value is hidden or has no interval.
    """
    order = list(x_sort) if x_sort else frame.get_column(x).unique(maintain_order=True).to_list()
    frame = frame.filter(pl.col(x).is_in(order))
    names = series_names(frame, series, series_sort) if series else []
    fmt = ".1f" if percent else ",d"
    # Many categories side by side: each label on lines of one word ("Autumn" / "24/25"), never cut short (a cut
    # "Autum…" twice would hide which year a bar is).
    category_axis = alt.Axis(labelLimit=300, labelAngle=0) if horizontal else alt.Axis(
        labelAngle=0, labelLimit=200, labelOverlap=False,
        **({"labelExpr": "split(datum.label, ' ')"} if len(order) > 4 else {}),
    )  # fmt: skip
    category = alt.X if not horizontal else alt.Y
    value = alt.Y if not horizontal else alt.X
    offset = alt.XOffset if not horizontal else alt.YOffset
    position: dict[str, Any] = {
        "x" if not horizontal else "y": category(
            f"{x}:N", title=x_title or None, sort=order, axis=category_axis
        ),
    }
    if series:
        position["xOffset" if not horizontal else "yOffset"] = offset(f"{series}:N", sort=names)
    tooltip = [alt.Tooltip(f"{x}:N", title=x_title or " "), alt.Tooltip(f"{y}:Q", title=y_title, format=fmt)]
    if series:
        tooltip.insert(0, alt.Tooltip(f"{series}:N", title=" "))
    if interval:
        tooltip += [alt.Tooltip(f"{interval[0]}:Q", title="95% interval from", format=".1f"),
                    alt.Tooltip(f"{interval[1]}:Q", title="95% interval to", format=".1f")]  # fmt: skip
    value_key = "y" if not horizontal else "x"
    value_enc = value(f"{y}:Q", title=y_title, axis=alt.Axis(format=fmt.replace(",d", "d")))
    colour: dict[str, Any] = series_encodings(series, names) if series else {}
    bars = shown_only(
        alt.Chart().mark_bar(**({} if series else {"color": PALETTE[0]})).encode(
            **position, **{value_key: value_enc}, **{k: v for k, v in colour.items() if k == "color"},
            tooltip=tooltip,
        ),
        status,
    )  # fmt: skip
    layers: list[alt.Chart] = [bars]
    if series:  # a shape at the end of each bar, on the colour legend: the series differ by more than colour
        end = {"baseline": "bottom"} if not horizontal else {}
        layers.append(
            shown_only(
                alt.Chart().mark_point(filled=True, size=70 * scale, opacity=1, stroke="white", strokeWidth=1,
                                       aria=False, **end).encode(**position, **{value_key: value_enc}, **colour,
                                                     tooltip=tooltip),
                status,
            )
        )  # fmt: skip
    if interval and interval[0] in frame.columns and frame.get_column(interval[0]).drop_nulls().len():
        low, high = interval
        ends: dict[str, Any] = {
            value_key: value(f"{low}:Q"),
            f"{value_key}2": alt.X2(f"{high}:Q") if horizontal else alt.Y2(f"{high}:Q"),
        }
        bar = (
            alt.Chart()
            .mark_rule(color="#000000", strokeWidth=1.5 * scale)
            .encode(**position, **ends, tooltip=tooltip)
        )
        layers.append(
            shown_only(bar.transform_filter(f"isValid(datum['{low}']) && isValid(datum['{high}'])"), status)
        )
    if status:
        layers.append(c_layer(status, place="left" if horizontal else "base", **position))
    if not horizontal:
        layers.extend(comparator_layers(comparators))
    hidden = has_hidden(frame, status)
    per_category = max(1, len(names))
    # A step, not a pixel height, for horizontal bars: the chart grows with the number of categories.
    size: int | alt.Step = alt.Step(12 * per_category + 8, **{"for": "position"}) if horizontal else height
    common = {
        "title": title,
        "subtitle": subtitle,
        "hidden": hidden,
        "description": description,
        "scale": scale,
    }
    if facet:
        names_ = (
            list(facet_sort) if facet_sort else frame.get_column(facet).unique(maintain_order=True).to_list()
        )
        return finish(panels(layers, frame, by=facet, order=names_, height=size if horizontal else height // 2,
                             scale=scale), **common)  # fmt: skip
    return finish(alt.layer(*layers, data=frame), width=width, height=size, **common)
