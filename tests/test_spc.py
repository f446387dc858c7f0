"""XmR charts and the Making Data Count rules on series worked by hand (NHS England, "Making Data Count":
centre = mean, process limits = mean ± 2.66 × mean moving range; a point outside the limits; a shift of 7
points on one side; a trend of 6 points; two of three points beyond two-thirds of the way to a limit)."""

from __future__ import annotations

import pytest

from data_access.spc import xmr


def test_limits_by_hand() -> None:
    # 5, 7, 6, 8, 4: mean 30 ÷ 5 = 6; moving ranges 2, 1, 2, 4 → mean 2.25; 2.66 × 2.25 = 5.985
    # → limits 0.015 and 11.985; two-thirds lines 6 ± 3.99 = 2.01 and 9.99. No signal.
    chart = xmr([5, 7, 6, 8, 4], better="higher")
    assert chart.centre == pytest.approx(6.0)
    assert chart.mean_moving_range == pytest.approx(2.25)
    assert chart.upper_limit == pytest.approx(11.985)
    assert chart.lower_limit == pytest.approx(0.015)
    assert chart.upper_near == pytest.approx(9.99) and chart.lower_near == pytest.approx(2.01)
    assert all(p.variation == "common cause" and p.rules == () for p in chart.points)
    assert chart.used == 5 and chart.provisional  # fewer than 15 points
    assert chart.summary() == "Common cause variation: no signal."


def test_point_outside_the_limits() -> None:
    # 10, 11 alternating (6 points) then 30: mean 93 ÷ 7 = 13.286; moving ranges five 1s and 19 → 24 ÷ 6 = 4;
    # upper limit 13.286 + 2.66 × 4 = 23.926 < 30. The six points below the centre are not yet a shift.
    values = [10, 11, 10, 11, 10, 11, 30]
    chart = xmr(values, better="higher")
    assert chart.upper_limit == pytest.approx(93 / 7 + 2.66 * 4)
    assert chart.points[-1].rules == ("outside limits",)
    assert chart.points[-1].variation == "special cause — improvement"
    assert all(p.variation == "common cause" for p in chart.points[:-1])
    assert chart.summary() == "Special cause variation — improvement: a point outside the process limits."
    assert xmr(values, better="lower").points[-1].variation == "special cause — concern"
    # With nine points before it, all below the centre (mean 12.4), they are a shift as well.
    longer = xmr([10, 11, 10, 11, 10, 11, 10, 11, 10, 30], better="higher")
    assert [p.rules for p in longer.points] == [("shift",)] * 9 + [("outside limits",)]
    assert longer.points[0].variation == "special cause — concern"


def test_shift_of_seven_points() -> None:
    # 8, 12 alternating (7 points) then seven 11s: mean 145 ÷ 14 = 10.357; the 11s are the only run above it
    # longer than one (the 12 before them is cut off by an 8). Moving ranges six 4s, a 3 and six 0s → 27 ÷ 13
    # = 2.077; limits 10.357 ± 5.525 and two-thirds lines 10.357 ± 3.683: nothing beyond; no trend (repeats).
    values = [8, 12, 8, 12, 8, 12, 8, 11, 11, 11, 11, 11, 11, 11]
    chart = xmr(values, better="lower")
    assert chart.centre == pytest.approx(145 / 14)
    assert [p.rules for p in chart.points] == [()] * 7 + [("shift",)] * 7
    assert {p.variation for p in chart.points[7:]} == {"special cause — concern"}
    assert chart.summary().startswith("Special cause variation — concern: a shift (7 or more points")
    # Six 11s are not a shift (mean 134 ÷ 13 = 10.31, still below 11).
    assert all(p.rules == () for p in xmr(values[:-1], better="lower").points)


