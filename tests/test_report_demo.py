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
from data_access.rounding import round_half_away

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


def test_protected_roles_never_show_one_to_four_and_stay_within_three_of_the_exact_figures(
    demo: Path,
) -> None:
    """Contract section 6, rules 3-4 on the demo: a published count is 0, ``c`` or at least 5, within 3 of the
    exact count; a true 0 stays 0; councillor and commissioner see the same values; rates are computed from
    the published counts (children-based percentages from the published numerator and denominator)."""
    reports = {}
    for role in ROLES:
        result = run_report(demo, "--from", "2025-08-01", "--to", "2026-07-31", "--role", role)
        assert result.returncode == 0, result.stderr
        reports[role] = json.loads(result.stdout)
    assert reports["allchild"]["rows"] == reports["admin"]["rows"]
    assert reports["councillor"]["rows"] == reports["commissioner"]["rows"]
    assert reports["allchild"]["disclosure_control"] == {"method": "none"}
    assert reports["councillor"]["disclosure_control"] == {
        "method": "cell key perturbation", "max_noise": 3, "threshold": 10,
    }  # fmt: skip
    assert reports["councillor"]["complete"] is True
    hidden = changed = 0
    exact = {r["school_id"]: r for r in reports["allchild"]["rows"]}
    for row in reports["councillor"]["rows"]:
        true = exact[row["school_id"]]
        for column in COUNTS:
            value = row[column]
            if true[column] == 0:
                assert value == 0
            elif value == "c":
                hidden += 1
                assert true[column] <= 7  # c: published below 5, true count at most 4 + 3
            else:
                assert value >= 5 and abs(value - true[column]) <= 3
                changed += value != true[column]
        # the attendance rate comes from exact sessions, shown where published children in scope is ≥ 10
        if row["children"] != "c" and row["children"] >= 10:
            assert row["attendance_rate"] == true["attendance_rate"]
        else:
            assert row["attendance_rate"] in ("c", None)
        if isinstance(row["mental_health_referrals_per_100"], float):
            assert isinstance(row["mental_health_referrals"], int) and isinstance(row["children"], int)
            expected = round_half_away(row["mental_health_referrals"], row["children"])
            assert row["mental_health_referrals_per_100"] == expected
    assert hidden > 0, "the demo's small school should make some counts hidden for councillors"
    assert changed > 0, "perturbation should move some counts"


def test_report_for_listed_schools_and_a_term(demo: Path) -> None:
    result = run_report(
        demo,
        "--from",
        "2026-01-01",
        "--to",
        "2026-04-05",
        "--school",
        "S03",
        "--school",
        "S01",
        "--role",
        "admin",
    )
    assert result.returncode == 0, result.stderr
    assert [row["school_id"] for row in json.loads(result.stdout)["rows"]] == ["S01", "S03", "all"]


def test_one_school_and_its_all_row_publish_the_same_values(demo: Path) -> None:
    """Consistency (section 6, rule 2): the same records give the same published values — a one-school
    report's school row and its ``all`` row, and that school's row in the all-schools report."""
    one = json.loads(run_report(demo, "--from", "2025-08-01", "--to", "2026-07-31", "--school", "S07").stdout)
    every = json.loads(run_report(demo, "--from", "2025-08-01", "--to", "2026-07-31").stdout)
    school, total = one["rows"]
    assert {**school, "school_id": "all"} == total
    assert school == next(r for r in every["rows"] if r["school_id"] == "S07")


def test_filters_and_the_period_not_over(demo: Path) -> None:
    """--sex/--fsm/--sen/--year-group select children as the sidebar does; a year not over is reported to the
    last month end for protected roles and marked incomplete."""
    female = json.loads(run_report(demo, "--from", "2025-08-01", "--to", "2026-07-31", "--role", "admin",
                                   "--sex", "female").stdout)  # fmt: skip
    male = json.loads(run_report(demo, "--from", "2025-08-01", "--to", "2026-07-31", "--role", "admin",
                                 "--sex", "male").stdout)  # fmt: skip
    other = json.loads(run_report(demo, "--from", "2025-08-01", "--to", "2026-07-31", "--role", "admin",
                                  "--sex", "not_recorded").stdout)  # fmt: skip
    everyone = json.loads(
        run_report(demo, "--from", "2025-08-01", "--to", "2026-07-31", "--role", "admin").stdout
    )
    assert (
        female["rows"][-1]["children"] + male["rows"][-1]["children"] + other["rows"][-1]["children"]
        == everyone["rows"][-1]["children"]
    )
    now = run_report(demo, "--from", "2026-08-01", "--to", "2027-07-31", "--fsm", "yes")
    assert now.returncode == 0, now.stderr
    data = json.loads(now.stdout)
    assert data["complete"] is False and data["to"] == "2027-07-31"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "2025-10-01", "--to", "2026-07-31"), "not an academic year or a term"),
        (
            ("--from", "2025-08-01", "--to", "2026-07-31", "--school", "S01", "--school", "S07"),
            "one whole township",
        ),
        (("--from", "2025-08-01", "--to", "2026-07-31", "--sex", "female", "--fsm", "yes"), "at most one"),
        (
            ("--from", "2025-08-01", "--to", "2026-07-31", "--year-group", "7", "--year-group", "8"),
            "at most one",
        ),
    ],
)
def test_rule_6_refusals_exit_2_with_a_clear_message(demo: Path, args: tuple[str, ...], says: str) -> None:
    for role in ("councillor", "commissioner"):
        result = run_report(demo, *args, "--role", role)
        assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr
        assert result.stdout == ""
    assert run_report(demo, *args, "--role", "allchild").returncode == 0


def test_refused_snapshot_and_bad_arguments_exit_2_with_a_message(demo: Path, tmp_path: Path) -> None:
    bad = run_report(demo, "--from", "2026-13-01", "--to", "2026-07-31")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr
    missing = run_report(tmp_path / "nowhere", "--from", "2025-08-01", "--to", "2026-07-31")
    assert missing.returncode == 2 and "refused" in missing.stderr and "Traceback" not in missing.stderr
