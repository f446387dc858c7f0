"""Speed and memory of the data layer at several scales, each against DuckDB on the same Parquet, same run.

Usage: ``python -m benchmarks [--scales 250,10000,100000] [--repeat N]`` (or ``python benchmarks/run.py``).

For each scale a demo snapshot is generated once and cached under ``benchmarks/.cache/`` (git-ignored); then a
fresh subprocess per scale measures, with its own empty ``IMPACT_STATE_DIR`` (so no on-disk cache from an
earlier run helps):

- validate: the full validator (every rule of contract sections 1-3);
- first load: open the snapshot and build the per-child attendance aggregate (what the first page view pays);
- report for an academic year and for a term: in-process ``report_rows`` and the ``report`` CLI end to end,
  both "cold" (nothing cached: validation plus aggregate build) and "cached" (a second process: the
  validated marker and the aggregate are read from the state dir);
- each page's figures after a filter change: "miss" is new filters with the figure cache cleared (the
  snapshot and its aggregate already in memory, as on a running server), "hit" is the same filters again;
- peak memory (RSS high-water mark) of a separate process doing validate + load + report + every page, and of
  the DuckDB process computing the year's figures.

DuckDB computes the board figures of contract section 4 (``benchmarks/duckdb_board.py``, an independent SQL
implementation) straight from the Parquet files for the same period and filters; its raw counts are compared
with ours, per school and in total, and the check prints PASS or FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = ROOT / "benchmarks" / ".cache"
SCALES = (250, 10_000, 100_000)
SNAPSHOT_DATE = "2026-11-20"
YEAR = (date(2025, 8, 1), date(2026, 7, 31))
TERM = (date(2026, 1, 1), date(2026, 4, 5))  # spring term 2025/26 (Easter Sunday 5 April 2026)
FILTER_SCHOOLS = (
    "S03",
    "S04",
)  # one township (Atherton): a selection contract section 6, rule 6 allows councillors


def snapshot_for(children: int) -> Path:
    """The cached demo snapshot of ``children`` children, generated on first use."""
    folder = CACHE / f"children-{children}" / SNAPSHOT_DATE
    if not (folder / "manifest.json").is_file():
        from data_access.demo import write_demo_snapshot

        print(
            f"generating the demo snapshot of {children:,} children (once; cached in {CACHE}) ...", flush=True
        )
        written = write_demo_snapshot(folder.parent, children=children, snapshot_date=SNAPSHOT_DATE)
        assert written == folder, (written, folder)
    return folder


# --- measuring, in the worker process -------------------------------------------------------------------


def _timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _run_child(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, int, str]:
    """Run a subprocess; its wall time, its own peak RSS in bytes, and its stdout."""
    start = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    out, err = process.communicate()
    elapsed = time.perf_counter() - start
    # communicate() reaped the child, so read its peak RSS from the file it wrote (see _rss_wrapper)
    if process.returncode != 0:
        raise RuntimeError(f"{args} failed: {err.decode()[-2000:]}")
    text = out.decode()
    rss = 0
    if text.startswith("RSS "):
        first, text = text.split("\n", 1)
        rss = int(first.split()[1])
    return elapsed, rss, text


def _rss_wrapper(module_args: list[str]) -> list[str]:
    """A command that runs ``python -m <module_args>`` and first prints its own peak RSS (``RSS <bytes>``)."""
    code = (
        "import io, runpy, sys, resource, contextlib\n"
        f"sys.argv = {module_args!r}\n"
        "buffer = io.StringIO()\n"
        "code = 0\n"
        "with contextlib.redirect_stdout(buffer):\n"
        "    try:\n"
        "        runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
        "    except SystemExit as exit:\n"
        "        code = exit.code or 0\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it would report the parent's peak
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
        "peak = int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print('RSS', peak * 1024)\n"
        "sys.stdout.write(buffer.getvalue())\n"
        "sys.exit(code)\n"
    )
    return [sys.executable, "-c", code]


def _duckdb_cli(folder: Path, start: date, end: date) -> list[str]:
    return _rss_wrapper(["benchmarks.duckdb_board", str(folder), start.isoformat(), end.isoformat()])


def _report_cli(folder: Path, start: date, end: date) -> list[str]:
    return _rss_wrapper(
        ["data_access", "report", str(folder), "--from", start.isoformat(), "--to", end.isoformat()]
    )


def _counts_of_ours(
    snapshot: Any, start: date, end: date, schools: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    from benchmarks.duckdb_board import BOARD_COUNTS
    from data_access.figures import board_raw
    from data_access.filters import Filters
    from data_access.periods import custom

    frame = board_raw(snapshot, Filters(period=custom(start, end), schools=schools))
    return frame.select("school_id", *BOARD_COUNTS).to_dicts()  # type: ignore[no-any-return]


def worker(folder: Path, repeat: int) -> dict[str, Any]:
    """Every measurement of one scale (run in a fresh process); returns a JSON-ready dict."""
    import duckdb

    from benchmarks.duckdb_board import board_counts
    from benchmarks.pages import page_calls
    from dashboard.data import cached, clear_figures
    from data_access.filters import Filters
    from data_access.periods import academic_year, term_period
    from data_access.report import report_rows
    from data_access.snapshots import forget_cached, open_snapshot
    from data_access.validate import validate_snapshot

    out: dict[str, Any] = {}
    base_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    connection = duckdb.connect()

    def fresh_state() -> str:
        state = tempfile.mkdtemp(prefix="bench-state-")
        os.environ["IMPACT_STATE_DIR"] = state
        forget_cached()
        clear_figures()
        return state

    fresh_state()
    out["validate"], result = _timed(lambda: validate_snapshot(folder))
    assert result.ok, result.format()
    out["duckdb_year"], duck_year = _timed(lambda: board_counts(folder, *YEAR, connection=connection), repeat)
    out["duckdb_term"], duck_term = _timed(lambda: board_counts(folder, *TERM, connection=connection), repeat)

    def first_load() -> Any:
        snapshot = open_snapshot(folder, validate=False)
        _ = snapshot.schools, snapshot.children, snapshot.attendance_buckets
        return snapshot

    out["first_load"], snapshot = _timed(first_load)

    # Raw-count parity with DuckDB: year, term, and the year for a subset of schools.
    parity = {
        "year": _counts_of_ours(snapshot, *YEAR) == duck_year,
        "term": _counts_of_ours(snapshot, *TERM) == duck_term,
        "year, one township": _counts_of_ours(snapshot, *YEAR, FILTER_SCHOOLS)
        == board_counts(folder, *YEAR, FILTER_SCHOOLS, connection=connection),
    }
    out["parity"] = parity

    # report in-process: cold (new state dir: validation + aggregate build), then cached (a second process).
    def report(period: tuple[date, date]) -> Any:
        forget_cached()
        return report_rows(folder, period[0], period[1], [], "councillor")

    fresh_state()
    out["report_year_cold"], _ = _timed(lambda: report(YEAR))
    out["report_year_cached"], _ = _timed(lambda: report(YEAR), repeat)
    out["report_term_cached"], _ = _timed(lambda: report(TERM), repeat)

    # report CLI end to end vs a DuckDB process doing the same figures.
    env = {**base_env, "IMPACT_STATE_DIR": tempfile.mkdtemp(prefix="bench-cli-")}
    out["cli_year_cold"], _, _ = _run_child(_report_cli(folder, *YEAR), env)
    cli = {"year": YEAR, "term": TERM}
    for name, period in cli.items():
        best = best_duck = float("inf")
        for _ in range(repeat):
            best = min(best, _run_child(_report_cli(folder, *period), env)[0])
            elapsed, rss, _ = _run_child(_duckdb_cli(folder, *period), base_env)
            best_duck = min(best_duck, elapsed)
            out["duckdb_rss"] = max(out.get("duckdb_rss", 0), rss)
        out[f"cli_{name}_cached"], out[f"duckdb_cli_{name}"] = best, best_duck

    # Pages after a filter change (snapshot warm in memory): miss = figure cache cleared, hit = asked again.
    snapshot = open_snapshot(folder, validate=False)
    _ = snapshot.attendance_buckets
    start_year = (
        snapshot.snapshot_date.year if snapshot.snapshot_date.month >= 8 else snapshot.snapshot_date.year - 1
    )
    before = Filters(period=academic_year(start_year - 1))
    after = Filters(period=term_period(start_year - 1, "spring"), schools=FILTER_SCHOOLS)
    pages: dict[str, dict[str, Any]] = {}
    for page in page_calls(snapshot, before):
        row: dict[str, Any] = {}
        try:
            for filters in (before, after):  # settle lazily built per-snapshot tables (first view pays them)
                for fn, args, kwargs in page_calls(snapshot, filters)[page]:
                    cached(fn, snapshot, filters, "councillor", *args, **kwargs)
            miss = hit = float("inf")
            for _ in range(repeat):
                clear_figures()
                calls = page_calls(snapshot, after)[page]
                elapsed, _ = _timed(
                    lambda c=calls: [cached(f, snapshot, after, "councillor", *a, **k) for f, a, k in c]
                )
                miss = min(miss, elapsed)
                elapsed, _ = _timed(
                    lambda c=calls: [cached(f, snapshot, after, "councillor", *a, **k) for f, a, k in c]
                )
                hit = min(hit, elapsed)
            row = {"miss": miss, "hit": hit}
        except Exception as error:  # a page whose calls changed is reported, not fatal
            row = {"error": f"{type(error).__name__}: {str(error)[:120]}"}
        pages[page] = row
    out["pages"] = pages
    out["duckdb_filtered"], _ = _timed(
        lambda: board_counts(
            folder, after.period.start, after.period.end, FILTER_SCHOOLS, connection=connection
        ),
        repeat,
    )
    # Peak memory of our whole workload in a process of its own.
    env = {**base_env, "IMPACT_STATE_DIR": tempfile.mkdtemp(prefix="bench-mem-")}
    _, out["ours_rss"], _ = _run_child(
        _rss_wrapper(["benchmarks.run", "--memory-workload", str(folder)]), env
    )
    return out


def memory_workload(folder: Path) -> None:
    """Validate, load, report a year and a term, and every page's figures twice: the process whose RSS is peak."""
    from benchmarks.pages import page_calls
    from dashboard.data import cached
    from data_access.filters import Filters
    from data_access.periods import academic_year, term_period
    from data_access.report import report_rows
    from data_access.snapshots import open_snapshot

    snapshot = open_snapshot(folder)
    report_rows(folder, *YEAR, [], "councillor")
    report_rows(folder, *TERM, [], "councillor")
    for filters in (Filters(period=academic_year(2025)),
                    Filters(period=term_period(2025, "spring"), schools=FILTER_SCHOOLS)):  # fmt: skip
        for calls in page_calls(snapshot, filters).values():
            for fn, args, kwargs in calls:
                cached(fn, snapshot, filters, "councillor", *args, **kwargs)


