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
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from data_access.contract import (
    ALL_CODES,
    MANIFEST_NAME,
    MEASURES,
    SCHEMA_VERSION,
    TABLE_FILES,
    TABLES,
)
from data_access.manifest import read_manifest, sha256_of

EXAMPLE_ROWS = 5
"""How many example rows a problem carries."""
_SHARED_PASS_ROWS = 10_000

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_STRING_TYPES = (pa.string(), pa.large_string(), pa.string_view())

# Columns that identify a row, shown first in every example so a reader can find it in the source data.
_ROW_KEYS: dict[str, tuple[str, ...]] = {
    "schools": ("school_id",),
    "children": ("child_id",),
    "attendance": ("child_id", "date", "session"),
    "referrals": ("referral_id",),
    "suspensions": ("event_id",),
    "assessments": ("child_id", "assessment_date", "measure"),
}
# Keys that must be unique within their table.
_UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "schools": ("school_id",),
    "children": ("child_id",),
    "attendance": ("child_id", "date", "session"),
    "referrals": ("referral_id",),
    "suspensions": ("event_id",),
}
# Identifier and name columns that must not be empty strings.
_NON_EMPTY: dict[str, tuple[str, ...]] = {
    "schools": ("school_id", "school_name"),
    "children": ("child_id",),
    "referrals": ("referral_id",),
    "suspensions": ("event_id",),
}
# (table, column) -> (referenced table, referenced column).
_REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("children", "school_id"): ("schools", "school_id"),
    ("attendance", "child_id"): ("children", "child_id"),
    ("referrals", "child_id"): ("children", "child_id"),
    ("suspensions", "child_id"): ("children", "child_id"),
    ("assessments", "child_id"): ("children", "child_id"),
}


@dataclass(frozen=True)
class Problem:
    """One broken rule of the data contract.

    Attributes:
        rule: A short stable id, e.g. ``"out-of-range"`` or ``"checksum"``.
        file: The file the problem is in, e.g. ``"children.parquet"`` or ``"manifest.json"``.
        column: The column (or a key such as ``"(child_id, date, session)"``); ``None`` for file-level problems.
        message: Plain English: what the rule is and what is wrong.
        examples: Up to five offending rows as JSON-friendly dicts (dates as ISO strings); ``row`` is the
            row's position in the file counting from 1.
        count: How many rows break the rule (0 for file-level problems).
    """

    rule: str
    file: str
    column: str | None
    message: str
    examples: tuple[dict[str, object], ...] = ()
    count: int = 0

    def to_dict(self) -> dict[str, object]:
        """The problem as a JSON-friendly dict."""
        return {
            "rule": self.rule,
            "file": self.file,
            "column": self.column,
            "message": self.message,
            "count": self.count,
            "examples": [dict(example) for example in self.examples],
        }


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of validating one snapshot folder: every broken rule, or none."""

    snapshot_dir: Path
    problems: tuple[Problem, ...]
    snapshot_date: str | None

    @property
    def ok(self) -> bool:
        """True when the snapshot breaks no rule of the contract."""
        return not self.problems

    def format(self) -> str:
        """A human-readable report: one ``VALID`` line, or ``REFUSED`` and one block per broken rule."""
        if self.ok:
            return f"VALID: {self.snapshot_dir} (snapshot {self.snapshot_date})"
        count = len(self.problems)
        lines = [f"REFUSED: {self.snapshot_dir}: {count} broken rule{'s' if count != 1 else ''}"]
        for number, problem in enumerate(self.problems, start=1):
            where = problem.file if problem.column is None else f"{problem.file}, column {problem.column}"
            rows = f" ({problem.count} row{'s' if problem.count != 1 else ''})" if problem.count else ""
            lines += ["", f"{number}. [{problem.rule}] {where}{rows}", f"   {problem.message}"]
            if problem.examples:
                lines.append("   example rows:")
                lines += [f"     {_format_example(example)}" for example in problem.examples]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """The result as a JSON-friendly dict, for the app's banner and the audit log."""
        return {
            "snapshot_dir": str(self.snapshot_dir),
            "snapshot_date": self.snapshot_date,
            "ok": self.ok,
            "problems": [problem.to_dict() for problem in self.problems],
        }


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
            _check_table(folder, table, schema, ids, problems)
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
            problems.append(_unreadable(file_name, exc))
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
                problems.append(_unreadable(file_name, exc))
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


