"""Every figure definition of contract section 4, on tiny snapshots whose answers are worked out by hand.

The arithmetic beside each assertion is the second, independent reading of the contract; the code under
test is ``data_access.figures`` (raw counts), ``data_access.views`` (shown figures) and the ``report``
command (``data_access.cli.main``).
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import child, make_snapshot, school, sessions
from cellkey_oracle import published

from data_access import assessments, figures, views
from data_access import attendance as att
from data_access.cli import main
from data_access.contract import POSSIBLE_CODES, PRESENT_CODES
from data_access.filters import Filters
from data_access.periods import custom, term_period
from data_access.report import REPORT_COLUMNS, report_rows
from data_access.snapshots import Snapshot, open_snapshot

AY_FROM, AY_TO = date(2025, 8, 1), date(2026, 7, 31)  # academic year 2025/26
MON = date(2025, 9, 1)  # a Monday


def build(tmp_path: Path, **tables: Any) -> Snapshot:
    """Write a valid tiny snapshot and open it through validation (so every builder row is contract-valid)."""
    tables.setdefault("schools", [school("S01")])
    return open_snapshot(make_snapshot(tmp_path, **tables))


def stats_by_child(snapshot: Snapshot, start: date, end: date, **filters: Any) -> dict[str, dict[str, int]]:
    """Per-child raw counts keyed by child_id (children not in scope are absent)."""
    stats = figures.child_stats(snapshot, Filters(period=custom(start, end), **filters))
    ids = dict(zip(snapshot.children["child_idx"], snapshot.children["child_id"], strict=True))
    return {ids[row["child_idx"]]: row for row in stats.iter_rows(named=True)}


def board(snapshot: Snapshot, start: date, end: date, role: str = "admin", **filters: Any) -> dict[str, dict]:
    """The board table's shown rows keyed by school_id."""
    table = views.board_table(snapshot, Filters(period=custom(start, end), **filters), role)
    return {row["school_id"]: row for row in table.rows()}


def filler(prefix: str, n: int, **overrides: Any) -> list[dict[str, Any]]:
    """``n`` children in scope with no records, to lift a row over the suppression thresholds."""
    return [child(f"{prefix}{i:02d}", **overrides) for i in range(n)]


# --------------------------------------------------------------------------------------------------- attendance


def test_attendance_rate_excludes_not_possible_codes_from_both_sides(tmp_path: Path) -> None:
    codes = ["/", "/", "N", "X", "Y1", "L", "C", "#", "Z", "D"]
    snap = build(tmp_path, children=[child("A"), child("B")], attendance=sessions("A", MON, codes))
    per_child = stats_by_child(snap, AY_FROM, AY_TO)
    a, b = per_child["A"], per_child["B"]
    # present: "/", "/", "L" = 3; absent: "N" (unauthorised), "C" (authorised) = 2; X, Y1, #, Z, D not possible
    assert (a["present"], a["possible"], a["authorised"], a["unauthorised"]) == (3, 5, 1, 1)
    # B has no sessions at all: in scope, counted as a child, but no possible session
    assert (b["present"], b["possible"], b["with_sessions"], b["children"]) == (0, 0, 0, 1)
    row = board(snap, AY_FROM, AY_TO)["all"]
    assert row["children"] == 2
    assert row["attendance_rate"] == 60.0  # 3 present ÷ 5 possible = 60.0%
    # A is absent 2 ÷ 5 = 40% → persistent (≥ 10%), not severe (< 50%); B has no possible session → not counted
    assert row["persistent_absence_rate"] == 100.0  # 1 ÷ 1 child with sessions
    assert row["severe_absence_rate"] == 0.0  # 0 ÷ 1


def test_child_with_only_not_possible_sessions_has_nothing_to_compute(tmp_path: Path) -> None:
    snap = build(tmp_path, children=[child("A")], attendance=sessions("A", MON, ["X", "Y2", "#", "Q"]))
    row = board(snap, AY_FROM, AY_TO)["all"]
    assert row["children"] == 1
    assert row["attendance_rate"] is None  # 0 possible sessions: denominator 0 → null, never 0 or "c"
    assert row["persistent_absence_rate"] is None  # no child with a possible session → denominator 0
    assert row["severe_absence_rate"] is None


def test_persistent_and_severe_absence_boundaries(tmp_path: Path) -> None:
    kids = ["P10", "P09", "S50", "S45", "NONE"]
    attendance = (
        sessions("P10", MON, ["/"] * 18 + ["N"] * 2)  # 2 ÷ 20 = exactly 10% → persistent
        + sessions("P09", MON, ["/"] * 10 + ["N"])  # 1 ÷ 11 = 9.09% → not persistent
        + sessions("S50", MON, ["/"] * 5 + ["C"] * 5)  # 5 ÷ 10 = exactly 50% → persistent and severe
        + sessions("S45", MON, ["/"] * 6 + ["G"] * 5)  # 5 ÷ 11 = 45.45% → persistent, not severe
        + sessions("NONE", MON, ["X", "X"])  # no possible session → outside the denominator
    )
    snap = build(tmp_path, children=[child(k) for k in kids], attendance=attendance)
    per_child = stats_by_child(snap, AY_FROM, AY_TO)
    assert {k: per_child[k]["persistent"] for k in kids} == {
        "P10": 1,
        "P09": 0,
        "S50": 1,
        "S45": 1,
        "NONE": 0,
    }
    assert {k: per_child[k]["severe"] for k in kids} == {"P10": 0, "P09": 0, "S50": 1, "S45": 0, "NONE": 0}
    row = board(snap, AY_FROM, AY_TO)["all"]
    assert row["children"] == 5
    assert row["persistent_absence_rate"] == 75.0  # 3 persistent ÷ 4 children with a possible session
    assert row["severe_absence_rate"] == 25.0  # 1 ÷ 4
    # present 18+10+5+6 = 39; possible 20+11+10+11 = 52; 39 ÷ 52 = 75.0%
    assert row["attendance_rate"] == 75.0


