"""Suspensions and exclusions: counts and sessions lost per term, rates per 100 by academic year against
DfE comparators, and the figures by school."""

from functools import partial

import polars as pl
import streamlit as st

from dashboard.charts import bar_chart
from dashboard.components import figure_block
from dashboard.page import empty_selection, page_footer, page_setup
from data_access import comparators, uncertainty, views
from data_access.periods import academic_years, terms_up_to
from data_access.registry import FIGURES
from data_access.views import FigureTable, long_form

ctx = page_setup("suspensions")
if empty_selection(ctx):
    st.stop()

period = ctx.filters.period
names = ctx.school_names
ALL_SCHOOLS = "All selected schools"
SHOWN = ("children", "suspensions", "permanent_exclusions", "suspensions_per_100", "permanent_exclusions_per_100",
           "sessions_lost")  # fmt: skip
LABELS = {name: FIGURES[name].title for name in SHOWN} | {"children": "Children in scope"}
PERIOD_LABELS = {"period": "Period", "start": "From", "end": "To"}
KINDS = {name: FIGURES[name].title for name in ("suspensions", "permanent_exclusions")}
tables = []


def period_table(table: FigureTable) -> pl.DataFrame:
    """A by-period table as shown: the period's name and dates, then its figures (no internal order or key)."""
    return uncertainty.display_with_intervals(table, PERIOD_LABELS | LABELS).drop("order", "period_key")


# ----------------------------------------------------------------------------------------------- per term
last_day = min(period.end, ctx.snapshot.snapshot_date)
terms = terms_up_to(last_day, ctx.snapshot.first_day)
by_term = ctx.view(views.suspensions_by_period, terms)
tables.append(by_term)
term_order = [t.label for t in terms]
term_title = "Suspensions and permanent exclusions per term"
term_text = (f"How many suspensions and permanent exclusions started in each of the last {len(terms)} terms up to "
             "the end of the period, for the children in scope in each term.")  # fmt: skip
figure_block(
    ctx, key="suspensions_by_term", title=term_title, description=term_text,
    chart=partial(bar_chart, ctx.derive(long_form, by_term, series="kind", figures=list(KINDS)).with_columns(pl.col("kind").replace(KINDS)),
                    x="period", y="value", series="kind", status="value__status", x_sort=term_order,
                    title=term_title, description=term_text, x_title="Term", y_title="Events"),
    table=period_table(by_term), suppressed=by_term.has_suppressed_values,
    definitions=["suspensions", "permanent_exclusions", "suspensions_per_100", "permanent_exclusions_per_100",
                 "sessions_lost", "children"],
)  # fmt: skip

lost_title = "Sessions lost to suspension and exclusion per term"
lost_text = "How many school sessions (half-days) the children in scope missed through suspensions and exclusions each term."
figure_block(
    ctx, key="sessions_lost_by_term", title=lost_title, description=lost_text,
    chart=partial(bar_chart, ctx.derive(long_form, by_term, figures=["sessions_lost"]), x="period", y="value", status="value__status",
                    x_sort=term_order, title=lost_title, description=lost_text, x_title="Term",
                    y_title=FIGURES["sessions_lost"].short_label),
    table=period_table(by_term).select("Period", "From", "To", LABELS["sessions_lost"]),
    suppressed=by_term.has_suppressed_values, definitions=["sessions_lost"],
)  # fmt: skip

# ------------------------------------------------------------------- rates per 100 by academic year, with comparators
years = academic_years(ctx.snapshot.first_day, ctx.snapshot.snapshot_date)
by_year = ctx.view(views.suspensions_by_period, years)
tables.append(by_year)
year_order = [y.label for y in years]
current = years[-1]
year_not_over = current.end > ctx.snapshot.snapshot_date
comparison_note = (
    "DfE comparators are per 100 pupils on roll over a whole academic year, so they are set against the programme's "
    "rates per academic year (per 100 children in scope at any time in that year), not against terms or custom "
    "periods. " + comparators.CAVEAT
    + (f" {current.label} is not over yet (data to {ctx.as_of_text}), so its rate will still rise." if year_not_over else "")
)  # fmt: skip
for rate, key in (("suspensions_per_100", "suspensions_per_100_by_year"),
                  ("permanent_exclusions_per_100", "exclusions_per_100_by_year")):  # fmt: skip
    benchmark = comparators.lines(rate)
    title = f"{FIGURES[rate].title} by academic year, against Wigan, North West and England"
    text = (f"{FIGURES[rate].title} in each academic year of the programme, with the latest DfE rates for all "
            "pupils in Wigan, the North West and England as dashed lines.")  # fmt: skip
    source = benchmark.get_column("source").first() if benchmark is not None and benchmark.height else None
    figure_block(
        ctx, key=key, title=title, description=text,
        chart=partial(bar_chart, ctx.derive(long_form, by_year, figures=[rate], intervals=True), x="period", y="value",
                        status="value__status", x_sort=year_order, comparators=benchmark, title=title, description=text,
                        x_title="Academic year", y_title="Per 100 children", percent=True,
                        interval=("value__low", "value__high"),
                        subtitle=[*([f"Comparators: {source}"] if source else []), "Black bars: 95% intervals"]),
        table=period_table(by_year).select("Period", "From", "To", LABELS["children"],
                                           LABELS[rate.removesuffix("_per_100")], LABELS[rate]),
        suppressed=by_year.has_suppressed_values, definitions=[rate, rate.removesuffix("_per_100"), "children"],
        note=comparison_note + " " + uncertainty.BRACKETS_NOTE,
    )  # fmt: skip

# ------------------------------------------------------------------------------------------------ by school
by_school = ctx.view(views.suspensions_by_school)
tables.append(by_school)
school_title = "Suspensions and exclusions by school"
school_text = "For each school, suspensions in the period for each 100 of its children in scope."
figure_block(
    ctx, key="suspensions_by_school", title=school_title, description=school_text,
    chart=partial(bar_chart, ctx.derive(long_form, by_school, figures=["suspensions_per_100"], intervals=True).with_columns(
                        pl.col("school_id").replace(names).alias("school")),
                    x="school", y="value", status="value__status", x_sort=list(names.values()), horizontal=True,
                    title=school_title, description=school_text, x_title="School",
                    y_title=FIGURES["suspensions_per_100"].title, percent=True,
                    interval=("value__low", "value__high"), subtitle="Black bars: 95% intervals"),
    table=uncertainty.display_with_intervals(by_school, {"school_id": "School"} | LABELS).with_columns(
        pl.col("School").replace(names | {"all": ALL_SCHOOLS})),
    suppressed=by_school.has_suppressed_values, definitions=list(SHOWN),
    note="A rate is also hidden (c) wherever its count is hidden, so the count cannot be worked back from it. "
    + uncertainty.BRACKETS_NOTE,
)  # fmt: skip

page_footer(ctx, suppressed=any(t.has_suppressed_values for t in tables))
