"""Panels: one small chart per value of a column (a school, a subject), stacked so they reflow to any width.

Vega-Lite facets have a fixed pixel width, so a row of them scrolls sideways at 200% zoom or on a phone.
Panels are instead a vertical concatenation fitted to the width (``autosize: fit-x``): Streamlit sets each
panel to the container's width, and an image export to ``dashboard.images.CONTAINER_WIDTH``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import altair as alt
import polars as pl

from dashboard.charts.theme import TEXT

PANEL_WIDTH: Final = (
    600  # replaced by the container's width on screen; fit-x shrinks panels to the image width
)
FIT_WIDTH: Final = {"type": "fit-x", "contains": "padding"}


def panels(layers: Sequence[alt.Chart], frame: pl.DataFrame, *, by: str, order: Sequence[str],
           height: int | alt.Step, scale: float = 1.0) -> alt.VConcatChart:  # fmt: skip
    """One layered panel per value of ``by`` (in ``order``), titled with it, sharing both axes."""
    stack = [
        alt.layer(*layers, data=frame.filter(pl.col(by) == name)).properties(
            title=alt.Title(name, fontSize=13 * scale, fontWeight="bold", color=TEXT, anchor="start"),
            width=PANEL_WIDTH,
            height=height,
        )
        for name in order
    ]
    return (
        alt.vconcat(*stack, spacing=14).resolve_scale(x="shared", y="shared").properties(autosize=FIT_WIDTH)
    )
