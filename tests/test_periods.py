"""DfE census periods: Easter, terms, half-terms from a school calendar, the year before and period keys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.easter import EASTER_WESTERN, easter
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.periods import (
    Period,
    academic_year,
    academic_year_start,
    custom,
    easter_sunday,
    half_terms,
    parse_period,
    periods_for_snapshot,
    term_of,
    term_period,
    terms_of_year,
    year_before,
)


@pytest.mark.parametrize(
    "expected",
    [date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2027, 3, 28),
     date(2038, 4, 25),  # the latest possible date
     date(2285, 3, 22),  # the earliest possible date
     date(1818, 3, 22), date(2000, 4, 23), date(2019, 4, 21)],
)  # fmt: skip
def test_easter_known_years(expected: date) -> None:
    assert easter_sunday(expected.year) == expected


def test_easter_agrees_with_an_independent_computus_for_many_years() -> None:
    for year in range(1583, 3001):
        day = easter_sunday(year)
        assert day == easter(year, EASTER_WESTERN), year
        assert day.weekday() == 6 and date(year, 3, 22) <= day <= date(year, 4, 25)


def test_terms_cover_each_academic_year_without_gaps_or_overlaps() -> None:
    for start_year in range(1900, 2301):
        year = academic_year(start_year)
        autumn, spring, summer = terms_of_year(start_year)
        assert (year.start, year.end) == (date(start_year, 8, 1), date(start_year + 1, 7, 31))
        assert autumn.start == year.start and summer.end == year.end
        assert autumn.end == date(start_year, 12, 31)
        assert spring.start == autumn.end + timedelta(days=1) == date(start_year + 1, 1, 1)
        assert spring.end == easter_sunday(start_year + 1) and spring.end.weekday() == 6
        assert summer.start == spring.end + timedelta(days=1) and summer.start.weekday() == 0
        assert autumn.days + spring.days + summer.days == year.days
        assert [t.kind for t in (autumn, spring, summer)] == ["term"] * 3


def test_every_day_belongs_to_exactly_one_term() -> None:
    for start_year in (2023, 2024, 2025, 2037):
        year = academic_year(start_year)
        day = year.start
        while day <= year.end:
            holders = [t.key for t in terms_of_year(start_year) if t.contains(day)]
            assert holders == [f"{start_year}-{(start_year + 1) % 100:02d}-{term_of(day)}"], day
            assert academic_year_start(day) == start_year
            day += timedelta(days=1)


def test_term_labels_and_bad_term() -> None:
    assert term_period(2025, "summer").describe() == "Summer term 2025/26 (6 Apr 2026 – 31 Jul 2026)"
    with pytest.raises(ValueError):
        term_period(2025, "winter")


def _weekdays(start: date, end: date) -> list[date]:
    return [
        start + timedelta(days=n)
        for n in range((end - start).days + 1)
        if (start + timedelta(days=n)).weekday() < 5
    ]


def test_half_terms_found_from_a_school_calendar_with_a_gap() -> None:
    autumn = term_period(2025, "autumn")
    # school from Wed 3 Sep to Fri 24 Oct; half-term Mon 27 – Fri 31 Oct; back Mon 3 Nov to Fri 19 Dec
    days = _weekdays(date(2025, 9, 3), date(2025, 10, 24)) + _weekdays(date(2025, 11, 3), date(2025, 12, 19))
    first, second = half_terms(autumn, days)
    assert (first.start, first.end) == (date(2025, 8, 1), date(2025, 10, 26))
    assert (second.start, second.end) == (date(2025, 10, 27), date(2025, 12, 31))
    assert first.kind == second.kind == "half-term"
    assert (first.key, second.key) == ("2025-26-autumn-1", "2025-26-autumn-2")
    assert first.days + second.days == autumn.days  # cover the term, no overlap


def test_half_terms_pick_the_longest_gap_and_ignore_short_ones() -> None:
    spring = term_period(2025, "spring")
    # a one-day INSET Monday (12 Jan) and a 3-weekday gap (4–6 Mar) are not half-terms; 16–20 Feb is
    days = [d for d in _weekdays(date(2026, 1, 5), date(2026, 3, 27))
            if d != date(2026, 1, 12) and not date(2026, 2, 16) <= d <= date(2026, 2, 20)
            and not date(2026, 3, 4) <= d <= date(2026, 3, 6)]  # fmt: skip
    first, second = half_terms(spring, days)
    assert (first.end, second.start) == (date(2026, 2, 15), date(2026, 2, 16))
    assert (first.start, second.end) == (spring.start, spring.end)


def test_no_half_terms_without_a_gap_or_data() -> None:
    summer = term_period(2025, "summer")
    assert half_terms(summer, _weekdays(date(2026, 4, 13), date(2026, 7, 17))) == []
    assert half_terms(summer, []) == []
    # a three-weekday gap is too short
    days = [
        d
        for d in _weekdays(date(2026, 4, 13), date(2026, 7, 17))
        if not date(2026, 5, 26) <= d <= date(2026, 5, 28)
    ]
    assert half_terms(summer, days) == []


def test_periods_for_snapshot_include_half_terms_where_the_data_allow() -> None:
    days = _weekdays(date(2025, 9, 3), date(2025, 10, 24)) + _weekdays(date(2025, 11, 3), date(2025, 11, 20))
    keys = [p.key for p in periods_for_snapshot(date(2024, 9, 2), date(2025, 11, 20), days)]
    assert keys[:4] == ["2025-26", "2025-26-autumn", "2025-26-autumn-2", "2025-26-autumn-1"]
    assert "2024-25" in keys and "2024-25-summer" in keys and "2024-25-autumn" in keys
    assert "2025-26-spring" not in keys  # after the last day
    assert len(keys) == len(set(keys))


def test_year_before() -> None:
    assert year_before(academic_year(2025)) == academic_year(2024)
    spring = year_before(term_period(2025, "spring"))
    assert spring == term_period(2024, "spring")
    assert (spring.start, spring.end) == (date(2025, 1, 1), date(2025, 4, 20))  # Easter 2025 is 20 April
    summer = year_before(term_period(2025, "summer"))
    assert (summer.start, summer.end) == (date(2025, 4, 21), date(2025, 7, 31))
    shifted = year_before(custom(date(2025, 9, 3), date(2025, 10, 24)))
    assert (shifted.start, shifted.end, shifted.kind) == (date(2024, 9, 3), date(2024, 10, 24), "custom")
    leap = year_before(custom(date(2024, 2, 29), date(2024, 3, 1)))
    assert (leap.start, leap.end) == (date(2023, 2, 28), date(2023, 3, 1))


def test_period_keys_round_trip() -> None:
    for start_year in (1999, 2000, 2024, 2025, 2099, 2285):
        year = academic_year(start_year)
        assert parse_period(year.key) == year
        for term in terms_of_year(start_year):
            assert parse_period(term.key) == term
    assert academic_year(1999).key == "1999-00"
    assert academic_year(2025).key == "2025-26"
    assert term_period(2025, "spring").key == "2025-26-spring"
    span = custom(date(2025, 9, 3), date(2025, 10, 24))
    assert span.key == "2025-09-03..2025-10-24"
    assert parse_period(span.key) == span
    assert parse_period("  2025-26 ") == academic_year(2025)


@settings(max_examples=200, deadline=None)
@given(st.dates(date(1900, 1, 1), date(2300, 12, 31)), st.integers(0, 800))
def test_custom_keys_round_trip(start: date, length: int) -> None:
    period = custom(start, start + timedelta(days=length))
    assert parse_period(period.key) == period
    assert period.days == length + 1
    assert year_before(period).days in (length + 1, length, length + 2)  # 29 February may shift by a day


@pytest.mark.parametrize(
    "key",
    ["", "x", "2025", "2025-27", "2025-26-winter", "2025-26-autumn-1", "2025-26-autumn-3", "2025-09-01..",
     "2025-09-01..2025-08-31", "2025-02-30..2025-03-01", "2025-26-Autumn", "9999-00", "0000-01"],
)  # fmt: skip
def test_malformed_keys_raise_value_error(key: str) -> None:
    with pytest.raises(ValueError):
        parse_period(key)


def test_period_rejects_an_end_before_its_start() -> None:
    with pytest.raises(ValueError):
        Period(date(2025, 9, 2), date(2025, 9, 1))
