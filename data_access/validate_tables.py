"""The validator's table checks: column types, row rules, unique keys and references (contract sections 2-3).

Each table's row rules are counted in one lazy polars pass; only when a rule is broken is a second query run
to fetch its first few offending rows. ``data_access.validate`` runs these after the manifest and files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa

from data_access.contract import ALL_CODES, MEASURES, TABLE_FILES, TABLES
from data_access.findings import EXAMPLE_ROWS, Problem, example_rows, unreadable

_SHARED_PASS_ROWS = 10_000
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


def check_table(
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
        problems.append(unreadable(file_name, exc))


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
                example_rows(examples),
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
            example_rows(examples),
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
