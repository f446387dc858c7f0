"""Reporting periods: DfE census academic years and terms (Easter by the Gregorian computus), half-terms
found in the snapshot's own school calendar, and custom ranges.

A period is a closed date range [start, end]. Its ``key`` is what the URL carries: ``2025-26`` (academic year),
``2025-26-autumn`` (term), ``2025-26-autumn-1`` (half-term) or ``2025-09-01..2025-12-19`` (custom).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Final, Literal

PeriodKind = Literal["year", "term", "half-term", "custom"]
TERMS: Final = ("autumn", "spring", "summer")
_YEAR_KEY = re.compile(r"^(\d{4})-(\d{2})(?:-(autumn|spring|summer)(?:-([12]))?)?$")
_CUSTOM_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
# A gap of at least this many weekdays with no sessions inside a term is taken as its half-term holiday.
HALF_TERM_MIN_GAP_WEEKDAYS: Final = 4
# A period this short is drawn week by week; longer ones month by month.
WEEKLY_UP_TO_DAYS: Final = 92


@dataclass(frozen=True, order=True)
class Period:
    """A closed date range with a label for people and a key for URLs."""

    start: date
    end: date
    kind: PeriodKind = "custom"
    label: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def key(self) -> str:
        """The URL form of the period."""
        if self.kind == "custom":
            return f"{self.start.isoformat()}..{self.end.isoformat()}"
        year = academic_year_start(self.start)
        base = f"{year}-{(year + 1) % 100:02d}"
        if self.kind == "year":
            return base
        term = term_of(self.start)
        if self.kind == "term":
            return f"{base}-{term}"
        return f"{base}-{term}-{1 if self.start == term_period(year, term).start else 2}"

    @property
    def days(self) -> int:
        """Length in days, both ends included."""
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        """True when ``day`` lies within the period (ends included)."""
        return self.start <= day <= self.end

    def describe(self) -> str:
        """Label plus exact dates, e.g. ``Autumn term 2025/26 (1 Aug 2025 – 31 Dec 2025)``."""
        return f"{self.label or 'Custom range'} ({format_date(self.start)} – {format_date(self.end)})"


def format_date(day: date) -> str:
    """A date the way a board paper writes it: ``1 Aug 2025``."""
    return f"{day.day} {day.strftime('%b %Y')}"


def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` by the Gregorian computus (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def academic_year_start(day: date) -> int:
    """The calendar year in which the academic year holding ``day`` began (1 August)."""
    return day.year if day.month >= 8 else day.year - 1


def year_label(start_year: int) -> str:
    """``2025/26`` for the academic year starting 1 August 2025."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def academic_year(start_year: int) -> Period:
    """The academic year 1 August ``start_year`` – 31 July the next year."""
    return Period(
        date(start_year, 8, 1), date(start_year + 1, 7, 31), "year", f"Academic year {year_label(start_year)}"
    )


def term_period(start_year: int, term: str) -> Period:
    """A DfE census term of the academic year starting in ``start_year``."""
    easter = easter_sunday(start_year + 1)
    label = f"{term.capitalize()} term {year_label(start_year)}"
    if term == "autumn":
        return Period(date(start_year, 8, 1), date(start_year, 12, 31), "term", label)
    if term == "spring":
        return Period(date(start_year + 1, 1, 1), easter, "term", label)
    if term == "summer":
        return Period(easter + timedelta(days=1), date(start_year + 1, 7, 31), "term", label)
    raise ValueError(f"unknown term {term!r}; expected one of {', '.join(TERMS)}")


def term_of(day: date) -> str:
    """Which census term ``day`` falls in."""
    year = academic_year_start(day)
    for term in TERMS:
        if term_period(year, term).contains(day):
            return term
    raise AssertionError("terms cover the whole academic year")  # pragma: no cover


def terms_of_year(start_year: int) -> list[Period]:
    """The three census terms of an academic year, in order."""
    return [term_period(start_year, term) for term in TERMS]


