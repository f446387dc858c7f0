"""A second, independent implementation of the board figures (contract section 4) in DuckDB SQL.

It reads the snapshot's Parquet files directly and returns the *raw* counts behind every board figure, per
school (every school of the snapshot, or of the ``schools`` list) in school_id order, then the total row
``all``. It shares no code with ``data_access`` except the contract's code lists, so agreement between the
two is evidence that both follow the contract. Used by the benchmark (as the speed baseline) and by
``tests/test_duckdb_parity.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

from data_access.contract import MEASURES, POSSIBLE_CODES, PRESENT_CODES

BOARD_COUNTS = (
    "children", "present", "possible", "with_sessions", "persistent", "severe",
    "mh_referrals", "suspensions", "permanent_exclusions", "sdq_with_both", "sdq_improved",
)  # fmt: skip


def _sql_list(values: Sequence[str]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def board_sql(folder: str, start: date, end: date, schools: Sequence[str] = ()) -> str:
    """The SQL computing raw board counts for [start, end] from the Parquet files under ``folder``."""
    f = folder.rstrip("/")
    sdq = MEASURES["sdq_total"]
    # Gain in the "better" direction; for SDQ total difficulties lower is better.
    gain = "l.score - b.score" if sdq.higher_is_better else "b.score - l.score"
    # Ties on one date: the better baseline score and the worse latest score (never flatters a child).
    base_order = "score DESC" if sdq.higher_is_better else "score ASC"
    latest_order = "score ASC" if sdq.higher_is_better else "score DESC"
    school_filter = f"AND school_id IN {_sql_list(schools)}" if schools else ""
    school_list = (
        f"SELECT school_id FROM read_parquet('{f}/schools.parquet') WHERE school_id IN {_sql_list(schools)}"
        if schools
        else f"SELECT school_id FROM read_parquet('{f}/schools.parquet')"
    )
    return f"""
WITH scope AS (
    SELECT child_id, school_id FROM read_parquet('{f}/children.parquet')
    WHERE enrolled_date IS NOT NULL AND enrolled_date <= DATE '{end}'
      AND (exit_date IS NULL OR exit_date >= DATE '{start}') {school_filter}
),
att AS (
    SELECT a.child_id,
           count(*) FILTER (WHERE code IN {_sql_list(PRESENT_CODES)}) AS present,
           count(*) FILTER (WHERE code IN {_sql_list(POSSIBLE_CODES)}) AS possible
    FROM read_parquet('{f}/attendance.parquet') a SEMI JOIN scope s ON a.child_id = s.child_id
    WHERE a.date BETWEEN DATE '{start}' AND DATE '{end}'
    GROUP BY a.child_id
),
ref AS (
    SELECT r.child_id, count(*) AS mh_referrals
    FROM read_parquet('{f}/referrals.parquet') r
    WHERE r.reason = 'mental_health' AND r.referral_date BETWEEN DATE '{start}' AND DATE '{end}'
    GROUP BY r.child_id
),
sus AS (
    SELECT child_id,
           count(*) FILTER (WHERE kind = 'suspension') AS suspensions,
           count(*) FILTER (WHERE kind = 'permanent_exclusion') AS permanent_exclusions
    FROM read_parquet('{f}/suspensions.parquet')
    WHERE start_date BETWEEN DATE '{start}' AND DATE '{end}'
    GROUP BY child_id
),
scores AS (
    SELECT child_id, assessment_date, wave, score FROM read_parquet('{f}/assessments.parquet')
    WHERE measure = 'sdq_total' AND assessment_date <= DATE '{end}'
),
b AS (
    SELECT child_id, assessment_date, score FROM scores WHERE wave = 'baseline'
    QUALIFY row_number() OVER (PARTITION BY child_id ORDER BY assessment_date ASC, {base_order}) = 1
),
l AS (
    SELECT s.child_id, s.score FROM scores s JOIN b ON s.child_id = b.child_id
    WHERE s.assessment_date > b.assessment_date
    QUALIFY row_number() OVER (PARTITION BY s.child_id ORDER BY s.assessment_date DESC, s.{latest_order}) = 1
),
sdq AS (
    SELECT b.child_id, 1 AS sdq_with_both, CASE WHEN {gain} >= {sdq.meaningful_change} THEN 1 ELSE 0 END AS sdq_improved
    FROM b JOIN l ON b.child_id = l.child_id
),
per_child AS (
    SELECT s.school_id,
           coalesce(att.present, 0) AS present, coalesce(att.possible, 0) AS possible,
           coalesce(ref.mh_referrals, 0) AS mh_referrals,
           coalesce(sus.suspensions, 0) AS suspensions,
           coalesce(sus.permanent_exclusions, 0) AS permanent_exclusions,
           coalesce(sdq.sdq_with_both, 0) AS sdq_with_both, coalesce(sdq.sdq_improved, 0) AS sdq_improved
    FROM scope s
    LEFT JOIN att ON att.child_id = s.child_id
    LEFT JOIN ref ON ref.child_id = s.child_id
    LEFT JOIN sus ON sus.child_id = s.child_id
    LEFT JOIN sdq ON sdq.child_id = s.child_id
),
per_school AS (
    SELECT school_id,
           count(*) AS children,
           sum(present) AS present, sum(possible) AS possible,
           count(*) FILTER (WHERE possible > 0) AS with_sessions,
           count(*) FILTER (WHERE possible > 0 AND 10 * (possible - present) >= possible) AS persistent,
           count(*) FILTER (WHERE possible > 0 AND 2 * (possible - present) >= possible) AS severe,
           sum(mh_referrals) AS mh_referrals, sum(suspensions) AS suspensions,
           sum(permanent_exclusions) AS permanent_exclusions,
           sum(sdq_with_both) AS sdq_with_both, sum(sdq_improved) AS sdq_improved
    FROM per_child GROUP BY school_id
),
rows AS (
    SELECT k.school_id, {", ".join(f"coalesce(p.{c}, 0)::BIGINT AS {c}" for c in BOARD_COUNTS)}
    FROM ({school_list}) k LEFT JOIN per_school p ON p.school_id = k.school_id
)
SELECT * FROM (SELECT 0 AS is_total, * FROM rows
               UNION ALL
               SELECT 1, 'all', {", ".join(f"sum({c})::BIGINT" for c in BOARD_COUNTS)} FROM rows)
ORDER BY is_total, school_id
"""


def board_counts(
    folder: str | Path,
    start: date,
    end: date,
    schools: Sequence[str] = (),
    *,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> list[dict[str, object]]:
    """Raw board counts per school then ``all``, as a list of dicts (school_id and ``BOARD_COUNTS``)."""
    con = connection or duckdb.connect()
    result = con.execute(board_sql(str(folder), start, end, schools))
    names = [d[0] for d in result.description]
    rows = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    for row in rows:
        row.pop("is_total")
    return rows


if __name__ == "__main__":  # python -m benchmarks.duckdb_board FOLDER FROM TO: the rows as JSON
    import json
    import sys

    folder_arg, start_arg, end_arg = sys.argv[1:4]
    found = board_counts(folder_arg, date.fromisoformat(start_arg), date.fromisoformat(end_arg))
    print(json.dumps(found))
