"""About the data: every definition (rendered from ``data_access``, never copied), the attendance codes, the
snapshot's manifest, the suppression rule in plain words, the comparators' sources and the accessibility statement.

No filters apply here, so the page opens for every role even when the filters in force select nobody.
"""

import polars as pl
import streamlit as st

from dashboard.page import page_footer, page_setup
from data_access import comparators, disclosure
from data_access.contract import (
    ATTAINMENT_LEVELS,
    CODE_CATEGORIES,
    MEASURES,
    PROGRAMME_NAME,
    SDQ_TOTAL_BANDS,
    SUPPRESSION_FOOTNOTE,
)
from data_access.periods import format_date
from data_access.policy import POLICIES
from data_access.registry import FIGURES, PERIODS, ROUNDING, SCOPE, measure_definition

ACCESSIBILITY_TESTED = "25 November 2026"

ctx = page_setup("about", with_filters=False)

st.markdown(
    f"These figures describe children on the **{PROGRAMME_NAME}**. They come from one snapshot of the programme's "
    "case records with every name and direct identifier removed; children are known only by a pseudonymous "
    "number. The same definitions are used by the dashboard, its downloads and the board report."
)
sections = st.tabs(
    [
        "Definitions",
        "Attendance codes",
        "This snapshot",
        "Privacy protection",
        "Comparators",
        "Accessibility",
    ],
    key="about_tabs",
)

# ------------------------------------------------------------------------------------------------ definitions
with sections[0]:
    st.subheader("Who is counted", anchor="who-is-counted")
    st.markdown(SCOPE)
    st.subheader("Periods", anchor="periods")
    st.markdown(PERIODS)
    st.subheader("Rounding", anchor="rounding")
    st.markdown(ROUNDING)
    st.subheader("Figures", anchor="figures")
    for definition in (f for f in FIGURES.values() if f.section != "chart"):
        comparator = (
            f"  \n*Comparator:* `{definition.comparator}` (see Comparators)." if definition.comparator else ""
        )
        st.markdown(
            f"**{definition.title}** ({definition.unit})  \n{definition.definition}  \n"
            f"*Underlying count for privacy protection:* {definition.underlying_count}.{comparator}"
        )
    st.subheader("Trends and distributions", anchor="trends")
    for definition in (f for f in FIGURES.values() if f.section == "chart"):
        st.markdown(f"**{definition.title}** ({definition.unit})  \n{definition.definition}")
    st.subheader("Assessment measures", anchor="measures")
    st.markdown("\n".join(f"- {measure_definition(name)}" for name in MEASURES))
    st.markdown(
        "SDQ total difficulties bands (teacher-rated): "
        + "; ".join(f"**{name}** {low}–{high}" for name, low, high in SDQ_TOTAL_BANDS)
        + ".  \nReading, writing and maths levels: "
        + "; ".join(f"**{number}** {name}" for number, name in ATTAINMENT_LEVELS.items())
        + "."
    )

# ------------------------------------------------------------------------------------------------ codes
with sections[1]:
    st.markdown(
        "Each school session (morning and afternoon) carries a national attendance code. Possible sessions are "
        "present, authorised absence and unauthorised absence; the last group is not counted at all."
    )
    codes = pl.DataFrame(
        {
            "Category": list(CODE_CATEGORIES),
            "Codes": ["  ".join(c) for c in CODE_CATEGORIES.values()],
            "Counts as a possible session": [
                "no" if k == "not a possible session" else "yes" for k in CODE_CATEGORIES
            ],
        }
    )
    with st.container(key="about_codes"):
        st.dataframe(codes, hide_index=True, key="about_codes_table")

# ------------------------------------------------------------------------------------------------ manifest
with sections[2]:
    manifest = ctx.snapshot.manifest
    st.markdown(
        f"Snapshot of **{format_date(ctx.snapshot.snapshot_date)}** · programme: {manifest.get('programme', '–')} · "
        f"contract version {manifest.get('schema_version', '–')} · folder `{ctx.snapshot.folder.name}`"
    )
    files = manifest.get("files", {})
    st.container(key="about_manifest").dataframe(
        pl.DataFrame(
            {
                "File": list(files),
                "Rows": [int(f.get("rows", 0)) for f in files.values()],
                "SHA-256 checksum": [str(f.get("sha256", "")) for f in files.values()],
            },
            schema={"File": pl.String, "Rows": pl.Int64, "SHA-256 checksum": pl.String},
        ),
        hide_index=True,
        key="about_manifest_table",
    )
    st.caption(
        "Every file is checked against its row count and checksum, and every rule of the data contract, before a "
        "snapshot is served; a snapshot that breaks any rule is refused whole and the last good one stays in use."
    )

