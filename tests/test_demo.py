"""The demo snapshot: complete, contract-shaped, deterministic, and realistic enough to show the programme."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from data_access.cli import main
from data_access.contract import (
    ALL_CODES,
    MANIFEST_NAME,
    MEASURES,
    POSSIBLE_CODES,
    PRESENT_CODES,
    TABLE_FILES,
    TABLES,
    arrow_schema,
)
from data_access.demo import easter_sunday, school_days, write_demo_snapshot

SNAPSHOT_DATE = "2026-11-20"
AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The board-sized demo (250 children), written once for the module."""
    return write_demo_snapshot(tmp_path_factory.mktemp("demo"), children=250)


def read(folder: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(folder / TABLE_FILES[table])


def manifest(folder: Path) -> dict[str, dict[str, object]]:
    files: dict[str, dict[str, object]] = json.loads((folder / MANIFEST_NAME).read_text())["files"]
    return files


def test_writes_every_file_with_the_contract_schema_and_a_matching_manifest(demo: Path) -> None:
    assert demo.name == SNAPSHOT_DATE
    assert sorted(p.name for p in demo.iterdir()) == sorted([*TABLE_FILES.values(), MANIFEST_NAME])
    files = manifest(demo)
    for table, file_name in TABLE_FILES.items():
        assert pq.read_schema(demo / file_name).equals(arrow_schema(table), check_metadata=False), table
        assert files[file_name]["rows"] == pq.ParquetFile(demo / file_name).metadata.num_rows
        assert files[file_name]["rows"] > 0, table
    assert json.loads((demo / MANIFEST_NAME).read_text())["snapshot_date"] == SNAPSHOT_DATE


def test_leaves_no_staging_folder_behind(demo: Path) -> None:
    assert [p.name for p in demo.parent.iterdir()] == [SNAPSHOT_DATE]


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    first = manifest(write_demo_snapshot(tmp_path / "a", children=60, seed=7))
    again = manifest(write_demo_snapshot(tmp_path / "b", children=60, seed=7))
    other = manifest(write_demo_snapshot(tmp_path / "c", children=60, seed=8))
    assert first == again
    assert first["attendance.parquet"]["sha256"] != other["attendance.parquet"]["sha256"]
    assert first["children.parquet"]["sha256"] != other["children.parquet"]["sha256"]


def test_refuses_to_overwrite_an_existing_snapshot(demo: Path) -> None:
    before = manifest(demo)
    with pytest.raises(FileExistsError, match="already exists"):
        write_demo_snapshot(demo.parent, children=60)
    assert manifest(demo) == before
    assert [p.name for p in demo.parent.iterdir()] == [SNAPSHOT_DATE]


def test_rejects_no_children_and_a_date_before_the_programme(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        write_demo_snapshot(tmp_path, children=0)
    with pytest.raises(ValueError, match="September 2024"):
        write_demo_snapshot(tmp_path, children=10, snapshot_date="2024-06-01")
    assert not any(tmp_path.iterdir())


def test_command_line_writes_the_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", str(tmp_path), "--children", "20", "--snapshot-date", "2026-03-02"]) == 0
    assert (tmp_path / "2026-03-02" / MANIFEST_NAME).is_file()
    assert "demo snapshot written" in capsys.readouterr().out


def test_seven_fictional_schools_in_three_townships_with_a_small_one(demo: Path) -> None:
    schools = read(demo, "schools")
    assert schools["school_id"].to_list() == [f"S0{n}" for n in range(1, 8)]
    assert set(schools["township"]) == {"Leigh", "Atherton", "Tyldesley"}
    assert {"primary", "secondary"} <= set(schools["phase"])
    assert all("Demo" in name and "fictional" in name for name in schools["school_name"])
    sizes = read(demo, "children")["school_id"].value_counts()
    assert sizes["count"].min() < 10 <= sizes["count"].max()


def test_children_are_pseudonymous_and_look_like_an_at_risk_cohort(demo: Path) -> None:
    children = read(demo, "children")
    assert children.height == 250
    assert all(re.fullmatch(r"C\d{6}", child_id) for child_id in children["child_id"])
    assert children["child_id"].is_unique().all()
    assert 0.45 <= children["fsm_eligible"].mean() <= 0.75  # type: ignore[operator]
    sen = children["sen_provision"].value_counts(normalize=True)
    assert set(sen["sen_provision"]) == {"none", "sen_support", "ehcp"}
    assert set(children["sex"]) <= {"female", "male", "not recorded"}
    phases = children.join(read(demo, "schools"), on="school_id")
    assert phases.filter(pl.col("phase") == "primary")["year_group"].max() <= 6  # type: ignore[operator]
    assert phases.filter(pl.col("phase") == "secondary")["year_group"].min() >= 7  # type: ignore[operator]


def test_programme_timeline_is_consistent(demo: Path) -> None:
    children = read(demo, "children")
    assert children["exit_date"].is_null().to_list() == children["exit_reason"].is_null().to_list()
    assert 0 < children["enrolled_date"].is_null().sum() < 0.12 * children.height
    enrolled = children.filter(pl.col("enrolled_date").is_not_null())
    assert (enrolled["enrolled_date"] >= enrolled["identified_date"]).all()
    exited = children.filter(pl.col("exit_date").is_not_null())
    assert (exited["exit_date"] >= exited["enrolled_date"]).all()
    assert (
        children.filter(pl.col("enrolled_date").is_null())["exit_date"].null_count()
        == children["enrolled_date"].null_count()
    )
    assert {"completed", "moved_school"} <= set(exited["exit_reason"])
    assert children["identified_date"].min() >= date(2024, 9, 1)  # type: ignore[operator]


def test_nothing_is_dated_after_the_snapshot(demo: Path) -> None:
    for table, columns in TABLES.items():
        frame = read(demo, table)
        for column in columns:
            if column.type_name == "date32":
                latest = frame[column.name].max()
                assert latest is None or latest <= AS_OF, (table, column.name)  # type: ignore[operator]


def test_attendance_rows_are_valid_sessions_on_school_days(demo: Path) -> None:
    attendance = read(demo, "attendance")
    assert (attendance["date"].dt.weekday() <= 5).all()
    assert not attendance.select(["child_id", "date", "session"]).is_duplicated().any()
    assert set(attendance["session"]) == {"AM", "PM"}
    assert set(attendance["code"]) <= set(ALL_CODES)
    assert set(attendance["child_id"]) <= set(read(demo, "children")["child_id"])
    assert attendance.select(["child_id", "date"]).equals(
        attendance.select(["child_id", "date"]).sort(["child_id", "date"])
    )
    assert date(2025, 12, 25) not in set(attendance["date"])


def attendance_by_child(attendance: pl.DataFrame) -> pl.DataFrame:
    """Possible and present sessions per child, and whether the child is persistently absent."""
    return (
        attendance.group_by("child_id")
        .agg(
            possible=pl.col("code").is_in(POSSIBLE_CODES).sum(),
            present=pl.col("code").is_in(PRESENT_CODES).sum(),
        )
        .filter(pl.col("possible") > 0)
        .with_columns(persistent=(pl.col("possible") - pl.col("present")) / pl.col("possible") >= 0.1)
    )


def test_baseline_absence_is_high_and_attendance_improves_after_enrolment(demo: Path) -> None:
    children = read(demo, "children").filter(pl.col("enrolled_date").is_not_null())
    academic_year = pl.col("date").dt.year() - (pl.col("date").dt.month() < 8).cast(pl.Int32)
    enrolment_year = pl.col("enrolled_date").dt.year() - (pl.col("enrolled_date").dt.month() < 8).cast(
        pl.Int32
    )
    attendance = read(demo, "attendance").join(children, on="child_id")
    baseline = attendance_by_child(attendance.filter(academic_year == enrolment_year - 1))
    on_programme = attendance_by_child(attendance.filter(pl.col("date") >= pl.col("enrolled_date")))
    assert baseline.height > 0.9 * children.height
    assert baseline["persistent"].mean() >= 0.40  # type: ignore[operator]
    baseline_rate = baseline["present"].sum() / baseline["possible"].sum()
    programme_rate = on_programme["present"].sum() / on_programme["possible"].sum()
    assert 0.80 <= baseline_rate <= 0.90
    assert programme_rate > baseline_rate + 0.015
    assert on_programme["persistent"].mean() < baseline["persistent"].mean() - 0.08  # type: ignore[operator]


def test_referrals_suspensions_and_assessments_look_like_the_programme(demo: Path) -> None:
    referrals = read(demo, "referrals")
    reasons = referrals["reason"].value_counts().sort("count", descending=True)
    assert reasons["reason"][0] == "mental_health"
    assert referrals["referral_id"].is_unique().all()
    suspensions = read(demo, "suspensions")
    assert (suspensions["sessions"] >= 1).all()
    assert suspensions["event_id"].is_unique().all()
    assessments = read(demo, "assessments")
    assert set(assessments["wave"]) == {"baseline", "review", "exit"}
    for name, measure in MEASURES.items():
        scores = assessments.filter(pl.col("measure") == name)["score"]
        assert scores.len() > 0 and measure.low <= scores.min() and scores.max() <= measure.high  # type: ignore[operator]
    sdq = assessments.filter(pl.col("measure") == "sdq_total")
    first = (
        sdq.filter(pl.col("wave") == "baseline")
        .group_by("child_id")
        .agg(pl.col("score").first().alias("base"))
    )
    last = (
        sdq.sort("assessment_date").group_by("child_id").agg(pl.col("score").last().alias("latest"), pl.len())
    )
    paired = first.join(last.filter(pl.col("len") > 1), on="child_id")
    assert 14 <= sdq.filter(pl.col("wave") == "baseline")["score"].mean() <= 20  # type: ignore[operator]
    assert (paired["latest"] - paired["base"]).mean() < -1.5  # type: ignore[operator]


def test_calendar_follows_easter_and_the_holidays() -> None:
    assert [easter_sunday(y) for y in (2024, 2025, 2026)] == [
        date(2024, 3, 31),
        date(2025, 4, 20),
        date(2026, 4, 5),
    ]
    days = set(school_days(date(2025, 8, 1), date(2026, 7, 31)))
    assert all(day.weekday() < 5 for day in days)
    assert 180 <= len(days) <= 200
    for holiday in (
        date(2025, 8, 20),
        date(2025, 10, 29),
        date(2025, 12, 25),
        date(2026, 4, 3),
        date(2026, 4, 6),
    ):
        assert holiday not in days
    assert date(2025, 9, 3) in days and date(2026, 1, 5) in days


def test_the_demo_snapshot_passes_validation(demo: Path) -> None:
    validate = pytest.importorskip("data_access.validate")
    result = validate.validate_snapshot(demo)
    assert result.ok, result.format()


def test_manifest_marks_the_snapshot_as_demo_data(demo: Path) -> None:
    manifest = json.loads((demo / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["demo"] is True