def half_terms(term: Period, school_days: Sequence[date]) -> list[Period]:
    """Split a term at its half-term holiday as seen in the data, or return [] when the data shows none.

    The holiday is the longest run of at least ``HALF_TERM_MIN_GAP_WEEKDAYS`` weekdays without a single
    recorded session, strictly between the term's first and last school days. The first half-term runs from
    the term's start to the day before the holiday's first missing weekday, the second from that weekday to the
    term's end, so the two halves cover the whole term without overlap.
    """
    days = sorted(d for d in set(school_days) if term.contains(d))
    if len(days) < 2:
        return []
    best: tuple[int, date] | None = None
    for before, after in pairwise(days):
        gap = sum(1 for n in range(1, (after - before).days) if (before + timedelta(days=n)).weekday() < 5)
        if gap >= HALF_TERM_MIN_GAP_WEEKDAYS and (best is None or gap > best[0]):
            first_missing = before + timedelta(days=1)
            while first_missing.weekday() >= 5:
                first_missing += timedelta(days=1)
            best = (gap, first_missing)
    if best is None:
        return []
    split = best[1]
    first = Period(term.start, split - timedelta(days=1), "half-term", f"{term.label}, first half")
    second = Period(split, term.end, "half-term", f"{term.label}, second half")
    return [first, second]


def custom(start: date, end: date) -> Period:
    """A custom period."""
    return Period(start, end, "custom", "Custom range")


def parse_period(key: str) -> Period:
    """Turn a URL key back into a period; raises ``ValueError`` for anything malformed.

    Half-term keys are resolved against the calendar alone (their split needs the data); use
    ``periods_for_snapshot`` to resolve them against a snapshot.
    """
    key = key.strip()
    custom_match = _CUSTOM_KEY.match(key)
    if custom_match:
        return custom(date.fromisoformat(custom_match.group(1)), date.fromisoformat(custom_match.group(2)))
    match = _YEAR_KEY.match(key)
    if not match:
        raise ValueError(f"not a period: {key!r}")
    start_year = int(match.group(1))
    if (start_year + 1) % 100 != int(match.group(2)):
        raise ValueError(f"not an academic year: {key!r}")
    if match.group(3) is None:
        return academic_year(start_year)
    term = term_period(start_year, match.group(3))
    if match.group(4) is None:
        return term
    raise ValueError(f"half-term {key!r} needs the snapshot's calendar")


def periods_for_snapshot(first_day: date, last_day: date, school_days: Iterable[date] = ()) -> list[Period]:
    """Every year, term and (where the data allows) half-term that overlaps [first_day, last_day], newest first."""
    days = sorted(set(school_days))
    out: list[Period] = []
    for start_year in range(academic_year_start(last_day), academic_year_start(first_day) - 1, -1):
        year = academic_year(start_year)
        out.append(year)
        for term in reversed(terms_of_year(start_year)):
            if term.start > last_day or term.end < first_day:
                continue
            out.append(term)
            out.extend(reversed(half_terms(term, days)))
    return out


