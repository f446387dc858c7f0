"""Presentation view: every screen steps forward and back without error for leadership, and nobody else opens it."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from apptest_support import find_block, open_page

from dashboard.auth import NOT_FOR_ROLE
from dashboard.board_pack import board_pack_bytes
from dashboard.story import build_story
from data_access.filters import Filters
from data_access.periods import academic_year
from data_access.snapshots import Snapshot

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_DATE = "2026-11-20"


def screen_keys(snapshot: Snapshot) -> tuple[str, ...]:
    return build_story(snapshot, Filters(period=academic_year(2026)), public=True).screens


def shown_screen(at: object, screens: tuple[str, ...]) -> str:
    """The key of the one screen on the page."""
    found = [s for s in screens if find_block(at.main, f"present_screen_{s}") is not None]
    assert len(found) == 1, found
    return found[0]


def assert_ok(at: object) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("role", ["allchild", "admin"])
def test_leadership_step_through_every_screen_and_back(demo_env: Snapshot, role: str) -> None:
    screens = screen_keys(demo_env)
    assert screens[0] == "headlines" and screens[-1] == "schools" and len(screens) == 6
    at = open_page("presentation", role)
    assert_ok(at)
    assert at.button(key="present_prev").disabled
    seen = [shown_screen(at, screens)]
    for step in range(1, len(screens)):
        at.button(key="present_next").click().run()
        assert_ok(at)
        seen.append(shown_screen(at, screens))
        assert at.query_params["screen"] == str(step + 1)
    assert seen == list(screens)
    assert at.button(key="present_next").disabled
    for step in range(len(screens) - 2, -1, -1):
        at.button(key="present_prev").click().run()
        assert_ok(at)
        assert shown_screen(at, screens) == screens[step]
    assert at.query_params["screen"] == "1"


def test_headline_screen_shows_the_suppressed_total_row_with_change(demo_env: Snapshot) -> None:
    at = open_page("presentation", "allchild", {"period": "2025-26"})
    assert_ok(at)
    story = build_story(demo_env, Filters(period=academic_year(2025)), public=True)
    metrics = {m.label: m for m in at.metric}
    for headline in story.headlines:
        assert metrics[headline.title].value == headline.now_text
    children = next(h for h in story.headlines if h.name == "children")
    assert metrics[children.title].delta == children.change_text


def test_a_link_reopens_its_screen_with_its_filters(demo_env: Snapshot) -> None:
    screens = screen_keys(demo_env)
    # Atherton's two schools: a whole township, which rule 6 allows a board paper (contract section 6)
    at = open_page("presentation", "allchild", {"screen": "6", "period": "2025-26", "school": ["S03", "S04"]})
    assert_ok(at)
    assert shown_screen(at, screens) == "schools"
    table = at.table[0].value
    assert list(table["School"]) == [
        demo_env.schools.row(2)[1],
        demo_env.schools.row(3)[1],
        "All schools shown",
    ]
    assert "Academic year 2025/26" in " ".join(c.value for c in at.caption)


def test_a_selection_rule_6_refuses_is_not_presented_as_board_paper_figures(demo_env: Snapshot) -> None:
    """Two schools of different townships: the default (board paper) mode says why and offers exact figures;
    nothing protected is computed for it (contract section 6, rule 6)."""
    at = open_page("presentation", "allchild", {"screen": "6", "period": "2025-26", "school": ["S02", "S05"]})
    assert_ok(at)
    assert any("cannot be presented as board-paper figures" in w.value for w in at.warning)
    assert not at.table
    at.toggle(key="present_exact").set_value(True).run()
    assert_ok(at)
    assert at.table and "Exact figures — internal use only" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("screen", ["0", "99", "abc", "-3"])
def test_a_junk_screen_in_the_link_opens_a_valid_screen(demo_env: Snapshot, screen: str) -> None:
    at = open_page("presentation", "admin", {"screen": screen})
    assert_ok(at)
    shown = shown_screen(at, screen_keys(demo_env))
    assert shown in ("headlines", "schools")
    assert at.query_params["screen"] in ("1", "6")


def test_exact_figures_only_when_leadership_turn_them_on(demo_env: Snapshot) -> None:
    at = open_page("presentation", "allchild", {"screen": "6", "period": "2025-26"})
    suppressed = at.table[0].value
    assert (suppressed == "c").any().any()
    at.toggle(key="present_exact").set_value(True).run()
    assert_ok(at)
    exact = at.table[0].value
    assert not (exact == "c").any().any()


@pytest.mark.parametrize("role", ["councillor", "commissioner"])
def test_other_roles_are_told_the_view_is_not_for_them(demo_env: Snapshot, role: str) -> None:
    at = open_page("presentation", role)
    assert not at.exception
    assert [e.value for e in at.error] == [NOT_FOR_ROLE.format(role=role)]
    assert not [b.key for b in at.button if str(b.key).startswith("present_")]
    assert not at.metric and not at.table


def test_the_app_button_makes_the_same_file_as_the_command_line(demo_env: Snapshot, tmp_path: Path) -> None:
    """The download button calls board_pack_bytes for the view's period and schools: the CLI's very bytes."""
    out = tmp_path / "cli.pdf"
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "board-pack", str(demo_env.folder), "--from", "2025-08-01", "--to",
         "2026-07-31", "--school", "S03", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    in_app = board_pack_bytes(demo_env, date(2025, 8, 1), date(2026, 7, 31), ("S03",))
    assert in_app == out.read_bytes()


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [layer for part in [spec, *spec.get("vconcat", [])] for layer in part.get("layer", [])]


# The story's rate charts and the interval columns each draws; the suspensions chart draws counts (no interval).
STORY_INTERVALS = {
    "attendance": ("low", "high"),
    "persistent_absence": ("persistent_absence_rate__low", "persistent_absence_rate__high"),
    "referrals": ("mental_health_referrals_per_100__low", "mental_health_referrals_per_100__high"),
}
WRITTEN = re.compile(r"\d+\.\d \(\d+\.\d to \d+\.\d\)")  # "88.3 (86.9 to 89.6)"


@pytest.mark.parametrize(("role", "public"), [("allchild", False), ("councillor", True)])
def test_every_rate_of_the_story_shows_its_interval(demo_root: Path, role: str, public: bool) -> None:
    from data_access.intervals import poisson_rate_interval, round1
    from data_access.registry import FIGURES
    from data_access.snapshots import open_snapshot

    story = build_story(open_snapshot(demo_root / SNAPSHOT_DATE), Filters(period=academic_year(2025)), role,
                        public=public)  # fmt: skip
    for h in story.headlines:  # a tile and the pack's table give every shown rate its interval
        if FIGURES[h.name].kind in ("rate", "percentage") and isinstance(h.now, float):
            assert h.interval is not None and h.interval_text.startswith("95% interval "), h.name
    charts = {c.key: c for c in story.charts}
    assert set(charts) == {*STORY_INTERVALS, "suspensions"}
    for key, (low, high) in STORY_INTERVALS.items():
        assert charts[key].chart is not None
        spec = charts[key].chart.to_dict()
        drawn = [layer for layer in _layers(spec) if layer["mark"]["type"] in ("rule", "area")
                 and layer["encoding"].get("y", {}).get("field") == low
                 and layer["encoding"].get("y2", {}).get("field") == high]  # fmt: skip
        assert drawn, f"{key}: no interval drawn"
        tips = {t.get("title") for layer in _layers(spec) for t in layer["encoding"].get("tooltip", [])}
        assert {"95% interval from", "95% interval to"} <= tips, key
        assert "95% interval" in str(spec["title"]), key  # named in the subtitle
    # The tables of the rate charts write "x (lo to hi)" (suspensions: its rate per 100 column).
    for key in ("persistent_absence", "referrals", "suspensions"):
        assert any(WRITTEN.fullmatch(v) for row in charts[key].shown().rows() for v in row if v), key
    # Referrals per 100 on the board's screens and pack: Garwood on the shown (for a public pack, published)
    # counts of each term.
    referrals = charts["referrals"].table.frame
    for row in referrals.iter_rows(named=True):
        name = "mental_health_referrals_per_100"
        if row[f"{name}__status"] == "shown":
            band = poisson_rate_interval(row[f"{name}__num"], row[f"{name}__den"])
            assert band is not None and (row[f"{name}__low"], row[f"{name}__high"]) == (
                round1(band.low),
                round1(band.high),
            )
            assert row[f"{name}__num"] == row["mental_health_referrals"]  # the shown count, never the exact


@pytest.mark.parametrize(("role", "public"), [("allchild", False), ("councillor", True)])
def test_the_school_table_has_each_rates_interval_as_report_intervals_gives_it(
    demo_root: Path, role: str, public: bool
) -> None:
    """The school-by-school screen and pack page keep the report's figures in narrow cells; the table of
    intervals beside them gives each rate's 95% interval, the very one ``report --intervals`` prints."""
    from data_access.registry import FIGURES
    from data_access.report import report_rows
    from data_access.snapshots import open_snapshot

    snapshot = open_snapshot(demo_root / SNAPSHOT_DATE)
    schools = build_story(snapshot, Filters(period=academic_year(2025)), role, public=public).schools
    intervals = schools.intervals_shown()
    assert intervals is not None
    rates = [n for n in schools.table.figures if FIGURES[n].kind in ("rate", "percentage")]
    assert intervals.columns == ["ID", "School", *(FIGURES[n].short_label for n in rates)]
    report = report_rows(demo_root / SNAPSHOT_DATE, date(2025, 8, 1), date(2026, 7, 31), [],
                         role if not public else "councillor", intervals=True)  # fmt: skip
    assert intervals.height == len(report["rows"])
    seen = {"c": 0, "interval": 0}
    for shown, row in zip(intervals.iter_rows(named=True), report["rows"], strict=True):
        assert shown["ID"] == row["school_id"]
        for name in rates:
            cell = shown[FIGURES[name].short_label]
            if row[name] == "c":
                assert cell == "c"
                seen["c"] += 1
            elif row[f"{name}_low"] is None:
                assert cell == "–"
            else:
                assert cell == f"{row[f'{name}_low']:.1f} to {row[f'{name}_high']:.1f}", (
                    row["school_id"],
                    name,
                )
                seen["interval"] += 1
    assert seen["interval"] > 10 and (seen["c"] > 0) == public, seen


def test_the_schools_screen_opens_its_table_of_intervals(demo_env: Snapshot) -> None:
    at = open_page("presentation", "allchild", query={"period": "2025-26", "screen": "6"})
    assert not at.exception, at.exception
    tables = len(at.table)
    at.button(key="present_intervals").click().run()
    assert not at.exception, at.exception
    assert len(at.table) == tables + 1, "the dialog shows the table of intervals"
    shown = at.table[-1].value
    assert shown.columns[0] == "School" and "Attendance %" in shown.columns
    # st.table renders Markdown, so the shown text is escaped ("49\\.1"): compare what a person reads.
    read = [v.replace("\\", "") for v in shown["Attendance %"]]
    assert all(re.fullmatch(r"\d+\.\d to \d+\.\d|c|–", v) for v in read), read