def test_attendance_rows_outside_the_period_are_ignored_and_rows_before_enrolment_inside_it_count(
    tmp_path: Path,
) -> None:
    late = child("LATE", identified_date=date(2025, 9, 1), enrolled_date=date(2025, 12, 19))
    attendance = (
        sessions("LATE", date(2025, 7, 31), ["N", "N", "N", "N"])  # Thu 31 Jul + Fri 1 Aug 2025
        + sessions("LATE", MON, ["/", "/", "N", "/"])  # Mon 1 + Tue 2 Sep 2025, before enrolment
        + sessions("LATE", date(2025, 12, 22), ["N", "N"])  # after the period's end
    )
    snap = build(tmp_path, children=[late], attendance=attendance)
    per_child = stats_by_child(snap, date(2025, 8, 1), date(2025, 12, 19))
    # inside [1 Aug, 19 Dec]: Fri 1 Aug N, N and Mon 1/Tue 2 Sep /, /, N, / → present 3, possible 6
    assert (per_child["LATE"]["present"], per_child["LATE"]["possible"]) == (3, 6)


# --------------------------------------------------------------------------------------------- children in scope


def test_children_in_scope_boundaries(tmp_path: Path) -> None:
    start, end = date(2025, 9, 1), date(2025, 12, 19)
    kids = [
        child("ENROL_LAST_DAY", identified_date=date(2025, 9, 1), enrolled_date=end),  # in
        child(
            "ENROL_DAY_AFTER", identified_date=date(2025, 9, 1), enrolled_date=end + timedelta(days=1)
        ),  # out
        child("EXIT_FIRST_DAY", exit_date=start, exit_reason="completed"),  # in
        child("EXIT_DAY_BEFORE", exit_date=start - timedelta(days=1), exit_reason="withdrew"),  # out
        child("IDENTIFIED_ONLY", identified_date=date(2024, 1, 1), enrolled_date=None),  # never in
        child("EXIT_AFTER", exit_date=date(2026, 3, 1), exit_reason="moved_school"),  # in
    ]
    everyone_codes = ["N", "N"]  # each child absent both sessions of Mon 1 Sep 2025
    attendance = [row for k in kids for row in sessions(k["child_id"], start, everyone_codes)]
    referrals = [
        {"referral_id": f"R{i}", "child_id": k["child_id"], "referral_date": date(2025, 10, 1),
         "service": "camhs", "reason": "mental_health"}
        for i, k in enumerate(kids)
    ]  # fmt: skip
    snap = build(tmp_path, children=kids, attendance=attendance, referrals=referrals)
    assert set(stats_by_child(snap, start, end)) == {"ENROL_LAST_DAY", "EXIT_FIRST_DAY", "EXIT_AFTER"}
    row = board(snap, start, end)["all"]
    assert row["children"] == 3
    # only in-scope children's rows count: 3 children × 2 possible, 0 present
    assert row["attendance_rate"] == 0.0  # 0 ÷ 6
    assert row["mental_health_referrals"] == 3  # one each for the 3 in scope; 3 others are not counted
    assert row["mental_health_referrals_per_100"] == 100.0  # 3 × 100 ÷ 3
    # the identified-only child is never in scope, even over every period
    assert "IDENTIFIED_ONLY" not in stats_by_child(snap, date(2000, 1, 1), date(2100, 1, 1))


def test_filters_select_children_by_their_row(tmp_path: Path) -> None:
    kids = [
        child("A", school_id="S01", year_group=5, sex="female", fsm_eligible=True, sen_provision="none"),
        child("B", school_id="S01", year_group=7, sex="male", fsm_eligible=False, sen_provision="ehcp"),
        child("C", school_id="S02", year_group=7, sex="male", fsm_eligible=True, sen_provision="sen_support"),
    ]
    snap = build(tmp_path, schools=[school("S01"), school("S02")], children=kids)
    assert set(stats_by_child(snap, AY_FROM, AY_TO, schools=("S01",))) == {"A", "B"}
    assert set(stats_by_child(snap, AY_FROM, AY_TO, year_groups=(7,))) == {"B", "C"}
    assert set(stats_by_child(snap, AY_FROM, AY_TO, sexes=("female",))) == {"A"}
    assert set(stats_by_child(snap, AY_FROM, AY_TO, fsm=False)) == {"B"}
    assert set(stats_by_child(snap, AY_FROM, AY_TO, fsm=True)) == {"A", "C"}
    assert set(stats_by_child(snap, AY_FROM, AY_TO, sen=("ehcp", "sen_support"))) == {"B", "C"}
    assert set(stats_by_child(snap, AY_FROM, AY_TO, year_groups=(7,), fsm=True)) == {"C"}


# ------------------------------------------------------------------------------- referrals, suspensions, exclusions


def test_mental_health_referrals_and_rate_per_100(tmp_path: Path) -> None:
    start, end = date(2025, 9, 1), date(2025, 12, 19)

    def referral(rid: str, day: date, reason: str = "mental_health") -> dict[str, Any]:
        return {
            "referral_id": rid,
            "child_id": "K00",
            "referral_date": day,
            "service": "camhs",
            "reason": reason,
        }

    referrals = [
        referral("R1", start),  # first day → counts
        referral("R2", end),  # last day → counts
        referral("R3", start - timedelta(days=1)),  # day before → not counted
        referral("R4", end + timedelta(days=1)),  # day after → not counted
        referral("R5", date(2025, 10, 1), "behaviour"),  # another reason → not counted
        referral("R6", date(2025, 10, 2), "neurodevelopmental"),  # another reason → not counted
    ]
    snap = build(tmp_path, children=filler("K", 12), referrals=referrals)
    row = board(snap, start, end)["all"]
    assert row["children"] == 12
    assert row["mental_health_referrals"] == 2  # R1 and R2
    assert row["mental_health_referrals_per_100"] == 16.7  # 2 × 100 ÷ 12 = 16.666… → 16.7
    shown = board(snap, start, end, role="councillor")["all"]
    assert shown["mental_health_referrals"] == "c"  # a count of 2 is 1–4
    assert shown["mental_health_referrals_per_100"] == "c"  # underlying count 2 is 1–4


