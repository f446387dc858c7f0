"""Chart images: PNG and SVG exports through vl-convert are valid images of the expected size, titled as on screen."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from datetime import date

import polars as pl
import pytest

from dashboard import charts
from dashboard.images import chart_png, chart_svg

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (it must be the first chunk)."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def svg_root(data: bytes) -> ET.Element:
    root = ET.fromstring(data.decode("utf-8"))
    assert root.tag == f"{SVG}svg"
    return root


def svg_text(root: ET.Element) -> str:
    return " ".join(t for el in root.iter(f"{SVG}text") for t in el.itertext())


@pytest.fixture
def line() -> object:
    frame = pl.DataFrame(
        {
            "week": [date(2025, 9, 1), date(2025, 9, 8), date(2025, 9, 15), date(2025, 9, 22)],
            "rate": [91.2, None, 89.5, 92.0],
            "status": ["shown", "c", "shown", "shown"],
        }
    )
    return charts.line_chart(
        frame, x="week", y="rate", status="status", title="Attendance rate by week",
        description="The share of sessions attended each week.", x_title="Week", y_title="Attendance (%)",
        width=400, height=200,
    )  # fmt: skip


@pytest.fixture
def bars() -> object:
    frame = pl.DataFrame({"term": ["Autumn", "Spring", "Summer"], "count": [12, 7, 9]})
    return charts.bar_chart(
        frame, x="term", y="count", title="Suspensions by term", description="Suspensions each term.",
        x_title="Term", y_title="Suspensions", width="container", height=250,
    )  # fmt: skip


@pytest.mark.parametrize(("width", "height", "scale"), [(600, 300, 1.0), (600, 300, 2.0), (900, 420, 1.5)])
def test_png_of_a_given_size_is_exactly_that_size_times_the_scale(line, width, height, scale) -> None:
    data = chart_png(line, scale, width=width, height=height)
    assert data[:8] == PNG_SIGNATURE
    assert png_size(data) == (round(width * scale), round(height * scale))


def test_svg_of_a_given_size_has_that_width_and_height_and_the_title(line) -> None:
    root = svg_root(chart_svg(line, width=600, height=300))
    assert (root.get("width"), root.get("height")) == ("600", "300")
    text = svg_text(root)
    assert "Attendance rate by week" in text
    # The suppressed week is a gap with the c note, as on screen.
    assert "c = hidden to protect children's privacy" in text


def test_default_png_is_the_on_screen_chart_at_twice_the_size_of_its_svg(bars) -> None:
    root = svg_root(chart_svg(bars))
    svg_w, svg_h = float(root.get("width")), float(root.get("height"))
    # A "container" width is drawn 720 px wide; axes, title and legend add their own room.
    assert svg_w >= 720 and svg_h >= 250
    assert png_size(chart_png(bars)) == (round(svg_w * 2), round(svg_h * 2))
    assert "Suspensions by term" in svg_text(root)


def test_story_charts_export_as_images(tmp_path) -> None:
    """Every key chart of the board's story renders to PNG and SVG (a tiny snapshot, so mostly c and gaps)."""
    from builders import child, make_snapshot, sessions

    from dashboard.story import build_story
    from data_access.filters import Filters
    from data_access.periods import academic_year
    from data_access.snapshots import open_snapshot

    kids = [child(f"C{i:02d}") for i in range(12)]
    attendance = [
        row for k in kids for row in sessions(k["child_id"], date(2025, 9, 8), ["/"] * 18 + ["N", "N"])
    ]
    folder = make_snapshot(tmp_path, "2026-01-20", children=kids, attendance=attendance)
    story = build_story(open_snapshot(folder), Filters(period=academic_year(2025)), public=True)
    for chart in story.charts:
        assert png_size(chart_png(chart.chart, 1.0, width=500, height=250)) == (500, 250)
        assert chart.title in svg_text(svg_root(chart_svg(chart.chart)))
