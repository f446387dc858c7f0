"""The layers every chart kind shares: the ``c`` marker of a hidden value, comparator lines, series encodings.

A suppressed value arrives as a null with a status of ``c``: no builder ever draws it as a value, and this one
``c`` layer marks its place instead. Comparators are dashed reference lines told apart by dash pattern and by a
label at their own place along the line, never by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

import altair as alt
import polars as pl

from dashboard.charts.theme import C_COLOUR, DASHES, MUTED_TEXT, PALETTE, RULE, SHAPES

COMPARATOR_DASHES: Final = {"England": [6, 3], "North West": [2, 2], "Wigan": [10, 4, 2, 4]}
# Where along the line each comparator's label sits (fraction of the width), and how it is anchored.
LABEL_PLACES: Final = {"Wigan": (0.01, "left"), "North West": (0.5, "center"), "England": (0.99, "right")}

Place = Literal["axis", "base", "left", "cell"]


def has_hidden(frame: pl.DataFrame, status: str | None) -> bool:
    """True when ``frame`` has a value hidden (status ``c``)."""
    return status is not None and status in frame.columns and bool((frame.get_column(status) == "c").any())


def shown_only(chart: alt.Chart, status: str | None) -> alt.Chart:
    """``chart`` restricted to rows whose value is shown (nulls are never drawn as values)."""
    return chart.transform_filter(f"datum['{status}'] !== 'c'") if status else chart


def c_layer(status: str, *, place: Place, **encoding: Any) -> alt.Chart:
    """A bold ``c`` at each hidden value's place, on the data of the layer it joins.

    ``place``: on the x ``"axis"`` (lines: at the value's x), at the ``"base"`` of a vertical bar (value 0) or the
    ``"left"`` end of a horizontal bar, or centred in a heatmap ``"cell"``. ``encoding`` gives the category position (and offset, for groups).
    """
    mark: dict[str, Any] = {"text": "c", "fontWeight": "bold", "fontSize": 13, "color": C_COLOUR}
    if place == "axis":
        mark |= {"baseline": "bottom", "dy": -3}
        encoding.setdefault("y", alt.YValue("height"))
    elif place == "base":
        mark |= {"baseline": "bottom", "dy": -3}
        encoding.setdefault("y", alt.datum(0))
    elif place == "left":
        mark |= {"align": "left", "baseline": "middle", "dx": 3}
        encoding.setdefault("x", alt.datum(0))
    else:
        mark |= {"baseline": "middle", "fontSize": 12}
    return alt.Chart().mark_text(**mark).encode(**encoding).transform_filter(f"datum['{status}'] === 'c'")


def comparator_layers(comparators: pl.DataFrame | None, *, only: str | None = None,
                      labelled: bool = True) -> list[alt.Chart]:  # fmt: skip
    """Dashed reference lines (one dash pattern per geography), each labelled at its own place along the line.

    ``only`` keeps one geography (e.g. England on small panels); ``labelled=False`` leaves the label to the
    subtitle where panels are too small for text.
    """
    if comparators is None or comparators.is_empty():
        return []
    rows = comparators.filter(pl.col("geography") == only) if only else comparators
    layers: list[alt.Chart] = []
    for index, row in enumerate(rows.iter_rows(named=True)):
        one = alt.Chart(pl.DataFrame({"value": [row["value"]], "label": [row["label"]]}))
        dash = COMPARATOR_DASHES.get(row["geography"], [4, 4])
        layers.append(one.mark_rule(color=RULE, strokeDash=dash, strokeWidth=1.5).encode(y="value:Q"))
        if labelled:
            place, align = LABEL_PLACES.get(row["geography"], (0.5 + 0.1 * index, "center"))
            layers.append(
                one.mark_text(align=align, baseline="bottom", dy=-3, color=MUTED_TEXT, fontSize=11).encode(
                    y="value:Q", x=alt.XValue(alt.ExprRef(f"width * {place}")), text="label:N"
                )
            )
    return layers


def series_names(frame: pl.DataFrame, series: str, order: Sequence[str] | None = None) -> list[str]:
    """The series in drawing order: ``order`` if given, else as they first appear in ``frame``."""
    return list(order) if order else frame.get_column(series).unique(maintain_order=True).to_list()


def series_encodings(series: str, names: Sequence[str], *, dashes: bool = False) -> dict[str, Any]:
    """Colour and shape (and dash pattern, for lines) by series, on one legend: never colour alone."""
    names = list(names)
    if len(names) > len(PALETTE):
        raise ValueError(f"at most {len(PALETTE)} series can be told apart, got {len(names)}")

    def scale(values: Sequence[Any]) -> alt.Scale:
        return alt.Scale(domain=names, range=list(values[: len(names)]))

    encodings: dict[str, Any] = {
        "color": alt.Color(f"{series}:N", title=None, sort=names, scale=scale(PALETTE)),
        "shape": alt.Shape(f"{series}:N", title=None, sort=names, scale=scale(SHAPES)),
    }
    if dashes:
        encodings["strokeDash"] = alt.StrokeDash(f"{series}:N", title=None, sort=names, scale=scale(DASHES))
    return encodings
