"""Presentation view: the board's story one screen at a time, full width and in large type, for a projector.

Screens: the headline figures, each page's key chart, then the school-by-school table. The filters and period
are those of the view it was opened from (the URL and session, through ``page_setup``); the current screen is
in the URL (``screen``), so a link reopens it. Figures are shown with disclosure control applied, as in a published
board paper, unless leadership turn on exact figures for an internal meeting.
"""

from functools import partial
from urllib.parse import urlencode

import altair as alt
import polars as pl
import streamlit as st

from dashboard import audit
from dashboard.board_pack import board_pack_bytes, pack_file_name
from dashboard.components import render_chart
from dashboard.page import empty_selection, page_footer, page_setup, same_tab_link
from dashboard.story import Story, StoryChart, build_story
from dashboard.text import plain_table
from data_access.contract import EXACT_FOOTNOTE, SUPPRESSION_FOOTNOTE
from data_access.filters import FIXED_SELECTIONS_WHY, protected_selection_problems
from data_access.periods import cut_short, format_date, named_period
from data_access.views import townships_of

CHART_SCALE = 1.35
# The whole chart (Streamlit fits titles, axes and legend inside it). With the slide's heading, description,
# controls and footer, every screen fits a 1280×720 projector without scrolling (a browser test measures it).
CHART_HEIGHT = 245
# Large type for a projector, the sidebar (filters) out of the way, and the page's own header made compact.
# The page's title (h1) is hidden: each slide's heading is its h1.
STYLE = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarCollapseButton"] { display: none !important; }
[data-testid="stHeader"] { background: transparent; height: 0; }
[data-testid="stMainBlockContainer"], .block-container { max-width: 100% !important; padding: .4rem 2.5rem .2rem; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: .3rem; }
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p { margin-bottom: 0; }
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"],
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] { margin-bottom: 0 !important; }
[data-testid="stMainBlockContainer"] h1 { display: none; }
[data-testid="stMainBlockContainer"] [class*="st-key-present_screen_"] h1 {
  display: block; font-size: 2.2rem; padding: 0 0 .1rem; line-height: 1.2; }
