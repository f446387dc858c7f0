"""Enrolment: the funnel as at a chosen date, enrolments by month and school, who the children are, exits."""

from functools import partial

import polars as pl
import streamlit as st

from dashboard.charts import bar_chart, heatmap
from dashboard.components import figure_block, value_text
from dashboard.page import empty_selection, page_footer, page_setup
from data_access import enrolment, views
from data_access.periods import format_date, last_month_end
from data_access.registry import FIGURES
from data_access.views import long_form

ctx = page_setup("enrolment")
if empty_selection(ctx):
    st.stop()

period = ctx.filters.period
names = ctx.school_names
school_order = [names[s] for s in (ctx.filters.schools or tuple(names))]
ALL_SCHOOLS = "All selected schools"


def note(*keys: str) -> str:
    """The definitions of these breakdowns (from the figure registry), as a caption."""
    return " ".join(f"{FIGURES[k].title}: {FIGURES[k].definition}" for k in keys)


# ---------------------------------------------------------------- the as-at date follows the period unless changed
default_as_at = min(period.end, ctx.snapshot.snapshot_date)
if st.session_state.get("_enrolment_as_at_default") != default_as_at:
    st.session_state["_enrolment_as_at_default"] = default_as_at
    st.session_state["enrolment_as_at"] = default_as_at
earliest = enrolment.earliest_identified(ctx.snapshot)
if ctx.policy.suppressed:
    # Contract section 6, rule 6: protected roles choose as-at dates only at month ends.
    month_ends = views.month_ends(earliest, ctx.snapshot.snapshot_date)
    chosen_end = last_month_end(default_as_at)
    as_at = st.selectbox(
        "Funnel and enrolments as at (a month end)", month_ends, key="enrolment_as_at_month_end",
        index=month_ends.index(chosen_end) if chosen_end in month_ends else 0, format_func=format_date,
        help="Month ends only, so that small numbers cannot be worked out by comparing dates. Defaults to the "
        "last month end of the period (or before the snapshot date).",
    )  # fmt: skip
else:
    as_at = st.date_input(
        "Funnel and enrolments as at", key="enrolment_as_at", min_value=min(earliest, default_as_at),
        max_value=ctx.snapshot.snapshot_date, format="DD/MM/YYYY",
        help="Defaults to the end of the period (or the snapshot date, if earlier). Changing the period resets it.",
    )  # fmt: skip
as_at_text = format_date(as_at)
tables = []

# ------------------------------------------------------------------------------------------------- funnel
STAGES = {"identified": "Identified", "enrolled": "Enrolled", "active": "Active", "completed": "Completed"}
funnel = ctx.view(views.funnel_table, as_at)
tables.append(funnel)
total = funnel.rows()[-1]
st.subheader(f"Enrolment funnel as at {as_at_text}", anchor=False)
tiles = st.columns(4)
for column, (stage, label) in zip(tiles, STAGES.items(), strict=True):
    column.metric(label, value_text(total[stage]), border=True,
                  help=f"All selected schools, as at {as_at_text}.")  # fmt: skip
funnel_long = ctx.derive(long_form, funnel, series="stage").with_columns(
    pl.col("school_id").replace(names).alias("school"), pl.col("stage").replace(STAGES)
)
funnel_title = f"Children identified, enrolled, active and completed by school, as at {as_at_text}"
funnel_text = (f"For each school, bars for the children identified, enrolled, still active and completed by "
               f"{as_at_text}.")  # fmt: skip
figure_block(
    ctx, key="funnel", title=funnel_title, description=funnel_text,
    chart=partial(bar_chart, funnel_long, x="school", y="value", series="stage", status="value__status", horizontal=True,
                    x_sort=school_order, series_sort=list(STAGES.values()), title=funnel_title,
                    description=funnel_text, x_title="School", y_title="Children"),
    table=funnel.display({"school_id": "School", **STAGES}).with_columns(
        pl.col("School").replace(names | {"all": ALL_SCHOOLS})),
    suppressed=funnel.has_suppressed_values, definitions=["funnel"],
)  # fmt: skip

# ---------------------------------------------------------------------------------------- enrolments by month
monthly = ctx.view(views.enrolments_by_month, as_at)
tables.append(monthly)
monthly_long = ctx.derive(long_form, monthly, series="school_id").with_columns(
    pl.col("school_id").replace(names).alias("school")
)
monthly_title = f"Enrolments per month by school, up to {as_at_text}"
monthly_text = (
    "How many children joined the programme each month at each school; the last row is each school's total."
)
figure_block(
    ctx, key="enrolments_by_month", title=monthly_title, description=monthly_text,
    chart=partial(heatmap, monthly_long, x="month", y="school", value="value", status="value__status",
                  x_sort=monthly_long.get_column("month").unique(maintain_order=True).to_list(), y_sort=school_order,
                  title=monthly_title, description=monthly_text, x_title="Month enrolled", y_title="School"),
    table=monthly.display({"month": "Month", **names}).drop("month_start"),
    suppressed=monthly.has_suppressed_values, definitions=["funnel"], note=note("enrolments"),
)  # fmt: skip

# --------------------------------------------------------------------------------------- who the children are
st.subheader("Who the children are", anchor=False)
st.caption(f"Children in scope for {period.describe()}, by characteristic. Each table ends with the total.")
CHARACTERISTIC_TEXT = {  # widget-key suffix, title, one-sentence description
    "year_group": ("year_group", "Children in scope by year group",
                   "How many of the children in scope are in each year group, Reception to Year 13."),
    "sex": ("sex", "Children in scope by sex", "How many of the children in scope are female, male or not recorded."),
    "fsm_eligible": ("fsm", "Children in scope by free school meals eligibility",
                     "How many of the children in scope are eligible for free school meals, and how many are not."),
    "sen_provision": ("sen", "Children in scope by SEN provision",
                      "How many of the children in scope have no SEN provision, SEN support or an EHC plan."),
}  # fmt: skip
for characteristic, label in enrolment.CHARACTERISTICS.items():
    key, title, text = CHARACTERISTIC_TEXT[characteristic]
    table = ctx.view(views.children_by, characteristic)
    tables.append(table)
    groups = table.frame.get_column("group").to_list()[:-1]
    figure_block(
        ctx, key=f"children_by_{key}", title=title, description=text,
        chart=partial(bar_chart, ctx.derive(long_form, table), x="group", y="value", status="value__status", x_sort=groups,
                        title=title, description=text, x_title=label, y_title="Children", height=220),
        table=table.display({"group": label, "children": "Children"}),
        suppressed=table.has_suppressed_values, definitions=["children"], note=note("children_by_characteristic"),
    )  # fmt: skip

# -------------------------------------------------------------------------------------------------- exits
exits = ctx.view(views.exits_by_reason)
tables.append(exits)
exits_title = "Children leaving the programme by exit reason"
exits_text = "How many children in scope left the programme within the period, by the reason recorded."
figure_block(
    ctx, key="exits_by_reason", title=exits_title, description=exits_text,
    chart=partial(bar_chart, ctx.derive(long_form, exits), x="reason", y="value", status="value__status",
                    x_sort=exits.frame.get_column("reason").to_list()[:-1], title=exits_title,
                    description=exits_text, x_title="Exit reason", y_title="Children"),
    table=exits.display({"reason": "Exit reason", "exits": "Children"}),
    suppressed=exits.has_suppressed_values, definitions=["children"], note=note("exits"),
)  # fmt: skip

page_footer(ctx, suppressed=any(t.has_suppressed_values for t in tables))
