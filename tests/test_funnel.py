"""Funnel plot limits (Spiegelhalter 2005, Appendix A.1.1: exact with interpolation), worked by hand."""

from __future__ import annotations

import math

import pytest
from scipy.stats import binom

from data_access.funnel import (
    binomial_limit,
    classify,
    funnel_denominators,
    funnel_limits,
    funnel_verdict,
    limits_at,
    poisson_limit,
    programme_figure,
)


def test_binomial_limits_by_hand() -> None:
    # n = 10, θ = 0.5: F(r) = Σ C(10, i) ÷ 1024. F(7) = 968/1024, F(8) = 1013/1024.
    # Upper 95% (p = 0.975): r = 8; α = (1013/1024 − 0.975) ÷ (45/1024) = (1013 − 998.4) ÷ 45 = 0.324444;
    # upper tail: limit = (8 + 1 − 0.324444) ÷ 10 = 0.867556.
    assert binomial_limit(0.5, 10, 0.975) == pytest.approx(0.8675556, abs=1e-6)
    # Lower 95% (p = 0.025): F(1) = 11/1024 < 0.025 ≤ F(2) = 56/1024, r = 2;
    # α = (56 − 25.6) ÷ 45 = 0.675556; limit = (2 − 0.675556) ÷ 10 = 0.132444 = 1 − 0.867556 (symmetric).
    assert binomial_limit(0.5, 10, 0.025) == pytest.approx(0.1324444, abs=1e-6)
    # Lower 99.8% (p = 0.001): F(0) = 1/1024 < 0.001 ≤ F(1), r = 1; α = (11 − 1.024) ÷ 10 = 0.9976;
    # limit = (1 − 0.9976) ÷ 10 = 0.00024.
    assert binomial_limit(0.5, 10, 0.001) == pytest.approx(0.00024, abs=1e-7)
    limits = limits_at(50.0, 10, "proportion")
    assert (limits.lower95, limits.upper95) == pytest.approx((13.24444, 86.75556), abs=1e-4)
    assert limits.upper998 == pytest.approx(100 - limits.lower998)
    # n = 2: upper 99.8%: r = 2 (F(1) = 0.75), α = (1 − 0.999) ÷ 0.25 = 0.004, (3 − 0.004) ÷ 2 > 1 → 100%.
    assert limits_at(50.0, 2, "proportion").upper998 == 100.0


def test_a_count_is_outside_exactly_when_its_exact_tail_is_small() -> None:
    # The interpolation puts whole counts beyond the 95% limit exactly when P(X ≥ x) or P(X ≤ x) < 2.5%.
    for n, theta in ((10, 0.5), (17, 0.3), (29, 0.62), (6, 0.1)):
        limits = limits_at(theta * 100, n, "proportion")
        for x in range(n + 1):
            above = x * 100 / n > limits.upper95
            below = x * 100 / n < limits.lower95
            assert above == (binom.sf(x - 1, n, theta) < 0.025), (n, theta, x)
            assert below == (binom.cdf(x, n, theta) < 0.025), (n, theta, x)


def test_poisson_limits_by_hand() -> None:
    # 100 children, programme rate 2 per 100 → mean 2 events. Poisson(2): F(4) = 7e⁻² = 0.947347,
    # F(5) = 7.2667e⁻² = 0.983436. Upper 95%: r = 5; α = (0.983436 − 0.975) ÷ (0.983436 − 0.947347) = 0.233763;
    # limit = (5 + 1 − 0.233763) events ÷ 100 children = 5.7662 per 100.
    assert poisson_limit(0.02, 100, 0.975) * 100 == pytest.approx(5.76624, abs=1e-4)
    e2 = math.exp(-2)
    f4, f5 = 7 * e2, (7 + 2**5 / 120) * e2
    assert poisson_limit(0.02, 100, 0.975) == pytest.approx((6 - (f5 - 0.975) / (f5 - f4)) / 100)
    # Lower 95%: F(0) = e⁻² = 0.135 ≥ 0.025, so r = 0 and the limit (0 − α) ÷ n is clipped to 0.
    assert limits_at(2.0, 100, "rate").lower95 == 0.0


