"""What changed between snapshots (``data_access.compare``) and the Snapshots page, on hand-built snapshots."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import cellkey_oracle
import pytest
from apptest_support import shown_table
from builders import child, make_snapshot, school, sessions
from test_publish import NEW_DATE, OLD_DATE, broken_snapshot, good_snapshot
from test_resilience import OLD_AS_OF, captions, open_page, refusal_banners, site  # noqa: F401 - fixture

from data_access.compare import compare_board
from data_access.filters import Filters
from data_access.periods import custom
from data_access.snapshots import Snapshot, forget_cached, open_snapshot

YEAR = custom(date(2025, 8, 1), date(2026, 7, 31))
REFUSED_DATE = "2027-01-08"


def _referrals(child_ids: list[str]) -> list[dict[str, Any]]:
    return [
        {"referral_id": f"R-{cid}", "child_id": cid, "referral_date": date(2025, 10, 6), "service": "camhs",
         "reason": "mental_health"}
        for cid in child_ids
    ]  # fmt: skip


def before_and_after(root: Path) -> tuple[Snapshot, Snapshot]:
    """Two snapshots with known differences.

    Before: S01 has 12 children attending 3 sessions in 4 (75.0%) and 6 referrals; S02 has 3 children and 1.
    After: S01's children attend every session (100.0%) and have 7 referrals; S02 has 6 children and 2
    referrals; a new school S03 has 10 children and none.
    """
    s01 = [f"A{i:02d}" for i in range(12)]
    before = make_snapshot(
        root, OLD_DATE,
        schools=[school("S01"), school("S02")],
        children=[child(c) for c in s01] + [child(f"B{i:02d}", school_id="S02") for i in range(3)],
        attendance=[row for c in s01 for row in sessions(c, date(2025, 9, 1), ["/", "/", "/", "N"])],
        referrals=_referrals([*s01[:6], "B00"]),
    )  # fmt: skip
    after = make_snapshot(
        root, NEW_DATE,
        schools=[school("S01"), school("S02"), school("S03")],
        children=[child(c) for c in s01] + [child(f"B{i:02d}", school_id="S02") for i in range(6)]
        + [child(f"D{i:02d}", school_id="S03") for i in range(10)],
        attendance=[row for c in s01 for row in sessions(c, date(2025, 9, 1), ["/", "/", "/", "/"])],
        referrals=_referrals([*s01[:7], "B00", "B01"]),
    )  # fmt: skip
    forget_cached()
    return open_snapshot(before), open_snapshot(after)


def cells(rows: list[dict[str, Any]], figure: str) -> dict[str, tuple[Any, Any, Any]]:
    return {r["school_id"]: (r["before"], r["after"], r["change"]) for r in rows if r["figure"] == figure}


def test_exact_figures_before_after_and_change_for_allchild(tmp_path: Path) -> None:
    before, after = before_and_after(tmp_path)
    rows = compare_board(before, after, Filters(period=YEAR), "allchild").rows()
    assert cells(rows, "children") == {
        "S01": (12, 12, 0), "S02": (3, 6, 3), "S03": ("not in snapshot", 10, None), "all": (15, 28, 13),
    }  # fmt: skip
    assert cells(rows, "attendance_rate") == {
        "S01": (75.0, 100.0, 25.0), "S02": (None, None, None), "S03": ("not in snapshot", None, None),
        "all": (75.0, 100.0, 25.0),
    }  # fmt: skip
    assert cells(rows, "mental_health_referrals") == {
        "S01": (6, 7, 1), "S02": (1, 2, 1), "S03": ("not in snapshot", 0, None), "all": (7, 9, 2),
    }  # fmt: skip
    assert [r["figure"] for r in rows][:4] == ["children"] * 4  # board order, then school order with all last


def test_disclosure_control_is_applied_to_both_sides_before_any_change(tmp_path: Path) -> None:
    before, after = before_and_after(tmp_path)
    comparison = compare_board(before, after, Filters(period=YEAR), "councillor")
    rows = comparison.rows()
    # Each side is what the cell key method publishes for its records (tests/cellkey_oracle.py, from the
    # contract); the same records give the same value on both sides (S01's 12 children), and a change is
    # worked out only between two shown values.
    s01 = [f"A{i:02d}" for i in range(12)]
    b_before, b_after, d_after = (
        [f"B{i:02d}" for i in range(3)],
        [f"B{i:02d}" for i in range(6)],
        [f"D{i:02d}" for i in range(10)],
    )

    def side(table: str, ids: list[str]) -> Any:
        return cellkey_oracle.published(table, [f"R-{i}" for i in ids] if table == "referrals" else ids)

    def expected(table: str, before_ids: list[str], after_ids: list[str] | None) -> tuple[Any, Any, Any]:
        old = side(table, before_ids)
        new = side(table, after_ids) if after_ids is not None else None
        change = None if "c" in (old, new) or new is None else new - old
        return old, new, change

    children = cells(rows, "children")
    assert children["S01"] == expected("children", s01, s01)
    assert children["S01"][2] in (0, None)  # the same children: the same published count
    assert children["S02"] == expected("children", b_before, b_after)
    assert children["S03"] == ("not in snapshot", side("children", d_after), None)
    assert children["all"] == expected("children", s01 + b_before, s01 + b_after + d_after)
    referrals = cells(rows, "mental_health_referrals")
    assert referrals["S01"] == expected("referrals", s01[:6], s01[:7])
    assert referrals["S02"] == expected("referrals", ["B00"], ["B00", "B01"])
    assert referrals["all"] == expected("referrals", [*s01[:6], "B00"], [*s01[:7], "B00", "B01"])
    assert side("children", b_before) == "c"  # S02's 3 children are hidden before
    # Attendance (sessions) is exact, shown where S01's published children reach 10 (rule 4).
    published_s01 = side("children", s01)
    if published_s01 != "c" and published_s01 >= 10:
        assert cells(rows, "attendance_rate")["S01"] == (75.0, 100.0, 25.0)
    for row in rows:  # never a change worked out from a hidden number
        if "c" in (row["before"], row["after"]):
            assert row["change"] is None
    assert comparison.has_suppressed_values and comparison.suppressed
    assert "c" in comparison.display()["before"].to_list()


def test_public_comparison_is_suppressed_whatever_the_role(tmp_path: Path) -> None:
    before, after = before_and_after(tmp_path)
    public = compare_board(before, after, Filters(period=YEAR), "admin", public=True).rows()
    councillor = compare_board(before, after, Filters(period=YEAR), "councillor").rows()
    assert public == councillor


def test_comparing_named_schools_including_one_only_the_later_snapshot_has(tmp_path: Path) -> None:
    before, after = before_and_after(tmp_path)
    filters = Filters(period=YEAR, schools=("S02", "S03"))
    rows = compare_board(before, after, filters, "allchild").rows()
    assert cells(rows, "children") == {
        "S02": (3, 6, 3),
        "S03": ("not in snapshot", 10, None),
        "all": (3, 16, 13),
    }


def test_display_signs_changes_and_marks_hidden_values(tmp_path: Path) -> None:
    before, after = before_and_after(tmp_path)
    shown = compare_board(before, after, Filters(period=YEAR), "allchild").display()
    children = shown.filter(shown["figure"] == "children").rows(named=True)
    assert [(r["school_id"], r["before"], r["after"], r["change"]) for r in children] == [
        ("S01", "12", "12", "0"), ("S02", "3", "6", "+3"), ("S03", "not in snapshot", "10", "–"),
        ("all", "15", "28", "+13"),
    ]  # fmt: skip


# --- the page --------------------------------------------------------------------------------------------


@pytest.fixture
def history(site: Path) -> Path:  # noqa: F811 - the fixture imported above
    """The site's root with a good older snapshot, a good newer one and a refused newest one."""
    good_snapshot(site, NEW_DATE, n_children=14)
    broken_snapshot(site, "orphan reference", REFUSED_DATE)
    return site


