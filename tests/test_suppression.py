"""Statistical disclosure control (contract version 2, section 6): the cell key method as ``disclosure`` applies it.

Version 1's primary and secondary suppression is withdrawn (section 6: "the version 1 rule of secondary
suppression is withdrawn"); these tests replace its tests. Hand examples pick cell keys whose change d is known
(rule 3: d = −3 for u < 0.05, 0 for 0.35 ≤ u < 0.65, +3 for u ≥ 0.95, u = key ÷ 2**32); properties build
tables from random records with real record keys, counted with ``count_with_key`` as the data layer does.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.cellkey import KEY_SPACE, count_with_key, perturbation, publish_count
from data_access.contract import EXACT_FOOTNOTE, SUPPRESSION_FOOTNOTE
from data_access.disclosure import (
    SUPPRESSED,
    FigureSpec,
    FigureTable,
    exact,
    format_shown,
    protect,
    round_half_away,
    suppress,
)
from data_access.views import EXTRA_SPECS, applies_suppression

LOW, MID, HIGH = 0, KEY_SPACE // 2, KEY_SPACE - 1  # d = −3, 0, +3
assert (perturbation(LOW), perturbation(MID), perturbation(HIGH)) == (-3, 0, 3)

COUNT = FigureSpec("count", "count", "n")
RATE = FigureSpec("rate", "rate", "num", "den", "kids")  # a rate per 100 children (not capped)
PCT = FigureSpec("pct", "rate", "num", "den", "kids", cap=True)  # a percentage of children
SESSIONS = FigureSpec("attendance", "rate", "present", "possible", "kids", sessions=True)
LOST = next(s for s in EXTRA_SPECS if s.name == "sessions_lost")


def value(cell: Any) -> Any:
    return SUPPRESSED if cell.status == "c" else cell.value


def row(**counts: int | tuple[int, int]) -> dict[str, Any]:
    """A raw row: ``name=n`` (cell key MID) or ``name=(n, key)``."""
    out: dict[str, Any] = {}
    for name, given_ in counts.items():
        n, key = given_ if isinstance(given_, tuple) else (given_, MID)
        out[name] = n
        out[f"{name}__key"] = key
    return out


# ------------------------------------------------------------------------------------------------ rule 3


@pytest.mark.parametrize(
    ("n", "key", "expected"),
    [
        (0, LOW, 0), (0, HIGH, 0),  # a true 0 is published as 0, whatever its key
        (1, MID, "c"), (4, MID, "c"), (4, HIGH, 7),  # 4 + 3 = 7 is shown: c is about the published value
        (5, MID, 5), (5, LOW, "c"), (8, LOW, 5), (7, LOW, "c"), (120, HIGH, 123), (120, LOW, 117),
    ],
)  # fmt: skip
def test_counts_are_perturbed_by_their_cell_key(n: int, key: int, expected: Any) -> None:
    assert value(protect(COUNT, row(n=(n, key)))) == expected
    assert exact(COUNT, {"n": n}).value == n  # exact figures for exact roles


def test_a_protected_count_without_its_cell_key_is_refused() -> None:
    with pytest.raises(KeyError, match="cell key"):
        protect(COUNT, {"n": 12})


# ------------------------------------------------------------------------------------------------ rule 4


@pytest.mark.parametrize(
    ("num", "den", "kids", "expected"),
    [
        ((6, MID), (40, MID), (40, MID), 15.0),  # 6 × 100 ÷ 40
        ((6, HIGH), (40, LOW), (40, LOW), 24.3),  # published 9 ÷ 37 = 24.32…: from published counts
        ((0, LOW), (12, MID), (12, MID), 0.0),  # a true 0 numerator gives 0.0
        ((3, MID), (40, MID), (40, MID), "c"),  # numerator c
        ((6, MID), (9, MID), (9, MID), "c"),  # published denominator below 10
        ((6, MID), (12, LOW), (12, LOW), "c"),  # 12 − 3 = 9 published: below 10
        ((6, MID), (9, HIGH), (9, HIGH), 50.0),  # 9 + 3 = 12 published: shown, 6 ÷ 12
        ((0, MID), (0, MID), (3, MID), None),  # denominator 0: nothing to compute, never c
    ],
)
def test_rates_come_from_published_counts(num: Any, den: Any, kids: Any, expected: Any) -> None:
    assert value(protect(RATE, row(num=num, den=den, kids=kids))) == expected


def test_a_percentage_is_capped_at_its_published_denominator() -> None:
    # published 11 + 3 = 14 of published 12: 100.0, never 116.7
    assert value(protect(PCT, row(num=(11, HIGH), den=(12, MID), kids=(30, MID)))) == 100.0
    assert value(protect(RATE, row(num=(11, HIGH), den=(12, MID), kids=(30, MID)))) == 116.7  # rates are not


def test_attendance_comes_from_exact_sessions_where_published_children_reach_10() -> None:
    sessions = {"present": 901, "possible": 1000}
    assert value(protect(SESSIONS, {**sessions, **row(kids=(10, MID))})) == 90.1
    assert value(protect(SESSIONS, {**sessions, **row(kids=(10, LOW))})) == "c"  # 7 published
    assert value(protect(SESSIONS, {"present": 0, "possible": 0, **row(kids=(10, MID))})) is None


@pytest.mark.parametrize(
    ("lost", "events", "expected"),
    [(34, (6, MID), 30), (35, (6, MID), 40), (12, (3, MID), "c"), (0, (0, MID), 0), (9, (4, HIGH), 10)],
)
def test_sessions_lost_to_the_nearest_10_only_when_their_events_are_shown(
    lost: int, events: tuple[int, int], expected: Any
) -> None:
    raw = {"sessions_lost": lost, **row(suspensions_and_exclusions=events)}
    assert value(protect(LOST, raw)) == expected


# ------------------------------------------------------------------------------------------------ rule 5


def test_rule_5_children_and_the_complement() -> None:
    counts = row(num=(6, MID), den=(20, MID), kids=(20, MID))
    assert value(protect(PCT, {**counts, **row(kids=(9, MID)), "den": 20})) == "c"  # children 9 < 10
    assert value(protect(PCT, {**counts, **row(complement=(7, MID))})) == "c"  # complement 7 < 10
    assert value(protect(PCT, {**counts, **row(complement=(3, MID))})) == "c"  # complement c
    assert value(protect(PCT, {**counts, **row(complement=(0, HIGH))})) == 30.0  # a true 0 complement
    assert value(protect(PCT, {**counts, **row(complement=(10, MID))})) == 30.0
    assert value(protect(PCT, counts, complement=7)) == "c"  # the selection's complement
    assert value(protect(PCT, counts, rates_allowed=False)) == "c"  # the selection has fewer than 10
    assert value(protect(COUNT, row(n=(6, MID)), rates_allowed=False)) == 6  # counts keep rules 2-3


# ----------------------------------------------------------------------------------------- exact and shown


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


@pytest.mark.parametrize("role", ["allchild", "admin"])
def test_exact_figures_for_allchild_and_admin(role: str) -> None:
    assert not applies_suppression(role)
    assert applies_suppression(role, public=True)  # a public board paper is protected whatever the role
    raw = pl.DataFrame(
        [{"school_id": "S01", "n": 1, "num": 1, "den": 3, "kids": 3},
         {"school_id": "S02", "n": 7, "num": 5, "den": 20, "kids": 20},
         {"school_id": "all", "n": 8, "num": 6, "den": 23, "kids": 23}]
    )  # fmt: skip
    table = suppress(raw, ["school_id"], [COUNT, RATE], apply=applies_suppression(role))
    assert [r["count"] for r in table.rows()] == [1, 7, 8]
    assert [r["rate"] for r in table.rows()] == [33.3, 25.0, 26.1]  # 1÷3; 5÷20; 6÷23 = 26.08…
    assert table.footnote == EXACT_FOOTNOTE == "Exact figures — internal use only"


@pytest.mark.parametrize("role", ["councillor", "commissioner", "someone-unknown"])
def test_restricted_roles_are_protected(role: str) -> None:
    assert applies_suppression(role)


def test_display_and_plottable_never_show_a_hidden_value_and_every_protected_table_says_so() -> None:
    raw = pl.DataFrame([row(n=(3, MID)), row(n=(6, LOW)), row(n=(40, MID))]).with_columns(
        school_id=pl.Series(["S01", "S02", "S03"])
    )
    table = suppress(raw, ["school_id"], [COUNT], apply=True)
    assert table.display()["count"].to_list() == ["c", "c", "40"]
    assert table.plottable()["count"].to_list() == [None, None, 40]  # a gap, never the hidden value
    assert table.footnote == SUPPRESSION_FOOTNOTE
    assert SUPPRESSION_FOOTNOTE == (
        "Figures are adjusted slightly (by up to 3) to protect children's privacy, so parts may not add up to "
        "totals. c = fewer than 5."
    )


# ------------------------------------------------------------------------------------------------ properties


@st.composite
def records(draw: st.DrawFn) -> pl.DataFrame:
    """1 to 60 records: a school (of 4), a flag counted by a figure, and a record key."""
    n = draw(st.integers(1, 60))
    return pl.DataFrame(
        {
            "school_id": [f"S0{draw(st.integers(1, 4))}" for _ in range(n)],
            "flag": [draw(st.booleans()) for _ in range(n)],
            "record_key": [draw(st.integers(0, KEY_SPACE - 1)) for _ in range(n)],
        },
        schema={"school_id": pl.String, "flag": pl.Boolean, "record_key": pl.UInt32},
    )


def board_of(frame: pl.DataFrame) -> pl.DataFrame:
    """Per school then ``all``: children (every record) and flagged (a count and a percentage's numerator),
    each with its cell key from the same aggregation, as ``figures.board_raw`` builds them."""
    counts = [
        *count_with_key(None, "record_key", "kids"),
        *count_with_key(pl.col("flag"), "record_key", "num"),
    ]
    per_school = frame.group_by("school_id").agg(counts).sort("school_id")
    total = frame.select(counts).with_columns(school_id=pl.lit("all")).select(per_school.columns)
    return pl.concat([per_school, total])


SPECS = [FigureSpec("children", "count", "kids"), FigureSpec("flagged", "count", "num"),
         FigureSpec("share", "rate", "num", "kids", "kids", cap=True)]  # fmt: skip


def protected(frame: pl.DataFrame) -> FigureTable:
    return suppress(board_of(frame), ["school_id"], SPECS, apply=True)


@settings(max_examples=150, deadline=None)
@given(records())
def test_property_published_counts(frame: pl.DataFrame) -> None:
    """A true 0 is 0; no published count is 1-4; |published − true| ≤ 3; a rate is from published counts."""
    raw = {r["school_id"]: r for r in board_of(frame).iter_rows(named=True)}
    for shown in protected(frame).rows():
        true = raw[shown["school_id"]]
        for figure, column in (("children", "kids"), ("flagged", "num")):
            published, n = shown[figure], true[column]
            if n == 0:
                assert published == 0
            elif published == SUPPRESSED:
                assert n + perturbation(true[f"{column}__key"]) < 5
            else:
                assert isinstance(published, int) and published >= 5 and abs(published - n) <= 3
        share, kids, flagged = shown["share"], shown["children"], shown["flagged"]
        if isinstance(share, float):
            assert isinstance(kids, int) and kids >= 10 and isinstance(flagged, int)
            assert share == round_half_away(min(flagged, kids), kids)
        elif true["kids"] == 0:
            assert share is None


@settings(max_examples=100, deadline=None)
@given(records(), st.randoms(use_true_random=False))
def test_property_the_same_records_publish_the_same_value_wherever_they_appear(
    frame: pl.DataFrame, rng: Any
) -> None:
    """Consistency (rule 2): a school's row in the all-schools table equals that school alone (and its own
    ``all`` row), whatever the order of the records."""
    every = {r["school_id"]: r for r in protected(frame).rows()}
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=rng.randrange(2**31))
    for school in frame.get_column("school_id").unique().to_list():
        alone = protected(shuffled.filter(pl.col("school_id") == school)).rows()
        assert alone[0] == every[school]
        assert {**alone[1], "school_id": school} == every[school]
    # two schools together publish the value of their union's records, computed either way
    pair = frame.filter(pl.col("school_id").is_in(["S01", "S02"]))
    if pair.height:
        merged = pair.with_columns(school_id=pl.lit("S12"))
        assert protected(merged).rows()[-1] == {**protected(pair).rows()[-1], "school_id": "all"}
        n, key = pair.select(*count_with_key(None, "record_key", "n")).row(0)
        assert protected(pair).rows()[-1]["children"] == publish_count(n, key)
