"""The cell key method (contract section 6, rules 1-5): record keys, cell keys, perturbation and thresholds.

Pure functions, no streamlit and no settings: the secret comes in as ``key: bytes`` (the caller passes
``data_access.settings.sdc_key()``).

- ``record_key`` / ``record_keys`` / ``with_record_keys``: rule 1, the first 4 bytes (big-endian) of
  HMAC-SHA-256(secret, "<table>:<id>") as an integer in [0, 2**32). Computed once per snapshot, one
  ``hmac`` call per id (about 0.1 s for 100,000 ids, see ``record_keys``).
- ``count_with_key``: rule 2, a count and its cell key in the same polars aggregation: the exact integer
  sum (UInt64; 2**32 records of keys < 2**32 would be needed to overflow it) of the record keys, mod 2**32.
- ``perturbation`` / ``publish_count``: rule 3.
- ``publish_rate`` / ``publish_percentage`` / ``publish_attendance_rate`` / ``publish_sessions_lost`` /
  ``rates_allowed``: rules 4-5, from published counts only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Final, Literal

import polars as pl

from data_access.rounding import round_half_away

KEY_SPACE: Final = 2**32
"""Record and cell keys are integers in [0, 2**32); u = cell key / 2**32."""
MAX_NOISE: Final = 3
"""The largest change perturbation makes to a count (public, contract rule 3)."""
SMALL: Final = 5
"""A published count below this (for a true count of at least 1) is shown as ``c``."""
THRESHOLD: Final = 10
"""Rates need a published denominator (and children in scope) of at least this (rules 4-5)."""
RECORD_TABLES: Final = ("children", "referrals", "suspensions")
RECORD_KEY: Final = "record_key"
"""The column of record keys on a keyed snapshot's children, referrals and suspensions frames."""
KEY_SUFFIX: Final = "__key"
"""A count ``n``'s cell key is the column ``n__key``."""

# Rule 3 as (upper bound of u, exclusive, in units of 1/100; d). u < 0.05 -> -3, ... , else +3.
PERTURBATION_TABLE: Final[tuple[tuple[int, int], ...]] = (
    (5, -3),
    (17, -2),
    (35, -1),
    (65, 0),
    (83, 1),
    (95, 2),
    (100, 3),
)
"""(u bound in hundredths, d): d applies for u below the bound and at or above the previous one."""
PERTURBATION_PROBABILITIES: Final[dict[int, float]] = {
    -3: 0.05,
    -2: 0.12,
    -1: 0.18,
    0: 0.30,
    1: 0.18,
    2: 0.12,
    3: 0.05,
}
"""The probability of each d for a uniformly distributed cell key (the test's expected distribution)."""

Suppressed = Literal["c"]
SUPPRESSED: Final[Suppressed] = "c"
PublishedCount = int | Suppressed
"""A published count: a number, or ``"c"`` (published below 5 with a true count of at least 1)."""
PublishedRate = float | Suppressed | None
"""A published rate: a number to 1 dp, ``"c"`` where protected, ``None`` where there is nothing to compute."""


