"""AppTest of the Attendance, School progress and About pages on a demo snapshot, for every allowed role.

Each page opens without an exception and shows its figure blocks; a councillor sees ``c`` where AllChild staff see
numbers; School progress shows exactly the ``report`` command's figures; About renders every definition.
"""

from __future__ import annotations

import pytest
from apptest_support import figure_keys, find_block, open_page, shown_table

from data_access.contract import CODE_CATEGORIES, MEASURES
from data_access.disclosure import format_shown
from data_access.periods import academic_year
from data_access.registry import FIGURES, measure_definition
from data_access.report import REPORT_COLUMNS, report_rows
from data_access.snapshots import Snapshot
from data_access.uncertainty import interval_text

ROLES = ("councillor", "commissioner", "allchild", "admin")
SNAPSHOT_DATE = "2026-11-20"
YEAR_2025 = academic_year(2025)
QUERY = {"period": "2025-26"}
ATTENDANCE_BLOCKS = [
    "weekly",
    "attendance_spc",
    "persistent_absence",
    "severe_absence",
    "absence_kinds",
    "around_enrolment",
]
PROGRESS_BLOCKS = ["progress_board", "school_trends", "sdq_bands", "sdq_movement", "attainment"]
SMALL_COUNTS = {"1", "2", "3", "4"}


def cells(at: object, keys: list[str]) -> list[str]:
    """Every cell of the figure columns of the given blocks' tables (key columns such as dates left out)."""
    skip = {"Week starting", "Week of academic year", "Series", "Term", "From", "To", "Month", "Starts", "School",
            "School id", "Month starting", "Months from enrolment", "Band", "Movement", "Subject", "Level"}  # fmt: skip
    return [v for key in keys for row in shown_table(at, key) for k, v in row.items() if k not in skip]  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ROLES)
def test_attendance_opens_for_every_role_with_all_its_figures(demo_env: Snapshot, role: str) -> None:
    at = open_page("attendance", role, QUERY)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    protected = role in ("councillor", "commissioner")
    # Week by week is for exact roles: a protected series has months as its points (contract 6, rule 6).
    blocks = [b for b in ATTENDANCE_BLOCKS if not (protected and b == "weekly")]
    assert figure_keys(at) == blocks
    shown = cells(at, blocks)
    if protected:
        assert any("calendar months" in c.value for c in at.caption)
        assert not SMALL_COUNTS & set(shown)
    else:
        assert "c" not in shown


@pytest.mark.parametrize("role", ["commissioner", "allchild", "admin"])
def test_school_progress_opens_for_every_allowed_role(demo_env: Snapshot, role: str) -> None:
    at = open_page("school_progress", role, QUERY)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert figure_keys(at) == PROGRESS_BLOCKS
    if role == "commissioner":
        assert not SMALL_COUNTS & set(cells(at, PROGRESS_BLOCKS))


def test_councillor_cannot_open_school_progress(demo_env: Snapshot) -> None:
    at = open_page("school_progress", "councillor", QUERY)
    assert not at.exception
    assert any("not available for your role" in e.value for e in at.error)
    assert figure_keys(at) == []


def test_councillor_sees_c_where_allchild_sees_numbers(demo_env: Snapshot) -> None:
    # One small school makes the by-term and monthly figures cover too few children for a councillor.
    query = {**QUERY, "school": "S07"}
    councillor = open_page("attendance", "councillor", query)
    allchild = open_page("attendance", "allchild", query)
    for key in ("persistent_absence",):  # (the weekly chart is for exact roles only)
        hidden = shown_table(councillor, key)
        exact = shown_table(allchild, key)
        assert len(hidden) == len(exact)
        pairs = [(h, e) for h_row, e_row in zip(hidden, exact, strict=True) for h, e in zip(h_row.values(),
                                                                                             e_row.values(), strict=True)]  # fmt: skip
        assert any(h == "c" and e not in ("c", "–") for h, e in pairs), key
        # Wherever the councillor sees a number it is the same number AllChild staff see.
        assert all(h == e for h, e in pairs if h not in ("c",))


@pytest.mark.parametrize("role", ["commissioner", "admin"])
def test_school_progress_table_equals_the_report(demo_env: Snapshot, role: str) -> None:
    at = open_page("school_progress", role, QUERY)
    shown = shown_table(at, "progress_board")
    report = report_rows(demo_env.folder, YEAR_2025.start, YEAR_2025.end, [], role, intervals=True)["rows"]
    assert len(shown) == len(report)
    names = dict(demo_env.schools.select("school_id", "school_name").iter_rows()) | {
        "all": "All selected schools"
    }
    for shown_row, report_row in zip(shown, report, strict=True):
        assert shown_row["School"] == names[report_row["school_id"]]
        values = list(shown_row.values())[1:]
        # Each figure as the report prints it, a rate with the report's --intervals 95% interval beside it.
        expected = [
            interval_text(report_row[name], (report_row[f"{name}_low"], report_row[f"{name}_high"]))
            if isinstance(report_row.get(f"{name}_low"), float)
            else format_shown(report_row[name])
            for name in REPORT_COLUMNS[1:]
        ]
        assert values == expected, report_row["school_id"]


def test_school_progress_sorts_by_the_chosen_figure(demo_env: Snapshot) -> None:
    at = open_page("school_progress", "allchild", QUERY)
    at.selectbox(key="progress_sort").select("attendance_rate").run()
    assert not at.exception
    rows = shown_table(at, "progress_board")
    rates = [float(r["Attendance rate"].split(" ")[0]) for r in rows[:-1]]
    assert rates == sorted(rates, reverse=True)
    assert rows[-1]["School"] == "All selected schools"
    at.radio(key="progress_sort_order").set_value("Lowest first").run()
    rates = [float(r["Attendance rate"].split(" ")[0]) for r in shown_table(at, "progress_board")[:-1]]
    assert rates == sorted(rates)


@pytest.mark.parametrize("role", ROLES)
def test_about_renders_every_definition_for_every_role(demo_env: Snapshot, role: str) -> None:
    at = open_page("about", role)
    assert not at.exception, [e.value for e in at.exception]
    text = "\n".join(m.value for m in at.markdown)
    for definition in FIGURES.values():
        assert definition.title in text
        assert definition.definition in text
    for measure in MEASURES:
        assert measure_definition(measure) in text
    codes = find_block(at.main, "about_codes").dataframe[0].value
    assert list(codes["Category"]) == list(CODE_CATEGORIES)
    manifest = find_block(at.main, "about_manifest").dataframe[0].value
    assert dict(zip(manifest["File"], manifest["Rows"], strict=True)) == {
        name: entry["rows"] for name, entry in demo_env.manifest["files"].items()
    }
    sources = find_block(at.main, "about_comparators").dataframe[0].value
    assert {"England", "North West", "Wigan"} <= set(sources["Area"])
    assert "2 December 2026" in text and "Okabe" in text  # the date of the checks, the palette
