"""Consistency of the cell key method (contract section 6, rule 2) across the integrated outputs.

The same set of records must give the same published value wherever it appears: a school's row in the
all-schools table, in its township's table and alone; a one-school table's school row and its ``all`` row;
the same cell on two pages; two reruns; two processes. On the demo snapshot, in demo mode (the demo key).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from data_access import views
from data_access.filters import Filters
from data_access.periods import academic_year, terms_of_year
from data_access.snapshots import Snapshot, forget_cached, open_snapshot

ROOT = Path(__file__).resolve().parent.parent
YEAR = academic_year(2025)
COUNTS = ("children", "mental_health_referrals", "suspensions", "permanent_exclusions")


@pytest.fixture
def demo(demo_root: Path, monkeypatch: pytest.MonkeyPatch) -> Snapshot:
    monkeypatch.setenv("IMPACT_ENV", "demo")
    return open_snapshot(demo_root / "2026-11-20")


def _row(table: views.FigureTable, school_id: str) -> dict[str, object]:
    return next(r for r in table.rows() if r["school_id"] == school_id)


@pytest.mark.parametrize("filters", [Filters(period=YEAR), Filters(period=YEAR, sexes=("female",))])
def test_a_school_publishes_the_same_row_in_every_table(demo: Snapshot, filters: Filters) -> None:
    townships = views.townships_of(demo)
    every = views.board_table(demo, filters, "councillor")
    for township, ids in townships.items():
        table = views.board_table(demo, filters.with_schools(ids), "commissioner")
        for school_id in ids:
            alone = views.board_table(demo, filters.with_schools([school_id]), "councillor").rows()
            assert _row(table, school_id) == _row(every, school_id) == alone[0], (township, school_id)
            assert {**alone[1], "school_id": school_id} == alone[0]  # its all row: the same records


def test_the_same_cell_on_two_pages_is_the_same(demo: Snapshot) -> None:
    filters = Filters(period=YEAR)
    total = _row(views.board_table(demo, filters, "councillor"), "all")
    mh = _row(views.mental_health_by_school(demo, filters, "councillor"), "all")
    suspensions = _row(views.suspensions_by_school(demo, filters, "councillor"), "all")
    by_year = views.by_period(demo, filters, "councillor", [YEAR]).rows()[0]
    year_on_year = views.mental_health_year_on_year(demo, filters, "councillor").rows()[-1]
    by_sex = views.children_by(demo, filters, "councillor", "sex").rows()[-1]
    assert total["children"] == mh["children"] == suspensions["children"] == by_year["children"]
    assert total["children"] == year_on_year["children"] == by_sex["children"]
    assert (
        total["mental_health_referrals"]
        == mh["mental_health_referrals"]
        == by_year["mental_health_referrals"]
    )
    assert total["mental_health_referrals_per_100"] == year_on_year["mental_health_referrals_per_100"]
    assert total["suspensions"] == suspensions["suspensions"] == by_year["suspensions"]
    # the public board paper (any role, public=True) publishes what councillors see
    assert (
        views.board_table(demo, filters, "admin", public=True).rows()
        == views.board_table(demo, filters, "councillor").rows()
    )
    # a term's row in the by-term series is the board table for that term
    for term in terms_of_year(2025):
        series = views.by_period(demo, filters, "councillor", terms_of_year(2025)).rows()
        row = next(r for r in series if r["period_key"] == term.key)
        board = _row(views.board_table(demo, filters, "councillor", period=term), "all")
        assert all(row[c] == board[c] for c in COUNTS), term.label


def test_two_reruns_publish_the_same_values(demo: Snapshot, demo_root: Path) -> None:
    filters = Filters(period=YEAR, fsm=True)
    first = views.board_table(demo, filters, "councillor").rows()
    forget_cached()
    again = open_snapshot(demo_root / "2026-11-20")
    assert again is not demo
    assert views.board_table(again, filters, "councillor").rows() == first


def test_two_processes_publish_the_same_values(demo_root: Path) -> None:
    folder = demo_root / "2026-11-20"
    outputs = []
    for seed in ("1", "2"):  # different hash seeds: nothing may depend on set or dict order
        env = {**os.environ, "IMPACT_ENV": "demo", "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "data_access", "report", str(folder), "--from", "2025-08-01", "--to",
             "2026-07-31", "--sen", "sen_support"],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0]["disclosure_control"]["method"] == "cell key perturbation"
