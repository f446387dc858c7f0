"""Load test: many people opening the dashboard at once before a board meeting (not a pytest test).

Starts ``streamlit run app.py`` on a free loopback port against a demo snapshot (made once and cached under
``benchmarks/.cache``), then runs concurrent sessions in headless Chromium (Playwright, the system's
``/usr/bin/chromium``), spread over a few browser processes with one browser context per session. Each
session signs in as a demo account (the four roles in turn), then, until the time or action budget runs
out, opens every page its role may see through the sidebar and changes a filter on each.

It reports:
  * errors (must be 0): an exception box (``[data-testid="stException"]``) on a page, or a navigation,
    sign-in or filter change that did not finish within the timeout;
  * page times, p50 and p95 (click → page title shown and the script finished), and filter-change times;
  * the server's peak resident memory (``VmHWM`` from ``/proc/<pid>/status``) and its memory before load.

Traffic goes to 127.0.0.1 only; the run is bounded in sessions, actions and seconds, and stops by itself.

    .venv/bin/python benchmarks/load_test.py --children 250 --sessions 25 --duration 90

Exit code 0 when there were no errors, 1 otherwise. A JSON copy of the report goes to
``benchmarks/results/load_test-<children>.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dashboard.registry import pages_for  # noqa: E402 - after the path is set

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROLES = ("councillor", "commissioner", "allchild", "admin")
PASSWORD = "demo-password"
EXCEPTION = '[data-testid="stException"]'
RUNNING = '[data-testid="stStatusWidget"]'


@dataclass
class Results:
    """What every session measured."""

    page_times: list[float] = field(default_factory=list)
    filter_times: list[float] = field(default_factory=list)
    sign_in_times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    actions: int = 0
    pages_by_role: dict[str, list[str]] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_root(children: int) -> Path:
    """A snapshot root holding the demo snapshot of ``children`` children (made once, then reused)."""
    root = REPO / "benchmarks" / ".cache" / f"load-test-{children}" / "snapshots"
    if not any(root.glob("????-??-??")):
        subprocess.run(
            [sys.executable, "-m", "data_access", "demo", str(root), "--children", str(children)],
            cwd=REPO, check=True,
        )  # fmt: skip
    return root


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak) of a process, in KiB, from /proc."""
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server was not healthy within {timeout} s")


def start_server(app_dir: Path, root: Path, port: int, state: Path) -> subprocess.Popen[bytes]:
    """``streamlit run app.py`` in demo mode (demo snapshot, no credentials file), loopback only."""
    env = {
        **os.environ,
        "IMPACT_SNAPSHOT_ROOT": str(root),
        "IMPACT_STATE_DIR": str(state / "state"),
        "IMPACT_CREDENTIALS_FILE": str(state / "no-credentials.yaml"),
    }
    env.pop("IMPACT_ENV", None)
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    log = (state / "server.log").open("wb")
    return subprocess.Popen(command, cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT)


async def settle(page: Any, timeout_ms: float) -> None:
    """Wait until the script run has finished: the 'running' status widget has gone and stayed gone."""
    deadline = time.monotonic() + timeout_ms / 1000
    quiet = 0
    while time.monotonic() < deadline:
        running = await page.locator(RUNNING).count()
        quiet = quiet + 1 if running == 0 else 0
        if quiet >= 3:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the page kept running")


async def check_page(page: Any, what: str, results: Results) -> bool:
    if await page.locator(EXCEPTION).count():
        text = (await page.locator(EXCEPTION).first.inner_text())[:200].replace("\n", " ")
        results.errors.append(f"{what}: exception shown: {text}")
        return False
    return True


async def sign_in(page: Any, url: str, username: str, timeout_ms: float) -> None:
    await page.goto(url, timeout=timeout_ms)
    await page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    await page.wait_for_selector(".st-key-login_username input", timeout=timeout_ms)
    await page.fill(".st-key-login_username input", username)
    await page.fill(".st-key-login_password input", PASSWORD)
    await page.click(".st-key-login_submit button")
    await page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=timeout_ms)
    await page.locator("h1").filter(has_text="Overview").first.wait_for(timeout=timeout_ms)  # the first page
    await settle(page, timeout_ms)


