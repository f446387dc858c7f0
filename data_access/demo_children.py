"""The demo's settings, school calendar, children and their events (the first half of ``data_access.demo``).

Who is identified and enrolled when, in which school and year group, with which characteristics; when they
leave; and the days of their referrals, suspensions and exclusions. ``data_access.demo`` draws attendance,
referrals and assessments from these and writes the snapshot (its docstring describes the data's shape).
Everything here is drawn from the seeded numpy ``Generator`` passed in, so the output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from data_access.periods import easter_sunday

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PROGRAMME_START: Final = date(2024, 9, 1)
"""The demo programme identifies its first cohort in September 2024."""
CALENDAR_START: Final = date(2023, 8, 1)
"""Start of the earliest baseline year (the academic year before the first enrolments)."""
CHUNK_CHILDREN: Final = 4000
"""Children per attendance chunk; fixed, because the random streams are drawn per chunk."""
ROW_GROUP_ROWS: Final = 1 << 20
PARQUET_OPTIONS: Final[dict[str, object]] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
}

# (school_id, name, township, phase, share of children). S07 is small on purpose: at 250 children it has
# about 8, so its school-level figures are suppressed for councillors.
DEMO_SCHOOLS: Final = (
    ("S01", "Kingfisher Lane Demo Primary School (fictional)", "Leigh", "primary", 0.17),
    ("S02", "Marshbrook Demo High School (fictional)", "Leigh", "secondary", 0.21),
    ("S03", "Copperbeech Demo Primary School (fictional)", "Atherton", "primary", 0.14),
    ("S04", "Millstone Demo Academy (fictional)", "Atherton", "secondary", 0.18),
    ("S05", "Larkspur Green Demo Primary School (fictional)", "Tyldesley", "primary", 0.12),
    ("S06", "Three Chimneys Demo All-Through School (fictional)", "Tyldesley", "all-through", 0.15),
    ("S07", "Little Heron Demo Primary School (fictional)", "Leigh", "primary", 0.032),
)

# Attendance codes the demo draws, as dictionary indices (order fixed: it is part of the determinism).
CODE_VOCAB: Final = ("/", "\\", "L", "I", "M", "C", "O", "G", "N", "E", "#", "Y1", "X", "B", "U")
_C = {code: index for index, code in enumerate(CODE_VOCAB)}
_ABSENCE_EPISODE_CODES: Final = (("I", "M", "C"), (0.80, 0.12, 0.08), ("O", "G", "N"), (0.60, 0.15, 0.25))

SEXES_DRAWN: Final = ("female", "male", "not recorded")
SEN_DRAWN: Final = ("none", "sen_support", "ehcp")
EXIT_REASONS_DRAWN: Final = ("completed", "moved_school", "withdrew", "other")
SERVICES_DRAWN: Final = (
    "camhs",
    "early_help",
    "childrens_social_care",
    "school_nursing",
    "community",
    "other",
)
REASONS_DRAWN: Final = (
    "mental_health", "behaviour", "safeguarding", "neurodevelopmental", "family_support", "other",
)  # fmt: skip
# Referrals per child per year before enrolment, by reason (sums to 0.6), and the multiplier after it.
REFERRAL_RATE: Final = np.array([0.21, 0.09, 0.06, 0.09, 0.11, 0.04])
REFERRAL_AFTER: Final = np.array([0.55, 0.8, 1.0, 1.0, 1.1, 1.0])
# Which service each reason goes to (rows follow REASONS_DRAWN, columns SERVICES_DRAWN).
REFERRAL_SERVICE: Final = np.array(
    [
        [0.75, 0.10, 0.00, 0.15, 0.00, 0.00],
        [0.00, 0.50, 0.00, 0.00, 0.30, 0.20],
        [0.00, 0.20, 0.80, 0.00, 0.00, 0.00],
        [0.40, 0.00, 0.00, 0.30, 0.00, 0.30],
        [0.00, 0.70, 0.00, 0.00, 0.30, 0.00],
        [0.00, 0.20, 0.00, 0.20, 0.30, 0.30],
    ]
)
MEASURES_DRAWN: Final = ("sdq_total", "sdq_prosocial", "wellbeing", "reading", "writing", "maths")
WAVES_DRAWN: Final = ("baseline", "review", "exit")
REVIEWS_MAX: Final = 5


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def _last_monday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def _holidays(year: int) -> set[date]:
    """School holidays and bank holidays falling in calendar ``year`` (an England-style calendar)."""
    days: set[date] = set()

    def span(first: date, last: date) -> None:
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))

    span(date(year, 1, 1), date(year, 1, 3))  # end of the Christmas holiday
    span(feb := _nth_monday(year, 2, 3), feb + timedelta(days=4))  # February half-term
    easter = easter_sunday(year)
    span(easter - timedelta(days=6), easter + timedelta(days=5))  # Holy Week and Easter week
    days.add(_nth_monday(year, 5, 1))  # early May bank holiday
    span(may := _last_monday(year, 5), may + timedelta(days=4))  # May half-term (spring bank holiday)
    span(date(year, 7, 22), date(year, 9, 2))  # summer holiday (includes the August bank holiday)
    span(october := _last_monday(year, 10), october + timedelta(days=4))  # October half-term
    span(date(year, 12, 21), date(year, 12, 31))  # Christmas holiday
    return days


def school_days(first: date, last: date) -> list[date]:
    """Every school day (a weekday outside the demo's holidays) from ``first`` to ``last`` inclusive."""
    holidays: set[date] = set()
    for year in range(first.year, last.year + 1):
        holidays |= _holidays(year)
    return [
        day
        for n in range((last - first).days + 1)
        if (day := first + timedelta(days=n)).weekday() < 5 and day not in holidays
    ]


def _epoch_days(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def _august_first(years: IntArray) -> IntArray:
    """1 August of each year, as days since the epoch."""
    return (
        ((years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + np.timedelta64(7, "M"))
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def _academic_year_of(days: IntArray) -> IntArray:
    """The start year of the academic year (1 August – 31 July) holding each date."""
    as_dates = days.astype("datetime64[D]")
    years = as_dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = as_dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return np.where(months >= 8, years, years - 1)


@dataclass
class _Children:
    """Per-child attributes as parallel numpy arrays (dates are days since the epoch, -1 for null)."""

    school: IntArray
    year_group: IntArray
    sex: IntArray
    fsm: BoolArray
    sen: IntArray
    identified: IntArray
    enrolled: IntArray
    exit: IntArray
    exit_reason: IntArray
    first_day: IntArray  # calendar index of the first attendance day
    end_day: IntArray  # calendar index one past the last attendance day
    absence: FloatArray  # baseline absence propensity (share of days)
    response: FloatArray  # share of that absence the programme removes after a year
    response_z: FloatArray  # standardised response, shared with the assessment trajectories
    late: FloatArray
    unauthorised: FloatArray
    episode_length: FloatArray


def _snap_to_school_day(calendar: IntArray, days: IntArray) -> IntArray:
    """Calendar index of the first school day on or after each date (may be len(calendar))."""
    return np.asarray(np.searchsorted(calendar, days, side="left"), dtype=np.int64)


def _largest_remainder(shares: FloatArray, total: int) -> IntArray:
    exact = shares / shares.sum() * total
    counts: IntArray = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return counts


def _draw_children(rng: np.random.Generator, n: int, calendar: IntArray, snapshot: int) -> _Children:
    """Draw every child's characteristics, programme timeline and personal propensities."""
    shares = np.array([s[4] for s in DEMO_SCHOOLS])
    school = rng.permutation(np.repeat(np.arange(len(DEMO_SCHOOLS)), _largest_remainder(shares, n)))
    phase = np.array([s[3] for s in DEMO_SCHOOLS])[school]

    primary_years = rng.choice(7, size=n, p=[0.04, 0.06, 0.10, 0.18, 0.20, 0.21, 0.21])
    secondary_years = 7 + rng.choice(5, size=n, p=[0.22, 0.24, 0.22, 0.18, 0.14])
    through_years = np.where(
        rng.random(n) < 0.45,
        primary_years,
        np.where(rng.random(n) < 0.9, secondary_years, rng.integers(12, 14, n)),
    )
    year_group = np.select(
        [phase == "primary", phase == "secondary"], [primary_years, secondary_years], through_years
    )
    sex = rng.choice(3, size=n, p=[0.46, 0.52, 0.02])
    fsm = rng.random(n) < 0.60
    sen = rng.choice(3, size=n, p=[0.55, 0.35, 0.10])

    # Cohorts start on the first school day after each holiday (a gap of a week or more), from September
    # 2024 to a week before the snapshot; September cohorts are twice the size of the others.
    gaps = np.diff(calendar)
    starts = np.concatenate([[0], np.flatnonzero(gaps >= 7) + 1])
    starts = starts[(calendar[starts] >= _epoch_days(PROGRAMME_START)) & (calendar[starts] <= snapshot - 7)]
    if starts.size == 0:
        raise ValueError("the demo programme starts in September 2024: give a later snapshot date")
    months = calendar[starts].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    weights = np.where(months == 9, 2.0, 1.0) * np.where(calendar[starts] > snapshot - 60, 0.7, 1.0)
    cohort = rng.choice(starts.size, size=n, p=weights / weights.sum())
    identified_index = starts[cohort] + rng.integers(0, 15, n)
    identified = calendar[identified_index]
    identified_index = np.where(identified > snapshot, starts[cohort], identified_index)
    identified = calendar[identified_index]

    # Enrolled 2-6 weeks after identification; a few stall (never enrolled), the recent ones are pending.
    enrolled_index = _snap_to_school_day(calendar, identified + rng.integers(14, 43, n))
    enrolled = calendar[np.minimum(enrolled_index, calendar.size - 1)]
    stalled = rng.random(n) < 0.005
    enrolled = np.where(stalled | (enrolled > snapshot), -1, enrolled)
    is_enrolled = enrolled >= 0

    # Exits: most complete after about a year; some leave early.
    completes = rng.random(n) < 0.86
    early_reason = rng.choice([1, 2, 3], size=n, p=[0.5, 0.3, 0.2])
    duration = np.where(completes, rng.integers(330, 400, n), rng.integers(20, 330, n))
    exit_index = _snap_to_school_day(calendar, enrolled + duration)
    exit_day = calendar[np.minimum(exit_index, calendar.size - 1)]
    has_exit = is_enrolled & (exit_day <= snapshot)
    exit_day = np.where(has_exit, exit_day, -1)
    exit_reason = np.where(has_exit, np.where(completes, 0, early_reason), -1)

    # Baseline absence: a heavy-tailed mix (a tenth severely absent), higher in secondary and with an EHCP.
    severe = rng.random(n) < 0.105
    absence = np.where(severe, rng.uniform(0.50, 0.76, n), np.clip(rng.normal(0.099, 0.042, n), 0.004, 0.45))
    absence *= np.where(year_group >= 7, 1.06, 0.95) * np.where(sen == 2, 1.05, 1.0)
    response_z = rng.normal(0.0, 1.0, n)
    response = np.clip(0.55 + 0.28 * response_z, -0.2, 0.9)
    late = rng.beta(1.2, 25.0, n)
    unauthorised = np.clip(0.12 + 0.55 * absence + rng.normal(0.0, 0.08, n), 0.02, 0.9)
    episode_length = 1.3 + 9.0 * absence

    # Attendance runs from 1 August of the baseline year (the academic year before enrolment, or before
    # identification for those not enrolled) to the exit date or the snapshot date.
    anchor = np.where(is_enrolled, enrolled, identified)
    baseline_start = _august_first(_academic_year_of(anchor) - 1)
    last_day = np.where(has_exit, exit_day, snapshot)
    first_day = np.searchsorted(calendar, baseline_start, side="left").astype(np.int64)
    end_day = np.searchsorted(calendar, last_day, side="right").astype(np.int64)
    return _Children(
        school=school.astype(np.int64), year_group=year_group.astype(np.int64), sex=sex, fsm=fsm, sen=sen,
        identified=identified, enrolled=enrolled, exit=exit_day, exit_reason=exit_reason,
        first_day=first_day, end_day=end_day, absence=absence, response=response, response_z=response_z,
        late=late, unauthorised=unauthorised, episode_length=episode_length,
    )  # fmt: skip


def _expand(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For rows repeated ``counts`` times: the owning row of each repeat and its position within the row."""
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


@dataclass
class _Events:
    """Suspension and exclusion events (sorted by child, then date)."""

    child: IntArray
    day_index: IntArray
    kind: IntArray  # 0 suspension, 1 permanent exclusion
    sessions: IntArray


def _draw_exclusions(
    rng: np.random.Generator, kids: _Children, calendar: IntArray, snapshot: int
) -> IntArray:
    """Pick the rare permanent exclusions and move those children on soon after (mostly moved_school).

    Returns each child's exclusion day as a calendar index, or -1.
    """
    n = kids.school.size
    enrolled_index = np.searchsorted(calendar, np.maximum(kids.enrolled, 0))
    end_index = kids.end_day - 1
    chance = np.where(kids.year_group >= 7, 0.016, 0.003)
    pex_index = enrolled_index + rng.integers(30, 200, n)
    leave_index = pex_index + rng.integers(5, 20, n)
    chosen = (kids.enrolled >= 0) & (rng.random(n) < chance) & (leave_index <= end_index)
    chosen &= calendar[np.minimum(leave_index, calendar.size - 1)] <= snapshot
    kids.exit = np.where(chosen, calendar[np.minimum(leave_index, calendar.size - 1)], kids.exit)
    kids.exit_reason = np.where(chosen, np.where(rng.random(n) < 0.85, 1, 3), kids.exit_reason)
    kids.end_day = np.where(chosen, leave_index + 1, kids.end_day)
    return np.where(chosen, pex_index, -1)


_Segments = tuple[IntArray, IntArray, IntArray]


def _segments(kids: _Children, calendar: IntArray) -> _Segments:
    """Calendar indices splitting each child's attendance window into before / on the programme."""
    split = np.where(
        kids.enrolled >= 0, np.searchsorted(calendar, np.maximum(kids.enrolled, 0)), kids.end_day
    ).astype(np.int64)
    split = np.clip(split, kids.first_day, kids.end_day)
    return kids.first_day, split, kids.end_day


def _poisson_days(
    rng: np.random.Generator, rates: FloatArray, lo: IntArray, hi: IntArray
) -> tuple[IntArray, IntArray]:
    """Events at ``rates`` per school year (190 days) over [lo, hi): (row, calendar index) per event."""
    counts = rng.poisson(np.maximum(rates, 0.0) * (hi - lo) / 190.0)
    owner, _ = _expand(counts)
    day_index = lo[owner] + np.floor(rng.random(owner.size) * (hi - lo)[owner]).astype(np.int64)
    return owner, day_index


def _draw_events(
    rng: np.random.Generator, kids: _Children, segments: _Segments, pex_index: IntArray
) -> _Events:
    """Suspensions (mostly secondary, falling after enrolment) plus the permanent exclusions."""
    n = kids.school.size
    lo, split, hi = segments
    prone = (kids.year_group >= 7) & (rng.random(n) < 0.15)
    rate = np.where(prone, 2.0, np.where(kids.year_group >= 7, 0.02, 0.01))
    before_child, before_day = _poisson_days(rng, rate, lo, split)
    after_child, after_day = _poisson_days(rng, rate * 0.45, split, hi)
    pex_child = np.flatnonzero(pex_index >= 0)
    child = np.concatenate([before_child, after_child, pex_child])
    day_index = np.concatenate([before_day, after_day, pex_index[pex_child]])
    kind = np.concatenate(
        [np.zeros(before_child.size + after_child.size, np.int64), np.ones(pex_child.size, np.int64)]
    )
    suspension_sessions = rng.choice([1, 2, 2, 2, 3, 4, 4, 6, 8, 10], size=child.size)
    pex_sessions = np.clip(2 * (hi[child] - day_index), 1, 32767)
    sessions = np.where(kind == 1, pex_sessions, suspension_sessions)
    order = np.lexsort((kind, day_index, child))
    return _Events(child[order], day_index[order], kind[order], sessions[order])
