"""Statistical disclosure control (contract section 6): hand examples and properties over random tables."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.disclosure import (
    SUPPRESSED,
    FigureSpec,
    FigureTable,
    format_shown,
    primary,
    round_half_away,
    suppress,
)
from data_access.views import EXTRA_SPECS, applies_suppression

COUNT = FigureSpec("count", "count", "n")
RATE = FigureSpec("rate", "rate", "num", "den", "kids")
LOST = next(s for s in EXTRA_SPECS if s.name == "sessions_lost")


def shown(table: FigureTable, figure: str) -> dict[str, Any]:
    """One figure's shown values keyed by school_id."""
    return {row["school_id"]: row[figure] for row in table.rows()}


def table_of(rows: list[dict[str, Any]], specs: list[FigureSpec], apply: bool = True) -> FigureTable:
    """Suppress school rows plus an automatically summed total row ``all``."""
    columns = [c for c in rows[0] if c != "school_id"]
    total = {"school_id": "all", **{c: sum(r[c] for r in rows) for c in columns}}
    raw = pl.DataFrame([*rows, total])
    return suppress(raw, ["school_id"], specs, apply=apply, total_key=("school_id", "all"))


# ------------------------------------------------------------------------------------------------- primary


@pytest.mark.parametrize(
    ("n", "expected"), [(0, 0), (1, "c"), (2, "c"), (4, "c"), (5, 5), (6, 6), (120, 120)]
)
def test_primary_counts(n: int, expected: Any) -> None:
    cell = primary(COUNT, {"n": n}, apply=True)
    assert (SUPPRESSED if cell.status == "c" else cell.value) == expected
    assert primary(COUNT, {"n": n}, apply=False).value == n  # exact figures when not applied


@pytest.mark.parametrize(
    ("num", "den", "kids", "expected"),
    [
        (5, 10, 10, 50.0),  # 5 ÷ 10: nothing small → shown
        (0, 10, 10, 0.0),  # a true 0 is shown
        (0, 9, 10, "c"),  # denominator 9 < 10 → c even for 0
        (4, 100, 100, "c"),  # underlying 4 → c
        (1, 100, 100, "c"),  # underlying 1 → c
        (5, 9, 20, "c"),  # denominator below 10 → c
        (50, 100, 9, "c"),  # row covers 9 children (< 10) → c
        (0, 0, 3, None),  # denominator 0 → null, never c, whatever else is small
        (0, 0, 0, None),
        (6, 16, 16, 37.5),  # 6 ÷ 16 = 37.5
    ],
)
def test_primary_rates(num: int, den: int, kids: int, expected: Any) -> None:
    cell = primary(RATE, {"num": num, "den": den, "kids": kids}, apply=True)
    value = SUPPRESSED if cell.status == "c" else cell.value
    assert value == expected
    assert cell.status == ("none" if expected is None else "c" if expected == "c" else "shown")


def test_primary_rates_unapplied_are_exact() -> None:
    assert primary(RATE, {"num": 1, "den": 3, "kids": 2}, apply=False).value == 33.3  # 1 ÷ 3 = 33.33…
    assert primary(RATE, {"num": 0, "den": 0, "kids": 2}, apply=False).status == "none"


@pytest.mark.parametrize(
    ("lost", "events", "expected"),
    [(12, 3, "c"), (30, 5, 30), (0, 0, 0), (4, 4, "c"), (7, 1, "c")],
)
def test_sessions_lost_is_protected_by_its_number_of_events(lost: int, events: int, expected: Any) -> None:
    # 12 sessions lost over 3 events: 12 is not small but 3 events identify children → c
    cell = primary(LOST, {"sessions_lost": lost, "suspensions_and_exclusions": events}, apply=True)
    assert (SUPPRESSED if cell.status == "c" else cell.value) == expected
    assert cell.underlying == events


