"""A second, independent implementation: DuckDB SQL over the raw Parquet gives the same raw board counts.

``benchmarks/duckdb_board.py`` reads contract section 4 afresh (no code shared with ``data_access.figures``
beyond the code lists); its numerators and denominators must equal ours for every school and the total,
for an academic year, a census term and a custom range that starts and ends mid-week.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from benchmarks.duckdb_board import BOARD_COUNTS, board_counts
from data_access.demo import write_demo_snapshot
from data_access.figures import board_raw
from data_access.filters import Filters
from data_access.periods import academic_year, custom, term_period
from data_access.snapshots import Snapshot, forget_cached, open_snapshot

PERIODS = {
    "academic year 2025/26": academic_year(2025),
    "spring term 2025/26": term_period(2025, "spring"),
    "custom, Wednesday to Thursday": custom(date(2025, 10, 8), date(2026, 2, 12)),
}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    root = tmp_path_factory.mktemp("parity")
    folder = write_demo_snapshot(root, children=300, snapshot_date="2026-11-20")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IMPACT_STATE_DIR", str(root / "state"))  # keep the validated marker out of data/
        forget_cached()
        yield open_snapshot(folder)
        forget_cached()


def _ours(snapshot: Snapshot, filters: Filters) -> list[dict[str, object]]:
    return board_raw(snapshot, filters).select("school_id", *BOARD_COUNTS).to_dicts()


@pytest.mark.parametrize("name", list(PERIODS))
def test_every_school_and_the_total_agree(snapshot: Snapshot, name: str) -> None:
    period = PERIODS[name]
    ours = _ours(snapshot, Filters(period=period))
    theirs = board_counts(Path(snapshot.folder), period.start, period.end)
    assert [r["school_id"] for r in ours] == [r["school_id"] for r in theirs]
    assert ours[-1]["school_id"] == "all" and ours[-1]["children"] > 0
    assert ours == theirs


@pytest.mark.parametrize("name", list(PERIODS))
def test_a_subset_of_schools_agrees(snapshot: Snapshot, name: str) -> None:
    period = PERIODS[name]
    schools = ("S02", "S05", "S07")
    ours = _ours(snapshot, Filters(period=period, schools=schools))
    theirs = board_counts(Path(snapshot.folder), period.start, period.end, schools)
    assert [r["school_id"] for r in ours] == [*schools, "all"]
    assert ours == theirs