def test_suspensions_and_permanent_exclusions_by_start_date(tmp_path: Path) -> None:
    start, end = date(2026, 1, 1), date(2026, 4, 5)  # spring term 2025/26

    def event(eid: str, day: date, kind: str, n: int = 2) -> dict[str, Any]:
        return {"event_id": eid, "child_id": "K01", "start_date": day, "kind": kind, "sessions": n}

    events = [
        event("E1", start, "suspension"),  # counts
        event("E2", end, "suspension", 6),  # Easter Sunday, last day → counts (even if it runs on)
        event("E3", date(2025, 12, 19), "suspension", 10),  # started before the period → not counted
        event("E4", date(2026, 2, 2), "permanent_exclusion"),  # counts as an exclusion, not a suspension
        event("E5", end + timedelta(days=1), "permanent_exclusion"),  # Easter Monday → next term
    ]
    snap = build(tmp_path, children=filler("K", 10), suspensions=events)
    row = board(snap, start, end)["all"]
    assert (row["suspensions"], row["permanent_exclusions"]) == (2, 1)  # E1, E2; E4
    per_child = stats_by_child(snap, start, end)
    assert per_child["K01"]["sessions_lost"] == 2 + 6 + 2  # E1 + E2 + E4
    summer = board(snap, end + timedelta(days=1), date(2026, 7, 31))["all"]
    assert (summer["suspensions"], summer["permanent_exclusions"]) == (0, 1)  # E5 only


# ------------------------------------------------------------------------------------------------ SDQ improved


def _score(child_id: str, day: date, wave: str, score: float, measure: str = "sdq_total") -> dict[str, Any]:
    return {"child_id": child_id, "assessment_date": day, "wave": wave, "measure": measure, "score": score}


def test_sdq_improved(tmp_path: Path) -> None:
    b0, b1, r1, r2 = date(2025, 9, 10), date(2025, 10, 10), date(2026, 1, 10), date(2026, 3, 1)
    scores = [
        # A: 20 → 17, better by 3 (lower is better) → improved (equal to the meaningful change counts)
        _score("A", b0, "baseline", 20), _score("A", r1, "review", 17),
        # B: 20 → 18, better by 2 → not improved, but has both scores
        _score("B", b0, "baseline", 20), _score("B", r1, "exit", 18),
        # C: earliest baseline 20, a later baseline 25, then 22: 20 → 22 is worse → not improved
        #    (were the later baseline used, 25 → 22 would wrongly count as improved)
        _score("C", b0, "baseline", 20), _score("C", b1, "baseline", 25), _score("C", r1, "review", 22),
        # D: baseline 20, then a later *baseline* 16 is the latest score → 20 → 16 better by 4 → improved
        _score("D", b0, "baseline", 20), _score("D", r1, "review", 19), _score("D", r2, "baseline", 16),
        # E: 20 → 19 inside the period; a 15 dated after the period is ignored → not improved
        _score("E", b0, "baseline", 20), _score("E", r2, "review", 19), _score("E", date(2026, 8, 15), "exit", 15),
        # F: only a baseline → outside the denominator
        _score("F", b0, "baseline", 20),
        # G: baseline dated after the period → outside the denominator
        _score("G", date(2026, 8, 3), "baseline", 30), _score("G", date(2026, 9, 3), "review", 10),
        # H: other measures only (prosocial up by 5, wellbeing up by 10) → not in the sdq_total figure
        _score("H", b0, "baseline", 3, "sdq_prosocial"), _score("H", r1, "review", 8, "sdq_prosocial"),
        _score("H", b0, "baseline", 30, "wellbeing"), _score("H", r1, "review", 40, "wellbeing"),
        # I: a review on the baseline's own date is not "after" it → only a baseline → outside the denominator
        _score("I", b0, "baseline", 20), _score("I", b0, "review", 10),
        # J: baseline and exit both before the period: earliest baseline ≤ to, latest ≤ to → 30 → 26 improved
        _score("J", date(2024, 9, 10), "baseline", 30), _score("J", date(2025, 3, 1), "exit", 26),
    ]  # fmt: skip
    kids = [child(k, identified_date=date(2024, 9, 1)) for k in "ABCDEFGHIJ"]
    snap = build(tmp_path, children=kids, assessments=scores)
    per_child = stats_by_child(snap, AY_FROM, AY_TO)
    assert {k for k, r in per_child.items() if r["sdq_with_both"]} == set("ABCDEJ")
    assert {k for k, r in per_child.items() if r["sdq_improved"]} == set("ADJ")
    row = board(snap, AY_FROM, AY_TO)["all"]
    assert row["sdq_total_improved_pct"] == 50.0  # 3 improved (A, D, J) ÷ 6 with both (A, B, C, D, E, J)
    # over a period ending 1 Nov 2025, only J (2024/25 scores) has both: C's 25 on 10 Oct is after 20 but C is
    # 20 → 25 worse; so with both: C, J → 1 improved (J) ÷ 2 = 50.0
    early = stats_by_child(snap, date(2025, 8, 1), date(2025, 11, 1))
    assert {k for k, r in early.items() if r["sdq_with_both"]} == {"C", "J"}
    assert {k for k, r in early.items() if r["sdq_improved"]} == {"J"}


