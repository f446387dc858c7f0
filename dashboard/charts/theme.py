"""The one chart theme: colours that pass WCAG 2.2 contrast on white, type sizes, and the title block.

Every mark colour has a contrast of at least 3:1 against the white background (WCAG 1.4.11, non-text contrast)
and every text colour at least 4.5:1 (1.4.3); ``tests/test_chart_accessibility.py`` computes the ratios.
The palette is Okabe & Ito's (2008) colour-blind-safe set without the three colours lighter than 3:1 on white
(orange #E69F00, sky blue #56B4E9 and yellow #F0E442). Colour is never the only cue: the builders give each
series a shape and, on lines, a dash pattern as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import altair as alt

BACKGROUND: Final = "#FFFFFF"
# Blue 5.2:1, vermillion 3.9:1, bluish green 3.4:1, reddish purple 3.1:1, black 21:1 against white.
PALETTE: Final = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000")
SHAPES: Final = ("circle", "square", "triangle-up", "diamond", "cross")
DASHES: Final = ([1, 0], [6, 3], [2, 2], [10, 4, 2, 4], [1, 3])
TEXT: Final = "#1B1B1B"  # 17.2:1: axis, legend and panel labels, titles
MUTED_TEXT: Final = "#444444"  # 9.7:1: subtitles, reference-line labels
RULE: Final = "#555555"  # 7.5:1: comparator lines
GRID: Final = "#E3E7EB"  # gridlines are decoration, not information: exempt from 1.4.11
C_COLOUR: Final = "#6A1B9A"  # 9.4:1: the ``c`` of a hidden value
HIDDEN_FILL: Final = "#E6E6E6"  # a hidden heatmap cell; its ``c`` carries the meaning
FONT: Final = "Source Sans Pro, Arial, sans-serif"
SUPPRESSED_NOTE: Final = "c = hidden to protect children's privacy (not zero)"
MARK_COLOURS: Final = (*PALETTE, RULE, C_COLOUR)
TEXT_COLOURS: Final = (TEXT, MUTED_TEXT, C_COLOUR)


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of a ``#RRGGBB`` colour."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str = BACKGROUND) -> float:
    """WCAG 2.2 contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def theme(scale: float = 1.0) -> dict[str, Any]:
    """The dashboard's Vega-Lite config; ``scale`` enlarges type for the presentation view and PDFs.

    Every text colour is set here, so Streamlit's own chart theme (grey #808495 labels, 3.7:1) never shows.
    The legend sits on top in two columns, so it neither hides below a tall chart nor runs off a phone screen.
    """
    text = {"labelColor": TEXT, "titleColor": TEXT}
    return {
        "font": FONT,
        "background": BACKGROUND,
        "title": {"fontSize": 16 * scale, "anchor": "start", "color": TEXT, "subtitleFontSize": 12 * scale,
                  "subtitleColor": MUTED_TEXT, "offset": 10},
        "axis": {"labelFontSize": 12 * scale, "titleFontSize": 12 * scale, "gridColor": GRID, **text},
        "legend": {"labelFontSize": 12 * scale, "titleFontSize": 12 * scale, "orient": "top", "columns": 2,
                   "labelLimit": 200, **text},
        "header": {"labelFontSize": 13 * scale, "titleFontSize": 13 * scale, "labelFontWeight": "bold", **text},
        "text": {"color": TEXT},
        "range": {"category": list(PALETTE)},
        "view": {"stroke": None},
        "line": {"strokeWidth": 2.5 * scale},
        "point": {"size": 60 * scale, "filled": True},
    }  # fmt: skip


def subtitle_lines(subtitle: str | Sequence[str], hidden: bool) -> list[str]:
    """The subtitle as lines, with the ``c`` note last when a value is hidden."""
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    return [line for line in [*lines, SUPPRESSED_NOTE if hidden else ""] if line]


def finish(chart: alt.TopLevelMixin, *, title: str, subtitle: str | Sequence[str], hidden: bool,
           description: str, scale: float, width: int | str | None = None,
           height: int | alt.Step | None = None) -> alt.TopLevelMixin:  # fmt: skip
    """Title, subtitle, ``c`` note, accessible description (the SVG's aria-label) and theme, once for every chart.

    ``width``/``height`` are left unset for faceted and concatenated charts, whose panels carry their own size.
    """
    sizes = {k: v for k, v in (("width", width), ("height", height)) if v is not None}
    return chart.properties(
        title=alt.Title(title, subtitle=subtitle_lines(subtitle, hidden)), description=description, **sizes
    ).configure(**theme(scale))
