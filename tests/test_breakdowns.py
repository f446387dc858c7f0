"""The breakdown figures of the Enrolment, Referrals and Suspensions pages, on tiny snapshots worked out by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from builders import child, make_snapshot, school
from cellkey_oracle import children as ids_of
from cellkey_oracle import published

from data_access import periods, tables, views
from data_access.disclosure import SUPPRESSED, FigureTable
from data_access.filters import Filters
from data_access.periods import academic_year, custom, term_period
from data_access.rounding import round_half_away
from data_access.snapshots import Snapshot, open_snapshot

AY = academic_year(2025)  # 1 Aug 2025 – 31 Jul 2026
EVERYONE = Filters(period=AY)


def build(tmp_path: Path, **tables: Any) -> Snapshot:
    """A valid tiny snapshot, opened through validation."""
    tables.setdefault("schools", [school("S01"), school("S02")])
    return open_snapshot(make_snapshot(tmp_path, **tables))


def many(prefix: str, n: int, **overrides: Any) -> list[dict[str, Any]]:
    """``n`` children with ids ``prefix00``… and the same overrides."""
    return [child(f"{prefix}{i:02d}", **overrides) for i in range(n)]


def column(table: FigureTable, key: str, figure: str) -> dict[Any, Any]:
    """One figure's shown values (numbers, ``c`` or None) keyed by the table's first key."""
    return {row[key]: row[figure] for row in table.rows()}


def row_of(table: FigureTable, key: str, value: Any) -> dict[str, Any]:
    """The shown row whose ``key`` is ``value``."""
    return next(row for row in table.rows() if row[key] == value)


# ------------------------------------------------------------------------------------------ enrolments by month


def enrolment_snapshot(tmp_path: Path) -> Snapshot:
    s01 = (
        many("A", 6, enrolled_date=date(2025, 9, 10))  # Sep: 6
        + many("B", 2, enrolled_date=date(2025, 10, 3))  # Oct: 2
        + many("C", 7, enrolled_date=date(2025, 12, 1))  # Dec: 7 (Nov: a true 0)
        + many("L", 3, enrolled_date=date(2026, 2, 1))  # after the as-at date: not counted
        + many("N", 2, enrolled_date=None)  # identified, never enrolled: not counted
    )
    s02 = many("D", 5, school_id="S02", enrolled_date=date(2025, 10, 20))
    for row in s01 + s02:
        row["identified_date"] = date(2025, 9, 1)
    return build(tmp_path, children=s01 + s02)


def test_enrolments_by_month_counts_each_school_up_to_the_as_at_date(tmp_path: Path) -> None:
    snap = enrolment_snapshot(tmp_path)
    table = views.enrolments_by_month(snap, EVERYONE, "admin", date(2026, 1, 15))
    months = [row["month"] for row in table.rows()]
    assert months == ["Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025", "Jan 2026", tables.TOTAL]
    assert column(table, "month", "S01") == {"Sep 2025": 6, "Oct 2025": 2, "Nov 2025": 0, "Dec 2025": 7,
                                             "Jan 2026": 0, "Total": 15}  # fmt: skip
    assert column(table, "month", "S02") == {"Sep 2025": 0, "Oct 2025": 5, "Nov 2025": 0, "Dec 2025": 0,
                                             "Jan 2026": 0, "Total": 5}  # fmt: skip


def test_enrolment_totals_equal_the_funnels_enrolled(tmp_path: Path) -> None:
    snap = enrolment_snapshot(tmp_path)
    as_at = date(2026, 1, 15)
    totals = row_of(views.enrolments_by_month(snap, EVERYONE, "allchild", as_at), "month", "Total")
    funnel = column(views.funnel_table(snap, EVERYONE, "allchild", as_at), "school_id", "enrolled")
    assert (totals["S01"], totals["S02"]) == (funnel["S01"], funnel["S02"]) == (15, 5)


def test_enrolments_by_month_protected_for_councillors(tmp_path: Path) -> None:
    snap = enrolment_snapshot(tmp_path)
    table = views.enrolments_by_month(snap, EVERYONE, "councillor", date(2026, 1, 15))
    # Rule 6: as at the last month end (31 Dec 2025), so no January row. Each cell is its own records' published
    # count (Sep: A00-A05; Oct: B00-B01, 2 → c; Dec: C00-C06; the total all 15); true zeros stay 0.
    assert column(table, "month", "S01") == {
        "Sep 2025": published("children", ids_of("A", 6)), "Oct 2025": SUPPRESSED, "Nov 2025": 0,
        "Dec 2025": published("children", ids_of("C", 7)),
        "Total": published("children", ids_of("A", 6) + ids_of("B", 2) + ids_of("C", 7)),
    }  # fmt: skip
    # S02's only month holds the same five records as its total: the same published value (rule 2)
    s02 = column(table, "month", "S02")
    assert s02["Oct 2025"] == s02["Total"] == published("children", ids_of("D", 5))


def test_enrolments_follow_the_characteristic_filters(tmp_path: Path) -> None:
    snap = enrolment_snapshot(tmp_path)
    only_s02 = Filters(period=AY, schools=("S02",))
    table = views.enrolments_by_month(snap, only_s02, "admin", date(2026, 1, 15))
    assert table.figures == ("S02",)
    assert row_of(table, "month", "Total")["S02"] == 5


# ------------------------------------------------------------------------------------------- who the children are


def characteristics_snapshot(tmp_path: Path) -> Snapshot:
    children = (
        many("Y5", 12, year_group=5, sex="female", fsm_eligible=True)
        + many("Y6", 3, year_group=6, sex="male", fsm_eligible=False, sen_provision="ehcp")
        # a Year 7 child who is never enrolled: the year group exists, but no child of it is in scope
        + [child("Y7", year_group=7, enrolled_date=None)]
        # left before the period: not in scope
        + [child("OLD", year_group=6, exit_date=date(2025, 7, 1), exit_reason="completed")]
    )
    return build(tmp_path, children=children)


def test_children_by_year_group_exact_with_true_zero_and_total(tmp_path: Path) -> None:
    snap = characteristics_snapshot(tmp_path)
    table = views.children_by(snap, EVERYONE, "admin", "year_group")
    assert column(table, "group", "children") == {"Year 5": 12, "Year 6": 3, "Year 7": 0,
                                                  tables.ALL_IN_SCOPE: 15}  # fmt: skip


def test_children_by_year_group_protected(tmp_path: Path) -> None:
    snap = characteristics_snapshot(tmp_path)
    table = views.children_by(snap, EVERYONE, "councillor", "year_group")
    # Year 6 (3 children) is c; Year 5 and the total are their own records' published counts (no secondary
    # suppression: version 1's rule is withdrawn); the true 0 stays 0.
    assert column(table, "group", "children") == {
        "Year 5": published("children", ids_of("Y5", 12)), "Year 6": SUPPRESSED, "Year 7": 0,
        tables.ALL_IN_SCOPE: published("children", ids_of("Y5", 12) + ids_of("Y6", 3)),
    }  # fmt: skip


def test_children_by_characteristic_the_same_records_publish_the_same_value(tmp_path: Path) -> None:
    snap = build(tmp_path, children=many("M", 8, sex="male"))
    table = views.children_by(snap, EVERYONE, "commissioner", "sex")
    # every child is male: the male row and the total are the same eight records, so the same value (rule 2)
    male = published("children", ids_of("M", 8))
    assert column(table, "group", "children") == {"Female": 0, "Male": male, "Not recorded": 0,
                                                  tables.ALL_IN_SCOPE: male}  # fmt: skip


@pytest.mark.parametrize(
    ("characteristic", "expected"),
    [
        ("sex", {"Female": 12, "Male": 3, "Not recorded": 0}),
        ("fsm_eligible", {"Eligible for free school meals": 12, "Not eligible": 3}),
        ("sen_provision", {"No SEN provision": 12, "SEN support": 0, "EHC plan": 3}),
    ],
)
def test_children_by_every_characteristic(
    tmp_path: Path, characteristic: str, expected: dict[str, int]
) -> None:
    snap = characteristics_snapshot(tmp_path)
    table = views.children_by(snap, EVERYONE, "allchild", characteristic)
    assert column(table, "group", "children") == expected | {tables.ALL_IN_SCOPE: 15}


def test_children_by_shows_only_the_filtered_categories(tmp_path: Path) -> None:
    snap = characteristics_snapshot(tmp_path)
    table = views.children_by(snap, Filters(period=AY, sexes=("male",)), "admin", "sex")
    assert column(table, "group", "children") == {"Male": 3, tables.ALL_IN_SCOPE: 3}


# ---------------------------------------------------------------------------------------------------- exits


def test_exits_by_reason_counts_exits_within_the_period_only(tmp_path: Path) -> None:
    children = (
        many("DONE", 6, exit_date=date(2026, 3, 1), exit_reason="completed")
        + many("MOVE", 2, exit_date=date(2025, 11, 1), exit_reason="moved_school")
        + [child("LATE", exit_date=date(2026, 9, 1), exit_reason="withdrew")]  # after the period
        + [child("EARLY", exit_date=date(2025, 6, 1), exit_reason="withdrew")]  # before: not in scope
        + many("STAY", 4)
    )
    snap = build(tmp_path, children=children)
    exact = views.exits_by_reason(snap, EVERYONE, "admin")
    assert column(exact, "reason", "exits") == {"Completed": 6, "Moved school": 2, "Withdrew": 0, "Other": 0,
                                                tables.ALL_EXITS: 8}  # fmt: skip
    shown = views.exits_by_reason(snap, EVERYONE, "councillor")
    # each row its own records' published count; Moved school (2) is c; no secondary suppression
    assert column(shown, "reason", "exits") == {
        "Completed": published("children", ids_of("DONE", 6)), "Moved school": SUPPRESSED, "Withdrew": 0,
        "Other": 0, tables.ALL_EXITS: published("children", ids_of("DONE", 6) + ids_of("MOVE", 2)),
    }  # fmt: skip


# ------------------------------------------------------------------------------------------------ referrals


def referral(n: int, child_id: str, day: date, service: str, reason: str = "mental_health") -> dict[str, Any]:
    return {"referral_id": f"R{n:04d}", "child_id": child_id, "referral_date": day, "service": service,
            "reason": reason}  # fmt: skip


def referrals_snapshot(tmp_path: Path) -> Snapshot:
    plan = [  # (month, service, how many)
        (9, "camhs", 6), (9, "early_help", 2), (9, "community", 7),
        (10, "camhs", 8), (10, "early_help", 5), (10, "community", 9),
    ]  # fmt: skip
    rows: list[dict[str, Any]] = []
    for month, service, count in plan:
        for _ in range(count):
            rows.append(referral(len(rows), "K00", date(2025, month, 15), service))
    rows.append(referral(900, "K00", date(2025, 7, 31), "camhs"))  # the day before the period
    rows.append(referral(901, "GONE", date(2025, 9, 15), "camhs"))  # a child not in scope
    children = [*many("K", 10), child("GONE", exit_date=date(2025, 6, 30), exit_reason="withdrew")]
    return build(tmp_path, children=children, referrals=rows)


def test_referrals_by_month_exact_grid_over_the_whole_period(tmp_path: Path) -> None:
    snap = referrals_snapshot(tmp_path)
    table = views.referrals_by_month(snap, EVERYONE, "admin", "service")
    assert [r["month"] for r in table.rows()][:3] == ["Aug 2025", "Sep 2025", "Oct 2025"]
    assert len(table.rows()) == 12 + 1  # every month of the academic year, then the total
    assert row_of(table, "month", "Sep 2025") == {
        "month": "Sep 2025", "month_start": date(2025, 9, 1), "camhs": 6, "early_help": 2,
        "childrens_social_care": 0, "school_nursing": 0, "community": 7, "other": 0,
    }  # fmt: skip
    total = row_of(table, "month", "Total")
    assert (total["camhs"], total["early_help"], total["community"]) == (14, 7, 16)


def test_referrals_by_month_every_cell_perturbed_on_its_own(tmp_path: Path) -> None:
    snap = referrals_snapshot(tmp_path)
    table = views.referrals_by_month(snap, EVERYONE, "councillor", "service")
    sep, oct_, total = (row_of(table, "month", m) for m in ("Sep 2025", "Oct 2025", "Total"))
    # referrals are numbered in plan order: Sep camhs 0-5, Sep early help 6-7, Sep community 8-14, Oct camhs
    # 15-22, Oct early help 23-27, Oct community 28-36 (900, 901: outside the period or the scope)
    ranges = {("Sep", "camhs"): range(0, 6), ("Sep", "early_help"): range(6, 8), ("Sep", "community"): range(8, 15),
              ("Oct", "camhs"): range(15, 23), ("Oct", "early_help"): range(23, 28),
              ("Oct", "community"): range(28, 37)}  # fmt: skip

    def ids(*cells: tuple[str, str]) -> list[str]:
        return [f"R{i:04d}" for cell in cells for i in ranges[cell]]

    for row, month in ((sep, "Sep"), (oct_, "Oct")):
        for service in ("camhs", "early_help", "community"):
            assert row[service] == published("referrals", ids((month, service))), (month, service)
    assert sep["early_help"] == SUPPRESSED  # 2 referrals: 2 + 3 < 5
    for service in ("camhs", "early_help", "community"):
        assert total[service] == published("referrals", ids(("Sep", service), ("Oct", service)))


def test_mental_health_referrals_by_reason_total_matches_the_board(tmp_path: Path) -> None:
    snap = referrals_snapshot(tmp_path)
    grid = views.referrals_by_month(snap, EVERYONE, "allchild", "reason")
    board_all = views.board_table(snap, EVERYONE, "allchild").rows()[-1]
    assert row_of(grid, "month", "Total")["mental_health"] == board_all["mental_health_referrals"] == 37


def test_referrals_per_month_stop_at_the_snapshot_date(tmp_path: Path) -> None:
    snap = build(tmp_path, children=many("K", 10))  # snapshot of 20 Nov 2026
    table = views.referrals_by_month(snap, Filters(period=academic_year(2026)), "admin", "reason")
    assert [r["month"] for r in table.rows()] == ["Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026", "Total"]


def test_mental_health_year_on_year_is_the_board_all_row_of_both_periods(tmp_path: Path) -> None:
    snap = referrals_snapshot(tmp_path)
    rows = views.mental_health_year_on_year(snap, EVERYONE, "admin").rows()
    assert [r["period"] for r in rows] == ["Year before", "This period"]
    # year before (2024/25): the 10 children (enrolled Sep 2024) and GONE; one referral on 31 Jul 2025
    assert (rows[0]["children"], rows[0]["mental_health_referrals"]) == (11, 1)
    assert rows[0]["mental_health_referrals_per_100"] == 9.1  # 1 × 100 ÷ 11 = 9.09
    assert (rows[1]["children"], rows[1]["mental_health_referrals"], rows[1]["mental_health_referrals_per_100"]) == (
        10, 37, 370.0)  # fmt: skip
    shown = views.mental_health_year_on_year(snap, EVERYONE, "councillor").rows()
    assert shown[0]["mental_health_referrals"] == shown[0]["mental_health_referrals_per_100"] == SUPPRESSED


# ---------------------------------------------------------------------------------------------- suspensions


def suspension(
    n: int, child_id: str, day: date, kind: str = "suspension", sessions: int = 2
) -> dict[str, Any]:
    return {
        "event_id": f"E{n:04d}",
        "child_id": child_id,
        "start_date": day,
        "kind": kind,
        "sessions": sessions,
    }


def suspensions_snapshot(tmp_path: Path) -> Snapshot:
    children = (
        many("P", 20) + many("Q", 20, school_id="S02") + many("R", 20, school_id="S03")
        + many("T", 8, school_id="S04")  # a small school: its rates are c (fewer than 10 children)
    )  # fmt: skip
    events = (
        [suspension(i, "P00", date(2025, 10, 1)) for i in range(7)]  # S01: 7 in autumn, 14 sessions
        + [suspension(10 + i, "Q00", date(2026, 2, 1), sessions=3) for i in range(4)]  # S02: 4 in spring
        + [suspension(20 + i, "R00", date(2026, 5, 1)) for i in range(5)]  # S03: 5 in summer
        + [suspension(30, "R01", date(2026, 5, 2), "permanent_exclusion", 10)]
    )
    return build(tmp_path, schools=[school(s) for s in ("S01", "S02", "S03", "S04")], children=children,
                 suspensions=events)  # fmt: skip


def test_suspensions_by_term_exact(tmp_path: Path) -> None:
    snap = suspensions_snapshot(tmp_path)
    terms = tuple(term_period(2025, t) for t in ("autumn", "spring", "summer"))
    rows = views.suspensions_by_period(snap, EVERYONE, "admin", terms).rows()
    assert [(r["suspensions"], r["permanent_exclusions"], r["sessions_lost"]) for r in rows] == [
        (7, 0, 14), (4, 0, 12), (5, 1, 20)]  # fmt: skip
    assert [r["suspensions_per_100"] for r in rows] == [10.3, 5.9, 7.4]  # 7, 4, 5 × 100 ÷ 68 children


def test_suspensions_by_term_protected_for_councillors(tmp_path: Path) -> None:
    snap = suspensions_snapshot(tmp_path)
    terms = tuple(term_period(2025, t) for t in ("autumn", "spring", "summer"))
    rows = views.suspensions_by_period(snap, EVERYONE, "councillor", terms).rows()
    autumn, spring, summer = rows
    kids = published("children", ids_of("P", 20) + ids_of("Q", 20) + ids_of("R", 20) + ids_of("T", 8))
    assert autumn["children"] == spring["children"] == summer["children"] == kids  # the same 68 children
    autumn_events = published("suspensions", [f"E{i:04d}" for i in range(7)])
    assert autumn["suspensions"] == autumn_events
    assert autumn["suspensions_per_100"] == round_half_away(autumn_events, kids)  # from published counts
    assert autumn["sessions_lost"] == 10  # 14 sessions to the nearest 10, its 7 events shown
    # spring: 4 suspensions (published c unless moved to 5-7); rate and sessions lost follow the count
    spring_events = published("suspensions", [f"E{i:04d}" for i in range(10, 14)])
    assert spring["suspensions"] == spring_events
    if spring_events == SUPPRESSED:
        assert spring["suspensions_per_100"] == spring["sessions_lost"] == SUPPRESSED
    # summer: 1 exclusion is c (1 + 3 < 5), and so is its rate
    assert summer["permanent_exclusions"] == summer["permanent_exclusions_per_100"] == SUPPRESSED
    summer_events = published("suspensions", [*(f"E{i:04d}" for i in range(20, 25)), "E0030"])
    assert summer["sessions_lost"] == (SUPPRESSED if summer_events == SUPPRESSED else 20)  # 20 sessions


def test_suspensions_by_school_rates_come_from_published_counts(tmp_path: Path) -> None:
    snap = suspensions_snapshot(tmp_path)
    table = views.suspensions_by_school(snap, EVERYONE, "councillor")
    counts = column(table, "school_id", "suspensions")
    rates = column(table, "school_id", "suspensions_per_100")
    kids = column(table, "school_id", "children")
    s02 = published("suspensions", [f"E{i:04d}" for i in range(10, 14)])  # 4 suspensions
    assert counts["S02"] == s02 and counts["S04"] == 0
    for school_id in ("S01", "S02", "S03", "all"):
        if counts[school_id] == SUPPRESSED:
            assert rates[school_id] == SUPPRESSED  # a c count never shows its rate
        else:
            assert rates[school_id] == round_half_away(counts[school_id], kids[school_id])
    assert kids["S04"] == published("children", ids_of("T", 8))
    assert rates["S04"] in (SUPPRESSED, 0.0)  # 8 children: c unless published at 10 or more
    exact = views.suspensions_by_school(snap, EVERYONE, "admin")
    assert column(exact, "school_id", "suspensions_per_100") == {"S01": 35.0, "S02": 20.0, "S03": 25.0, "S04": 0.0,
                                                                 "all": 23.5}  # fmt: skip


def test_academic_years_cover_the_snapshot() -> None:
    years = periods.academic_years(date(2024, 9, 2), date(2026, 11, 20))
    assert [y.label for y in years] == [
        "Academic year 2024/25",
        "Academic year 2025/26",
        "Academic year 2026/27",
    ]


# ---------------------------------------------------------------------------------------------------- shapes


def test_long_form_keeps_hidden_values_as_gaps_and_drops_the_total(tmp_path: Path) -> None:
    snap = characteristics_snapshot(tmp_path)
    long = tables.long_form(views.children_by(snap, EVERYONE, "councillor", "year_group"))
    assert long.get_column("group").to_list() == ["Year 5", "Year 6", "Year 7"]
    year5 = published("children", ids_of("Y5", 12))
    assert long.get_column("value").to_list() == [float(year5), None, 0.0]  # type: ignore[arg-type]
    assert long.get_column("value__status").to_list() == ["shown", "c", "shown"]


def test_a_custom_period_counts_its_own_months(tmp_path: Path) -> None:
    snap = referrals_snapshot(tmp_path)
    period = custom(date(2025, 9, 20), date(2025, 10, 10))
    table = views.referrals_by_month(snap, Filters(period=period), "admin", "service")
    # the referrals of 15 Sep are before the range, those of 15 Oct after it
    assert [r["month"] for r in table.rows()] == ["Sep 2025", "Oct 2025", "Total"]
    assert row_of(table, "month", "Total")["camhs"] == 0