# --- printing, in the parent process --------------------------------------------------------------------


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}×" if theirs > 0 else "–"


def print_table(children: int, rows: int, r: dict[str, Any]) -> None:
    """One scale's table."""
    print(f"\n## {children:,} children ({rows:,} attendance rows)\n")
    print(f"| {'measure':<44} | {'ours':>9} | {'DuckDB':>9} | {'ours/DuckDB':>11} |")
    print(f"|{'-' * 46}|{'-' * 11}|{'-' * 11}|{'-' * 13}|")

    def line(name: str, ours: float | None, theirs: float | None, note: str = "") -> None:
        o = _s(ours) if ours is not None else "–"
        t = _s(theirs) if theirs is not None else "–"
        ratio = _ratio(ours, theirs) if ours is not None and theirs is not None else "–"
        print(f"| {name + note:<44} | {o:>9} | {t:>9} | {ratio:>11} |")

    line("validate (every contract rule)", r["validate"], None)
    line("first load (open + attendance aggregate)", r["first_load"], r["duckdb_year"], " ¹")
    line("report year, in-process, cold ²", r["report_year_cold"], r["duckdb_year"])
    line("report year, in-process, cached ³", r["report_year_cached"], r["duckdb_year"])
    line("report term, in-process, cached ³", r["report_term_cached"], r["duckdb_term"])
    line("report year, CLI, cold ²", r["cli_year_cold"], r["duckdb_cli_year"])
    line("report year, CLI, cached ³", r["cli_year_cached"], r["duckdb_cli_year"])
    line("report term, CLI, cached ³", r["cli_term_cached"], r["duckdb_cli_term"])
    for page, timing in r["pages"].items():
        if "error" in timing:
            print(f"| {'page ' + page + ': ' + timing['error']:<90} |")
            continue
        line(f"page {page}: filter change, figure cache miss", timing["miss"], r["duckdb_filtered"], " ⁴")
        line(f"page {page}: same filters again (cache hit)", timing["hit"], None)
    print(f"| {'peak memory (RSS high-water mark)':<44} | {r['ours_rss'] / 2**30:>6.2f} GB | "
          f"{r['duckdb_rss'] / 2**30:>6.2f} GB | {_ratio(r['ours_rss'], r['duckdb_rss']):>11} |")  # fmt: skip
    parity = r["parity"]
    verdict = "PASS" if all(parity.values()) else "FAIL"
    details = ", ".join(f"{k} {'=' if v else '≠'}" for k, v in parity.items())
    print(f"\nDuckDB raw counts equal ours (numerators and denominators of every board figure, per school and "
          f"total): {verdict} ({details})")  # fmt: skip


