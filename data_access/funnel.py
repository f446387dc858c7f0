"""Funnel plot limits for comparing schools of different sizes (Spiegelhalter 2005), with no streamlit.

Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. Statistics in Medicine
24:1185–1202. Each school's figure is drawn against its number of children, with 95% and 99.8% limits around
the programme's own figure (the target θ) at every denominator n. The limits, not the tests of section 4.3,
decide a school's colour.

Method (chosen and named, as Public Health England's funnel plot guidance asks): **exact**, not the normal
approximation, because most schools have fewer than 30 children.

- percentages (children-based): the exact binomial limits with Spiegelhalter's interpolation (Appendix A.1.1,
  and the tail handling of his published ``qbinom.interp``): r_p is the smallest integer with F(r_p) ≥ p for
  X ~ Binomial(n, θ) and α = (F(r_p) − p) ÷ P(X = r_p); the lower limit is (r_p − α) ÷ n, the upper limit
  (r_p + 1 − α) ÷ n, clipped to [0, 1]. So a whole count lies beyond a limit exactly when its exact tail
  probability is below 2.5% (0.1%), and the limits are symmetric for θ = ½;
- rates per 100 children: the same with X ~ Poisson(θ·n), θ per child, × 100 ÷ n, not below 0.

p is 0.025 / 0.975 for the 95% limits and 0.001 / 0.999 for the 99.8% limits. Distributions come from
``scipy.stats``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from scipy.stats import binom, poisson

FunnelKind = Literal["proportion", "rate"]
Position = Literal["above 99.8%", "above 95%", "within", "below 95%", "below 99.8%"]
FunnelVerdict = Literal["better", "worse", "within"]

P95: Final = (0.025, 0.975)
P998: Final = (0.001, 0.999)


@dataclass(frozen=True)
class FunnelLimits:
    """The four limits at one denominator, on the figure's scale (percent, or per 100 children)."""

    denominator: int
    lower998: float
    lower95: float
    upper95: float
    upper998: float


def _interpolated_quantile(f_r: float, f_before: float, r: int, p: float) -> float:
    """Lower tail (p < ½): r_p − α; upper tail: r_p + 1 − α; α = (F(r_p) − p) ÷ (F(r_p) − F(r_p − 1))."""
    if f_r == f_before:  # pragma: no cover - r_p is chosen so that F jumps at r_p
        return float(r)
    alpha = (f_r - p) / (f_r - f_before)
    return r - alpha if p < 0.5 else r + 1 - alpha


def binomial_limit(target: float, n: int, p: float) -> float:
    """Spiegelhalter's interpolated exact binomial limit, as a proportion, for target θ (0–1), n and p."""
    if n <= 0:
        raise ValueError("a funnel limit needs at least one child")
    if not 0.0 <= target <= 1.0:
        raise ValueError("a proportion target lies between 0 and 1")
    if target in (0.0, 1.0):  # no variation is possible: the limits are the target itself
        return target
    r = int(binom.ppf(p, n, target))
    value = _interpolated_quantile(float(binom.cdf(r, n, target)), float(binom.cdf(r - 1, n, target)), r, p)
    return min(1.0, max(0.0, value / n))


def poisson_limit(target: float, n: int, p: float) -> float:
    """The same for a rate: target θ events per child, n children; the limit in events per child."""
    if n <= 0:
        raise ValueError("a funnel limit needs at least one child")
    if target < 0:
        raise ValueError("a rate target cannot be negative")
    if target == 0.0:
        return 0.0
    mean = target * n
    r = int(poisson.ppf(p, mean))
    value = _interpolated_quantile(float(poisson.cdf(r, mean)), float(poisson.cdf(r - 1, mean)), r, p)
    return max(0.0, value / n)


def limits_at(target: float, n: int, kind: FunnelKind, per: int = 100) -> FunnelLimits:
    """The 95% and 99.8% limits at denominator ``n`` around ``target`` on the figure's scale (percent for a
    proportion; per ``per`` children for a rate)."""
    theta = target / per
    if kind == "proportion":
        values = [binomial_limit(theta, n, p) * per for p in (P998[0], P95[0], P95[1], P998[1])]
    elif kind == "rate":
        values = [poisson_limit(theta, n, p) * per for p in (P998[0], P95[0], P95[1], P998[1])]
    else:
        raise ValueError(f"unknown funnel kind {kind!r}")
    return FunnelLimits(n, *values)


def funnel_denominators(largest: int, steps: int = 60) -> list[int]:
    """Denominators at which to draw the funnel: every n up to 30, then about ``steps`` geometric steps up to
    a little past ``largest`` (so the curve reaches the biggest school)."""
    top = max(2, math.ceil(largest * 1.1))
    out = set(range(1, min(top, 30) + 1))
    if top > 30:
        ratio = (top / 30) ** (1 / steps)
        value = 30.0
        while value < top:
            value *= ratio
            out.add(min(top, round(value)))
    out.add(top)
    return sorted(out)


def funnel_limits(
    target: float, denominators: Sequence[int], kind: FunnelKind, per: int = 100
) -> list[FunnelLimits]:
    """The limits at each denominator (for drawing the funnel's four curves)."""
    return [limits_at(target, n, kind, per) for n in denominators]


def programme_figure(counts: Sequence[int], denominators: Sequence[int], per: int = 100) -> float | None:
    """The programme's pooled figure (Σ counts × per ÷ Σ denominators), the funnel's centre; None when there
    are no children."""
    total = sum(denominators)
    if total <= 0:
        return None
    return sum(counts) * per / total


def classify(value: float, denominator: int, target: float, kind: FunnelKind, per: int = 100) -> Position:
    """Where a school lies: above / below the 99.8% or 95% limits at its own denominator, or within (a point on
    a limit is within)."""
    limits = limits_at(target, denominator, kind, per)
    if value > limits.upper998:
        return "above 99.8%"
    if value > limits.upper95:
        return "above 95%"
    if value < limits.lower998:
        return "below 99.8%"
    if value < limits.lower95:
        return "below 95%"
    return "within"


def funnel_verdict(position: Position, better: Literal["lower", "higher"]) -> FunnelVerdict:
    """A school outside the 95% limits is better or worse than the programme as a whole (by the figure's
    better direction); inside them it is within the range expected by chance."""
    if position == "within":
        return "within"
    above = position.startswith("above")
    return "better" if above == (better == "higher") else "worse"
