"""95% intervals and tests of change (data contract sections 4.2 and 4.3), with no streamlit.

Methods, each from a maintained library where one exists:

- children-based percentages: the Wilson score interval (``statsmodels`` ``proportion_confint``,
  ``method="wilson"``);
- rates per 100 children: the exact Poisson (Garwood) interval of the count from chi-square quantiles
  (``scipy.stats.chi2``, as OHID's Fingertips technical guidance does), then × 100 ÷ children;
- attendance rate: the cluster-robust ratio estimate over children (contract 4.2), none when k < 2;
- change in a percentage: the Newcombe hybrid score interval of the difference excludes 0 (``statsmodels``
  ``confint_proportions_2indep``, ``method="newcomb"``);
- change in a rate per 100 or a count of events: the exact conditional test of the rate ratio with children
  as exposure (``statsmodels`` ``test_poisson_2indep``, ``method="exact-cond"``: a binomial test of the
  current count given the total, with p = current children ÷ all children);
- change in an attendance rate: |R₁ − R₂| > 1.96 × √(SE₁² + SE₂²).

Every value here is on the figure's own scale: percent (0–100) or per 100 children. Intervals are shown
to one decimal place rounded half away from zero, by ``data_access.disclosure.round_half_away`` on the exact
binary value of the float.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from scipy.stats import chi2

from data_access.disclosure import round_half_away

Method = Literal["wilson", "garwood", "cluster-ratio"]
Better = Literal["lower", "higher"]
Verdict = Literal["better", "worse", "no clear change"]
ComparatorWording = Literal["higher than", "similar to", "lower than"]
# A published count: an integer, the suppression marker "c", or None (null: nothing to compute).
PublishedCount = int | str | None

ALPHA: Final = 0.05
Z_95: Final = 1.96  # contract 4.2 and 4.3 write 1.96, not the exact 1.95996…


def round1(value: float) -> float:
    """``value`` to one decimal place, half away from zero, from its exact binary value (contract 4)."""
    if not math.isfinite(value):
        raise ValueError(f"cannot round {value!r}")
    numerator, denominator = value.as_integer_ratio()
    return round_half_away(numerator, denominator, scale=1, places=1)


@dataclass(frozen=True)
class Interval:
    """A 95% interval on the figure's scale (percent or per 100 children), unrounded."""

    low: float
    high: float
    method: Method

    def rounded(self) -> tuple[float, float]:
        """Both ends to one decimal place, half away from zero."""
        return round1(self.low), round1(self.high)

    def text(self) -> str:
        """``86.9 to 89.6``: the ends as shown."""
        low, high = self.rounded()
        return f"{low:.1f} to {high:.1f}"

    def excludes(self, value: float) -> Literal["above", "below"] | None:
        """Whether the whole interval lies above or below ``value`` (None when it contains it)."""
        if self.low > value:
            return "above"
        if self.high < value:
            return "below"
        return None