def machine() -> str:
    """nproc, memory and CPU model."""
    model = "unknown CPU"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{os.cpu_count()} CPUs ({model}), {memory:.0f} GB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; load average at start {load:.1f}")  # fmt: skip


def _cpu_of_child(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one child process run to the end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = _run_child(args, env, cwd)[0]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli_comparison(scales: list[int], repeat: int, other: Path | None) -> int:
    """Only ``report`` on the command line against the DuckDB process, whole process, best of ``repeat``,
    taken in turn (ours, DuckDB[, the other checkout]) so that load from other work hits them alike.

    Wall time is the target's measure; CPU time (user + system of the whole process) is printed too, as it
    is far less disturbed by other work on a shared machine (DuckDB may use more than one core).
    """
    print(f"# report CLI vs DuckDB {_duckdb_version()}, whole process, best of {repeat} (load average "
          f"{os.getloadavg()[0]:.1f} at the start)\n")  # fmt: skip
    head = "| children | period | ours wall / CPU | DuckDB wall / CPU | ratio wall / CPU |"
    print(head + (" other checkout wall / CPU | ratio wall / CPU |" if other else ""))
    print("|---|---|---|---|---|" + ("---|---|" if other else ""))
    for children in scales:
        folder = snapshot_for(children)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "IMPACT_STATE_DIR": tempfile.mkdtemp(prefix="bench-cli-"),
        }
        other_env = {
            **env,
            "PYTHONPATH": str(other),
            "IMPACT_STATE_DIR": tempfile.mkdtemp(prefix="bench-cli-"),
        }
        _run_child(_report_cli(folder, *YEAR), env)  # cold: validation marker and aggregate written
        if other:
            _run_child(_report_cli(folder, *YEAR), other_env, cwd=other)
        for name, period in (("year", YEAR), ("term", TERM)):
            inf = (float("inf"), float("inf"))
            ours, duck, theirs = inf, inf, inf
            for _ in range(repeat):
                ours = tuple(map(min, ours, _cpu_of_child(_report_cli(folder, *period), env)))  # type: ignore[assignment]
                duck = tuple(map(min, duck, _cpu_of_child(_duckdb_cli(folder, *period), env)))  # type: ignore[assignment]
                if other:
                    theirs = tuple(
                        map(min, theirs, _cpu_of_child(_report_cli(folder, *period), other_env, cwd=other))
                    )  # type: ignore[assignment]

            def pair(a: tuple[float, float]) -> str:
                return f"{_s(a[0])} / {_s(a[1])}"

            def ratios(a: tuple[float, float], duck: tuple[float, float] = duck) -> str:
                return f"{_ratio(a[0], duck[0])} / {_ratio(a[1], duck[1])}"

            extra = f" {pair(theirs)} | {ratios(theirs)} |" if other else ""
            print(f"| {children:,} | {name} | {pair(ours)} | {pair(duck)} | {ratios(ours)} |{extra}")
    print(f"\n(load average {os.getloadavg()[0]:.1f} at the end)")
    return 0


