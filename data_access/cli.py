"""Command line of the data layer: ``validate``, ``report``, ``demo`` and ``publish``.

Every command exits 0 on success and 2 with a clear message on a refused snapshot or bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    """An argument parser that exits 2 with its message (argparse's own code for usage errors)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _year_group(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a year group is a whole number from 0 to 13, not {text!r}"
        ) from None
    if not 0 <= value <= 13:
        raise argparse.ArgumentTypeError(f"a year group is from 0 (Reception) to 13, not {value}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m data_access", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    validate = commands.add_parser(
        "validate",
        help="check a snapshot folder against the data contract",
        description="Check every rule of the data contract; exit 0 when valid, 2 listing every broken rule.",
    )
    validate.add_argument("snapshot_dir", type=Path, metavar="SNAPSHOT_DIR")

    report = commands.add_parser(
        "report",
        help="print the board figures for a period",
        description="Print the board figures for a period, one row per school then the total row 'all'.",
    )
    report.add_argument("snapshot_dir", type=Path, metavar="SNAPSHOT_DIR")
    report.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    report.add_argument(
        "--school",
        action="append",
        default=[],
        metavar="ID",
        help="a school to report on; give it once per school (default: every school)",
    )
    report.add_argument(
        "--year-group",
        dest="year_group",
        action="append",
        type=_year_group,
        default=[],
        metavar="N",
        help="children in year group N (0 = Reception … 13); give it once per year group",
    )
    report.add_argument(
        "--sex",
        action="append",
        default=[],
        choices=("female", "male", "not_recorded"),
        help="children of this recorded sex (not_recorded stands for 'not recorded'); once per value",
    )
    report.add_argument(
        "--fsm", choices=("yes", "no"), help="children eligible (yes) or not (no) for free school meals"
    )
    report.add_argument(
        "--sen",
        action="append",
        default=[],
        choices=("none", "sen_support", "ehcp"),
        help="children with this SEN provision; once per value",
    )
    report.add_argument(
        "--role",
        default="councillor",
        choices=("councillor", "commissioner", "allchild", "admin"),
        help="whose data policy to apply (default: councillor, the most restricted); for councillor and "
        "commissioner the period must be an academic year or a term, the schools one school, one whole "
        "township or all, and at most one characteristic filter value (contract section 6, rule 6)",
    )
    report.add_argument(
        "--intervals",
        action="store_true",
        help="follow every rate or percentage X with its 95%% interval, X_low and X_high (contract 4.2)",
    )
    report.add_argument("--format", default="json", choices=("json", "csv"))

    demo = commands.add_parser(
        "demo",
        help="write a synthetic, contract-valid demo snapshot",
        description="Write a deterministic synthetic snapshot under OUT_ROOT/<snapshot-date>/.",
    )
    demo.add_argument("out_root", type=Path, metavar="OUT_ROOT")
    demo.add_argument("--children", type=int, default=250, help="how many children (default 250)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument(
        "--snapshot-date",
        default="2026-11-20",
        metavar="YYYY-MM-DD",
        help="the snapshot's as-of date (default 2026-11-20)",
    )

    publish = commands.add_parser(
        "publish",
        help="validate a snapshot and publish it atomically under a root",
        description="Validate SOURCE_DIR, then place it at ROOT/<snapshot_date>/ atomically; never overwrites.",
    )
    publish.add_argument("source_dir", type=Path, metavar="SOURCE_DIR")
    publish.add_argument("--root", type=Path, required=True, metavar="ROOT")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _build_parser().parse_args(argv)
    if args.command == "validate":
        from data_access.validate import validate_snapshot

        result = validate_snapshot(args.snapshot_dir)
        print(result.format(), file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 2
    if args.command == "report":
        from data_access.report import run_report_command

        return run_report_command(args)
    if args.command == "demo":
        from data_access.demo import write_demo_snapshot

        if args.children < 1:
            print("error: --children must be at least 1", file=sys.stderr)
            return 2
        folder = write_demo_snapshot(
            args.out_root, children=args.children, seed=args.seed, snapshot_date=args.snapshot_date
        )
        print(f"demo snapshot written: {folder}")
        return 0
    if args.command == "publish":
        from data_access.publish import run_publish_command

        return run_publish_command(args)
    return 2  # pragma: no cover - argparse requires a command
