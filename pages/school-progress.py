"""School progress: every board figure per school (sortable), each school's monthly attendance, SDQ band movement
and reading, writing and maths levels at baseline against latest."""

from functools import partial

import polars as pl
import streamlit as st

from dashboard.charts import bar_chart, long_form, small_multiples
from dashboard.charts import uncertainty as charts_uncertainty
from dashboard.components import figure_block
from dashboard.page import empty_selection, page_footer, page_setup
from dashboard.text import plain
from data_access import assessments, chart_data, comparators, uncertainty, views
from data_access.contract import ATTAINMENT_LEVELS, SDQ_TOTAL_BANDS
from data_access.registry import FIGURES

ctx = page_setup("school_progress")
if empty_selection(ctx):
    st.stop()

shown_c: list[bool] = []
BY_SCHOOL = "school_id"
SORT_LABELS = {BY_SCHOOL: "School (as in the board paper)"} | {
    f: FIGURES[f].title for f in views.BOARD_FIGURES
}

# ------------------------------------------------------------------------------------------------ board table
board = ctx.view(views.board_table)
shown_c.append(board.has_suppressed_values)
left, right = st.columns([3, 2])
sort_by = left.selectbox(
    "Sort schools by",
    list(SORT_LABELS),
    key="progress_sort",
    format_func=SORT_LABELS.get,
    help="Hidden (c) and empty (–) values go last; the total row stays at the bottom.",
)
# Offered only when a figure is chosen (a greyed-out control's text would be too faint to read).
order = (
    "Highest first"
    if sort_by == BY_SCHOOL
    else right.radio("Order", ["Highest first", "Lowest first"], key="progress_sort_order", horizontal=True)
)
ranked = views.sorted_board(board, sort_by, descending=order == "Highest first")
labels = {"school_id": "School"} | {name: FIGURES[name].title for name in views.BOARD_FIGURES}
named = uncertainty.display_with_intervals(ranked, labels).with_columns(
    pl.col("School").replace(ctx.school_names | {"all": "All selected schools"})
)
# The Chart tab: a funnel plot of one figure (each school against its number of children, with the 95% and
# 99.8% limits around the programme's figure); the limits, not the tests of change, decide a school's mark.
funnel_name = st.selectbox(
    "Figure on the funnel plot",
    list(chart_data.FUNNEL_FIGURES),
    key="progress_funnel_figure",
    format_func=lambda n: FIGURES[n].title,
    help="Each school's figure against its number of children, with the limits within which a school's figure "
    "would fall by chance alone if every school were like the programme as a whole.",
)
funnel = ctx.derive(chart_data.funnel_of, board, funnel_name)
funnel_figure = FIGURES[funnel_name]
# Each point is labelled with its school id (names would overlap); the tooltip and the note give the names.
points = funnel.schools.with_columns(
    school=pl.col("school_id").replace(ctx.school_names), label=pl.col("school_id")
)
funnel_description = (
    f"Each school's {funnel_figure.title.lower()} ({funnel_figure.unit}) against its number of children, with "
    "the programme's figure and the 95% and 99.8% limits around it: a school outside the 95% limits is "
    f"marked better or worse than the programme ({funnel_figure.direction_text})."
)
placed = [
    f"{plain(row['school_id'])} {plain(row['school'])}: {row['value']:.1f} on {row['n']} children, "
    + ("within the limits" if row["verdict"] == "within" else f"outside the 95% limits, {row['verdict']}")
    for row in points.iter_rows(named=True)
]
left_off = [plain(ctx.school_names.get(s, s)) for s in funnel.left_off]  # snapshot text, shown as text
funnel_note = "**On the funnel plot:** " + ("; ".join(placed) or "no school") + "."
if left_off:
    funnel_note += f"  \n**Left off the plot:** {', '.join(left_off)} — the figure is not shown for " + (
        "fewer than 10 children or a hidden value (c)."
        if board.suppressed
        else "no children to compute it on."
    )
funnel_chart = (
    partial(
        charts_uncertainty.funnel_plot,
        points,
        funnel.limits,
        centre=funnel.centre,
        title=f"{funnel_figure.title}: schools against the programme",
        description=funnel_description,
        y_title=f"{funnel_figure.short_label}",
        x_title="Children (the figure's denominator)",
        subtitle=f"{ctx.filters.period.describe()}; dashed: 95% limits, dotted: 99.8% limits",
    )
    if funnel.centre is not None and funnel.schools.height
    else None
)
figure_block(
    ctx,
    key="progress_board",
    title="Board figures by school",
    description="Chart: a funnel plot of the chosen figure by school. Table: one row per school with every "
    "board figure for the period (the same figures as the board report) and its 95% interval, then the total "
    "for all schools shown.",
    chart=funnel_chart,
    table=named,
    suppressed=board.has_suppressed_values,
    definitions=views.BOARD_FIGURES,
    chart_depends_on=funnel_name,
    note=funnel_note
    + "  \n"
    + uncertainty.INTERVAL_NOTE
    + "  \nUse “Sort schools by” above to rank the schools; clicking a column heading sorts the text as shown.",
)

