"""The board pack: an A4 PDF of the board's story for a period and schools, with suppression always applied.

``python -m dashboard board-pack SNAPSHOT_DIR --from YYYY-MM-DD --to YYYY-MM-DD [--school ID ...] --out FILE.pdf``
and the presentation view's download button both call ``build_board_pack``, so the app and the command line
produce the same file for the same period and schools. Board papers may be published, so every figure goes
through disclosure control whatever the role of whoever builds the pack; the school table holds exactly the
figures of ``python -m data_access report --role councillor`` for that period and those schools.

Rendering is offline: charts become PNG through vl-convert, the PDF is written by fpdf2 with DejaVu Sans
embedded when the system has it (else the core Helvetica font, with the few non-Latin-1 characters replaced).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

from fpdf import FPDF
from fpdf.fonts import FontFace

from dashboard.images import chart_png
from dashboard.story import Story, StoryChart, build_story
from data_access import comparators
from data_access.contract import DISCLOSURE_EXPLANATION, SUPPRESSION_FOOTNOTE
from data_access.filters import Filters, SelectionRefused, protected_selection_problems
from data_access.periods import (
    Period,
    academic_year,
    academic_year_start,
    custom,
    format_date,
    terms_of_year,
)
from data_access.registry import FIGURES, PERIODS, ROUNDING, SCOPE
from data_access.report import dates_from_args
from data_access.snapshots import Snapshot, SnapshotError, open_snapshot
from data_access.uncertainty import range_text
from data_access.views import BOARD_FIGURES, townships_of

SUPPRESSION_NOTE: Final = "Disclosure control applied: figures adjusted by up to 3; fewer than 5 shown as c"
TITLE: Final = "Partnership board pack"
FONT_DIRS: Final = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
# Chart images: drawn at this size in CSS pixels (title, axes and legend included), at 2× for print.
CHART_WIDTH_PX: Final = 760
CHART_HEIGHT_PX: Final = 380
CHART_SCALE: Final = 2.0
INK: Final = (27, 27, 27)
MUTED: Final = (80, 80, 80)
HEADING_FILL: Final = (225, 234, 242)
ZEBRA_FILL: Final = (246, 248, 250)
_LATIN1_REPLACEMENTS: Final = {
    "–": "-",
    "—": "-",
    "−": "-",
    "≥": ">=",
    "≤": "<=",
    "…": "...",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "→": "->",
}


def pack_period(date_from: date, date_to: date) -> Period:
    """The period of a pack: the academic year or census term the dates are exactly, else a custom range.

    Naming it matters beyond the label: the year before a spring term is the previous spring term (Easter
    moves), not the same dates a year earlier.
    """
    start_year = academic_year_start(date_from)
    for candidate in (academic_year(start_year), *terms_of_year(start_year)):
        if (candidate.start, candidate.end) == (date_from, date_to):
            return candidate
    return custom(date_from, date_to)


def _snapshot(source: Snapshot | str | Path) -> Snapshot:
    return source if isinstance(source, Snapshot) else open_snapshot(Path(source))


def pack_filters(snapshot: Snapshot, date_from: date, date_to: date, schools: Sequence[str]) -> Filters:
    """The filters of a pack; raises ``ValueError`` for reversed dates or schools the snapshot does not have,
    and ``SelectionRefused`` (a ``ValueError``) for what contract section 6, rule 6 does not allow a public
    board paper: a period that is not an academic year or a term, or schools that are not one school, one
    township or all schools."""
    if date_to < date_from:
        raise ValueError("--to must not be before --from")
    known = set(snapshot.schools.get_column("school_id").to_list())
    unknown = [s for s in schools if s not in known]
    if unknown:
        raise ValueError(
            f"unknown school id(s): {', '.join(unknown)}; the snapshot has {', '.join(sorted(known))}"
        )
    filters = Filters(period=pack_period(date_from, date_to), schools=tuple(sorted(set(schools))))
    problems = protected_selection_problems(filters, townships_of(snapshot))
    if problems:
        raise SelectionRefused(
            "a board pack is a public board paper (contract section 6, rule 6): " + " ".join(problems)
        )
    return filters


def build_board_pack(
    snapshot_dir_or_snapshot: Snapshot | str | Path,
    date_from: date,
    date_to: date,
    schools: Sequence[str],
    out_path: str | Path,
    *,
    produced: date | None = None,
) -> Path:
    """Write the board pack PDF for the period and schools and return its path.

    Args:
        snapshot_dir_or_snapshot: a snapshot folder (validated; refused ones raise ``SnapshotError``) or a
            loaded ``Snapshot``.
        date_from: first day of the period.
        date_to: last day of the period.
        schools: school ids (empty for every school of the snapshot).
        out_path: where to write the PDF (parent folders are created).
        produced: the date printed as "produced" (default today).

    Raises:
        SnapshotError: the snapshot was refused or cannot be read.
        ValueError: the dates are reversed or a school is unknown.
    """
    data = board_pack_bytes(_snapshot(snapshot_dir_or_snapshot), date_from, date_to, schools, produced)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def board_pack_bytes(
    snapshot: Snapshot, date_from: date, date_to: date, schools: Sequence[str], produced: date | None = None
) -> bytes:
    """The board pack as bytes (for a download button); the same file ``build_board_pack`` writes."""
    filters = pack_filters(snapshot, date_from, date_to, schools)
    story = build_story(snapshot, filters, public=True, width=CHART_WIDTH_PX, height=CHART_HEIGHT_PX)
    return render_pack(story, produced or date.today())


def pack_file_name(snapshot: Snapshot, date_from: date, date_to: date) -> str:
    """The pack's file name: period and snapshot date, so two packs are told apart."""
    return f"board-pack_{date_from.isoformat()}_to_{date_to.isoformat()}_snapshot-{snapshot.snapshot_date.isoformat()}.pdf"


