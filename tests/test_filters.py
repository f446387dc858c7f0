"""Filters as one frozen value that maps to and from the URL query string, dropping junk with a notice."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.contract import SEN_PROVISIONS, SEXES
from data_access.filters import Filters, default_period_for, filters_from_query
from data_access.periods import academic_year, custom, periods_for_snapshot, term_period

SCHOOLS = ("S01", "S02", "S03", "S10")
DAYS = [
    date(2025, 9, 3) + timedelta(days=n)
    for n in range(80)
    if (date(2025, 9, 3) + timedelta(days=n)).weekday() < 5
]
DAYS = [d for d in DAYS if not date(2025, 10, 27) <= d <= date(2025, 10, 31)]  # an October half-term
PERIODS = periods_for_snapshot(date(2024, 9, 2), date(2025, 11, 20), DAYS)
DEFAULT = academic_year(2025)


def read(query: dict[str, Any]) -> tuple[Filters, list[str]]:
    return filters_from_query(query, periods=PERIODS, default_period=DEFAULT, school_ids=SCHOOLS)


def test_default_period_is_the_snapshots_current_academic_year() -> None:
    assert default_period_for(date(2025, 11, 20), PERIODS) == academic_year(2025)
    assert default_period_for(date(2025, 7, 1), PERIODS) == academic_year(2024)


def test_empty_query_gives_everyone_over_the_default_period() -> None:
    filters, notices = read({})
    assert filters == Filters(period=DEFAULT)
    assert filters.selects_everyone and notices == []
    assert filters.to_query() == {"period": "2025-26"}


def test_round_trip_of_every_kind_of_filter() -> None:
    half = next(p for p in PERIODS if p.key == "2025-26-autumn-2")
    for period in (DEFAULT, term_period(2024, "summer"), half, custom(date(2025, 9, 3), date(2025, 10, 1))):
        filters = Filters(period=period, schools=("S01", "S10"), year_groups=(0, 5, 11), sexes=("female", "not recorded"),
                          fsm=False, sen=("ehcp", "sen_support"))  # fmt: skip
        query = filters.to_query()
        assert query["fsm"] == "no" and query["year"] == ["0", "5", "11"]
        back, notices = read(query)
        assert back == filters and notices == []
        assert hash(back) == hash(filters)  # a cache key


def test_comma_separated_values_are_read_too() -> None:
    filters, notices = read({"period": "2024-25-spring", "school": "S03,S01", "year": "7,10", "fsm": "yes"})
    assert notices == []
    assert filters == Filters(period=term_period(2024, "spring"), schools=("S01", "S03"), year_groups=(7, 10),
                              fsm=True)  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected_notices", "kept"),
    [
        ({"school": ["S01", "S99"]}, 1, {"schools": ("S01",)}),
        ({"school": ["<script>", "S02", "'; drop"]}, 2, {"schools": ("S02",)}),
        ({"year": ["5", "14", "-1", "x", "5.0"]}, 4, {"year_groups": (5,)}),
        ({"sex": ["male", "M"]}, 1, {"sexes": ("male",)}),
        ({"sen": ["ehcp", "EHCP", ""]}, 2, {"sen": ("ehcp",)}),
        ({"fsm": "maybe"}, 1, {}),
        ({"fsm": ["1"]}, 1, {}),
    ],
)
def test_junk_values_are_dropped_with_a_notice_each(query: dict[str, Any], expected_notices: int,
                                                    kept: dict[str, Any]) -> None:  # fmt: skip
    filters, notices = read(query)
    assert len(notices) == expected_notices, notices
    assert filters == Filters(period=DEFAULT, **kept)
    assert all(isinstance(n, str) and "link" in n for n in notices)


@pytest.mark.parametrize(
    "key",
    ["2031-32", "1999-00", "2025-26-autumn-7", "garbage", "2025-09-01..2025-08-01", "2025-02-30..2025-03-01",
     "2025-26-spring-1", "9999-00", "x" * 500],
)  # fmt: skip
def test_unknown_period_is_replaced_by_the_default_with_a_notice(key: str) -> None:
    filters, notices = read({"period": key, "school": "S01"})
    assert filters.period == DEFAULT
    assert filters.schools == ("S01",)
    assert len(notices) == 1
    assert len(notices[0]) < 200  # a long value is cut, not echoed whole


def test_a_valid_custom_period_not_in_the_list_is_accepted() -> None:
    filters, notices = read({"period": "2020-01-06..2020-01-10"})
    assert filters.period == custom(date(2020, 1, 6), date(2020, 1, 10)) and notices == []


def test_duplicates_are_kept_once_without_a_misleading_notice() -> None:
    filters, notices = read({"school": ["S02", "S02"], "year": ["5", "5"]})
    assert filters.schools == ("S02",) and filters.year_groups == (5,)
    assert notices == []  # a repeated known value is not "not known"


def test_describe_names_every_filter_in_force() -> None:
    filters = Filters(period=term_period(2025, "spring"), schools=("S01",), year_groups=(0, 7), fsm=True,
                      sexes=("male",), sen=("sen_support",))  # fmt: skip
    lines = filters.describe({"S01": "Leigh Brook Primary"})
    assert lines[0] == "Period: Spring term 2025/26 (1 Jan 2026 – 5 Apr 2026)"
    assert "Schools: Leigh Brook Primary" in lines
    assert "Year groups: Reception, Year 7" in lines
    assert (
        "Free school meals: eligible" in lines
        and "Sex: male" in lines
        and "SEN provision: sen support" in lines
    )


@settings(max_examples=200, deadline=None)
@given(
    period=st.sampled_from(PERIODS),
    schools=st.sets(st.sampled_from(SCHOOLS)),
    years=st.sets(st.integers(0, 13)),
    sexes=st.sets(st.sampled_from(SEXES)),
    fsm=st.sampled_from([None, True, False]),
    sen=st.sets(st.sampled_from(SEN_PROVISIONS)),
)
def test_property_round_trip(period: Any, schools: set[str], years: set[int], sexes: set[str], fsm: bool | None,
                             sen: set[str]) -> None:  # fmt: skip
    filters = Filters(period=period, schools=tuple(sorted(schools)), year_groups=tuple(sorted(years)),
                      sexes=tuple(sorted(sexes)), fsm=fsm, sen=tuple(sorted(sen)))  # fmt: skip
    back, notices = read(filters.to_query())
    assert back == filters and notices == []


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["period", "school", "year", "sex", "fsm", "sen", "other"]),
                       st.one_of(st.text(max_size=30), st.lists(st.text(max_size=30), max_size=4))))  # fmt: skip
def test_property_junk_never_raises(query: dict[str, Any]) -> None:
    filters, notices = read(query)
    assert isinstance(filters, Filters)
    assert all(isinstance(n, str) for n in notices)
    assert set(filters.schools) <= set(SCHOOLS)
    assert all(0 <= y <= 13 for y in filters.year_groups)
