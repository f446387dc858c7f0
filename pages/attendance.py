"""Attendance: weekly rate against the baseline year, persistent and severe absence by term with comparators,
authorised against unauthorised absence, and attendance before and after enrolment."""

from functools import partial

import polars as pl
import streamlit as st

from dashboard.charts import line_chart, long_form
from dashboard.charts import uncertainty as charts_uncertainty
from dashboard.components import figure_block
from dashboard.page import empty_selection, page_footer, page_setup
from data_access import chart_data, comparators, uncertainty, views
from data_access.periods import (
    Period,
    format_date,
    months_up_to,
    named_period,
    partial_points,
    so_far_label,
    terms_up_to,
)
from data_access.registry import FIGURES

ctx = page_setup("attendance")
if empty_selection(ctx):
    st.stop()

period = ctx.filters.period
RATE = "Attendance rate (%)"
shown_c: list[bool] = []


def comparator_note(indicator: str) -> str:
    """Source and year of a figure's comparator lines, and the caveat."""
    rows = comparators.latest(indicator)
    if rows.is_empty():
        return comparators.CAVEAT
    year, source = rows.item(0, "academic_year"), rows.item(0, "source")
    return (
        f"Reference lines: Wigan, North West and England, all pupils, whole academic year {year} "
        f"(the newest published; comparators exist per academic year, not per term). Source: {source}. "
        f"{comparators.CAVEAT}"
    )


# ------------------------------------------------------------------------------------------------ weekly
# Weeks are for exact roles only: a protected series has calendar months as its points (contract section 6,
# rule 6), so protected roles read the month-by-month chart below.
if ctx.policy.suppressed:
    st.subheader("Attendance rate by week, against the baseline year", anchor=False)
    st.caption(views.WEEKS_REFUSED + " The attendance rate month by month is below.")
else:
    weekly = ctx.view(views.weekly_attendance)
    shown_c.append(weekly.has_suppressed_values)
    weekly_definition = FIGURES["weekly_attendance"]
    description = (
        "Attendance rate of the children in scope week by week through the period (solid line), against the same "
        "children's attendance in the 12 months before each of them enrolled, lined up by week of the school year "
        "(dashed line)."
    )
    figure_block(
        ctx,
        key="weekly",
        title="Attendance rate by week, against the baseline year",
        description=description,
        chart=partial(
            line_chart,
            weekly.plottable(),
            x="week_start",
            y="attendance_rate",
            series="series",
            status="attendance_rate__status",
            interval=("attendance_rate__low", "attendance_rate__high"),
            band=True,
            title="Attendance rate by week",
            subtitle="Same children: the period against their year before enrolment; shaded: 95% intervals",
            description=description,
            x_title="Week starting",
            y_title=RATE,
            comparators=comparators.lines("attendance_rate"),
            height=360,
        ),
        table=weekly,
        definitions=["attendance_rate"],
        labels={
            "week_start": "Week starting",
            "academic_week": "Week of academic year",
            "series": "Series",
            "attendance_rate": RATE,
        },
        note=f"**{weekly_definition.title}.** {weekly_definition.definition} Gaps are weeks with no school sessions "
        f"(holidays). {comparator_note('attendance_rate')} {uncertainty.BRACKETS_NOTE}",
    )

# ------------------------------------------------------------------------------------------------ SPC by month
months = months_up_to(period.end, ctx.snapshot.first_day)
monthly_rate = ctx.view(views.by_period, months, (FIGURES["children"].spec, FIGURES["attendance_rate"].spec))
shown_c.append(monthly_rate.has_suppressed_values)
spc = chart_data.monthly_spc(monthly_rate, "attendance_rate", ctx.snapshot.snapshot_date)
spc_text = (
    "Attendance rate of the children in scope each calendar month, with the centre line (mean) and the process "
    "limits (mean ± 2.66 × the average month-to-month change): points outside the limits, runs of 7 on one side "
    "and trends of 6 are special cause variation; the rest is common cause. " + spc.summary
)
figure_block(
    ctx, key="attendance_spc", title="Attendance rate month by month (statistical process control)",
    description=spc_text,
    chart=partial(charts_uncertainty.spc_chart,
        spc.frame, centre=spc.chart.centre, upper=spc.chart.upper_limit, lower=spc.chart.lower_limit,
        title="Attendance rate by month", description=spc_text, y_title=RATE, status="status",
        subtitle=[f"Last {len(months)} months to {format_date(months[-1].end)}; hollow: month not over "
                  "(left out of the limits)", spc.summary]),
    table=spc.table(RATE).with_columns(uncertainty.interval_column(monthly_rate, "attendance_rate")),
    suppressed=monthly_rate.has_suppressed_values,
    definitions=["attendance_rate"],
    note="**Variation:** " + spc.summary + " Statistical process control as in NHS England's Making Data Count; "
    "a month with no school sessions (August) is a gap.",
)  # fmt: skip

