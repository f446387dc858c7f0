"""Load test: many people opening the dashboard at once before a board meeting (not a pytest test).

Starts ``streamlit run app.py`` on a free loopback port against a demo snapshot (made once and cached under
``benchmarks/.cache``), then runs concurrent sessions. Each session signs in as a demo account (the four
roles in turn), then, until the time or action budget runs out, opens every page its role may see and
changes a filter (free school meals) on each page that has filters.

Two clients, both real Streamlit clients:
  * ``--client ws`` (default): Streamlit's own websocket protocol, with its own protobuf messages: the
    session sends what a browser sends (a rerun request with the query string, the page and the widget
    states) and reads every message of the run until the script has finished. Light enough that 25
    sessions load the server, not the machine.
  * ``--client browser``: headless Chromium (Playwright, ``/usr/bin/chromium``), one browser context per
    session spread over a few browser processes, clicking the sidebar and the filter. Faithful, but each
    tab renders the whole app in software: on a 2-core machine 25 tabs starve the server of CPU, so use it
    with a handful of sessions.

It reports:
  * errors (must be 0): an exception box on a page (``[data-testid="stException"]``, or an exception
    element in the protocol), a page that did not show its title, or a sign-in, navigation or filter
    change that did not finish within the timeout;
  * page times, p50 and p95 (request → the page's script run finished), filter-change times, sign-in times;
  * the server's peak resident memory (``VmHWM`` from ``/proc/<pid>/status``), its CPU seconds, and how
    busy the whole machine was (other work on the machine shows up there).

Traffic goes to 127.0.0.1 only; the run is bounded in sessions (at most 50), actions and seconds (at most
600), and stops by itself.

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
    by_page: dict[str, list[float]] = field(default_factory=dict)
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
    env["IMPACT_ENV"] = "demo"  # the demo accounts exist only when asked for
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
                results.by_page.setdefault(spec.key, []).append(results.page_times[-1])
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


# --- the websocket client: Streamlit's own protocol (BackMsg / ForwardMsg protobufs) -------------------------


class StreamlitSession:
    """One browser tab, spoken in Streamlit's websocket protocol: rerun requests out, page deltas in.

    It keeps what a browser keeps between runs (the query string, the widget ids it was shown, the pages of
    the navigation) and sends what a browser sends: a ``rerun_script`` with the client state.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.query_string = ""
        self.page_hash = ""
        self.widget_ids: dict[str, str] = {}  # user key -> widget id
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.headings: list[str] = []
        self.exceptions: list[str] = []
        self.ws: Any = None

    async def __aenter__(self) -> StreamlitSession:
        from websockets.asyncio.client import connect

        stream = self.url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = await connect(stream, subprotocols=["streamlit"], origin=self.url, max_size=None,
                                open_timeout=self.timeout)  # fmt: skip
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def run(self, widgets: list[Any] | None = None, page_hash: str | None = None) -> None:
        """Ask for a script run and read its messages until it has finished (reruns included)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if page_hash is not None:
            self.page_hash = page_hash
            self.query_string = ""  # a click in the menu opens the page without the old query string
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash
        state.widget_states.widgets.extend(widgets or [])
        self.headings = []
        self.exceptions = []
        await self.ws.send(message.SerializeToString())
        await asyncio.wait_for(self._until_finished(), timeout=self.timeout)

    async def _until_finished(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        while True:
            message = ForwardMsg()
            message.ParseFromString(await self.ws.recv())
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._element(message.delta.new_element)
            elif kind == "new_session":
                self.headings = []
                self.exceptions = []
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "navigation":
                for app_page in message.navigation.app_pages:  # by URL path and by title
                    self.pages[app_page.url_pathname] = app_page.page_script_hash
                    self.pages[app_page.page_name] = app_page.page_script_hash
                self.page_hash = message.navigation.page_script_hash or self.page_hash
            elif kind == "page_not_found":
                self.exceptions.append(f"page not found: {message.page_not_found.page_name}")
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
                if status == "FINISHED_WITH_COMPILE_ERROR":
                    self.exceptions.append("the page script did not compile")
                if status != "FINISHED_EARLY_FOR_RERUN":
                    return

    def _element(self, element: Any) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:200])
        elif kind == "heading":
            self.headings.append(element.heading.body)
        elif kind is not None:
            widget_id = getattr(getattr(element, kind), "id", "")
            if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
                self.widget_ids[widget_id.rsplit("-", 1)[-1]] = widget_id

    def state(self, key: str, **value: Any) -> Any:
        """A widget state for the widget shown with ``key`` (e.g. ``string_value="Eligible"``)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        widget = WidgetState(id=self.widget_ids[key])
        for field_name, field_value in value.items():
            setattr(widget, field_name, field_value)
        return widget


