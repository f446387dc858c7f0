"""The board pack: built through the command line, its text holds exactly ``report --role councillor``'s figures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pypdf
import pytest
from builders import child, make_snapshot, sessions

from dashboard.board_pack import SUPPRESSION_NOTE, build_board_pack, pack_period
from data_access.contract import SUPPRESSION_FOOTNOTE
from data_access.disclosure import format_shown
from data_access.report import REPORT_COLUMNS, report_rows
from data_access.snapshots import open_snapshot

ROOT = Path(__file__).resolve().parent.parent
KEY_CHARTS = 4
NOTHING_TO_COMPUTE = {"–", "-"}  # "-" when the pack falls back to the core font


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 250-child demo snapshot (deterministic), written once for this module."""
    root = tmp_path_factory.mktemp("demo")
    subprocess.run([sys.executable, "-m", "data_access", "demo", str(root)], check=True, cwd=ROOT,
                   capture_output=True)  # fmt: skip
    return root / "2026-11-20"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two schools: S01 with 12 children (3 of them persistently absent), S02 with 3 children (all hidden)."""
    root = tmp_path_factory.mktemp("tiny")
    kids = [child(f"A{i:02d}", school_id="S01") for i in range(12)] + [
        child(f"B{i}", school_id="S02") for i in range(3)
    ]
    attendance = []
    for index, kid in enumerate(kids):
        codes = ["/"] * 16 + (["N"] * 4 if index in (0, 1, 2, 13) else ["/"] * 4)
        attendance += sessions(kid["child_id"], date(2025, 9, 8), codes)
    referrals = [
        {"referral_id": f"R{i}", "child_id": f"A{i:02d}", "referral_date": date(2025, 10, 1), "service": "camhs",
         "reason": "mental_health"}
        for i in range(6)
    ]  # fmt: skip
    return make_snapshot(root, "2026-01-20", schools=[{"school_id": "S01", "school_name": "Alder Primary",
                         "township": "Leigh", "phase": "primary"}, {"school_id": "S02", "school_name": "Birch High",
                         "township": "Leigh", "phase": "secondary"}], children=kids, attendance=attendance,
                         referrals=referrals)  # fmt: skip


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard", "board-pack", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def build(snapshot: Path, out: Path, date_from: str, date_to: str, schools: list[str]) -> pypdf.PdfReader:
    flags = [arg for school in schools for arg in ("--school", school)]
    result = run_cli(str(snapshot), "--from", date_from, "--to", date_to, *flags, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.exists() and out.read_bytes()[:5] == b"%PDF-"
    return pypdf.PdfReader(out)


def words(text: str) -> list[str]:
    return text.split()


def page_texts(reader: pypdf.PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def flat(text: str) -> str:
    """Text with every run of whitespace made one space (justified lines and wrapped cells read as one)."""
    return " ".join(text.split())


def school_rows_as_printed(reader: pypdf.PdfReader, school_ids: list[str]) -> dict[str, list[str]]:
    """For each row of the school table, the words of its row (school name, then the figures)."""
    pages = [t for t in page_texts(reader) if "School-by-school board figures" in t and "Children" in t]
    assert len(pages) == 1, "one page holds the school-by-school table"
    tokens = words(pages[0])
    header_end = tokens.index("SDQ") + 2  # the last heading is "Improved on SDQ %"
    starts: list[int] = []
    position = header_end
    for school_id in school_ids:
        position = tokens.index(school_id, position)
        starts.append(position)
        position += 1
    end = tokens.index(
        "Figures", starts[-1]
    )  # the footnote "Figures are adjusted slightly ..." follows the table
    bounds = [*starts[1:], end]
    return {
        sid: tokens[start + 1 : stop] for sid, start, stop in zip(school_ids, starts, bounds, strict=True)
    }


def assert_pack_matches_report(reader: pypdf.PdfReader, report: dict[str, Any]) -> None:
    rows = report["rows"]
    printed = school_rows_as_printed(reader, [row["school_id"] for row in rows])
    figures = REPORT_COLUMNS[1:]
    for row in rows:
        expected = [format_shown(row[name]) for name in figures]
        got = printed[row["school_id"]][-len(figures) :]
        assert len(got) == len(expected)
        for name, want, have in zip(figures, expected, got, strict=True):
            if want in NOTHING_TO_COMPUTE:
                assert have in NOTHING_TO_COMPUTE, (row["school_id"], name, have)
            else:
                assert have == want, (row["school_id"], name, want, have)


@pytest.mark.slow
def test_demo_pack_from_the_command_line_holds_the_report_figures_cover_charts_and_footnote(
    demo: Path, tmp_path: Path
) -> None:
    reader = build(demo, tmp_path / "pack.pdf", "2025-08-01", "2026-07-31", [])
    report = report_rows(demo, date(2025, 8, 1), date(2026, 7, 31), [], "councillor")
    assert any(row[name] == "c" for row in report["rows"] for name in REPORT_COLUMNS[1:]), "the demo has c"
    assert_pack_matches_report(reader, report)

    texts = page_texts(reader)
    cover = flat(texts[0])
    assert "PARTNERSHIP BOARD PACK" in cover and "AllChild Impact Programmes - Wigan" in cover
    assert "Academic year 2025/26" in cover and "1 Aug 2025" in cover and "31 Jul 2026" in cover
    assert "Snapshot as of 20 Nov 2026" in cover
    assert f"Produced {date.today().day} {date.today().strftime('%b %Y')}" in cover
    assert SUPPRESSION_NOTE in cover
    everything = flat(" ".join(texts))
    assert SUPPRESSION_FOOTNOTE in everything
    assert all(SUPPRESSION_NOTE in flat(t) for t in texts), "every page's footer carries the suppression note"
    for heading in ("Headline figures", "Attendance rate by month", "Persistent absence by term",
                    "Mental health referrals per 100 children", "Suspensions and permanent exclusions by term",
                    "Definitions", "Children in scope for a period"):  # fmt: skip
        assert heading in everything
    assert sum(len(page.images) for page in reader.pages) >= KEY_CHARTS
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4 portrait
    assert reader.pages[0].mediabox.height == pytest.approx(841.89, abs=1)


@pytest.mark.slow
def test_demo_pack_for_a_township_and_a_term_matches_the_report(demo: Path, tmp_path: Path) -> None:
    reader = build(demo, tmp_path / "pack.pdf", "2025-08-01", "2025-12-31", ["S04", "S03"])  # Atherton
    report = report_rows(demo, date(2025, 8, 1), date(2025, 12, 31), ["S04", "S03"], "councillor")
    assert [row["school_id"] for row in report["rows"]] == ["S03", "S04", "all"]
    assert_pack_matches_report(reader, report)
    assert "Autumn term 2025/26 (1 Aug 2025 – 31 Dec 2025)" in flat(page_texts(reader)[0])


def test_a_pack_rule_6_refuses_exits_2_with_a_clear_message(demo: Path, tmp_path: Path) -> None:
    """A board pack is a public board paper (contract section 6): a custom range, or two schools of different
    townships, are refused (rule 6), with exit 2 and a message, and no file is written."""
    out = tmp_path / "refused.pdf"
    custom_range = run_cli(str(demo), "--from", "2025-09-01", "--to", "2025-12-19", "--out", str(out))
    assert custom_range.returncode == 2 and "not an academic year or a term" in custom_range.stderr
    mixed = run_cli(str(demo), "--from", "2025-08-01", "--to", "2026-07-31", "--school", "S02", "--school", "S05",
                    "--out", str(out))  # fmt: skip
    assert mixed.returncode == 2 and "one whole township" in mixed.stderr and "Traceback" not in mixed.stderr
    assert not out.exists()


def test_headline_figures_are_the_report_total_row_suppressed(demo: Path, tmp_path: Path) -> None:
    out = build_board_pack(
        demo, date(2025, 8, 1), date(2026, 7, 31), [], tmp_path / "p.pdf", produced=date(2026, 11, 21)
    )
    report = report_rows(demo, date(2025, 8, 1), date(2026, 7, 31), [], "councillor")
    total = report["rows"][-1]
    headline_page = flat(page_texts(pypdf.PdfReader(out))[1])
    assert headline_page.startswith("1. Headline figures")
    assert f"Children on the programme {total['children']} " in headline_page
    assert f"{total['attendance_rate']:.1f}%" in headline_page


def test_tiny_snapshot_pack_shows_every_c_of_the_report(tiny: Path, tmp_path: Path) -> None:
    reader = build(tiny, tmp_path / "tiny.pdf", "2025-08-01", "2026-07-31", [])
    report = report_rows(tiny, date(2025, 8, 1), date(2026, 7, 31), [], "councillor")
    hidden = sum(row[name] == "c" for row in report["rows"] for name in REPORT_COLUMNS[1:])
    assert hidden >= 3
    assert_pack_matches_report(reader, report)
    assert sum(len(page.images) for page in reader.pages) >= KEY_CHARTS


def test_the_pack_applies_suppression_whatever_the_role_and_is_deterministic(
    tiny: Path, tmp_path: Path
) -> None:
    snapshot = open_snapshot(tiny)
    first = build_board_pack(snapshot, date(2025, 8, 1), date(2026, 7, 31), ["S01", "S02"], tmp_path / "a.pdf",
                             produced=date(2026, 1, 21))  # fmt: skip
    second = build_board_pack(tiny, date(2025, 8, 1), date(2026, 7, 31), ["S02", "S01"], tmp_path / "b.pdf",
                              produced=date(2026, 1, 21))  # fmt: skip
    assert first.read_bytes() == second.read_bytes()
    text = flat(" ".join(page_texts(pypdf.PdfReader(first))))
    # S02 has 3 children: an exact figure (allchild's view) would print "3"; the pack prints the protected
    # value (a published count is never 1 to 4), the councillor's, whoever builds it.
    exact = report_rows(tiny, date(2025, 8, 1), date(2026, 7, 31), [], "allchild")["rows"]
    assert exact[1]["children"] == 3
    protected = report_rows(tiny, date(2025, 8, 1), date(2026, 7, 31), [], "councillor")["rows"]
    shown = format_shown(protected[1]["children"])
    assert shown != "3" and re.search(rf"S02 Birch High {shown} ", text)


def test_named_periods_are_recognised_so_the_year_before_is_the_same_term() -> None:
    assert pack_period(date(2025, 8, 1), date(2026, 7, 31)).label == "Academic year 2025/26"
    spring = pack_period(date(2026, 1, 1), date(2026, 4, 5))
    assert spring.kind == "term" and spring.label == "Spring term 2025/26"
    assert pack_period(date(2025, 9, 1), date(2025, 12, 19)).kind == "custom"


def test_bad_arguments_and_refused_snapshots_exit_2_with_a_message(tiny: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "x.pdf")
    cases = {
        "unknown school": ([str(tiny), "--from", "2025-08-01", "--to", "2026-07-31", "--school", "S99", "--out", out],
                           "unknown school id(s): S99"),
        "bad date": ([str(tiny), "--from", "2025-13-01", "--to", "2026-07-31", "--out", out], "--from must be a date"),
        "reversed": ([str(tiny), "--from", "2026-07-31", "--to", "2025-08-01", "--out", out], "--to must not be before"),
        "no out": ([str(tiny), "--from", "2025-08-01", "--to", "2026-07-31"], "--out"),
        "missing": ([str(tmp_path / "nowhere"), "--from", "2025-08-01", "--to", "2026-07-31", "--out", out],
                    "refused"),
    }  # fmt: skip
    broken = make_snapshot(tmp_path / "broken", children=[child("X1", school_id="S99")])
    cases["refused"] = ([str(broken), "--from", "2025-08-01", "--to", "2026-07-31", "--out", out], "refused")
    for name, (args, message) in cases.items():
        result = run_cli(*args)
        assert result.returncode == 2, name
        assert message in result.stderr, (name, result.stderr)
    assert not Path(out).exists()


def test_report_command_and_pack_agree_through_both_command_lines(tiny: Path, tmp_path: Path) -> None:
    """The same check through ``python -m data_access report`` itself, not only its function."""
    result = subprocess.run([sys.executable, "-m", "data_access", "report", str(tiny), "--from", "2025-08-01",
                             "--to", "2026-07-31"], cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
    reader = build(tiny, tmp_path / "t.pdf", "2025-08-01", "2026-07-31", [])
    assert_pack_matches_report(reader, json.loads(result.stdout))


def test_the_pack_gives_the_school_tables_rates_their_intervals(demo: Path, tmp_path: Path) -> None:
    reader = build(demo, tmp_path / "pack.pdf", "2025-08-01", "2026-07-31", [])
    report = report_rows(demo, date(2025, 8, 1), date(2026, 7, 31), [], "councillor", intervals=True)
    # The table of intervals has a page of its own, whole: every school's row and the total.
    page = next(
        flat(t) for t in page_texts(reader) if "95% intervals of the rates in school-by-school" in flat(t)
    )
    for row in report["rows"]:
        low, high = row["attendance_rate_low"], row["attendance_rate_high"]
        assert ("–" if low is None else "c" if low == "c" else f"{low:.1f} to {high:.1f}") in page.split(
            row["school_id"], 1
        )[1], row
    assert "computed from the figures as published" in page
