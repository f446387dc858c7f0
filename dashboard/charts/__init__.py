"""Altair chart builders by kind, in one theme: pure functions, a shown frame in and a chart out.

* ``bar_chart`` — vertical or horizontal bars, one series or grouped, optionally one panel per facet value;
* ``line_chart`` — lines over dates, labels or numbers, one or several series;
* ``small_multiples`` — one small line chart per school (or other facet), stacked to reflow;
* ``heatmap`` — a grid of labelled cells.

Shared by all: ``theme`` (colours that pass WCAG contrast, the title block and accessible description) and
``layers`` (the one ``c`` layer for a hidden value, comparator lines, series encodings that never rely on colour
alone). Builders are deterministic, so a chart's spec can be cached by the value of its inputs.
"""

from dashboard.charts.bars import bar_chart
from dashboard.charts.frames import long_form
from dashboard.charts.heatmap import heatmap
from dashboard.charts.layers import comparator_layers
from dashboard.charts.lines import line_chart, small_multiples, sparkline
from dashboard.charts.theme import PALETTE, SUPPRESSED_NOTE, contrast_ratio, theme

__all__ = [
    "PALETTE",
    "SUPPRESSED_NOTE",
    "bar_chart",
    "comparator_layers",
    "contrast_ratio",
    "heatmap",
    "line_chart",
    "long_form",
    "small_multiples",
    "sparkline",
    "theme",
]
