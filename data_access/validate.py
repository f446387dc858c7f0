"""Check a snapshot folder against the data contract (sections 1-3) and list every broken rule.

The validator never raises and never stops at the first problem: a missing or corrupt manifest, a missing,
truncated or unreadable Parquet file, a checksum or row-count mismatch and every row-level rule are each
reported as a :class:`Problem` naming the rule, the file, the column, how many rows break it and up to five
example rows. A snapshot with any problem is refused as a whole.

It is built to scale to ~100 million attendance rows: schemas and row counts come from the Parquet footer,
files are hashed in blocks, and each table's row rules are counted in one lazy polars pass; only when a rule
is broken is a second query run to fetch its first few offending rows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from data_access.contract import (
    MANIFEST_NAME,
    SCHEMA_VERSION,
    TABLE_FILES,
    TABLES,
)
from data_access.findings import EXAMPLE_ROWS, Problem, ValidationResult, unreadable
from data_access.manifest import read_manifest, sha256_of
from data_access.validate_tables import check_table

__all__ = ["EXAMPLE_ROWS", "Problem", "ValidationResult", "validate_snapshot"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def validate_snapshot(snapshot_dir: Path | str) -> ValidationResult:
    """Check a snapshot folder against every rule of sections 1-3 of the data contract.

    Args:
        snapshot_dir: The snapshot folder (holding ``manifest.json`` and the Parquet files).

    Returns:
        The result, listing every broken rule; it is ``ok`` when there is none. Never raises on bad data:
        unreadable files, corrupt Parquet and invalid JSON are reported as problems.
    """
    folder = Path(snapshot_dir)
    problems: list[Problem] = []
    if not folder.is_dir():
        problems.append(
            Problem("manifest-missing", MANIFEST_NAME, None, f"the snapshot folder {folder} does not exist")
        )
        return ValidationResult(folder, tuple(problems), None)
    listed, snapshot_date = _check_manifest(folder, problems)
    schemas = _check_files(folder, listed, problems)
    ids: dict[tuple[str, str], pl.Series] = {}
    for table in TABLES:  # schools before children before the rest, so references can be resolved
        schema = schemas.get(table)
        if schema is not None:
            check_table(folder, table, schema, ids, problems)
    return ValidationResult(folder, tuple(problems), snapshot_date)


# --- manifest and files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listing:
    """A manifest's entry for one file (each part ``None`` when missing or malformed)."""

    rows: int | None
    sha256: str | None


def _check_manifest(folder: Path, problems: list[Problem]) -> tuple[dict[str, _Listing] | None, str | None]:
    """Check ``manifest.json``; return its file listing (``None`` when unusable) and its snapshot date."""
    if not (folder / MANIFEST_NAME).is_file():
        problems.append(
            Problem(
                "manifest-missing", MANIFEST_NAME, None, "every snapshot needs a manifest.json; there is none"
            )
        )
        return None, None
    try:
        manifest = read_manifest(folder)
    except (OSError, ValueError) as exc:
        problems.append(
            Problem("manifest-invalid", MANIFEST_NAME, None, f"manifest.json must be a JSON object: {exc}")
        )
        return None, None

    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        problems.append(
            Problem(
                "schema-version",
                MANIFEST_NAME,
                "schema_version",
                f'schema_version must be "{SCHEMA_VERSION}" (this validator knows version {SCHEMA_VERSION} '
                f"of the contract); it is {json.dumps(version)}",
            )
        )

    snapshot_date = _checked_snapshot_date(folder, manifest.get("snapshot_date"), problems)

    files = manifest.get("files")
    if not isinstance(files, dict):
        problems.append(
            Problem(
                "manifest-invalid",
                MANIFEST_NAME,
                "files",
                "files must be an object listing every Parquet file with its rows and sha256; "
                f"it is {json.dumps(files)[:80]}",
            )
        )
        return None, snapshot_date

    listed: dict[str, _Listing] = {}
    for name, entry in files.items():
        if not _is_plain_file_name(name):
            problems.append(
                Problem(
                    "manifest-invalid",
                    MANIFEST_NAME,
                    "files",
                    f"files may only name files inside the snapshot folder; {json.dumps(name)} is not one",
                )
            )
            continue
        entry = entry if isinstance(entry, dict) else {}
        rows = entry.get("rows")
        sha = entry.get("sha256")
        good_rows = rows if isinstance(rows, int) and not isinstance(rows, bool) and rows >= 0 else None
        good_sha = sha.lower() if isinstance(sha, str) and _SHA256.fullmatch(sha.lower()) else None
        if good_rows is None or good_sha is None:
            problems.append(
                Problem(
                    "manifest-invalid",
                    MANIFEST_NAME,
                    f"files.{name}",
                    f"each listed file needs rows (a whole number, 0 or more) and sha256 (64 hex digits); "
                    f"{name} has rows={json.dumps(rows)}, sha256={json.dumps(sha)}",
                )
            )
        listed[name] = _Listing(good_rows, good_sha)

    for file_name in TABLE_FILES.values():
        if file_name not in listed:
            problems.append(
                Problem(
                    "file-unlisted",
                    file_name,
                    None,
                    f"every required file must be listed in manifest.json with its rows and sha256; "
                    f"{file_name} is not listed",
                )
            )
    return listed, snapshot_date