def _count(value: PublishedCount) -> int | None:
    """An integer count, or None for ``c``, null, a bool or a negative number (no interval, no test)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def wilson_interval(count: PublishedCount, denominator: PublishedCount) -> Interval | None:
    """Wilson score 95% interval, in percent, of ``count`` children out of ``denominator`` (None when either
    is ``c``/null or the denominator is 0)."""
    k, n = _count(count), _count(denominator)
    if k is None or n is None or n == 0 or k > n:
        return None
    from statsmodels.stats.proportion import proportion_confint  # heavy (pandas): loaded on first use

    low, high = proportion_confint(k, n, alpha=ALPHA, method="wilson")
    return Interval(max(0.0, float(low)) * 100, min(1.0, float(high)) * 100, "wilson")


def garwood_count_interval(count: int) -> tuple[float, float]:
    """Exact (Garwood) 95% Poisson interval of an event count: (χ²₀.₀₂₅(2x) ÷ 2, χ²₀.₉₇₅(2x + 2) ÷ 2)."""
    if count < 0:
        raise ValueError("a count of events cannot be negative")
    low = 0.0 if count == 0 else float(chi2.ppf(ALPHA / 2, 2 * count)) / 2
    high = float(chi2.ppf(1 - ALPHA / 2, 2 * count + 2)) / 2
    return low, high


def poisson_rate_interval(count: PublishedCount, children: PublishedCount, per: int = 100) -> Interval | None:
    """Exact Poisson 95% interval of a rate per ``per`` children (None when either side is ``c``/null or there
    are no children)."""
    x, n = _count(count), _count(children)
    if x is None or n is None or n == 0:
        return None
    low, high = garwood_count_interval(x)
    return Interval(low * per / n, high * per / n, "garwood")


@dataclass(frozen=True)
class AttendanceEstimate:
    """The cluster-robust ratio estimate of an attendance rate over the k children with a possible session.

    ``rate`` and ``se`` are in percent; ``se`` is None when k < 2 (no interval, no test).
    """

    present: int
    possible: int
    children: int
    rate: float
    se: float | None

    @property
    def interval(self) -> Interval | None:
        """R ± 1.96 × SE clipped to [0, 100], or None when k < 2."""
        if self.se is None:
            return None
        return Interval(
            max(0.0, self.rate - Z_95 * self.se), min(100.0, self.rate + Z_95 * self.se), "cluster-ratio"
        )


def attendance_estimate(present: Sequence[int], possible: Sequence[int]) -> AttendanceEstimate | None:
    """Contract 4.2: R = P ÷ N over the children with at least one possible session, and
    SE = √(k ÷ (k − 1) × Σᵢ (pᵢ − R·nᵢ)²) ÷ N. ``present[i]``/``possible[i]`` are child i's sessions in the
    period; children with no possible session are left out. None when no child has a possible session."""
    if len(present) != len(possible):
        raise ValueError("present and possible must have one entry per child")
    pairs = [(int(p), int(n)) for p, n in zip(present, possible, strict=True) if n > 0]
    if any(p < 0 or p > n for p, n in pairs):
        raise ValueError("a child's present sessions must lie between 0 and their possible sessions")
    if not pairs:
        return None
    k = len(pairs)
    total_present = sum(p for p, _ in pairs)
    total_possible = sum(n for _, n in pairs)
    ratio = total_present / total_possible
    se: float | None = None
    if k >= 2:
        squares = math.fsum((p - ratio * n) ** 2 for p, n in pairs)
        se = math.sqrt(k / (k - 1) * squares) / total_possible * 100
    return AttendanceEstimate(total_present, total_possible, k, ratio * 100, se)


@dataclass(frozen=True)
class Change:
    """The change of a figure on its comparison period and what it may be called.

    ``verdict`` is None when there is no test (either side ``c``/null, or a census count); ``difference`` is
    current − previous on the figure's scale (None when either side is missing); ``low``/``high`` bound the
    difference where the method gives an interval (Newcombe; the normal interval for attendance);
    ``p_value`` where it gives one (the exact conditional test).
    """

    verdict: Verdict | None
    difference: float | None
    method: str
    low: float | None = None
    high: float | None = None
    p_value: float | None = None

    @property
    def significant(self) -> bool:
        return self.verdict in ("better", "worse")

    def words(self) -> str:
        """``better``, ``worse``, ``no clear change``, or '' when there is no test."""
        return self.verdict or ""


def _verdict(significant: bool, difference: float, better: Better) -> Verdict:
    if not significant or difference == 0:
        return "no clear change"
    went_up = difference > 0
    return "better" if went_up == (better == "higher") else "worse"


def _check_better(better: str) -> None:
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")


def compare_proportions(
    count: PublishedCount,
    denominator: PublishedCount,
    previous_count: PublishedCount,
    previous_denominator: PublishedCount,
    better: Better,
) -> Change:
    """Two percentages: significant when the Newcombe hybrid score 95% interval of the difference
    (current − previous) excludes 0. Difference and interval are in percentage points."""
    _check_better(better)
    k1, n1, k0, n0 = (_count(v) for v in (count, denominator, previous_count, previous_denominator))
    if k1 is None or n1 is None or k0 is None or n0 is None or n1 == 0 or n0 == 0 or k1 > n1 or k0 > n0:
        return Change(None, None, "newcombe")
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(k1, n1, k0, n0, method="newcomb", compare="diff", alpha=ALPHA)
    low_pp, high_pp = float(low) * 100, float(high) * 100
    difference = (k1 / n1 - k0 / n0) * 100
    significant = low_pp > 0 or high_pp < 0
    return Change(_verdict(significant, difference, better), difference, "newcombe", low_pp, high_pp)


def compare_rates(
    count: PublishedCount,
    children: PublishedCount,
    previous_count: PublishedCount,
    previous_children: PublishedCount,
    better: Better,
    per: int = 100,
) -> Change:
    """Two rates per 100 children (or two counts of events, tested through their rates): the exact
    conditional test of the rate ratio, children as exposure, significant when p < 0.05. The difference is in
    the rate's units (per ``per`` children)."""
    _check_better(better)
    x1, n1, x0, n0 = (_count(v) for v in (count, children, previous_count, previous_children))
    if x1 is None or n1 is None or x0 is None or n0 is None or n1 == 0 or n0 == 0:
        return Change(None, None, "exact-cond")
    difference = (x1 / n1 - x0 / n0) * per
    if x1 + x0 == 0:  # no events in either period: nothing has changed
        return Change("no clear change", difference, "exact-cond", p_value=1.0)
    from statsmodels.stats.rates import test_poisson_2indep

    with np.errstate(divide="ignore", invalid="ignore"):  # the ratio it reports is infinite when x0 == 0
        result = test_poisson_2indep(
            x1, n1, x0, n0, method="exact-cond", compare="ratio", alternative="two-sided"
        )
    p_value = float(result.pvalue)
    return Change(_verdict(p_value < ALPHA, difference, better), difference, "exact-cond", p_value=p_value)


def compare_attendance(
    current: AttendanceEstimate | None, previous: AttendanceEstimate | None, better: Better = "higher"
) -> Change:
    """Two attendance rates: significant when |R₁ − R₂| > 1.96 × √(SE₁² + SE₂²) (percentage points)."""
    _check_better(better)
    if current is None or previous is None or current.se is None or previous.se is None:
        return Change(None, None, "normal")
    difference = current.rate - previous.rate
    half_width = Z_95 * math.sqrt(current.se**2 + previous.se**2)
    significant = abs(difference) > half_width
    return Change(
        _verdict(significant, difference, better),
        difference,
        "normal",
        difference - half_width,
        difference + half_width,
    )


def census_change(count: PublishedCount, previous_count: PublishedCount) -> Change:
    """A count of children on the programme is a census, not a sample: its change, with no test."""
    now, before = _count(count), _count(previous_count)
    difference = None if now is None or before is None else float(now - before)
    return Change(None, difference, "census")


def against_comparator(
    interval: Interval | None, comparator: float | None, complete_year: bool
) -> ComparatorWording | None:
    """A figure against Wigan / North West / England, in words only and for a complete academic year:
    ``higher than`` / ``lower than`` when the 95% interval excludes the comparator, else ``similar to``.
    None when there is no interval, no comparator, or the period is not a complete academic year."""
    if not complete_year or interval is None or comparator is None or not math.isfinite(comparator):
        return None
    side = interval.excludes(comparator)
    if side == "above":
        return "higher than"
    if side == "below":
        return "lower than"
    return "similar to"
