"""Behaviour of the snapshot validator: every rule of the contract refused, named and exemplified."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from builders import child, make_snapshot, school, sessions, write_table

from data_access.contract import TABLE_FILES, arrow_schema
from data_access.manifest import sha256_of, write_manifest
from data_access.validate import Problem, ValidationResult, validate_snapshot

ROOT = Path(__file__).resolve().parent.parent


def _rows(**tables: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The rows of a small valid snapshot, with some tables replaced."""
    base: dict[str, list[dict[str, Any]]] = {
        "schools": [school("S01"), school("S02", phase="secondary", township="Wigan")],
        "children": [
            child("C001"),
            child("C002", school_id="S02", year_group=0, enrolled_date=None),
            child("C003", year_group=13, exit_date=date(2025, 7, 18), exit_reason="completed"),
        ],
        "attendance": sessions("C001", date(2025, 9, 1), ["/", "/", "N", "L"])
        + sessions("C003", date(2025, 9, 5), ["#", "Y1"]),
        "referrals": [
            {
                "referral_id": "R1",
                "child_id": "C001",
                "referral_date": date(2025, 1, 6),
                "service": "camhs",
                "reason": "mental_health",
            }
        ],
        "suspensions": [
            {
                "event_id": "E1",
                "child_id": "C003",
                "start_date": date(2025, 2, 3),
                "kind": "suspension",
                "sessions": 1,
            }
        ],
        "assessments": [
            {
                "child_id": "C001",
                "assessment_date": date(2024, 9, 10),
                "wave": "baseline",
                "measure": "sdq_total",
                "score": 40.0,
            },
            {
                "child_id": "C001",
                "assessment_date": date(2025, 3, 10),
                "wave": "review",
                "measure": "wellbeing",
                "score": 12.0,
            },
        ],
    }
    base.update(tables)
    return base


def snapshot(tmp_path: Path, **tables: list[dict[str, Any]]) -> Path:
    """A small valid snapshot under ``tmp_path``, with the tables given replacing the defaults."""
    return make_snapshot(tmp_path, **_rows(**tables))


def loose_schema(table: str, **types: pa.DataType) -> pa.Schema:
    """The contract's schema with every column nullable (so nulls can be written) and some types changed."""
    return pa.schema(
        [pa.field(f.name, types.get(f.name, f.type), nullable=True) for f in arrow_schema(table)]
    )


def rewrite(folder: Path, table: str, rows: list[dict[str, Any]], schema: pa.Schema | None = None) -> None:
    """Replace one table and rewrite the manifest, so only the table's content is wrong."""
    write_table(folder, table, rows, schema or loose_schema(table))
    write_manifest(folder, folder.name)


def edit_manifest(folder: Path, **changes: Any) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def the_problem(result: ValidationResult, rule: str, file: str, column: str | None = None) -> Problem:
    """The one problem with this rule, file and column; also checks that format() names them."""
    found = [p for p in result.problems if p.rule == rule and p.file == file and p.column == column]
    assert len(found) == 1, result.format()
    assert not result.ok
    text = result.format()
    assert text.startswith(f"REFUSED: {result.snapshot_dir}: ")
    assert f"[{rule}] {file}" in text
    if column is not None:
        assert f"column {column}" in text
    json.dumps(result.to_dict())  # always JSON-friendly
    return found[0]


def the_row_problem(result: ValidationResult, rule: str, file: str, column: str, count: int) -> Problem:
    """A row-level problem: its count is right and its examples, shown in format(), name the column."""
    problem = the_problem(result, rule, file, column)
    assert problem.count == count, problem
    assert 1 <= len(problem.examples) <= 5
    assert all("row" in example for example in problem.examples)
    first_key = column.strip("()").split(",")[0]
    assert all(first_key in example for example in problem.examples)
    assert f"{problem.count} row" in result.format()
    assert json.dumps(problem.examples[0]["row"]) in result.format()
    return problem


# --- valid snapshots --------------------------------------------------------------------------------