def record_key(key: bytes, table: str, record_id: str) -> int:
    """Rule 1: the record key of one child or event, an integer in [0, 2**32).

    Args:
        key: the secret (``IMPACT_SDC_KEY`` as bytes).
        table: ``children``, ``referrals`` or ``suspensions``.
        record_id: the row's ``child_id``, ``referral_id`` or ``event_id``.
    """
    if table not in RECORD_TABLES:
        raise ValueError(f"record keys are for {', '.join(RECORD_TABLES)}, not {table!r}")
    if not key:
        raise ValueError("the disclosure control key is empty")
    digest = hmac.new(key, f"{table}:{record_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def record_keys(key: bytes, table: str, record_ids: Iterable[str]) -> pl.Series:
    """Rule 1 for many ids: a UInt32 series of record keys in the ids' order.

    One HMAC per id in Python (the ``hmac`` object is copied from one keyed with the secret, so the key
    schedule runs once): measured at about 0.1-0.2 s per 100,000 ids, once per snapshot.
    """
    if table not in RECORD_TABLES:
        raise ValueError(f"record keys are for {', '.join(RECORD_TABLES)}, not {table!r}")
    if not key:
        raise ValueError("the disclosure control key is empty")
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    prefix = f"{table}:".encode()
    out: list[int] = []
    for record_id in record_ids:
        mac = keyed.copy()
        mac.update(prefix + record_id.encode())
        out.append(int.from_bytes(mac.digest()[:4], "big"))
    return pl.Series("record_key", out, dtype=pl.UInt32)


def with_record_keys(
    frame: pl.DataFrame, key: bytes, table: str, id_column: str, name: str = "record_key"
) -> pl.DataFrame:
    """``frame`` with a UInt32 column ``name`` holding each row's record key (from ``id_column``)."""
    keys = record_keys(key, table, frame.get_column(id_column).cast(pl.String).to_list())
    return frame.with_columns(keys.alias(name))


def cell_key_expr(key_column: str | pl.Expr, mask: pl.Expr | None = None) -> pl.Expr:
    """Rule 2 as an aggregation: (exact sum of the record keys of the rows in ``mask``) mod 2**32, UInt32.

    The sum is taken in UInt64 (exact for up to 2**32 rows), so its value never depends on the order or
    partition of the rows. Nulls in the key column are an error upstream (every record has a key).
    """
    keys = pl.col(key_column) if isinstance(key_column, str) else key_column
    keys = keys.cast(pl.UInt64)
    if mask is not None:
        keys = pl.when(mask).then(keys).otherwise(pl.lit(0, dtype=pl.UInt64))
    return (keys.sum() % KEY_SPACE).cast(pl.UInt32)


def count_with_key(mask: pl.Expr | None, key_column: str | pl.Expr, name: str) -> tuple[pl.Expr, pl.Expr]:
    """A count and its cell key for one ``group_by().agg()`` (or ``select``): ``(count_expr, cellkey_expr)``.

    Args:
        mask: a boolean expression selecting the rows counted (``None``: every row of the group). A null
            mask counts as false.
        key_column: the column (or expression) of record keys, one per row, each row one record.
        name: the count's column name; the cell key is named ``{name}__key``.

    Returns ``name`` as Int64 (the true count) and ``{name}__key`` as UInt32 (the cell key, 0 when the
    count is 0). Pass both to ``agg`` together, e.g.
    ``frame.group_by("school_id").agg(*count_with_key(pl.col("fsm_eligible"), "record_key", "fsm"))``.
    """
    selected = mask.fill_null(False) if mask is not None else None
    count = (selected.cast(pl.Int64).sum() if selected is not None else pl.len().cast(pl.Int64)).alias(name)
    return count, cell_key_expr(key_column, selected).alias(f"{name}__key")


def has_record_keys(frame: pl.DataFrame | pl.LazyFrame) -> bool:
    """True when ``frame`` carries record keys (a protected computation: count cell keys with it)."""
    names = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    return RECORD_KEY in names


def key_sum(mask: pl.Expr | None = None, key_column: str = RECORD_KEY) -> pl.Expr:
    """The exact UInt64 sum of the record keys of the rows in ``mask``, not yet reduced mod 2**32.

    For per-child partial sums (events of one child) that a later aggregation adds up; ``finish_key`` then
    reduces the total. Exact whatever the order (integers), like ``cell_key_expr``.
    """
    keys = pl.col(key_column).cast(pl.UInt64)
    if mask is not None:
        keys = pl.when(mask.fill_null(False)).then(keys).otherwise(pl.lit(0, dtype=pl.UInt64))
    return keys.sum()


def finish_key(column: str) -> pl.Expr:
    """The cell key from partial key sums: (exact UInt64 sum of ``column``) mod 2**32, as UInt32."""
    return (pl.col(column).cast(pl.UInt64).sum() % KEY_SPACE).cast(pl.UInt32).alias(column)


def cell_key(record_key_values: Iterable[int]) -> int:
    """Rule 2 in Python: the exact sum of the record keys mod 2**32 (for tests and one-off cells)."""
    return sum(record_key_values) % KEY_SPACE


def perturbation(cell_key_value: int) -> int:
    """Rule 3: the change d for a cell key in [0, 2**32), u = cell_key / 2**32.

    Compared exactly in integers: u < b/100 exactly when 100 * cell_key < b * 2**32.
    """
    if not 0 <= cell_key_value < KEY_SPACE:
        raise ValueError(f"a cell key is in [0, 2**32), not {cell_key_value}")
    scaled = 100 * cell_key_value
    for bound, change in PERTURBATION_TABLE:
        if scaled < bound * KEY_SPACE:
            return change
    raise AssertionError("unreachable: the last bound is 100")  # pragma: no cover


def perturbed(n: int, cell_key_value: int) -> int:
    """The perturbed count before the ``c`` rule: 0 for a true 0, else n + d (may be below 5, even below 0:
    never publish it without ``publish_count``, which turns every such value into ``c``)."""
    if n < 0:
        raise ValueError(f"a count is never negative, not {n}")
    if n == 0:
        return 0
    return n + perturbation(cell_key_value)


def publish_count(n: int, cell_key_value: int) -> PublishedCount:
    """Rule 3: the published form of a true count ``n`` with its cell key: 0, ``"c"`` or a number ≥ 5."""
    value = perturbed(n, cell_key_value)
    if n > 0 and value < SMALL:
        return SUPPRESSED
    return value


def publish_counts_expr(count: pl.Expr, cell_key: pl.Expr) -> pl.Expr:
    """Rule 3 in polars: the perturbed count (Int64), null where it is published as ``c``.

    Same result as ``publish_count`` row by row (tested), for tables computed in one pass.
    """
    n = count.cast(pl.Int64)
    scaled = cell_key.cast(pl.UInt64) * 100
    change = pl.lit(3, dtype=pl.Int64)
    for bound, d in reversed(PERTURBATION_TABLE[:-1]):
        change = pl.when(scaled < bound * KEY_SPACE).then(pl.lit(d, dtype=pl.Int64)).otherwise(change)
    value = pl.when(n == 0).then(pl.lit(0, dtype=pl.Int64)).otherwise(n + change)
    return pl.when((n > 0) & (value < SMALL)).then(None).otherwise(value)


def _number(value: PublishedCount | None) -> int | None:
    return value if isinstance(value, int) else None


def rates_allowed(children: PublishedCount | None, complement: PublishedCount | None = None) -> bool:
    """Rule 5: a row shows rates only when its published children in scope is at least 10 and, with a
    characteristic filter, its complement's published count is neither ``c`` nor below 10 (a true 0
    complement, published 0, is allowed).

    Args:
        children: the row's published children in scope.
        complement: with a characteristic filter, the published count of the children of the row's schools
            in scope whom the filter leaves out; ``None`` when no characteristic filter is in force.
    """
    shown = _number(children)
    if shown is None or shown < THRESHOLD:
        return False
    if complement is None:
        return True
    if complement == SUPPRESSED:
        return False
    return complement == 0 or complement >= THRESHOLD


def _ratio(
    numerator: PublishedCount | None,
    denominator: PublishedCount | None,
    scale: int,
    cap: bool,
    children: PublishedCount | None,
    complement: PublishedCount | None,
) -> PublishedRate:
    if denominator is None or denominator == 0:
        return None  # rule 7: nothing to compute (a true 0 denominator is published as 0)
    if numerator is None:
        return None
    if not rates_allowed(children if children is not None else denominator, complement):
        return SUPPRESSED
    if denominator == SUPPRESSED or numerator == SUPPRESSED:
        return SUPPRESSED
    if denominator < THRESHOLD:
        return SUPPRESSED
    top = min(numerator, denominator) if cap else numerator
    return round_half_away(top, denominator, scale)


def publish_rate(
    numerator: PublishedCount | None,
    denominator: PublishedCount | None,
    *,
    children: PublishedCount | None = None,
    complement: PublishedCount | None = None,
    scale: int = 100,
) -> PublishedRate:
    """Rule 4 for a rate per ``scale`` (e.g. referrals per 100 children) from published counts.

    ``None`` when the denominator is 0 or absent (nothing to compute); ``"c"`` when the published
    denominator is ``c`` or below 10, the numerator is ``c``, or rule 5 refuses the row (``children``:
    the row's published children in scope, default the denominator; ``complement``: see
    ``rates_allowed``); else numerator × scale ÷ denominator to 1 dp, half away from zero (a true 0
    numerator, published 0, gives 0.0).
    """
    return _ratio(numerator, denominator, scale, False, children, complement)


def publish_percentage(
    numerator: PublishedCount | None,
    denominator: PublishedCount | None,
    *,
    children: PublishedCount | None = None,
    complement: PublishedCount | None = None,
) -> PublishedRate:
    """Rule 4 for a percentage of children: as ``publish_rate`` with the numerator capped at the
    denominator (never above 100%)."""
    return _ratio(numerator, denominator, 100, True, children, complement)


def publish_attendance_rate(
    present: int,
    possible: int,
    children: PublishedCount | None,
    complement: PublishedCount | None = None,
) -> PublishedRate:
    """Rule 4 for the attendance rate: from exact sessions, shown only where the row's published children
    in scope is at least 10 (and rule 5's complement allows it); ``None`` with no possible session."""
    if possible == 0:
        return None
    if not rates_allowed(children, complement):
        return SUPPRESSED
    return round_half_away(present, possible, 100)


def round_to_ten(value: int) -> int:
    """The nearest multiple of 10, halves away from zero (15 -> 20, 25 -> 30)."""
    sign = -1 if value < 0 else 1
    return sign * ((abs(value) + 5) // 10) * 10


def publish_sessions_lost(sessions: int, events: PublishedCount) -> PublishedCount | None:
    """Rule 4 for sessions lost: rounded to the nearest 10, shown only when its event count is shown.

    Args:
        sessions: the exact sessions lost.
        events: the published count of the events they come from (suspensions and exclusions).

    Returns 0 for no events, ``"c"`` when the event count is ``c``, else the rounded sessions.
    """
    if events == SUPPRESSED:
        return SUPPRESSED
    if events == 0:
        return 0
    return round_to_ten(sessions)


def published_bounds(value: PublishedCount) -> tuple[int, int]:
    """What a published count says about the true count: [v − 3, v + 3] (at least 5 only when shown),
    ``c`` → [1, 4 + 3], 0 → exactly 0. Used by the attack test's interval reasoning."""
    if value == SUPPRESSED:
        return 1, SMALL - 1 + MAX_NOISE
    if value == 0:
        return 0, 0
    return max(1, value - MAX_NOISE), value + MAX_NOISE


def publish_many(counts: Sequence[int], cell_keys: Sequence[int]) -> list[PublishedCount]:
    """``publish_count`` over paired sequences."""
    if len(counts) != len(cell_keys):
        raise ValueError("counts and cell keys must pair up")
    return [publish_count(n, k) for n, k in zip(counts, cell_keys, strict=True)]