def test_trend_of_six_points() -> None:
    # 10, 14 alternating (7 points) then 11, 12, 13, 13.5, 14, 12: 10 → 14 at indices 6–11 is six rising points.
    # Mean 157.5 ÷ 13 = 12.115; moving ranges six 4s and 1, 1, 1, 0.5, 0.5, 2 → 30 ÷ 12 = 2.5; limits
    # 12.115 ± 6.65, two-thirds lines ± 4.433 (7.68, 16.55): nothing beyond; no run of 7 on one side.
    values = [10, 14, 10, 14, 10, 14, 10, 11, 12, 13, 13.5, 14, 12]
    chart = xmr(values, better="higher")
    assert chart.mean_moving_range == pytest.approx(2.5)
    assert [i for i, p in enumerate(chart.points) if p.rules] == [6, 7, 8, 9, 10, 11]
    assert all(p.rules == ("trend",) for p in chart.points[6:12])
    # A rising trend is an improvement when higher is better, even for its points below the centre line.
    assert {p.variation for p in chart.points[6:12]} == {"special cause — improvement"}
    assert chart.points[12].variation == "common cause"
    assert {p.variation for p in xmr(values, better="lower").points[6:12]} == {"special cause — concern"}
    # Five rising points are not a trend.
    five = xmr([10, 14, 10, 14, 10, 14, 10, 11, 12, 13, 14, 12], better="higher")
    assert all("trend" not in p.rules for p in five.points)


def test_two_of_three_near_a_limit() -> None:
    # 10, 11 alternating with 13.5, 13.5 at indices 7–8: mean 132 ÷ 12 = 11; moving ranges six 1s, 3.5, 0,
    # 2.5, 1, 1 → 14 ÷ 11 = 1.2727; upper limit 11 + 3.3855 = 14.385, two-thirds line 11 + 2.257 = 13.257:
    # both 13.5s lie between them. 11 equals the centre, so no run; the repeat stops any trend.
    values = [10, 11, 10, 11, 10, 11, 10, 13.5, 13.5, 11, 10, 11]
    chart = xmr(values, better="higher")
    assert chart.upper_near == pytest.approx(11 + 2.66 * 14 / 11 * 2 / 3)
    assert [i for i, p in enumerate(chart.points) if p.rules] == [7, 8]
    assert chart.points[7].rules == ("two of three near a limit",)
    assert chart.points[8].variation == "special cause — improvement"
    # One point there alone is no signal.
    single = xmr([10, 11, 10, 11, 10, 11, 10, 13.5, 11, 11, 10, 11], better="higher")
    assert all("two of three near a limit" not in p.rules for p in single.points)


def test_partial_and_missing_points_take_no_part() -> None:
    # The partial last month (100) is left out: the chart is the hand-worked 5, 7, 6, 8, 4 one.
    chart = xmr([5, 7, 6, 8, 4, 100], better="higher", partial=[False] * 5 + [True])
    assert chart.upper_limit == pytest.approx(11.985) and chart.used == 5
    last = chart.points[-1]
    assert last.partial and last.value == 100 and last.rules == () and last.variation is None
    assert chart.latest() == chart.points[4]
    # A missing month (c or null) breaks the moving ranges: 5, 7 | 6, 8, 4 → ranges 2, 2, 4 → 8 ÷ 3.
    gap = xmr([5, 7, None, 6, 8, 4], better="higher")
    assert gap.mean_moving_range == pytest.approx(8 / 3)
    assert gap.upper_limit == pytest.approx(6 + 2.66 * 8 / 3)
    assert gap.points[2].value is None and gap.points[2].variation is None


def test_baseline_fixes_the_limits() -> None:
    chart = xmr([5, 7, 6, 8, 4, 20], better="lower", baseline=5)
    assert chart.upper_limit == pytest.approx(11.985)
    assert chart.points[-1].rules == ("outside limits",)
    assert chart.points[-1].variation == "special cause — concern"


def test_too_few_points() -> None:
    one = xmr([5], better="higher")
    assert one.upper_limit is None and one.centre == 5.0 and one.points[0].variation is None
    assert one.summary() == "Too few points to tell common from special cause variation."
    empty = xmr([None, None], better="higher")
    assert empty.centre is None and empty.latest() is None
    with pytest.raises(ValueError):
        xmr([1, 2], better="higher", partial=[False])
    with pytest.raises(ValueError):
        xmr([1, 2], better="up")  # type: ignore[arg-type]