@pytest.mark.parametrize("role", ["councillor", "commissioner"])
def test_the_page_is_for_leadership_only(history: Path, role: str) -> None:
    at = open_page("snapshots", role)
    assert not at.exception
    assert any("not available for your role" in str(e.value) for e in at.error)
    assert not at.dataframe


@pytest.mark.parametrize("role", ["allchild", "admin"])
def test_every_snapshot_is_listed_with_its_status(history: Path, role: str) -> None:
    at = open_page("snapshots", role)
    assert not at.exception, at.exception
    listing = next(d.value for d in at.dataframe if "Folder" in d.value.columns)
    rows = {r["Folder"]: r for r in listing.to_dict(orient="records")}
    assert list(rows) == [REFUSED_DATE, NEW_DATE, OLD_DATE]
    assert rows[NEW_DATE]["Status"] == "served now" and rows[NEW_DATE]["Children rows"] == "14"
    assert rows[OLD_DATE]["Status"] == "valid" and rows[OLD_DATE]["Children rows"] == "12"
    assert rows[REFUSED_DATE]["Status"].startswith("refused (1 broken rule")
    assert any(f"Snapshot {REFUSED_DATE} was refused" in e.label for e in at.expander)
    assert any("[orphan-reference] suspensions.parquet, column child_id" in str(c.value) for c in at.code)