def test_improvement_for_a_higher_is_better_measure(tmp_path: Path) -> None:
    scores = [
        _score("UP3", date(2025, 9, 10), "baseline", 40, "wellbeing"),
        _score("UP3", date(2026, 1, 10), "review", 43, "wellbeing"),  # +3 → improved
        _score("UP2", date(2025, 9, 10), "baseline", 40, "wellbeing"),
        _score("UP2", date(2026, 1, 10), "review", 42, "wellbeing"),  # +2 → not improved
        _score("DOWN", date(2025, 9, 10), "baseline", 40, "wellbeing"),
        _score("DOWN", date(2026, 1, 10), "review", 37, "wellbeing"),  # −3 → worse, not improved
    ]
    snap = build(tmp_path, children=[child(k) for k in ("UP3", "UP2", "DOWN")], assessments=scores)
    result = assessments.improvement_by_child(snap, "wellbeing", snap.children, AY_TO)
    ids = dict(zip(snap.children["child_idx"], snap.children["child_id"], strict=True))
    improved = {ids[i]: v for i, v in zip(result["child_idx"], result["improved"], strict=True)}
    assert improved == {"UP3": True, "UP2": False, "DOWN": False}


# ---------------------------------------------------------------------------------------------------- funnel


def test_funnel_as_at_a_date(tmp_path: Path) -> None:
    d = date(2025, 10, 1)
    kids = [
        child("IDENT", identified_date=date(2025, 9, 1), enrolled_date=None),  # identified
        child("ACTIVE", identified_date=date(2025, 9, 1), enrolled_date=date(2025, 9, 10)),  # identified, enrolled, active
        child("DONE_ON_D", identified_date=date(2025, 9, 1), enrolled_date=date(2025, 9, 10), exit_date=d,
              exit_reason="completed"),  # identified, enrolled, completed; not active (exit_date is not > D)
        child("LEFT_AFTER_D", identified_date=date(2025, 9, 1), enrolled_date=date(2025, 9, 10),
              exit_date=d + timedelta(days=1), exit_reason="withdrew"),  # active at D
        child("IDENT_AFTER_D", identified_date=d + timedelta(days=1), enrolled_date=None),  # nothing yet
        child("ENROL_AFTER_D", identified_date=date(2025, 9, 15), enrolled_date=d + timedelta(days=1)),  # identified
        child("DONE_LATER", school_id="S02", identified_date=date(2025, 9, 1), enrolled_date=date(2025, 9, 2),
              exit_date=date(2025, 12, 1), exit_reason="completed"),  # at D: active, not yet completed
    ]  # fmt: skip
    snap = build(tmp_path, schools=[school("S01"), school("S02"), school("S03")], children=kids)
    rows = views.funnel_table(snap, Filters(period=custom(AY_FROM, AY_TO)), "admin", d).rows()
    assert [r["school_id"] for r in rows] == ["S01", "S02", "S03", "all"]
    by = {r["school_id"]: r for r in rows}
    # S01: identified IDENT, ACTIVE, DONE_ON_D, LEFT_AFTER_D, ENROL_AFTER_D = 5; enrolled 3; active 2; completed 1
    assert [by["S01"][k] for k in ("identified", "enrolled", "active", "completed")] == [5, 3, 2, 1]
    assert [by["S02"][k] for k in ("identified", "enrolled", "active", "completed")] == [1, 1, 1, 0]
    assert [by["S03"][k] for k in ("identified", "enrolled", "active", "completed")] == [0, 0, 0, 0]
    assert [by["all"][k] for k in ("identified", "enrolled", "active", "completed")] == [6, 4, 3, 1]
    later = {r["school_id"]: r for r in views.funnel_table(snap, Filters(period=custom(AY_FROM, AY_TO)), "admin",
                                                           date(2025, 12, 1)).rows()}  # fmt: skip
    # by 1 Dec: all 7 identified; 5 enrolled; active ACTIVE, ENROL_AFTER_D = 2; completed DONE_ON_D, DONE_LATER
    assert [later["all"][k] for k in ("identified", "enrolled", "active", "completed")] == [7, 5, 2, 2]
    shown = {r["school_id"]: r for r in views.funnel_table(snap, Filters(period=custom(AY_FROM, AY_TO)),
                                                           "councillor", d).rows()}  # fmt: skip
    assert shown["S03"]["identified"] == 0  # a true 0 is shown
    assert shown["S02"]["identified"] == "c"  # 1 → at most 4 → c
    # each cell is its own children's published count (no secondary suppression): S01 identified the five
    s01_identified = ["IDENT", "ACTIVE", "DONE_ON_D", "LEFT_AFTER_D", "ENROL_AFTER_D"]
    assert shown["S01"]["identified"] == published("children", s01_identified)
    assert shown["all"]["identified"] == published("children", [*s01_identified, "DONE_LATER"])
    # enrolled: S01 3, S02 1, total 4: each published from its own records (3 may show as 5 or 6; 1 never)
    assert [shown[s]["enrolled"] for s in ("S01", "S02", "S03", "all")] == [
        published("children", ["ACTIVE", "DONE_ON_D", "LEFT_AFTER_D"]), "c", 0,
        published("children", ["ACTIVE", "DONE_ON_D", "LEFT_AFTER_D", "DONE_LATER"]),
    ]  # fmt: skip


# -------------------------------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("present", "possible", "shown"),
    [(1, 16, 6.3), (1, 8, 12.5), (2, 3, 66.7), (15, 16, 93.8), (1, 3, 33.3), (7, 16, 43.8), (5, 8, 62.5)],
)
def test_rounding_half_away_from_zero(tmp_path: Path, present: int, possible: int, shown: float) -> None:
    # 1/16 = 6.25 → 6.3; 1/8 = 12.5 exactly; 2/3 = 66.66… → 66.7; 15/16 = 93.75 → 93.8; 1/3 = 33.33… → 33.3;
    # 7/16 = 43.75 → 43.8; 5/8 = 62.5 exactly
    codes = ["/"] * present + ["N"] * (possible - present)
    snap = build(tmp_path, children=[child("A")], attendance=sessions("A", MON, codes))
    assert board(snap, AY_FROM, AY_TO)["all"]["attendance_rate"] == shown