@pytest.mark.parametrize("n", [2000, 10000])
def test_large_n_agrees_with_normal_approximation(n: int) -> None:
    # Second method: θ ± z √(θ(1 − θ) ÷ n), z = 1.96 and 3.09. The exact limits differ by the continuity
    # (half an event) and the skew of the binomial ((z² − 1) ÷ 6 × γ × sd ≈ 0.03 points at the 99.8% limit for
    # n = 2000): within two events (2 ÷ n) of it.
    limits = limits_at(30.0, n, "proportion")
    sd = math.sqrt(0.3 * 0.7 / n) * 100
    tolerance = 200 / n
    assert limits.lower95 == pytest.approx(30 - 1.959964 * sd, abs=tolerance)
    assert limits.upper95 == pytest.approx(30 + 1.959964 * sd, abs=tolerance)
    assert limits.lower998 == pytest.approx(30 - 3.090232 * sd, abs=tolerance)
    assert limits.upper998 == pytest.approx(30 + 3.090232 * sd, abs=tolerance)
    rate = limits_at(5.0, n, "rate")  # Poisson: θ ± z √(θ ÷ n) per child
    rate_sd = math.sqrt(0.05 / n) * 100
    assert rate.upper95 == pytest.approx(5 + 1.959964 * rate_sd, abs=tolerance)
    assert rate.lower998 == pytest.approx(5 - 3.090232 * rate_sd, abs=tolerance)


def test_funnel_narrows_and_nests() -> None:
    curve = funnel_limits(40.0, [5, 10, 20, 50, 100, 500], "proportion")
    for limits in curve:
        assert 0 <= limits.lower998 <= limits.lower95 <= 40 <= limits.upper95 <= limits.upper998 <= 100
    widths = [c.upper95 - c.lower95 for c in curve]
    assert widths == sorted(widths, reverse=True)


def test_degenerate_targets() -> None:
    assert limits_at(0.0, 10, "proportion").upper998 == 0.0
    assert limits_at(100.0, 10, "proportion").lower998 == 100.0
    assert limits_at(0.0, 10, "rate").upper998 == 0.0
    with pytest.raises(ValueError):
        limits_at(50.0, 0, "proportion")
    with pytest.raises(ValueError):
        limits_at(50.0, 10, "pie")  # type: ignore[arg-type]


def test_classify_a_small_and_a_large_school() -> None:
    # Programme 50%. A 2-child school at 100% is within (P(2 of 2) = 0.25), while 29 children at 90% are
    # above even the 99.8% limit.
    assert classify(100.0, 2, 50.0, "proportion") == "within"
    assert classify(90.0, 29, 50.0, "proportion") == "above 99.8%"
    assert classify(50.0, 29, 50.0, "proportion") == "within"
    # n = 10: 90% is above the 95% limit (86.76) but not the 99.8% limit (P(X ≥ 9) = 11/1024 ≥ 0.001);
    # 80% is within (P(X ≥ 8) = 56/1024 = 5.5%); 10% is below 13.24.
    assert classify(90.0, 10, 50.0, "proportion") == "above 95%"
    assert classify(80.0, 10, 50.0, "proportion") == "within"
    assert classify(10.0, 10, 50.0, "proportion") == "below 95%"
    assert classify(0.0, 40, 50.0, "proportion") == "below 99.8%"
    # On a limit is within.
    assert classify(limits_at(50.0, 10, "proportion").upper95, 10, 50.0, "proportion") == "within"
    # Rates: 100 children, programme 2 per 100: 6 per 100 is above the 95% limit (5.77), 5 per 100 within.
    assert classify(6.0, 100, 2.0, "rate") == "above 95%"
    assert classify(5.0, 100, 2.0, "rate") == "within"


def test_funnel_verdict_by_direction() -> None:
    assert funnel_verdict("above 95%", "higher") == "better"
    assert funnel_verdict("above 99.8%", "lower") == "worse"
    assert funnel_verdict("below 95%", "lower") == "better"
    assert funnel_verdict("within", "lower") == "within"


def test_programme_figure_and_denominators() -> None:
    assert programme_figure([5, 1], [29, 2]) == pytest.approx(600 / 31)
    assert programme_figure([], []) is None
    small = funnel_denominators(29)
    assert small[0] == 1 and small[-1] == 32 and small == sorted(set(small))
    big = funnel_denominators(2000)
    assert big[-1] == 2200 and len(big) < 120 and big == sorted(set(big))
