"""The figure registry: every fact about every figure, written once.

Pages, the presentation story, the board pack, the definitions (About) page and ``report`` read a figure's
title, short label, unit, kind, counts, direction, interval method, comparator and definition from
``FIGURES`` and nowhere else; ``views`` builds the disclosure specs (``Figure.spec``) from it. To add a
figure: add its entry here, compute its counts in the concept module that owns them (``attendance``,
``events``, ``assessments``, ``enrolment``), and test it on a hand-built snapshot (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from data_access.contract import ATTAINMENT_LEVELS, MEASURES, SDQ_TOTAL_BANDS
from data_access.disclosure import FigureSpec

Kind = Literal["count", "rate", "percentage", "magnitude"]
Counts = Literal["children", "referrals", "suspensions", "sessions"]
Better = Literal["higher", "lower"] | None
Interval = Literal["wilson", "poisson", "cluster_ratio"] | None
Section = Literal["board", "extra", "breakdown", "chart"]


@dataclass(frozen=True)
class Figure:
    """One figure as the board reads it and as the data layer computes and protects it.

    Attributes:
        name: the column name as shown and exported (``attendance_rate``).
        title: the heading on pages and in the board pack.
        short_label: the column heading of narrow tables (the story's school table).
        unit: the unit in words (``% of possible sessions``).
        kind: ``count`` (records or children counted), ``percentage`` (a share: numerator within the
            denominator), ``rate`` (events per 100 children) or ``magnitude`` (a total of a quantity, such
            as sessions lost, protected by the number of records behind it).
        numerator: the raw count column (a count's own column).
        denominator: the raw count column divided by (percentages and rates), else ``None``.
        counts: which records the numerator counts (cell keys are derived from this).
        better: which direction is better, or ``None`` (a census of children, a distribution).
        interval: the 95% interval method of contract section 4.2, or ``None`` for counts.
        comparator: the ``benchmarks.csv`` indicator drawn beside it, or ``None``.
        definition: the definition in plain words.
        underlying_count: what the privacy protection counts, in words (the About page).
        protected_by: for a magnitude, the raw column whose 1 to 4 suppresses it (the number of records).
        section: ``board`` (the report columns), ``extra`` (more figures by period and school),
            ``breakdown`` (tables by category) or ``chart`` (trend charts); the About page groups by it.
    """

    name: str
    title: str
    short_label: str
    unit: str
    kind: Kind
    numerator: str
    denominator: str | None
    counts: Counts
    better: Better
    interval: Interval
    comparator: str | None
    definition: str
    underlying_count: str
    section: Section
    protected_by: str | None = None

    @property
    def percent(self) -> bool:
        """True for a percentage (shown with ``%``; its change is in percentage points)."""
        return self.kind == "percentage"

    @property
    def direction_text(self) -> str:
        """Which way is better, for the reader (empty when neither is)."""
        return {"higher": "higher is better", "lower": "lower is better"}.get(self.better or "", "")

    @property
    def spec(self) -> FigureSpec:
        """How disclosure control computes and protects it from raw columns (children column ``children``)."""
        if self.denominator is None:
            return FigureSpec(self.name, "count", self.numerator, underlying=self.protected_by)
        return FigureSpec(
            self.name,
            "rate",
            self.numerator,
            self.denominator,
            "children",
            cap=self.kind == "percentage",
            sessions=self.counts == "sessions",
        )


SCOPE: Final = (
    "Children in scope for a period are those enrolled on or before the period's last day who had not left "
    "before its first day, and who match the filters (school, year group, sex, free school meals, SEN provision)."
)
ROUNDING: Final = (
    "Percentages are shown to one decimal place, rounded half away from zero from the exact ratio."
)
PERIODS: Final = (
    "Periods follow the Department for Education's census boundaries: academic year 1 August – 31 July; autumn "
    "term 1 August – 31 December; spring term 1 January – Easter Sunday; summer term Easter Monday – 31 July. "
    "Half-terms are split at the holiday seen in the snapshot's own attendance records."
)

_SESSIONS_PCT = "% of possible sessions"
_CHILDREN_PCT = "% of children"
_PER_100 = "per 100 children"

# One row per figure; the columns line up so that a missing fact stands out.
_ROWS: Final[tuple[Figure, ...]] = (
    Figure("children", "Children on the programme", "Children", "children", "count", "children", None,
           "children", None, None, None,
           "Children in scope for the period. " + SCOPE,
           "the children themselves", "board"),
    Figure("attendance_rate", "Attendance rate", "Attendance %", _SESSIONS_PCT, "percentage", "present",
           "possible", "sessions", "higher", "cluster_ratio", "overall_absence_rate",
           "Present sessions ÷ possible sessions, over the attendance records dated within the period of "
           "the children in scope. Possible sessions are present, authorised absence and unauthorised "
           "absence; sessions that were not possible (codes D, X, Y1–Y7, Z, #, Q) are left out of both.",
           "present sessions", "board"),
    Figure("persistent_absence_rate", "Persistent absence", "Persistent absence %", _CHILDREN_PCT, "percentage",
           "persistent", "with_sessions", "children", "lower", "wilson", "persistent_absence_rate",
           "Children whose absence (possible − present sessions, ÷ possible sessions) in the period is "
           "10% or more ÷ children with at least one possible session in the period.",
           "persistently absent children", "board"),
    Figure("severe_absence_rate", "Severe absence", "Severe absence %", _CHILDREN_PCT, "percentage", "severe",
           "with_sessions", "children", "lower", "wilson", "severe_absence_rate",
           "As persistent absence, with absence of 50% or more.",
           "severely absent children", "board"),
    Figure("mental_health_referrals", "Mental health referrals", "Mental health referrals", "referrals", "count",
           "mh_referrals", None, "referrals", "lower", None, None,
           "Referrals with the reason “mental health” dated within the period, for children in scope.",
           "referrals", "board"),
    Figure("mental_health_referrals_per_100", "Mental health referrals per 100 children", "Mental health referrals per 100",
           _PER_100, "rate", "mh_referrals", "children", "referrals", "lower", "poisson", None,
           "Mental health referrals × 100 ÷ children in scope.",
           "referrals", "board"),
    Figure("suspensions", "Suspensions", "Suspensions", "suspensions", "count", "suspensions", None,
           "suspensions", "lower", None, None,
           "Suspensions starting within the period, for children in scope.",
           "suspensions", "board"),
    Figure("permanent_exclusions", "Permanent exclusions", "Permanent exclusions", "exclusions", "count",
           "permanent_exclusions", None, "suspensions", "lower", None, "permanent_exclusions_per_100",
           "Permanent exclusions starting within the period, for children in scope.",
           "exclusions", "board"),
    Figure("suspensions_per_100", "Suspensions per 100 children", "Suspensions per 100", _PER_100, "rate",
           "suspensions", "children", "suspensions", "lower", "poisson", "suspensions_per_100",
           "Suspensions × 100 ÷ children in scope.",
           "suspensions", "extra"),
    Figure("permanent_exclusions_per_100", "Permanent exclusions per 100 children", "Exclusions per 100",
           _PER_100, "rate", "permanent_exclusions", "children", "suspensions", "lower", "poisson",
           "permanent_exclusions_per_100",
           "Permanent exclusions × 100 ÷ children in scope.",
           "exclusions", "extra"),
    Figure("sessions_lost", "Sessions lost to suspension and exclusion", "Sessions lost", "sessions",
           "magnitude", "sessions_lost", None, "suspensions", "lower", None, None,
           "Sessions missed through suspensions and exclusions starting within the period.",
           "suspensions and exclusions", "extra", protected_by="suspensions_and_exclusions"),
    Figure("authorised_absence_rate", "Authorised absence", "Authorised absence %", _SESSIONS_PCT,
           "percentage", "authorised", "possible", "sessions", "lower", "cluster_ratio", None,
           "Authorised absence sessions ÷ possible sessions.",
           "authorised absence sessions", "extra"),
    Figure("unauthorised_absence_rate", "Unauthorised absence", "Unauthorised absence %", _SESSIONS_PCT,
           "percentage", "unauthorised", "possible", "sessions", "lower", "cluster_ratio", None,
           "Unauthorised absence sessions ÷ possible sessions.",
           "unauthorised absence sessions", "extra"),
    Figure("sdq_total_improved_pct", "Improved on SDQ total difficulties", "Improved on SDQ %", _CHILDREN_PCT,
           "percentage", "sdq_improved", "sdq_with_both", "children", "higher", "wilson", None,
           "For each child in scope: the earliest baseline SDQ total difficulties score dated on or before "
           "the period's end, and the latest score dated after it and on or before the period's end. The "
           "child improved when the latest is at least 3 points lower (better). Share = improved children ÷ "
           "children with both scores.",
           "improved children", "board"),
    Figure("enrolments", "Enrolments", "Enrolments", "children", "count", "enrolled", None, "children", None,
           None, None,
           "Children whose enrolment date falls in the month, among the children who match the filters "
           "(school, year group, sex, free school meals, SEN provision), counted up to the as-at date; the total row is the "
           "funnel's 'enrolled' for the same date.",
           "children", "breakdown"),
    Figure("children_by_characteristic", "Children in scope by characteristic", "Children", "children", "count",
           "children", None, "children", None, None, None,
           "Children in scope for the period, counted by their year group, sex, free school meals "
           "eligibility or SEN provision as recorded in the snapshot.",
           "children", "breakdown"),
    Figure("exits", "Exits by reason", "Exits", "children", "count", "exits", None, "children", None, None, None,
           "Children in scope whose exit date falls within the period, by the recorded exit reason "
           "(completed, moved school, withdrew, other).",
           "children", "breakdown"),
    Figure("referrals", "Referrals", "Referrals", "referrals", "count", "referrals", None, "referrals", None,
           None, None,
           "Referrals of any reason to any service, dated within the period, for children in scope; "
           "counted per calendar month of the referral date. One child may have several referrals.",
           "referrals", "breakdown"),
    Figure("funnel", "Enrolment funnel", "Funnel", "children", "count", "enrolled", None, "children", None, None,
           None,
           "As at a date: identified (identified on or before it), enrolled (enrolled on or before it), "
           "active (enrolled and not exited by then), completed (left as “completed” on or before it).",
           "children", "breakdown"),
    Figure("weekly_attendance", "Weekly attendance rate against the baseline year", "Weekly attendance %",
           _SESSIONS_PCT, "percentage", "present", "possible", "sessions", "higher", "cluster_ratio", None,
           "For the children in scope for the period: present ÷ possible sessions in each week (Monday to "
           "Sunday) of the period, so the weeks add up to the period's attendance rate. The baseline line is "
           "the same children's attendance in the school weeks lying wholly within the 12 months before "
           "each child's own enrolment date, lined up by week of the academic year (the week holding "
           "1 August is week 0), so each week of the period sits above the same week of the school year "
           "before the child joined. Each point covers the children with a possible session that week.",
           "present sessions", "chart"),
    Figure("attendance_around_enrolment", "Attendance before and after enrolment", "Attendance %",
           _SESSIONS_PCT, "percentage", "present", "possible", "sessions", "higher", "cluster_ratio", None,
           "For the children in scope for the period: present ÷ possible sessions in each calendar month "
           "counted from the month the child enrolled (month 0, which holds days both before and after the "
           "enrolment date), from 12 months before to 12 months after, over every session on record. "
           "Later months cover only the children who have been on the programme that long, so the "
           "number of children behind each point is shown.",
           "present sessions", "chart"),
    Figure("monthly_absence", "Authorised and unauthorised absence by month", "Absence %", _SESSIONS_PCT,
           "percentage", "authorised", "possible", "sessions", "lower", "cluster_ratio", None,
           "For the children in scope for the period: authorised (or unauthorised) absence sessions ÷ "
           "possible sessions in each calendar month of the period.",
           "absence sessions", "chart"),
    Figure("sdq_bands", "SDQ total difficulties bands at baseline and latest", "Children", "children", "count",
           "baseline", None, "children", None, None, None,
           "For each child in scope with both scores (the same baseline and latest scores as the SDQ "
           "improvement figure), the band of the teacher-rated SDQ total difficulties score: "
           + "; ".join(f"{name} {low}–{high}" for name, low, high in SDQ_TOTAL_BANDS)
           + ". A lower band is better.",
           "children", "chart"),
    Figure("attainment_levels", "Reading, writing and maths levels at baseline and latest", "Children",
           "children", "count", "baseline", None, "children", None, None, None,
           "For each child in scope with both scores (the earliest baseline assessment dated on or before "
           "the period's end, and the latest assessment after it and on or before the period's end), the "
           "teacher-assessed level: " + "; ".join(f"{k} {v}" for k, v in ATTAINMENT_LEVELS.items()) + ".",
           "children", "chart"),
)  # fmt: skip

FIGURES: Final[dict[str, Figure]] = {figure.name: figure for figure in _ROWS}

# The report's columns and the board table's figures, in order.
BOARD_FIGURES: Final = tuple(f.name for f in _ROWS if f.section == "board")
# The headline figures, in the order the board reads them (Overview tiles, the story, the board pack).
HEADLINES: Final = (
    "children", "attendance_rate", "persistent_absence_rate", "mental_health_referrals", "suspensions",
    "sdq_total_improved_pct",
)  # fmt: skip


def spec(name: str) -> FigureSpec:
    """The disclosure spec of a registered figure."""
    return FIGURES[name].spec


def measure_definition(measure: str) -> str:
    """The improvement rule of an assessment measure in words."""
    m = MEASURES[measure]
    direction = "higher" if m.higher_is_better else "lower"
    return (f"{m.label}: range {m.low:g}–{m.high:g}, {direction} is better; a change of {m.meaningful_change:g} "
            "or more counts as meaningful.")  # fmt: skip