def test_rounding_of_a_children_percentage(tmp_path: Path) -> None:
    # 16 children with sessions, 1 persistently absent → 1 ÷ 16 = 6.25% → 6.3 (round() would say 6.2)
    kids = filler("K", 16)
    attendance = [r for k in kids for r in sessions(k["child_id"], MON, ["/", "/"])]
    attendance[0]["code"] = "N"  # K00: 1 absent of 2 → 50% → persistent and severe
    snap = build(tmp_path, children=kids, attendance=attendance)
    row = board(snap, AY_FROM, AY_TO)["all"]
    assert row["persistent_absence_rate"] == 6.3
    assert row["severe_absence_rate"] == 6.3
    assert row["attendance_rate"] == 96.9  # 31 ÷ 32 = 96.875 → 96.9


# ---------------------------------------------------------------------------------- custom and census periods


def _random_attendance(seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    rng = random.Random(seed)
    kids = ["A", "B", "C"]
    codes = list(POSSIBLE_CODES) * 3 + ["X", "#", "Y1"]
    rows = []
    for k in kids:
        day = date(2025, 9, 22)  # Monday; runs across 1 Oct (a Wednesday) and 1 Nov (a Saturday)
        while day <= date(2025, 11, 14):
            if day.weekday() < 5 and rng.random() < 0.9:
                for session in ("AM", "PM"):
                    if rng.random() < 0.95:
                        rows.append(
                            {"child_id": k, "date": day, "session": session, "code": rng.choice(codes)}
                        )
            day += timedelta(days=1)
    return rows, kids


def test_custom_periods_starting_and_ending_mid_week_match_summing_raw_rows(tmp_path: Path) -> None:
    rows, kids = _random_attendance(7)
    snap = build(tmp_path, children=[child(k) for k in kids], attendance=rows)
    ids = dict(zip(snap.children["child_idx"], snap.children["child_id"], strict=True))
    rng = random.Random(11)
    first, last = date(2025, 9, 20), date(2025, 11, 16)
    span = (last - first).days
    pairs = [(date(2025, 9, 24), date(2025, 10, 2)), (date(2025, 10, 1), date(2025, 10, 1)),
             (date(2025, 9, 30), date(2025, 11, 4)), (date(2025, 10, 3), date(2025, 10, 5)),
             (date(2025, 11, 1), date(2025, 11, 2)), (date(2025, 9, 29), date(2025, 10, 26))]  # fmt: skip
    for _ in range(60):
        a, b = sorted(rng.randint(0, span) for _ in range(2))
        pairs.append((first + timedelta(days=a), first + timedelta(days=b)))
    for start, end in pairs:
        got = {
            ids[r["child_idx"]]: (r["present"], r["possible"], r["authorised"], r["unauthorised"])
            for r in att.attendance_by_child(snap, custom(start, end)).iter_rows(named=True)
            if r["possible"] or r["present"]
        }
        expected: dict[str, tuple[int, int, int, int]] = {}
        for k in kids:
            mine = [r["code"] for r in rows if r["child_id"] == k and start <= r["date"] <= end]
            present = sum(c in PRESENT_CODES for c in mine)
            possible = sum(c in POSSIBLE_CODES for c in mine)
            authorised = sum(c in ("C", "C1", "C2", "E", "I", "M", "J1", "S", "T", "R") for c in mine)
            if possible:
                expected[k] = (present, possible, authorised, possible - present - authorised)
        assert got == expected, (start, end)


def test_easter_sunday_ends_spring_and_easter_monday_starts_summer(tmp_path: Path) -> None:
    spring, summer = term_period(2025, "spring"), term_period(2025, "summer")
    assert (spring.end, summer.start) == (date(2026, 4, 5), date(2026, 4, 6))  # Easter 2026 is 5 April
    kids = filler("K", 10)
    attendance = (
        sessions("K00", date(2026, 4, 2), ["/", "N"])  # Thursday 2 April → spring
        + sessions("K00", date(2026, 4, 6), ["N", "N", "/", "/"])  # Monday 6 and Tuesday 7 April → summer
    )
    referrals = [{"referral_id": "R1", "child_id": "K01", "referral_date": date(2026, 4, 5), "service": "camhs",
                  "reason": "mental_health"}]  # fmt: skip
    events = [{"event_id": "E1", "child_id": "K02", "start_date": date(2026, 4, 6), "kind": "suspension",
               "sessions": 1}]  # fmt: skip
    snap = build(tmp_path, children=kids, attendance=attendance, referrals=referrals, suspensions=events)
    for period, (present, possible, mh, susp) in ((spring, (1, 2, 1, 0)), (summer, (2, 4, 0, 1))):
        stats = figures.sum_stats(figures.child_stats(snap, Filters(period=period))).row(0, named=True)
        assert (stats["present"], stats["possible"], stats["mh_referrals"], stats["suspensions"]) == (
            present, possible, mh, susp,
        )  # fmt: skip
    # a custom range from Easter Sunday to Easter Monday catches both days
    both = figures.sum_stats(figures.child_stats(snap, Filters(period=custom(spring.end, summer.start))))
    assert both.row(0, named=True)["possible"] == 2  # Monday 6 April N, N
    assert both.row(0, named=True)["mh_referrals"] == 1  # Sunday 5 April


# ---------------------------------------------------------------------------------------------------- report


def _report_snapshot(tmp_path: Path) -> Path:
    """Three schools: S01 with 12 children, S02 with none in scope, S03 with 3."""
    kids = filler("A", 12, school_id="S01") + filler("C", 3, school_id="S03")
    kids.append(child("B00", school_id="S02", enrolled_date=None))  # identified only: never in scope
    attendance = [r for k in kids[:12] for r in sessions(k["child_id"], MON, ["/"] * 9 + ["N"])]
    attendance += sessions("C00", MON, ["/", "N"])
    return make_snapshot(tmp_path, schools=[school("S03"), school("S01"), school("S02")], children=kids,
                         attendance=attendance)  # fmt: skip


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_report_json_shape_order_and_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _report_snapshot(tmp_path)
    code, out, err = _run(
        capsys, str(folder), "--from", "2025-08-01", "--to", "2026-07-31", "--role", "admin"
    )
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["snapshot_date", "from", "to", "role", "complete", "disclosure_control", "rows"]
    assert (data["snapshot_date"], data["from"], data["to"], data["role"]) == (
        "2026-11-20", "2025-08-01", "2026-07-31", "admin",
    )  # fmt: skip
    assert [r["school_id"] for r in data["rows"]] == ["S01", "S02", "S03", "all"]
    for row in data["rows"]:
        assert list(row) == [
            "school_id", "children", "attendance_rate", "persistent_absence_rate", "severe_absence_rate",
            "mental_health_referrals", "mental_health_referrals_per_100", "suspensions", "permanent_exclusions",
            "sdq_total_improved_pct",
        ]  # fmt: skip
    s01, s02, s03, total = data["rows"]
    assert s01["children"] == 12 and isinstance(s01["children"], int)
    assert s01["attendance_rate"] == 90.0  # 12 × 9 present ÷ 12 × 10 possible
    assert s01["persistent_absence_rate"] == 100.0  # each absent 1 ÷ 10 = exactly 10% → 12 ÷ 12
    assert s01["severe_absence_rate"] == 0.0
    assert s01["mental_health_referrals_per_100"] == 0.0  # 0 × 100 ÷ 12
    assert s01["sdq_total_improved_pct"] is None  # no child with both scores
    # S02 has no children in scope: counts 0, every rate has nothing to compute
    assert s02 == {"school_id": "S02", "children": 0, "attendance_rate": None, "persistent_absence_rate": None,
                   "severe_absence_rate": None, "mental_health_referrals": 0, "mental_health_referrals_per_100": None,
                   "suspensions": 0, "permanent_exclusions": 0, "sdq_total_improved_pct": None}  # fmt: skip
    assert s03["children"] == 3
    assert s03["attendance_rate"] == 50.0  # C00: 1 ÷ 2; C01, C02 have no sessions
    assert s03["persistent_absence_rate"] == 100.0  # 1 ÷ 1 child with sessions
    assert total["children"] == 15  # 12 + 0 + 3
    assert total["attendance_rate"] == 89.3  # (108 + 1) present ÷ (120 + 2) possible = 89.344… → 89.3


def test_report_total_row_arithmetic(tmp_path: Path) -> None:
    folder = _report_snapshot(tmp_path)
    data = report_rows(folder, AY_FROM, AY_TO, [], "admin")
    total = data["rows"][-1]
    assert total["attendance_rate"] == 89.3  # 109 present ÷ 122 possible = 89.344… → 89.3
    assert total["persistent_absence_rate"] == 100.0  # 13 ÷ 13 children with sessions
    assert total["mental_health_referrals_per_100"] == 0.0  # 0 × 100 ÷ 15


def test_report_councillor_protection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _report_snapshot(tmp_path)
    code, out, _ = _run(capsys, str(folder), "--from", "2025-08-01", "--to", "2026-07-31")
    assert code == 0
    data = json.loads(out)
    assert data["role"] == "councillor"  # the default, most restricted
    assert data["disclosure_control"] == {"method": "cell key perturbation", "max_noise": 3, "threshold": 10}
    s01, s02, s03, total = data["rows"]
    a, c = [f"A{i:02d}" for i in range(12)], [f"C{i:02d}" for i in range(3)]
    # children: each school's and the total's own published count (S03's 3 may show as c, 5 or 6); S02 a true 0
    assert (s01["children"], s02["children"], s03["children"], total["children"]) == (
        published("children", a),
        0,
        published("children", c),
        published("children", a + c),
    )
    # rates: S03 covers 3 children (published below 10) → c; S02 has nothing to compute → null, never c; the
    # total shows the exact attendance rate (sessions) since its published children reach 10
    assert s03["attendance_rate"] == "c" and s02["attendance_rate"] is None
    assert total["attendance_rate"] == 89.3  # 109 ÷ 122, shown: 15 children published at 12 or more
    assert total["mental_health_referrals"] == 0  # a true 0 is shown


def test_report_school_list_given_several_times(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _report_snapshot(tmp_path)
    code, out, err = _run(capsys, str(folder), "--from", "2025-08-01", "--to", "2026-07-31", "--role", "admin",
                          "--school", "S03", "--school", "S01")  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [r["school_id"] for r in rows] == ["S01", "S03", "all"]
    assert rows[-1]["children"] == 15  # 12 + 3, over those schools only
    code, out, _ = _run(capsys, str(folder), "--from", "2025-08-01", "--to", "2026-07-31", "--role", "admin",
                        "--school", "S02")  # fmt: skip
    rows = json.loads(out)["rows"]
    assert [r["school_id"] for r in rows] == ["S02", "all"]
    assert rows[-1]["children"] == 0 and rows[-1]["attendance_rate"] is None


@pytest.mark.parametrize("role", ["councillor", "admin"])
def test_report_csv_has_the_json_columns_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], role: str
) -> None:
    folder = _report_snapshot(tmp_path)
    args = [str(folder), "--from", "2025-08-01", "--to", "2026-07-31", "--role", role]
    _, out_json, _ = _run(capsys, *args)
    code, out_csv, _ = _run(capsys, *args, "--format", "csv")
    assert code == 0
    rows = json.loads(out_json)["rows"]
    table = list(csv.reader(io.StringIO(out_csv)))
    assert tuple(table[0]) == REPORT_COLUMNS == tuple(rows[0])
    assert len(table) == len(rows) + 1
    for line, row in zip(table[1:], rows, strict=True):
        assert line == ["" if row[c] is None else str(row[c]) for c in REPORT_COLUMNS]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--school", "S99"], "S99"),
        (["--school", "S01", "--school", "nope"], "nope"),
    ],
)
def test_report_unknown_school_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], needle: str
) -> None:
    folder = _report_snapshot(tmp_path)
    code, out, err = _run(capsys, str(folder), "--from", "2025-08-01", "--to", "2026-07-31", *extra)
    assert code == 2
    assert needle in err and "unknown school" in err
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize(
    ("dates", "needle"),
    [
        (["--from", "2025-13-01", "--to", "2026-07-31"], "--from"),
        (["--from", "2025-08-01", "--to", "31/07/2026"], "--to"),
        (["--from", "2026-07-31", "--to", "2025-08-01"], "before"),
    ],
)
def test_report_bad_dates_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dates: list[str], needle: str
) -> None:
    folder = _report_snapshot(tmp_path)
    code, out, err = _run(capsys, str(folder), *dates)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err and out == ""


