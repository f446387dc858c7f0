"""The ``report`` command (contract section 7): the board figures for a period as JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import date
from typing import Any

from data_access.cellkey import MAX_NOISE, THRESHOLD
from data_access.disclosure import ShownValue
from data_access.filters import Filters, SelectionRefused, protected_selection_problems
from data_access.periods import Period, academic_year, academic_year_start, custom, terms_of_year
from data_access.policy import policy_for
from data_access.settings import SettingError
from data_access.snapshots import SnapshotError, open_snapshot
from data_access.uncertainty import interval_figure, interval_rows
from data_access.views import BOARD_FIGURES, board_table, townships_of

REPORT_COLUMNS = ("school_id", *BOARD_FIGURES)
SEX_ARGUMENTS = {"female": "female", "male": "male", "not_recorded": "not recorded"}


def named_period(date_from: date, date_to: date) -> Period:
    """The academic year or census term [from, to] is, else a custom range (contract section 4)."""
    year = academic_year_start(date_from)
    for period in (academic_year(year), *terms_of_year(year)):
        if (period.start, period.end) == (date_from, date_to):
            return period
    return custom(date_from, date_to)


def disclosure_control(role: str) -> dict[str, Any]:
    """The ``disclosure_control`` block of contract section 7."""
    if not policy_for(role).suppressed:
        return {"method": "none"}
    return {"method": "cell key perturbation", "max_noise": MAX_NOISE, "threshold": THRESHOLD}


def report_rows(
    snapshot_dir: Any,
    date_from: date,
    date_to: date,
    schools: list[str],
    role: str,
    intervals: bool = False,
    *,
    year_groups: list[int] | None = None,
    sexes: list[str] | None = None,
    fsm: bool | None = None,
    sen: list[str] | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict (contract section 7).

    Raises ``SnapshotError`` or ``ValueError`` for refused input: ``SelectionRefused`` (a ``ValueError``) when
    a protected role asks for what rule 6 of section 6 does not allow.
    """
    snapshot = open_snapshot(snapshot_dir)
    known = set(snapshot.schools.get_column("school_id").to_list())
    unknown = [s for s in schools if s not in known]
    if unknown:
        raise ValueError(
            f"unknown school id(s): {', '.join(unknown)}; the snapshot has {', '.join(sorted(known))}"
        )
    filters = Filters(
        period=named_period(date_from, date_to),
        schools=tuple(sorted(set(schools))),
        year_groups=tuple(sorted(set(year_groups or ()))),
        sexes=tuple(sorted(set(sexes or ()))),
        fsm=fsm,
        sen=tuple(sorted(set(sen or ()))),
    )
    if policy_for(role).suppressed:
        problems = protected_selection_problems(filters, townships_of(snapshot))
        if problems:
            raise SelectionRefused(
                f"the {role} role may not ask for this (contract section 6, rule 6): " + " ".join(problems)
            )
    table = board_table(snapshot, filters, role, intervals=intervals)
    return {
        "snapshot_date": snapshot.snapshot_date.isoformat(),
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "role": role,
        "complete": date_to <= snapshot.snapshot_date,
        "disclosure_control": disclosure_control(role),
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
        result = report_rows(
            args.snapshot_dir,
            date_from,
            date_to,
            args.school,
            args.role,
            intervals,
            year_groups=getattr(args, "year_group", None),
            sexes=[SEX_ARGUMENTS[s] for s in getattr(args, "sex", None) or ()],
            fsm=None if getattr(args, "fsm", None) is None else args.fsm == "yes",
            sen=getattr(args, "sen", None),
        )
    except SnapshotError as error:
        print(f"error: the snapshot was refused.\n{error}", file=sys.stderr)
        return 2
    except SelectionRefused as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SettingError as error:
        print(f"error: protected figures need the disclosure control key: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.format == "csv":
        sys.stdout.write(to_csv(result["rows"], intervals))
    else:
        print(json.dumps(result, indent=2))
    return 0
