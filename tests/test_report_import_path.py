"""`report` on the command line stays light: pyarrow and numpy are not imported (issue 14).

Importing them is most of a short `report` process's time (the goal: within 1.2x of a DuckDB process). They
are needed to validate a snapshot and to build the attendance aggregate of a large one, so they are imported
there, not at module level; a second `report` of the same snapshot (validated marker and aggregate cached)
imports neither.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pyarrow", "numpy", "pandas", "data_access.validate")

# Runs `python -m data_access <args>` and then prints which heavy modules the process had imported.
PROBE = f"""
import gc, json, runpy, sys
sys.argv = ["data_access", *sys.argv[1:]]
code = 0
try:
    runpy.run_module("data_access", run_name="__main__", alter_sys=True)
except SystemExit as done:
    code = done.code
print(json.dumps({{"code": code, "heavy": [m for m in {HEAVY!r} if m in sys.modules],
                  "gc_enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}}))
"""


def _run(args: list[str], state: Path) -> dict[str, object]:
    env = {**os.environ, "IMPACT_STATE_DIR": str(state), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_importing_report_imports_neither_pyarrow_nor_numpy() -> None:
    code = f"import sys, data_access.report; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_a_second_report_of_a_snapshot_imports_neither(demo_root: Path, tmp_path: Path) -> None:
    folder = next(p for p in sorted(demo_root.iterdir()) if (p / "manifest.json").is_file())
    args = ["report", str(folder), "--from", "2025-08-01", "--to", "2026-07-31"]
    first = _run(args, tmp_path)  # validates (pyarrow) and remembers it
    assert first["code"] in (0, None)
    second = _run(args, tmp_path)
    assert second["heavy"] == []
    assert second["code"] in (0, None)


def test_the_command_line_loads_with_the_collector_paused_and_works_with_it_on(
    demo_root: Path, tmp_path: Path
) -> None:
    """``data_access/__main__.py`` pauses the cyclic GC while polars loads (about 30 ms of a 250-child
    ``report``), freezes the start-up objects, and switches it back on: a large report still collects."""
    folder = next(p for p in sorted(demo_root.iterdir()) if (p / "manifest.json").is_file())
    done = _run(["report", str(folder), "--from", "2025-08-01", "--to", "2026-07-31"], tmp_path)
    assert done["code"] in (0, None)
    assert done["gc_enabled"] is True
    assert isinstance(done["frozen"], int) and done["frozen"] > 10_000, done
