"""Overview: headline figures with their change on the same point last year and a trend by term, then the board
table with 95% intervals."""

import polars as pl
import streamlit as st

from dashboard import charts
from dashboard.components import change_delta, figure_block, render_chart, value_text
from dashboard.page import empty_selection, page_footer, page_setup
from data_access import uncertainty, views
from data_access.periods import cut_short, partial_points, terms_up_to
from data_access.registry import FIGURES, HEADLINES

ctx = page_setup("overview")
if empty_selection(ctx):
    st.stop()

period = ctx.filters.period
before = ctx.comparison
board = ctx.view(views.board_table)
before_board = ctx.view(views.board_table, period=before)
now_row, before_row = board.rows()[-1], before_board.rows()[-1]
now_detail, before_detail = board.frame.row(-1, named=True), before_board.frame.row(-1, named=True)
terms = terms_up_to(period.end, ctx.snapshot.first_day)
# A term not over is partial: the small line shows complete terms only (st.metric cannot mark a point).
complete_terms = tuple(
    t for t, partial in zip(terms, partial_points(terms, period.end), strict=True) if not partial
)
trend = ctx.view(views.by_period, complete_terms).rows()

# Comparators (Wigan, North West, England) are annual: said in words for a complete academic year only.
complete_year = period.kind == "year" and period.end <= ctx.snapshot.snapshot_date and not cut_short(period)
st.subheader("Headline figures", anchor=False)
compared = f"the same point last year, {before.describe()}" if cut_short(period) else before.describe()
st.caption(
    f"{period.describe()}, each compared with {compared}. A change is called better or worse only when it is "
    "statistically significant; otherwise it is “no clear change”. Brackets: 95% interval. The small line "
    "shows the figure term by term (complete terms)."
)
# Row by row (three tiles to a row), so that reading, tab and screen-reader order go across, then down; on a
# narrow screen each row stacks in the same order.
rows = [st.columns(3) for _ in range(0, len(HEADLINES), 3)]
for index, name in enumerate(HEADLINES):
    figure = FIGURES[name]
    unit = "%" if figure.percent else ""
    result = uncertainty.change(name, now_detail, before_detail)
    delta, colour = change_delta(name, now_row[name], before_row[name], result)
    points = [(term.label, row[name]) for term, row in zip(complete_terms, trend, strict=True)]
    while points and not isinstance(points[0][1], int | float):  # terms before anyone was in scope
        points.pop(0)
    # A hidden value is never drawn, and a line cannot show a gap here: no small line if one is hidden.
    spark_ok = len(points) > 1 and all(isinstance(v, int | float) for _, v in points)
    bounds = uncertainty.interval_of(now_detail, name) if isinstance(now_row[name], float) else None
    with rows[index // 3][index % 3], st.container(border=True):
        st.metric(
            figure.title,
            value_text(now_row[name], unit),
            delta=delta,
            delta_color=colour,
            help=f"{figure.definition} {figure.direction_text or 'A count of children: no test.'}",
        )
        if spark_ok:
            spoken = ", ".join(f"{label} {value_text(value, unit)}" for label, value in points)
            render_chart(
                ctx, f"tile_{name}",
                lambda n=name, p=points, s=spoken: charts.sparkline(
                    [label for label, _ in p], [float(v) for _, v in p], percent=FIGURES[n].percent,
                    description=f"{FIGURES[n].title} by complete term: {s}.",
                ),
                tuple(points), width="stretch", key=f"spark_{name}",
            )  # fmt: skip
        detail = (
            f"Same point last year: {value_text(before_row[name], unit)}"
            if cut_short(period)
            else (f"Year before: {value_text(before_row[name], unit)}")
        )
        if bounds is not None:
            detail = f"95% interval {uncertainty.range_text(bounds)} · " + detail
        context = uncertainty.comparator_words(name, bounds, complete_year)
        st.caption(detail + (f"  \n{context} — context, not a target." if context else ""))

labels = {"school_id": "School"} | {name: FIGURES[name].title for name in views.BOARD_FIGURES}
named = uncertainty.display_with_intervals(board, labels).with_columns(
    pl.col("School").replace(ctx.school_names | {"all": "All selected schools"})
)
figure_block(
    ctx, key="board", title="School-by-school board figures",
    description="One row per school with every board figure for the period, then the total for all schools shown; "
    "each rate and percentage with its 95% interval in brackets.",
    chart=None, table=named, suppressed=board.has_suppressed_values, definitions=views.BOARD_FIGURES,
    note=uncertainty.INTERVAL_NOTE,
    # On a phone the school names stay pinned at the left and the figures scroll beside them.
    column_config={"School": st.column_config.TextColumn("School", pinned=True, width="medium")},
)  # fmt: skip
page_footer(ctx, suppressed=board.has_suppressed_values)