def test_report_single_day_period_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _report_snapshot(tmp_path)
    code, out, _ = _run(capsys, str(folder), "--from", "2025-09-01", "--to", "2025-09-01", "--role", "admin")
    assert code == 0
    assert json.loads(out)["rows"][0]["attendance_rate"] == 100.0  # Mon 1 Sep: every S01 child "/", "/"


def test_report_refused_snapshot_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _report_snapshot(tmp_path)
    (folder / "referrals.parquet").unlink()
    code, out, err = _run(capsys, str(folder), "--from", "2025-08-01", "--to", "2026-07-31")
    assert code == 2
    assert "refused" in err and "referrals.parquet" in err
    assert "Traceback" not in err and out == ""


def test_report_missing_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, str(tmp_path / "nowhere"), "--from", "2025-08-01", "--to", "2026-07-31")
    assert code == 2
    assert "Traceback" not in err and out == ""


def test_report_numbers_are_typed_as_the_contract_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _report_snapshot(tmp_path)
    _, out, _ = _run(capsys, str(folder), "--from", "2025-08-01", "--to", "2026-07-31", "--role", "admin")
    assert '"attendance_rate": 90.0' in out  # a rate keeps its one decimal, even when whole
    rows = json.loads(out)["rows"]
    for row in rows:
        for key in ("children", "mental_health_referrals", "suspensions", "permanent_exclusions"):
            assert type(row[key]) is int
        for key in ("attendance_rate", "persistent_absence_rate", "severe_absence_rate",
                    "mental_health_referrals_per_100", "sdq_total_improved_pct"):  # fmt: skip
            assert row[key] is None or type(row[key]) is float


