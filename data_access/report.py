"""The ``report`` command (contract section 7): the board figures for a period as JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import date
from typing import Any

from data_access.disclosure import ShownValue
from data_access.filters import Filters
from data_access.periods import custom
from data_access.snapshots import SnapshotError, open_snapshot
from data_access.uncertainty import interval_figure, interval_rows
from data_access.views import BOARD_FIGURES, board_table

REPORT_COLUMNS = ("school_id", *BOARD_FIGURES)


def report_rows(
    snapshot_dir: Any, date_from: date, date_to: date, schools: list[str], role: str, intervals: bool = False
) -> dict[str, Any]:
    """The report as a JSON-ready dict; raises ``SnapshotError`` or ``ValueError`` for refused input."""
    snapshot = open_snapshot(snapshot_dir)
    known = set(snapshot.schools.get_column("school_id").to_list())
    unknown = [s for s in schools if s not in known]
    if unknown:
        raise ValueError(
            f"unknown school id(s): {', '.join(unknown)}; the snapshot has {', '.join(sorted(known))}"
        )
    filters = Filters(period=custom(date_from, date_to), schools=tuple(sorted(set(schools))))
    table = board_table(snapshot, filters, role, intervals=intervals)
    return {
        "snapshot_date": snapshot.snapshot_date.isoformat(),
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "role": role,
        "rows": interval_rows(table) if intervals else table.rows(),
    }


def interval_columns() -> tuple[str, ...]:
    """The report's columns with ``--intervals``: every rate or percentage ``X`` followed by ``X_low``, ``X_high``."""
    return tuple(
        c
        for name in REPORT_COLUMNS
        for c in ((name, f"{name}_low", f"{name}_high") if interval_figure(name) else (name,))
    )


def to_csv(rows: list[dict[str, ShownValue]], intervals: bool = False) -> str:
    """The report rows as CSV with the JSON's columns in order (``c`` kept, empty for nothing to compute)."""
    columns = interval_columns() if intervals else REPORT_COLUMNS
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return out.getvalue()


def _parse_date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"{flag} must be a date as YYYY-MM-DD, not {text!r}") from error


def dates_from_args(text_from: str, text_to: str) -> tuple[date, date]:
    """The ``--from`` and ``--to`` of a command as dates; ``ValueError`` with a clear message when they are not."""
    date_from = _parse_date(text_from, "--from")
    date_to = _parse_date(text_to, "--to")
    if date_to < date_from:
        raise ValueError("--to must not be before --from")
    return date_from, date_to


def run_report_command(args: argparse.Namespace) -> int:
    """Run ``python -m data_access report``; exit 2 with a clear message on bad input."""
    try:
        date_from, date_to = dates_from_args(args.date_from, args.date_to)
        intervals = bool(getattr(args, "intervals", False))
        result = report_rows(args.snapshot_dir, date_from, date_to, args.school, args.role, intervals)
    except SnapshotError as error:
        print(f"error: the snapshot was refused.\n{error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.format == "csv":
        sys.stdout.write(to_csv(result["rows"], intervals))
    else:
        print(json.dumps(result, indent=2))
    return 0