async def change_filter(page: Any, turn: int, timeout_ms: float) -> bool:
    """Change the free-school-meals filter in the sidebar; False when the page has no filters."""
    box = page.locator('[data-testid="stSidebar"] .st-key-f_fsm input[role="combobox"]')
    if not await box.count():
        return False
    choice, in_link = (("Eligible", "fsm=yes"), ("Not eligible", "fsm=no"), ("All children", None))[turn % 3]
    option = page.get_by_role("option", name=choice, exact=True)
    for attempt in range(4):  # the list may not open when the click lands while the sidebar re-renders
        await page.locator('[data-testid="stSidebar"] .st-key-f_fsm button[aria-label="Open"]').first.click(
            timeout=timeout_ms
        )
        try:
            await option.wait_for(state="visible", timeout=5000)
            break
        except Exception:
            if attempt == 3:
                raise
            await page.keyboard.press("Escape")
    await option.click(timeout=timeout_ms)
    # The run writes the filters into the link, then finishes: wait for both.
    if in_link:
        await page.wait_for_function(f"location.search.includes({in_link!r})", timeout=timeout_ms)
    else:
        await page.wait_for_function("!location.search.includes('fsm=')", timeout=timeout_ms)
    await settle(page, timeout_ms)
    return True


async def session(
    index: int, browser: Any, url: str, deadline: float, max_actions: int, timeout_ms: float, results: Results
) -> None:
    role = ROLES[index % len(ROLES)]
    specs = pages_for(role)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    actions = 0
    try:
        started = time.monotonic()
        try:
            await sign_in(page, url, f"demo-{role}", timeout_ms)
        except Exception as error:  # any failure to sign in is an error of the run
            results.errors.append(
                f"session {index} ({role}) sign-in failed: {type(error).__name__}: {error}"[:300]
            )
            return
        results.sign_in_times.append(time.monotonic() - started)
        if not await check_page(page, f"session {index} ({role}) first page", results):
            return
        turn = 0
        while time.monotonic() < deadline and actions < max_actions:
            for spec in specs:
                if time.monotonic() >= deadline or actions >= max_actions:
                    break
                what = f"session {index} ({role}) {spec.key}"
                started = time.monotonic()
                try:
                    link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=spec.title).first
                    await link.click(timeout=timeout_ms)
                    await page.locator("h1").filter(has_text=spec.title).first.wait_for(timeout=timeout_ms)
                    await settle(page, timeout_ms)
                except Exception as error:
                    results.errors.append(f"{what}: navigation failed: {type(error).__name__}: {error}"[:300])
                    return
                results.page_times.append(time.monotonic() - started)
                actions += 1
                if not await check_page(page, what, results):
                    return
                if time.monotonic() >= deadline or actions >= max_actions:
                    break
                started = time.monotonic()
                try:
                    changed = await change_filter(page, turn, timeout_ms)
                except Exception as error:
                    results.errors.append(
                        f"{what}: filter change failed: {type(error).__name__}: {error}"[:300]
                    )
                    return
                if changed:
                    turn += 1
                    results.filter_times.append(time.monotonic() - started)
                    actions += 1
                    if not await check_page(page, f"{what} after a filter change", results):
                        return
    finally:
        results.actions += actions
        await context.close()


