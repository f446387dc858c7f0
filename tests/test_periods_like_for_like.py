"""Like-for-like periods (contract 4.1): "so far" spans, the comparison period, 29 February, partial points.

Dates worked by hand: Easter Sunday 2026 = 5 April, 2027 = 28 March, 2028 = 16 April.
"""

from __future__ import annotations

from datetime import date

import pytest

from data_access.periods import (
    Period,
    academic_year,
    comparison_period,
    covered,
    custom,
    data_end,
    is_over,
    last_month_end,
    month_period,
    partial_points,
    shift_back_a_year,
    so_far_label,
    term_period,
)

SNAPSHOT = date(2026, 11, 20)  # the demo snapshot


def span(period: Period | None) -> tuple[date, date]:
    assert period is not None
    return period.start, period.end


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 20), date(2026, 10, 31)),
        (date(2026, 11, 30), date(2026, 11, 30)),  # a month end is its own
        (date(2027, 1, 15), date(2026, 12, 31)),  # across the calendar year
        (date(2028, 2, 29), date(2028, 2, 29)),  # leap-year February ends on the 29th
        (date(2028, 2, 28), date(2028, 1, 31)),  # ... so the 28th is not a month end
        (date(2027, 2, 28), date(2027, 2, 28)),
    ],
)
def test_last_month_end(day: date, expected: date) -> None:
    assert last_month_end(day) == expected


def test_demo_year_so_far_exact_and_protected() -> None:
    year = academic_year(2026)
    assert not is_over(year, SNAPSHOT)
    now = covered(year, SNAPSHOT)
    assert span(now) == (date(2026, 8, 1), date(2026, 11, 20))
    assert now is not None and now.label == "Academic year 2026/27 so far, to 20 Nov 2026"
    before = comparison_period(year, SNAPSHOT)
    assert span(before) == (date(2025, 8, 1), date(2025, 11, 20))
    assert before is not None and before.label == "Academic year 2025/26 to 20 Nov 2025"
    # Protected roles end at the last month end.
    assert data_end(SNAPSHOT, protected=True) == date(2026, 10, 31)
    assert data_end(SNAPSHOT, protected=False) == SNAPSHOT
    assert span(covered(year, SNAPSHOT, protected=True)) == (date(2026, 8, 1), date(2026, 10, 31))
    assert span(comparison_period(year, SNAPSHOT, protected=True)) == (date(2025, 8, 1), date(2025, 10, 31))


def test_year_boundary() -> None:
    year = academic_year(2026)
    # 31 Jul 2027: the year is over and compares with the whole of 2025/26.
    assert is_over(year, date(2027, 7, 31))
    assert covered(year, date(2027, 7, 31)) == year
    assert comparison_period(year, date(2027, 7, 31)) == academic_year(2025)
    # 30 Jul 2027: one day short, so the same span a year earlier.
    assert span(comparison_period(year, date(2027, 7, 30))) == (date(2025, 8, 1), date(2026, 7, 30))
    # 1 Aug 2027: the new year has one day; protected roles have none yet (the last month end is 31 Jul).
    new = academic_year(2027)
    assert span(covered(new, date(2027, 8, 1))) == (date(2027, 8, 1), date(2027, 8, 1))
    assert span(comparison_period(new, date(2027, 8, 1))) == (date(2026, 8, 1), date(2026, 8, 1))
    assert covered(new, date(2027, 8, 1), protected=True) is None
    assert comparison_period(new, date(2027, 8, 1), protected=True) is None


