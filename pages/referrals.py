"""Referrals: referrals per month by service and by reason, mental health referrals against the year before, by school."""

from functools import partial

import polars as pl
import streamlit as st

from dashboard.charts import bar_chart, heatmap
from dashboard.charts import uncertainty as charts_uncertainty
from dashboard.components import figure_block
from dashboard.page import empty_selection, page_footer, page_setup
from data_access import chart_data, uncertainty, views
from data_access.events import REASON_LABELS, SERVICE_LABELS
from data_access.periods import months_up_to
from data_access.registry import FIGURES
from data_access.views import long_form

ctx = page_setup("referrals")
if empty_selection(ctx):
    st.stop()

period = ctx.filters.period
names = ctx.school_names
ALL_SCHOOLS = "All selected schools"
referral_note = f"{FIGURES['referrals'].title}: {FIGURES['referrals'].definition}"
tables = []

# ------------------------------------------------------------------------------------ per month, two breakdowns
for by, labels, noun in (
    ("service", SERVICE_LABELS, "service referred to"),
    ("reason", REASON_LABELS, "reason"),
):
    grid = ctx.view(views.referrals_by_month, by)
    tables.append(grid)
    chart_frame = ctx.derive(long_form, grid, series=by).with_columns(pl.col(by).replace(labels))
    title = f"Referrals per month by {noun}"
    text = (f"How many referrals were made each month of the period for the children in scope, one row per {by}; "
            "the table's last row is the total for the period.")  # fmt: skip
    figure_block(
        ctx, key=f"referrals_by_{by}", title=title, description=text,
        chart=partial(heatmap, chart_frame, x="month", y=by, value="value", status="value__status", title=title,
                      x_sort=chart_frame.get_column("month").unique(maintain_order=True).to_list(),
                      y_sort=list(labels.values()), description=text, x_title="Month of referral",
                      y_title=by.capitalize()),
        table=grid.display({"month": "Month", **labels}).drop("month_start"),
        suppressed=grid.has_suppressed_values, definitions=["mental_health_referrals"], note=referral_note,
    )  # fmt: skip

# ------------------------------------------------------------------------------ mental health: against a year before
MH_LABELS = {
    "children": "Children in scope",
} | {name: FIGURES[name].title for name in ("mental_health_referrals", "mental_health_referrals_per_100")}
PER_100 = "mental_health_referrals_per_100"
before = ctx.comparison
yoy = ctx.view(views.mental_health_year_on_year)
tables.append(yoy)
yoy_rows = yoy.frame.to_dicts()
yoy_change = uncertainty.change(PER_100, yoy_rows[-1], yoy_rows[0]) if len(yoy_rows) == 2 else None
change_words = uncertainty.change_words(yoy_change, FIGURES[PER_100]) if yoy_change else ""
yoy_title = "Mental health referrals per 100 children: this period against the same point a year before"
yoy_text = (f"Mental health referrals per 100 children in scope in {period.describe()}, beside "
            f"{before.describe()}, each with its 95% interval; a lower bar means fewer referrals for each 100 "
            "children.")  # fmt: skip
yoy_note = (
    f"**Change: {change_words}** (exact test of the two rates, children as exposure). "
    if change_words
    else "No test of the change: a figure is hidden (c) or there is nothing to compute. "
)
figure_block(
    ctx, key="mh_year_on_year", title=yoy_title, description=yoy_text,
    chart=partial(bar_chart, ctx.derive(long_form, yoy, figures=[PER_100], include_total=True).with_columns(
                        low=yoy.frame.get_column(f"{PER_100}__low"), high=yoy.frame.get_column(f"{PER_100}__high")),
                    x="period", y="value", interval=("low", "high"),
                    x_sort=["Year before", "This period"], status="value__status",
                    title=FIGURES[PER_100].title, description=yoy_text,
                    x_title="", y_title="Referrals per 100 children", percent=True,
                    subtitle=[f"Year before: {before.describe()}", f"This period: {period.describe()}",
                              "Black bars: 95% intervals"]),
    table=uncertainty.display_with_intervals(yoy, {"period": "Period", "dates": "Dates", "label": "Label", **MH_LABELS}),
    suppressed=yoy.has_suppressed_values,
    definitions=["mental_health_referrals", "mental_health_referrals_per_100", "children"],
    note=yoy_note + "Each period counts its own children in scope, so the number of children can differ between "
    "the two. " + uncertainty.INTERVAL_NOTE,
)  # fmt: skip