# ------------------------------------------------------------------------------------------------ small multiples
monthly = ctx.view(views.school_monthly_attendance)
shown_c.append(monthly.has_suppressed_values)
description = "Attendance rate of each school's children in scope, month by month through the period, one panel per school."
figure_block(
    ctx,
    key="school_trends",
    title="Attendance rate by month, school by school",
    description=description,
    chart=partial(
        small_multiples,
        monthly.plottable(),
        x="month_start",
        y="attendance_rate",
        facet="school_name",
        status="attendance_rate__status",
        title="Attendance rate by month",
        description=description,
        y_title="Attendance (%)",
        comparators=comparators.lines("attendance_rate"),
        interval=("attendance_rate__low", "attendance_rate__high"),
    ),
    table=monthly,
    definitions=["attendance_rate"],
    labels={
        "school_id": "School id",
        "school_name": "School",
        "month_start": "Month starting",
        "attendance_rate": "Attendance rate (%)",
    },
    note=comparators.CAVEAT + " " + uncertainty.BRACKETS_NOTE,
)

# ------------------------------------------------------------------------------------------------ SDQ bands
bands = ctx.view(views.sdq_bands)
movement = ctx.view(views.sdq_band_movement)
shown_c += [bands.has_suppressed_values, movement.has_suppressed_values]
band_names = [band[0] for band in SDQ_TOTAL_BANDS]
band_definition = FIGURES["sdq_bands"]
description = (
    "Share of children with both SDQ scores in each total difficulties band at their baseline and at their latest "
    "assessment; more children in 'close to average' and fewer in 'very high' is better."
)
figure_block(
    ctx,
    key="sdq_bands",
    title="SDQ total difficulties bands: baseline against latest",
    description=description,
    chart=partial(
        bar_chart,
        long_form(
            bands.plottable(), ["level"], {"baseline_pct": "Baseline", "latest_pct": "Latest"}, intervals=True
        ),
        x="level",
        y="value",
        series="series",
        status="value__status",
        interval=("value__low", "value__high"),
        x_sort=band_names,
        percent=True,
        title="SDQ total difficulties bands",
        subtitle="% of children with a baseline and a later score; bars: 95% intervals",
        description=description,
        x_title="Band (teacher-rated total difficulties)",
        y_title="% of children",
    ),
    table=bands,
    definitions=["sdq_total_improved_pct"],
    labels={
        "level": "Band",
        "baseline_children": "Children at baseline",
        "latest_children": "Children at latest",
        "baseline_pct": "% at baseline",
        "latest_pct": "% at latest",
    },
    note=f"**{band_definition.title}.** {band_definition.definition} {uncertainty.BRACKETS_NOTE}",
)
description = "How many children moved to a better band, stayed in the same band or moved to a worse band."
figure_block(
    ctx,
    key="sdq_movement",
    title="Movement between SDQ bands from baseline to latest",
    description=description,
    chart=partial(
        bar_chart,
        long_form(movement.plottable(), ["movement"], {"children_pct": "Children"}, intervals=True),
        x="movement",
        y="value",
        series="series",
        status="value__status",
        interval=("value__low", "value__high"),
        x_sort=list(assessments.MOVEMENTS),
        percent=True,
        title="Movement between SDQ bands",
        subtitle="% of children with a baseline and a later score; bars: 95% intervals",
        description=description,
        x_title="",
        y_title="% of children",
    ),
    table=movement,
    definitions=["sdq_total_improved_pct"],
    labels={"movement": "Movement", "children": "Children", "children_pct": "% of children"},
    note=uncertainty.BRACKETS_NOTE,
)

# ------------------------------------------------------------------------------------------------ attainment
levels = ctx.view(views.attainment_levels)
shown_c.append(levels.has_suppressed_values)
level_names = [f"{number} {name}" for number, name in ATTAINMENT_LEVELS.items()]
description = (
    "Children at each teacher-assessed level in reading, writing and maths at baseline and at their latest "
    "assessment; bars moving right (towards 'at' and 'above expected') is better."
)
figure_block(
    ctx,
    key="attainment",
    title="Reading, writing and maths levels: baseline against latest",
    description=description,
    chart=partial(
        bar_chart,
        long_form(
            levels.plottable(),
            ["measure", "level"],
            {"baseline_children": "Baseline", "latest_children": "Latest"},
        ),
        x="level",
        y="value",
        series="series",
        status="value__status",
        x_sort=level_names,
        horizontal=True,
        facet="measure",
        facet_sort=["Reading", "Writing", "Maths"],
        title="Attainment levels",
        description=description,
        subtitle="Children with a baseline and a later assessment",
        x_title="Level",
        y_title="Children",
    ),
    table=levels,
    definitions=(),
    labels={
        "measure": "Subject",
        "level": "Level",
        "baseline_children": "Children at baseline",
        "latest_children": "Children at latest",
    },
    note=FIGURES["attainment_levels"].definition,
)

page_footer(ctx, suppressed=any(shown_c))