class _Pack(FPDF):
    """A4 pages with the suppression note and page number in every footer."""

    font_family_name = "Helvetica"
    unicode_font = False

    def text_of(self, value: object) -> str:
        text = str(value)
        if self.unicode_font:
            return text
        for wide, narrow in _LATIN1_REPLACEMENTS.items():
            text = text.replace(wide, narrow)
        return text.encode("latin-1", errors="replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.font_family_name, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.text_of(f"{SUPPRESSION_NOTE}.  Page {self.page_no()} of {{nb}}"), align="C")
        self.set_text_color(*INK)


def _new_pdf(story: Story, produced: date) -> _Pack:
    pdf = _Pack(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(15, 15, 15)
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            pdf.font_family_name, pdf.unicode_font = "DejaVu", True
            break
    pdf.set_title(f"{TITLE}: {story.programme}, {story.period.describe()}")
    pdf.set_author("Wigan Impact Dashboard")
    pdf.set_subject(f"Board figures, snapshot of {story.snapshot_date.isoformat()}")
    pdf.set_lang("en-GB")
    pdf.set_creator("Wigan Impact Dashboard")
    pdf.set_creation_date(datetime.combine(produced, time()))
    pdf.set_text_color(*INK)
    return pdf


def _font(pdf: _Pack, size: float, bold: bool = False) -> None:
    pdf.set_font(pdf.font_family_name, "B" if bold else "", size)


def _para(
    pdf: _Pack,
    text: str,
    size: float = 10,
    bold: bool = False,
    gap: float = 1.5,
    colour: tuple[int, int, int] = INK,
) -> None:
    _font(pdf, size, bold)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.5, pdf.text_of(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(gap)


def _heading(pdf: _Pack, text: str, size: float = 16) -> None:
    _para(pdf, text, size, bold=True, gap=2)


def _table(
    pdf: _Pack,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    size: float = 9,
    align: Sequence[str] | None = None,
) -> None:
    _font(pdf, size)
    heading = FontFace(emphasis="BOLD", fill_color=HEADING_FILL, size_pt=size - 1)
    with pdf.table(
        col_widths=tuple(widths),
        text_align=tuple(align or ["LEFT"] * len(widths)),
        headings_style=heading,
        line_height=size * 0.5,
        padding=1.2,
        first_row_as_headings=True,
        cell_fill_color=ZEBRA_FILL,
        cell_fill_mode="ROWS",
    ) as table:
        for values in [header, *rows]:
            row = table.row()
            for value in values:
                row.cell(pdf.text_of(value))
    pdf.ln(2)


def _cover(pdf: _Pack, story: Story, produced: date) -> None:
    pdf.add_page()
    pdf.ln(25)
    _para(pdf, TITLE.upper(), 11, bold=True, colour=MUTED)
    _heading(pdf, story.programme, 24)
    _para(pdf, "Figures for the partnership board from the Wigan Impact Dashboard.", 12, gap=8)
    schools = ", ".join(f"{s} {story.school_names.get(s, s)}" for s in story.filters.schools) or "All schools"
    facts = (
        ("Period", story.period.describe()),
        ("Compared with", story.before.describe()),
        ("Schools", schools),
        ("Snapshot as of", format_date(story.snapshot_date)),
        ("Produced", format_date(produced)),
    )
    for label, value in facts:
        _font(pdf, 11, bold=True)
        pdf.cell(40, 7, pdf.text_of(label))
        _font(pdf, 11)
        pdf.multi_cell(0, 7, pdf.text_of(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_fill_color(*HEADING_FILL)
    _font(pdf, 12, bold=True)
    pdf.multi_cell(0, 8, pdf.text_of(SUPPRESSION_NOTE + "."), fill=True, new_x="LMARGIN", new_y="NEXT")
    _font(pdf, 10)
    pdf.multi_cell(
        0,
        5.5,
        pdf.text_of(SUPPRESSION_FOOTNOTE + " A dash (–) means there is nothing to compute."),
        fill=True,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(8)
    _para(pdf, "Contents", 12, bold=True)
    contents = ["Headline figures", *(c.title for c in story.charts), story.schools.title, "Definitions"]
    for number, item in enumerate(contents, start=1):
        _para(pdf, f"{number}. {item}", 10, gap=0.5)


def _headlines(pdf: _Pack, story: Story) -> None:
    pdf.add_page()
    _heading(pdf, "1. Headline figures")
    _para(
        pdf,
        f"All children on the programme in the schools shown, {story.period.describe()}, compared with "
        f"{story.before.describe()}.",
        10,
        gap=3,
    )
    rows = []
    for h in story.headlines:
        title = h.title + (f" ({h.direction_text})" if h.direction_text else "")
        interval = range_text(h.interval) if h.interval else "–"
        context = "\n".join([*h.comparators, *([h.comparator_words] if h.comparator_words else [])]) or "–"
        rows.append((title, h.now_text, interval, h.before_text, h.change_text, context))
    before_heading = "Same point last year" if any(h.so_far for h in story.headlines) else "Year before"
    _table(
        pdf,
        ("Figure", "This period", "95% interval", before_heading, "Change", "All pupils (DfE)"),
        rows,
        (46, 19, 24, 22, 31, 38),
        size=9,
        align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT", "LEFT"),
    )
    _para(
        pdf,
        "A change is shown only when both figures are shown; it is never worked out from a hidden figure. "
        "Percentages change in percentage points. A change is called better or worse only when it is "
        "statistically significant at the 5% level (contract section 4.3); otherwise it is 'no clear change'. "
        "A count of children is a census: its change has no test. Intervals and tests use the published figures.",
        9,
        colour=MUTED,
    )
    _para(pdf, comparators.CAVEAT, 9, colour=MUTED)
    if any(h.now == "c" or h.before == "c" for h in story.headlines):
        _para(pdf, SUPPRESSION_FOOTNOTE, 9, colour=MUTED)


def _chart_page(pdf: _Pack, number: int, chart: StoryChart) -> None:
    pdf.add_page()
    _heading(pdf, f"{number}. {chart.title}")
    _para(pdf, chart.description, 10.5, gap=3)
    if chart.chart is not None:
        png = chart_png(chart.chart, CHART_SCALE, width=CHART_WIDTH_PX, height=CHART_HEIGHT_PX)
        width = pdf.epw
        pdf.image(
            io.BytesIO(png), w=width, h=width * CHART_HEIGHT_PX / CHART_WIDTH_PX, alt_text=chart.description
        )
        pdf.ln(3)
    shown = chart.shown()
    widths = [50.0] + [(pdf.epw - 50) / max(len(shown.columns) - 1, 1)] * (len(shown.columns) - 1)
    _table(pdf, shown.columns, shown.rows(), widths, size=9, align=["LEFT"] + ["RIGHT"] * (len(widths) - 1))
    if chart.note:
        _para(pdf, chart.note, 9, colour=MUTED)
    if chart.has_suppressed_values:
        _para(pdf, SUPPRESSION_FOOTNOTE, 9, colour=MUTED)


def _school_table(pdf: _Pack, number: int, story: Story) -> None:
    pdf.add_page(orientation="landscape")
    chart = story.schools
    _heading(pdf, f"{number}. {chart.title}")
    _para(
        pdf,
        f"{chart.description} {story.period.describe()}. These are the figures of the report command "
        "with disclosure control applied.",
        10,
        gap=3,
    )
    shown = chart.shown()
    figure_width = (pdf.epw - 12 - 54) / len(BOARD_FIGURES)
    _table(
        pdf,
        shown.columns,
        shown.rows(),
        [12, 54, *[figure_width] * len(BOARD_FIGURES)],
        size=9,
        align=["LEFT", "LEFT", *["RIGHT"] * len(BOARD_FIGURES)],
    )
    _para(pdf, SUPPRESSION_FOOTNOTE + " A dash (–) means there is nothing to compute.", 9, colour=MUTED)
    if chart.note:
        _para(pdf, chart.note.replace("`", ""), 9, colour=MUTED)
    intervals = chart.intervals_shown()
    if intervals is not None:
        pdf.add_page(orientation="landscape")  # the whole table on one page, not split after a row
        _para(pdf, f"95% intervals of the rates in {chart.title.lower()}", 12, bold=True, gap=2)
        rates = len(intervals.columns) - 2
        _table(pdf, intervals.columns, intervals.rows(), [12, 54, *[(pdf.epw - 66) / rates] * rates], size=9,
               align=["LEFT", "LEFT", *["RIGHT"] * rates])  # fmt: skip
        _para(pdf, "The range each rate would plausibly take if the same children's year were run again; computed "
              "from the figures as published.", 9, colour=MUTED)  # fmt: skip


def _definitions(pdf: _Pack, number: int) -> None:
    pdf.add_page(orientation="portrait")
    _heading(pdf, f"{number}. Definitions")
    _para(pdf, SCOPE, 9.5)
    for name in (*BOARD_FIGURES, "suspensions_per_100", "sessions_lost"):
        d = FIGURES[name]
        _para(pdf, f"{d.title} ({d.unit})", 10, bold=True, gap=0.5)
        _para(pdf, d.definition, 9.5, gap=2)
    _para(pdf, "Periods", 10, bold=True, gap=0.5)
    _para(pdf, PERIODS + " " + ROUNDING, 9.5, gap=2)
    _para(pdf, "Comparators", 10, bold=True, gap=0.5)
    sources = sorted(set(comparators.benchmarks().get_column("source").to_list()))
    _para(pdf, "; ".join(sources) + ". " + comparators.CAVEAT, 9.5, gap=2)
    _para(pdf, "Protecting children's privacy (statistical disclosure control)", 10, bold=True, gap=0.5)
    _para(
        pdf,
        "Every figure in this pack has been through disclosure control, whoever produced it, because board "
        "papers may be published. " + DISCLOSURE_EXPLANATION + " " + SUPPRESSION_FOOTNOTE,
        9.5,
    )


def render_pack(story: Story, produced: date) -> bytes:
    """The PDF bytes of a story (built with ``public=True``)."""
    if not story.suppressed:
        raise ValueError("a board pack is built from a public story (suppression always applied)")
    pdf = _new_pdf(story, produced)
    _cover(pdf, story, produced)
    _headlines(pdf, story)
    for number, chart in enumerate(story.charts, start=2):
        _chart_page(pdf, number, chart)
    _school_table(pdf, len(story.charts) + 2, story)
    _definitions(pdf, len(story.charts) + 3)
    return bytes(pdf.output())


# `python -m dashboard board-pack` -------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Exit 2 with the message on a usage error (argparse's own code)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m dashboard board-pack",
        description="Write the board pack PDF for a period (suppression always applied).",
    )
    parser.add_argument("snapshot_dir", type=Path, metavar="SNAPSHOT_DIR")
    parser.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    parser.add_argument(
        "--school",
        action="append",
        default=[],
        metavar="ID",
        help="a school to include; give it once per school (default: every school)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.pdf", help="where to write the PDF")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m dashboard board-pack``; exit 0 with the file written, 2 with a clear message otherwise."""
    args: Any = _parser().parse_args(argv)
    try:
        date_from, date_to = dates_from_args(args.date_from, args.date_to)
        if not args.snapshot_dir.is_dir():
            raise SnapshotError(f"{args.snapshot_dir} is not a snapshot folder")
        out = build_board_pack(args.snapshot_dir, date_from, date_to, args.school, args.out)
    except SnapshotError as error:
        print(f"error: the snapshot was refused.\n{error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"board pack written: {out} ({out.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