def _checked_snapshot_date(folder: Path, value: object, problems: list[Problem]) -> str | None:
    """Return the manifest's snapshot_date when it is an ISO date; report it when it is not or mismatches."""
    if not (isinstance(value, str) and _ISO_DATE.fullmatch(value) and _is_date(value)):
        problems.append(
            Problem(
                "snapshot-date",
                MANIFEST_NAME,
                "snapshot_date",
                f"snapshot_date must be a date written YYYY-MM-DD; it is {json.dumps(value)}",
            )
        )
        return None
    if _ISO_DATE.fullmatch(folder.name) and _is_date(folder.name) and folder.name != value:
        problems.append(
            Problem(
                "snapshot-date",
                MANIFEST_NAME,
                "snapshot_date",
                f"snapshot_date must equal the snapshot folder's name; it is {value} but the folder is "
                f"{folder.name}",
            )
        )
    return value


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_plain_file_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def _check_files(
    folder: Path, listed: dict[str, _Listing] | None, problems: list[Problem]
) -> dict[str, pa.Schema]:
    """Check every required and every listed file; return the Arrow schemas of the readable tables."""
    table_of_file = {file_name: table for table, file_name in TABLE_FILES.items()}
    extra = sorted(set(listed or ()) - set(table_of_file))
    schemas: dict[str, pa.Schema] = {}
    for file_name in [*TABLE_FILES.values(), *extra]:
        path = folder / file_name
        listing = (listed or {}).get(file_name)
        if not path.is_file():
            why = (
                "is listed in manifest.json" if listing is not None else "is a required file of the snapshot"
            )
            problems.append(
                Problem("file-missing", file_name, None, f"{file_name} {why} but is not in the folder")
            )
            continue
        try:
            metadata = pq.read_metadata(path)
            schema = metadata.schema.to_arrow_schema()
            rows: int | None = metadata.num_rows
        except Exception as exc:  # any failure to read the footer means the file is not usable Parquet
            problems.append(unreadable(file_name, exc))
            rows = None
        else:
            if file_name in table_of_file:
                schemas[table_of_file[file_name]] = schema
        if listing is None:
            continue
        if rows is not None and listing.rows is not None and rows != listing.rows:
            problems.append(
                Problem(
                    "row-count",
                    file_name,
                    None,
                    f"the row count must match manifest.json: the manifest says {listing.rows} rows, "
                    f"the file holds {rows}",
                )
            )
        if listing.sha256 is not None:
            try:
                actual = sha256_of(path)
            except OSError as exc:
                problems.append(unreadable(file_name, exc))
                continue
            if actual != listing.sha256:
                problems.append(
                    Problem(
                        "checksum",
                        file_name,
                        None,
                        f"the file's sha256 must match manifest.json: the manifest says {listing.sha256}, "
                        f"the file's is {actual} (the file was changed or damaged after the manifest was written)",
                    )
                )
    return schemas
