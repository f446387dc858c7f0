"""Chart images (PNG and SVG) through vl-convert, which renders Vega-Lite offline with no browser.

By default an image is the chart as drawn on screen (a ``"container"`` width becomes 720 px, and titles, axes
and legends add their own room; stacked panels fit 720 px). Given ``width`` and ``height``, the whole image — title, subtitle (where the
``c`` note sits), axes and legend included — is exactly that size, for slides and the board pack.
"""

from __future__ import annotations

import json
from typing import Any, Final

import altair as alt
import vl_convert as vlc

CONTAINER_WIDTH: Final = 720


def chart_svg(chart: alt.TopLevelMixin, *, width: int | None = None, height: int | None = None) -> bytes:
    """The chart as SVG, titled and footnoted as on screen."""
    return vlc.vegalite_to_svg(chart_spec(chart, width=width, height=height)).encode("utf-8")


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0, *, width: int | None = None,
              height: int | None = None) -> bytes:  # fmt: skip
    """The chart as PNG at ``scale`` × its size in pixels (2 for crisp slides and print)."""
    return bytes(vlc.vegalite_to_png(chart_spec(chart, width=width, height=height), scale=scale))


def _is_single_view(spec: dict[str, Any]) -> bool:
    """True for a single or layered view (the only kinds Vega-Lite can fit to a fixed size)."""
    return not any(key in spec for key in ("facet", "spec", "concat", "hconcat", "vconcat", "repeat"))


def chart_spec(chart: alt.TopLevelMixin, *, width: int | None = None, height: int | None = None) -> str:
    """The Vega-Lite JSON an image is drawn from, sized as described in the module docstring."""
    spec = chart.to_dict()
    if spec.get("width") == "container":
        spec["width"] = CONTAINER_WIDTH
    single = _is_single_view(spec)
    if single:
        spec.setdefault("width", CONTAINER_WIDTH)
    elif "vconcat" in spec and spec.get("autosize", {}).get("type") == "fit-x":
        # Stacked panels fit this width, as they fit the screen (where Streamlit sets each panel's width).
        spec["width"] = width or CONTAINER_WIDTH
        for panel in spec["vconcat"]:
            panel["width"] = spec["width"]
    if single and width is not None and height is not None:
        spec["width"], spec["height"] = width, height
        spec["autosize"] = {"type": "fit", "contains": "padding"}
    return json.dumps(spec)
