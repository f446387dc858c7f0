"""95% intervals and tests of change (contract 4.2, 4.3) against published worked examples and hand working.

Sources:
- Newcombe RG (1998a). Two-sided confidence intervals for the single proportion: comparison of seven methods.
  Statistics in Medicine 17:857–872, Table I (method 3, Wilson score without continuity correction).
- Newcombe RG (1998b). Interval estimation for the difference between independent proportions: comparison of
  eleven methods. Statistics in Medicine 17:873–890, Table II (method 10, hybrid score).
- Garwood F (1936); the exact Poisson limits tabulated in OHID's Fingertips technical guidance / Public Health
  England's "Confidence intervals" tool: 0 → 0 to 3.689; 1 → 0.0253 to 5.5716; 10 → 4.7954 to 18.3904.
"""

from __future__ import annotations

import math

import pytest
from scipy.stats import binomtest

from data_access.intervals import (
    AttendanceEstimate,
    Interval,
    against_comparator,
    attendance_estimate,
    census_change,
    compare_attendance,
    compare_proportions,
    compare_rates,
    garwood_count_interval,
    poisson_rate_interval,
    round1,
    wilson_interval,
)

# --- Wilson -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        (81, 263, 25.53, 36.62),  # Newcombe 1998a Table I: 0.2553 to 0.3662
        (15, 148, 6.24, 16.05),  # 0.0624 to 0.1605
        (0, 20, 0.0, 16.11),  # 0 to 0.1611
        (1, 29, 0.61, 17.18),  # 0.0061 to 0.1718
        (29, 29, 88.30, 100.0),  # 0.8830 to 1
        (0, 10, 0.0, 27.75),  # 0% edge: 0 to 0.2775
        (10, 10, 72.25, 100.0),  # 100% edge: 0.7225 to 1
    ],
)
def test_wilson_matches_newcombe_1998a(count: int, n: int, low: float, high: float) -> None:
    interval = wilson_interval(count, n)
    assert interval is not None and interval.method == "wilson"
    assert interval.low == pytest.approx(low, abs=0.006)
    assert interval.high == pytest.approx(high, abs=0.006)
    assert 0.0 <= interval.low <= count / n * 100 <= interval.high <= 100.0


def test_wilson_as_shown_one_decimal() -> None:
    interval = wilson_interval(81, 263)
    assert interval is not None
    assert interval.rounded() == (25.5, 36.6)
    assert interval.text() == "25.5 to 36.6"


@pytest.mark.parametrize(
    ("count", "n"), [("c", 20), (3, "c"), (None, 20), (3, None), (0, 0), (5, 4), (-1, 5)]
)
def test_wilson_none_without_counts(count: object, n: object) -> None:
    assert wilson_interval(count, n) is None  # type: ignore[arg-type]


# --- Garwood (exact Poisson) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "low", "high"),
    [(0, 0.0, 3.6889), (1, 0.0253, 5.5716), (10, 4.7954, 18.3904)],
)
def test_garwood_matches_published_limits(count: int, low: float, high: float) -> None:
    got = garwood_count_interval(count)
    assert got[0] == pytest.approx(low, abs=5e-5)
    assert got[1] == pytest.approx(high, abs=5e-5)


def test_poisson_rate_per_100_children() -> None:
    # 1 referral among 40 children: 2.5 per 100; limits 0.0253 × 100 ÷ 40 = 0.0633 and 5.5716 × 2.5 = 13.929.
    interval = poisson_rate_interval(1, 40)
    assert interval is not None and interval.method == "garwood"
    assert interval.low == pytest.approx(0.06325, abs=1e-4)
    assert interval.high == pytest.approx(13.929, abs=1e-3)
    assert interval.text() == "0.1 to 13.9"
    # No events among 138 children: 0 to 3.689 × 100 ÷ 138 = 2.673.
    zero = poisson_rate_interval(0, 138)
    assert zero is not None and zero.low == 0.0 and zero.high == pytest.approx(2.6731, abs=1e-4)
    assert poisson_rate_interval("c", 138) is None
    assert poisson_rate_interval(3, 0) is None
    assert poisson_rate_interval(3, "c") is None