def _unreadable(file_name: str, exc: BaseException) -> Problem:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(
        "unreadable", file_name, None, f"{file_name} must be a readable Parquet file; {detail[:300]}"
    )


# --- tables ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RowRule:
    """A rule checked row by row: ``broken`` is True on a row that breaks it."""

    rule: str
    column: str
    requirement: str
    broken: pl.Expr
    shows: tuple[str, ...]


def _type_ok(expected: pa.DataType, actual: pa.DataType) -> bool:
    if expected == pa.string():
        return any(actual == kind for kind in _STRING_TYPES)
    return bool(actual == expected)


def _type_name(data_type: pa.DataType) -> str:
    return "date32" if pa.types.is_date32(data_type) else str(data_type)


def _check_table(
    folder: Path,
    table: str,
    schema: pa.Schema,
    ids: dict[tuple[str, str], pl.Series],
    problems: list[Problem],
) -> None:
    """Check one readable table's columns and rows; report an unreadable file if the scan fails."""
    file_name = TABLE_FILES[table]
    good = _check_columns(table, schema, problems)
    try:
        scan = pl.scan_parquet(folder / file_name)
        rules = _row_rules(table, good, ids)
        if rules:
            _run_row_rules(scan, file_name, rules, problems)
        _check_unique(scan, file_name, table, good, problems)
        _remember_ids(scan, table, good, ids)
    except Exception as exc:  # a corrupt page or an unreadable file surfaces while scanning
        problems.append(_unreadable(file_name, exc))


def _check_columns(table: str, schema: pa.Schema, problems: list[Problem]) -> frozenset[str]:
    """Report missing and wrongly typed columns; return the names of the usable ones."""
    file_name = TABLE_FILES[table]
    good: set[str] = set()
    for column in TABLES[table]:
        index = schema.get_field_index(column.name)
        if index < 0:
            problems.append(
                Problem(
                    "missing-column",
                    file_name,
                    column.name,
                    f"{table} must have a column {column.name} ({column.type_name}); it has none",
                )
            )
            continue
        actual = schema.field(index).type
        if not _type_ok(column.arrow_type, actual):
            problems.append(
                Problem(
                    "wrong-type",
                    file_name,
                    column.name,
                    f"{column.name} must be of type {column.type_name}; it is {_type_name(actual)}",
                )
            )
            continue
        good.add(column.name)
    return frozenset(good)


def _allowed_text(values: Sequence[str]) -> str:
    quoted = [json.dumps(value) for value in values]
    if len(quoted) <= 8:
        return ", ".join(quoted)
    return f"{', '.join(quoted[:6])} ... ({len(quoted)} values in the contract)"