# ------------------------------------------------------------------------------------- other shown tables


def test_by_school_extra_figures_and_by_period(tmp_path: Path) -> None:
    kids = filler("A", 10, school_id="S01") + filler("B", 10, school_id="S02")
    events = [
        {"event_id": f"E{i}", "child_id": f"A{i:02d}", "start_date": date(2025, 10, 1), "kind": "suspension",
         "sessions": 3}
        for i in range(5)
    ] + [{"event_id": "X1", "child_id": "B00", "start_date": date(2026, 2, 2), "kind": "suspension",
          "sessions": 20}]  # fmt: skip
    attendance = sessions("A00", MON, ["/", "C", "N", "/"]) + sessions("B00", MON, ["/"] * 9 + ["G"])
    snap = build(tmp_path, schools=[school("S01"), school("S02")], children=kids, suspensions=events,
                 attendance=attendance)  # fmt: skip
    filters = Filters(period=custom(AY_FROM, AY_TO))
    exact = {r["school_id"]: r for r in views.by_school(snap, filters, "admin", views.EXTRA_SPECS).rows()}
    assert exact["S01"]["sessions_lost"] == 15  # 5 events × 3
    assert exact["S02"]["sessions_lost"] == 20  # 1 event × 20
    assert exact["S01"]["suspensions_per_100"] == 50.0  # 5 × 100 ÷ 10
    assert exact["all"]["suspensions_per_100"] == 30.0  # 6 × 100 ÷ 20
    assert exact["S01"]["authorised_absence_rate"] == 25.0  # 1 C ÷ 4 possible
    assert exact["all"]["unauthorised_absence_rate"] == 14.3  # (1 N + 1 G) ÷ 14 = 14.28… → 14.3
    shown = {
        r["school_id"]: r for r in views.by_school(snap, filters, "councillor", views.EXTRA_SPECS).rows()
    }
    # sessions lost to the nearest 10, shown only with their events: S02's 20 over 1 event → c; S01's 15 over
    # 5 events → 20 when the 5 are shown; the total 35 over 6 events → 40 when shown (no secondary suppression)
    s01_events = published("suspensions", [f"E{i}" for i in range(5)])
    all_events = published("suspensions", [*(f"E{i}" for i in range(5)), "X1"])
    assert (shown["S01"]["sessions_lost"], shown["S02"]["sessions_lost"], shown["all"]["sessions_lost"]) == (
        "c" if s01_events == "c" else 20, "c", "c" if all_events == "c" else 40,
    )  # fmt: skip
    terms = views.by_period(snap, filters, "admin", [
        term_period(2025, "autumn"), term_period(2025, "spring"), term_period(2025, "summer")])  # fmt: skip
    assert [r["suspensions"] for r in terms.rows()] == [5, 1, 0]
    assert [r["period_key"] for r in terms.rows()] == ["2025-26-autumn", "2025-26-spring", "2025-26-summer"]
    assert [r["children"] for r in terms.rows()] == [20, 20, 20]
    councillor = views.by_period(
        snap, filters, "councillor", [term_period(2025, "autumn"), term_period(2025, "spring")]
    )
    assert [r["suspensions"] for r in councillor.rows()] == [5, "c"]  # no total row → no secondary