def test_secondary_for_sessions_lost_uses_events_as_the_underlying_count() -> None:
    rows = [
        {"school_id": "S01", "sessions_lost": 40, "suspensions_and_exclusions": 8},
        {"school_id": "S02", "sessions_lost": 9, "suspensions_and_exclusions": 2},  # c (2 events)
        {"school_id": "S03", "sessions_lost": 12, "suspensions_and_exclusions": 6},
    ]
    # the smallest *underlying* (events) above 0 among the rest is S03 (6 < 8), though S03's 12 < 40 anyway;
    # make the two orders disagree: S01 loses fewer sessions (10) over more events (8)
    rows[0]["sessions_lost"] = 10
    got = shown(table_of(rows, [LOST]), "sessions_lost")
    assert got == {"S01": 10, "S02": "c", "S03": "c", "all": 31}  # S03: 6 events < 8 → hidden


def test_rounding_half_away_from_zero() -> None:
    assert round_half_away(1, 16) == 6.3  # 6.25 → 6.3 (round() gives 6.2)
    assert round_half_away(1, 8) == 12.5
    assert round_half_away(2, 3) == 66.7  # 66.66…
    assert round_half_away(1, 3) == 33.3
    assert round_half_away(3, 16) == 18.8  # 18.75
    assert round_half_away(1, 1600) == 0.1  # 0.0625 → 0.1
    assert round_half_away(1, 2000) == 0.1  # 0.05 → 0.1 (half away from zero)
    assert round_half_away(1, 2001) == 0.0  # 0.04997… → 0.0
    assert round_half_away(7, 12, scale=100) == 58.3  # per 100: 58.33…
    assert round_half_away(-1, 16) == -6.3  # away from zero on the negative side too
    with pytest.raises(ZeroDivisionError):
        round_half_away(1, 0)


def test_format_shown() -> None:
    assert [format_shown(v) for v in (None, "c", 0, 12, 6.3, 100.0)] == ["–", "c", "0", "12", "6.3", "100.0"]


# ----------------------------------------------------------------------------------------------- secondary


def test_secondary_one_suppressed_hides_the_smallest_positive_other() -> None:
    rows = [
        {"school_id": "S01", "n": 20},
        {"school_id": "S02", "n": 3},  # primary c
        {"school_id": "S03", "n": 0},  # a true 0: not a candidate (underlying not above 0)
        {"school_id": "S04", "n": 7},  # the smallest above 0 among the rest → secondary c
        {"school_id": "S05", "n": 9},
    ]
    assert shown(table_of(rows, [COUNT]), "count") == {"S01": 20, "S02": "c", "S03": 0, "S04": "c", "S05": 9,
                                                       "all": 39}  # fmt: skip


def test_secondary_ties_go_to_the_first_by_school_id() -> None:
    rows = [
        {"school_id": "S03", "n": 6},
        {"school_id": "S01", "n": 2},  # primary c
        {"school_id": "S02", "n": 6},  # tie with S03 on 6 → S02 is first by school_id
        {"school_id": "S04", "n": 8},
    ]
    assert shown(table_of(rows, [COUNT]), "count") == {"S03": 6, "S01": "c", "S02": "c", "S04": 8, "all": 22}


def test_secondary_with_no_candidate_hides_the_total() -> None:
    rows = [{"school_id": "S01", "n": 0}, {"school_id": "S02", "n": 4}, {"school_id": "S03", "n": 0}]
    assert shown(table_of(rows, [COUNT]), "count") == {"S01": 0, "S02": "c", "S03": 0, "all": "c"}
    rows = [{"school_id": "S01", "n": 3}]  # a single row: its own total would give it away
    assert shown(table_of(rows, [COUNT]), "count") == {"S01": "c", "all": "c"}


def test_secondary_two_suppressed_need_nothing_more() -> None:
    rows = [
        {"school_id": "S01", "n": 2},
        {"school_id": "S02", "n": 4},
        {"school_id": "S03", "n": 5},
        {"school_id": "S04", "n": 30},
    ]
    assert shown(table_of(rows, [COUNT]), "count") == {"S01": "c", "S02": "c", "S03": 5, "S04": 30, "all": 41}