def mondays(start: date, end: date) -> list[date]:
    """The Monday of every week from ``start``'s to ``end``'s (none when ``end`` is before ``start``)."""
    first = start - timedelta(days=start.weekday())
    return [first + timedelta(days=7 * n) for n in range((end - first).days // 7 + 1)] if end >= start else []


def month_starts(first: date, last: date) -> list[date]:
    """First days of every calendar month from ``first``'s to ``last``'s, inclusive."""
    out: list[date] = []
    month = first.replace(day=1)
    while month <= last:
        out.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return out


def month_label(day: date) -> str:
    """``Sep 2025``."""
    return day.strftime("%b %Y")


def academic_years(first_day: date, last_day: date) -> tuple[Period, ...]:
    """Every academic year from the one holding ``first_day`` to the one holding ``last_day``, oldest first."""
    return tuple(
        academic_year(y) for y in range(academic_year_start(first_day), academic_year_start(last_day) + 1)
    )


def time_buckets(period: Period, last_day: date, *, weeks_allowed: bool = True) -> tuple[list[Period], str]:
    """Weeks (short periods, when ``weeks_allowed``) or calendar months of ``period`` up to ``last_day``, clipped
    to the period. Protected outputs pass ``weeks_allowed=False``: months only as a series' points (section 6,
    rule 6)."""
    end = min(period.end, last_day)
    weekly = weeks_allowed and period.days <= WEEKLY_UP_TO_DAYS
    out: list[Period] = []
    start = period.start
    while start <= end:
        if weekly:
            stop = start + timedelta(days=6 - start.weekday())
        else:
            next_month = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
            stop = next_month - timedelta(days=1)
        stop = min(stop, end)
        label = f"w/c {format_date(start)}" if weekly else start.strftime("%b %Y")
        out.append(Period(start, stop, "custom", label))
        start = stop + timedelta(days=1)
    return out, "week" if weekly else "month"


def bucket_a_year_before(bucket: Period) -> Period:
    """A week or month of ``time_buckets`` one year earlier, keeping its label."""
    shifted = year_before(custom(bucket.start, bucket.end))
    return Period(shifted.start, shifted.end, "custom", bucket.label)


def terms_of_period_year(period: Period, last_day: date) -> tuple[list[Period], list[Period]]:
    """The census terms of ``period``'s academic year (up to ``last_day``) and the same terms a year before."""
    year = academic_year_start(min(period.end, max(last_day, period.start)))
    now = [t for t in terms_of_year(year) if t.start <= last_day]
    return now, terms_of_year(year - 1)[: len(now)]


def short_term_label(label: str) -> str:
    """``Autumn 24/25`` for ``Autumn term 2024/25``: six of them fit side by side on a chart axis."""
    return label.replace(" term 20", " ")


def year_before(period: Period) -> Period:
    """The same period one year earlier (the same term of the previous academic year for terms; for a year or
    term cut short "so far", the same span a year earlier: contract 4.1)."""
    if cut_short(period):
        start, end = _shift_year(period.start), _shift_year(period.end)
        named = academic_year(academic_year_start(start))
        if period.kind == "term":
            named = term_period(academic_year_start(start), term_of(period.start))
        return Period(start, end, period.kind, f"{named.label} to {format_date(end)}")
    if period.kind == "year":
        return academic_year(academic_year_start(period.start) - 1)
    if period.kind == "term":
        return term_period(academic_year_start(period.start) - 1, term_of(period.start))
    return Period(
        _shift_year(period.start),
        _shift_year(period.end),
        period.kind,
        f"{period.label or 'Custom range'}, a year earlier",
    )


def _shift_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def terms_up_to(end: date, first_day: date, count: int = 6) -> tuple[Period, ...]:
    """The last ``count`` census terms that started on or before ``end`` and end on or after ``first_day``."""
    out: list[Period] = []
    start_year = academic_year_start(end)
    while len(out) < count:
        for term in reversed(terms_of_year(start_year)):
            if term.start <= end and term.end >= first_day and len(out) < count:
                out.append(term)
        if start_year < academic_year_start(first_day):
            break
        start_year -= 1
    return tuple(reversed(out))


# --- Like-for-like periods (contract 4.1) ------------------------------------------------------------------------


def last_month_end(day: date) -> date:
    """The last month end on or before ``day`` (``day`` itself when it is a month end)."""
    if (day + timedelta(days=1)).month != day.month:
        return day
    return day.replace(day=1) - timedelta(days=1)


def data_end(snapshot_date: date, protected: bool) -> date:
    """The last day a period not over may cover: the snapshot date for exact roles, the last month end on or
    before it for protected roles (contract 6, rule 6)."""
    return last_month_end(snapshot_date) if protected else snapshot_date


def is_over(period: Period, snapshot_date: date) -> bool:
    """A period is over when its last day is on or before the snapshot date."""
    return period.end <= snapshot_date


def so_far_label(period: Period, end: date) -> str:
    """``Academic year 2026/27 so far, to 20 Nov 2026``."""
    return f"{period.label or 'Custom range'} so far, to {format_date(end)}"


def covered(period: Period, snapshot_date: date, protected: bool = False) -> Period | None:
    """The span a period's figures cover at ``snapshot_date``: the period itself when it is over, else
    [start, effective end] labelled "so far, to <date>"; None when it has no covered day yet (it starts after
    the effective end)."""
    if is_over(period, snapshot_date):
        return period
    end = data_end(snapshot_date, protected)
    if end < period.start:
        return None
    return Period(period.start, end, period.kind, so_far_label(period, end))


def natural_end(period: Period) -> date:
    """The last day of an academic year or term as named (its ``end`` for any other period)."""
    if period.kind == "year":
        return academic_year(academic_year_start(period.start)).end
    if period.kind == "term":
        return term_period(academic_year_start(period.start), term_of(period.start)).end
    return period.end


def cut_short(period: Period) -> bool:
    """True for a year or term that ``covered`` has cut at a date before its named end ("so far")."""
    return period.kind in ("year", "term") and period.end < natural_end(period)


def named_period(period: Period) -> Period:
    """The whole named academic year or term that a period cut short "so far" was cut from (else itself)."""
    if not cut_short(period):
        return period
    start_year = academic_year_start(period.start)
    return (
        academic_year(start_year) if period.kind == "year" else term_period(start_year, term_of(period.start))
    )


def as_shown(period: Period, snapshot_date: date, protected: bool) -> Period:
    """The period as a viewer's figures cover it (contract 4.1): the named period when it is over, else
    [start, the snapshot date (exact roles) or the last month end (protected)] labelled "so far, to <date>".
    The period itself when nothing of it is covered yet."""
    whole = named_period(period)
    return covered(whole, snapshot_date, protected) or whole


def shift_back_a_year(day: date) -> date:
    """The same day a year earlier; 29 February maps to 28 February."""
    return _shift_year(day)


def comparison_period(period: Period, snapshot_date: date, protected: bool = False) -> Period | None:
    """The period a figure's change is measured against (contract 4.1).

    - not over: the same span a year earlier, [start − 1 year, effective end − 1 year] ("the same point last
      year"), whatever the kind (for the summer term this starts a year before this term's Easter Monday);
    - over: the previous academic year for a year; the same named term of the previous year (its dates move
      with Easter) for a term; [start − 1 year, end − 1 year] for a custom range or a half-term.
    29 February maps to 28 February. None when the period has no covered day yet.
    """
    if is_over(period, snapshot_date):
        return year_before(period)  # a period cut short "so far" gives the same span a year earlier
    span = covered(period, snapshot_date, protected)
    if span is None:
        return None
    start, end = shift_back_a_year(span.start), shift_back_a_year(span.end)
    before = year_before(period)
    return Period(start, end, period.kind, f"{before.label or 'Custom range'} to {format_date(end)}")


def month_period(day: date) -> Period:
    """The calendar month holding ``day``, as a custom-kind period labelled ``Nov 2026``."""
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(start, end, "custom", start.strftime("%b %Y"))


def partial_points(points: Sequence[Period | date], snapshot_date: date) -> list[bool]:
    """For each point of a series by term or month, whether it is partial (its period is not over at the
    snapshot date, so it must not be drawn as if complete). A ``date`` stands for the calendar month holding
    it (a series by month usually carries its first day)."""
    out: list[bool] = []
    for point in points:
        period = point if isinstance(point, Period) else month_period(point)
        out.append(not is_over(period, snapshot_date))
    return out


def months_up_to(end: date, first_day: date, count: int = 24) -> tuple[Period, ...]:
    """The last ``count`` calendar months up to ``end`` (the last one cut at ``end`` when it is not over), not
    before the month of ``first_day``; each labelled ``Nov 2026`` (the points of a monthly series)."""
    out: list[Period] = []
    month = end.replace(day=1)
    while len(out) < count and month >= first_day.replace(day=1):
        whole = month_period(month)
        out.append(Period(whole.start, min(whole.end, end), "custom", whole.label))
        month = (month - timedelta(days=1)).replace(day=1)
    return tuple(reversed(out))
