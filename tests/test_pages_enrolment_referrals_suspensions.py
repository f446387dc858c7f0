"""AppTest of the Enrolment, Referrals and Suspensions pages on the demo snapshot, for every role.

Each page must open without an exception, show its figure blocks, never show a count from 1 to 4 to a role
whose figures are suppressed, and show the same numbers as ``data_access`` (and the ``report`` command).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from apptest_support import figure_keys, open_page, shown_table

from data_access import enrolment, views
from data_access.disclosure import format_shown
from data_access.filters import Filters
from data_access.periods import academic_year
from data_access.report import report_rows
from data_access.snapshots import Snapshot
from data_access.uncertainty import interval_text

ROLES = ("councillor", "commissioner", "allchild", "admin")
SUPPRESSED_ROLES = ("councillor", "commissioner")
SNAPSHOT_DATE = "2026-11-20"
YEAR_2025 = academic_year(2025)
PAGES = {
    "enrolment": ["funnel", "enrolments_by_month", "children_by_year_group", "children_by_sex", "children_by_fsm",
                  "children_by_sen", "exits_by_reason"],
    "referrals": ["referrals_by_service", "referrals_by_reason", "mh_year_on_year", "mh_by_school"],
    "suspensions": ["suspensions_by_term", "sessions_lost_by_term", "suspensions_per_100_by_year",
                    "exclusions_per_100_by_year", "suspensions_by_school"],
}  # fmt: skip
SMALL_COUNTS = {"1", "2", "3", "4"}


def all_cells(at: object, keys: list[str]) -> list[str]:
    """Every cell of every figure block's table on the page."""
    return [value for key in keys for row in shown_table(at, key) for value in row.values()]  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(PAGES))
def test_every_role_opens_the_page_with_all_its_figures(demo_env: Snapshot, page: str, role: str) -> None:
    at = open_page(page, role, {"period": "2025-26"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    keys = figure_keys(at)
    expected_keys = PAGES[page]
    if page == "referrals" and role not in SUPPRESSED_ROLES:
        # The month-by-month (SPC) chart: for exact roles only at the demo's size (most months would be c).
        expected_keys = [*expected_keys[:3], "mh_spc", *expected_keys[3:]]
    assert keys == expected_keys
    cells = all_cells(at, keys)
    if role in SUPPRESSED_ROLES:
        assert not SMALL_COUNTS & set(cells), "a count from 1 to 4 is shown to a suppressed role"
        assert "c" in cells  # the demo snapshot is small enough that something is always hidden
    else:
        assert "c" not in cells  # leadership sees exact figures


@pytest.mark.parametrize("role", ["councillor", "allchild"])
def test_referrals_by_school_equal_the_report(demo_env: Snapshot, demo_root: Path, role: str) -> None:
    at = open_page("referrals", role, {"period": "2025-26"})
    shown = shown_table(at, "mh_by_school")
    report = report_rows(demo_root / SNAPSHOT_DATE, YEAR_2025.start, YEAR_2025.end, [], role, intervals=True)[
        "rows"
    ]
    assert len(shown) == len(report)
    for row, expected in zip(shown, report, strict=True):
        assert row["Mental health referrals"] == format_shown(expected["mental_health_referrals"])
        assert row["Children in scope"] == format_shown(expected["children"])
        rate = row["Mental health referrals per 100 children"]
        name = "mental_health_referrals_per_100"
        # the page also hides a rate whose count is hidden; otherwise it is the report's, with its 95% interval
        assert rate == interval_text(expected[name], (expected[f"{name}_low"], expected[f"{name}_high"])) or (
            rate == "c" and row["Mental health referrals"] == "c"
        )
    year = shown_table(at, "mh_year_on_year")[-1]
    assert year["Mental health referrals"] == format_shown(report[-1]["mental_health_referrals"])


@pytest.mark.parametrize("role", ["commissioner", "admin"])
def test_suspensions_by_school_equal_the_report(demo_env: Snapshot, demo_root: Path, role: str) -> None:
    at = open_page("suspensions", role, {"period": "2025-26"})
    shown = shown_table(at, "suspensions_by_school")
    report = report_rows(demo_root / SNAPSHOT_DATE, YEAR_2025.start, YEAR_2025.end, [], role)["rows"]
    for row, expected in zip(shown, report, strict=True):
        assert row["Suspensions"] == format_shown(expected["suspensions"])
        assert row["Permanent exclusions"] == format_shown(expected["permanent_exclusions"])


@pytest.mark.parametrize("role", ["councillor", "admin"])
def test_enrolment_figures_equal_data_access(demo_env: Snapshot, demo_root: Path, role: str) -> None:
    snapshot = demo_env
    at = open_page("enrolment", role, {"period": "2025-26"})
    filters = Filters(period=YEAR_2025)
    funnel = views.funnel_table(snapshot, filters, role, YEAR_2025.end).display()
    assert [list(r.values())[1:] for r in shown_table(at, "funnel")] == [list(r[1:]) for r in funnel.rows()]
    in_scope = shown_table(at, "children_by_year_group")[-1]
    report = report_rows(demo_root / SNAPSHOT_DATE, YEAR_2025.start, YEAR_2025.end, [], role)["rows"]
    assert in_scope["Children"] == format_shown(report[-1]["children"])
    exits = views.exits_by_reason(snapshot, filters, role).display()
    assert [r["Children"] for r in shown_table(at, "exits_by_reason")] == exits["exits"].to_list()


def test_changing_the_as_at_date_redraws_the_funnel(demo_env: Snapshot) -> None:
    at = open_page("enrolment", "admin", {"period": "2025-26"})
    assert at.date_input(key="enrolment_as_at").value == YEAR_2025.end
    as_at = date(2025, 1, 31)
    at.date_input(key="enrolment_as_at").set_value(as_at).run()
    assert not at.exception
    expected = views.funnel_table(demo_env, Filters(period=YEAR_2025), "admin", as_at).rows()[-1]
    shown = shown_table(at, "funnel")[-1]
    assert (shown["Identified"], shown["Enrolled"], shown["Active"], shown["Completed"]) == tuple(
        str(expected[s]) for s in ("identified", "enrolled", "active", "completed")
    )
    monthly = shown_table(at, "enrolments_by_month")
    assert monthly[-2]["Month"] == "Jan 2025" and monthly[-1]["Month"] == "Total"


def test_the_as_at_date_defaults_to_the_snapshot_date_for_the_current_year(demo_env: Snapshot) -> None:
    at = open_page("enrolment", "allchild")
    assert at.date_input(key="enrolment_as_at").value == date.fromisoformat(SNAPSHOT_DATE)


@pytest.mark.parametrize("page", list(PAGES))
def test_an_empty_selection_shows_a_message_not_figures(demo_env: Snapshot, page: str) -> None:
    query = {
        "period": "2025-26",
        "year": ["0"],
        "school": ["S02"],
    }  # a secondary school has no Reception child
    assert enrolment.children_in_scope(
        demo_env, Filters(period=YEAR_2025, schools=("S02",), year_groups=(0,))
    ).is_empty()
    at = open_page(page, "commissioner", query)
    assert not at.exception
    assert any("No children on the programme match these filters" in i.value for i in at.info)
    assert figure_keys(at) == []
