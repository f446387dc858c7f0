"""Build tiny hand-made snapshots in a temporary folder, with defaults for every column a test does not care about."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from data_access.contract import TABLE_FILES, arrow_schema
from data_access.manifest import write_manifest

SCHOOL_DEFAULTS: dict[str, Any] = {"school_name": "Test School", "township": "Leigh", "phase": "primary"}
CHILD_DEFAULTS: dict[str, Any] = {
    "school_id": "S01",
    "year_group": 5,
    "sex": "female",
    "fsm_eligible": True,
    "sen_provision": "none",
    "identified_date": date(2024, 9, 1),
    "enrolled_date": date(2024, 9, 2),
    "exit_date": None,
    "exit_reason": None,
}


def school(school_id: str, **overrides: Any) -> dict[str, Any]:
    """A schools row with sensible defaults."""
    return {"school_id": school_id, **SCHOOL_DEFAULTS, "school_name": f"{school_id} School", **overrides}


def child(child_id: str, **overrides: Any) -> dict[str, Any]:
    """A children row with sensible defaults (enrolled 2 September 2024, still on the programme)."""
    return {"child_id": child_id, **CHILD_DEFAULTS, **overrides}


def sessions(child_id: str, start: date, codes: list[str]) -> list[dict[str, Any]]:
    """Attendance rows: ``codes`` laid on consecutive sessions (AM, PM) of weekdays from ``start``."""
    rows: list[dict[str, Any]] = []
    day = start
    from datetime import timedelta

    while day.weekday() >= 5:
        day += timedelta(days=1)
    for index, code in enumerate(codes):
        rows.append(
            {"child_id": child_id, "date": day, "session": "AM" if index % 2 == 0 else "PM", "code": code}
        )
        if index % 2 == 1:
            day += timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
    return rows


def write_table(
    folder: Path, table: str, rows: list[dict[str, Any]], schema: pa.Schema | None = None
) -> None:
    """Write one table's rows with the contract's schema (or the one given, to break it on purpose)."""
    schema = schema or arrow_schema(table)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / TABLE_FILES[table])


def make_snapshot(
    root: Path,
    snapshot_date: str = "2026-11-20",
    *,
    schools: list[dict[str, Any]] | None = None,
    children: list[dict[str, Any]] | None = None,
    attendance: list[dict[str, Any]] | None = None,
    referrals: list[dict[str, Any]] | None = None,
    suspensions: list[dict[str, Any]] | None = None,
    assessments: list[dict[str, Any]] | None = None,
) -> Path:
    """Write a complete, valid snapshot folder ``root/snapshot_date`` and return its path."""
    folder = root / snapshot_date
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "schools": schools if schools is not None else [school("S01")],
        "children": children if children is not None else [],
        "attendance": attendance or [],
        "referrals": referrals or [],
        "suspensions": suspensions or [],
        "assessments": assessments or [],
    }
    for name, rows in tables.items():
        write_table(folder, name, rows)
    write_manifest(folder, snapshot_date)
    return folder
