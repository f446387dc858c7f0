"""Statistical process control for monthly series: the XmR chart of NHS England's "Making Data Count" (MDC).

Written here rather than taken from a library: the SPC packages on PyPI (``shewhart``, ``spc-lib``,
``controlchartspy`` and older ones) are young, single-maintainer releases with little use, and none is
documented to follow MDC's rule set and wording. The XmR arithmetic is a few lines, checked in
``tests/test_spc.py`` against series worked by hand.

- centre line = mean of the points; moving range = |xᵢ − xᵢ₋₁| between consecutive points;
  process limits = mean ± 2.66 × mean moving range (2.66 = 3 ÷ d₂, d₂ = 1.128);
- MDC's rules, on the points used for the limits:
  1. a point outside the process limits;
  2. a shift: a run of 7 or more consecutive points on the same side of the centre line (a point on the line
     breaks the run);
  3. a trend: 6 or more consecutive points each higher (or each lower) than the one before (a repeat breaks it);
  4. two out of three consecutive points beyond two-thirds of the way from the centre to a process limit
     (beyond 2σ), on the same side: those points are flagged.
- each point's variation in words: ``common cause``, ``special cause — improvement`` or
  ``special cause — concern`` by the figure's better direction: by the side of the centre line for rules 1, 2
  and 4, by the trend's direction for a point flagged by rule 3 alone.

Partial points (a month not over) and missing points (``c`` or null) are drawn by the caller but take no part:
they are left out of the centre, the moving ranges and the limits, and get no rule and no variation. A missing
point breaks moving ranges, runs, trends and windows. Fewer than ``MIN_POINTS`` points give ``provisional``
limits (MDC's guidance asks for a longer baseline before limits are relied on).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final, Literal

Better = Literal["lower", "higher"]
Rule = Literal["outside limits", "shift", "trend", "two of three near a limit"]
Variation = Literal["common cause", "special cause — improvement", "special cause — concern"]

LIMIT_FACTOR: Final = 2.66
SHIFT_LENGTH: Final = 7
TREND_LENGTH: Final = 6
MIN_POINTS: Final = 15


@dataclass(frozen=True)
class SpcPoint:
    """One point of the chart: its value, whether it is partial, the rules it breaks and its variation.

    ``rules`` and ``variation`` are empty / None for partial and missing points.
    """

    value: float | None
    partial: bool
    rules: tuple[Rule, ...]
    variation: Variation | None


@dataclass(frozen=True)
class XmR:
    """An XmR chart. Limits are None when fewer than two points can be used (no moving range)."""

    points: tuple[SpcPoint, ...]
    centre: float | None
    mean_moving_range: float | None
    upper_limit: float | None
    lower_limit: float | None
    used: int
    provisional: bool

    @property
    def upper_near(self) -> float | None:
        """Two-thirds of the way from the centre to the upper limit (2σ)."""
        if self.centre is None or self.upper_limit is None:
            return None
        return self.centre + (self.upper_limit - self.centre) * 2 / 3

    @property
    def lower_near(self) -> float | None:
        if self.centre is None or self.lower_limit is None:
            return None
        return self.centre - (self.centre - self.lower_limit) * 2 / 3

    def latest(self) -> SpcPoint | None:
        """The last point that took part (not partial, not missing)."""
        for point in reversed(self.points):
            if point.value is not None and not point.partial:
                return point
        return None

    def summary(self) -> str:
        """The latest point's variation in words, e.g. ``Special cause variation — concern: a shift (7 or more
        points on one side of the centre line).`` or ``Common cause variation: no signal.``"""
        point = self.latest()
        if point is None or point.variation is None:
            return "Too few points to tell common from special cause variation."
        if point.variation == "common cause":
            return "Common cause variation: no signal."
        reasons = "; ".join(_RULE_WORDS[rule] for rule in point.rules)
        kind = point.variation.removeprefix("special cause — ")
        return f"Special cause variation — {kind}: {reasons}."


_RULE_WORDS: Final[dict[Rule, str]] = {
    "outside limits": "a point outside the process limits",
    "shift": f"a shift ({SHIFT_LENGTH} or more points on one side of the centre line)",
    "trend": f"a trend ({TREND_LENGTH} or more points rising or falling)",
    "two of three near a limit": "two of three points close to a process limit",
}


def _segments(usable: Sequence[bool]) -> list[list[int]]:
    """Runs of consecutive indices whose points take part (a missing or partial point ends a run)."""
    out: list[list[int]] = []
    current: list[int] = []
    for i, ok in enumerate(usable):
        if ok:
            current.append(i)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def xmr(
    values: Sequence[float | None],
    better: Better,
    partial: Sequence[bool] | None = None,
    baseline: int | None = None,
) -> XmR:
    """The XmR chart of ``values`` (oldest first). ``partial[i]`` marks a point whose month is not over.
    ``baseline``, when given, fixes the centre and limits on the first ``baseline`` points that take part
    (MDC: recalculate limits only after a sustained change); the rules are then tested on every point."""
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")
    flags = list(partial) if partial is not None else [False] * len(values)
    if len(flags) != len(values):
        raise ValueError("partial must have one entry per value")
    usable = [v is not None and math.isfinite(v) and not p for v, p in zip(values, flags, strict=True)]
    xs: list[float] = [
        float(v) if ok and v is not None else math.nan for v, ok in zip(values, usable, strict=True)
    ]
    segments = _segments(usable)
    used_indices = [i for i, ok in enumerate(usable) if ok]
    base = set(used_indices[:baseline] if baseline is not None else used_indices)
    base_values = [xs[i] for i in used_indices if i in base]
    moving_ranges = [
        abs(xs[b] - xs[a]) for seg in segments for a, b in pairwise(seg) if a in base and b in base
    ]
    if not base_values or not moving_ranges:
        centre = math.fsum(base_values) / len(base_values) if base_values else None
        bare = tuple(
            SpcPoint(None if v is None else float(v), flags[i], (), None) for i, v in enumerate(values)
        )
        return XmR(bare, centre, None, None, None, len(base_values), True)

    centre = math.fsum(base_values) / len(base_values)
    mr_bar = math.fsum(moving_ranges) / len(moving_ranges)
    upper = centre + LIMIT_FACTOR * mr_bar
    lower = centre - LIMIT_FACTOR * mr_bar
    near_up = centre + LIMIT_FACTOR * mr_bar * 2 / 3
    near_low = centre - LIMIT_FACTOR * mr_bar * 2 / 3

    rules: list[set[Rule]] = [set() for _ in values]
    trend_dir: list[int] = [0] * len(values)
    for i in used_indices:
        if xs[i] > upper or xs[i] < lower:
            rules[i].add("outside limits")
    for seg in segments:
        _mark_shifts(seg, xs, centre, rules)
        _mark_trends(seg, xs, rules, trend_dir)
        _mark_two_of_three(seg, xs, near_up, near_low, rules)

    points_out: list[SpcPoint] = []
    for i, value in enumerate(values):
        if not usable[i]:
            points_out.append(SpcPoint(None if value is None else float(value), flags[i], (), None))
            continue
        ordered = tuple(rule for rule in _RULE_WORDS if rule in rules[i])
        points_out.append(
            SpcPoint(xs[i], False, ordered, _variation(xs[i], centre, ordered, trend_dir[i], better))
        )
    return XmR(
        tuple(points_out), centre, mr_bar, upper, lower, len(base_values), len(base_values) < MIN_POINTS
    )


def _sign(x: float) -> int:
    return 1 if x > 0 else -1 if x < 0 else 0


def _mark_shifts(seg: Sequence[int], xs: Sequence[float], centre: float, rules: list[set[Rule]]) -> None:
    """Flag every point of a run of ``SHIFT_LENGTH`` or more on one side of the centre line."""
    start, side = 0, 0
    for k in range(len(seg) + 1):
        s = _sign(xs[seg[k]] - centre) if k < len(seg) else 0
        if k < len(seg) and s != 0 and s == side:
            continue
        if side != 0 and k - start >= SHIFT_LENGTH:
            for i in seg[start:k]:
                rules[i].add("shift")
        start, side = k, s


def _mark_trends(
    seg: Sequence[int], xs: Sequence[float], rules: list[set[Rule]], trend_dir: list[int]
) -> None:
    """Flag every point of ``TREND_LENGTH`` or more consecutive points each above (below) the one before."""
    start, direction = 0, 0
    for k in range(1, len(seg) + 1):
        step = _sign(xs[seg[k]] - xs[seg[k - 1]]) if k < len(seg) else 0
        if k < len(seg) and step != 0 and direction in (0, step):
            direction = step
            continue
        if direction != 0 and k - start >= TREND_LENGTH:
            for i in seg[start:k]:
                rules[i].add("trend")
                trend_dir[i] = direction
        # A turn shares its point with the next run; a repeat starts afresh at the repeated point.
        start, direction = (k - 1, step) if step != 0 else (k, 0)


def _mark_two_of_three(
    seg: Sequence[int], xs: Sequence[float], near_up: float, near_low: float, rules: list[set[Rule]]
) -> None:
    for k in range(len(seg) - 2):
        window = seg[k : k + 3]
        for beyond in ([i for i in window if xs[i] > near_up], [i for i in window if xs[i] < near_low]):
            if len(beyond) >= 2:
                for i in beyond:
                    rules[i].add("two of three near a limit")


def _variation(value: float, centre: float, rules: tuple[Rule, ...], trend: int, better: Better) -> Variation:
    if not rules:
        return "common cause"
    # A point flagged by the trend alone (or sitting on the centre line) goes the trend's way; otherwise the
    # side of the centre line decides.
    up = trend > 0 if rules == ("trend",) or value == centre else value > centre
    return "special cause — improvement" if up == (better == "higher") else "special cause — concern"