def _row_rules(table: str, good: frozenset[str], ids: dict[tuple[str, str], pl.Series]) -> list[_RowRule]:
    """Every row-level rule of ``table`` whose columns are present with the right type."""
    keys = tuple(name for name in _ROW_KEYS[table] if name in good)
    rules: list[_RowRule] = []

    def add(rule: str, column: str, requirement: str, broken: pl.Expr, needs: Iterable[str]) -> None:
        needed = tuple(needs)
        if all(name in good for name in needed):
            shows = tuple(dict.fromkeys((*keys, *needed)))
            rules.append(_RowRule(rule, column, requirement, broken.fill_null(False), shows))

    col = pl.col
    for column in TABLES[table]:
        name = column.name
        if not column.nullable:
            add("null-value", name, f"{name} must not be null", col(name).is_null(), [name])
    for name in _NON_EMPTY.get(table, ()):
        add(
            "empty-value",
            name,
            f"{name} must not be empty",
            col(name).str.strip_chars().str.len_bytes() == 0,
            [name],
        )
    for column in TABLES[table]:
        name = column.name
        if column.allowed is not None:
            what = (
                "a national attendance code (section 3 of the contract)"
                if column.allowed == ALL_CODES
                else (f"one of {_allowed_text(column.allowed)}")
            )
            add("unknown-value", name, f"{name} must be {what}", ~col(name).is_in(column.allowed), [name])
    if table == "assessments":
        add(
            "unknown-value",
            "measure",
            f"measure must be one of {_allowed_text(list(MEASURES))}",
            ~col("measure").is_in(list(MEASURES)),
            ["measure"],
        )
    for (from_table, name), (ref_table, ref_column) in _REFERENCES.items():
        known = ids.get((ref_table, ref_column))
        if from_table == table and known is not None:
            add(
                "orphan-reference",
                name,
                f"{name} must exist in {TABLE_FILES[ref_table]} ({ref_column})",
                ~col(name).is_in(known.implode()),
                [name],
            )
    if table == "children":
        add(
            "out-of-range",
            "year_group",
            "year_group must be 0 (Reception) to 13",
            ~col("year_group").is_between(0, 13),
            ["year_group"],
        )
        add(
            "date-order",
            "enrolled_date",
            "enrolled_date must be null or on or after identified_date",
            col("enrolled_date") < col("identified_date"),
            ["identified_date", "enrolled_date"],
        )
        add(
            "date-order",
            "exit_date",
            "exit_date must be null or on or after enrolled_date (a child cannot exit without being enrolled)",
            col("exit_date").is_not_null()
            & (col("enrolled_date").is_null() | (col("exit_date") < col("enrolled_date"))),
            ["enrolled_date", "exit_date"],
        )
        add(
            "exit-reason-mismatch",
            "exit_reason",
            "exit_reason must be null exactly when exit_date is null",
            col("exit_reason").is_null() != col("exit_date").is_null(),
            ["exit_date", "exit_reason"],
        )
    if table == "attendance":
        add(
            "not-weekday",
            "date",
            "date must be a weekday (Monday to Friday)",
            col("date").dt.weekday() > 5,
            ["date"],
        )
    if table == "suspensions":
        add("out-of-range", "sessions", "sessions must be at least 1", col("sessions") < 1, ["sessions"])
    if table == "assessments":
        low = col("measure").replace_strict({m.name: float(m.low) for m in MEASURES.values()}, default=None)
        high = col("measure").replace_strict({m.name: float(m.high) for m in MEASURES.values()}, default=None)
        ranges = "; ".join(f"{m.name} {m.low:g}-{m.high:g}" for m in MEASURES.values())
        add(
            "out-of-range",
            "score",
            f"score must be within its measure's range ({ranges})",
            low.is_not_null() & (col("score").is_nan() | (col("score") < low) | (col("score") > high)),
            ["measure", "score"],
        )
    return rules


