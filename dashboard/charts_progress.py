"""Chart builders for the Attendance and School progress pages, in the theme of ``dashboard.charts``.

Pure functions: a shown frame (values null where suppressed, with ``<figure>__status``) in, an altair chart out.
They reshape and drop total rows for drawing only; every number comes from ``data_access``. A suppressed
value is never drawn: it is a gap with a ``c`` marker. Comparators are reference lines told apart by dash
pattern and labelled at different places along the line, so labels of close values do not overlap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import polars as pl

from dashboard.charts import (
    C_COLOUR,
    COMPARATOR_DASHES,
    PALETTE,
    _finish,
    _with_subtitle,
    theme,
)
from dashboard.charts import line_chart as trend_lines  # one line-chart builder for every page

__all__ = ["grouped_bars", "long_form", "school_multiples", "trend_lines"]


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