def compile_sources(*folders: Path) -> None:
    """Byte-compile the project (and ``--other``'s), as ``pip install`` does for an installed package.

    Python writes a module's bytecode on its first import, unless ``PYTHONDONTWRITEBYTECODE`` is set (it is
    on some machines, this project's among them): then every ``report`` process compiled our ~30 modules
    from source again (about 40 ms of a 300 ms run) while polars and duckdb ran from their installed bytecode.
    """
    import compileall

    for folder in folders or (ROOT,):
        for name in ("data_access", "dashboard", "benchmarks"):
            if (folder / name).is_dir():
                compileall.compile_dir(folder / name, quiet=1)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0, or 1 when DuckDB's counts differ from ours."""
    # The snapshots are generated demo data and the pages are timed as a councillor sees them (the cell key
    # method): demo mode gives them the published demo SDC key, inherited by the worker processes.
    os.environ.setdefault("IMPACT_ENV", "demo")
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default=",".join(str(s) for s in SCALES),
                        help="comma-separated numbers of children (default 250,10000,100000)")  # fmt: skip
    parser.add_argument(
        "--repeat", type=int, default=2, help="repeats of the short measurements (best is kept)"
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-workload", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the raw results to this JSON file")
    parser.add_argument("--cli-only", action="store_true",
                        help="only `report` on the command line against DuckDB (best of --repeat)")  # fmt: skip
    parser.add_argument(
        "--other",
        type=Path,
        help="with --cli-only: also time the report of another checkout (e.g. the last release)",
    )
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeat)))
        return 0
    if args.memory_workload:
        memory_workload(args.memory_workload)
        return 0

    import pyarrow.parquet as pq

    compile_sources()
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]
    if args.cli_only:
        if args.other:
            compile_sources(args.other.resolve())
        return cli_comparison(scales, args.repeat, args.other.resolve() if args.other else None)
    print(f"# Benchmark: data_access vs DuckDB {_duckdb_version()}, polars {_polars_version()}\n")
    print(f"Machine: {machine()}")
    results: dict[str, Any] = {}
    ok = True
    for children in scales:
        folder = snapshot_for(children)
        rows = pq.read_metadata(folder / "attendance.parquet").num_rows
        command = [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--worker",
            str(folder),
            "--repeat",
            str(args.repeat),
        ]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
        if done.returncode != 0:
            print(f"\n## {children:,} children: the worker failed\n{done.stderr[-4000:]}")
            ok = False
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results[str(children)] = result
        print_table(children, rows, result)
        print(f"(this scale took {time.perf_counter() - started:.0f} s)")
        ok &= all(result["parity"].values())
    print(
        "\n¹ DuckDB column: DuckDB computing the year's board figures from the raw Parquet (it has no load step)."
        "\n² cold: a new process with an empty IMPACT_STATE_DIR: full validation, then the aggregate is built."
        "\n³ cached: a second process: the validated marker (checksums re-verified) and the aggregate are read"
        " from IMPACT_STATE_DIR/cache/<snapshot id>/."
        "\n⁴ DuckDB column: the board figures for the new filters (spring term, one township: two schools) from the raw Parquet."
        "\nPeak memory: ours is a separate process running validate + load + both reports + every page twice;"
        " DuckDB's is its year-report process."
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


def _duckdb_version() -> str:
    import duckdb

    return str(duckdb.__version__)


def _polars_version() -> str:
    import polars

    return str(polars.__version__)


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