async def run_clients(url: str, sessions: int, browsers: int, duration: float, max_actions: int,
                      timeout_ms: float, results: Results) -> None:  # fmt: skip
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = [
            await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(max(1, min(browsers, sessions)))
        ]
        try:
            deadline = time.monotonic() + duration
            per_session = max(1, max_actions // sessions)
            tasks = []
            for index in range(sessions):
                tasks.append(session(index, launched[index % len(launched)], url, deadline, per_session,
                                     timeout_ms, results))  # fmt: skip
                await asyncio.sleep(0.2)  # people arrive over a few seconds, not in the same millisecond
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 4 * timeout_ms / 1000 + 60)
        finally:
            for browser in launched:
                await browser.close()


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1], 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--children", type=int, default=250, help="children in the demo snapshot (default 250)"
    )
    parser.add_argument(
        "--sessions", type=int, default=25, help="concurrent sessions (default 25, at most 50)"
    )
    parser.add_argument(
        "--browsers", type=int, default=3, help="Chromium processes to spread them over (default 3)"
    )
    parser.add_argument(
        "--duration", type=float, default=90, help="seconds of load (default 90, at most 600)"
    )
    parser.add_argument(
        "--max-actions",
        type=int,
        default=1000,
        help="page opens and filter changes in all, at most (default 1000)",
    )
    parser.add_argument("--timeout", type=float, default=60, help="seconds one action may take (default 60)")
    parser.add_argument(
        "--app-dir", type=Path, default=REPO, help="the project folder to serve (default: this one)"
    )
    args = parser.parse_args(argv)
    sessions = max(1, min(args.sessions, 50))
    duration = max(5.0, min(args.duration, 600.0))

    root = demo_root(args.children)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    results = Results()
    with tempfile.TemporaryDirectory(prefix="impact-load-") as scratch:
        state = Path(scratch)
        server = start_server(args.app_dir.resolve(), root.resolve(), port, state)
        peak_rss: list[int] = []
        try:
            wait_healthy(url, server)
            idle = memory_kib(server.pid)
            stop = False

            async def watch_memory() -> None:
                while not stop:
                    peak_rss.append(memory_kib(server.pid).get("VmRSS", 0))
                    await asyncio.sleep(0.5)

            async def load() -> None:
                nonlocal stop
                watcher = asyncio.create_task(watch_memory())
                try:
                    await run_clients(url, sessions, args.browsers, duration, args.max_actions,
                                      args.timeout * 1000, results)  # fmt: skip
                finally:
                    stop = True
                    await watcher

            started = time.monotonic()
            server_cpu_before = cpu_seconds(server.pid)
            busy_before, total_before = machine_busy_seconds()
            asyncio.run(load())
            elapsed = time.monotonic() - started
            server_cpu = cpu_seconds(server.pid) - server_cpu_before
            busy_after, total_after = machine_busy_seconds()
            final = memory_kib(server.pid)
            alive = server.poll() is None
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if not alive:
            results.errors.append("the server died during the run")
        log_tail = (state / "server.log").read_text(errors="replace")[-3000:]

    report = {
        "command": "python benchmarks/load_test.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "children": args.children,
        "sessions": sessions,
        "browser_processes": max(1, min(args.browsers, sessions)),
        "duration_s": round(elapsed, 1),
        "actions": results.actions,
        "page_opens": len(results.page_times),
        "filter_changes": len(results.filter_times),
        "errors": len(results.errors),
        "error_examples": results.errors[:10],
        "sign_in_s": {"p50": percentile(results.sign_in_times, 0.5), "p95": percentile(results.sign_in_times, 0.95)},
        "page_s": {"p50": percentile(results.page_times, 0.5), "p95": percentile(results.page_times, 0.95),
                   "max": round(max(results.page_times), 2) if results.page_times else None},
        "filter_s": {"p50": percentile(results.filter_times, 0.5), "p95": percentile(results.filter_times, 0.95)},
        "server_rss_mib": {
            "idle": round(idle.get("VmRSS", 0) / 1024, 1),
            "peak": round(max(final.get("VmHWM", 0), *peak_rss, 0) / 1024, 1),
            "end": round(final.get("VmRSS", 0) / 1024, 1),
        },
        "cpu": {
            "cores": os.cpu_count(),
            "server_seconds": round(server_cpu, 1),
            "machine_busy_pct": round(100 * (busy_after - busy_before) / max(total_after - total_before, 1e-9), 1),
            "server_share_of_busy_pct": round(100 * server_cpu / max(busy_after - busy_before, 1e-9), 1),
        },
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    if results.errors:
        print("\nserver log (end):\n" + log_tail, file=sys.stderr)
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"load_test-{args.children}.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0 if not results.errors else 1


if __name__ == "__main__":
    sys.exit(main())
