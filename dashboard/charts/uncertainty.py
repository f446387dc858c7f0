"""Charts of uncertainty: 95% interval bars, the funnel plot of schools and the XmR (SPC) chart of a month-by-month
figure. Pure builders in the one theme: a frame in, a chart out; colour is never the only cue (shape and
words as well).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import altair as alt
import polars as pl

from dashboard.charts.theme import C_COLOUR, MUTED_TEXT, PALETTE, RULE, finish

# Funnel: a school's place by its marker's colour AND shape, and the words in the tooltip and table.
FUNNEL_GROUPS: Final = ("Within the 95% limits", "Outside 95%: better", "Outside 95%: worse")
FUNNEL_COLOURS: Final = ("#444444", PALETTE[2], PALETTE[1])
FUNNEL_SHAPES: Final = ("circle", "triangle-up", "square")
# SPC: MDC's convention — grey for common cause, blue for improvement, orange for concern — with a shape each.
SPC_GROUPS: Final = ("Common cause", "Special cause: improvement", "Special cause: concern", "Partial month")
SPC_COLOURS: Final = ("#444444", PALETTE[0], PALETTE[1], "#444444")
SPC_SHAPES: Final = ("circle", "triangle-up", "square", "diamond")  # a partial month: a hollow diamond


def interval_bars(
    x: alt.X, low: str, high: str, *, colour: str | alt.Color = PALETTE[0], status: str | None = None
) -> alt.Chart:
    """A vertical 95% interval bar from ``low`` to ``high`` at each ``x`` (hidden and empty rows draw none)."""
    encode: dict[str, Any] = {"x": x, "y": alt.Y(f"{low}:Q"), "y2": alt.Y2(f"{high}:Q")}
    mark: dict[str, Any] = {"strokeWidth": 1.5, "opacity": 0.85}
    if isinstance(colour, str):
        mark["color"] = colour
    else:
        encode["color"] = colour
    chart = alt.Chart().mark_rule(**mark).encode(**encode)
    chart = chart.transform_filter(f"isValid(datum['{low}']) && isValid(datum['{high}'])")
    return chart.transform_filter(f"datum['{status}'] !== 'c'") if status else chart


def funnel_plot(
    schools: pl.DataFrame,
    limits: pl.DataFrame,
    *,
    centre: float,
    title: str,
    description: str,
    y_title: str,
    x_title: str = "Children (the figure's denominator)",
    subtitle: str | Sequence[str] = "",
    scale: float = 1.0,
    width: int | str = "container",
    height: int = 340,
) -> alt.TopLevelMixin:
    """Each school's figure against its number of children, with the programme's figure and its 95% and 99.8%
    limits (Spiegelhalter's funnel plot).

    ``schools``: ``school`` (name, in the tooltip), ``label`` (a short label beside the point), ``n``,
    ``value``, ``group`` (one of ``FUNNEL_GROUPS``), ``position`` (words).
    ``limits``: ``n``, ``lower998``, ``lower95``, ``upper95``, ``upper998``.
    """
    lines = limits.unpivot(
        index="n", on=["lower998", "lower95", "upper95", "upper998"], variable_name="limit", value_name="y"
    ).with_columns(
        band=pl.when(pl.col("limit").str.ends_with("95"))
        .then(pl.lit("95% limits"))
        .otherwise(pl.lit("99.8% limits"))
    )
    x = alt.X("n:Q", title=x_title, scale=alt.Scale(zero=True))
    curve = (
        alt.Chart(lines)
        .mark_line(color=RULE, strokeWidth=1.5)
        .encode(
            x=x,
            y=alt.Y("y:Q", title=y_title),
            detail="limit:N",
            strokeDash=alt.StrokeDash(
                "band:N", title=None, sort=["95% limits", "99.8% limits"],
                scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[6, 3], [2, 2]]),
            ),
        )
    )  # fmt: skip
    target = alt.Chart(pl.DataFrame({"y": [centre], "label": [f"Programme {centre:.1f}"]}))
    centre_line = target.mark_rule(color=MUTED_TEXT, strokeWidth=1.5).encode(y="y:Q")
    # At the narrow end of the funnel, where no school sits (the limits there span almost everything).
    centre_label = target.mark_text(
        align="left", baseline="bottom", dx=4, dy=-3, color=MUTED_TEXT, fontSize=11
    ).encode(y="y:Q", x=alt.XValue(0), text="label:N")
    groups = [g for g in FUNNEL_GROUPS]
    points = (
        alt.Chart(schools)
        .mark_point(filled=True, size=110 * scale, opacity=1)
        .encode(
            x=x,
            y=alt.Y("value:Q"),
            color=alt.Color("group:N", title=None, sort=groups, scale=alt.Scale(domain=groups, range=list(FUNNEL_COLOURS))),
            shape=alt.Shape("group:N", title=None, sort=groups, scale=alt.Scale(domain=groups, range=list(FUNNEL_SHAPES))),
            tooltip=[
                alt.Tooltip("school:N", title="School"),
                alt.Tooltip("value:Q", title=y_title, format=".1f"),
                alt.Tooltip("n:Q", title="Children"),
                alt.Tooltip("position:N", title="Against the limits"),
            ],
        )
    )  # fmt: skip
    labels = (
        alt.Chart(schools)
        .mark_text(align="left", dx=7, dy=-7, fontSize=11, color=MUTED_TEXT)
        .encode(x=x, y=alt.Y("value:Q"), text="label:N")
    )
    chart = alt.layer(curve, centre_line, centre_label, points, labels).resolve_scale(
        color="independent", shape="independent", strokeDash="independent"
    )
    return finish(chart, title=title, subtitle=subtitle, hidden=False, description=description, scale=scale,
                  width=width, height=height)  # fmt: skip


def spc_chart(
    frame: pl.DataFrame,
    *,
    centre: float | None,
    upper: float | None,
    lower: float | None,
    title: str,
    description: str,
    y_title: str,
    status: str | None = None,
    subtitle: str | Sequence[str] = "",
    scale: float = 1.0,
    width: int | str = "container",
    height: int = 300,
) -> alt.TopLevelMixin:
    """An XmR chart: the monthly values joined by a line, the centre line (solid) and process limits (dashed),
    each point coloured and shaped by its variation (``group``: one of ``SPC_GROUPS``); a partial month is a
    hollow circle. ``frame``: ``month`` (date), ``value``, ``group``, ``variation`` (words), ``status``.
    """
    x = alt.X("month:T", title="Month", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%b %Y", labelAngle=0,
              labelOverlap=True, tickCount={"interval": "month", "step": 1}))  # fmt: skip
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False))
    layers: list[alt.Chart] = []
    line = alt.Chart().mark_line(color=RULE, strokeWidth=1.5).encode(x=x, y=y)
    layers.append(line.transform_filter("isValid(datum.value)"))
    refs = [(v, lab, dash) for v, lab, dash in ((centre, "Centre (mean)", [1, 0]), (upper, "Upper process limit", [6, 3]),
            (lower, "Lower process limit", [6, 3])) if v is not None]  # fmt: skip
    for value, label, dash in refs:
        ref = alt.Chart(pl.DataFrame({"y": [value], "label": [f"{label} {value:.1f}"]}))
        layers.append(ref.mark_rule(color=MUTED_TEXT, strokeDash=dash, strokeWidth=1.2).encode(y="y:Q"))
        layers.append(
            ref.mark_text(align="left", baseline="bottom", dx=2, dy=-2, color=MUTED_TEXT, fontSize=10).encode(
                y="y:Q", x=alt.XValue(0), text="label:N"
            )
        )
    groups = list(SPC_GROUPS)
    tips = [
        alt.Tooltip("month:T", title="Month", format="%B %Y", timeUnit="utcyearmonth"),
        alt.Tooltip("value:Q", title=y_title, format=".1f"),
        alt.Tooltip("variation:N", title="Variation"),
    ]
    # Only layers that draw something: an empty mark layer is an unnamed graphic to a screen reader (axe).
    present = frame.filter(pl.col("value").is_not_null()).get_column("group").to_list()
    for filled, condition in (
        (True, "datum.group !== 'Partial month'"),
        (False, "datum.group === 'Partial month'"),
    ):
        if not any((g == "Partial month") != filled for g in present):
            continue
        layers.append(
            alt.Chart()
            .mark_point(filled=filled, size=80 * scale, opacity=1, strokeWidth=2)
            .encode(
                x=x, y=y,
                color=alt.Color("group:N", title=None, sort=groups, scale=alt.Scale(domain=groups, range=list(SPC_COLOURS))),
                shape=alt.Shape("group:N", title=None, sort=groups, scale=alt.Scale(domain=groups, range=list(SPC_SHAPES))),
                tooltip=tips,
            )
            .transform_filter(f"isValid(datum.value) && {condition}")
        )  # fmt: skip
    hidden = bool(status and status in frame.columns and (frame.get_column(status) == "c").any())
    if status and hidden:
        layers.append(
            alt.Chart()
            .mark_text(text="c", fontWeight="bold", fontSize=13, color=C_COLOUR, baseline="bottom", dy=-3)
            .encode(x=x, y=alt.YValue("height"))
            .transform_filter(f"datum['{status}'] === 'c'")
        )
    return finish(alt.layer(*layers, data=frame), title=title, subtitle=subtitle, hidden=hidden,
                  description=description, scale=scale, width=width, height=height)  # fmt: skip


COHORT_GROUPS: Final = ("Half or more of the starting children", "Fewer than half: read with care")


def cohort_line(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    children: str,
    group: str,
    title: str,
    description: str,
    x_title: str,
    y_title: str,
    status: str | None = None,
    marker: tuple[float, str] | None = None,
    interval: tuple[str, str] | None = None,
    subtitle: str | Sequence[str] = "",
    scale: float = 1.0,
    width: int | str = "container",
    height: int = 320,
) -> alt.TopLevelMixin:
    """A line over a cohort that shrinks along the x axis: the number of children behind each point written
    above it (``children``, text: a number or ``c``), and the line grey and dashed (``group`` is the second of
    ``COHORT_GROUPS``) where fewer than half of the starting children remain. ``frame`` repeats the last point
    of the first group in the second so the line does not break. ``interval``: the columns (low, high) of each
    point's 95% interval, drawn as a bar in the point's colour and named in the tooltip."""
    groups = list(COHORT_GROUPS)
    x_enc = alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(tickMinStep=1, labelAngle=0))
    y_enc = alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False))
    colour = alt.Color(
        f"{group}:N", title=None, sort=groups, scale=alt.Scale(domain=groups, range=[PALETTE[0], "#767676"])
    )
    dash = alt.StrokeDash(
        f"{group}:N", title=None, sort=groups, scale=alt.Scale(domain=groups, range=[[1, 0], [5, 3]])
    )
    shape = alt.Shape(
        f"{group}:N", title=None, sort=groups, scale=alt.Scale(domain=groups, range=["circle", "square"])
    )
    tips = [
        alt.Tooltip(f"{x}:Q", title=x_title),
        alt.Tooltip(f"{y}:Q", title=y_title, format=".1f"),
        alt.Tooltip(f"{children}:N", title="Children behind the point"),
        alt.Tooltip(f"{group}:N", title=" "),
    ]
    if interval:
        tips[2:2] = [alt.Tooltip(f"{interval[0]}:Q", title="95% interval from", format=".1f"),
                     alt.Tooltip(f"{interval[1]}:Q", title="95% interval to", format=".1f")]  # fmt: skip
    line = (
        alt.Chart()
        .mark_line(point=True)
        .encode(x=x_enc, y=y_enc, color=colour, strokeDash=dash, shape=shape, tooltip=tips)
    )
    counts = (
        alt.Chart()
        .mark_text(dy=-12, fontSize=10 * scale, color=MUTED_TEXT)
        .encode(x=x_enc, y=y_enc, text=f"{children}:N")
        .transform_filter("datum.label_here === true")
    )
    layers: list[alt.Chart] = [line, counts]
    if interval and interval[0] in frame.columns and frame.get_column(interval[0]).drop_nulls().len():
        # One bar per point (not again on the repeated point that carries the line on), in its group's colour.
        bars = interval_bars(x_enc, *interval, colour=colour, status=status).encode(tooltip=tips)
        layers.insert(0, bars.transform_filter("datum.label_here === true"))
    if status and status in frame.columns and bool((frame.get_column(status) == "c").any()):
        layers.append(
            alt.Chart()
            .mark_text(text="c", fontWeight="bold", fontSize=13, color=C_COLOUR, baseline="bottom", dy=-3)
            .encode(x=x_enc, y=alt.YValue("height"))
            .transform_filter(f"datum['{status}'] === 'c'")
        )
    if marker is not None:
        at = alt.Chart(pl.DataFrame({"at": [marker[0]], "label": [marker[1]]}))
        layers.append(at.mark_rule(color=RULE, strokeDash=[1, 3]).encode(x=alt.X("at:Q")))
        layers.append(
            at.mark_text(align="left", baseline="top", dx=4, y=4, fontSize=11).encode(
                x=alt.X("at:Q"), text="label:N"
            )
        )
    hidden = bool(status and status in frame.columns and (frame.get_column(status) == "c").any())
    return finish(alt.layer(*layers, data=frame), title=title, subtitle=subtitle, hidden=hidden,
                  description=description, scale=scale, width=width, height=height)  # fmt: skip
