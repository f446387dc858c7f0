"""Overview: headline figures with their change on the year before and a trend by term, then the board table."""

import polars as pl
import streamlit as st

from dashboard.components import figure_block, value_text
from dashboard.page import empty_selection, page_footer, page_setup
from data_access import views
from data_access.periods import terms_up_to, year_before
from data_access.registry import FIGURES, HEADLINES

ctx = page_setup("overview")
if empty_selection(ctx):
    st.stop()

period = ctx.filters.period
before = year_before(period)
now_row = ctx.view(views.board_table).rows()[-1]
before_row = ctx.view(views.board_table, period=before).rows()[-1]
terms = terms_up_to(min(period.end, ctx.snapshot.snapshot_date), ctx.snapshot.first_day)
trend = ctx.view(views.by_period, terms).rows()

st.subheader("Headline figures", anchor=False)
st.caption(f"Each compared with {before.describe()}; the small line shows the figure term by term.")
# Row by row (three tiles to a row), so that reading, tab and screen-reader order go across, then down; on a
# narrow screen each row stacks in the same order.
rows = [st.columns(3) for _ in range(0, len(HEADLINES), 3)]
for index, name in enumerate(HEADLINES):
    figure = FIGURES[name]
    unit, hint = ("%" if figure.percent else ""), (figure.direction_text or "more children")
    headline = views.Headline(name, now_row[name], before_row[name])
    change = headline.change
    spark = [row[name] if isinstance(row[name], int | float) else None for row in trend]
    while spark and spark[0] is None:  # terms before the programme had anyone in scope
        spark.pop(0)
    # st.metric cannot draw a gap, and a hidden value must never be drawn: no sparkline if one is hidden.
    spark_ok = len(spark) > 1 and all(v is not None for v in spark)
    with rows[index // 3][index % 3]:
        st.metric(
            figure.title,
            value_text(headline.now, unit),
            delta=None if change is None else (f"{change:+.1f} points" if unit == "%" else f"{change:+g}"),
            # No change is neither good nor bad news: grey, not a red or green arrow.
            delta_color="off"
            if figure.better is None or change == 0
            else ("inverse" if figure.better == "lower" else "normal"),
            help=f"{figure.definition} Year before: {value_text(headline.before, unit)} ({hint}).",
            border=True,
            chart_data=spark if spark_ok else None,
            chart_type="line",
        )

board = ctx.view(views.board_table)
labels = {"school_id": "School"} | {name: FIGURES[name].title for name in views.BOARD_FIGURES}
named = board.display(labels).with_columns(
    pl.col("School").replace(ctx.school_names | {"all": "All selected schools"})
)
figure_block(
    ctx, key="board", title="School-by-school board figures",
    description="One row per school with every board figure for the period, then the total for all schools shown.",
    chart=None, table=named, suppressed=board.has_suppressed_values, definitions=views.BOARD_FIGURES,
    # On a phone the school names stay pinned at the left and the figures scroll beside them.
    column_config={"School": st.column_config.TextColumn("School", pinned=True, width="medium")},
)  # fmt: skip
page_footer(ctx, suppressed=board.has_suppressed_values)