def test_secondary_skips_null_cells_and_is_done_per_column() -> None:
    rows = [
        # rate: S01 denominator 0 → null; S02 c (3 children); S03 the only candidate → c
        {"school_id": "S01", "n": 12, "num": 0, "den": 0, "kids": 12},
        {"school_id": "S02", "n": 12, "num": 1, "den": 3, "kids": 3},
        {"school_id": "S03", "n": 8, "num": 9, "den": 20, "kids": 20},
        {
            "school_id": "S04",
            "n": 6,
            "num": 0,
            "den": 30,
            "kids": 30,
        },  # 0% shown, underlying 0 → not a candidate
    ]
    table = table_of(rows, [COUNT, RATE])
    # count column: nothing is 1–4 → untouched, though the rate column of the same rows is suppressed
    assert shown(table, "count") == {"S01": 12, "S02": 12, "S03": 8, "S04": 6, "all": 38}
    # rate column: S02 c, S01 null (never c), S03 (9 > 0) hidden, S04 0.0 stays; total 10 ÷ 53 = 18.867… → 18.9
    assert shown(table, "rate") == {"S01": None, "S02": "c", "S03": "c", "S04": 0.0, "all": 18.9}
    assert table.footnote is not None and "fewer than 5" in table.footnote


def test_secondary_rate_with_only_null_and_zero_others_hides_the_total() -> None:
    rows = [
        {"school_id": "S01", "num": 0, "den": 0, "kids": 12},
        {"school_id": "S02", "num": 2, "den": 12, "kids": 12},  # underlying 2 → c
        {"school_id": "S03", "num": 0, "den": 15, "kids": 15},
    ]
    assert shown(table_of(rows, [RATE]), "rate") == {"S01": None, "S02": "c", "S03": 0.0, "all": "c"}


@pytest.mark.parametrize("role", ["allchild", "admin"])
def test_exact_figures_for_allchild_and_admin(role: str) -> None:
    assert not applies_suppression(role)
    assert applies_suppression(role, public=True)  # a public board paper is suppressed whatever the role
    rows = [{"school_id": "S01", "n": 1, "num": 1, "den": 3, "kids": 3}, {"school_id": "S02", "n": 7,
            "num": 5, "den": 20, "kids": 20}]  # fmt: skip
    table = table_of(rows, [COUNT, RATE], apply=applies_suppression(role))
    assert shown(table, "count") == {"S01": 1, "S02": 7, "all": 8}
    assert shown(table, "rate") == {"S01": 33.3, "S02": 25.0, "all": 26.1}  # 1÷3; 5÷20; 6÷23 = 26.08…
    assert table.footnote is None


@pytest.mark.parametrize("role", ["councillor", "commissioner", "someone-unknown"])
def test_restricted_roles_are_suppressed(role: str) -> None:
    assert applies_suppression(role)


def test_display_and_plottable_never_show_a_suppressed_value() -> None:
    rows = [{"school_id": "S01", "n": 3}, {"school_id": "S02", "n": 6}, {"school_id": "S03", "n": 40}]
    table = table_of(rows, [COUNT])
    assert table.display()["count"].to_list() == ["c", "c", "40", "49"]
    plot = table.plottable()
    assert plot["count"].to_list() == [None, None, 40, 49]  # a gap, never the hidden value
    assert 3 not in plot["count"].to_list() and 6 not in plot["count"].to_list()


# ------------------------------------------------------------------------------------------------ properties


@st.composite
def school_tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    """1 to 8 school rows of raw counts, shaped like the board's: children, a count, a rate."""
    n = draw(st.integers(1, 8))
    small = st.one_of(st.integers(0, 6), st.integers(0, 40))  # lean on the thresholds
    rows = []
    for i in range(n):
        kids = draw(small)
        with_sessions = draw(st.integers(0, kids))
        rows.append({
            "school_id": f"S{draw(st.integers(0, 99)):02d}-{i}",
            "kids": kids,
            "n": draw(small),
            "den": with_sessions,
            "num": draw(st.integers(0, with_sessions)),
            "den2": draw(small),  # a rate whose denominator is not children (like sessions)
            "num2": 0,
        })  # fmt: skip
        rows[-1]["num2"] = draw(st.integers(0, rows[-1]["den2"]))
    return rows


