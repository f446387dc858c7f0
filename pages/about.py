"""About the data: every definition (rendered from ``data_access``, never copied), the attendance codes, the
snapshot's manifest, the disclosure control (cell key method) in plain words, the comparators' sources and the accessibility statement.

No filters apply here, so the page opens for every role even when the filters in force select nobody.
"""

import polars as pl
import streamlit as st

from dashboard.page import ABBREVIATIONS, page_footer, page_setup
from data_access import cellkey, comparators
from data_access.contract import (
    ATTAINMENT_LEVELS,
    CODE_CATEGORIES,
    DISCLOSURE_EXPLANATION,
    EXACT_FOOTNOTE,
    MEASURES,
    PROGRAMME_NAME,
    SDQ_TOTAL_BANDS,
    SUPPRESSION_FOOTNOTE,
)
from data_access.periods import format_date
from data_access.policy import POLICIES
from data_access.registry import FIGURES, PERIODS, ROUNDING, SCOPE, measure_definition

# The accessibility statement's dates: when it was prepared and last reviewed, and when the checks were run.
STATEMENT_PREPARED = "2 December 2026"
STATEMENT_REVIEWED = "2 December 2026"
ACCESSIBILITY_TESTED = "2 December 2026"
# The comparators' indicators in words (the reference file names them by field).
INDICATOR_NAMES = {
    "overall_absence_rate": "Overall absence rate",
    "persistent_absence_rate": "Persistent absence rate",
    "severe_absence_rate": "Severe absence rate",
    "suspensions_per_100": "Suspensions per 100 pupils",
    "permanent_exclusions_per_100": "Permanent exclusions per 100 pupils",
}
# Words a board member may meet on any page, in plain English (abbreviations come from the page frame's list).
GLOSSARY = {
    "EHC plan": "A legal plan of the education, health and care support for a child with the greatest special "
    "educational needs.",
    "SDQ": "A short questionnaire a teacher fills in about a child's wellbeing; a lower total difficulties score "
    "is better.",
    "c": "A hidden figure: a small number shown as c to protect children's privacy (see Privacy protection).",
    "–": "Nothing to compute: for example, no children or no sessions to divide by.",
    "Comparator": "An official figure for all pupils (Wigan, the North West, England) drawn beside the "
    "programme's, as context rather than a target.",
    "Children in scope": "The children a figure counts: on the programme during the period and matching the filters.",
    FIGURES["persistent_absence_rate"].title: "Missing 10% or more of the possible sessions in the period.",
    "Possible session": "A morning or afternoon when the child was expected in school.",
    "Snapshot": "One anonymised copy of the programme's case records, taken on a date; every figure comes from one.",
    "Suspension": "A child kept out of school for a fixed time (previously called a fixed-period exclusion).",
    "Permanent exclusion": "A child removed from a school's roll for good.",
    "Term": "A school term as the DfE census counts it (see Periods under Definitions).",
}

ctx = page_setup("about", with_filters=False)