def _run_row_rules(
    scan: pl.LazyFrame, file_name: str, rules: list[_RowRule], problems: list[Problem]
) -> None:
    """Count every row rule in one pass; fetch example rows only for the rules that are broken."""
    counts = scan.select([rule.broken.sum().alias(f"r{i}") for i, rule in enumerate(rules)]).collect(
        engine="streaming"
    )
    broken = {i: int(counts.item(0, f"r{i}") or 0) for i in range(len(rules))}
    broken = {i: count for i, count in broken.items() if count}
    if not broken:
        return
    numbered = scan.with_row_index("row", offset=1)
    # Rarely broken rules get their examples from one shared pass over the offending rows; a rule broken
    # by many rows gets its own query, which stops as soon as it has found its first few.
    rare = [i for i, count in broken.items() if count <= _SHARED_PASS_ROWS]
    shared: pl.DataFrame | None = None
    if rare:
        wanted = list(dict.fromkeys(name for i in rare for name in rules[i].shows))
        shared = (
            numbered.filter(pl.any_horizontal([rules[i].broken for i in rare]))
            .select(["row", *wanted, *[rules[i].broken.alias(f"broken{i}") for i in rare]])
            .collect(engine="streaming")
        )
    for i, count in broken.items():
        rule = rules[i]
        if shared is not None and i in rare:
            examples = shared.filter(pl.col(f"broken{i}")).select(["row", *rule.shows]).head(EXAMPLE_ROWS)
        else:
            examples = (
                numbered.filter(rule.broken)
                .select(["row", *rule.shows])
                .head(EXAMPLE_ROWS)
                .collect(engine="streaming")
            )
        problems.append(
            Problem(
                rule.rule,
                file_name,
                rule.column,
                f"{rule.requirement}: {count} row{'s' if count != 1 else ''} break{'' if count != 1 else 's'} it",
                _examples(examples),
                count,
            )
        )


def _check_unique(
    scan: pl.LazyFrame, file_name: str, table: str, good: frozenset[str], problems: list[Problem]
) -> None:
    """Report rows that share a key which must be unique."""
    key = list(_UNIQUE_KEYS.get(table, ()))
    if not key or not all(name in good for name in key):
        return
    complete = pl.all_horizontal([pl.col(name).is_not_null() for name in key])
    key_hash = pl.struct(key).hash(seed=0)
    # Grouping ~100 million composite keys is slow; sorting their 64-bit hashes and comparing neighbours is
    # several times faster. The few repeated hashes (duplicates or, very rarely, a collision) are then
    # settled exactly on just the rows that carry them.
    repeated_hashes = (
        scan.filter(complete)
        .select(key_hash.alias("hash"))
        .sort("hash")
        .filter(pl.col("hash") == pl.col("hash").shift(1))
        .unique()
        .collect(engine="streaming")
        .to_series()
    )
    if repeated_hashes.is_empty():
        return
    suspects = (
        scan.with_row_index("row", offset=1)
        .filter(complete & key_hash.is_in(repeated_hashes.implode()))
        .select(["row", *key])
        .collect(engine="streaming")
    )
    repeated = suspects.group_by(key).agg(pl.len().alias("rows")).filter(pl.col("rows") > 1)
    count = int(repeated["rows"].sum())
    if count == 0:
        return
    # Show the repeated rows themselves (with their positions), for the first few repeated keys.
    first_keys = repeated.sort(key).head(EXAMPLE_ROWS).select(key)
    examples = suspects.join(first_keys, on=key, how="semi").sort([*key, "row"]).head(EXAMPLE_ROWS)
    label = key[0] if len(key) == 1 else f"({', '.join(key)})"
    values = repeated.height
    problems.append(
        Problem(
            "duplicate-key",
            file_name,
            label,
            f"{label} must be unique: {count} rows share their {label} with another row "
            f"({values} repeated value{'s' if values != 1 else ''})",
            _examples(examples),
            count,
        )
    )


def _remember_ids(
    scan: pl.LazyFrame, table: str, good: frozenset[str], ids: dict[tuple[str, str], pl.Series]
) -> None:
    """Keep the ids other tables refer to (school_id of schools, child_id of children)."""
    for ref_table, ref_column in set(_REFERENCES.values()):
        if ref_table == table and ref_column in good:
            ids[(ref_table, ref_column)] = (
                scan.select(pl.col(ref_column).drop_nulls().unique()).collect().to_series()
            )


# --- examples -------------------------------------------------------------------------------------


def _examples(frame: pl.DataFrame) -> tuple[dict[str, object], ...]:
    return tuple({name: _json_value(value) for name, value in row.items()} for row in frame.to_dicts())


def _json_value(value: Any) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _format_example(example: dict[str, object]) -> str:
    return ", ".join(f"{name}={json.dumps(value)}" for name, value in example.items())