# ------------------------------------------------------------------------------------------------ suppression
with sections[3]:
    protected = [p.role for p in POLICIES.values() if p.suppressed]
    exact = [p.role for p in POLICIES.values() if not p.suppressed]
    st.markdown(
        f"""
Small numbers could let someone recognise a child, so figures shown to {" and ".join(protected)}s, and every
download meant for a public board paper, are protected. {" and ".join(r.capitalize() for r in exact)} staff see
exact figures inside the dashboard.

- **Nothing to compute:** when a figure has nothing to divide by (no children, no sessions), it is shown as a
  dash (–), never as {disclosure.SUPPRESSED}.
- **Small counts are hidden:** a count from 1 to {disclosure.MIN_COUNT - 1} is shown as
  **{disclosure.SUPPRESSED}**. A true 0 is shown as 0.
- **Rates and percentages are hidden** (shown as {disclosure.SUPPRESSED}) when the number they are built from
  (for example present sessions, or children with persistent absence) is 1 to {disclosure.MIN_COUNT - 1},
  when they divide by fewer than {disclosure.MIN_DENOMINATOR}, or when the row covers fewer than
  {disclosure.MIN_CHILDREN} children.
- **No working back from totals:** in a table with a total row, if exactly one other row of a column is hidden,
  one more is hidden too (the smallest), or else the total, so the hidden number cannot be worked out by
  subtraction.
- **Charts** never draw a hidden value: they leave a gap and mark it {disclosure.SUPPRESSED}. Downloads carry
  the same {disclosure.SUPPRESSED}.

The footnote under every table that holds a {disclosure.SUPPRESSED}: *{SUPPRESSION_FOOTNOTE}*
"""
    )

# ------------------------------------------------------------------------------------------------ comparators
with sections[4]:
    st.markdown(
        "Where a figure has an official comparator, it is drawn as a labelled dashed line: Wigan, the North West and "
        "England, for all pupils, from the Department for Education's published statistics. They are published per "
        "academic year; the newest year available is drawn. For attendance, the comparator is 100 minus the "
        "overall absence rate."
    )
    st.info(comparators.CAVEAT, icon=":material/info:")
    st.container(key="about_comparators").dataframe(
        comparators.benchmarks().select(
            pl.col("indicator").alias("Indicator"),
            pl.col("academic_year").alias("Academic year"),
            pl.col("geography").alias("Area"),
            pl.col("value").alias("Value"),
            pl.col("unit").alias("Unit"),
            pl.col("source").alias("Source"),
        ),
        hide_index=True,
        key="about_comparators_table",
    )

# ------------------------------------------------------------------------------------------------ accessibility
with sections[5]:
    st.markdown(
        f"""
We want everyone on the partnership board to be able to use this dashboard. What we did:

- **Colour:** the charts use the Okabe–Ito palette, which people with the common forms of colour-blindness can
  tell apart; colour is never the only cue.
- **Lines:** series are told apart by dash pattern and point shape as well as colour; comparator lines have
  their own dash pattern and a text label.
- **Every chart has a table** of the same numbers beside it, a one-sentence text description (also the chart's
  accessible name), its definition, and a CSV download of exactly what is shown.
- **Keyboard:** every control (filters, tabs, downloads, sorting) can be reached and used with the keyboard.
- **Links keep the view:** the filters live in the page address, so a view can be shared or bookmarked.

**Tested** on {ACCESSIBILITY_TESTED} in headless Chromium (keyboard navigation, screenshots of every page
checked by eye).

**Known limitations**
- The charts themselves are images to a screen reader: use the Table tab for the numbers.
- The school-by-school small multiples are dense on a narrow screen; the table holds the same figures.
- Clicking a table heading sorts the text as shown (so “c” and “–” sort among the numbers); use the sort
  control on School progress to rank schools.
- The dashboard has not yet been tested with a screen reader by people who use one daily.

If something does not work for you, tell the AllChild Wigan team and we will provide the figures another way.
"""
    )

page_footer(ctx)