def test_garwood_refuses_negative_count() -> None:
    with pytest.raises(ValueError):
        garwood_count_interval(-1)


# --- cluster-robust attendance ratio ---------------------------------------------------------------------------


def test_attendance_two_children_by_hand() -> None:
    # (present, possible) = (9, 10), (5, 10): P = 14, N = 20, R = 0.7. Residuals 9 − 7 = 2, 5 − 7 = −2;
    # Σ = 8; × k/(k−1) = 2 → 16; √ = 4; ÷ 20 = 0.2 → SE = 20 points. 70 ± 39.2 → 30.8 to 109.2, clipped to 100.
    est = attendance_estimate([9, 5], [10, 10])
    assert est is not None
    assert (est.present, est.possible, est.children) == (14, 20, 2)
    assert est.rate == pytest.approx(70.0)
    assert est.se == pytest.approx(20.0)
    assert est.interval is not None
    assert est.interval.low == pytest.approx(30.8)
    assert est.interval.high == 100.0


def test_attendance_three_children_by_hand() -> None:
    # (18, 20), (16, 20), (17, 20): P = 51, N = 60, R = 0.85. Residuals 1, −1, 0; Σ = 2; × 3/2 = 3;
    # √3 = 1.7320508 ÷ 60 = 0.0288675 → SE = 2.88675 points; 85 ± 1.96 × 2.88675 = 85 ± 5.65803
    # → 79.342 to 90.658, shown "79.3 to 90.7". A child with no possible session is left out of k.
    est = attendance_estimate([18, 16, 17, 0], [20, 20, 20, 0])
    assert est is not None and est.children == 3
    assert est.se == pytest.approx(100 * math.sqrt(3) / 60)
    assert est.interval is not None
    assert est.interval.low == pytest.approx(79.34197, abs=1e-4)
    assert est.interval.high == pytest.approx(90.65803, abs=1e-4)
    assert est.interval.text() == "79.3 to 90.7"


def test_attendance_k_below_two_has_no_interval() -> None:
    one = attendance_estimate([7, 0], [10, 0])  # one child with sessions
    assert one is not None and one.children == 1 and one.rate == pytest.approx(70.0)
    assert one.se is None and one.interval is None
    assert attendance_estimate([], []) is None
    assert attendance_estimate([0], [0]) is None


def test_attendance_zero_and_hundred_percent() -> None:
    none_present = attendance_estimate([0, 0], [10, 5])
    assert none_present is not None and none_present.interval is not None
    assert (none_present.interval.low, none_present.interval.high) == (0.0, 0.0)
    all_present = attendance_estimate([10, 5], [10, 5])
    assert all_present is not None and all_present.interval is not None
    assert (all_present.interval.low, all_present.interval.high) == (100.0, 100.0)


def test_attendance_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        attendance_estimate([1, 2], [3])
    with pytest.raises(ValueError):
        attendance_estimate([4], [3])


# --- Newcombe difference of proportions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),  # Newcombe 1998b Table II, method 10, example (a)
        (9, 10, 3, 10, 0.1705, 0.8090),  # (b)
        (6, 7, 2, 7, 0.0582, 0.8062),  # (c)
        (5, 56, 0, 29, -0.0381, 0.1926),  # (d)
        (0, 10, 0, 20, -0.1611, 0.2775),  # (e)
        (10, 10, 0, 20, 0.6791, 1.0),  # (g)
    ],
)
def test_newcombe_difference_matches_1998b(a: int, m: int, b: int, n: int, low: float, high: float) -> None:
    change = compare_proportions(a, m, b, n, better="higher")
    assert change.low == pytest.approx(low * 100, abs=0.006)
    assert change.high == pytest.approx(high * 100, abs=0.006)
    assert change.difference == pytest.approx((a / m - b / n) * 100)
    significant = low > 0 or high < 0
    assert change.verdict == ("better" if significant else "no clear change")
    assert compare_proportions(a, m, b, n, better="lower").verdict == (
        "worse" if significant else "no clear change"
    )