def test_term_boundaries_and_easter() -> None:
    autumn = term_period(2026, "autumn")
    assert comparison_period(autumn, date(2026, 12, 31)) == term_period(
        2025, "autumn"
    )  # over on its last day
    assert span(comparison_period(autumn, date(2026, 12, 30))) == (date(2025, 8, 1), date(2025, 12, 30))
    # Spring 2026/27 ends on Easter Sunday 28 Mar 2027; last year's spring ended on 5 Apr 2026.
    spring = term_period(2026, "spring")
    assert span(spring) == (date(2027, 1, 1), date(2027, 3, 28))
    assert span(comparison_period(spring, date(2027, 3, 28))) == (date(2026, 1, 1), date(2026, 4, 5))
    assert span(comparison_period(spring, date(2027, 3, 27))) == (date(2026, 1, 1), date(2026, 3, 27))
    # Summer 2026/27 starts on Easter Monday 29 Mar 2027; the finished term compares with 6 Apr – 31 Jul 2026.
    summer = term_period(2026, "summer")
    assert comparison_period(summer, date(2027, 8, 1)) == term_period(2025, "summer")
    assert span(term_period(2025, "summer")) == (date(2026, 4, 6), date(2026, 7, 31))
    # Not over: the same span a year earlier, as the contract says, even though it starts in last year's spring.
    so_far = comparison_period(summer, date(2027, 4, 15))
    assert span(so_far) == (date(2026, 3, 29), date(2026, 4, 15))
    assert so_far is not None and so_far.label == "Summer term 2025/26 to 15 Apr 2026"
    # A term that has not started has nothing to compare.
    assert covered(summer, date(2027, 3, 1)) is None and comparison_period(summer, date(2027, 3, 1)) is None


def test_29_february() -> None:
    assert shift_back_a_year(date(2028, 2, 29)) == date(2027, 2, 28)
    assert shift_back_a_year(date(2028, 3, 1)) == date(2027, 3, 1)
    year = academic_year(2027)
    assert span(comparison_period(year, date(2028, 2, 29))) == (date(2026, 8, 1), date(2027, 2, 28))
    assert span(comparison_period(year, date(2028, 2, 29), protected=True)) == (
        date(2026, 8, 1),
        date(2027, 2, 28),
    )
    assert span(comparison_period(year, date(2028, 3, 5), protected=True)) == (
        date(2026, 8, 1),
        date(2027, 2, 28),
    )
    # A finished custom range from 29 Feb: [from − 1 year, to − 1 year].
    leap = custom(date(2028, 2, 29), date(2028, 3, 10))
    assert span(comparison_period(leap, date(2028, 6, 1))) == (date(2027, 2, 28), date(2027, 3, 10))
    # Spring 2027/28 (1 Jan – Easter 16 Apr 2028) so far at 29 Feb 2028.
    spring = term_period(2027, "spring")
    assert span(comparison_period(spring, date(2028, 2, 29))) == (date(2027, 1, 1), date(2027, 2, 28))


def test_custom_range_not_over() -> None:
    rng = custom(date(2026, 9, 1), date(2026, 12, 19))
    assert span(covered(rng, SNAPSHOT)) == (date(2026, 9, 1), SNAPSHOT)
    assert so_far_label(rng, SNAPSHOT) == "Custom range so far, to 20 Nov 2026"
    assert span(comparison_period(rng, SNAPSHOT)) == (date(2025, 9, 1), date(2025, 11, 20))


def test_month_period() -> None:
    assert span(month_period(date(2026, 11, 20))) == (date(2026, 11, 1), date(2026, 11, 30))
    assert span(month_period(date(2028, 2, 1))) == (date(2028, 2, 1), date(2028, 2, 29))
    assert span(month_period(date(2026, 12, 5))) == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_period(date(2026, 11, 1)).label == "Nov 2026"


def test_partial_points_by_month_and_term() -> None:
    months = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    assert partial_points(months, SNAPSHOT) == [False, False, True]
    assert partial_points(months, date(2026, 11, 30)) == [False, False, False]
    terms = [term_period(2025, "summer"), term_period(2026, "autumn")]
    assert partial_points(terms, SNAPSHOT) == [False, True]
    spring = term_period(2026, "spring")
    assert partial_points([spring], date(2027, 3, 28)) == [False]  # over on Easter Sunday
    assert partial_points([spring], date(2027, 3, 27)) == [True]
