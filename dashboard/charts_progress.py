"""Chart builders for the Attendance and School progress pages, in the theme of ``dashboard.charts``.

Pure functions: a shown frame (values null where suppressed, with ``<figure>__status``) in, an altair chart out.
They reshape and drop total rows for drawing only; every number comes from ``data_access``. A suppressed
value is never drawn: it is a gap with a ``c`` marker. Comparators are reference lines told apart by dash
pattern and labelled at different places along the line, so labels of close values do not overlap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import altair as alt
import polars as pl

from dashboard.charts import COMPARATOR_DASHES, PALETTE, SUPPRESSED_NOTE, _finish, theme

C_COLOUR: Final = "#6A1B9A"
SHAPES: Final = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down")
DASHES: Final = ([1, 0], [6, 3], [2, 2], [10, 4, 2, 4])
# Where along the line each comparator's label sits (fraction of the width), and how it is anchored.
LABEL_PLACES: Final = {"Wigan": (0.01, "left"), "North West": (0.5, "center"), "England": (0.99, "right")}


def long_form(
    frame: pl.DataFrame,
    keys: Sequence[str],
    figures: Mapping[str, str],
    *,
    series: str = "series",
    value: str = "value",
) -> pl.DataFrame:
    """Stack several figures of a shown frame into one value column with a series label and a status column.

    Args:
        frame: a ``FigureTable.frame`` (figure ``f`` and ``f__status`` per figure).
        keys: columns kept on every row.
        figures: figure name → series label, in drawing order.
    """
    parts = [
        frame.select(
            *keys,
            pl.lit(label).alias(series),
            pl.col(name).cast(pl.Float64).alias(value),
            pl.col(f"{name}__status").alias(f"{value}__status"),
        )
        for name, label in figures.items()
    ]
    return pl.concat(parts)


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


def trend_lines(
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


def grouped_bars(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    series: str,
    title: str,
    description: str,
    x_title: str,
    y_title: str,
    status: str,
    x_sort: Sequence[str],
    facet: str | None = None,
    facet_sort: Sequence[str] | None = None,
    percent: bool = False,
    subtitle: str | Sequence[str] = "",
    scale: float = 1.0,
) -> alt.TopLevelMixin:
    """Bars side by side per ``series`` (e.g. baseline and latest), optionally one panel per ``facet``.

    Suppressed bars are absent and marked ``c`` (the marker sits at the bar's place at zero height). Only the
    ``x_sort`` categories are drawn, so a table's total row stays in the table and out of the chart.
    """
    frame = frame.filter(pl.col(x).is_in(list(x_sort)))
    names = frame.get_column(series).unique(maintain_order=True).to_list()
    colour = alt.Color(
        f"{series}:N",
        title=None,
        sort=names,
        scale=alt.Scale(domain=names, range=list(PALETTE[: len(names)])),
    )
    axis = alt.Axis(labelAngle=-30 if facet else 0, labelLimit=160 if facet else 320)
    x_enc = alt.X(f"{x}:N", title=x_title, sort=list(x_sort), axis=axis)
    offset = alt.XOffset(f"{series}:N", sort=names)
    fmt = ".1f" if percent else ",d"
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=x_enc,
            xOffset=offset,
            y=alt.Y(f"{y}:Q", title=y_title),
            color=colour,
            tooltip=[
                alt.Tooltip(f"{series}:N", title=" "),
                alt.Tooltip(f"{x}:N", title=x_title),
                alt.Tooltip(f"{y}:Q", title=y_title, format=fmt),
            ],
        )
        .transform_filter(f"datum['{status}'] == 'shown'")
    )
    marks = (
        alt.Chart()
        .mark_text(text="c", fontWeight="bold", fontSize=13, color=C_COLOUR, dy=-6)
        .encode(x=x_enc, xOffset=offset, y=alt.datum(0))
        .transform_filter(f"datum['{status}'] == 'c'")
    )
    hidden = bool((frame.get_column(status) == "c").any())
    layered = alt.layer(bars, marks, data=frame)
    if facet:
        chart: alt.TopLevelMixin = layered.properties(width=250, height=240).facet(
            column=alt.Column(
                f"{facet}:N",
                title=None,
                sort=list(facet_sort) if facet_sort else None,
                header=alt.Header(labelFontSize=14 * scale, labelFontWeight="bold"),
            )
        )
        return chart.properties(
            title=alt.Title(title, subtitle=_with_subtitle(subtitle, hidden)), description=description
        ).configure(**theme(scale))
    return _finish(layered, title, _with_subtitle(subtitle, hidden), description, scale, "container", 300)


def school_multiples(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    facet: str,
    status: str,
    title: str,
    description: str,
    y_title: str,
    comparators: pl.DataFrame | None = None,
    columns: int = 3,
    scale: float = 1.0,
) -> alt.TopLevelMixin:
    """One small line chart per school (shared axes); suppressed months are gaps with a ``c`` marker."""
    x_enc = alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=-45))
    line = (
        alt.Chart()
        .mark_line(point=True, color=PALETTE[0])
        .encode(
            x=x_enc,
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip(f"{facet}:N", title="School"),
                alt.Tooltip(f"{x}:T", format="%B %Y", title="Month"),
                alt.Tooltip(f"{y}:Q", format=".1f", title=y_title),
            ],
        )
    )
    marks = (
        alt.Chart()
        .mark_text(text="c", fontWeight="bold", fontSize=12, color=C_COLOUR, baseline="bottom")
        .encode(x=x_enc, y=alt.value(120))
        .transform_filter(f"datum['{status}'] == 'c'")
    )
    layers: list[alt.Chart] = [line, marks]
    if comparators is not None and not comparators.is_empty():
        england = comparators.filter(pl.col("geography") == "England")
        if not england.is_empty():
            layers.append(
                alt.Chart()
                .mark_rule(color="#555555", strokeDash=COMPARATOR_DASHES["England"], strokeWidth=1)
                .encode(y=alt.datum(float(england.item(0, "value"))))
            )
    hidden = bool((frame.get_column(status) == "c").any())
    panels = frame.get_column(facet).unique(maintain_order=True).to_list()
    chart = (
        alt.layer(*layers, data=frame)
        .properties(width=230, height=120)
        .facet(
            facet=alt.Facet(
                f"{facet}:N", title=None, sort=panels, header=alt.Header(labelLimit=230, labelFontSize=12)
            ),
            columns=columns,
        )
    )
    return chart.properties(
        title=alt.Title(title, subtitle=_with_subtitle(subtitle_for(comparators), hidden)),
        description=description,
    ).configure(**theme(scale))


def subtitle_for(comparators: pl.DataFrame | None) -> str:
    """The subtitle naming the England reference line of the small multiples, when there is one."""
    if comparators is None or comparators.is_empty():
        return ""
    england = comparators.filter(pl.col("geography") == "England")
    return f"Dashed line: {england.item(0, 'label')} (all pupils)." if not england.is_empty() else ""
