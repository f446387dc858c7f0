"""Referrals: referrals per month by service and by reason, mental health referrals against the year before, by school."""

import polars as pl
import streamlit as st

from dashboard.charts import bar_chart, heatmap
from dashboard.components import figure_block
from dashboard.page import empty_selection, page_footer, page_setup
from data_access import views
from data_access.events import REASON_LABELS, SERVICE_LABELS
from data_access.periods import year_before
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
    chart_frame = long_form(grid, series=by).with_columns(pl.col(by).replace(labels))
    title = f"Referrals per month by {noun}"
    text = (f"How many referrals were made each month of the period for the children in scope, one row per {by}; "
            "the table's last row is the total for the period.")  # fmt: skip
    figure_block(
        ctx, key=f"referrals_by_{by}", title=title, description=text,
        chart=heatmap(chart_frame, x="month", y=by, value="value", status="value__status", title=title,
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
before = year_before(period)
yoy = ctx.view(views.mental_health_year_on_year)
tables.append(yoy)
yoy_title = "Mental health referrals per 100 children: this period against the same period a year before"
yoy_text = (f"Mental health referrals per 100 children in scope in {period.describe()}, beside "
            f"{before.describe()}; a lower bar means fewer referrals for each 100 children.")  # fmt: skip
figure_block(
    ctx, key="mh_year_on_year", title=yoy_title, description=yoy_text,
    chart=bar_chart(long_form(yoy, figures=[PER_100], include_total=True), x="period", y="value",
                    x_sort=["Year before", "This period"], status="value__status", title=yoy_title, description=yoy_text,
                    x_title="", y_title="Referrals per 100 children", percent=True,
                    subtitle=[f"Year before: {before.describe()}", f"This period: {period.describe()}"]),
    table=yoy.display({"period": "Period", "dates": "Dates", "label": "Label", **MH_LABELS}),
    suppressed=yoy.has_suppressed_values,
    definitions=["mental_health_referrals", "mental_health_referrals_per_100", "children"],
    note="Each period counts its own children in scope, so the number of children can differ between the two.",
)  # fmt: skip

# ------------------------------------------------------------------------------------------------ by school
by_school = ctx.view(views.mental_health_by_school)
tables.append(by_school)
school_rows = long_form(by_school, figures=[PER_100]).with_columns(
    pl.col("school_id").replace(names).alias("school")
)
school_title = "Mental health referrals per 100 children by school"
school_text = "For each school, mental health referrals in the period for each 100 of its children in scope."
figure_block(
    ctx, key="mh_by_school", title=school_title, description=school_text,
    chart=bar_chart(school_rows, x="school", y="value", status="value__status", horizontal=True,
                    x_sort=list(names.values()), title=school_title, description=school_text,
                    x_title="School", y_title="Referrals per 100 children", percent=True),
    table=by_school.display({"school_id": "School", **MH_LABELS}).with_columns(
        pl.col("School").replace(names | {"all": ALL_SCHOOLS})),
    suppressed=by_school.has_suppressed_values,
    definitions=["mental_health_referrals", "mental_health_referrals_per_100", "children"],
    note="A rate is also hidden (c) wherever its count is hidden, so the count cannot be worked back from it.",
)  # fmt: skip

page_footer(ctx, suppressed=any(t.has_suppressed_values for t in tables))
