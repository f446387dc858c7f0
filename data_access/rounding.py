"""Exact rounding of figures (contract section 4): half away from zero, in integers."""

from __future__ import annotations


def round_half_away(numerator: int, denominator: int, scale: int = 100, places: int = 1) -> float:
    """``numerator * scale / denominator`` rounded half away from zero to ``places`` decimals, exactly.

    Integer arithmetic only, so 1/16 = 6.25% gives 6.3 (``round()`` and float formatting would give 6.2).
    """
    if denominator == 0:
        raise ZeroDivisionError("a figure with a zero denominator has nothing to compute")
    factor = 10**places
    top = abs(numerator) * scale * factor
    bottom = abs(denominator)
    tenths = (2 * top + bottom) // (2 * bottom)
    sign = -1 if (numerator < 0) != (denominator < 0) and numerator != 0 else 1
    return float(sign * tenths / factor)