st.markdown(
    f"These figures describe children on the **{PROGRAMME_NAME}**. They come from one snapshot of the programme's "
    "case records with every name and direct identifier removed; children are known only by a pseudonymous "
    "number. The same definitions are used by the dashboard, its downloads and the board report."
)
sections = st.tabs(
    [
        "Definitions",
        "Glossary",
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
            f"  \n*Comparator:* {INDICATOR_NAMES.get(definition.comparator, definition.comparator)} for all pupils "
            "(see Comparators)."
            if definition.comparator
            else ""
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

# ------------------------------------------------------------------------------------------------ glossary
with sections[1]:
    st.subheader("Abbreviations", anchor="abbreviations")
    st.markdown("\n".join(f"- **{name}**: {meaning}." for name, meaning in ABBREVIATIONS.items()))
    st.subheader("Words used on the dashboard", anchor="glossary")
    st.markdown("\n".join(f"- **{word}**: {meaning}" for word, meaning in GLOSSARY.items()))

# ------------------------------------------------------------------------------------------------ codes
with sections[2]:
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
with sections[3]:
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
with sections[4]:
    protected = [p.role for p in POLICIES.values() if p.suppressed]
    exact = [p.role for p in POLICIES.values() if not p.suppressed]
    st.markdown(
        f"""
Small numbers could let someone recognise a child, so figures shown to {" and ".join(protected)}s, and every
board pack meant for a public board paper, are protected. {" and ".join(r.capitalize() for r in exact)} staff see
exact figures inside the dashboard, marked *{EXACT_FOOTNOTE}*.

{DISCLOSURE_EXPLANATION}

How it works (the cell key method, as the Office for National Statistics used for Census 2021):

- **Every count is adjusted slightly.** Each count of children or events is moved by at most
  **{cellkey.MAX_NOISE}** up or down (on average not at all). The amount comes from a secret key and the
  records counted, so the same group of children gets the same figure on every page, table, download and
  board paper, and asking again never gives a different answer to average away. A true 0 stays 0.
- **Small counts are shown as {cellkey.SUPPRESSED}:** an adjusted count below {cellkey.SMALL} is shown as
  **{cellkey.SUPPRESSED}** (a true count of at least 1).
- **Rates and percentages** are worked out from the adjusted counts, and shown only when they divide by at
  least {cellkey.THRESHOLD} (adjusted) and the row or selection covers at least {cellkey.THRESHOLD} children;
  with a characteristic filter, also only when the children it leaves out are none or at least
  {cellkey.THRESHOLD}. The attendance rate comes from the exact sessions, shown under the same rule.
  Sessions lost are rounded to the nearest 10.
- **Parts may not add up to totals:** each total is adjusted on its own, like any other count.
- **Fixed choices:** academic years and terms only (a year or term not over runs to the last month end);
  one school, one township or all schools; at most one characteristic filter with one value.
- **Nothing to compute:** when a figure has nothing to divide by (no children, no sessions), it is shown as a
  dash (–), never as {cellkey.SUPPRESSED}.
- **Charts** never draw a {cellkey.SUPPRESSED}: they leave a gap and say so. Downloads carry the same values.

The footnote under every protected table or chart: *{SUPPRESSION_FOOTNOTE}*
"""
    )

# ------------------------------------------------------------------------------------------------ comparators
with sections[5]:
    st.markdown(
        "Where a figure has an official comparator, it is drawn as a labelled dashed line: Wigan, the North West and "
        "England, for all pupils, from the Department for Education's published statistics. They are published per "
        "academic year; the newest year available is drawn. For attendance, the comparator is 100 minus the "
        "overall absence rate."
    )
    st.info(comparators.CAVEAT, icon=":material/info:")
    st.container(key="about_comparators").dataframe(
        comparators.benchmarks().select(
            pl.col("indicator").replace(INDICATOR_NAMES).alias("Indicator"),
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
with sections[6]:
    st.subheader("Accessibility statement for the Wigan Impact Dashboard", anchor="accessibility-statement")
    st.markdown(
        f"""
This statement applies to the Wigan Impact Dashboard, run by AllChild for the Wigan partnership board. We want as
many people as possible to be able to use it. For example, you should be able to:

- change colours, contrast levels and fonts using your browser or device settings;
- zoom in up to 400% without the text spilling off the screen, and use it on a phone 320 pixels wide;
- use every control (filters, tabs, downloads, sorting, the presentation's screens) with the keyboard alone;
- read every chart's numbers in the table beside it, with a one-sentence description and its definition;
- tell chart series apart without colour (dash patterns, point shapes and text labels as well as colour; the
  colours are the Okabe–Ito palette, which people with the common forms of colour-blindness can tell apart).

**How accessible this dashboard is.** We know some parts are not fully accessible:

- Streamlit, the software the dashboard is built with, marks up its page menu as a list containing items that
  are not list items, and its date boxes (custom period) have small targets.
- Tables are drawn by Streamlit's data grid: a screen reader reads them cell by cell, which is slow for the
  larger school-by-school tables.
- The dashboard has not yet been tested with a screen reader by people who use one daily.

**Feedback and contact information.** If you need the figures in a different format (accessible PDF, large
print, a spreadsheet) or find a problem not listed here, tell the AllChild Wigan programme team, who send
the board papers. We will reply within 5 working days.

**Enforcement procedure.** The Equality and Human Rights Commission (EHRC) is responsible for enforcing the
Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the
"accessibility regulations"). If you are not happy with how we respond to your complaint, contact the
Equality Advisory and Support Service (EASS).

**Compliance status.** This dashboard is partially compliant with the Web Content Accessibility Guidelines
(WCAG) version 2.2 AA standard, due to the non-compliances listed below.

**Non-accessible content.** Non-compliance with the accessibility regulations:

- Streamlit's page menu puts elements other than list items inside its list (WCAG 1.3.1 Info and
  relationships). We cannot change Streamlit's own markup; the menu still works with a keyboard and a screen
  reader announces every link.
- Streamlit's date picker (custom period only) has day buttons smaller than 24 by 24 pixels (WCAG 2.5.8
  Target size). You can type the dates into the box instead.

**What we are doing to improve accessibility.** Every page is checked automatically with axe-core in a real
browser, for an AllChild staff account and a protected (councillor or commissioner) account, each time the
tests run; a new problem fails the tests. We will test with screen-reader users before the next board year.

**Preparation of this accessibility statement.** This statement was prepared on {STATEMENT_PREPARED}. It was
last reviewed on {STATEMENT_REVIEWED}.

This dashboard was last tested on {ACCESSIBILITY_TESTED}, by the team that builds it:

- **Automated:** axe-core (WCAG 2.0, 2.1 and 2.2 A and AA rules) in headless Chromium on every page, for an
  AllChild staff account and for councillor and commissioner accounts;
- **Manual:** keyboard-only use of the filters, menu and presentation; the focus mark on every link; page
  titles; 200% and 400% zoom; no sideways scrolling at 320 pixels wide and on a 390 by 844 phone; every
  presentation screen fitting a 1280 by 720 projector; screenshots of every page checked by eye.
"""
    )

page_footer(ctx)
