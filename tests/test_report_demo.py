"""The ``report`` command on the demo snapshot, for every role, as a board member's analyst would run it."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from data_access.contract import ROLES

COLUMNS = [
    "school_id", "children", "attendance_rate", "persistent_absence_rate", "severe_absence_rate",
    "mental_health_referrals", "mental_health_referrals_per_100", "suspensions", "permanent_exclusions",
    "sdq_total_improved_pct",
]  # fmt: skip
COUNTS = {"children", "mental_health_referrals", "suspensions", "permanent_exclusions"}


def run_report(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "data_access", "report", str(folder), *args],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo(demo_root: Path) -> Path:
    return demo_root / "2026-11-20"


@pytest.mark.parametrize("role", ROLES)
def test_report_for_each_role_has_every_school_then_all_and_json_equals_csv(demo: Path, role: str) -> None:
    period = ["--from", "2025-08-01", "--to", "2026-07-31", "--role", role]
    result = run_report(demo, *period)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["role"] == role and data["snapshot_date"] == "2026-11-20"
    assert [row["school_id"] for row in data["rows"]] == [
        "S01",
        "S02",
        "S03",
        "S04",
        "S05",
        "S06",
        "S07",
        "all",
    ]
    assert all(list(row) == COLUMNS for row in data["rows"])
    for row in data["rows"]:
        for column in COLUMNS[1:]:
            value = row[column]
            if column in COUNTS:
                assert value == "c" or isinstance(value, int)
            else:
                assert value in ("c", None) or (isinstance(value, float) and round(value, 1) == value)
    as_csv = run_report(demo, *period, "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == COLUMNS
    for json_row, csv_row in zip(data["rows"], rows[1:], strict=True):
        assert csv_row == ["" if json_row[c] is None else str(json_row[c]) for c in COLUMNS]


def test_suppressed_roles_never_show_one_to_four_and_exact_roles_agree(demo: Path) -> None:
    reports = {}
    for role in ROLES:
        result = run_report(demo, "--from", "2025-08-01", "--to", "2026-07-31", "--role", role)
        reports[role] = json.loads(result.stdout)["rows"]
    assert reports["allchild"] == reports["admin"]
    assert reports["councillor"] == reports["commissioner"]
    hidden = 0
    for row in reports["councillor"]:
        for column in COUNTS:
            assert row[column] == "c" or not 1 <= row[column] <= 4
            hidden += row[column] == "c"
    assert hidden > 0, "the demo's small school should make some counts hidden for councillors"
    exact = {r["school_id"]: r for r in reports["allchild"]}
    for row in reports["councillor"]:
        for column in COLUMNS[1:]:
            if row[column] != "c":
                assert row[column] == exact[row["school_id"]][column]


def test_report_for_listed_schools_and_a_term(demo: Path) -> None:
    result = run_report(
        demo, "--from", "2026-01-01", "--to", "2026-04-05", "--school", "S03", "--school", "S01"
    )
    assert result.returncode == 0, result.stderr
    assert [row["school_id"] for row in json.loads(result.stdout)["rows"]] == ["S01", "S03", "all"]


def test_refused_snapshot_and_bad_arguments_exit_2_with_a_message(demo: Path, tmp_path: Path) -> None:
    bad = run_report(demo, "--from", "2026-13-01", "--to", "2026-07-31")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr
    missing = run_report(tmp_path / "nowhere", "--from", "2025-08-01", "--to", "2026-07-31")
    assert missing.returncode == 2 and "refused" in missing.stderr and "Traceback" not in missing.stderr