# ------------------------------------------------------------------------------------------------ by term
terms = terms_up_to(min(period.end, ctx.snapshot.snapshot_date), ctx.snapshot.first_day)
# The last term may not be over: its figures run to the period's end, and it is drawn hollow, "so far".
terms = tuple(
    Period(t.start, period.end, t.kind, so_far_label(t, period.end)) if t.end > period.end else t
    for t in terms
)
term_partial = partial_points([named_period(t) for t in terms], ctx.snapshot.snapshot_date)
by_term = ctx.view(views.by_period, terms)
for name in ("persistent_absence_rate", "severe_absence_rate"):
    title = FIGURES[name].title
    table = views.only(by_term, [name], keys=["period", "start", "end"])
    term_labels = [t.label for t in terms]
    term_frame = table.plottable().with_columns(
        period=pl.Series(term_labels, dtype=pl.String), partial=pl.Series(term_partial, dtype=pl.Boolean)
    )
    shown_c.append(table.has_suppressed_values)
    threshold = "10%" if name == "persistent_absence_rate" else "50%"
    description = (
        f"Share of children in scope each term who missed {threshold} or more of their possible sessions, over the "
        "last six terms, with Wigan, North West and England rates for all pupils as reference lines."
    )
    figure_block(
        ctx,
        key=name.removesuffix("_rate"),
        title=f"{title} by term",
        description=description,
        chart=partial(
            line_chart,
            term_frame,
            x="period",
            y=name,
            status=f"{name}__status",
            x_type="N",
            x_sort=term_labels,
            interval=(f"{name}__low", f"{name}__high"),
            partial="partial",
            title=f"{title} by term",
            subtitle="% of children with sessions; bars: 95% intervals; hollow point: term not over (so far)",
            description=description,
            x_title="Term",
            y_title=FIGURES[name].unit,
            zero=True,
            comparators=comparators.lines(name),
        ),
        table=uncertainty.display_with_intervals(
            table, {"period": "Term", "start": "From", "end": "To", name: f"{title} (% of children)"}
        ),
        suppressed=table.has_suppressed_values,
        definitions=[name],
        note=comparator_note(name) + " " + uncertainty.INTERVAL_NOTE,
    )

# ------------------------------------------------------------------------------------------------ by month
monthly = ctx.view(views.monthly_absence)
shown_c.append(monthly.has_suppressed_values)
description = (
    "Authorised and unauthorised absence as shares of possible sessions in each month of the period, for the "
    "children in scope."
)
figure_block(
    ctx,
    key="absence_kinds",
    title=FIGURES["monthly_absence"].title,
    description=description,
    chart=partial(
        line_chart,
        long_form(
            monthly.plottable(),
            ["month_start", "month"],
            {n: FIGURES[n].title for n in ("authorised_absence_rate", "unauthorised_absence_rate")},
            intervals=True,
        ),
        x="month",
        x_type="N",
        y="value",
        series="series",
        status="value__status",
        interval=("value__low", "value__high"),
        title="Absence by month and kind",
        subtitle=f"{FIGURES['monthly_absence'].unit}; bars: 95% intervals",
        description=description,
        x_title="Month",
        y_title=FIGURES["monthly_absence"].unit,
        zero=True,
    ),
    table=monthly,
    definitions=["authorised_absence_rate", "unauthorised_absence_rate"],
    labels={
        "month": "Month",
        "month_start": "Starts",
        "authorised_absence_rate": "Authorised absence (%)",
        "unauthorised_absence_rate": "Unauthorised absence (%)",
    },
    note=FIGURES["monthly_absence"].definition + " " + uncertainty.BRACKETS_NOTE,
)

# ------------------------------------------------------------------------------------------------ around enrolment
around = ctx.view(views.attendance_around_enrolment)
shown_c.append(around.has_suppressed_values)
around_definition = FIGURES["attendance_around_enrolment"]
description = (
    "Attendance rate of the children in scope in the 12 months before and the 12 months after they enrolled, each "
    "child lined up on the calendar month of their own enrolment (month 0)."
)
cohort, starting = chart_data.cohort_frame(
    around, "month_offset", "attendance_rate", "children_with_sessions"
)
figure_block(
    ctx,
    key="around_enrolment",
    title=around_definition.title,
    description=description + " The number above each point is the children behind it; the line turns grey "
    "and dashed where fewer than half of the starting children remain.",
    chart=partial(
        charts_uncertainty.cohort_line,
        cohort,
        x="month_offset",
        y="attendance_rate",
        children="children_text",
        group="group",
        status="status",
        title=around_definition.title,
        subtitle=[
            "Same children, aligned on their month of enrolment; numbers: children behind each point; bars: 95% "
            "intervals",
            f"Grey, dashed: fewer than half of the {starting or '–'} children at the start",
        ],
        description=description,
        x_title="Months from enrolment (0 = month of enrolment)",
        y_title=RATE,
        marker=(0, "Enrolment"),
        interval=("attendance_rate__low", "attendance_rate__high"),
    ),
    table=around,
    definitions=["attendance_rate"],
    labels={
        "month_offset": "Months from enrolment",
        "month": "Month",
        "attendance_rate": RATE,
        "children_with_sessions": "Children with sessions",
    },
    note=f"**{around_definition.title}.** {around_definition.definition} Later months cover fewer and fewer "
    "children (those enrolled longest), so a rise there may be who remains, not a change in attendance. "
    + uncertainty.BRACKETS_NOTE,
)

page_footer(ctx, suppressed=any(shown_c))