def test_sdq_improved_on_about_70_children_is_no_clear_change() -> None:
    # The issue's case: 51.4% (36/70) against 56.9% (41/72) improved is not a real fall.
    change = compare_proportions(36, 70, 41, 72, better="higher")
    assert change.verdict == "no clear change" and change.words() == "no clear change"
    assert change.low is not None and change.low < 0 < (change.high or 0)


@pytest.mark.parametrize("missing", ["c", None])
def test_no_test_when_either_side_is_c_or_null(missing: object) -> None:
    assert compare_proportions(missing, 70, 41, 72, "higher").verdict is None  # type: ignore[arg-type]
    assert compare_proportions(36, 70, 41, missing, "higher").verdict is None  # type: ignore[arg-type]
    assert compare_rates(missing, 138, 5, 130, "lower").verdict is None  # type: ignore[arg-type]
    assert compare_rates(8, 138, 5, missing, "lower").words() == ""  # type: ignore[arg-type]
    assert compare_proportions(0, 0, 3, 10, "higher").verdict is None  # a zero denominator is null


# --- exact conditional test of a rate ratio ----------------------------------------------------------------------


def test_rates_exact_conditional_by_hand() -> None:
    # Equal exposure, 0 events now and 6 before: given 6 events, each is "now" with p = 1/2; the two-sided
    # exact p = 2 × (1/2)^6 = 0.03125 < 0.05 → a real fall (better, lower being better). With 5 before:
    # p = 2 × (1/2)^5 = 0.0625 → no clear change.
    fell = compare_rates(0, 100, 6, 100, better="lower")
    assert fell.p_value == pytest.approx(0.03125)
    assert fell.verdict == "better" and fell.difference == pytest.approx(-6.0)
    assert compare_rates(0, 100, 6, 100, better="higher").verdict == "worse"
    five = compare_rates(0, 100, 5, 100, better="lower")
    assert five.p_value == pytest.approx(0.0625) and five.verdict == "no clear change"


@pytest.mark.parametrize(("x1", "n1", "x0", "n0"), [(8, 138, 5, 130), (3, 138, 0, 130), (20, 150, 6, 140)])
def test_rates_agree_with_scipy_binomial_test(x1: int, n1: int, x0: int, n0: int) -> None:
    # Second implementation: scipy's exact binomial test of x1 out of x1 + x0 with p = n1 ÷ (n1 + n0).
    change = compare_rates(x1, n1, x0, n0, better="lower")
    expected = binomtest(x1, x1 + x0, n1 / (n1 + n0)).pvalue
    assert change.p_value == pytest.approx(expected)
    assert change.verdict == ("no clear change" if expected >= 0.05 else "worse")


def test_issue_referrals_plus_three_is_not_coloured() -> None:
    # +3 referrals among 138 children (8 against 5): p ≈ 0.58.
    assert compare_rates(8, 138, 5, 130, better="lower").verdict == "no clear change"


def test_no_events_either_side_is_no_clear_change() -> None:
    change = compare_rates(0, 138, 0, 130, better="lower")
    assert change.verdict == "no clear change" and change.p_value == 1.0 and change.difference == 0.0


# --- attendance change ------------------------------------------------------------------------------------------


def test_attendance_change_by_hand() -> None:
    # SE 3 and 4 → √(9 + 16) = 5 → threshold 1.96 × 5 = 9.8 points.
    now = AttendanceEstimate(0, 0, 30, 90.0, 3.0)
    assert compare_attendance(now, AttendanceEstimate(0, 0, 30, 80.0, 4.0)).verdict == "better"  # +10 > 9.8
    assert (
        compare_attendance(now, AttendanceEstimate(0, 0, 30, 80.3, 4.0)).verdict == "no clear change"
    )  # +9.7
    worse = compare_attendance(
        AttendanceEstimate(0, 0, 30, 70.0, 3.0), AttendanceEstimate(0, 0, 30, 80.0, 4.0)
    )
    assert worse.verdict == "worse"
    assert worse.low == pytest.approx(-19.8) and worse.high == pytest.approx(-0.2)
    one_child = AttendanceEstimate(9, 10, 1, 90.0, None)
    assert compare_attendance(one_child, now).verdict is None
    assert compare_attendance(None, now).verdict is None


