"""The period a page shows and compares with (contract 4.1), as ``page_setup`` and the story apply it:
``as_shown`` cuts a period not over at the snapshot date (exact) or the last month end (protected), and the
cut period's ``year_before`` is the same span a year earlier; year and term boundaries and 29 February."""

from __future__ import annotations

from datetime import date

from data_access.periods import (
    academic_year,
    as_shown,
    cut_short,
    months_up_to,
    named_period,
    term_period,
    year_before,
)


def span(period: object) -> tuple[date, date]:
    return period.start, period.end  # type: ignore[attr-defined]


def test_demo_year_so_far_and_its_comparison() -> None:
    year = academic_year(2026)
    exact = as_shown(year, date(2026, 11, 20), protected=False)
    assert span(exact) == (date(2026, 8, 1), date(2026, 11, 20)) and cut_short(exact)
    assert exact.label == "Academic year 2026/27 so far, to 20 Nov 2026" and exact.key == "2026-27"
    assert span(year_before(exact)) == (date(2025, 8, 1), date(2025, 11, 20))
    protected = as_shown(year, date(2026, 11, 20), protected=True)
    assert span(protected) == (date(2026, 8, 1), date(2026, 10, 31))
    assert span(year_before(protected)) == (date(2025, 8, 1), date(2025, 10, 31))
    # Cutting again (a page's filters already cut) gives the same period: it is cut from the named year.
    assert as_shown(exact, date(2026, 11, 20), protected=True) == protected
    assert named_period(protected) == year


def test_year_boundary() -> None:
    year = academic_year(2025)
    # On its last day the year is over: the whole year, against the whole year before.
    over = as_shown(year, date(2026, 7, 31), protected=True)
    assert over == year and not cut_short(over)
    assert year_before(over) == academic_year(2024)
    # The day before, it is not: exact to 30 Jul, protected to 30 Jun.
    assert span(as_shown(year, date(2026, 7, 30), protected=False)) == (date(2025, 8, 1), date(2026, 7, 30))
    assert span(as_shown(year, date(2026, 7, 30), protected=True)) == (date(2025, 8, 1), date(2026, 6, 30))


def test_term_boundaries_move_with_easter() -> None:
    # Spring 2025/26 ends on Easter Sunday 5 Apr 2026; finished, it compares with spring 2024/25 (to Easter
    # Sunday 20 Apr 2025), not with the same dates.
    spring = term_period(2025, "spring")
    assert as_shown(spring, date(2026, 4, 5), protected=False) == spring
    assert span(year_before(spring)) == (date(2025, 1, 1), date(2025, 4, 20))
    # Not over on 10 Mar 2026: the same span a year earlier.
    so_far = as_shown(spring, date(2026, 3, 10), protected=False)
    assert span(year_before(so_far)) == (date(2025, 1, 1), date(2025, 3, 10))


def test_29_february() -> None:
    year = academic_year(2027)
    exact = as_shown(year, date(2028, 2, 29), protected=False)
    assert span(exact) == (date(2027, 8, 1), date(2028, 2, 29))
    assert span(year_before(exact)) == (date(2026, 8, 1), date(2027, 2, 28))  # 29 Feb maps to 28 Feb
    # Protected on 10 Mar 2028: the last month end is 29 Feb 2028.
    spring = as_shown(term_period(2027, "spring"), date(2028, 3, 10), protected=True)
    assert span(spring) == (date(2028, 1, 1), date(2028, 2, 29))
    assert span(year_before(spring)) == (date(2027, 1, 1), date(2027, 2, 28))
    assert year_before(spring).label == "Spring term 2026/27 to 28 Feb 2027"


def test_months_up_to_cut_the_last_month_and_stop_at_the_first() -> None:
    months = months_up_to(date(2026, 11, 20), date(2025, 9, 3))
    assert len(months) == 15 and span(months[0]) == (date(2025, 9, 1), date(2025, 9, 30))
    assert span(months[-1]) == (date(2026, 11, 1), date(2026, 11, 20)) and months[-1].label == "Nov 2026"
    assert len(months_up_to(date(2026, 11, 20), date(2020, 1, 1))) == 24
    assert span(months_up_to(date(2028, 2, 29), date(2028, 2, 1))[0]) == (date(2028, 2, 1), date(2028, 2, 29))