PROPERTY_SPECS = [
    FigureSpec("children", "count", "kids"),
    COUNT,
    RATE,
    FigureSpec("rate2", "rate", "num2", "den2", "kids"),
]


def _raw_by_school(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    columns = [c for c in rows[0] if c != "school_id"]
    total = {"school_id": "all", **{c: sum(r[c] for r in rows) for c in columns}}
    return {r["school_id"]: r for r in [*rows, total]}


@settings(max_examples=200, deadline=None)
@given(school_tables())
def test_property_no_shown_count_is_1_to_4(rows: list[dict[str, Any]]) -> None:
    table = table_of(rows, PROPERTY_SPECS)
    for row in table.rows():
        for figure in ("children", "count"):
            value = row[figure]
            assert value == SUPPRESSED or not 1 <= value <= 4, (row["school_id"], figure, value)


@settings(max_examples=200, deadline=None)
@given(school_tables())
def test_property_no_shown_rate_rests_on_small_numbers(rows: list[dict[str, Any]]) -> None:
    raw = _raw_by_school(rows)
    table = table_of(rows, PROPERTY_SPECS)
    for row in table.rows():
        source = raw[row["school_id"]]
        for figure, (num, den) in {"rate": ("num", "den"), "rate2": ("num2", "den2")}.items():
            value = row[figure]
            if source[den] == 0:
                assert value is None  # nothing to compute: null, never c
                continue
            assert value is not None
            if value != SUPPRESSED:
                assert not 1 <= source[num] <= 4
                assert source[den] >= 10
                assert source["kids"] >= 10
                assert value == round_half_away(source[num], source[den])  # and it is the exact figure


@settings(max_examples=200, deadline=None)
@given(school_tables())
def test_property_no_single_suppressed_cell_is_recoverable_from_the_total(rows: list[dict[str, Any]]) -> None:
    raw = _raw_by_school(rows)
    table = table_of(rows, PROPERTY_SPECS)
    shown_rows = table.rows()
    total = shown_rows[-1]
    assert total["school_id"] == "all"
    for figure in ("children", "count", "rate", "rate2"):
        hidden = [r["school_id"] for r in shown_rows[:-1] if r[figure] == SUPPRESSED]
        if total[figure] != SUPPRESSED:
            assert len(hidden) != 1, (figure, hidden)
        if figure in ("children", "count"):
            # total − shown cells = the hidden cells' sum: it must never be pinned to one cell
            assert len(hidden) >= 2 or total[figure] == SUPPRESSED or not hidden
            column = "kids" if figure == "children" else "n"
            if total[figure] != SUPPRESSED and hidden:
                shown_sum = sum(r[figure] for r in shown_rows[:-1] if r[figure] != SUPPRESSED)
                assert total[figure] - shown_sum == sum(raw[s][column] for s in hidden)  # consistent table


@settings(max_examples=200, deadline=None)
@given(school_tables())
def test_property_unsuppressed_tables_are_exact(rows: list[dict[str, Any]]) -> None:
    raw = _raw_by_school(rows)
    table = table_of(rows, PROPERTY_SPECS, apply=False)
    assert table.footnote is None
    for row in table.rows():
        source = raw[row["school_id"]]
        assert row["children"] == source["kids"] and row["count"] == source["n"]
        expected = round_half_away(source["num"], source["den"]) if source["den"] else None
        assert row["rate"] == expected


@settings(max_examples=200, deadline=None)
@given(school_tables())
def test_property_secondary_adds_at_most_one_cell_per_column(rows: list[dict[str, Any]]) -> None:
    primary_only = {
        spec.name: [primary(spec, r, True).status for r in _raw_by_school(rows).values()]
        for spec in PROPERTY_SPECS
    }
    table = table_of(rows, PROPERTY_SPECS)
    for spec in PROPERTY_SPECS:
        after = table.frame[f"{spec.name}__status"].to_list()
        added = [i for i, (a, b) in enumerate(zip(primary_only[spec.name], after, strict=True)) if a != b]
        assert len(added) <= 1
        for i in added:
            assert (primary_only[spec.name][i], after[i]) == ("shown", "c")