def test_choosing_an_earlier_snapshot_and_going_back(history: Path) -> None:
    at = open_page("snapshots", "allchild")
    at.selectbox(key="snapshot_choice").select(OLD_DATE)
    at.button(key="snapshot_view").click().run()
    assert not at.exception, at.exception
    assert at.query_params["snapshot"] == [OLD_DATE] or at.query_params["snapshot"] == OLD_DATE
    assert f"Data as of **{OLD_AS_OF}** — **an earlier snapshot**" in captions(at)
    assert f"[Overview](overview?snapshot={OLD_DATE})" in "\n".join(str(m.value) for m in at.markdown)
    at.button(key="snapshot_back").click().run()
    assert not at.exception, at.exception
    assert "snapshot" not in at.query_params
    assert "an earlier snapshot" not in captions(at)


def test_an_earlier_snapshot_from_a_link(history: Path) -> None:
    at = open_page("overview", "allchild", {"snapshot": OLD_DATE})
    assert not at.exception, at.exception
    assert f"Data as of **{OLD_AS_OF}** — **an earlier snapshot**" in captions(at)
    assert refusal_banners(at)  # the refusal is still reported while looking back


def test_what_changed_table_on_the_page(history: Path) -> None:
    at = open_page("snapshots", "allchild")
    assert at.selectbox(key="compare_before").value == OLD_DATE
    assert at.selectbox(key="compare_after").value == NEW_DATE
    table = shown_table(at, "compare")
    total = next(
        r
        for r in table
        if r["Figure"] == "Children on the programme" and r["School"] == "All selected schools"
    )
    assert (total["Before (20 Nov 2026)"], total["After (18 Dec 2026)"], total["Change"]) == (
        "12",
        "14",
        "+2",
    )

    at.toggle(key="compare_public").set_value(True).run()
    assert not at.exception, at.exception
    table = shown_table(at, "compare")
    for row in table:
        if "c" in (row["Before (20 Nov 2026)"], row["After (18 Dec 2026)"]):
            assert row["Change"] == "–"

    at.toggle(key="compare_only_changed").set_value(True).run()
    changes = [row["Change"] for row in shown_table(at, "compare")]
    assert changes and "0" not in changes and "0.0" not in changes

    at.selectbox(key="compare_after").select(OLD_DATE).run()
    assert any("two different snapshots" in str(i.value) for i in at.info)


def test_one_snapshot_only_has_nothing_to_compare(site: Path) -> None:  # noqa: F811 - the fixture imported above
    at = open_page("snapshots", "admin")
    assert not at.exception, at.exception
    assert any("nothing to compare" in str(i.value) for i in at.info)
