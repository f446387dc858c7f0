"""The figure registry is the one place a figure's facts are declared.

Every figure has every fact the next issues need (counts, interval method, direction), and no other module
of the data layer, the dashboard or the pages writes a registered figure's title, short label or unit as a
string of its own, or its direction of improvement.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from data_access.registry import BOARD_FIGURES, FIGURES, HEADLINES
from data_access.report import REPORT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    *sorted(p for folder in ("data_access", "dashboard", "pages") for p in (ROOT / folder).rglob("*.py")
            if p.name != "registry.py"),
    ROOT / "app.py",
]  # fmt: skip


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_has_every_fact(name: str) -> None:
    f = FIGURES[name]
    assert f.name == name and f.title and f.short_label and f.unit and f.definition and f.underlying_count
    assert f.kind in ("count", "rate", "percentage", "magnitude")
    assert f.counts in ("children", "referrals", "suspensions", "sessions")
    assert f.better in ("higher", "lower", None)
    # Contract 4.2: counts have no interval; shares of children are Wilson; rates per 100 are Poisson; rates of
    # sessions are the cluster ratio.
    expected = {"count": None, "magnitude": None, "rate": "poisson"}.get(f.kind)
    if f.kind == "percentage":
        expected = "cluster_ratio" if f.counts == "sessions" else "wilson"
    assert f.interval == expected
    assert (f.denominator is None) == (f.kind in ("count", "magnitude"))


def test_the_report_columns_and_headlines_come_from_the_registry() -> None:
    assert ("school_id", *BOARD_FIGURES) == REPORT_COLUMNS
    assert set(HEADLINES) <= set(BOARD_FIGURES)
    # Contract 4.3: lower is better for absence, referrals, suspensions and exclusions; higher for attendance
    # and improved; a count of children on the programme is a census with no direction.
    assert FIGURES["children"].better is None
    assert {n for n in BOARD_FIGURES if FIGURES[n].better == "higher"} == {
        "attendance_rate",
        "sdq_total_improved_pct",
    }


def test_no_title_short_label_or_unit_is_declared_outside_the_registry() -> None:
    facts: dict[str, str] = {}
    for f in FIGURES.values():
        # Only strings specific enough to be a declaration (a one-word title such as "Suspensions" or a unit such
        # as "children" is also ordinary wording).
        for kind, text in (("title", f.title), ("short label", f.short_label), ("unit", f.unit)):
            # "% of children" is also the unit of the SDQ band and attainment level shares on their charts.
            if " " in text and text != "% of children":
                facts.setdefault(text, f"{kind} of {f.name}")
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r} ({facts[text]})"
        for path in SOURCES
        for line, text in _strings(path)
        if text in facts
    ]
    assert not found, "figure facts written outside data_access/registry.py:\n" + "\n".join(found)


def test_no_direction_of_improvement_is_declared_outside_the_registry() -> None:
    found = []
    for path in SOURCES:
        for line, text in _strings(path):
            if text in ("higher is better", "lower is better") and path.name != "registry.py":
                found.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
        source = path.read_text(encoding="utf-8")
        for name in BOARD_FIGURES:
            for direction in ('"higher"', '"lower"'):
                if f'("{name}", {direction})' in source:
                    found.append(f"{path.relative_to(ROOT)}: ({name}, {direction})")
    assert not found, "directions written outside data_access/registry.py:\n" + "\n".join(found)
