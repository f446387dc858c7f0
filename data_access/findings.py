"""What the validator found: each broken rule as a ``Problem``, and the result of a validation.

Structured findings (rule, file, column, count, example rows) are what the app reads (the refusal banner,
the Snapshots page) and what ``format`` writes for people; nothing parses the text back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

EXAMPLE_ROWS = 5
"""How many example rows a problem carries."""


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
                lines += [f"     {format_example(example)}" for example in problem.examples]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """The result as a JSON-friendly dict, for the app's banner and the audit log."""
        return {
            "snapshot_dir": str(self.snapshot_dir),
            "snapshot_date": self.snapshot_date,
            "ok": self.ok,
            "problems": [problem.to_dict() for problem in self.problems],
        }


def unreadable(file_name: str, exc: BaseException) -> Problem:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(
        "unreadable", file_name, None, f"{file_name} must be a readable Parquet file; {detail[:300]}"
    )


def example_rows(frame: pl.DataFrame) -> tuple[dict[str, object], ...]:
    return tuple({name: _json_value(value) for name, value in row.items()} for row in frame.to_dicts())


def _json_value(value: Any) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def format_example(example: dict[str, object]) -> str:
    return ", ".join(f"{name}={json.dumps(value)}" for name, value in example.items())