def test_census_count_has_no_test() -> None:
    change = census_change(138, 120)
    assert change.verdict is None and change.difference == 18.0
    assert census_change("c", 120).difference is None


def test_better_must_be_named() -> None:
    with pytest.raises(ValueError):
        compare_rates(1, 10, 2, 10, better="up")  # type: ignore[arg-type]


# --- comparators -------------------------------------------------------------------------------------------------


def test_comparator_wording_only_for_complete_years() -> None:
    interval = Interval(86.9, 89.6, "cluster-ratio")
    assert against_comparator(interval, 85.0, complete_year=True) == "higher than"
    assert against_comparator(interval, 91.0, complete_year=True) == "lower than"
    assert against_comparator(interval, 88.0, complete_year=True) == "similar to"
    assert against_comparator(interval, 89.6, complete_year=True) == "similar to"  # on the end: inside
    assert against_comparator(interval, 85.0, complete_year=False) is None
    assert against_comparator(None, 85.0, complete_year=True) is None
    assert against_comparator(interval, None, complete_year=True) is None


# --- rounding -----------------------------------------------------------------------------------------------------


def test_round1_half_away_from_zero_on_exact_binary_value() -> None:
    assert round1(2.25) == 2.3  # exactly representable half: away from zero (round() gives 2.2)
    assert round1(-2.25) == -2.3
    assert round1(6.25) == 6.3
    assert round1(0.15) == 0.1  # 0.15 is stored as 0.1499999…, below the half
    assert round1(100.0) == 100.0
    with pytest.raises(ValueError):
        round1(math.nan)


# --- second implementations ---------------------------------------------------------------------------------------


def _wilson_by_formula(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    # Wilson (1927): (p + z²/2n ± z √(p(1 − p)/n + z²/4n²)) ÷ (1 + z²/n).
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_wilson_and_newcombe_against_their_formulas() -> None:
    for n in (1, 2, 7, 29, 138):
        for k in range(0, n + 1, max(1, n // 7)):
            low, high = _wilson_by_formula(k, n)
            interval = wilson_interval(k, n)
            assert interval is not None
            assert (interval.low, interval.high) == pytest.approx((low * 100, high * 100), abs=1e-4)
    # Newcombe (1998b) method 10 from the two Wilson intervals: d − √((p₁ − l₁)² + (u₂ − p₂)²) to
    # d + √((u₁ − p₁)² + (p₂ − l₂)²).
    for a, m, b, n in ((36, 70, 41, 72), (8, 138, 2, 130), (0, 5, 5, 5), (29, 29, 1, 2)):
        l1, u1 = _wilson_by_formula(a, m)
        l2, u2 = _wilson_by_formula(b, n)
        p1, p2 = a / m, b / n
        d = p1 - p2
        change = compare_proportions(a, m, b, n, "higher")
        assert change.low == pytest.approx((d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)) * 100, abs=1e-4)
        assert change.high == pytest.approx((d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)) * 100, abs=1e-4)


def test_garwood_against_gamma_quantiles() -> None:
    # The exact Poisson limits are also the gamma quantiles G⁻¹(α/2; x) and G⁻¹(1 − α/2; x + 1).
    from scipy.stats import gamma

    for x in (1, 2, 5, 8, 37, 250):
        low, high = garwood_count_interval(x)
        assert low == pytest.approx(gamma.ppf(0.025, x))
        assert high == pytest.approx(gamma.ppf(0.975, x + 1))