async def ws_session(index: int, url: str, deadline: float, max_actions: int, timeout_ms: float,
                     results: Results) -> None:  # fmt: skip
    """One person over the websocket protocol: sign in, then every page in turn with a filter change on each."""
    role = ROLES[index % len(ROLES)]
    specs = pages_for(role)
    actions = 0
    what = f"session {index} ({role})"
    try:
        async with StreamlitSession(url, timeout_ms / 1000) as tab:
            started = time.monotonic()
            try:
                await tab.run()
                await tab.run([
                    tab.state("login_username", string_value=f"demo-{role}"),
                    tab.state("login_password", string_value=PASSWORD),
                    tab.state("login_submit", trigger_value=True),
                ])  # fmt: skip
                if "Overview" not in tab.headings:
                    raise RuntimeError(f"not signed in; headings shown: {tab.headings[:3]}")
            except Exception as error:
                results.errors.append(f"{what} sign-in failed: {type(error).__name__}: {error}"[:300])
                return
            results.sign_in_times.append(time.monotonic() - started)
            if tab.exceptions:
                results.errors.append(f"{what} first page: exception shown: {tab.exceptions[0]}")
                return
            turn = 0
            while time.monotonic() < deadline and actions < max_actions:
                for spec in specs:
                    if time.monotonic() >= deadline or actions >= max_actions:
                        break
                    started = time.monotonic()
                    try:
                        await tab.run(page_hash=tab.pages.get(spec.url_path) or tab.pages[spec.title])
                        if spec.title not in tab.headings:
                            raise RuntimeError(f"the page title did not show; headings: {tab.headings[:3]}")
                    except Exception as error:
                        results.errors.append(
                            f"{what} {spec.key}: navigation failed: {type(error).__name__}: {error}"[:300]
                        )
                        return
                    results.page_times.append(time.monotonic() - started)
                    results.by_page.setdefault(spec.key, []).append(results.page_times[-1])
                    actions += 1
                    if tab.exceptions:
                        results.errors.append(f"{what} {spec.key}: exception shown: {tab.exceptions[0]}")
                        return
                    if (
                        "f_fsm" not in tab.widget_ids
                        or time.monotonic() >= deadline
                        or actions >= max_actions
                    ):
                        continue
                    choice = ("Eligible", "Not eligible", "All children")[turn % 3]
                    turn += 1
                    started = time.monotonic()
                    try:
                        await tab.run([tab.state("f_fsm", string_value=choice)])
                    except Exception as error:
                        results.errors.append(
                            f"{what} {spec.key}: filter change failed: {type(error).__name__}: {error}"[:300]
                        )
                        return
                    results.filter_times.append(time.monotonic() - started)
                    actions += 1
                    if tab.exceptions:
                        results.errors.append(
                            f"{what} {spec.key} after a filter change: exception shown: {tab.exceptions[0]}"
                        )
                        return
    except Exception as error:
        results.errors.append(f"{what}: connection failed: {type(error).__name__}: {error}"[:300])
    finally:
        results.actions += actions


async def run_ws_clients(url: str, sessions: int, duration: float, max_actions: int, timeout_ms: float,
                         results: Results) -> None:  # fmt: skip
    deadline = time.monotonic() + duration
    per_session = max(1, max_actions // sessions)
    tasks = []
    for index in range(sessions):
        tasks.append(asyncio.create_task(ws_session(index, url, deadline, per_session, timeout_ms, results)))
        await asyncio.sleep(0.2)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 4 * timeout_ms / 1000 + 60)


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1], 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--client",
        choices=("ws", "browser"),
        default="ws",
        help="ws: Streamlit's websocket protocol (default); browser: headless Chromium",
    )
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
                    if args.client == "browser":
                        await run_clients(url, sessions, args.browsers, duration, args.max_actions,
                                          args.timeout * 1000, results)  # fmt: skip
                    else:
                        await run_ws_clients(
                            url, sessions, duration, args.max_actions, args.timeout * 1000, results
                        )
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
        "client": args.client,
        "browser_processes": max(1, min(args.browsers, sessions)) if args.client == "browser" else 0,
        "duration_s": round(elapsed, 1),
        "actions": results.actions,
        "page_opens": len(results.page_times),
        "filter_changes": len(results.filter_times),
        "errors": len(results.errors),
        "error_examples": results.errors[:10],
        "sign_in_s": {"p50": percentile(results.sign_in_times, 0.5), "p95": percentile(results.sign_in_times, 0.95)},
        "page_s": {"p50": percentile(results.page_times, 0.5), "p95": percentile(results.page_times, 0.95),
                   "max": round(max(results.page_times), 2) if results.page_times else None},
        "page_p50_s_by_page": {key: percentile(times, 0.5) for key, times in sorted(results.by_page.items())},
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
