"""What changed between two snapshots: each board figure before and after, for the same period and schools.

Both sides go through the viewer's data policy first (``views.board_table``, suppression included), and a
change is worked out only when both shown values are numbers: a change is never computed from a hidden
(``c``) value, so it can never reveal one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from data_access.disclosure import SUPPRESSED, ShownValue, format_shown
from data_access.filters import Filters
from data_access.snapshots import Snapshot
from data_access.views import BOARD_FIGURES, BOARD_SPECS, applies_suppression, board_table

COMPARE_KEYS: Final = ("figure", "school_id")
NOT_IN_SNAPSHOT: Final = "not in snapshot"
COUNT_FIGURES: Final = frozenset(spec.name for spec in BOARD_SPECS if spec.kind == "count")


@dataclass(frozen=True)
class Comparison:
    """Board figures in two snapshots, one row per (figure, school): before, after and change.

    ``frame`` holds ``figure``, ``school_id``, then ``before``/``after``/``change`` as numbers (null when not a
    shown number) and ``before__status``/``after__status``/``change__status`` (``shown``, ``c``, ``none``,
    or ``missing`` when the school is not in that snapshot). Raw counts are never in it.
    """

    frame: pl.DataFrame
    before_date: str
    after_date: str
    suppressed: bool

    @property
    def has_suppressed_values(self) -> bool:
        """True when either side holds a ``c``."""
        return bool((self.frame["before__status"] == "c").any() or (self.frame["after__status"] == "c").any())

    def rows(self) -> list[dict[str, ShownValue]]:
        """Rows as exported: numbers, ``"c"``, ``None`` (nothing to compute) or ``"not in snapshot"``."""
        out: list[dict[str, ShownValue]] = []
        for row in self.frame.iter_rows(named=True):
            shown: dict[str, ShownValue] = {"figure": row["figure"], "school_id": row["school_id"]}
            for side in ("before", "after", "change"):
                value = row[side]
                if value is not None and row["figure"] in COUNT_FIGURES:
                    value = int(value)
                shown[side] = _shown(value, row[f"{side}__status"])
            out.append(shown)
        return out

    def display(self, labels: dict[str, str] | None = None) -> pl.DataFrame:
        """Strings for a table on screen or a CSV (``c``, ``–``, signed changes)."""
        labels = labels or {}
        data: dict[str, list[str]] = {
            labels.get(k, k): [] for k in (*COMPARE_KEYS, "before", "after", "change")
        }
        for row in self.rows():
            for key in (*COMPARE_KEYS, "before", "after"):
                value = row[key]
                data[labels.get(key, key)].append(value if isinstance(value, str) else format_shown(value))
            change = row["change"]
            data[labels.get("change", "change")].append(_signed(change))
        return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))


def _shown(value: float | int | None, status: str) -> ShownValue:
    if status == "c":
        return SUPPRESSED
    if status == "missing":
        return NOT_IN_SNAPSHOT
    return None if status == "none" else value


def _signed(value: ShownValue) -> str:
    if isinstance(value, int | float) and value == 0:
        return format_shown(value)  # no change: 0 or 0.0, without a sign
    if isinstance(value, float):
        return f"{value:+.1f}"
    if isinstance(value, int):
        return f"{value:+d}"
    return format_shown(value)


def _cells(
    snapshot: Snapshot, filters: Filters, role: str, public: bool
) -> dict[tuple[str, str], tuple[object, str]]:
    """(figure, school) → (shown value, status) as this role is allowed to see it."""
    table = board_table(snapshot, filters, role, public=public)
    cells: dict[tuple[str, str], tuple[object, str]] = {}
    for row in table.frame.iter_rows(named=True):
        for figure in BOARD_FIGURES:
            cells[(figure, row["school_id"])] = (row[figure], row[f"{figure}__status"])
    return cells


def _school_order(*sides: dict[tuple[str, str], tuple[object, str]]) -> list[str]:
    schools = sorted({school for side in sides for (_, school) in side if school != "all"})
    return [*schools, "all"]


def compare_board(
    before: Snapshot, after: Snapshot, filters: Filters, role: str, *, public: bool = False
) -> Comparison:
    """Each board figure in ``before`` and ``after`` for the same filters (period, schools, characteristics).

    Args:
        before: the earlier snapshot.
        after: the later snapshot.
        filters: the period and selection, applied to both snapshots alike.
        role: whose data policy to apply; suppression is done on each side before any change is computed.
        public: apply the public-export policy whatever the role.

    Returns:
        One row per figure (in board order) and school (in school_id order, then ``all``). A school in
        only one snapshot shows ``not in snapshot`` on the other side and no change.
    """
    if filters.schools:
        # A school the filters name may exist in only one snapshot: ask each side only for its own schools.
        before_ids = set(before.schools.get_column("school_id").to_list())
        after_ids = set(after.schools.get_column("school_id").to_list())
        before_filters = filters.with_schools([s for s in filters.schools if s in before_ids])
        after_filters = filters.with_schools([s for s in filters.schools if s in after_ids])
        old = _cells(before, before_filters, role, public) if before_filters.schools else {}
        new = _cells(after, after_filters, role, public) if after_filters.schools else {}
    else:
        old = _cells(before, filters, role, public)
        new = _cells(after, filters, role, public)
    rows: list[dict[str, object]] = []
    for figure in BOARD_FIGURES:
        for school in _school_order(old, new):
            before_value, before_status = old.get((figure, school), (None, "missing"))
            after_value, after_status = new.get((figure, school), (None, "missing"))
            change: float | int | None = None
            if before_status == "shown" and after_status == "shown":
                assert isinstance(before_value, int | float) and isinstance(after_value, int | float)
                difference = after_value - before_value
                change = round(difference, 1) if isinstance(difference, float) else difference
            rows.append(
                {
                    "figure": figure,
                    "school_id": school,
                    "before": _as_float(before_value),
                    "before__status": before_status,
                    "after": _as_float(after_value),
                    "after__status": after_status,
                    "change": _as_float(change),
                    "change__status": "shown" if change is not None else "none",
                }
            )
    schema = {
        "figure": pl.String,
        "school_id": pl.String,
        "before": pl.Float64,
        "before__status": pl.String,
        "after": pl.Float64,
        "after__status": pl.String,
        "change": pl.Float64,
        "change__status": pl.String,
    }
    frame = pl.DataFrame(rows, schema=schema)
    suppressed = applies_suppression(role, public)
    return Comparison(frame, before.snapshot_date.isoformat(), after.snapshot_date.isoformat(), suppressed)


def _as_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
