"""Plain-words definitions of every figure, shown beside charts and on the About page.

Written once here, next to the code that computes the figures (``figures.py``), and rendered, never copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from data_access.contract import MEASURES


@dataclass(frozen=True)
class Definition:
    """What a figure means, in the board's words."""

    name: str
    title: str
    unit: str
    definition: str
    underlying_count: str
    comparator: str | None = None


SCOPE: Final = (
    "Children in scope for a period are those enrolled on or before the period's last day who had not left "
    "before its first day, and who match the filters (school, year group, sex, free school meals, SEN provision)."
)

DEFINITIONS: Final[dict[str, Definition]] = {
    d.name: d
    for d in (
        Definition(
            "children",
            "Children on the programme",
            "children",
            "Children in scope for the period. " + SCOPE,
            "the children themselves",
        ),
        Definition(
            "attendance_rate",
            "Attendance rate",
            "% of possible sessions",
            "Present sessions ÷ possible sessions, over the attendance records dated within the period of "
            "the children in scope. Possible sessions are present, authorised absence and unauthorised "
            "absence; sessions that were not possible (codes D, X, Y1–Y7, Z, #, Q) are left out of both.",
            "present sessions",
            "overall_absence_rate",
        ),
        Definition(
            "persistent_absence_rate",
            "Persistent absence",
            "% of children",
            "Children whose absence (possible − present sessions, ÷ possible sessions) in the period is "
            "10% or more ÷ children with at least one possible session in the period.",
            "persistently absent children",
            "persistent_absence_rate",
        ),
        Definition(
            "severe_absence_rate",
            "Severe absence",
            "% of children",
            "As persistent absence, with absence of 50% or more.",
            "severely absent children",
            "severe_absence_rate",
        ),
        Definition(
            "mental_health_referrals",
            "Mental health referrals",
            "referrals",
            "Referrals with the reason “mental health” dated within the period, for children in scope.",
            "referrals",
        ),
        Definition(
            "mental_health_referrals_per_100",
            "Mental health referrals per 100 children",
            "per 100 children",
            "Mental health referrals × 100 ÷ children in scope.",
            "referrals",
        ),
        Definition(
            "suspensions",
            "Suspensions",
            "suspensions",
            "Suspensions starting within the period, for children in scope.",
            "suspensions",
        ),
        Definition(
            "permanent_exclusions",
            "Permanent exclusions",
            "exclusions",
            "Permanent exclusions starting within the period, for children in scope.",
            "exclusions",
            "permanent_exclusions_per_100",
        ),
        Definition(
            "suspensions_per_100",
            "Suspensions per 100 children",
            "per 100 children",
            "Suspensions × 100 ÷ children in scope.",
            "suspensions",
            "suspensions_per_100",
        ),
        Definition(
            "permanent_exclusions_per_100",
            "Permanent exclusions per 100 children",
            "per 100 children",
            "Permanent exclusions × 100 ÷ children in scope.",
            "exclusions",
            "permanent_exclusions_per_100",
        ),
        Definition(
            "sessions_lost",
            "Sessions lost to suspension and exclusion",
            "sessions",
            "Sessions missed through suspensions and exclusions starting within the period.",
            "suspensions and exclusions",
        ),
        Definition(
            "authorised_absence_rate",
            "Authorised absence",
            "% of possible sessions",
            "Authorised absence sessions ÷ possible sessions.",
            "authorised absence sessions",
        ),
        Definition(
            "unauthorised_absence_rate",
            "Unauthorised absence",
            "% of possible sessions",
            "Unauthorised absence sessions ÷ possible sessions.",
            "unauthorised absence sessions",
        ),
        Definition(
            "sdq_total_improved_pct",
            "Improved on SDQ total difficulties",
            "% of children",
            "For each child in scope: the earliest baseline SDQ total difficulties score dated on or before "
            "the period's end, and the latest score dated after it and on or before the period's end. The "
            "child improved when the latest is at least 3 points lower (better). Share = improved children ÷ "
            "children with both scores.",
            "improved children",
        ),
        Definition(
            "enrolments",
            "Enrolments",
            "children",
            "Children whose enrolment date falls in the month, among the children who match the filters "
            "(school, year group, sex, free school meals, SEN provision), counted up to the as-at date; the total row is the "
            "funnel's 'enrolled' for the same date.",
            "children",
        ),
        Definition(
            "children_by_characteristic",
            "Children in scope by characteristic",
            "children",
            "Children in scope for the period, counted by their year group, sex, free school meals "
            "eligibility or SEN provision as recorded in the snapshot.",
            "children",
        ),
        Definition(
            "exits",
            "Exits by reason",
            "children",
            "Children in scope whose exit date falls within the period, by the recorded exit reason "
            "(completed, moved school, withdrew, other).",
            "children",
        ),
        Definition(
            "referrals",
            "Referrals",
            "referrals",
            "Referrals of any reason to any service, dated within the period, for children in scope; "
            "counted per calendar month of the referral date. One child may have several referrals.",
            "referrals",
        ),
        Definition(
            "funnel",
            "Enrolment funnel",
            "children",
            "As at a date: identified (identified on or before it), enrolled (enrolled on or before it), "
            "active (enrolled and not exited by then), completed (left as “completed” on or before it).",
            "children",
        ),
    )
}

ROUNDING: Final = (
    "Percentages are shown to one decimal place, rounded half away from zero from the exact ratio."
)
PERIODS: Final = (
    "Periods follow the Department for Education's census boundaries: academic year 1 August – 31 July; autumn "
    "term 1 August – 31 December; spring term 1 January – Easter Sunday; summer term Easter Monday – 31 July. "
    "Half-terms are split at the holiday seen in the snapshot's own attendance records."
)


def measure_definition(measure: str) -> str:
    """The improvement rule of an assessment measure in words."""
    m = MEASURES[measure]
    direction = "higher" if m.higher_is_better else "lower"
    return (f"{m.label}: range {m.low:g}–{m.high:g}, {direction} is better; a change of {m.meaningful_change:g} "
            "or more counts as meaningful.")  # fmt: skip
