"""What the cell key method costs: each page's figures and ``report``, protected (councillor) against exact (admin).

``.venv/bin/python benchmarks/disclosure_cost.py 250 10000`` — demo snapshots of those sizes (written once under
``benchmarks/.cache/disclosure-<n>``), in one process, the figure cache cleared before each page's calls, best
of ``N`` (default 5) runs. The record keys (one HMAC per child and event) are built once per snapshot and
timed on their own. Demo mode (the demo key); the attendance aggregate is built first and shared by both roles.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("IMPACT_ENV", "demo")

from benchmarks.pages import page_calls  # noqa: E402
from dashboard.data import cached, clear_figures  # noqa: E402
from data_access import record_keys  # noqa: E402
from data_access.demo import write_demo_snapshot  # noqa: E402
from data_access.filters import Filters  # noqa: E402
from data_access.periods import academic_year  # noqa: E402
from data_access.report import report_rows  # noqa: E402
from data_access.snapshots import open_snapshot  # noqa: E402

ROLES = ("admin", "councillor")


def best_of(runs: int, work: object) -> float:
    """The fastest of ``runs`` timings of ``work()`` (seconds)."""
    times = []
    for _ in range(runs):
        clear_figures()
        started = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def main(sizes: list[int], runs: int) -> None:
    for n in sizes:
        root = ROOT / "benchmarks" / ".cache" / f"disclosure-{n}"
        if not (root / "2026-11-20").exists():
            write_demo_snapshot(root, children=n)
        folder = root / "2026-11-20"
        snapshot = open_snapshot(folder)
        _ = snapshot.attendance_buckets
        started = time.perf_counter()
        keyed = record_keys.keyed(snapshot)
        _ = (keyed.children, keyed.referrals, keyed.suspensions)
        print(
            f"{n} children: record keys, once per snapshot: {1000 * (time.perf_counter() - started):.0f} ms"
        )
        filters = Filters(period=academic_year(2025))
        for page, calls in page_calls(snapshot, filters).items():
            exact, protected = (
                best_of(
                    runs,
                    lambda r=role, c=calls, s=snapshot, fl=filters: [
                        cached(f, s, fl, r, *a, **k) for f, a, k in c
                    ],
                )
                for role in ROLES
            )
            print(f"  {page:26s} exact {1000 * exact:7.1f} ms  protected {1000 * protected:7.1f} ms  "
                  f"x{protected / exact:.2f}")  # fmt: skip
        exact, protected = (
            best_of(runs, lambda r=role, d=folder: report_rows(d, date(2025, 8, 1), date(2026, 7, 31), [], r))
            for role in ROLES
        )
        print(f"  {'report year (in process)':26s} exact {1000 * exact:7.1f} ms  protected {1000 * protected:7.1f} ms  "
              f"x{protected / exact:.2f}")  # fmt: skip


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [250], int(os.environ.get("N", "5")))