# ------------------------------------------------------------------------------------ month by month (SPC)
months = months_up_to(period.end, ctx.snapshot.first_day)
monthly_mh = ctx.view(views.by_period, months, views.MH_SPECS)
spc = chart_data.monthly_spc(monthly_mh, PER_100, ctx.snapshot.snapshot_date)
spc_title = "Mental health referrals per 100 children, month by month (statistical process control)"
if ctx.policy.suppressed and spc.hidden_share > 0.5:
    # Most months would be c at today's size: a chart of gaps says nothing, so it is for exact roles only.
    st.subheader(spc_title, anchor=False)
    st.info(
        f"Not shown: {spc.hidden_share:.0%} of the months' figures would be hidden (c) to protect children's "
        "privacy, so the month-by-month chart is shown only to AllChild staff. The figures for the period are above."
    )
else:
    tables.append(monthly_mh)
    spc_text = (
        "Mental health referrals per 100 children in scope each calendar month, with the centre line (mean) "
        "and the process limits (mean ± 2.66 × the average month-to-month change): points outside the limits, "
        "runs of 7 on one side and trends of 6 are special cause variation; the rest is common cause. "
        + spc.summary
    )
    figure_block(
        ctx, key="mh_spc", title=spc_title, description=spc_text,
        chart=partial(charts_uncertainty.spc_chart,
            spc.frame, centre=spc.chart.centre, upper=spc.chart.upper_limit, lower=spc.chart.lower_limit,
            title="Mental health referrals per 100 children by month", description=spc_text,
            y_title="Referrals per 100 children", status="status",
            subtitle=[f"Last {len(months)} months to {months[-1].end:%-d %b %Y}; hollow: month not over",
                      spc.summary]),
        table=spc.table("Referrals per 100 children").with_columns(uncertainty.interval_column(monthly_mh, PER_100)),
        suppressed=monthly_mh.has_suppressed_values,
        definitions=["mental_health_referrals_per_100"],
        note="**Variation:** " + spc.summary + " Statistical process control as in NHS England's Making Data Count; "
        "the chart's lines are process limits, not intervals: each month's own 95% interval (exact Poisson) is in "
        "the table.",
    )  # fmt: skip

# ------------------------------------------------------------------------------------------------ by school
by_school = ctx.view(views.mental_health_by_school)
tables.append(by_school)
school_rows = ctx.derive(long_form, by_school, figures=[PER_100], intervals=True).with_columns(
    pl.col("school_id").replace(names).alias("school")
)
school_title = "Mental health referrals per 100 children by school"
school_text = "For each school, mental health referrals in the period for each 100 of its children in scope."
figure_block(
    ctx, key="mh_by_school", title=school_title, description=school_text,
    chart=partial(bar_chart, school_rows, x="school", y="value", status="value__status", horizontal=True,
                    x_sort=list(names.values()), title=school_title, description=school_text,
                    x_title="School", y_title="Referrals per 100 children", percent=True,
                    interval=("value__low", "value__high"), subtitle="Black bars: 95% intervals"),
    table=uncertainty.display_with_intervals(by_school, {"school_id": "School", **MH_LABELS}).with_columns(
        pl.col("School").replace(names | {"all": ALL_SCHOOLS})),
    suppressed=by_school.has_suppressed_values,
    definitions=["mental_health_referrals", "mental_health_referrals_per_100", "children"],
    note="A rate is also hidden (c) wherever its count is hidden, so the count cannot be worked back from it. "
    + uncertainty.BRACKETS_NOTE,
)  # fmt: skip

page_footer(ctx, suppressed=any(t.has_suppressed_values for t in tables))