# ------------------------------------------------------------------ a second, naive implementation to compare


def _random_snapshot_tables(seed: int) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)
    schools = [school(s) for s in ("S01", "S02", "S03")]
    kids, attendance, referrals, events, scores = [], [], [], [], []
    codes = [*PRESENT_CODES, "N", "C", "G", "E", "X", "#"]  # 8 present, then 4 absent and 2 not possible
    for i in range(40):
        cid = f"K{i:02d}"
        identified = date(2025, 6, 1) + timedelta(days=rng.randint(0, 200))
        enrolled = None if rng.random() < 0.15 else identified + timedelta(days=rng.randint(0, 60))
        exit_date = None
        if enrolled and rng.random() < 0.4:
            exit_date = enrolled + timedelta(days=rng.randint(0, 200))
        kids.append(child(cid, school_id=rng.choice(["S01", "S02", "S03"]), identified_date=identified,
                          enrolled_date=enrolled, exit_date=exit_date,
                          exit_reason=rng.choice(["completed", "withdrew"]) if exit_date else None))  # fmt: skip
        start = date(2025, 7, 1) + timedelta(days=rng.randint(0, 30))
        absence = rng.choice([0.0, 0.05, 0.1, 0.3, 0.6])  # a spread of children around both thresholds
        attendance += sessions(cid, start, [rng.choice(codes[-6:] if rng.random() < absence else codes[:8])
                                            for _ in range(rng.randint(0, 300))])  # fmt: skip
        for j in range(rng.randint(0, 3)):
            referrals.append({"referral_id": f"R{cid}{j}", "child_id": cid,
                              "referral_date": date(2025, 7, 1) + timedelta(days=rng.randint(0, 400)),
                              "service": "camhs", "reason": rng.choice(["mental_health", "behaviour"])})  # fmt: skip
        for j in range(rng.randint(0, 2)):
            events.append({"event_id": f"E{cid}{j}", "child_id": cid,
                           "start_date": date(2025, 7, 1) + timedelta(days=rng.randint(0, 400)),
                           "kind": rng.choice(["suspension", "permanent_exclusion"]), "sessions": 2})  # fmt: skip
        offsets = rng.sample(range(0, 400), rng.randint(0, 4))  # distinct dates: no ties to rule on
        for off in offsets:
            scores.append(_score(cid, date(2025, 7, 1) + timedelta(days=off),
                                 rng.choice(["baseline", "baseline", "review", "exit"]), rng.randint(0, 40)))  # fmt: skip
    return {"schools": schools, "children": kids, "attendance": attendance, "referrals": referrals,
            "suspensions": events, "assessments": scores}  # fmt: skip


def _naive_board(
    tables: dict[str, list[dict[str, Any]]], start: date, end: date
) -> dict[str, dict[str, int]]:
    """The contract's section 4 read literally, in plain Python, one child at a time."""
    out = {s["school_id"]: dict.fromkeys(("children", "present", "possible", "with_sessions", "persistent",
                                          "severe", "mh_referrals", "suspensions", "permanent_exclusions",
                                          "sdq_with_both", "sdq_improved"), 0)
           for s in tables["schools"]}  # fmt: skip
    for k in tables["children"]:
        if k["enrolled_date"] is None or k["enrolled_date"] > end:
            continue
        if k["exit_date"] is not None and k["exit_date"] < start:
            continue
        row, cid = out[k["school_id"]], k["child_id"]
        row["children"] += 1
        mine = [a["code"] for a in tables["attendance"] if a["child_id"] == cid and start <= a["date"] <= end]
        present, possible = sum(c in PRESENT_CODES for c in mine), sum(c in POSSIBLE_CODES for c in mine)
        row["present"] += present
        row["possible"] += possible
        if possible:
            row["with_sessions"] += 1
            row["persistent"] += (possible - present) / possible >= 0.1
            row["severe"] += (possible - present) / possible >= 0.5
        for r in tables["referrals"]:
            row["mh_referrals"] += (
                r["child_id"] == cid
                and r["reason"] == "mental_health"
                and (start <= r["referral_date"] <= end)
            )
        for e in tables["suspensions"]:
            if e["child_id"] == cid and start <= e["start_date"] <= end:
                row["suspensions" if e["kind"] == "suspension" else "permanent_exclusions"] += 1
        sdq = sorted((s["assessment_date"], s["wave"], s["score"]) for s in tables["assessments"]
                     if s["child_id"] == cid and s["assessment_date"] <= end)  # fmt: skip
        baselines = [s for s in sdq if s[1] == "baseline"]
        if baselines:
            later = [s for s in sdq if s[0] > baselines[0][0]]
            if later:
                row["sdq_with_both"] += 1
                row["sdq_improved"] += baselines[0][2] - later[-1][2] >= 3
    out["all"] = {c: sum(out[s][c] for s in out) for c in out["S01"]}
    return out


def test_board_counts_match_a_naive_reading_of_the_contract(tmp_path: Path) -> None:
    tables = _random_snapshot_tables(2026)
    snap = build(tmp_path, **tables)
    rng = random.Random(5)
    periods = [(AY_FROM, AY_TO), (date(2025, 8, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 4, 5)),
               (date(2026, 4, 6), date(2026, 7, 31)), (date(2024, 8, 1), date(2025, 7, 31))]  # fmt: skip
    for _ in range(15):
        a = date(2025, 6, 1) + timedelta(days=rng.randint(0, 300))
        periods.append((a, a + timedelta(days=rng.randint(0, 150))))
    for start, end in periods:
        raw = figures.board_raw(snap, Filters(period=custom(start, end)))
        got = {
            r["school_id"]: {c: r[c] for c in _naive_board(tables, start, end)["all"]} for r in raw.to_dicts()
        }
        assert got == _naive_board(tables, start, end), (start, end)
