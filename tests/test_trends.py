"""The trend and distribution figures of ``data_access.trends`` on tiny snapshots, with answers worked out by hand.

The arithmetic in the comments is the second, independent reading of the definitions in the module docstring.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from builders import child, make_snapshot, school, sessions
from cellkey_oracle import published

from data_access import assessments as asm
from data_access import attendance as att
from data_access import views
from data_access.filters import Filters, SelectionRefused
from data_access.periods import academic_year, custom
from data_access.snapshots import Snapshot, open_snapshot

YEAR = academic_year(2025)  # 1 Aug 2025 – 31 Jul 2026
MON = date(2025, 9, 1)  # a Monday, week 5 of academic year 2025/26
BASE_MON = date(2024, 9, 2)  # a Monday, week 5 of academic year 2024/25


def build(tmp_path: Path, **tables: Any) -> Snapshot:
    """Write a valid tiny snapshot and open it through validation."""
    tables.setdefault("schools", [school("S01"), school("S02")])
    return open_snapshot(make_snapshot(tmp_path, **tables))


def rows_by(table: Any, *keys: str) -> dict[Any, dict[str, Any]]:
    """Shown rows keyed by the given key columns."""
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in table.rows()}


def score(child_id: str, day: date, wave: str, measure: str, value: float) -> dict[str, Any]:
    return {"child_id": child_id, "assessment_date": day, "wave": wave, "measure": measure, "score": value}


# ------------------------------------------------------------------------------------------------ weekly


def test_academic_week_lines_up_the_first_week_of_september_across_years() -> None:
    # 1 Aug 2025 is a Friday: week 0 starts Monday 28 Jul 2025; Monday 1 Sep 2025 is 35 days on → week 5.
    # 1 Aug 2024 is a Thursday: week 0 starts Monday 29 Jul 2024; Monday 2 Sep 2024 is 35 days on → week 5.
    # 1 Aug 2026 is a Saturday: the week of Monday 27 Jul 2026 holds it (its Sunday is 2 Aug) → week 0.
    assert att.academic_week_of(MON) == 5
    assert att.academic_week_of(BASE_MON) == 5
    assert att.academic_week_of(date(2026, 7, 27)) == 0
    assert att.academic_week_of(date(2026, 7, 20)) == 51  # last week of 2025/26: (20 Jul − 28 Jul 2025) ÷ 7
    frame = pl.DataFrame({"w": [MON, BASE_MON, date(2026, 7, 27), date(2026, 7, 20)]})
    assert frame.select(att.academic_week(pl.col("w"))).to_series().to_list() == [5, 5, 0, 51]


def weekly_snapshot(tmp_path: Path) -> Snapshot:
    # A and B enrolled Monday 1 Sep 2025.
    # Week of 1 Sep: A 8 present + 2 unauthorised, B 10 present → 18 ÷ 20 = 90.0%.
    # Week of 8 Sep: A 10 present, B 5 present + 5 authorised → 15 ÷ 20 = 75.0%.
    # A's baseline: week of 2 Sep 2024 (week 5, inside 1 Sep 2024 – 31 Aug 2025) 5 present + 5 absent → 50.0%.
    # A also has a week in Aug 2024 (before the 12 months): not in the baseline.
    enrolled = {"enrolled_date": MON, "identified_date": date(2025, 7, 1)}
    attendance = (
        sessions("A", MON, ["/"] * 8 + ["N"] * 2)
        + sessions("A", MON + timedelta(days=7), ["/"] * 10)
        + sessions("B", MON, ["/"] * 10)
        + sessions("B", MON + timedelta(days=7), ["/"] * 5 + ["C"] * 5)
        + sessions("A", BASE_MON, ["/"] * 5 + ["N"] * 5)
        + sessions("A", date(2024, 8, 19), ["N"] * 10)
    )
    return build(tmp_path, children=[child("A", **enrolled), child("B", **enrolled)], attendance=attendance)


def test_weekly_rate_and_baseline_aligned_by_week_of_the_academic_year(tmp_path: Path) -> None:
    snap = weekly_snapshot(tmp_path)
    table = views.weekly_attendance(snap, Filters(period=YEAR), "allchild")
    shown = rows_by(table, "week_start", "series")
    assert shown[(MON, att.THIS_PERIOD)]["attendance_rate"] == 90.0
    assert shown[(MON + timedelta(days=7), att.THIS_PERIOD)]["attendance_rate"] == 75.0
    # The baseline of week 5 sits under the period's week 5; week 6 has no baseline session: nothing to compute.
    assert shown[(MON, att.BASELINE)]["attendance_rate"] == 50.0
    assert shown[(MON, att.BASELINE)]["academic_week"] == 5
    assert shown[(MON + timedelta(days=7), att.BASELINE)]["attendance_rate"] is None
    # Only weeks between the first and last with data: two weeks × two series.
    assert table.frame.height == 4


def test_weekly_points_are_refused_for_protected_outputs_and_exact_for_allchild(tmp_path: Path) -> None:
    # Contract section 6, rule 6: a protected series has calendar months as its points, never weeks.
    snap = weekly_snapshot(tmp_path)
    filters = Filters(period=YEAR)
    for role, public in (("councillor", False), ("commissioner", False), ("allchild", True)):
        with pytest.raises(SelectionRefused, match="calendar months"):
            views.weekly_attendance(snap, filters, role, public=public)
    exact = views.weekly_attendance(snap, filters, "allchild")
    assert not exact.has_suppressed_values
    assert {r["attendance_rate"] for r in exact.rows()} - {None}  # shown, exact values


def test_baseline_takes_only_weeks_wholly_within_the_12_months_before_enrolment(tmp_path: Path) -> None:
    # C enrolled Wednesday 10 Sep 2025: baseline window 10 Sep 2024 – 9 Sep 2025.
    # Week of Mon 9 Sep 2024 starts before the window → out. Week of Mon 16 Sep 2024 → in (4 present of 10).
    # Week of Mon 8 Sep 2025 holds the enrolment day → not baseline (it is in the period's series instead).
    enrolled = date(2025, 9, 10)
    attendance = (
        sessions("C", date(2024, 9, 9), ["N"] * 10)
        + sessions("C", date(2024, 9, 16), ["/"] * 4 + ["N"] * 6)
        + sessions("C", date(2025, 9, 8), ["/"] * 10)
    )
    snap = build(tmp_path, children=[child("C", enrolled_date=enrolled, identified_date=enrolled)],
                 attendance=attendance)  # fmt: skip
    table = views.weekly_attendance(snap, Filters(period=YEAR), "admin")
    baseline = {r["academic_week"]: r["attendance_rate"] for r in table.rows() if r["series"] == att.BASELINE}
    # 16 Sep 2024 is week 7 of 2024/25 (29 Jul + 49 days); it lines up with Monday 15 Sep 2025, week 7 of 2025/26.
    assert att.academic_week_of(date(2024, 9, 16)) == 7
    assert baseline[7] == 40.0
    assert baseline[6] is None  # the period's week of 8 Sep 2025: week 6 of 2024/25 (9 Sep 2024) was left out
    current = {r["week_start"]: r["attendance_rate"] for r in table.rows() if r["series"] == att.THIS_PERIOD}
    assert current[date(2025, 9, 8)] == 100.0


def test_period_buckets_are_exact_at_the_ends_of_a_custom_period(tmp_path: Path) -> None:
    # A custom period Wednesday 3 Sep – Tuesday 9 Sep 2025 cuts two buckets: the same sums as attendance_by_child.
    snap = weekly_snapshot(tmp_path)
    period = custom(date(2025, 9, 3), date(2025, 9, 9))
    idx = snap.children.get_column("child_idx")
    ours = (
        att.period_buckets(snap, period, idx).group_by("child_idx").agg(pl.col("present", "possible").sum())
    )
    theirs = att.attendance_by_child(snap, period, idx).select("child_idx", "present", "possible")
    assert ours.collect().sort("child_idx").equals(theirs.sort("child_idx"))
    # By hand, A: Wed–Fri of week 1 = 6 sessions (4 present: sessions 5–8 are "/", 9–10 "N"), Mon–Tue of week 2 = 4.
    a = ours.collect().sort("child_idx").row(0, named=True)
    assert (a["present"], a["possible"]) == (8, 10)


# ------------------------------------------------------------------------------------------------ around enrolment


def test_attendance_around_enrolment_lines_children_up_on_their_enrolment_month(tmp_path: Path) -> None:
    # X enrolled 15 Oct 2025: Sep 2025 is month −1 (6 of 10 present), Nov 2025 month +1 (10 of 10).
    # Y enrolled 5 Jan 2026: Dec 2025 is month −1 (4 of 10 present), Feb 2026 month +1 (10 of 10).
    # Month −1: (6 + 4) ÷ 20 = 50.0%; month +1: 20 ÷ 20 = 100.0%; month 0 has no sessions: nothing to compute.
    attendance = (
        sessions("X", date(2025, 9, 15), ["/"] * 6 + ["N"] * 4)
        + sessions("X", date(2025, 11, 3), ["/"] * 10)
        + sessions("Y", date(2025, 12, 1), ["/"] * 4 + ["C"] * 6)
        + sessions("Y", date(2026, 2, 2), ["/"] * 10)
    )
    children = [
        child("X", identified_date=date(2025, 10, 1), enrolled_date=date(2025, 10, 15)),
        child("Y", identified_date=date(2026, 1, 1), enrolled_date=date(2026, 1, 5)),
    ]
    snap = build(tmp_path, children=children, attendance=attendance)
    shown = rows_by(views.attendance_around_enrolment(snap, Filters(period=YEAR), "allchild"), "month_offset")
    assert sorted(shown) == list(range(-12, 13))
    assert shown[-1]["attendance_rate"] == 50.0
    assert shown[-1]["children_with_sessions"] == 2
    assert shown[1]["attendance_rate"] == 100.0
    assert shown[0]["attendance_rate"] is None
    assert shown[0]["month"] == "enrolment month"
    assert shown[-1]["month"] == "1 month before"
    assert shown[5]["month"] == "5 months after"
    # A councillor sees neither the rate (2 children < 10) nor the count of 2 children (1 to 4).
    hidden = rows_by(
        views.attendance_around_enrolment(snap, Filters(period=YEAR), "councillor"), "month_offset"
    )
    assert hidden[-1]["attendance_rate"] == "c"
    assert hidden[-1]["children_with_sessions"] == "c"
    assert hidden[0]["children_with_sessions"] == 0  # a true 0 is shown


def test_monthly_absence_splits_authorised_and_unauthorised(tmp_path: Path) -> None:
    # A in Sep 2025: 6 present, 3 authorised (C), 1 unauthorised (N), 2 not possible (X) → of 10 possible:
    # authorised 30.0%, unauthorised 10.0%.
    attendance = sessions("A", MON, ["/"] * 6 + ["C"] * 3 + ["N"] + ["X"] * 2)
    snap = build(tmp_path, children=[child("A")], attendance=attendance)
    shown = rows_by(views.monthly_absence(snap, Filters(period=YEAR), "admin"), "month")
    assert list(shown) == ["Sep 2025"]
    assert shown["Sep 2025"]["authorised_absence_rate"] == 30.0
    assert shown["Sep 2025"]["unauthorised_absence_rate"] == 10.0


def test_school_monthly_attendance_is_per_school_and_month(tmp_path: Path) -> None:
    # S01's child: Sep 2025 8 of 10 present → 80.0%; S02's child: Sep 10 of 10 → 100.0%, Oct 5 of 10 → 50.0%.
    attendance = (
        sessions("A", MON, ["/"] * 8 + ["N"] * 2)
        + sessions("B", MON, ["/"] * 10)
        + sessions("B", date(2025, 10, 6), ["/"] * 5 + ["N"] * 5)
    )
    snap = build(tmp_path, children=[child("A"), child("B", school_id="S02")], attendance=attendance)
    shown = rows_by(
        views.school_monthly_attendance(snap, Filters(period=YEAR), "admin"), "school_id", "month_start"
    )
    assert {k: v["attendance_rate"] for k, v in shown.items()} == {
        ("S01", date(2025, 9, 1)): 80.0,
        ("S02", date(2025, 9, 1)): 100.0,
        ("S02", date(2025, 10, 1)): 50.0,
    }
    assert shown[("S01", date(2025, 9, 1))]["school_name"] == "S01 School"


# ------------------------------------------------------------------------------------------------ assessments


def sdq(child_id: str, baseline: float, latest: float) -> list[dict[str, Any]]:
    return [score(child_id, date(2025, 9, 20), "baseline", "sdq_total", baseline),
            score(child_id, date(2026, 3, 20), "review", "sdq_total", latest)]  # fmt: skip


def test_sdq_band_movement_from_baseline_to_latest(tmp_path: Path) -> None:
    # A 20 → 10: very high → close to average (better). B 14 → 13: slightly raised, same band.
    # C 17 → 20: high → very high (worse).            D 12 → 11: slightly raised → close to average (better).
    # E has a baseline only: not counted.  Band edges: 11 is close to average, 12 slightly raised, 19 very high.
    assessments = sdq("A", 20, 10) + sdq("B", 14, 13) + sdq("C", 17, 20) + sdq("D", 12, 11)
    assessments.append(score("E", date(2025, 9, 20), "baseline", "sdq_total", 30))
    snap = build(tmp_path, children=[child(c) for c in "ABCDE"], assessments=assessments)
    bands = rows_by(views.sdq_bands(snap, Filters(period=YEAR), "admin"), "level")
    assert [bands[name]["baseline_children"] for name in ("close to average", "slightly raised", "high", "very high")] \
        == [0, 2, 1, 1]  # fmt: skip
    assert [bands[name]["latest_children"] for name in ("close to average", "slightly raised", "high", "very high")] \
        == [2, 1, 0, 1]  # fmt: skip
    assert bands["Total"]["baseline_children"] == 4
    assert bands["slightly raised"]["baseline_pct"] == 50.0  # 2 ÷ 4
    assert bands["high"]["baseline_pct"] == 25.0
    movement = rows_by(views.sdq_band_movement(snap, Filters(period=YEAR), "admin"), "movement")
    assert [movement[m]["children"] for m in asm.MOVEMENTS] == [2, 1, 1]
    assert movement["Total"]["children"] == 4
    assert movement[asm.MOVEMENTS[0]]["children_pct"] == 50.0
    # A councillor: counts 1–4 are c, a true 0 is shown, every share is c (4 children with both scores < 10).
    hidden = rows_by(views.sdq_bands(snap, Filters(period=YEAR), "councillor"), "level")
    assert hidden["close to average"]["baseline_children"] == 0
    assert hidden["slightly raised"]["baseline_children"] == "c"
    assert hidden["Total"]["baseline_children"] == "c"
    assert hidden["slightly raised"]["baseline_pct"] == "c"


def test_sdq_band_thresholds_follow_the_contract() -> None:
    scores = pl.DataFrame({"s": [0.0, 11.0, 12.0, 15.0, 16.0, 18.0, 19.0, 40.0]})
    assert scores.select(asm.sdq_band(pl.col("s"))).to_series().to_list() == [1, 1, 2, 2, 3, 3, 4, 4]


def test_attainment_levels_protected_cell_by_cell(tmp_path: Path) -> None:
    # 12 children in reading. Baseline levels: 1 ×6, 2 ×4, 3 ×2. Latest: 1 ×2, 2 ×5, 3 ×5.
    baseline = [1] * 6 + [2] * 4 + [3] * 2
    latest = [1] * 2 + [2] * 5 + [3] * 5
    ids = [f"K{i:02d}" for i in range(12)]
    assessments = [
        score(c, date(2025, 9, 20), "baseline", "reading", b) for c, b in zip(ids, baseline, strict=True)
    ]
    assessments += [
        score(c, date(2026, 5, 1), "exit", "reading", v) for c, v in zip(ids, latest, strict=True)
    ]
    snap = build(tmp_path, children=[child(c) for c in ids], assessments=assessments)
    exact = rows_by(views.attainment_levels(snap, Filters(period=YEAR), "allchild"), "measure", "level")
    assert [exact[("Reading", f"{n} {name}")]["baseline_children"] for n, name in
            ((1, "well below expected"), (2, "below expected"), (3, "at expected"), (4, "above expected"))] \
        == [6, 4, 2, 0]  # fmt: skip
    assert exact[("Reading", "Total")]["latest_children"] == 12
    assert exact[("Writing", "Total")]["baseline_children"] == 0  # no writing scores: a true 0
    hidden = rows_by(views.attainment_levels(snap, Filters(period=YEAR), "councillor"), "measure", "level")
    levels = ["1 well below expected", "2 below expected", "3 at expected", "4 above expected", "Total"]
    # Each count is its own children's published count (no secondary suppression); a true 0 stays 0; the
    # baseline and latest totals are the same 12 children, so the same published value (rule 2).
    twelve = published("children", ids)
    assert [hidden[("Reading", lv)]["baseline_children"] for lv in levels] == [
        published("children", ids[:6]), published("children", ids[6:10]), "c", 0, twelve]  # fmt: skip
    assert [hidden[("Reading", lv)]["latest_children"] for lv in levels] == [
        "c", published("children", ids[2:7]), published("children", ids[7:]), 0, twelve]  # fmt: skip


# ------------------------------------------------------------------------------------------------ board order


def test_sorted_board_puts_hidden_values_last_and_keeps_the_total_at_the_bottom(tmp_path: Path) -> None:
    # S01: 12 children, S02: 2 children (c for a councillor), S03: 11 children.
    children = (
        [child(f"A{i:02d}") for i in range(12)]
        + [child(f"B{i}", school_id="S02") for i in range(2)]
        + [child(f"C{i:02d}", school_id="S03") for i in range(11)]
    )
    snap = build(tmp_path, schools=[school("S01"), school("S02"), school("S03")], children=children)
    board = views.board_table(snap, Filters(period=YEAR), "councillor")
    order = [r["school_id"] for r in views.sorted_board(board, "children", descending=False).rows()]
    # S02's 2 is c and sorts last; S01 and S03 are their published counts (no secondary suppression).
    s01 = published("children", [f"A{i:02d}" for i in range(12)])
    s03 = published("children", [f"C{i:02d}" for i in range(11)])
    assert [r["children"] for r in board.rows()][:3] == [s01, "c", s03]
    assert order == [*(["S01", "S03"] if s01 <= s03 else ["S03", "S01"]), "S02", "all"]  # type: ignore[operator]
    exact = views.board_table(snap, Filters(period=YEAR), "admin")
    assert [r["school_id"] for r in views.sorted_board(exact, "children").rows()] == [
        "S01",
        "S03",
        "S02",
        "all",
    ]
    assert [r["school_id"] for r in views.sorted_board(exact, "children", descending=False).rows()] == [
        "S02", "S03", "S01", "all"]  # fmt: skip
    assert views.sorted_board(exact, "school_id") is exact