[data-testid="stMainBlockContainer"] h4 { display: none; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
[data-testid="stCaptionContainer"] p { font-size: .88rem; line-height: 1.35; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p, [data-testid="stMetricValue"] div {
  font-size: 2.6rem !important; line-height: 1.1 !important; font-weight: 600; }
[data-testid="stMetricDelta"] p { font-size: 1.15rem !important; }
.st-key-present_screen_headlines [data-testid="stCaptionContainer"] p { font-size: .95rem; margin: 0; }
[data-testid="stMetricLabel"] { min-height: 0 !important; margin-bottom: -.4rem; }
[data-testid="stMetricDelta"] { font-size: 1.15rem !important; }
[data-testid="stTable"] th, [data-testid="stTable"] td { font-size: 1rem; padding: .2rem .45rem; line-height: 1.25; }
[data-testid="stTable"] td:first-child, [data-testid="stTable"] td:first-child p { white-space: nowrap; }
[data-testid="stTable"] td p, [data-testid="stTable"] th p { font-size: 1rem; }
[data-testid="stBaseButton-secondary"] p, [data-testid="stBaseButton-primary"] p { font-size: 1.15rem; }
[data-testid="stMainBlockContainer"] hr { margin: .3rem 0; }
.st-key-present_controls [data-testid="stWidgetLabel"] p, .st-key-present_controls p { font-size: 1.1rem; }
.present-counter p { text-align: center; font-size: 1.3rem !important; margin-top: .35rem; }
[data-testid="stMainBlockContainer"] [data-testid="stVegaLiteChart"] { margin-top: .5rem; }
[class*="st-key-present_tile_"] { padding: .45rem .8rem !important; gap: .15rem !important; }
[class*="st-key-present_tile_"] [data-testid="stMetricValue"],
[class*="st-key-present_tile_"] [data-testid="stMetricValue"] div { font-size: 2.3rem !important; }
[class*="st-key-present_tile_"] [data-testid="stMetricLabel"] p { font-size: 1.15rem !important; }
[class*="st-key-present_tile_"] [data-testid="stMetricDelta"] p { font-size: 1.05rem !important; }
</style>
"""

ctx = page_setup("presentation")
st.html(STYLE)
if empty_selection(ctx):
    st.stop()

exact = bool(st.session_state.get("present_exact", False))
# The default mode is a public board paper's figures (contract section 6): rule 6's fixed choices apply to it.
refused = protected_selection_problems(ctx.filters, townships_of(ctx.snapshot))
if refused and not exact:
    st.warning(
        "This view cannot be presented as board-paper figures: "
        + " ".join(refused)
        + " "
        + FIXED_SELECTIONS_WHY
        + " Choose another selection in the sidebar, or turn on exact figures for an internal meeting.",
        icon=":material/lock:",
    )
    st.toggle("Exact figures (internal meetings only)", key="present_exact")
    page_footer(ctx)
    st.stop()
story: Story = ctx.view(build_story, public=not exact, scale=CHART_SCALE, height=CHART_HEIGHT)
screens = story.screens
last = len(screens) - 1


def _current_screen() -> int:
    """The 0-based screen from the URL's 1-based ``screen``; anything invalid opens the first screen."""
    raw = st.query_params.get("screen", "1")
    try:
        index = int(raw) - 1
    except ValueError:
        index = 0
    return min(max(index, 0), last)


def _go(index: int) -> None:
    st.query_params["screen"] = str(index + 1)


index = _current_screen()
if st.query_params.get("screen") != str(index + 1):
    st.query_params["screen"] = str(index + 1)

previous, counter, following = st.columns([1, 2, 1], vertical_alignment="center")
previous.button(
    "Previous", key="present_prev", on_click=_go, args=(index - 1,),
    disabled=index == 0, shortcut="ArrowLeft", width="stretch", help="Previous screen (left arrow key)",
)  # fmt: skip
with counter.container(key="present_counter", horizontal=True, horizontal_alignment="center",
                       vertical_alignment="center"):  # fmt: skip
    st.markdown(f"Screen **{index + 1}** of **{len(screens)}**", width="content")
    # A chart screen puts its numbers here, and the schools screen its table of intervals, in a pop-over: an
    # expander under the chart or table would cost the screen the height it needs to fit the projector.
    numbers_slot = st.container(width="content")
following.button(
    "Next", key="present_next", on_click=_go,
    args=(index + 1,), disabled=index == last, shortcut="ArrowRight", type="primary", width="stretch",
    help="Next screen (right arrow key)",
)  # fmt: skip


def _headline_screen() -> None:
    st.title("Headline figures", anchor=False)
    before = story.before
    compared = (
        f"the same point last year ({format_date(before.start)} – {format_date(before.end)})"
        if cut_short(story.period)
        else before.describe()
    )
    st.caption(f"{story.period.describe()}, each compared with {compared}.")
    # Row by row, so that reading order goes across, then down.
    rows = [st.columns(3) for _ in range(0, len(story.headlines), 3)]
    for number, headline in enumerate(story.headlines):
        change = headline.change
        with rows[number // 3][number % 3].container(border=True, key=f"present_tile_{headline.name}"):
            st.metric(
                headline.title,
                headline.now_text,
                delta=None if change is None else headline.change_text,
                delta_color=headline.colour,
            )  # fmt: skip
            detail = f"{headline.before_label}: {headline.before_text}"
            if headline.interval_text:
                detail = f"{headline.interval_text} · {detail}"
            # No "higher is better" here: a change is called better or worse in words when it is significant,
            # and the tile must fit a projector with its interval.
            # Comparators in words for a complete year (the values are on the chart screens), else the values.
            if headline.comparator_words:
                detail += f"  \n{headline.comparator_words}"
            elif headline.comparator_summary:
                detail += f"  \n{headline.comparator_summary}"
            st.caption(detail)
    notes = ["Better or worse only when a change is statistically significant; otherwise “no clear change”."]
    notes.append(SUPPRESSION_FOOTNOTE if story.suppressed else EXACT_FOOTNOTE)
    st.caption("  \n".join(notes))


def _chart_screen(chart: StoryChart) -> None:
    st.title(chart.title, anchor=False)
    st.markdown(chart.description)
    if chart.chart is not None:
        # The chart carries its description as its accessible name (Vega-Lite "description"). Its title repeats
        # the slide's heading just above, so it is left out and its subtitle (what the marks mean) goes to the
        # caption under the chart: the plot gets the height a projector needs.
        drawn, legend = chart.chart, ""
        if isinstance(drawn.title, alt.Title):
            subtitle = drawn.title.subtitle
            lines = (
                [subtitle]
                if isinstance(subtitle, str)
                else list(subtitle)
                if isinstance(subtitle, list)
                else []
            )
            legend = "; ".join(str(line) for line in lines if line)
            drawn = partial(drawn.properties, title=alt.Title(""))  # built only when its spec is not cached
        # The spec is made once per (snapshot, filters, role, mode, screen), as on every page (issue 14).
        render_chart(
            ctx, f"present_{chart.key}", drawn, exact, width="stretch", key=f"present_chart_{chart.key}"
        )
    notes = [legend] if chart.chart is not None and legend else []
    notes += [chart.note] if chart.note else []
    notes.append(SUPPRESSION_FOOTNOTE if story.suppressed else EXACT_FOOTNOTE)
    if notes:
        st.caption("  \n".join(notes))  # one block: two captions would cost the screen a gap
    with numbers_slot.popover("The numbers behind this chart", icon=":material/table:"):
        st.table(plain_table(chart.shown()), hide_index=True)


def _schools_screen(chart: StoryChart) -> None:
    st.title(chart.title, anchor=False)
    st.markdown(chart.description)
    shown = chart.shown().drop("ID")
    st.table(plain_table(shown), hide_index=True)
    st.caption(SUPPRESSION_FOOTNOTE if story.suppressed else EXACT_FOOTNOTE)
    intervals = chart.intervals_shown()
    # The rates' 95% intervals, one click away beside the screen counter (the figures keep their narrow cells).
    # A wide dialog, not a pop-over: a pop-over opened from the middle of the screen cuts a table this wide.
    if intervals is not None and numbers_slot.button(
        "The 95% intervals of these rates", icon=":material/table:", key="present_intervals"
    ):
        _intervals_dialog(intervals.drop("ID"))


@st.dialog("95% intervals of the school-by-school rates", width="large")
def _intervals_dialog(intervals: pl.DataFrame) -> None:
    st.table(plain_table(intervals), hide_index=True)
    st.caption(
        "The range each rate would plausibly take if the same children's year were run again"
        + ("; computed from the figures as shown (adjusted)." if story.suppressed else ".")
    )


with st.container(key=f"present_screen_{screens[index]}"):
    if index == 0:
        _headline_screen()
    elif index == last:
        _schools_screen(story.schools)
    else:
        _chart_screen(story.charts[index - 1])

period = ctx.filters.period
controls = st.container(key="present_controls")
pack_column, exact_column, back_column = controls.columns([1, 1.5, 1], vertical_alignment="center")


def _record_export() -> None:
    audit.record("export", ctx.viewer.username, kind="board_pack", snapshot=ctx.snapshot.snapshot_date.isoformat(),
                 period=period.key, schools=list(ctx.filters.schools))  # fmt: skip


# The pack is for the named period (its figures cover it "so far" when it is not over).
pack_period = named_period(period)
pack_column.download_button(
    "Board pack (PDF)",
    lambda: board_pack_bytes(ctx.snapshot, pack_period.start, pack_period.end, ctx.filters.schools),
    disabled=bool(refused),
    file_name=pack_file_name(ctx.snapshot, pack_period.start, pack_period.end),
    mime="application/pdf", key="present_pack", on_click=_record_export, icon=":material/picture_as_pdf:",
    help="The same file as `python -m dashboard board-pack` for this period and these schools; disclosure control "
    "is always applied, because board papers may be published."
    + (" Not available for this selection: " + " ".join(refused) if refused else ""),
)  # fmt: skip
exact_column.toggle(
    "Exact figures (internal meetings only)", key="present_exact",
    help="Off: figures adjusted slightly (by up to 3) to protect children's privacy, fewer than 5 shown as c, as "
    "in a published board paper. On: exact figures, for AllChild staff only; never for a public meeting.",
)  # fmt: skip
with back_column:  # back to the Overview in this tab, with the same filters
    same_tab_link(f"overview?{urlencode(ctx.filters.to_query(), doseq=True)}", "Leave the presentation",
                  key="present_leave")  # fmt: skip
if not ctx.filters.selects_everyone and (ctx.filters.year_groups or ctx.filters.sexes or ctx.filters.sen
                                         or ctx.filters.fsm is not None):  # fmt: skip
    st.caption("The board pack covers this period and these schools for all children; the year group, sex, free "
               "school meals and SEN filters of this view are not applied to it (as on the command line).")  # fmt: skip
# Each screen shows its footnote (adjusted figures, or exact) under its own figures; the footer does not repeat it
# (it would follow the viewer's role, not the switch).
page_footer(ctx, footnote=False)
