"""Chart images (PNG and SVG) through vl-convert, which renders Vega-Lite offline with no browser."""

from __future__ import annotations

import altair as alt
import vl_convert as vlc


def chart_svg(chart: alt.TopLevelMixin) -> bytes:
    """The chart as SVG, titled and footnoted as on screen (a "container" width becomes 720 px)."""
    return vlc.vegalite_to_svg(_spec(chart)).encode("utf-8")


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as PNG at ``scale`` × its size in pixels (2 for crisp slides and print)."""
    return bytes(vlc.vegalite_to_png(_spec(chart), scale=scale))


def _spec(chart: alt.TopLevelMixin) -> str:
    spec = chart.to_dict()
    if spec.get("width") == "container":
        spec["width"] = 720
    if "facet" not in spec and "spec" not in spec:
        spec.setdefault("width", 720)
    import json

    return json.dumps(spec)