def test_a_valid_snapshot_passes(tmp_path: Path) -> None:
    result = validate_snapshot(snapshot(tmp_path))
    assert result.ok, result.format()
    assert result.problems == ()
    assert result.snapshot_date == "2026-11-20"
    assert result.format() == f"VALID: {tmp_path / '2026-11-20'} (snapshot 2026-11-20)"
    assert result.to_dict() == {
        "snapshot_dir": str(tmp_path / "2026-11-20"),
        "snapshot_date": "2026-11-20",
        "ok": True,
        "problems": [],
    }


def test_an_empty_snapshot_with_one_school_passes(tmp_path: Path) -> None:
    assert validate_snapshot(make_snapshot(tmp_path)).ok


def test_large_string_and_string_view_columns_are_strings(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()
    rewrite(folder, "schools", rows["schools"], loose_schema("schools", school_id=pa.large_string()))
    rewrite(folder, "children", rows["children"], loose_schema("children", child_id=pa.string_view()))
    result = validate_snapshot(folder)
    assert result.ok, result.format()


def test_extra_optional_columns_are_welcome(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = [{**row, "note": "extra"} for row in _rows()["schools"]]
    rewrite(folder, "schools", rows, loose_schema("schools").append(pa.field("note", pa.string())))
    assert validate_snapshot(folder).ok


# --- manifest and files -------------------------------------------------------------------------------


def test_missing_folder(tmp_path: Path) -> None:
    result = validate_snapshot(tmp_path / "nowhere")
    the_problem(result, "manifest-missing", "manifest.json")


def test_missing_manifest(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    (folder / "manifest.json").unlink()
    result = validate_snapshot(folder)
    the_problem(result, "manifest-missing", "manifest.json")
    assert result.snapshot_date is None
    assert len(result.problems) == 1  # the tables themselves are still checked, and are fine


def test_manifest_that_is_not_json(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    (folder / "manifest.json").write_text('{"schema_version": "1", ')
    the_problem(validate_snapshot(folder), "manifest-invalid", "manifest.json")


def test_manifest_that_is_not_an_object(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    (folder / "manifest.json").write_text("[1, 2]")
    the_problem(validate_snapshot(folder), "manifest-invalid", "manifest.json")


def test_manifest_without_a_files_object(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    edit_manifest(folder, files=["children.parquet"])
    the_problem(validate_snapshot(folder), "manifest-invalid", "manifest.json", "files")


def test_manifest_entry_without_rows_or_checksum(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["children.parquet"] = {"rows": "three"}
    edit_manifest(folder, files=manifest["files"])
    the_problem(validate_snapshot(folder), "manifest-invalid", "manifest.json", "files.children.parquet")


def test_manifest_may_not_point_outside_the_folder(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["../secret.parquet"] = {"rows": 1, "sha256": "0" * 64}
    edit_manifest(folder, files=manifest["files"])
    the_problem(validate_snapshot(folder), "manifest-invalid", "manifest.json", "files")


def test_wrong_schema_version(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    edit_manifest(folder, schema_version=2)
    problem = the_problem(validate_snapshot(folder), "schema-version", "manifest.json", "schema_version")
    assert '"1"' in problem.message


@pytest.mark.parametrize("value", ["20-11-2026", "2026-02-30", None, 20261120])
def test_snapshot_date_not_an_iso_date(tmp_path: Path, value: object) -> None:
    folder = snapshot(tmp_path)
    edit_manifest(folder, snapshot_date=value)
    result = validate_snapshot(folder)
    the_problem(result, "snapshot-date", "manifest.json", "snapshot_date")
    assert result.snapshot_date is None


def test_snapshot_date_must_match_a_dated_folder(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    edit_manifest(folder, snapshot_date="2026-11-21")
    problem = the_problem(validate_snapshot(folder), "snapshot-date", "manifest.json", "snapshot_date")
    assert "2026-11-21" in problem.message and "2026-11-20" in problem.message


def test_snapshot_date_need_not_match_an_undated_folder(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    staged = folder.rename(tmp_path / "incoming")
    assert validate_snapshot(staged).ok


def test_missing_file(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    (folder / "referrals.parquet").unlink()
    result = validate_snapshot(folder)
    the_problem(result, "file-missing", "referrals.parquet")
    assert len(result.problems) == 1


def test_listed_extra_file_must_exist(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["notes.parquet"] = {"rows": 1, "sha256": "0" * 64}
    edit_manifest(folder, files=manifest["files"])
    the_problem(validate_snapshot(folder), "file-missing", "notes.parquet")


def test_required_file_not_listed(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["files"]["suspensions.parquet"]
    edit_manifest(folder, files=manifest["files"])
    result = validate_snapshot(folder)
    the_problem(result, "file-unlisted", "suspensions.parquet")
    assert len(result.problems) == 1


def test_checksum_mismatch(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["children.parquet"]["sha256"] = "0" * 64
    edit_manifest(folder, files=manifest["files"])
    result = validate_snapshot(folder)
    problem = the_problem(result, "checksum", "children.parquet")
    assert problem.count == 0 and problem.examples == ()
    assert len(result.problems) == 1


def test_row_count_mismatch(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["attendance.parquet"]["rows"] = 7
    edit_manifest(folder, files=manifest["files"])
    result = validate_snapshot(folder)
    problem = the_problem(result, "row-count", "attendance.parquet")
    assert "7" in problem.message and "6" in problem.message
    assert len(result.problems) == 1


def _cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_truncated_file_with_its_checksum_rewritten(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    _cut_in_half(folder / "children.parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["children.parquet"]["sha256"] = sha256_of(folder / "children.parquet")
    edit_manifest(folder, files=manifest["files"])
    result = validate_snapshot(folder)
    the_problem(result, "unreadable", "children.parquet")
    assert [p.rule for p in result.problems] == ["unreadable"]  # the other tables are checked and fine


def test_truncated_file_without_rewriting_the_manifest(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    _cut_in_half(folder / "attendance.parquet")
    result = validate_snapshot(folder)
    the_problem(result, "unreadable", "attendance.parquet")
    the_problem(result, "checksum", "attendance.parquet")
    assert len(result.problems) == 2


def test_garbage_in_the_middle_of_a_file_never_raises(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    path = folder / "attendance.parquet"
    data = bytearray(path.read_bytes())
    data[4 : len(data) // 2] = b"\xff" * (len(data) // 2 - 4)
    path.write_bytes(bytes(data))
    result = validate_snapshot(folder)
    the_problem(result, "unreadable", "attendance.parquet")  # found while scanning the pages
    the_problem(result, "checksum", "attendance.parquet")


def test_a_file_that_is_not_parquet_at_all(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    (folder / "schools.parquet").write_text("school_id,school_name\nS01,Test\n")
    write_manifest_checksum = json.loads((folder / "manifest.json").read_text())
    write_manifest_checksum["files"]["schools.parquet"]["sha256"] = sha256_of(folder / "schools.parquet")
    edit_manifest(folder, files=write_manifest_checksum["files"])
    result = validate_snapshot(folder)
    the_problem(result, "unreadable", "schools.parquet")
    # children still checked; without schools their school_id reference cannot be, and is not, reported
    assert [p.rule for p in result.problems] == ["unreadable"]


# --- columns -----------------------------------------------------------------------------------------


def test_missing_column(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    schema = loose_schema("suspensions")
    schema = schema.remove(schema.get_field_index("kind"))
    rows = [{k: v for k, v in row.items() if k != "kind"} for row in _rows()["suspensions"]]
    rewrite(folder, "suspensions", rows, schema)
    problem = the_problem(validate_snapshot(folder), "missing-column", "suspensions.parquet", "kind")
    assert problem.count == 0


def test_wrong_type(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rewrite(folder, "children", _rows()["children"], loose_schema("children", year_group=pa.int64()))
    problem = the_problem(validate_snapshot(folder), "wrong-type", "children.parquet", "year_group")
    assert "int8" in problem.message and "int64" in problem.message


def test_a_missing_or_mistyped_column_skips_only_its_own_checks(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()["children"]
    rows[0] = {**rows[0], "year_group": 99, "sex": "unknown"}
    rows = [{**row, "identified_date": row["identified_date"].isoformat()} for row in rows]
    schema = loose_schema("children", identified_date=pa.string())
    schema = schema.remove(schema.get_field_index("exit_date"))
    rewrite(folder, "children", [{k: v for k, v in r.items() if k != "exit_date"} for r in rows], schema)
    result = validate_snapshot(folder)
    the_problem(result, "missing-column", "children.parquet", "exit_date")
    the_problem(result, "wrong-type", "children.parquet", "identified_date")
    the_row_problem(result, "out-of-range", "children.parquet", "year_group", 1)
    the_row_problem(result, "unknown-value", "children.parquet", "sex", 1)
    # the date order and exit-reason rules need exit_date / identified_date, so they are skipped
    assert {p.rule for p in result.problems} == {
        "missing-column",
        "wrong-type",
        "out-of-range",
        "unknown-value",
    }


# --- rows ---------------------------------------------------------------------------------------------


def test_null_value(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()["children"]
    rows[1] = {**rows[1], "sex": None}
    rewrite(folder, "children", rows)
    problem = the_row_problem(validate_snapshot(folder), "null-value", "children.parquet", "sex", 1)
    assert problem.examples == ({"row": 2, "child_id": "C002", "sex": None},)


def test_nullable_columns_may_be_null(tmp_path: Path) -> None:
    assert validate_snapshot(snapshot(tmp_path)).ok  # C002 has no enrolled_date, two have no exit


def test_empty_value(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rewrite(folder, "schools", [school("S01"), school("S02", school_name="  ")])
    problem = the_row_problem(validate_snapshot(folder), "empty-value", "schools.parquet", "school_name", 1)
    assert problem.examples[0]["school_id"] == "S02"


def test_empty_child_id(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rewrite(folder, "children", [*_rows()["children"], child("")])
    the_row_problem(validate_snapshot(folder), "empty-value", "children.parquet", "child_id", 1)


def test_unknown_attendance_code(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = sessions("C001", date(2025, 9, 1), ["/", "ZZ", "/", "present"])
    rewrite(folder, "attendance", rows)
    problem = the_row_problem(validate_snapshot(folder), "unknown-value", "attendance.parquet", "code", 2)
    assert [e["code"] for e in problem.examples] == ["ZZ", "present"]
    assert problem.examples[0] == {
        "row": 2,
        "child_id": "C001",
        "date": "2025-09-01",
        "session": "PM",
        "code": "ZZ",
    }


def test_unknown_measure(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()["assessments"]
    rows[1] = {**rows[1], "measure": "iq"}
    rewrite(folder, "assessments", rows)
    the_row_problem(validate_snapshot(folder), "unknown-value", "assessments.parquet", "measure", 1)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("schools", "phase", "infant"),
        ("schools", "township", "Manchester"),
        ("children", "sen_provision", "EHCP"),
        ("children", "exit_reason", "expelled"),
        ("referrals", "service", "police"),
        ("referrals", "reason", "anxiety"),
        ("suspensions", "kind", "exclusion"),
        ("assessments", "wave", "midpoint"),
        ("attendance", "session", "EVE"),
    ],
)
def test_unknown_value(tmp_path: Path, table: str, column: str, value: str) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()[table]
    rows[-1] = {**rows[-1], column: value}
    if column == "exit_reason":
        rows[-1]["exit_date"] = date(2025, 7, 1)
    rewrite(folder, table, rows)
    result = validate_snapshot(folder)
    problem = the_row_problem(result, "unknown-value", TABLE_FILES[table], column, 1)
    assert problem.examples[0][column] == value
    assert len(result.problems) == 1, result.format()


def test_duplicate_attendance_session(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()["attendance"]
    rewrite(folder, "attendance", [*rows, {**rows[2], "code": "/"}])
    problem = the_row_problem(
        validate_snapshot(folder), "duplicate-key", "attendance.parquet", "(child_id, date, session)", 2
    )
    key = {"child_id": "C001", "date": "2025-09-02", "session": "AM"}
    assert problem.examples == ({"row": 3, **key}, {"row": 7, **key})


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("schools", "school_id"),
        ("children", "child_id"),
        ("referrals", "referral_id"),
        ("suspensions", "event_id"),
    ],
)
def test_duplicate_id(tmp_path: Path, table: str, column: str) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()[table]
    rewrite(folder, table, [*rows, rows[0], rows[0]])
    problem = the_row_problem(validate_snapshot(folder), "duplicate-key", TABLE_FILES[table], column, 3)
    n = len(rows)
    assert problem.examples == tuple({"row": row, column: rows[0][column]} for row in (1, n + 1, n + 2))


def test_orphan_child_in_attendance(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rewrite(folder, "attendance", sessions("C999", date(2025, 9, 1), ["/", "/"]))
    problem = the_row_problem(
        validate_snapshot(folder), "orphan-reference", "attendance.parquet", "child_id", 2
    )
    assert problem.examples[0]["child_id"] == "C999"


@pytest.mark.parametrize("table", ["referrals", "suspensions", "assessments"])
def test_orphan_child(tmp_path: Path, table: str) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()[table]
    rewrite(folder, table, [{**rows[0], "child_id": "NOBODY"}])
    problem = the_row_problem(
        validate_snapshot(folder), "orphan-reference", TABLE_FILES[table], "child_id", 1
    )
    assert problem.examples[0]["child_id"] == "NOBODY"


def test_orphan_school(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rewrite(folder, "children", [*_rows()["children"], child("C004", school_id="S99")])
    problem = the_row_problem(
        validate_snapshot(folder), "orphan-reference", "children.parquet", "school_id", 1
    )
    assert problem.examples == ({"row": 4, "child_id": "C004", "school_id": "S99"},)


def test_year_group_out_of_range(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = [*_rows()["children"], child("C004", year_group=14), child("C005", year_group=-1)]
    rewrite(folder, "children", rows)
    problem = the_row_problem(validate_snapshot(folder), "out-of-range", "children.parquet", "year_group", 2)
    assert "0 (Reception) to 13" in problem.message and "2 rows" in problem.message


def test_suspension_of_no_sessions(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()["suspensions"]
    rewrite(folder, "suspensions", [{**rows[0], "sessions": 0}])
    problem = the_row_problem(validate_snapshot(folder), "out-of-range", "suspensions.parquet", "sessions", 1)
    assert problem.examples[0] == {"row": 1, "event_id": "E1", "sessions": 0}


@pytest.mark.parametrize(
    ("measure", "score"),
    [("sdq_total", 41.0), ("sdq_total", -1.0), ("sdq_prosocial", 10.5), ("wellbeing", 11.0), ("maths", 0.0),
     ("reading", float("nan"))],
)  # fmt: skip
def test_score_out_of_its_measures_range(tmp_path: Path, measure: str, score: float) -> None:
    folder = snapshot(tmp_path)
    rows = _rows()["assessments"]
    rewrite(folder, "assessments", [*rows, {**rows[0], "measure": measure, "score": score}])
    result = validate_snapshot(folder)
    problem = the_row_problem(result, "out-of-range", "assessments.parquet", "score", 1)
    assert problem.examples[0]["measure"] == measure and problem.examples[0]["row"] == 3
    json.loads(json.dumps(result.to_dict(), allow_nan=False))


def test_enrolled_before_identified(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = [*_rows()["children"], child("C004", identified_date=date(2024, 9, 3))]
    rewrite(folder, "children", rows)
    problem = the_row_problem(validate_snapshot(folder), "date-order", "children.parquet", "enrolled_date", 1)
    assert problem.examples == (
        {"row": 4, "child_id": "C004", "identified_date": "2024-09-03", "enrolled_date": "2024-09-02"},
    )


def test_exit_before_enrolment_or_without_it(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = [
        *_rows()["children"],
        child("C004", exit_date=date(2024, 9, 1), exit_reason="withdrew"),
        child("C005", enrolled_date=None, exit_date=date(2025, 1, 1), exit_reason="other"),
    ]
    rewrite(folder, "children", rows)
    problem = the_row_problem(validate_snapshot(folder), "date-order", "children.parquet", "exit_date", 2)
    assert [e["child_id"] for e in problem.examples] == ["C004", "C005"]


def test_exit_reason_without_exit_date_and_exit_date_without_reason(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = [
        *_rows()["children"],
        child("C004", exit_reason="completed"),
        child("C005", exit_date=date(2025, 7, 1)),
    ]
    rewrite(folder, "children", rows)
    result = validate_snapshot(folder)
    problem = the_row_problem(result, "exit-reason-mismatch", "children.parquet", "exit_reason", 2)
    assert problem.examples[1] == {
        "row": 5,
        "child_id": "C005",
        "exit_date": "2025-07-01",
        "exit_reason": None,
    }
    assert len(result.problems) == 1


def test_attendance_at_the_weekend(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    saturday = {"child_id": "C001", "date": date(2025, 9, 6), "session": "AM", "code": "/"}
    sunday = {**saturday, "date": date(2025, 9, 7)}
    rewrite(folder, "attendance", [*_rows()["attendance"], saturday, sunday])
    problem = the_row_problem(validate_snapshot(folder), "not-weekday", "attendance.parquet", "date", 2)
    assert [e["date"] for e in problem.examples] == ["2025-09-06", "2025-09-07"]


def test_examples_stop_at_five(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    rows = [child(f"C{i:03d}", year_group=20) for i in range(12)]
    rewrite(folder, "children", rows)
    problem = the_row_problem(validate_snapshot(folder), "out-of-range", "children.parquet", "year_group", 12)
    assert [e["row"] for e in problem.examples] == [1, 2, 3, 4, 5]


# --- many at once --------------------------------------------------------------------------------------


def test_every_broken_rule_is_listed(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    children = [*_rows()["children"], child("C004", year_group=14, school_id="S99"), child("C004")]
    write_table(folder, "children", children)
    saturday = {"child_id": "C001", "date": date(2025, 9, 6), "session": "AM", "code": "/"}
    write_table(folder, "attendance", [*sessions("C001", date(2025, 9, 1), ["/", "XX"]), saturday])
    (folder / "referrals.parquet").unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["suspensions.parquet"]["rows"] = 5
    edit_manifest(folder, schema_version="0", files=manifest["files"])
    result = validate_snapshot(folder)
    expected = {
        ("schema-version", "manifest.json", "schema_version"),
        ("file-missing", "referrals.parquet", None),
        ("checksum", "children.parquet", None),
        ("row-count", "children.parquet", None),
        ("checksum", "attendance.parquet", None),
        ("row-count", "attendance.parquet", None),
        ("row-count", "suspensions.parquet", None),
        ("out-of-range", "children.parquet", "year_group"),
        ("orphan-reference", "children.parquet", "school_id"),
        ("duplicate-key", "children.parquet", "child_id"),
        ("unknown-value", "attendance.parquet", "code"),
        ("not-weekday", "attendance.parquet", "date"),
    }
    assert {(p.rule, p.file, p.column) for p in result.problems} == expected, result.format()
    assert result.format().startswith(f"REFUSED: {folder}: {len(expected)} broken rules")
    for problem in result.problems:
        the_problem(result, problem.rule, problem.file, problem.column)


# --- command line ---------------------------------------------------------------------------------


def _cli(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "data_access", "validate", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_exits_0_on_a_valid_snapshot(tmp_path: Path) -> None:
    done = _cli(snapshot(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("VALID: ")
    assert "Traceback" not in done.stderr


def test_cli_exits_2_listing_the_problems_without_a_traceback(tmp_path: Path) -> None:
    folder = snapshot(tmp_path)
    _cut_in_half(folder / "children.parquet")
    (folder / "manifest.json").write_text("not json")
    done = _cli(folder)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"REFUSED: {folder}: 2 broken rules")
    assert "[manifest-invalid] manifest.json" in done.stderr
    assert "[unreadable] children.parquet" in done.stderr
